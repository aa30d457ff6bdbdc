//! Owners' documents: upload (streamed, sealed per owner), list, metadata, download (streamed,
//! authenticated segment by segment), delete.

mod content_type;
mod download;
pub mod http;
mod model;
mod service;
mod store;
mod upload;
mod view;

pub use content_type::{ContentType, sniff};
pub use download::{Download, download};
pub use model::{
    Corrections, DocumentList, DocumentView, IssuedBy, NewDocument, Provenance, Source, Status,
    Verification,
};
pub use service::{
    DocumentError, correct, delete, get, list, mark_verified, rows_by_ids, usable_of_types,
    views_of,
};
pub use store::ListFilter;
pub use upload::{BodyError, Destination, store_document, upload};
pub use view::{effective_status, is_legacy_plain, issuer_signature, seal_issuer_signature};
