//! The content of a `once` fetch: when the last byte has been handed to the connection (counted,
//! since with a known length the server may never ask for the end of the stream), the document
//! counts as fetched (and the consent as used once every document is); when the stream stops early, the
//! claim is given back so that the portal can try again.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::clock::Clock;
use crate::consents;
use crate::documents::DocumentError;

pub struct OnceFetch {
    inner: BoxStream<'static, Result<Bytes, DocumentError>>,
    db: DatabaseConnection,
    clock: Clock,
    consent: Uuid,
    document: Uuid,
    claim: DateTime<Utc>,
    remaining: u64,
    finished: bool,
}

impl OnceFetch {
    pub fn new(
        inner: BoxStream<'static, Result<Bytes, DocumentError>>,
        db: DatabaseConnection,
        clock: Clock,
        (consent, document, claim): (Uuid, Uuid, DateTime<Utc>),
        size: u64,
    ) -> Self {
        Self {
            inner,
            db,
            clock,
            consent,
            document,
            claim,
            remaining: size,
            finished: false,
        }
    }
}

impl Stream for OnceFetch {
    type Item = Result<Bytes, DocumentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            let len = chunk.len() as u64;
            self.remaining = self.remaining.saturating_sub(len);
        }
        let complete = match &next {
            Poll::Ready(Some(Ok(_))) => self.remaining == 0,
            // The end of a stream that fell short is not a complete fetch.
            Poll::Ready(None) => self.remaining == 0,
            _ => false,
        };
        if complete && !self.finished {
            self.finished = true;
            let (db, consent, document, claim) =
                (self.db.clone(), self.consent, self.document, self.claim);
            let now = self.clock.now();
            tokio::spawn(async move {
                if let Err(e) = consents::mark_fetched(&db, consent, document, claim, now).await {
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
        let (db, consent, document, claim) =
            (self.db.clone(), self.consent, self.document, self.claim);
        tokio::spawn(async move {
            if let Err(e) = consents::release_fetch(&db, consent, document, claim).await {
                tracing::error!(%consent, error = %e, "could not release an interrupted fetch");
            }
        });
    }
}
