//! The authorization server's HTTP endpoints: metadata, PAR, the token
//! endpoint, CIBA, introspection and revocation. They parse the request, call the domain, and
//! answer in OAuth's own error format.

pub mod ciba;
mod error;
mod form;
pub mod introspect;
pub mod metadata;
pub mod par;
pub mod token;

pub use error::no_store;

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue};

use crate::clients::{Authenticated, ClientAuth};
use crate::oauth::OAuthError;

/// The `Authorization` header, if it is text.
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization").and_then(|v| v.to_str().ok())
}

/// Every `DPoP` header of the request.
pub fn dpop_proofs(headers: &HeaderMap) -> Vec<&[u8]> {
    headers
        .get_all("dpop")
        .iter()
        .map(HeaderValue::as_bytes)
        .collect()
}

/// Authenticates the client of a request to `path`, whatever its role.
pub async fn authenticate_client(
    clients: &ClientAuth,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    path: &str,
) -> Result<Authenticated, OAuthError> {
    Ok(clients
        .authenticate(authorization(headers), form, path)
        .await?)
}

/// Authenticates a portal at `path`; issuers and other roles are refused.
pub async fn authenticate_portal(
    clients: &ClientAuth,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    path: &str,
) -> Result<Authenticated, OAuthError> {
    let client = authenticate_client(clients, headers, form, path).await?;
    if client.role != "portal" {
        return Err(OAuthError::UnauthorizedClient(
            "only portals may ask for documents",
        ));
    }
    Ok(client)
}
