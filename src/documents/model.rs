//! What a document is to the API: its metadata in, its view out.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::ids::{AgencyCode, DocumentTypeCode, ResultCode, Text};

/// Where a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Issued,
    Uploaded,
}

/// Whether anyone checked the document against an original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Unverified,
    Verified,
}

/// Validity. `expired` is computed from `valid_until` on every read, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Expired,
    Revoked,
    Superseded,
}

macro_rules! stored_as_text {
    ($ty:ty { $($variant:ident = $text:literal),+ }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            pub fn from_stored(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
stored_as_text!(Source { Issued = "issued", Uploaded = "uploaded" });
stored_as_text!(Verification { Unverified = "unverified", Verified = "verified" });
stored_as_text!(Status { Valid = "valid", Expired = "expired", Revoked = "revoked", Superseded = "superseded" });

/// Metadata of a document an owner uploads, parsed at the edge.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub type_code: DocumentTypeCode,
    pub title: Text,
    pub number: Option<Text>,
    pub issuing_agency: Option<AgencyCode>,
    pub issue_date: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

/// What makes a document an issued result: who pushed it, its result code, and the issuer's
/// signature over the metadata and the content's SHA-256 (which the content must match).
#[derive(Debug, Clone)]
pub struct IssuedBy {
    pub client_id: String,
    pub result_code: ResultCode,
    pub sha256: String,
    pub signature: String,
    /// The issuer's earlier result (of the same owner) that this one replaces: it becomes
    /// `superseded` in the same transaction as this one is stored.
    pub supersedes: Option<Uuid>,
}

/// Corrections an owner makes to the metadata of a document they uploaded.
#[derive(Debug, Clone, Default)]
pub struct Corrections {
    pub title: Option<Text>,
    /// `Some(None)` clears the number.
    pub number: Option<Option<Text>>,
}

/// A document's metadata as the owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub version: u32,
    /// Catalogue code of the document type, e.g. `birth-certificate`.
    #[serde(rename = "type")]
    pub type_code: String,
    pub title: String,
    /// Number/symbol (số/ký hiệu), if any.
    pub number: Option<String>,
    /// QCVN 102 code of the issuing agency, if any.
    pub issuing_agency: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// `<dossier code>-KQ<n>` for issued results.
    pub result_code: Option<String>,
    pub source: Source,
    pub verification: Verification,
    pub status: Status,
    pub status_changed_at: DateTime<Utc>,
    /// Decided from the content's first bytes.
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// For an uploaded document an official checked against its original: when and how.
    pub provenance: Option<Provenance>,
}

/// An official's check of a document against its original. Which official is told only to the
/// owner, in their access log — never to a portal with the document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Provenance {
    pub verified_at: DateTime<Utc>,
    /// How, in the official's words (e.g. "checked against the original at the counter").
    pub method: String,
}

/// One page of documents.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentList {
    pub items: Vec<DocumentView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}
