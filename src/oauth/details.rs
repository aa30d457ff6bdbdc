//! What a portal asks for: RFC 9396 `authorization_details` with exactly one entry of type
//! `document_access` — one purpose per consent — checked against the procedure catalogue.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{DocumentTypeCode, DossierCode, ProcedureCode, Text, procedure};

pub const DOCUMENT_ACCESS: &str = "document_access";
/// The longest a consent may last: 30 days.
pub const MAX_EXPIRES_IN: i64 = 30 * 24 * 3600;
/// When a request names no `expires_in`: one day.
pub const DEFAULT_EXPIRES_IN: i64 = 24 * 3600;
const MAX_PURPOSE_CHARS: usize = 500;

/// One-time or until the consent's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Once,
    UntilExpiry,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::UntilExpiry => "until_expiry",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        if s == "until_expiry" {
            Self::UntilExpiry
        } else {
            Self::Once
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    procedure: Option<String>,
    dossier: Option<String>,
    purpose: Option<String>,
    document_types: Option<Vec<String>>,
    access: Option<Access>,
    expires_in: Option<i64>,
}

/// A checked `document_access` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentAccess {
    pub procedure: String,
    pub dossier: Option<String>,
    pub purpose: String,
    pub document_types: Vec<String>,
    pub access: Access,
    pub expires_in: i64,
}

/// Parses and checks the `authorization_details` parameter; the error is the
/// `error_description` of an `invalid_authorization_details` answer.
pub fn parse(json: &str) -> Result<DocumentAccess, String> {
    let raws: Vec<Raw> = serde_json::from_str(json)
        .map_err(|e| format!("authorization_details is not a valid array of objects: {e}"))?;
    let [raw] = <[Raw; 1]>::try_from(raws).map_err(|_| {
        "authorization_details must hold exactly one entry: one purpose per consent".to_owned()
    })?;
    if raw.kind != DOCUMENT_ACCESS {
        return Err(format!(
            "authorization_details type must be \"{DOCUMENT_ACCESS}\""
        ));
    }
    let code = ProcedureCode::parse(raw.procedure.as_deref().ok_or("procedure is required")?)
        .map_err(|e| e.to_string())?;
    let entry = procedure(&code)
        .ok_or_else(|| format!("procedure {code} is not in the procedure catalogue"))?;
    let dossier = raw
        .dossier
        .as_deref()
        .map(DossierCode::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let purpose = raw
        .purpose
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or("purpose is required: say in plain language why the documents are needed")?;
    let purpose = Text::parse(purpose, "purpose", MAX_PURPOSE_CHARS).map_err(|e| e.to_string())?;
    let types = raw.document_types.unwrap_or_default();
    if types.is_empty() {
        return Err("document_types must name at least one document type".into());
    }
    let mut document_types = Vec::with_capacity(types.len());
    for t in &types {
        let code_of_type = DocumentTypeCode::parse(t).map_err(|e| format!("{t}: {e}"))?;
        if !entry.may_ask_for(code_of_type) {
            return Err(format!(
                "procedure {} may not ask for document type {t}",
                entry.code
            ));
        }
        if !document_types.contains(&t.trim().to_owned()) {
            document_types.push(t.trim().to_owned());
        }
    }
    let expires_in = raw.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(format!(
            "expires_in must be between 1 and {MAX_EXPIRES_IN} seconds (30 days)"
        ));
    }
    Ok(DocumentAccess {
        procedure: code.to_string(),
        dossier: dossier.map(|d| d.to_string()),
        purpose: purpose.as_str().to_owned(),
        document_types,
        access: raw.access.unwrap_or(Access::Once),
        expires_in,
    })
}

/// What the owner granted, as the token response and introspection return it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Granted {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub procedure: String,
    pub dossier: Option<String>,
    pub purpose: String,
    pub document_types: Vec<String>,
    pub access: Access,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub consent_id: Uuid,
    /// The documents the owner chose.
    pub documents: Vec<Uuid>,
    /// Asked-for types of which no document was granted: the owner has none, or chose none.
    pub not_provided: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(extra: &str) -> String {
        format!(
            r#"[{{"type":"document_access","procedure":"1.001193","purpose":"Đăng ký khai sinh cho con","document_types":["id-card"]{extra}}}]"#
        )
    }

    #[test]
    fn a_well_formed_request_is_accepted_with_defaults() {
        let got = parse(&ask("")).unwrap();
        assert_eq!(got.procedure, "1.001193");
        assert_eq!(got.access, Access::Once);
        assert_eq!(got.expires_in, DEFAULT_EXPIRES_IN);
    }

    #[test]
    fn what_the_catalogue_does_not_allow_is_refused() {
        let unknown = ask("").replace("1.001193", "9.999999");
        assert!(
            parse(&unknown)
                .unwrap_err()
                .contains("not in the procedure catalogue")
        );
        let wrong_type = ask("").replace("\"id-card\"", "\"diploma\"");
        assert!(parse(&wrong_type).unwrap_err().contains("may not ask for"));
        assert!(
            parse(&ask(r#","expires_in":2592001"#))
                .unwrap_err()
                .contains("30 days")
        );
        assert!(parse(&ask(r#","expires_in":0"#)).is_err());
        let no_purpose = ask("").replace("Đăng ký khai sinh cho con", " ");
        assert!(
            parse(&no_purpose)
                .unwrap_err()
                .contains("purpose is required")
        );
        assert!(parse(&ask(r#","colour":"red""#)).is_err());
        assert!(parse(&ask(r#","dossier":"not-a-dossier""#)).is_err());
        assert!(parse("[]").is_err());
        assert!(parse(&format!("[{0},{0}]", &ask("")[1..ask("").len() - 1])).is_err());
        assert!(parse(&ask("").replace("document_access", "payment")).is_err());
    }
}
