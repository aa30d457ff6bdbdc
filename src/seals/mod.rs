//! QR seals: a compact token signed by the store for every issued result (and every uploaded
//! document an official checked against its original), rendered as a QR code, that anyone can
//! check offline against the store's published keys — and online for the current status. The
//! format is documented in `docs/seal-format.md`.

mod check;
pub mod http;
mod render;
mod store;
pub(crate) mod token;

pub use check::{CheckError, SealVerification};
pub use render::{ReadError, png, read, svg};
pub use store::{Seal, SealingError, signed_by};
pub use token::{SEAL_TYPE, SealClaims, SealError, SealKind, check_offline};

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::crypto::Signer;
use crate::owners::Owners;

/// QR seals, holding what they need: the database (seals and the documents they seal), the
/// owners' keys (an uploaded document's SHA-256 is sealed), the store's signer and the clock.
#[derive(Clone, Debug)]
pub struct Seals {
    db: DatabaseConnection,
    owners: Owners,
    signer: Signer,
    clock: Clock,
}

impl Seals {
    pub fn new(db: DatabaseConnection, owners: Owners, signer: Signer, clock: Clock) -> Self {
        Self {
            db,
            owners,
            signer,
            clock,
        }
    }

    /// The SHA-256 of the content of `row`, a document of a stored seal.
    async fn content_sha256(
        &self,
        row: &crate::storage::entities::documents::Model,
    ) -> Result<String, crate::storage::StoreError> {
        let key = self
            .owners
            .data_key(crate::owners::OwnerId(row.owner_id))
            .await?
            .ok_or(crate::crypto::IntegrityError)?;
        Ok(crate::documents::content_sha256(&key, row)?)
    }
}
