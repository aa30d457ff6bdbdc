//! `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC 7009), for authenticated
//! clients. A token is active only while it is unrevoked, unexpired, and its consent is active
//! — the same test the resource API applies. A client learns about its own tokens only.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::form::OAuthForm;
use super::{authenticate_client, no_store};
use crate::app::AppState;
use crate::consents::{self, Status};
use crate::oauth::OAuthError;
use crate::oauth::handles;

fn token_param(form: &HashMap<String, String>) -> Result<&str, OAuthError> {
    form.get("token")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("the token parameter is required".into()))
}

pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client =
        authenticate_client(&state.client_auth, &headers, &form, "/oauth/introspect").await?;
    let token = token_param(&form)?;
    let inactive = || no_store(StatusCode::OK, json!({ "active": false }));
    let Some(row) = handles::access_token(&state.db, token).await? else {
        return Ok(inactive());
    };
    let now = state.clock.now();
    if row.client_id != client.client_id || row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(inactive());
    }
    let Some(consent) = consents::find(&state.db, row.consent_id)
        .await
        .map_err(OAuthError::server)?
    else {
        return Ok(inactive());
    };
    if Status::effective(&consent.status, consent.expires_at, now) != Status::Active {
        return Ok(inactive());
    }
    let granted = match state.consents.granted(consent.id).await {
        Ok(granted) => granted,
        // The owner was erased meanwhile: nothing is served under the consent.
        Err(consents::ConsentError::NotFound) => return Ok(inactive()),
        Err(e) => return Err(OAuthError::server(e)),
    };
    Ok(no_store(
        StatusCode::OK,
        json!({
            "active": true,
            "client_id": row.client_id,
            "token_type": "DPoP",
            "iss": state.signer.issuer(),
            "iat": row.created_at.timestamp(),
            "exp": row.expires_at.timestamp(),
            "cnf": { "jkt": row.jkt },
            "authorization_details": [granted],
        }),
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client = authenticate_client(&state.client_auth, &headers, &form, "/oauth/revoke").await?;
    // `token_type_hint` is only a hint (RFC 7009 §2.1): Kho issues access tokens only.
    let token = token_param(&form)?;
    handles::revoke(&state.db, token, &client.client_id, state.clock.now()).await?;
    Ok(no_store(StatusCode::OK, json!({})))
}
