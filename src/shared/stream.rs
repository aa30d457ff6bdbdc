//! The content of a `once` fetch: when the last byte has gone out, the document counts as
//! fetched (and the consent as used once every document is); when the stream stops early, the
//! claim is given back so that the portal can try again.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::consents;
use crate::documents::DocumentError;

pub struct OnceFetch {
    inner: BoxStream<'static, Result<Bytes, DocumentError>>,
    db: DatabaseConnection,
    consent: Uuid,
    document: Uuid,
    finished: bool,
}

impl OnceFetch {
    pub fn new(
        inner: BoxStream<'static, Result<Bytes, DocumentError>>,
        db: DatabaseConnection,
        consent: Uuid,
        document: Uuid,
    ) -> Self {
        Self {
            inner,
            db,
            consent,
            document,
            finished: false,
        }
    }
}

impl Stream for OnceFetch {
    type Item = Result<Bytes, DocumentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next
            && !self.finished
        {
            self.finished = true;
            let (db, consent) = (self.db.clone(), self.consent);
            tokio::spawn(async move {
                if let Err(e) = consents::mark_fetched(&db, consent).await {
                    tracing::error!(%consent, error = %e, "could not mark a one-time consent used");
                }
            });
        }
        next
    }
}

impl Drop for OnceFetch {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (db, consent, document) = (self.db.clone(), self.consent, self.document);
        tokio::spawn(async move {
            if let Err(e) = consents::release_fetch(&db, consent, document).await {
                tracing::error!(%consent, error = %e, "could not release an interrupted fetch");
            }
        });
    }
}
