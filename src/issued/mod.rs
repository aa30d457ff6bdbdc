//! Issued results (kết quả giải quyết TTHC): an issuer pushes a signed document into an owner's
//! store. The push is a compact JWS, by a key in the issuer's registered JWKS, over the
//! metadata and the content's SHA-256; Kho checks the signature, that the agency is the
//! issuer's, every code and the type, then stores the content sealed with the owner's key as
//! `issued`. Idempotent on the result code.

pub mod http;
mod legacy;
mod push;
mod status;

pub use push::{PushError, Pushed};
pub use status::StatusView;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::crypto::Signer;
use crate::documents::Documents;
use crate::owners::Owners;

/// Issued results, holding what they need: the database (the issuer's registered keys, results
/// by code), the owners (a push may create a store), the documents (where the content goes),
/// the store's signer (its name is the statements' audience) and the clock.
#[derive(Clone, Debug)]
pub struct IssuedResults {
    db: DatabaseConnection,
    owners: Owners,
    documents: Documents,
    signer: Signer,
    clock: Clock,
}

impl IssuedResults {
    pub fn new(
        db: DatabaseConnection,
        owners: Owners,
        documents: Documents,
        signer: Signer,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            owners,
            documents,
            signer,
            clock,
        }
    }
}
