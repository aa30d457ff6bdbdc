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
use crate::identity::SignedIn;
use crate::ids::OwnerIdentifier;
use crate::mandates::Mandates;
use crate::owners::OwnerId;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_mandates))
        .routes(routes!(act_as))
}

/// The active mandates of the signed-in person: the owners they may act for.
#[utoipa::path(get, path = "/v1/me/mandates", tag = "me", responses((status = 200, body = Vec<MandateView>), (status = 401, body = Problem)))]
async fn my_mandates(
    State(mandates): State<Mandates>,
    signed_in: SignedIn,
) -> Result<Json<Vec<MandateView>>, ApiError> {
    Ok(Json(
        mandates.active_for_person(signed_in.session.person).await?,
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
    signed_in.check_change(&headers, &state.settings)?;
    let person = signed_in.session.person;
    let (owner, mandate) = match body.owner {
        None => (person, None),
        Some(owner) => acting_for(&state, person, &owner).await?,
    };
    let (token, session) = (&signed_in.token, &signed_in.session);
    state
        .sessions
        .act_as(token, session, owner, mandate)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner named `owner` and the mandate under which `person` may act for them now (the
/// switcher page uses it too).
pub(crate) async fn acting_for(
    state: &AppState,
    person: OwnerId,
    owner: &str,
) -> Result<(OwnerId, Option<Uuid>), ApiError> {
    let who = OwnerIdentifier::parse(owner)?;
    let (owner, mandate) =
        state
            .mandates
            .acting_for(person, &who)
            .await?
            .ok_or(ApiError::Forbidden(
                "no active mandate lets you act for this owner",
            ))?;
    tracing::info!(person = %person.0, owner = %owner.0, %mandate, "acting under a mandate");
    Ok((owner, Some(mandate)))
}
