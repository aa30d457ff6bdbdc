//! The authorization server's store. The secrets Kho hands to portals — `request_uri`s, authorization codes, CIBA `auth_req_id`s
//! and access tokens — are random 256-bit values stored only as their SHA-256, so a copy of the
//! database lets nobody redeem them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::{DataKey, IntegrityError, open_field, random_token, seal_field};
use crate::storage::StoreError;
use crate::storage::entities::{access_tokens, consents, dpop_proofs, grants, par_requests};

/// Hex SHA-256: how a handle is stored and looked up.
pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A fresh handle (URL-safe base64 of 32 random bytes).
pub fn fresh() -> Result<String, StoreError> {
    Ok(random_token()?)
}

/// A pushed authorization request to store (RFC 9126).
pub struct NewPushed<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: Option<&'a str>,
    pub code_challenge: &'a str,
    pub dpop_jkt: Option<&'a str>,
    /// The `authorization_details`, as JSON.
    pub details: String,
    pub expires_at: DateTime<Utc>,
}

/// Stores a pushed request; returns its handle (the end of the `request_uri`).
pub async fn push_request(
    db: &impl ConnectionTrait,
    pushed: NewPushed<'_>,
) -> Result<String, StoreError> {
    let handle = fresh()?;
    par_requests::Entity::insert(par_requests::ActiveModel {
        handle_hash: Set(hash(&handle)),
        client_id: Set(pushed.client_id.to_owned()),
        redirect_uri: Set(pushed.redirect_uri.to_owned()),
        state: Set(pushed.state.map(str::to_owned)),
        code_challenge: Set(pushed.code_challenge.to_owned()),
        dpop_jkt: Set(pushed.dpop_jkt.map(str::to_owned)),
        details: Set(seal_details(&handle, &pushed.details)?),
        expires_at: Set(pushed.expires_at),
        used_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(handle)
}

/// The pushed request with this handle, answered or not, expired or not (callers decide); its
/// `details` opened.
pub async fn pushed_request(
    db: &impl ConnectionTrait,
    handle: &str,
) -> Result<Option<par_requests::Model>, StoreError> {
    let Some(mut request) = par_requests::Entity::find_by_id(hash(handle))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    request.details = open_details(handle, &request.details)?;
    Ok(Some(request))
}

/// A pushed request's `authorization_details` name a procedure, a dossier and a purpose: they are
/// sealed with a key derived from the handle, which the database does not hold (only its hash),
/// so they open only for whoever presents the `request_uri`.
const DETAILS_PURPOSE: &[u8] = b"kho/par-details/v1";

fn seal_details(handle: &str, details: &str) -> Result<String, StoreError> {
    use base64::Engine;
    let key = DataKey::from_secret(handle, DETAILS_PURPOSE)?;
    let sealed = seal_field(&key, Uuid::nil(), Uuid::nil(), "details", details)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
}

fn open_details(handle: &str, stored: &str) -> Result<String, StoreError> {
    use base64::Engine;
    // A request pushed before details were sealed (it lapses within minutes) is plain JSON.
    if stored.starts_with('[') {
        return Ok(stored.to_owned());
    }
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(stored)
        .map_err(|_| IntegrityError)?;
    let key = DataKey::from_secret(handle, DETAILS_PURPOSE)?;
    Ok(open_field(
        &key,
        Uuid::nil(),
        Uuid::nil(),
        "details",
        &sealed,
    )?)
}

/// Marks the pushed request answered; `false` if it already was (single use: whoever marks it
/// first decides).
pub async fn answer_request(
    db: &impl ConnectionTrait,
    handle_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let claimed = par_requests::Entity::update_many()
        .col_expr(par_requests::Column::UsedAt, Expr::value(now))
        .filter(par_requests::Column::HandleHash.eq(handle_hash))
        .filter(par_requests::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// What a new grant handle is for.
pub struct NewGrant<'a> {
    pub consent: Uuid,
    pub client_id: &'a str,
    /// `code` or `ciba`.
    pub kind: &'static str,
    pub redirect_uri: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub dpop_jkt: Option<&'a str>,
    pub lifetime: Duration,
    /// CIBA: the minimum seconds between two polls.
    pub interval: Option<i32>,
}

/// Stores a grant; returns the handle to give the portal.
pub async fn new_grant(
    db: &impl ConnectionTrait,
    grant: NewGrant<'_>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let handle = fresh()?;
    let row = grants::ActiveModel {
        handle_hash: Set(hash(&handle)),
        consent_id: Set(grant.consent),
        client_id: Set(grant.client_id.to_owned()),
        kind: Set(grant.kind.to_owned()),
        redirect_uri: Set(grant.redirect_uri.map(str::to_owned)),
        code_challenge: Set(grant.code_challenge.map(str::to_owned)),
        dpop_jkt: Set(grant.dpop_jkt.map(str::to_owned)),
        expires_at: Set(now + grant.lifetime),
        redeemed_at: Set(None),
        interval_secs: Set(grant.interval),
        next_poll_at: Set(None),
    };
    grants::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(handle)
}

/// The grant behind `handle`, of `kind`, for `client_id`.
pub async fn grant(
    db: &DatabaseConnection,
    handle: &str,
    kind: &str,
    client_id: &str,
) -> Result<Option<grants::Model>, StoreError> {
    Ok(grants::Entity::find_by_id(hash(handle))
        .filter(grants::Column::Kind.eq(kind))
        .filter(grants::Column::ClientId.eq(client_id))
        .one(db)
        .await?)
}

/// Marks the grant redeemed; `false` if it already was (a second use).
pub async fn redeem(
    db: &impl ConnectionTrait,
    handle_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = grants::Entity::update_many()
        .col_expr(grants::Column::RedeemedAt, Expr::value(now))
        .filter(grants::Column::HandleHash.eq(handle_hash))
        .filter(grants::Column::RedeemedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Records a CIBA poll; returns the time before which the next poll is too early.
pub async fn polled(
    db: &impl ConnectionTrait,
    handle_hash: &str,
    next: DateTime<Utc>,
    interval: i32,
) -> Result<(), StoreError> {
    grants::Entity::update_many()
        .col_expr(grants::Column::NextPollAt, Expr::value(next))
        .col_expr(grants::Column::IntervalSecs, Expr::value(interval))
        .filter(grants::Column::HandleHash.eq(handle_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Issues an access token bound to the DPoP key `jkt`.
pub async fn issue_access_token(
    db: &impl ConnectionTrait,
    consent: Uuid,
    client_id: &str,
    jkt: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = fresh()?;
    let row = access_tokens::ActiveModel {
        token_hash: Set(hash(&token)),
        consent_id: Set(consent),
        client_id: Set(client_id.to_owned()),
        jkt: Set(jkt.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    };
    access_tokens::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

/// The token's row, if it exists (expired and revoked ones included: callers decide).
pub async fn access_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<access_tokens::Model>, StoreError> {
    Ok(access_tokens::Entity::find_by_id(hash(token))
        .one(db)
        .await?)
}

/// Revokes the token if `client_id` holds it (RFC 7009: anything else is silently ignored).
pub async fn revoke(
    db: &DatabaseConnection,
    token: &str,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    access_tokens::Entity::update_many()
        .col_expr(access_tokens::Column::RevokedAt, Expr::value(now))
        .filter(access_tokens::Column::TokenHash.eq(hash(token)))
        .filter(access_tokens::Column::ClientId.eq(client_id))
        .filter(access_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every token issued under `consent` (a code redeemed twice, a withdrawal).
pub async fn revoke_consent_tokens(
    db: &impl ConnectionTrait,
    consent: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    access_tokens::Entity::update_many()
        .col_expr(access_tokens::Column::RevokedAt, Expr::value(now))
        .filter(access_tokens::Column::ConsentId.eq(consent))
        .filter(access_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every token `client_id` holds (the client is being disabled).
pub async fn revoke_client_tokens(
    db: &impl ConnectionTrait,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    access_tokens::Entity::update_many()
        .col_expr(access_tokens::Column::RevokedAt, Expr::value(now))
        .filter(access_tokens::Column::ClientId.eq(client_id))
        .filter(access_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the grants and tokens issued under `consents` (their owner is being erased).
pub async fn forget_consents(
    db: &impl ConnectionTrait,
    consents: &[Uuid],
) -> Result<(), StoreError> {
    access_tokens::Entity::delete_many()
        .filter(access_tokens::Column::ConsentId.is_in(consents.iter().copied()))
        .exec(db)
        .await?;
    grants::Entity::delete_many()
        .filter(grants::Column::ConsentId.is_in(consents.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes what can never be used again: lapsed requests, grants and DPoP proofs, and tokens a
/// day past their expiry.
pub async fn purge_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut gone = par_requests::Entity::delete_many()
        .filter(par_requests::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected;
    // A redeemed grant stays while its consent is in force, so that its replay can still revoke
    // the tokens it gave.
    let in_force = Query::select()
        .column(consents::Column::Id)
        .from(consents::Entity)
        .and_where(consents::Column::Status.eq(crate::consents::Status::Active.as_str()))
        .and_where(consents::Column::ExpiresAt.gt(now))
        .to_owned();
    gone += grants::Entity::delete_many()
        .filter(grants::Column::ExpiresAt.lt(now))
        .filter(
            Condition::any()
                .add(grants::Column::RedeemedAt.is_null())
                .add(grants::Column::ConsentId.not_in_subquery(in_force)),
        )
        .exec(db)
        .await?
        .rows_affected;
    gone += access_tokens::Entity::delete_many()
        .filter(access_tokens::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?
        .rows_affected;
    gone += dpop_proofs::Entity::delete_many()
        .filter(dpop_proofs::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected;
    Ok(gone)
}
