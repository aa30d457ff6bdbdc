//! Catalogues kept as data: the province codes of personal IDs, the document types, and the
//! procedures (mã TTHC) with the document types each may ask an owner for. The starter
//! procedure list is this project's own sample; the national catalogue replaces the file.
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

static PROCEDURES: LazyLock<BTreeMap<&'static str, Procedure>> = LazyLock::new(|| {
    csv_rows(include_str!("../../data/catalogue/procedures.csv"))
        .filter_map(|row| match row.as_slice() {
            [code, vi, en, types] => Some((
                *code,
                Procedure {
                    code,
                    name_vi: vi,
                    name_en: en,
                    document_types: types.split_whitespace().collect(),
                },
            )),
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

/// One entry of the procedure catalogue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Procedure {
    /// The national procedure code, `D.DDDDDD`.
    pub code: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    /// The document types this procedure may ask an owner for.
    pub document_types: Vec<&'static str>,
}

impl Procedure {
    pub fn may_ask_for(&self, type_code: DocumentTypeCode) -> bool {
        self.document_types.contains(&type_code.as_str())
    }
}

/// The catalogue entry of a procedure (by its national part), if the procedure is known.
pub fn procedure(code: &super::ProcedureCode) -> Option<&'static Procedure> {
    PROCEDURES.get(code.national())
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
    fn every_procedure_asks_only_for_catalogued_types() {
        assert!(PROCEDURES.len() >= 5);
        for p in PROCEDURES.values() {
            assert!(
                super::super::ProcedureCode::parse(p.code).is_ok(),
                "{}",
                p.code
            );
            assert!(!p.document_types.is_empty(), "{}", p.code);
            for t in &p.document_types {
                assert!(
                    DocumentTypeCode::parse(t).is_ok(),
                    "{} asks for {t}",
                    p.code
                );
            }
        }
        let code = super::super::ProcedureCode::parse("1.001193.000.00.00.H49").unwrap();
        let birth = procedure(&code).unwrap();
        assert!(birth.may_ask_for(DocumentTypeCode::parse("id-card").unwrap()));
        assert!(!birth.may_ask_for(DocumentTypeCode::parse("diploma").unwrap()));
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
