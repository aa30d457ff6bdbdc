//! Owners' documents: upload (streamed, sealed per owner), list, metadata, download (streamed,
//! authenticated segment by segment), delete.

mod content_type;
pub mod http;
mod model;
mod service;
mod store;

pub use content_type::{ContentType, sniff};
pub use model::{
    Corrections, DocumentList, DocumentView, NewDocument, Source, Status, Verification,
};
pub use service::{
    BodyError, DocumentError, Download, correct, delete, download, get, list, upload,
};
pub use store::ListFilter;
