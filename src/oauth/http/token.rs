//! `POST /oauth/token`: an authorization code (with PKCE) or a CIBA `auth_req_id`, with a DPoP
//! proof, for a DPoP-bound access token (`token_type: "DPoP"`) and the granted
//! `authorization_details`. Every answer carries a fresh `DPoP-Nonce`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::form::OAuthForm;
use super::{authenticate_portal, dpop_proofs, no_store};
use crate::app::AppState;
use crate::oauth::OAuthError;
use crate::oauth::requests::TokenRequest;

pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Response {
    let mut response = match exchange(&state, &headers, &form).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&state.auth_server.dpop_nonce()) {
        response.headers_mut().insert("dpop-nonce", value);
    }
    response
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let client = authenticate_portal(&state.client_auth, headers, form, "/oauth/token").await?;
    let request = TokenRequest::from_form(form)?;
    let issued = state
        .auth_server
        .exchange(&client, request, &dpop_proofs(headers))
        .await?;
    Ok(no_store(
        StatusCode::OK,
        json!({
            "access_token": issued.access_token,
            "token_type": "DPoP",
            "expires_in": issued.expires_in,
            "authorization_details": [issued.granted],
        }),
    ))
}
