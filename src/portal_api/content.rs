//! A consented document's content for an admitted download: decrypted as it streams, and under
//! a `once` consent counted as fetched only when the portal has received its last byte — or the
//! claim given back when the download cannot start.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use uuid::Uuid;

use super::stream::OnceFetch;
use super::{Admission, Caller, Refusal};
use crate::connection::Delivery;
use crate::consents;
use crate::documents::{DocumentError, DocumentView};

/// What a portal downloads.
pub struct Content {
    pub view: DocumentView,
    pub body: BoxStream<'static, Result<Bytes, DocumentError>>,
}

impl Admission {
    /// The content of document `id`, admitted for `caller` with the `once` claim it holds, if
    /// any, to stream on the connection watched by `delivery`.
    pub async fn content(
        &self,
        caller: &Caller,
        id: Uuid,
        once: Option<DateTime<Utc>>,
        delivery: Option<Delivery>,
    ) -> Result<Content, Refusal> {
        let consent = caller.consent.id;
        let download = match self.documents.download(caller.owner, id).await {
            Ok(download) => download,
            Err(e) => {
                if let Some(claim) = once {
                    consents::release_fetch(&self.db, consent, id, claim).await?;
                }
                return Err(e.into());
            }
        };
        let view = download.view;
        let body = download
            .body
            .inspect(move |r| {
                if let Err(e) = r {
                    tracing::error!(document = %id, error = %e, "portal download stopped");
                }
            })
            .boxed();
        let body = match once {
            Some(claim) => {
                let (db, clock) = (self.db.clone(), self.clock.clone());
                OnceFetch::new((body, delivery), db, clock, (consent, id, claim), view.size).boxed()
            }
            None => body,
        };
        Ok(Content { view, body })
    }
}
