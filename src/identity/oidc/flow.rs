//! A login under way, kept in the database so any Kho process can finish it, bound to the
//! browser that started it (the cookie's hash is the key), usable once, for ten minutes.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::client::{OidcClient, OidcError};
use super::person::{Person, Refusal, person_from_claims};
use crate::config::Settings;
use crate::crypto::random_token;
use crate::storage::StoreError;
use crate::storage::entities::login_flows;

/// How long a person may take at the provider.
const FLOW_LIFETIME: Duration = Duration::minutes(10);

/// Why a login did not complete.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("no login was started in this browser, or it was already used")]
    NoFlow,
    #[error("the login took longer than ten minutes")]
    Expired,
    #[error("the `state` does not match this browser's login")]
    StateMismatch,
    #[error("the response names another issuer, or none although the provider always names itself")]
    IssuerMismatch,
    #[error("the provider answered: {0}")]
    Provider(String),
    #[error("the callback has no authorization code")]
    NoCode,
    #[error(transparent)]
    Oidc(#[from] OidcError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for LoginError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// What the provider sent back to `/auth/callback`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207: the issuer of the response, when the provider sends it.
    pub iss: Option<String>,
    pub error: Option<String>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a login: returns the provider URL to send the browser to and the token for the
/// browser's login cookie.
pub async fn start(
    db: &DatabaseConnection,
    oidc: &OidcClient,
    now: DateTime<Utc>,
) -> Result<(url::Url, String), LoginError> {
    let started = oidc.start().await?;
    let browser = random_token().map_err(StoreError::from)?;
    login_flows::Entity::delete_many()
        .filter(login_flows::Column::CreatedAt.lt(now - FLOW_LIFETIME))
        .exec(db)
        .await?;
    login_flows::Entity::insert(login_flows::ActiveModel {
        browser_hash: Set(hash(&browser)),
        state: Set(started.state),
        nonce: Set(started.nonce),
        pkce_verifier: Set(started.pkce_verifier),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok((started.url, browser))
}

/// Finishes the login of the browser holding `browser`: the flow is used up whatever happens.
pub async fn finish(
    db: &DatabaseConnection,
    oidc: &OidcClient,
    settings: &Settings,
    browser: Option<&str>,
    callback: &Callback,
    now: DateTime<Utc>,
) -> Result<Person, LoginError> {
    let key = hash(browser.ok_or(LoginError::NoFlow)?);
    let flow = login_flows::Entity::find_by_id(key.clone())
        .one(db)
        .await?
        .ok_or(LoginError::NoFlow)?;
    if login_flows::Entity::delete_by_id(key)
        .exec(db)
        .await?
        .rows_affected
        == 0
    {
        return Err(LoginError::NoFlow); // another request used it first
    }
    if now - flow.created_at > FLOW_LIFETIME {
        return Err(LoginError::Expired);
    }
    let state = callback.state.as_deref().unwrap_or_default();
    if !bool::from(state.as_bytes().ct_eq(flow.state.as_bytes())) {
        return Err(LoginError::StateMismatch);
    }
    match callback.iss.as_deref() {
        Some(iss) if iss.trim_end_matches('/') != oidc.issuer().trim_end_matches('/') => {
            return Err(LoginError::IssuerMismatch);
        }
        None if oidc.requires_iss().await? => return Err(LoginError::IssuerMismatch),
        _ => {}
    }
    if let Some(error) = &callback.error {
        return Err(LoginError::Provider(error.clone()));
    }
    let code = callback.code.as_deref().ok_or(LoginError::NoCode)?;
    let claims = oidc.finish(code, &flow.pkce_verifier, &flow.nonce).await?;
    Ok(person_from_claims(&claims, settings)?)
}
