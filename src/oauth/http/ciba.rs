//! `POST /oauth/bc-authorize` (OpenID CIBA Core, poll mode): a portal asks for an owner's
//! documents when the owner is not at the portal. `login_hint` is the owner's personal ID or
//! tax code; the request waits in the owner's inbox (`GET /v1/me/consents?status=pending`)
//! with the `binding_message`, and the portal polls the token endpoint.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::form::OAuthForm;
use super::{authenticate_portal, no_store};
use crate::clients::ClientAuth;
use crate::oauth::AuthServer;
use crate::oauth::OAuthError;
use crate::oauth::requests::CibaRequest;

pub async fn backchannel(
    State(auth_server): State<AuthServer>,
    State(client_auth): State<ClientAuth>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client = authenticate_portal(&client_auth, &headers, &form, "/oauth/bc-authorize").await?;
    let request = CibaRequest::from_form(&form)?;
    let started = auth_server.backchannel(&client, request).await?;
    Ok(no_store(
        StatusCode::OK,
        json!({
            "auth_req_id": started.auth_req_id,
            "expires_in": started.expires_in,
            "interval": started.interval,
        }),
    ))
}
