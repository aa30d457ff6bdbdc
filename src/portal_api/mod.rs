//! The portal resource API, `/v1/shared/documents…`: what a portal reaches with a DPoP-bound
//! consent token — only the consented documents, only while the consent is active. Every
//! request, allowed or denied, is written to the owner's access log in the transaction that
//! reads the data (no log row, no data).

mod admit;
mod content;
mod decision;
pub mod http;
mod stream;

pub use admit::{Action, Admitted, Caller, Refusal};
pub use content::Content;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::crypto::Signer;
use crate::documents::Documents;
use crate::oauth::dpop::Dpop;

/// Admission to the portal resource API, holding what it needs: the database (tokens, consents,
/// the access log), DPoP proofs, the owners' documents, the store's signer (the public URL a
/// proof names), the clock, and how often an unproven attempt with a token is logged.
#[derive(Clone)]
pub struct Admission {
    db: DatabaseConnection,
    dpop: Dpop,
    documents: Documents,
    signer: Signer,
    clock: Clock,
    unproven: Arc<admit::UnprovenAttempts>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission").finish_non_exhaustive()
    }
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
            unproven: Arc::default(),
        }
    }

    /// The owners' documents, to read what was admitted.
    pub fn documents(&self) -> &Documents {
        &self.documents
    }
}
