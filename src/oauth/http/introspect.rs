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
use crate::clients::ClientAuth;
use crate::oauth::AuthServer;
use crate::oauth::OAuthError;

fn token_param(form: &HashMap<String, String>) -> Result<&str, OAuthError> {
    form.get("token")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("the token parameter is required".into()))
}

pub async fn introspect(
    State(auth_server): State<AuthServer>,
    State(client_auth): State<ClientAuth>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client = authenticate_client(&client_auth, &headers, &form, "/oauth/introspect").await?;
    let token = token_param(&form)?;
    let answer = auth_server.introspect(&client, token).await?;
    Ok(no_store(
        StatusCode::OK,
        answer.unwrap_or_else(|| json!({ "active": false })),
    ))
}

pub async fn revoke(
    State(auth_server): State<AuthServer>,
    State(client_auth): State<ClientAuth>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client = authenticate_client(&client_auth, &headers, &form, "/oauth/revoke").await?;
    // `token_type_hint` is only a hint (RFC 7009 §2.1): Kho issues access tokens only.
    let token = token_param(&form)?;
    auth_server.revoke(&client, token).await?;
    Ok(no_store(StatusCode::OK, json!({})))
}
