//! Checking a push and storing it once.

use bytes::Bytes;
use chrono::NaiveDate;
use futures_util::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::AppState;
use crate::clients::{self, AssertionError, verify_signed};
use crate::documents::{self, BodyError, DocumentError, IssuedBy, NewDocument, Status};
use crate::ids::{
    AgencyCode, DocumentTypeCode, DossierCode, OwnerIdentifier, ParseError, ProcedureCode,
    ResultCode, Text,
};
use crate::owners;
use crate::storage::StoreError;
use crate::storage::entities::documents as document_rows;

/// Why a push was refused.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// 401: not signed by a key of an enabled issuer.
    #[error("the push is not signed by a registered issuer key: {0}")]
    Signature(String),
    /// 400: the signed metadata is malformed or breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// 403: the agency is not the issuer's.
    #[error("issuer {client} may only push results of its own agency {agency}")]
    WrongAgency { client: String, agency: String },
    /// 404: no result of this issuer under that code.
    #[error("no result of yours is stored under this result code")]
    NotFound,
    /// 409: another document is already stored under this result code.
    #[error("another document is already stored under result code {0}")]
    Conflict(String),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ParseError> for PushError {
    fn from(e: ParseError) -> Self {
        Self::Invalid(e.to_string())
    }
}

/// The signed statement of a push.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    #[allow(dead_code)]
    iss: String,
    #[allow(dead_code)]
    aud: serde_json::Value,
    #[allow(dead_code)]
    iat: Option<f64>,
    document: Metadata,
    /// Lower-case hex SHA-256 of the content.
    sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    /// The owner's personal ID or tax code.
    owner: String,
    #[serde(rename = "type")]
    type_code: String,
    title: String,
    number: Option<String>,
    issuing_agency: String,
    issue_date: String,
    valid_until: Option<String>,
    dossier: String,
    result_code: String,
    procedure: String,
    /// The result code of the earlier result of this issuer, for this owner, that this one
    /// replaces (a new version): it becomes `superseded`.
    supersedes: Option<String>,
}

/// What the issuer gets back: never anything of the owner's.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Pushed {
    pub id: Uuid,
    pub result_code: String,
    /// `false` when this push repeated one already stored.
    pub created: bool,
}

/// Checks the signed push `jws`, then stores `content` for its owner — or finds the same
/// push already stored.
pub async fn push<S>(state: &AppState, jws: &str, content: S) -> Result<Pushed, PushError>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    let (client, claims): (_, Claims) = verified_issuer(state, jws).await?;
    let meta = claims.document;
    let agency = AgencyCode::parse(&meta.issuing_agency)?;
    if agency.as_str() != client.agency_code {
        return Err(PushError::WrongAgency {
            client: client.client_id,
            agency: client.agency_code,
        });
    }
    let result_code = ResultCode::parse(&meta.result_code)?;
    let dossier = DossierCode::parse(&meta.dossier)?;
    if result_code.dossier() != &dossier {
        return Err(PushError::Invalid(
            "the result code must be the dossier code followed by -KQ<n>".into(),
        ));
    }
    ProcedureCode::parse(&meta.procedure)?;
    let owner = OwnerIdentifier::parse(&meta.owner)?;
    let issue_date = date(&meta.issue_date, "issue date")?;
    let valid_until = meta
        .valid_until
        .as_deref()
        .map(|d| date(d, "valid until"))
        .transpose()?;
    if valid_until.is_some_and(|until| until < issue_date) {
        return Err(PushError::Invalid(
            "valid_until is before issue_date".into(),
        ));
    }
    let sha256 = claims.sha256.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PushError::Invalid("sha256 must be 64 hex digits".into()));
    }
    let new = NewDocument {
        type_code: DocumentTypeCode::parse(&meta.type_code)?,
        title: Text::parse(&meta.title, "title", 500)?,
        number: meta
            .number
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| Text::parse(n, "number", 100))
            .transpose()?,
        issuing_agency: Some(agency),
        issue_date: Some(issue_date),
        valid_until,
    };
    let owner = owners::find_or_create(&state.db, &state.keys, &owner).await?;
    let supersedes = match meta.supersedes.as_deref() {
        Some(code) => {
            let code = ResultCode::parse(code)?;
            if code == result_code {
                return Err(PushError::Invalid(
                    "a result cannot supersede itself".into(),
                ));
            }
            let earlier = document_rows::Entity::find()
                .filter(document_rows::Column::ResultCode.eq(code.to_string()))
                .one(&state.db)
                .await
                .map_err(StoreError::from)?
                .filter(|r| {
                    r.owner_id == owner.id.0
                        && r.issuer_client.as_deref() == Some(client.client_id.as_str())
                })
                .ok_or_else(|| {
                    PushError::Invalid(format!(
                        "supersedes names {code}, which is not a result of yours for this owner"
                    ))
                })?;
            Some(earlier.id)
        }
        None => None,
    };
    if let Some(done) = already(state, &result_code, &sha256, owner.id.0).await? {
        supersede(state, supersedes).await?;
        return Ok(done);
    }
    let issued = IssuedBy {
        client_id: client.client_id.clone(),
        result_code: result_code.clone(),
        sha256: sha256.clone(),
        signature: jws.to_owned(),
    };
    match documents::store_document(state, owner.id, new, Some(issued), content).await {
        Ok(view) => {
            supersede(state, supersedes).await?;
            Ok(Pushed {
                id: view.id,
                result_code: result_code.to_string(),
                created: true,
            })
        }
        // Another push of the same code won the race: the same push is fine, another is not.
        Err(DocumentError::DuplicateResult) => already(state, &result_code, &sha256, owner.id.0)
            .await?
            .ok_or_else(|| PushError::Conflict(result_code.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Marks the earlier result `superseded` (once: a revoked or already superseded one keeps its
/// status). It stays stored and visible.
async fn supersede(state: &AppState, earlier: Option<Uuid>) -> Result<(), PushError> {
    let Some(earlier) = earlier else {
        return Ok(());
    };
    document_rows::Entity::update_many()
        .col_expr(
            document_rows::Column::Status,
            sea_orm::sea_query::Expr::value(Status::Superseded.as_str()),
        )
        .col_expr(
            document_rows::Column::StatusChangedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(document_rows::Column::Id.eq(earlier))
        .filter(document_rows::Column::Status.eq(Status::Valid.as_str()))
        .exec(&state.db)
        .await
        .map_err(StoreError::from)?;
    Ok(())
}

/// The enabled issuer that signed `jws` with one of its registered keys, for Kho, and the
/// statement's claims.
pub(super) async fn verified_issuer<T: serde::de::DeserializeOwned>(
    state: &AppState,
    jws: &str,
) -> Result<(crate::storage::entities::clients::Model, T), PushError> {
    let claimed = clients::claimed_client(jws)
        .ok_or_else(|| PushError::Signature("the JWS names no issuer (iss)".into()))?;
    let client = clients::find_enabled(&state.db, &claimed)
        .await?
        .filter(|c| c.role == "issuer")
        .ok_or_else(|| PushError::Signature(format!("{claimed} is not an enabled issuer")))?;
    let audience = crate::oauth::issuer(state);
    let claims: T = verify_signed(&client, jws, &audience)
        .await
        .map_err(|e: AssertionError| PushError::Signature(e.to_string()))?;
    Ok((client, claims))
}

/// The document stored under `result_code`, if it is this very push; a conflict if another.
async fn already(
    state: &AppState,
    result_code: &ResultCode,
    sha256: &str,
    owner: Uuid,
) -> Result<Option<Pushed>, PushError> {
    let existing = document_rows::Entity::find()
        .filter(document_rows::Column::ResultCode.eq(result_code.to_string()))
        .one(&state.db)
        .await
        .map_err(StoreError::from)?;
    match existing {
        None => Ok(None),
        Some(row) if row.sha256 == sha256 && row.owner_id == owner => Ok(Some(Pushed {
            id: row.id,
            result_code: result_code.to_string(),
            created: false,
        })),
        Some(_) => Err(PushError::Conflict(result_code.to_string())),
    }
}

fn date(s: &str, what: &'static str) -> Result<NaiveDate, PushError> {
    Ok(crate::documents::http::parse_date(s, what)?)
}
