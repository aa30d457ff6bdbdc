//! `POST /oauth/token`: redeems an authorization code (PKCE S256) or a CIBA `auth_req_id` for a
//! DPoP-bound access token. The client authenticates, the DPoP proof is checked before anything
//! is redeemed, and the answer is `token_type: "DPoP"` with the granted
//! `authorization_details`. The token lives until the consent's expiry, but every use checks
//! the consent again, so withdrawal or use ends it at once.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sea_orm::TransactionTrait;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::form::OAuthForm;
use super::{OAuthError, authenticate_portal, dpop_proofs, no_store};
use crate::app::AppState;
use crate::clients::Authenticated;
use crate::consents::{self, Status};
use crate::oauth::dpop::{DpopError, Proof};
use crate::oauth::handles;
use crate::storage::entities::grants;

pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// The OAuth error for a refused DPoP proof (RFC 9449 §7.1, §8).
pub fn dpop_error(e: DpopError) -> OAuthError {
    match e {
        DpopError::Missing | DpopError::Invalid(_) | DpopError::Replayed => {
            OAuthError::new("invalid_dpop_proof", e.to_string())
        }
        DpopError::UseNonce => OAuthError::new("use_dpop_nonce", e.to_string()),
        DpopError::Store(e) => OAuthError::server(e),
    }
}

pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Response {
    let nonce = state.dpop.nonce();
    let mut response = match exchange(&state, &headers, &form).await {
        Ok(response) => response,
        Err(mut e) => {
            if e.error == "use_dpop_nonce" {
                e.nonce = Some(nonce.clone());
            }
            e.into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&nonce) {
        response.headers_mut().insert("dpop-nonce", value);
    }
    response
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let client = authenticate_portal(&state.client_auth, headers, form, "/oauth/token").await?;
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let grant_type =
        get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if grant_type != "authorization_code" && grant_type != CIBA_GRANT {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            "grant_type must be authorization_code or urn:openid:params:grant-type:ciba",
        ));
    }
    let proof = state
        .dpop
        .verify(
            &dpop_proofs(headers),
            "POST",
            &state.signer.endpoint("/oauth/token"),
            None,
        )
        .await
        .map_err(dpop_error)?;
    let grant = if grant_type == "authorization_code" {
        code_grant(state, &client, form, &proof).await?
    } else {
        ciba_grant(state, &client, form).await?
    };
    if grant
        .dpop_jkt
        .as_deref()
        .is_some_and(|jkt| jkt != proof.jkt)
    {
        return Err(OAuthError::new(
            "invalid_dpop_proof",
            "the DPoP key differs from the one the request was pushed with",
        ));
    }
    // Redeemed and issued in one transaction: a second redemption waits for the first to
    // commit, then revokes what it gave — the token included.
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    if !handles::redeem(&txn, &grant.handle_hash, now).await? {
        drop(txn);
        // A second redemption: the code may have been stolen, so what it gave is revoked.
        handles::revoke_consent_tokens(&state.db, grant.consent_id, now).await?;
        return Err(OAuthError::invalid_grant("the grant was already used"));
    }
    let consent = consents::find(&state.db, grant.consent_id)
        .await
        .map_err(OAuthError::server)?
        .ok_or_else(|| OAuthError::invalid_grant("the consent no longer exists"))?;
    if Status::effective(&consent.status, consent.expires_at, now) != Status::Active {
        return Err(OAuthError::invalid_grant("the consent is not active"));
    }
    let token = handles::issue_access_token(
        &txn,
        consent.id,
        &client.client_id,
        &proof.jkt,
        now,
        consent.expires_at,
    )
    .await?;
    txn.commit().await?;
    let granted = state
        .consents
        .granted(consent.id)
        .await
        .map_err(OAuthError::server)?;
    Ok(no_store(
        StatusCode::OK,
        json!({
            "access_token": token,
            "token_type": "DPoP",
            "expires_in": (consent.expires_at - now).num_seconds().max(1),
            "authorization_details": [granted],
        }),
    ))
}

async fn code_grant(
    state: &AppState,
    client: &Authenticated,
    form: &HashMap<String, String>,
    _proof: &Proof,
) -> Result<grants::Model, OAuthError> {
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let code = get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let verifier = get("code_verifier")
        .ok_or_else(|| OAuthError::invalid_request("code_verifier is required (PKCE)"))?;
    let grant = handles::grant(&state.db, code, "code", &client.client_id)
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_grant("the code is unknown or was issued to another client")
        })?;
    if grant.expires_at <= state.clock.now() {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if grant.redeemed_at.is_some() {
        handles::revoke_consent_tokens(&state.db, grant.consent_id, state.clock.now()).await?;
        return Err(OAuthError::invalid_grant("the code was already used"));
    }
    if get("redirect_uri") != grant.redirect_uri.as_deref() {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let valid_verifier = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let expected = grant.code_challenge.as_deref().unwrap_or_default();
    if !valid_verifier || !bool::from(computed.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code challenge",
        ));
    }
    Ok(grant)
}

/// CIBA poll mode (CIBA Core §11): pending, slow down, expired, denied — or the grant.
async fn ciba_grant(
    state: &AppState,
    client: &Authenticated,
    form: &HashMap<String, String>,
) -> Result<grants::Model, OAuthError> {
    let id = form
        .get("auth_req_id")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("auth_req_id is required"))?;
    let grant = handles::grant(&state.db, id, "ciba", &client.client_id)
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_grant("the auth_req_id is unknown or was issued to another client")
        })?;
    let now = state.clock.now();
    if grant.expires_at <= now {
        return Err(OAuthError::new(
            "expired_token",
            "the request has expired: start a new one",
        ));
    }
    if grant.redeemed_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the auth_req_id was already used",
        ));
    }
    let interval = grant.interval_secs.unwrap_or(5);
    if grant.next_poll_at.is_some_and(|next| now < next) {
        let slower = interval + 5;
        handles::polled(
            &state.db,
            &grant.handle_hash,
            now + Duration::seconds(slower.into()),
            slower,
        )
        .await?;
        return Err(OAuthError::new(
            "slow_down",
            format!("poll at most every {slower} seconds"),
        ));
    }
    handles::polled(
        &state.db,
        &grant.handle_hash,
        now + Duration::seconds(interval.into()),
        interval,
    )
    .await?;
    let consent = consents::find(&state.db, grant.consent_id)
        .await
        .map_err(OAuthError::server)?
        .ok_or_else(|| OAuthError::invalid_grant("the consent no longer exists"))?;
    match Status::effective(&consent.status, consent.expires_at, now) {
        Status::Pending => Err(OAuthError::new(
            "authorization_pending",
            "the owner has not answered yet",
        )),
        Status::Active => Ok(grant),
        Status::Denied | Status::Withdrawn => Err(OAuthError::new(
            "access_denied",
            "the owner denied the request",
        )),
        Status::Expired => Err(OAuthError::new("expired_token", "the request has expired")),
        Status::Used => Err(OAuthError::invalid_grant("the consent was used up")),
    }
}
