//! `/v1/me`: who is signed in (with the CSRF token for later requests), sign-out, and erasure.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::CookieJar;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::identity::OwnerSession;
use crate::identity::Sessions;
use crate::owners::Owners;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, erase_me))
        .routes(routes!(sign_out))
}

/// The signed-in owner.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Me {
    /// Personal ID or tax code.
    identifier: String,
    /// `citizen` or `organisation`.
    kind: &'static str,
    /// The owner's name, when known (from the identity provider, or an issuer's push).
    name: Option<String>,
    /// Send this in `X-CSRF-Token` with every request that changes data.
    csrf_token: String,
    /// Signed in with the official role.
    official: bool,
    /// When acting for this owner under a mandate: the signed-in person's own identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    acting_person: Option<String>,
    /// What this session may do for the owner.
    scopes: crate::mandates::Scopes,
}

/// Who is signed in, and the CSRF token of the session.
#[utoipa::path(get, path = "/v1/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, session: OwnerSession) -> Result<Json<Me>, ApiError> {
    let identifier = state
        .owners
        .identifier(session.owner)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(Json(Me {
        kind: identifier.kind().as_str(),
        name: state.owners.name(session.owner).await?,
        identifier: identifier.to_string(),
        csrf_token: session.csrf_token,
        official: session.official,
        acting_person: match session.mandate {
            Some(_) => state
                .owners
                .identifier(session.person)
                .await?
                .map(|i| i.to_string()),
            None => None,
        },
        scopes: session.scopes,
    }))
}

/// End this session. Requires `X-CSRF-Token`.
#[utoipa::path(post, path = "/v1/me/sign-out", tag = "me", responses((status = 204), (status = 401, body = Problem)))]
async fn sign_out(
    State(sessions): State<Sessions>,
    _session: OwnerSession,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    if let Some(token) = CookieJar::from_headers(&headers).get(sessions.cookie_name()) {
        sessions.delete(token.value()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Erase the owner's whole store: the data key is destroyed first, so nothing of it can be
/// decrypted again; then the content and the rows. Requires `X-CSRF-Token`.
#[utoipa::path(delete, path = "/v1/me", tag = "me", responses((status = 200, body = inline(super::ErasureReport)), (status = 403, body = Problem)))]
async fn erase_me(
    State(owners): State<Owners>,
    session: OwnerSession,
) -> Result<Json<super::ErasureReport>, ApiError> {
    session.principal().require_self()?;
    Ok(Json(owners.erase(session.owner).await?))
}
