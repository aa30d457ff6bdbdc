//! `POST /oauth/bc-authorize` (OpenID CIBA Core, poll mode): a portal asks for an owner's
//! documents when the owner is not at the portal. `login_hint` is the owner's personal ID or
//! tax code; the request waits in the owner's inbox (`GET /v1/me/consents?status=pending`)
//! with the `binding_message`, and the portal polls the token endpoint.
//!
//! An identifier Kho has never seen gets a store (as an issued document would), so the answer
//! never tells a portal whether someone has used Kho.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Duration;
use serde_json::json;

use super::form::OAuthForm;
use super::{OAuthError, authenticate_portal, no_store};
use crate::app::AppState;
use crate::consents::NewConsent;
use crate::ids::{OwnerIdentifier, Text};
use crate::oauth::{details, handles};
use crate::storage::entities::consents as consent_rows;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// How long a request waits for the owner.
const REQUEST_LIFETIME_SECS: i64 = 600;
/// The minimum seconds between two polls.
const INTERVAL_SECS: i32 = 5;
const MAX_BINDING_MESSAGE_CHARS: usize = 100;
/// Requests one portal may have waiting in one owner's inbox.
const MAX_PENDING_PER_OWNER: u64 = 3;

pub async fn backchannel(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client =
        authenticate_portal(&state.client_auth, &headers, &form, "/oauth/bc-authorize").await?;
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if get("login_hint_token").is_some() || get("id_token_hint").is_some() {
        return Err(OAuthError::invalid_request(
            "only login_hint (the owner's personal ID or tax code) is supported",
        ));
    }
    if get("client_notification_token").is_some() {
        return Err(OAuthError::invalid_request(
            "only the poll delivery mode is supported",
        ));
    }
    let hint = get("login_hint").ok_or_else(|| {
        OAuthError::invalid_request("login_hint (the owner's identifier) is required")
    })?;
    let who = OwnerIdentifier::parse(hint)
        .map_err(|e| OAuthError::new("unknown_user_id", format!("login_hint: {e}")))?;
    let binding_message = get("binding_message")
        .map(|m| Text::parse(m, "binding_message", MAX_BINDING_MESSAGE_CHARS))
        .transpose()
        .map_err(|e| OAuthError::new("invalid_binding_message", e.to_string()))?
        .ok_or_else(|| {
            OAuthError::new(
                "invalid_binding_message",
                "binding_message is required: the owner sees it to recognise the request",
            )
        })?;
    let asked = details::parse(get("authorization_details").unwrap_or("[]"))
        .map_err(|why| OAuthError::new("invalid_authorization_details", why))?;
    let owner = state.owners.find_or_create(&who).await?;
    // A portal cannot flood a citizen's inbox: a few requests at a time, each answered or
    // lapsed before the next (counted in the database, so on every process).
    let waiting = consent_rows::Entity::find()
        .filter(consent_rows::Column::OwnerId.eq(owner.id.0))
        .filter(consent_rows::Column::ClientId.eq(&client.client_id))
        .filter(consent_rows::Column::Status.eq("pending"))
        .filter(consent_rows::Column::ExpiresAt.gt(state.clock.now()))
        .count(&state.db)
        .await?;
    if waiting >= MAX_PENDING_PER_OWNER {
        return Err(OAuthError {
            status: StatusCode::FORBIDDEN,
            ..OAuthError::new(
                "access_denied",
                format!(
                    "this owner already has {MAX_PENDING_PER_OWNER} requests from you waiting for an answer"
                ),
            )
        });
    }
    let consent = state
        .consents
        .create(NewConsent {
            owner: owner.id,
            client_id: &client.client_id,
            agency_code: &client.agency_code,
            flow: "ciba",
            asked: &asked,
            binding_message: Some(binding_message.as_str()),
            pending_until: state.clock.now() + Duration::seconds(REQUEST_LIFETIME_SECS),
        })
        .await
        .map_err(OAuthError::server)?;
    let auth_req_id = handles::new_grant(
        &state.db,
        handles::NewGrant {
            consent,
            client_id: &client.client_id,
            kind: "ciba",
            redirect_uri: None,
            code_challenge: None,
            dpop_jkt: None,
            lifetime: Duration::seconds(REQUEST_LIFETIME_SECS),
            interval: Some(INTERVAL_SECS),
        },
        state.clock.now(),
    )
    .await?;
    Ok(no_store(
        StatusCode::OK,
        json!({
            "auth_req_id": auth_req_id,
            "expires_in": REQUEST_LIFETIME_SECS,
            "interval": INTERVAL_SECS,
        }),
    ))
}
