//! The operator's register of clients: add, list, disable, and the look-up authentication uses.

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use url::Url;

use super::secrets;
use crate::crypto::random_bytes;
use crate::ids::{AgencyCode, Text};
use crate::storage::StoreError;
use crate::storage::entities::clients;

/// What a client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Asks owners for consent and fetches the consented documents.
    Portal,
    /// Pushes signed results into owners' stores.
    Issuer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Issuer => "issuer",
        }
    }
}

/// How a client will authenticate.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `private_key_jwt` with these public keys (a JWKS document).
    Jwks(String),
    /// `private_key_jwt` with the keys published at this URL.
    JwksUri(Url),
    /// A client secret, generated now and shown once.
    Secret,
}

/// A client to register, parsed at the edge.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: Text,
    pub agency: AgencyCode,
    pub role: Role,
    pub redirect_uris: Vec<Url>,
    pub keys: KeySource,
}

/// Why a client cannot be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the JWKS is not a JSON Web Key Set: {0}")]
    BadJwks(String),
    #[error("the JWKS holds private key material (`d`, `p`, `q`…): register only the public keys")]
    PrivateKeyInJwks,
    #[error("the JWKS holds no key")]
    EmptyJwks,
    #[error("a redirect URI must be https:// (http:// only for localhost)")]
    InsecureRedirect,
    #[error("a JWKS URL must be https:// (http:// only for localhost)")]
    InsecureJwksUri,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for RegisterError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// A client as `kho client list` shows it: never a secret or its hash.
#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub agency_code: String,
    pub role: String,
    pub redirect_uris: Vec<String>,
    pub auth_method: &'static str,
    pub disabled: bool,
}

/// What `add` returns: the new id, and the secret when one was generated (shown only now).
#[derive(Debug, Serialize)]
pub struct Registered {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

fn check_jwks(text: &str) -> Result<(), RegisterError> {
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|e| RegisterError::BadJwks(e.to_string()))?;
    let private = ["d", "p", "q", "dp", "dq", "qi", "k"];
    if raw["keys"].as_array().is_some_and(|keys| {
        keys.iter()
            .any(|k| private.iter().any(|p| k.get(p).is_some()))
    }) {
        return Err(RegisterError::PrivateKeyInJwks);
    }
    let set: JwkSet =
        serde_json::from_value(raw).map_err(|e| RegisterError::BadJwks(e.to_string()))?;
    if set.keys.is_empty() {
        return Err(RegisterError::EmptyJwks);
    }
    Ok(())
}

/// `http://localhost` and `http://127.0.0.1` are allowed for development; nothing else plain.
fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

pub async fn add(
    db: &DatabaseConnection,
    client: NewClient,
    now: DateTime<Utc>,
) -> Result<Registered, RegisterError> {
    if client
        .redirect_uris
        .iter()
        .any(|u| u.scheme() != "https" && !is_loopback(u))
    {
        return Err(RegisterError::InsecureRedirect);
    }
    let (jwks, jwks_uri, secret, secret_hash) = match &client.keys {
        KeySource::Jwks(text) => {
            check_jwks(text)?;
            (Some(text.clone()), None, None, None)
        }
        KeySource::JwksUri(url) => {
            // Keys fetched over plain HTTP could be swapped by anyone on the path.
            if url.scheme() != "https" && !is_loopback(url) {
                return Err(RegisterError::InsecureJwksUri);
            }
            (None, Some(url.to_string()), None, None)
        }
        KeySource::Secret => {
            let (secret, hashed) = tokio::task::spawn_blocking(secrets::generate)
                .await
                .map_err(|_| StoreError::Integrity(crate::crypto::IntegrityError))?
                .map_err(StoreError::from)?;
            (None, None, Some(secret), Some(hashed))
        }
    };
    let suffix: [u8; 12] = random_bytes().map_err(StoreError::from)?;
    let client_id = format!("{}-{}", client.role.as_str(), hex::encode(suffix));
    let uris: Vec<String> = client.redirect_uris.iter().map(Url::to_string).collect();
    clients::Entity::insert(clients::ActiveModel {
        client_id: Set(client_id.clone()),
        name: Set(client.name.into_string()),
        agency_code: Set(client.agency.as_str().to_owned()),
        role: Set(client.role.as_str().to_owned()),
        redirect_uris: Set(serde_json::to_string(&uris).unwrap_or_else(|_| "[]".into())),
        jwks: Set(jwks),
        jwks_uri: Set(jwks_uri),
        secret_hash: Set(secret_hash),
        disabled: Set(false),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(Registered {
        client_id,
        client_secret: secret,
    })
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<ClientView>, StoreError> {
    let rows = clients::Entity::find()
        .order_by_asc(clients::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| ClientView {
            auth_method: if c.secret_hash.is_some() {
                "client_secret_basic"
            } else {
                "private_key_jwt"
            },
            redirect_uris: serde_json::from_str(&c.redirect_uris).unwrap_or_default(),
            client_id: c.client_id,
            name: c.name,
            agency_code: c.agency_code,
            role: c.role,
            disabled: c.disabled,
        })
        .collect())
}

/// Disables a client at once: its next authentication fails (its tokens are revoked by the
/// authorization server, `oauth::handles::revoke_client_tokens`). False if there is no such
/// client.
pub async fn disable(db: &DatabaseConnection, client_id: &str) -> Result<bool, StoreError> {
    let done = clients::Entity::update_many()
        .set(clients::ActiveModel {
            disabled: Set(true),
            ..Default::default()
        })
        .filter(clients::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// An enabled client by id.
pub async fn find_enabled(
    db: &DatabaseConnection,
    client_id: &str,
) -> Result<Option<clients::Model>, StoreError> {
    let found = clients::Entity::find_by_id(client_id.to_owned())
        .one(db)
        .await?;
    Ok(found.filter(|c| !c.disabled))
}
