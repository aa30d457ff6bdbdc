//! The content of a `once` fetch: when the last byte has been handed to the connection (counted,
//! since with a known length the server may never ask for the end of the stream), the fetch
//! waits for the portal's TCP to acknowledge every byte (`crate::connection`); then the document
//! counts as fetched (and the consent as used once every document is). When the stream stops
//! early, or the connection is reset with bytes the portal never acknowledged, the claim is
//! given back so that the portal can try again — a few times at most
//! ([`consents::MAX_FETCH_RETRIES`]), since a portal could bend what its TCP says. A portal that
//! keeps its connection open without acknowledging for [`WAIT_FOR_DELIVERY`] may still receive
//! the bytes: that counts as fetched. A fetch that streams for long renews
//! its claim as it goes, so the claim never looks abandoned to a second fetch; should it be lost
//! all the same, the stream stops rather than deliver a second copy.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::clock::Clock;
use crate::connection::{Delivery, Outcome};
use crate::consents;
use crate::documents::DocumentError;

/// How long a complete fetch waits for the portal to acknowledge its bytes. The claim was renewed
/// at most [`consents::RENEW_CLAIM_EVERY`] before the end, and the two together stay well within
/// the ten minutes after which a claim goes stale.
pub const WAIT_FOR_DELIVERY: std::time::Duration = std::time::Duration::from_secs(120);

pub struct OnceFetch {
    inner: BoxStream<'static, Result<Bytes, DocumentError>>,
    /// The watch of the connection the fetch streams on (HTTP/1); without it, handing the last
    /// byte over is all there is to go by.
    delivery: Option<Delivery>,
    db: DatabaseConnection,
    clock: Clock,
    consent: Uuid,
    document: Uuid,
    claim: DateTime<Utc>,
    remaining: u64,
    finished: bool,
    /// A renewal of the claim under way.
    renewing: Option<BoxFuture<'static, Result<Option<DateTime<Utc>>, consents::ConsentError>>>,
}

impl OnceFetch {
    pub fn new(
        (inner, delivery): (
            BoxStream<'static, Result<Bytes, DocumentError>>,
            Option<Delivery>,
        ),
        db: DatabaseConnection,
        clock: Clock,
        (consent, document, claim): (Uuid, Uuid, DateTime<Utc>),
        size: u64,
    ) -> Self {
        Self {
            inner,
            delivery,
            db,
            clock,
            consent,
            document,
            claim,
            remaining: size,
            finished: false,
            renewing: None,
        }
    }

    /// Renews the claim when it is due; `Pending` while the renewal runs, an error if the
    /// claim was lost (the stream must stop), `Ready(Ok)` to go on.
    fn renew(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DocumentError>> {
        if self.renewing.is_none()
            && !self.finished
            && self.clock.now() - self.claim >= consents::RENEW_CLAIM_EVERY
        {
            let (db, consent, document, claim) =
                (self.db.clone(), self.consent, self.document, self.claim);
            let now = self.clock.now();
            self.renewing = Some(Box::pin(async move {
                consents::renew_claim(&db, consent, document, claim, now).await
            }));
        }
        let Some(renewing) = self.renewing.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let renewed = std::task::ready!(renewing.as_mut().poll(cx));
        self.renewing = None;
        match renewed {
            Ok(Some(claim)) => {
                self.claim = claim;
                Poll::Ready(Ok(()))
            }
            outcome => {
                if let Err(e) = outcome {
                    tracing::error!(consent = %self.consent, error = %e, "could not renew a one-time fetch's claim");
                }
                // Not ours any more (or unknown): stop, and do not give back a claim that may be
                // another fetch's.
                self.finished = true;
                Poll::Ready(Err(DocumentError::Body(
                    "the one fetch of this document is no longer this one's".into(),
                )))
            }
        }
    }
}

impl Stream for OnceFetch {
    type Item = Result<Bytes, DocumentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Err(lost) = std::task::ready!(self.renew(cx)) {
            return Poll::Ready(Some(Err(lost)));
        }
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
            // Started before the last chunk goes to the connection, so its flush is seen.
            let ending = self.delivery.as_ref().map(Delivery::ending);
            let (db, clock, consent, document, claim) = (
                self.db.clone(),
                self.clock.clone(),
                self.consent,
                self.document,
                self.claim,
            );
            tokio::spawn(async move {
                let outcome = match ending {
                    Some(ending) => ending.outcome(WAIT_FOR_DELIVERY).await,
                    None => Outcome::Unknowable,
                };
                let counted = match outcome {
                    Outcome::Lost => {
                        tracing::info!(%consent, %document, "a one-time fetch did not reach the portal");
                        consents::give_back_fetch(&db, consent, document, claim, clock.now())
                            .await
                            .map(drop)
                    }
                    outcome => {
                        if outcome == Outcome::Unacknowledged {
                            tracing::warn!(%consent, %document, "a one-time fetch is still unacknowledged; counted as fetched");
                        }
                        consents::mark_fetched(&db, consent, document, claim, clock.now()).await
                    }
                };
                if let Err(e) = counted {
                    tracing::error!(%consent, error = %e, "could not count a one-time fetch");
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
        let (db, clock, consent, document, claim) = (
            self.db.clone(),
            self.clock.clone(),
            self.consent,
            self.document,
            self.claim,
        );
        // A renewal under way may move the claim on: give back whichever claim it leaves.
        let renewing = self.renewing.take();
        tokio::spawn(async move {
            let claim = match renewing {
                Some(renewing) => match renewing.await {
                    Ok(Some(renewed)) => renewed,
                    // Taken over by another fetch: nothing of this one's to give back.
                    Ok(None) => return,
                    // Not renewed: the old claim is still this fetch's, if anything is.
                    Err(_) => claim,
                },
                None => claim,
            };
            let given_back =
                consents::give_back_fetch(&db, consent, document, claim, clock.now()).await;
            if let Err(e) = given_back {
                tracing::error!(%consent, error = %e, "could not give back an interrupted fetch");
            }
        });
    }
}
