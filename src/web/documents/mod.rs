//! The owner's documents as pages: the list, an upload, one document (with its seal), its
//! correction and its deletion.

pub mod change;
pub mod list;
pub mod show;
pub mod upload;

use crate::documents::{DocumentView, Source, Status, Verification};
use crate::ids::document_types;

use super::i18n::Tr;

/// Room for the metadata fields and multipart framing on top of the document itself.
const MULTIPART_SLACK: u64 = 64 * 1024;

/// The upload form's body limit.
pub fn upload_body_limit(max_upload_bytes: u64) -> usize {
    usize::try_from(max_upload_bytes.saturating_add(MULTIPART_SLACK)).unwrap_or(usize::MAX)
}

/// A document id in the address; anything else is a page that does not exist.
pub fn document_id(raw: &str) -> Result<uuid::Uuid, crate::web::failure::PageError> {
    uuid::Uuid::parse_str(raw).map_err(|_| crate::web::failure::PageError::not_found())
}

/// The catalogue name of a document type, in the page's language.
pub fn type_name(tr: Tr, code: &str) -> String {
    document_types()
        .iter()
        .find(|t| t.code == code)
        .map_or_else(
            || code.to_owned(),
            |t| tr.pick(t.name_vi, t.name_en).to_owned(),
        )
}

/// The catalogue key of a document's status.
pub fn status_key(status: Status) -> &'static str {
    match status {
        Status::Valid => "status-valid",
        Status::Expired => "status-expired",
        Status::Revoked => "status-revoked",
        Status::Superseded => "status-superseded",
    }
}

/// A document as a page shows it: names and sentences instead of codes.
pub struct Shown {
    pub id: String,
    pub type_name: String,
    pub title: String,
    pub number: Option<String>,
    /// `valid`, `expired`, `revoked` or `superseded`: the CSS class of the status tag.
    pub status: &'static str,
    /// The status in words, with its date.
    pub status_text: String,
    /// Where it came from, in words.
    pub source: String,
    pub uploaded: bool,
    pub sealed: bool,
    pub view: DocumentView,
}

impl Shown {
    pub fn new(tr: Tr, view: DocumentView) -> Self {
        let status_key = status_key(view.status);
        let since = match (view.status, view.valid_until) {
            (Status::Valid, Some(until)) => Some(("status-valid-until", tr.date(until))),
            (Status::Valid, None) => None,
            (Status::Expired, Some(until)) => Some(("status-since", tr.date(until))),
            _ => Some(("status-since", tr.day(view.status_changed_at))),
        };
        let status_text = match since {
            Some((key, date)) => tr.t_with(key, &[("status", &tr.t(status_key)), ("date", &date)]),
            None => tr.t(status_key),
        };
        let verified = view.verification == Verification::Verified;
        let source = match (view.source, &view.issuing_agency, &view.provenance) {
            (Source::Issued, Some(agency), _) => {
                tr.t_with("source-issued-by", &[("agency", agency)])
            }
            (Source::Issued, None, _) => tr.t("source-issued"),
            (Source::Uploaded, _, Some(p)) => {
                tr.t_with("source-checked", &[("date", &tr.day(p.verified_at))])
            }
            (Source::Uploaded, _, None) if verified => tr.t("source-checked-undated"),
            (Source::Uploaded, _, None) => tr.t("source-uploaded"),
        };
        Self {
            id: view.id.to_string(),
            type_name: type_name(tr, &view.type_code),
            title: view.title.clone(),
            number: view.number.clone(),
            status: view.status.as_str(),
            status_text,
            source,
            uploaded: view.source == Source::Uploaded,
            sealed: view.source == Source::Issued || verified,
            view,
        }
    }
}
