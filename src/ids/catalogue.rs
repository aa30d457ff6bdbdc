//! Catalogues kept as data: the province codes of personal IDs and the document types.
//!
//! The files live in `data/catalogue/` so that the lists change without code changes (a rebuild
//! picks them up); a malformed line is a build-time mistake caught by the tests below.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

use super::ParseError;

static PROVINCES: LazyLock<BTreeMap<&'static str, &'static str>> = LazyLock::new(|| {
    csv_rows(include_str!("../../data/catalogue/provinces.csv"))
        .filter_map(|row| match row.as_slice() {
            [code, name] => Some((*code, *name)),
            _ => None,
        })
        .collect()
});

static DOCUMENT_TYPES: LazyLock<Vec<DocumentType>> = LazyLock::new(|| {
    csv_rows(include_str!("../../data/catalogue/document-types.csv"))
        .filter_map(|row| match row.as_slice() {
            [code, usually, vi, en] => Some(DocumentType {
                code,
                usually: if *usually == "uploaded" {
                    Usually::Uploaded
                } else {
                    Usually::Issued
                },
                name_vi: vi,
                name_en: en,
            }),
            _ => None,
        })
        .collect()
});

/// The rows of a simple comma-separated file, header skipped (no quoting: names hold no commas).
fn csv_rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::trim).collect())
}

/// The name of a province code of birth registration, if it is one.
pub fn province_name(code: &str) -> Option<&'static str> {
    PROVINCES.get(code).copied()
}

/// Whether a document type is normally issued by an agency or uploaded by its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Usually {
    Issued,
    Uploaded,
}

/// One entry of the document-type catalogue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentType {
    /// Stable code, e.g. `birth-certificate`.
    pub code: &'static str,
    pub usually: Usually,
    pub name_vi: &'static str,
    pub name_en: &'static str,
}

/// Every document type, in catalogue order.
pub fn document_types() -> &'static [DocumentType] {
    &DOCUMENT_TYPES
}

/// A code that names an entry of the document-type catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentTypeCode(&'static str);

impl DocumentTypeCode {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        DOCUMENT_TYPES
            .iter()
            .find(|t| t.code == input.trim())
            .map(|t| Self(t.code))
            .ok_or(ParseError::new(
                "document type",
                "is not in the document-type catalogue",
            ))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_63_provinces_are_listed() {
        assert_eq!(PROVINCES.len(), 63);
        assert_eq!(province_name("035"), Some("Hà Nam"));
        assert_eq!(province_name("003"), None);
    }

    #[test]
    fn the_starter_document_types_are_all_there() {
        assert_eq!(document_types().len(), 14);
        assert_eq!(
            DocumentTypeCode::parse("birth-certificate")
                .unwrap()
                .as_str(),
            "birth-certificate"
        );
        assert!(DocumentTypeCode::parse("banana").is_err());
        assert!(
            document_types()
                .iter()
                .all(|t| !t.name_vi.is_empty() && !t.name_en.is_empty())
        );
    }
}
