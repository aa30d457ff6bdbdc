//! `POST /v1/issuer/documents`: multipart, `signed` (the compact JWS) first, then `file`.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum_extra::extract::Multipart;
use futures_util::StreamExt;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{PushError, Pushed, StatusView};
use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::issued::IssuedResults;

/// The largest statement a push may carry: the longest fields the metadata allows (a 500-character
/// title, 200-character name, 100-character number, each up to 4 bytes a character), in
/// base64url, with a header and an RSA-4096 signature, fit well within it.
const MAX_SIGNED_BYTES: usize = 16 * 1024;

pub fn router(max_upload_bytes: u64) -> OpenApiRouter<AppState> {
    let limit = usize::try_from(max_upload_bytes.saturating_add(64 * 1024)).unwrap_or(usize::MAX);
    OpenApiRouter::new()
        .routes(routes!(push_document))
        .routes(routes!(change_document_status))
        .layer(DefaultBodyLimit::max(limit))
}

impl From<PushError> for ApiError {
    fn from(e: PushError) -> Self {
        match e {
            PushError::Signature(why) => {
                tracing::warn!(reason = %why, "issuer push refused");
                ApiError::InvalidSignature(why)
            }
            PushError::Invalid(why) => ApiError::BadRequest(why),
            e @ PushError::WrongAgency { .. } => ApiError::NotPermitted(e.to_string()),
            e @ PushError::Conflict(_) => ApiError::Conflict(e.to_string()),
            e @ PushError::Stale => ApiError::Conflict(e.to_string()),
            e @ PushError::Unavailable(_) => ApiError::RetryLater(e.to_string()),
            PushError::NotFound => ApiError::NotFound,
            PushError::Document(e) => e.into(),
            PushError::Store(e) => e.into(),
        }
    }
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct PushForm {
    /// Compact JWS by a key in the issuer's registered JWKS: `{"iss": client id, "aud": Kho's
    /// issuer URL, "iat", "document": {owner, type, title, number, issuing_agency, issue_date,
    /// valid_until, dossier, result_code, procedure}, "sha256": hex of the content}`.
    signed: String,
    /// The content (PDF, JPEG, PNG, XML or JSON); its SHA-256 must be the signed one.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Push an issued result into its owner's store (idempotent on the result code: the same push
/// again is `200` with the same id; other content under the code is `409`).
#[utoipa::path(post, path = "/v1/issuer/documents", tag = "issuer",
    request_body(content = PushForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Pushed), (status = 200, body = Pushed), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn push_document(
    State(issued): State<IssuedResults>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Pushed>), ApiError> {
    let mut signed = None;
    while let Some(field) = multipart.next_field().await? {
        match field.name().unwrap_or_default() {
            "signed" if signed.is_none() => {
                signed = Some(crate::app::multipart::text_field(field, MAX_SIGNED_BYTES).await?);
            }
            "file" => {
                let jws = signed.ok_or_else(|| {
                    ApiError::BadRequest("the `signed` field must come before `file`".into())
                })?;
                let mut body = crate::app::multipart::last_file(field, multipart);
                let pushed = issued.push(jws.trim(), &mut body).await;
                // Whatever the answer, read what the issuer is still sending (the body limit
                // bounds it), so that it gets the answer rather than a reset connection.
                while let Some(Ok(_)) = body.next().await {}
                let pushed = pushed?;
                let status = if pushed.created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                return Ok((status, Json(pushed)));
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unexpected form field `{other}`: send `signed`, then `file`"
                )));
            }
        }
    }
    Err(ApiError::BadRequest("the form has no `file` field".into()))
}

/// A signed status change.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    /// Compact JWS by a key in the issuer's registered JWKS: `{"iss", "aud", "iat",
    /// "result_code", "change": {"kind": "revoke", "reason", "effective_at"?} |
    /// {"kind": "valid_until", "valid_until": "YYYY-MM-DD" | null}}`.
    signed: String,
}

/// Revoke an issued result or change its valid-until date (idempotent). Revoked results stay
/// stored and visible, with their status and its time; portals are refused their content.
#[utoipa::path(post, path = "/v1/issuer/status", tag = "issuer", request_body = StatusChange,
    responses((status = 200, body = StatusView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
async fn change_document_status(
    State(issued): State<IssuedResults>,
    ApiJson(change): ApiJson<StatusChange>,
) -> Result<Json<StatusView>, ApiError> {
    Ok(Json(issued.change_status(change.signed.trim()).await?))
}
