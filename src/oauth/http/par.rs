//! `POST /oauth/par` (RFC 9126): the portal authenticates and pushes everything — redirect URI,
//! PKCE challenge, `state`, and what it asks for — and gets a `request_uri`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::form::OAuthForm;
use super::{authenticate_portal, dpop_proofs, no_store};
use crate::clients::ClientAuth;
use crate::oauth::AuthServer;
use crate::oauth::OAuthError;
use crate::oauth::requests::PushedRequest;

pub async fn push(
    State(auth_server): State<AuthServer>,
    State(client_auth): State<ClientAuth>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client = authenticate_portal(&client_auth, &headers, &form, "/oauth/par").await?;
    let request = PushedRequest::from_form(&form, &client.client_id)?;
    let pushed = auth_server
        .push(&client, request, &dpop_proofs(&headers))
        .await?;
    Ok(no_store(
        StatusCode::CREATED,
        json!({ "request_uri": pushed.request_uri, "expires_in": pushed.expires_in }),
    ))
}
