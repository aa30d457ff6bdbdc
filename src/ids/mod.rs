//! Vietnamese identifiers and codes, parsed once at the edge and trusted afterwards.
//!
//! Formats follow `DOMAIN.md`; the lists that can change (provinces, document types) are data
//! files under `data/catalogue/`.

mod agency;
mod catalogue;
mod date;
mod dossier;
mod owner;
mod personal_id;
mod procedure;
mod tax_code;
mod text;

pub use agency::AgencyCode;
pub use catalogue::{
    DocumentType, DocumentTypeCode, Procedure, Usually, document_types, procedure, province_name,
};
pub use date::parse_date;
pub use dossier::{DossierCode, ResultCode};
pub use owner::{OwnerIdentifier, OwnerKind};
pub use personal_id::{PersonalId, Sex};
pub use procedure::ProcedureCode;
pub use tax_code::TaxCode;
pub use text::Text;

/// Why a piece of input is not a valid identifier; the message is safe to show to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {why}")]
pub struct ParseError {
    /// What was being parsed, e.g. "personal ID".
    pub what: &'static str,
    /// Why it was refused, in words the sender can act on.
    pub why: &'static str,
}

impl ParseError {
    pub(crate) const fn new(what: &'static str, why: &'static str) -> Self {
        Self { what, why }
    }
}

/// True when `s` is exactly `n` ASCII digits.
pub(crate) fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}
