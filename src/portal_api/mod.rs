//! The portal resource API, `/v1/shared/documents…`: what a portal reaches with a DPoP-bound
//! consent token — only the consented documents, only while the consent is active. Every
//! request, allowed or denied, is written to the owner's access log in the transaction that
//! reads the data (no log row, no data).

mod admit;
mod decision;
pub mod http;
mod stream;

pub use admit::{Action, Admitted, Caller, Refusal};
pub use stream::OnceFetch;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::crypto::Signer;
use crate::documents::Documents;
use crate::oauth::dpop::Dpop;

/// Admission to the portal resource API, holding what it needs: the database (tokens, consents,
/// the access log), DPoP proofs, the owners' documents, the store's signer (the public URL a
/// proof names) and the clock.
#[derive(Clone, Debug)]
pub struct Admission {
    db: DatabaseConnection,
    dpop: Dpop,
    documents: Documents,
    signer: Signer,
    clock: Clock,
}

impl Admission {
    pub fn new(
        db: DatabaseConnection,
        dpop: Dpop,
        documents: Documents,
        signer: Signer,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            dpop,
            documents,
            signer,
            clock,
        }
    }

    /// The owners' documents, to read what was admitted.
    pub fn documents(&self) -> &Documents {
        &self.documents
    }

    /// The content of a `once` fetch: counts as fetched when the last byte is handed over.
    pub fn once_fetch(
        &self,
        body: futures_util::stream::BoxStream<
            'static,
            Result<bytes::Bytes, crate::documents::DocumentError>,
        >,
        claim: (uuid::Uuid, uuid::Uuid, chrono::DateTime<chrono::Utc>),
        size: u64,
    ) -> OnceFetch {
        OnceFetch::new(body, self.db.clone(), self.clock.clone(), claim, size)
    }

    /// Gives back the claim of a `once` fetch that could not start.
    pub async fn release_fetch(
        &self,
        consent: uuid::Uuid,
        document: uuid::Uuid,
        claim: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::consents::ConsentError> {
        crate::consents::release_fetch(&self.db, consent, document, claim).await
    }
}
