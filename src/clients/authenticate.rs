//! Client authentication at Kho's OAuth endpoints: exactly one of `client_secret_basic`,
//! `client_secret_post` or `private_key_jwt` (RFC 6749 §2.3, RFC 7523). Every failure is the
//! same `invalid_client`, whatever went wrong; the reason goes to the log.

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{assertion, registry, secrets};
use crate::app::AppState;
use crate::storage::StoreError;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client that proved who it is.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub client_id: String,
    pub role: String,
    pub agency_code: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientAuthError {
    /// 401 `invalid_client`.
    #[error("client authentication failed")]
    Invalid,
    /// 400 `invalid_request`: no or several methods, or a malformed one.
    #[error("{0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

enum Credentials {
    Secret {
        client_id: String,
        secret: String,
    },
    Assertion {
        client_id: Option<String>,
        jwt: String,
    },
}

fn credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Credentials, ClientAuthError> {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let post = form.get("client_secret");
    let jwt = form.get("client_assertion");
    match (basic, post, jwt) {
        (Some(basic), None, None) => {
            let decoded = STANDARD
                .decode(basic.trim())
                .map_err(|_| ClientAuthError::Malformed("malformed Basic credentials"))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| ClientAuthError::Malformed("malformed Basic credentials"))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or(ClientAuthError::Malformed("malformed Basic credentials"))?;
            let unescape = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Ok(Credentials::Secret {
                client_id: unescape(id)
                    .ok_or(ClientAuthError::Malformed("malformed Basic credentials"))?,
                secret: unescape(secret)
                    .ok_or(ClientAuthError::Malformed("malformed Basic credentials"))?,
            })
        }
        (None, Some(secret), None) => Ok(Credentials::Secret {
            client_id: form
                .get("client_id")
                .cloned()
                .ok_or(ClientAuthError::Malformed("client_secret needs client_id"))?,
            secret: secret.clone(),
        }),
        (None, None, Some(jwt)) => {
            if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
                return Err(ClientAuthError::Malformed(
                    "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
            }
            Ok(Credentials::Assertion {
                client_id: form.get("client_id").cloned(),
                jwt: jwt.clone(),
            })
        }
        (None, None, None) => Err(ClientAuthError::Malformed(
            "client authentication is required",
        )),
        _ => Err(ClientAuthError::Malformed(
            "use exactly one client authentication method",
        )),
    }
}

/// Authenticates the client of a request to `endpoint` (its URL is an accepted assertion
/// audience, as is Kho's issuer URL).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    endpoint: &str,
) -> Result<Authenticated, ClientAuthError> {
    let authenticated = match credentials(headers, form)? {
        Credentials::Secret { client_id, secret } => {
            if state.settings.clients_require_private_key_jwt {
                tracing::warn!(client = %client_id, "client secret refused: private_key_jwt is required");
                return Err(ClientAuthError::Invalid);
            }
            let client = registry::find_enabled(&state.db, &client_id).await?;
            let stored = client.as_ref().and_then(|c| c.secret_hash.clone());
            if !secrets::verify(secret, stored).await {
                tracing::warn!(client = %client_id, "client secret refused");
                return Err(ClientAuthError::Invalid);
            }
            client.ok_or(ClientAuthError::Invalid)?
        }
        Credentials::Assertion { client_id, jwt } => {
            let claimed = assertion::claimed_client(&jwt);
            if client_id.is_some() && client_id != claimed {
                return Err(ClientAuthError::Invalid);
            }
            let claimed = claimed.ok_or(ClientAuthError::Invalid)?;
            let client = registry::find_enabled(&state.db, &claimed)
                .await?
                .ok_or(ClientAuthError::Invalid)?;
            let issuer = state
                .settings
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned();
            let audiences = [issuer, endpoint.to_owned()];
            if let Err(why) = assertion::verify(&state.db, &client, &jwt, &audiences).await {
                tracing::warn!(client = %claimed, reason = %why, "client assertion refused");
                return Err(ClientAuthError::Invalid);
            }
            client
        }
    };
    Ok(Authenticated {
        client_id: authenticated.client_id,
        role: authenticated.role,
        agency_code: authenticated.agency_code,
    })
}
