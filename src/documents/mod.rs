//! Owners' documents: upload (streamed, sealed per owner), list, metadata, download (streamed,
//! authenticated segment by segment), delete.

mod content_type;
pub mod http;
mod model;
mod service;
mod store;

pub use content_type::{ContentType, sniff};
pub use model::{DocumentList, DocumentView, NewDocument, Source, Status, Verification};
pub use service::{DocumentError, Download, delete, download, get, list, upload};
pub use store::ListFilter;
