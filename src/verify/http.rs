//! `POST /v1/verify`: JSON `{"result_code", "sha256"}`, or multipart `result_code` then `file`
//! (hashed as it streams, never stored). Rate-limited per client address.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Multipart;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{OfficialError, OfficialVerification, Verification};
use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::identity::OwnerSession;
use crate::ids::ResultCode;
use crate::verify::Verifier;

impl From<OfficialError> for ApiError {
    fn from(e: OfficialError) -> Self {
        match e {
            OfficialError::Denied(denied) => denied.into(),
            OfficialError::InvalidField(e) => e.into(),
            OfficialError::NoCase => ApiError::BadRequest(e.to_string()),
            OfficialError::NotFound => ApiError::NotFound,
            OfficialError::Document(e) => e.into(),
            OfficialError::Store(e) => e.into(),
        }
    }
}

pub fn router(max_upload_bytes: u64) -> OpenApiRouter<AppState> {
    let limit = usize::try_from(max_upload_bytes.saturating_add(64 * 1024)).unwrap_or(usize::MAX);
    OpenApiRouter::new()
        .routes(routes!(verify_document))
        .routes(routes!(verify_as_official))
        .routes(routes!(mark_as_verified))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ByHash {
    /// `<dossier code>-KQ<n>`.
    result_code: String,
    /// Hex SHA-256 of the document's content.
    sha256: String,
}

/// The same question with the file itself, hashed on the server as it streams (never kept).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the form for the OpenAPI document only
struct ByFile {
    /// `<dossier code>-KQ<n>`, sent before `file`.
    result_code: String,
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Is this document genuine, and valid? Nothing personal is answered. The answer carries a
/// receipt signed by the store.
#[utoipa::path(post, path = "/v1/verify", tag = "verify",
    request_body(content((ByHash = "application/json"), (ByFile = "multipart/form-data"))),
    responses((status = 200, body = Verification), (status = 400, body = Problem), (status = 429, body = Problem)))]
async fn verify_document(
    State(state): State<AppState>,
    ConnectInfo(crate::app::Peer(peer, _)): ConnectInfo<crate::app::Peer>,
    request: Request,
) -> Result<Response, ApiError> {
    if let Some(refused) = rate_limited(&state, peer, request.headers()) {
        return Ok(refused);
    }
    // A body declared larger than the limit is refused before a byte of it is read.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = state.settings.max_upload_bytes.saturating_add(64 * 1024);
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::BodyTooLarge);
    }
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (code, sha256) = if multipart {
        let form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        from_file(form).await?
    } else {
        let Json(asked) = Json::<ByHash>::from_request(request, &state).await?;
        (
            ResultCode::parse(&asked.result_code)?,
            sha256_hex(&asked.sha256)?,
        )
    };
    let answer = state.verifier.verify(&code, &sha256).await?;
    Ok(Json(answer).into_response())
}

/// Counts a verification from the client behind `peer`; the 429 to answer when it is over the
/// limit.
pub fn rate_limited(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    state.limits.verify_refusal(peer, headers)
}

/// A SHA-256 as 64 hex digits, lower-cased.
fn sha256_hex(input: &str) -> Result<String, ApiError> {
    let sha256 = input.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest("sha256 must be 64 hex digits".into()));
    }
    Ok(sha256)
}

/// `result_code`, then `file`: the file is hashed as it streams.
async fn from_file(mut form: Multipart) -> Result<(ResultCode, String), ApiError> {
    let mut code = None;
    while let Some(mut field) = form.next_field().await? {
        match field.name().unwrap_or_default() {
            "result_code" if code.is_none() => {
                let text = crate::app::multipart::small_text(field).await?;
                code = Some(ResultCode::parse(&text)?);
            }
            "file" => {
                let code = code.ok_or_else(|| {
                    ApiError::BadRequest("`result_code` must come before `file`".into())
                })?;
                let mut hasher = Sha256::new();
                while let Some(chunk) = field.chunk().await? {
                    hasher.update(&chunk);
                }
                return Ok((code, hex::encode(hasher.finalize())));
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unexpected form field `{other}`: send `result_code`, then `file`"
                )));
            }
        }
    }
    Err(ApiError::BadRequest("the form has no `file` field".into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OfficialAsk {
    result_code: String,
    sha256: String,
    /// The case this look-up is for (mandatory; written to the owner's access log).
    case_ref: Option<String>,
}

/// For a signed-in official: the public answer plus whose document it is and its type. The
/// look-up is logged for the owner with the official and the case. Requires `X-CSRF-Token`.
#[utoipa::path(post, path = "/v1/official/verify", tag = "verify", request_body = OfficialAsk,
    responses((status = 200, body = OfficialVerification), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn verify_as_official(
    State(verifier): State<Verifier>,
    session: OwnerSession,
    ApiJson(asked): ApiJson<OfficialAsk>,
) -> Result<Json<OfficialVerification>, ApiError> {
    let sha256 = sha256_hex(&asked.sha256)?;
    let code = ResultCode::parse(&asked.result_code)?;
    Ok(Json(
        verifier
            .official_verify(
                &session.principal(),
                &code,
                &sha256,
                asked.case_ref.as_deref(),
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MarkVerified {
    /// The owner's personal ID or tax code.
    owner: String,
    document: uuid::Uuid,
    /// How the document was checked, e.g. "against the original at the counter".
    method: String,
    /// The case (mandatory; written to the owner's access log).
    case_ref: Option<String>,
}

/// For a signed-in official: record that an owner's uploaded document was checked against its
/// original (shown to the owner as its provenance). Logged for the owner with the case.
/// Requires `X-CSRF-Token`.
#[utoipa::path(post, path = "/v1/official/documents/verified", tag = "verify", request_body = MarkVerified,
    responses((status = 200, body = crate::documents::DocumentView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn mark_as_verified(
    State(verifier): State<Verifier>,
    session: OwnerSession,
    ApiJson(mark): ApiJson<MarkVerified>,
) -> Result<Json<crate::documents::DocumentView>, ApiError> {
    let owner = crate::ids::OwnerIdentifier::parse(&mark.owner)?;
    Ok(Json(
        verifier
            .official_mark_verified(
                &session.principal(),
                &owner,
                mark.document,
                &mark.method,
                mark.case_ref.as_deref(),
            )
            .await?,
    ))
}
