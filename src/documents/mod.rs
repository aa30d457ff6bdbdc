//! Owners' documents: upload (streamed, sealed per owner), list, metadata, download (streamed,
//! authenticated segment by segment), delete.

mod content_type;
mod download;
pub mod http;
mod legacy;
mod model;
mod orphans;
mod results;
mod service;
mod store;
mod upload;
mod view;

pub use content_type::{ContentType, sniff};
pub use download::Download;
pub use model::{
    Corrections, DocumentList, DocumentView, IssuedBy, NewDocument, Provenance, Source, Status,
    Verification,
};
pub use orphans::ORPHAN_GRACE;
pub use service::{DocumentError, rows_by_ids};
pub use store::ListFilter;
pub use upload::{BodyError, Destination};
pub use view::{
    STATUS_REASON_FIELD, content_sha256, effective_status, is_legacy_plain, issuer_signature,
    seal_issuer_signature,
};

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::owners::Owners;
use crate::storage::blobs::Blobs;

/// Owners' documents, holding what they need and nothing more: the database, the blob store,
/// the owners (whose data keys seal them), the upload limit and the clock.
#[derive(Clone, Debug)]
pub struct Documents {
    db: DatabaseConnection,
    blobs: Blobs,
    owners: Owners,
    max_upload_bytes: u64,
    clock: Clock,
}

impl Documents {
    pub fn new(
        db: DatabaseConnection,
        blobs: Blobs,
        owners: Owners,
        max_upload_bytes: u64,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            blobs,
            owners,
            max_upload_bytes,
            clock,
        }
    }

    /// The largest document an owner may upload.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }
}
