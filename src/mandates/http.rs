//! `/v1/me/mandates` (whom the signed-in person may act for) and `/v1/me/act-as` (switch to one
//! of them, or back to oneself).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::MandateView;
use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::identity::{SignedIn, check_csrf, check_same_origin};
use crate::ids::OwnerIdentifier;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_mandates))
        .routes(routes!(act_as))
}

/// The active mandates of the signed-in person: the owners they may act for.
#[utoipa::path(get, path = "/v1/me/mandates", tag = "me", responses((status = 200, body = Vec<MandateView>), (status = 401, body = Problem)))]
async fn my_mandates(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<MandateView>>, ApiError> {
    Ok(Json(
        state
            .mandates
            .active_for_person(signed_in.session.person)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ActAs {
    /// The owner's personal ID or tax code; `null` to act as yourself again.
    owner: Option<String>,
}

/// Act for an owner under one of your active mandates, or as yourself again. Requires
/// `X-CSRF-Token`. Every request after it is checked against the mandate's scopes and dates.
#[utoipa::path(post, path = "/v1/me/act-as", tag = "me", request_body = ActAs,
    responses((status = 204), (status = 403, body = Problem)))]
async fn act_as(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActAs>,
) -> Result<StatusCode, ApiError> {
    check_same_origin(&headers, &state.settings)?;
    check_csrf(
        &signed_in.session,
        headers
            .get("x-csrf-token")
            .map(|v| v.as_bytes())
            .unwrap_or_default(),
    )?;
    let person = signed_in.session.person;
    let Some(owner) = body.owner else {
        state
            .sessions
            .act_as(&signed_in.token, &signed_in.session, person, None)
            .await?;
        return Ok(StatusCode::NO_CONTENT);
    };
    const NONE: ApiError = ApiError::Forbidden("no active mandate lets you act for this owner");
    let who = OwnerIdentifier::parse(&owner)?;
    let target = state.owners.find(&who).await?.ok_or(NONE)?;
    let mandates = state.mandates.active_for_person(person).await?;
    let mandate = mandates
        .iter()
        .find(|m| m.owner == who.to_string())
        .ok_or(NONE)?;
    state
        .sessions
        .act_as(
            &signed_in.token,
            &signed_in.session,
            target.id,
            Some(mandate.id),
        )
        .await?;
    tracing::info!(person = %person.0, owner = %target.id.0, mandate = %mandate.id, "acting under a mandate");
    Ok(StatusCode::NO_CONTENT)
}
