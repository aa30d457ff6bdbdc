//! Client authentication at Kho's OAuth endpoints: exactly one of `client_secret_basic`,
//! `client_secret_post` or `private_key_jwt` (RFC 6749 §2.3, RFC 7523). Every failure is the
//! same `invalid_client`, whatever went wrong; the reason goes to the log.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{assertion, registry, secrets};
use crate::clock::Clock;
use crate::crypto::Signer;
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
    /// 503: too many secret checks are waiting; try again shortly.
    #[error("too many client authentications are waiting")]
    Busy,
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
    authorization: Option<&str>,
    form: &HashMap<String, String>,
) -> Result<Credentials, ClientAuthError> {
    let basic = authorization.and_then(|v| v.strip_prefix("Basic "));
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

/// Client authentication, holding what it needs: the database (clients and used assertion
/// ids), the store's signer (its issuer URL is an accepted audience), whether secrets are
/// refused, and the clock.
#[derive(Clone, Debug)]
pub struct ClientAuth {
    db: sea_orm::DatabaseConnection,
    signer: Signer,
    require_private_key_jwt: bool,
    clock: Clock,
}

impl ClientAuth {
    pub fn new(
        db: sea_orm::DatabaseConnection,
        signer: Signer,
        require_private_key_jwt: bool,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            signer,
            require_private_key_jwt,
            clock,
        }
    }

    /// Whether client secrets are refused (only `private_key_jwt` is accepted).
    pub fn requires_private_key_jwt(&self) -> bool {
        self.require_private_key_jwt
    }

    /// Authenticates the client of a request to `path` (its URL is an accepted assertion audience,
    /// as is Kho's issuer URL). `authorization` is the request's `Authorization` header, if any.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
        path: &str,
    ) -> Result<Authenticated, ClientAuthError> {
        let endpoint = self.signer.endpoint(path);
        let authenticated = match credentials(authorization, form)? {
            Credentials::Secret { client_id, secret } => {
                if self.require_private_key_jwt {
                    tracing::warn!(client = %client_id, "client secret refused: private_key_jwt is required");
                    return Err(ClientAuthError::Invalid);
                }
                let client = registry::find_enabled(&self.db, &client_id).await?;
                let stored = client.as_ref().and_then(|c| c.secret_hash.clone());
                let matches = secrets::verify(secret, stored)
                    .await
                    .map_err(|secrets::Busy| ClientAuthError::Busy)?;
                if !matches {
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
                let client = registry::find_enabled(&self.db, &claimed)
                    .await?
                    .ok_or(ClientAuthError::Invalid)?;
                let audiences = [self.signer.issuer().to_owned(), endpoint];
                let now = self.clock.now();
                if let Err(why) = assertion::verify(&self.db, &client, &jwt, &audiences, now).await
                {
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
}
