//! Where things are kept: the metadata database (sea-orm) and the blob store (object_store).

pub mod blobs;
pub mod db;
pub mod entities;
pub mod passing;

use crate::crypto::{IntegrityError, KeyRingError};

/// A failure below the domain: the database, the blob store, the key ring, or an integrity
/// check. Mapped to a generic 500 at the HTTP boundary (integrity failures get their own type).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("blob store: {0}")]
    Blob(#[from] blobs::BlobError),
    #[error("key ring: {0}")]
    Keys(#[from] KeyRingError),
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
}
