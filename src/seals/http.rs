//! The owner's seals — `GET /v1/me/documents/{id}/seal` (the token), `/seal.svg` and
//! `/seal.png` (the QR code) — and `POST /v1/verify/seal`, the public online check.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::store::Seal;
use super::{CheckError, SealKind, SealVerification, SealingError, png, svg};
use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::identity::OwnerSession;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_seal))
        .routes(routes!(get_seal_svg))
        .routes(routes!(get_seal_png))
        .routes(routes!(check_seal))
}

impl From<SealingError> for ApiError {
    fn from(e: SealingError) -> Self {
        match e {
            e @ SealingError::NotSealable => Self::Conflict(e.to_string()),
            SealingError::Document(e) => e.into(),
            SealingError::Store(e) => e.into(),
        }
    }
}

impl From<CheckError> for ApiError {
    fn from(e: CheckError) -> Self {
        match e {
            e @ (CheckError::Seal(_) | CheckError::OtherStore(_)) => {
                Self::InvalidSeal(e.to_string())
            }
            CheckError::Store(e) => e.into(),
        }
    }
}

/// A document's seal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SealView {
    seal_id: Uuid,
    kind: SealKind,
    /// The compact JWS the QR code holds (format: `docs/seal-format.md`).
    token: String,
    /// The store's key that signed it (at `/oauth/jwks`).
    signed_by: String,
    created_at: DateTime<Utc>,
}

async fn sealed(state: &AppState, session: &OwnerSession, id: Uuid) -> Result<Seal, ApiError> {
    session
        .may(&state.access, Action::ReadSeal, Subject::document(id))
        .await?;
    Ok(state.seals.seal_of(session.owner, id).await?)
}

/// The seal of an issued result, or of an uploaded document an official verified: made once,
/// the same every time after.
#[utoipa::path(get, path = "/v1/me/documents/{id}/seal", tag = "seals", params(("id" = Uuid, Path)),
    responses((status = 200, body = SealView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn get_seal(
    State(state): State<AppState>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SealView>, ApiError> {
    let seal = sealed(&state, &session, id).await?;
    Ok(Json(SealView {
        seal_id: seal.row.id,
        kind: seal.kind,
        token: seal.row.token,
        signed_by: seal.row.kid,
        created_at: seal.row.created_at,
    }))
}

/// The seal as a QR code, SVG.
#[utoipa::path(get, path = "/v1/me/documents/{id}/seal.svg", tag = "seals", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn get_seal_svg(
    State(state): State<AppState>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let seal = sealed(&state, &session, id).await?;
    let image = svg(&seal.row.token).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], image).into_response())
}

/// The seal as a QR code, PNG.
#[utoipa::path(get, path = "/v1/me/documents/{id}/seal.png", tag = "seals", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn get_seal_png(
    State(state): State<AppState>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let seal = sealed(&state, &session, id).await?;
    let image = png(&seal.row.token).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], image).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SealAsk {
    /// The seal's token, as read from its QR code.
    seal: String,
}

/// Checks a seal: its signature against the store's published keys, then the document's
/// current status. Nothing personal is answered; the answer carries a receipt signed by the
/// store. Rate-limited per client address, like `/v1/verify`.
#[utoipa::path(post, path = "/v1/verify/seal", tag = "verify", request_body = SealAsk,
    responses((status = 200, body = SealVerification), (status = 400, body = Problem), (status = 429, body = Problem)))]
async fn check_seal(
    State(state): State<AppState>,
    ConnectInfo(crate::app::Peer(peer, _)): ConnectInfo<crate::app::Peer>,
    headers: axum::http::HeaderMap,
    ApiJson(asked): ApiJson<SealAsk>,
) -> Result<Response, ApiError> {
    if let Some(refused) = crate::verify::http::rate_limited(&state, peer, &headers) {
        return Ok(refused);
    }
    Ok(Json(state.seals.check(&asked.seal).await?).into_response())
}
