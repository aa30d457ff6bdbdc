//! `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): a JWT the client signs with its
//! own key. Checked: signature against the client's registered keys, `iss` = `sub` = client id,
//! `aud` = this server, `exp` within five minutes, and a `jti` never seen before — stored in the
//! database, so a replay to another Kho process is refused too.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, SqlErr,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::storage::StoreError;
use crate::storage::entities::{client_assertions, clients};

/// The longest an assertion may live, from now.
const MAX_LIFETIME_SECONDS: i64 = 300;
const ASYMMETRIC: [Algorithm; 8] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::EdDSA,
];

/// Why an assertion was refused (for the log; the client only hears `invalid_client`).
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    #[error("malformed assertion: {0}")]
    Malformed(String),
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(Algorithm),
    #[error("no registered key matches")]
    UnknownKey,
    #[error("assertion refused: {0}")]
    Invalid(String),
    #[error("the assertion lives longer than five minutes")]
    TooLongLived,
    #[error("the assertion has no jti")]
    NoJti,
    #[error("the assertion was already used (replayed jti)")]
    Replayed,
    #[error("cannot fetch the client's keys: {0}")]
    Keys(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
struct Claims {
    exp: i64,
    jti: Option<String>,
}

/// The client id an assertion claims to come from (unverified: used only to find the keys).
pub fn claimed_client(jwt: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Issuer {
        iss: String,
    }
    jsonwebtoken::dangerous::insecure_decode::<Issuer>(jwt)
        .ok()
        .map(|t| t.claims.iss)
}

/// Keys fetched from clients' `jwks_uri`s: kept five minutes, fetched again sooner only for an
/// unknown key id and then at most every 30 s, so anonymous assertions cannot make Kho fetch at
/// will.
static FETCHED: LazyLock<Mutex<HashMap<String, (Instant, JwkSet)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
const KEEP: Duration = Duration::from_secs(300);
const REFETCH_AFTER: Duration = Duration::from_secs(30);
const MAX_JWKS_BYTES: usize = 64 * 1024;

async fn keys_of(client: &clients::Model, kid: Option<&str>) -> Result<JwkSet, AssertionError> {
    if let Some(text) = &client.jwks {
        return serde_json::from_str(text).map_err(|e| AssertionError::Keys(e.to_string()));
    }
    let uri = client
        .jwks_uri
        .as_deref()
        .ok_or(AssertionError::UnknownKey)?;
    let cached = FETCHED.lock().ok().and_then(|c| c.get(uri).cloned());
    if let Some((at, set)) = cached {
        let knows_kid = kid.is_none_or(|k| set.find(k).is_some());
        if at.elapsed() < REFETCH_AFTER || (at.elapsed() < KEEP && knows_kid) {
            return Ok(set);
        }
    }
    let set = fetch_jwks(uri).await?;
    if let Ok(mut cache) = FETCHED.lock() {
        cache.insert(uri.to_owned(), (Instant::now(), set.clone()));
    }
    Ok(set)
}

async fn fetch_jwks(uri: &str) -> Result<JwkSet, AssertionError> {
    let keys = |e: &dyn std::fmt::Display| AssertionError::Keys(e.to_string());
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| keys(&e))?;
    let mut response = http.get(uri).send().await.map_err(|e| keys(&e))?;
    if response.status() != openidconnect::reqwest::StatusCode::OK {
        return Err(keys(&format!(
            "the JWKS URL answered {}",
            response.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| keys(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_JWKS_BYTES {
            return Err(keys(&"the JWKS is larger than 64 KiB"));
        }
    }
    serde_json::from_slice(&body).map_err(|e| keys(&e))
}

/// Verifies `jwt` as an assertion of `client` for one of `audiences`, and uses up its `jti`.
pub async fn verify(
    db: &DatabaseConnection,
    client: &clients::Model,
    jwt: &str,
    audiences: &[String],
    now: DateTime<Utc>,
) -> Result<(), AssertionError> {
    let (alg, key) = signing_key(client, jwt).await?;
    let mut validation = Validation::new(alg);
    validation.set_audience(audiences);
    validation.set_issuer(&[client.client_id.as_str()]);
    validation.sub = Some(client.client_id.clone());
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.leeway = 5;
    let claims = decode::<Claims>(jwt, &key, &validation)
        .map_err(|e| AssertionError::Invalid(e.to_string()))?
        .claims;
    if claims.exp - now.timestamp() > MAX_LIFETIME_SECONDS {
        return Err(AssertionError::TooLongLived);
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or(AssertionError::NoJti)?;
    let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(AssertionError::TooLongLived)?;
    use_jti(db, &client.client_id, &jti, expires_at, now).await
}

/// The client's registered key that `jws` names (asymmetric algorithms only).
async fn signing_key(
    client: &clients::Model,
    jws: &str,
) -> Result<(jsonwebtoken::Algorithm, DecodingKey), AssertionError> {
    let header = decode_header(jws).map_err(|e| AssertionError::Malformed(e.to_string()))?;
    if !ASYMMETRIC.contains(&header.alg) {
        return Err(AssertionError::Algorithm(header.alg));
    }
    let keys = keys_of(client, header.kid.as_deref()).await?;
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(AssertionError::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| AssertionError::UnknownKey)?;
    Ok((header.alg, key))
}

/// Verifies a JWS signed by one of `client`'s registered keys, issued by the client (`iss`) for
/// `audience` (`aud`), and returns its claims. For statements a client signs (an issuer's
/// push), not for authentication.
pub async fn verify_signed<T: serde::de::DeserializeOwned>(
    client: &clients::Model,
    jws: &str,
    audience: &str,
) -> Result<T, AssertionError> {
    let (alg, key) = signing_key(client, jws).await?;
    let mut validation = Validation::new(alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[client.client_id.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud"]);
    validation.validate_exp = false;
    decode::<T>(jws, &key, &validation)
        .map(|t| t.claims)
        .map_err(|e| AssertionError::Invalid(e.to_string()))
}

/// Records the `jti`; a second use of it, by any process, is a replay.
async fn use_jti(
    db: &DatabaseConnection,
    client_id: &str,
    jti: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AssertionError> {
    let hash = hex::encode(Sha256::digest(
        [client_id.as_bytes(), b"\0", jti.as_bytes()].concat(),
    ));
    client_assertions::Entity::delete_many()
        .filter(client_assertions::Column::ExpiresAt.lt(now - chrono::Duration::minutes(1)))
        .exec(db)
        .await
        .map_err(StoreError::from)?;
    let inserted = client_assertions::Entity::insert(client_assertions::ActiveModel {
        jti_hash: Set(hash),
        expires_at: Set(expires_at),
    })
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(AssertionError::Replayed)
        }
        Err(e) => Err(StoreError::from(e).into()),
    }
}
