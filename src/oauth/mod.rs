//! Kho as an OAuth 2.0 authorization server for portals, shaped after FAPI 2.0: metadata
//! (RFC 8414), pushed authorization requests (RFC 9126) only, the consent screen at
//! `/authorize`, codes returned with `iss` (RFC 9207), PKCE S256, DPoP-bound tokens (RFC 9449),
//! the decoupled CIBA poll flow, rich authorization requests (RFC 9396), revocation (RFC 7009)
//! and introspection (RFC 7662).

pub mod authorize;
pub mod ciba;
pub mod details;
pub mod dpop;
mod error;
mod form;
pub mod handles;
pub mod introspect;
pub mod metadata;
pub mod par;
pub mod token;

pub use error::{OAuthError, no_store};

use std::collections::HashMap;

use axum::http::HeaderMap;

use crate::app::AppState;
use crate::clients::{self, Authenticated};

/// Kho's issuer identifier: its public URL without a trailing slash.
pub fn issuer(state: &AppState) -> String {
    state
        .settings
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// The public URL of `path`.
pub fn endpoint(state: &AppState, path: &str) -> String {
    format!("{}{path}", issuer(state))
}

/// Authenticates a portal at `path`; issuers and other roles are refused.
pub async fn authenticate_portal(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    path: &str,
) -> Result<Authenticated, OAuthError> {
    let client = clients::authenticate(state, headers, form, &endpoint(state, path)).await?;
    if client.role != "portal" {
        return Err(OAuthError::new(
            "unauthorized_client",
            "only portals may ask for documents",
        ));
    }
    Ok(client)
}
