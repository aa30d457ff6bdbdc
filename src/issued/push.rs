//! Checking a push and storing it once.

use bytes::Bytes;
use chrono::NaiveDate;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::IssuedResults;
use crate::clients::{self, AssertionError, verify_signed};
use crate::documents::{self, BodyError, Destination, DocumentError, IssuedBy, NewDocument};
use crate::ids::{
    AgencyCode, DocumentTypeCode, DossierCode, OwnerIdentifier, ParseError, ProcedureCode,
    ResultCode, Text,
};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::clients as client_rows;

/// Why a push was refused.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// 401: not signed by a key of an enabled issuer.
    #[error("the push is not signed by a registered issuer key: {0}")]
    Signature(String),
    /// 400: the signed metadata is malformed or breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// 503: the issuer's registered keys cannot be fetched just now; send it again later.
    #[error("the issuer's keys cannot be fetched just now: {0}")]
    Unavailable(String),
    /// 403: the agency is not the issuer's.
    #[error("issuer {client} may only push results of its own agency {agency}")]
    WrongAgency { client: String, agency: String },
    /// 404: no result of this issuer under that code.
    #[error("no result of yours is stored under this result code")]
    NotFound,
    /// 409: a status statement signed no later than the last one applied.
    #[error("a status statement signed at the same time or later was already applied")]
    Stale,
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
    /// The owner's name as on the result (kept, sealed, for officials' look-ups, when the
    /// store knows no name yet).
    owner_name: Option<String>,
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

/// A push's statement, checked: every code and date parsed, the agency the issuer's own.
struct Checked {
    result_code: ResultCode,
    owner: OwnerIdentifier,
    owner_name: Option<Text>,
    supersedes: Option<String>,
    sha256: String,
    new: NewDocument,
}

/// Checks what `client` signed in `claims`.
fn check(client: &client_rows::Model, claims: Claims) -> Result<Checked, PushError> {
    let meta = claims.document;
    let agency = AgencyCode::parse(&meta.issuing_agency)?;
    if agency.as_str() != client.agency_code {
        return Err(PushError::WrongAgency {
            client: client.client_id.clone(),
            agency: client.agency_code.clone(),
        });
    }
    let result_code = ResultCode::parse(&meta.result_code)?;
    if result_code.dossier() != &DossierCode::parse(&meta.dossier)? {
        return Err(PushError::Invalid(
            "the result code must be the dossier code followed by -KQ<n>".into(),
        ));
    }
    // Result codes are unique store-wide, first come first served: an issuer may take only codes
    // of dossiers its own agency received, or it could claim — and shadow — another's results.
    if result_code.dossier().agency().as_str() != client.agency_code {
        return Err(PushError::WrongAgency {
            client: client.client_id.clone(),
            agency: client.agency_code.clone(),
        });
    }
    ProcedureCode::parse(&meta.procedure)?;
    let owner = OwnerIdentifier::parse(&meta.owner)?;
    let optional = |value: Option<&str>, what: &'static str, max: usize| {
        value
            .filter(|v| !v.trim().is_empty())
            .map(|v| Text::parse(v, what, max))
            .transpose()
    };
    let owner_name = optional(meta.owner_name.as_deref(), "owner name", 200)?;
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
        number: optional(meta.number.as_deref(), "number", 100)?,
        issuing_agency: Some(agency),
        issue_date: Some(issue_date),
        valid_until,
    };
    Ok(Checked {
        result_code,
        owner,
        owner_name,
        supersedes: meta.supersedes,
        sha256,
        new,
    })
}

impl IssuedResults {
    /// Checks the signed push `jws`, then stores `content` for its owner — or finds the same
    /// push already stored.
    pub async fn push<S>(&self, jws: &str, content: S) -> Result<Pushed, PushError>
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
    {
        let (client, claims): (_, Claims) = self.verified_issuer(jws).await?;
        let checked = check(&client, claims)?;
        let destination = self.destination(&checked.owner).await?;
        let owner_id = match &destination {
            Destination::Existing(id) => *id,
            Destination::New(new) => new.id,
        };
        let result_code = checked.result_code;
        let supersedes = match checked.supersedes.as_deref() {
            Some(code) => Some(
                self.earlier_result(code, &result_code, owner_id, &client)
                    .await?,
            ),
            None => None,
        };
        if let Some(done) = self.already(&result_code, jws).await? {
            return Ok(done);
        }
        let issued = IssuedBy {
            client_id: client.client_id.clone(),
            result_code: result_code.clone(),
            sha256: checked.sha256,
            signature: jws.to_owned(),
            supersedes,
        };
        let stored = self
            .documents
            .store_document(destination, checked.new, Some(issued), content)
            .await;
        match stored {
            Ok(view) => {
                if let Some(name) = &checked.owner_name {
                    self.owners.remember_name(owner_id, name, true).await?;
                }
                Ok(Pushed {
                    id: view.id,
                    result_code: result_code.to_string(),
                    created: true,
                })
            }
            // Another push of the same code won the race: the same push is fine, another is not.
            Err(DocumentError::DuplicateResult) => self
                .already(&result_code, jws)
                .await?
                .ok_or_else(|| PushError::Conflict(result_code.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// Where a push for `owner` goes. A new owner's store is written only with the document, so
    /// a refused push leaves none.
    async fn destination(&self, owner: &OwnerIdentifier) -> Result<Destination, PushError> {
        Ok(match self.owners.find(owner).await? {
            Some(found) if self.owners.data_key(found.id).await?.is_some() => {
                Destination::Existing(found.id)
            }
            // An erasure stopped after destroying the key: finishing it gives a fresh store.
            Some(_) => Destination::Existing(self.owners.find_or_create(owner).await?.id),
            None => Destination::New(Box::new(self.owners.prepare(owner)?)),
        })
    }

    /// The issuer's earlier result `code`, of the same owner, that a push supersedes.
    async fn earlier_result(
        &self,
        code: &str,
        pushed: &ResultCode,
        owner: OwnerId,
        client: &client_rows::Model,
    ) -> Result<Uuid, PushError> {
        let code = ResultCode::parse(code)?;
        if &code == pushed {
            return Err(PushError::Invalid(
                "a result cannot supersede itself".into(),
            ));
        }
        self.documents
            .by_result_code(&code)
            .await?
            .filter(|r| {
                r.owner_id == owner.0
                    && r.issuer_client.as_deref() == Some(client.client_id.as_str())
            })
            .map(|r| r.id)
            .ok_or_else(|| {
                PushError::Invalid(format!(
                    "supersedes names {code}, which is not a result of yours for this owner"
                ))
            })
    }

    /// The enabled issuer that signed `jws` with one of its registered keys, for Kho, and the
    /// statement's claims.
    pub(super) async fn verified_issuer<T: serde::de::DeserializeOwned>(
        &self,
        jws: &str,
    ) -> Result<(client_rows::Model, T), PushError> {
        let claimed = clients::claimed_client(jws)
            .ok_or_else(|| PushError::Signature("the JWS names no issuer (iss)".into()))?;
        let client = clients::find_enabled(&self.db, &claimed)
            .await?
            .filter(|c| c.role == "issuer")
            .ok_or_else(|| PushError::Signature(format!("{claimed} is not an enabled issuer")))?;
        let audience = self.signer.issuer();
        let claims: T =
            verify_signed(&client, jws, audience)
                .await
                .map_err(|e: AssertionError| match e {
                    AssertionError::Store(e) => PushError::Store(e),
                    AssertionError::Keys(why) => PushError::Unavailable(why),
                    other => PushError::Signature(other.to_string()),
                })?;
        Ok((client, claims))
    }

    /// The document stored under `result_code`, if it is this very push — the same issuer signed
    /// the same metadata over the same content, whenever it signed it; a conflict if another.
    async fn already(
        &self,
        result_code: &ResultCode,
        jws: &str,
    ) -> Result<Option<Pushed>, PushError> {
        let existing = self.documents.by_result_code(result_code).await?;
        let Some(row) = existing else {
            return Ok(None);
        };
        let stored = match self.owners.data_key(OwnerId(row.owner_id)).await? {
            Some(key) => documents::issuer_signature(&key, &row).map_err(StoreError::from)?,
            None => None,
        };
        let same = stored
            .as_deref()
            .and_then(signed_push)
            .zip(signed_push(jws))
            .is_some_and(|(stored, pushed)| stored == pushed);
        if !same {
            return Err(PushError::Conflict(result_code.to_string()));
        }
        Ok(Some(Pushed {
            id: row.id,
            result_code: result_code.to_string(),
            created: false,
        }))
    }
}

/// What a push states, without when it was signed: its issuer, metadata and content hash. Read
/// from a JWS whose signature was already checked (the stored one when it was pushed).
fn signed_push(jws: &str) -> Option<(serde_json::Value, serde_json::Value, String)> {
    use base64::Engine;
    let payload = jws.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let mut claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).ok()?;
    let sha256 = claims.get("sha256")?.as_str()?.to_ascii_lowercase();
    Some((claims.remove("iss")?, claims.remove("document")?, sha256))
}

fn date(s: &str, what: &'static str) -> Result<NaiveDate, PushError> {
    Ok(crate::ids::parse_date(s, what)?)
}
