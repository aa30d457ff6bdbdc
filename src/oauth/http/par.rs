//! `POST /oauth/par` (RFC 9126): the only way to start the redirect flow. The portal
//! authenticates and pushes everything — redirect URI, PKCE challenge, `state`, and what it
//! asks for — and gets a `request_uri` that lives five minutes and is used once.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Duration;
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use serde_json::json;

use super::form::OAuthForm;
use super::{OAuthError, authenticate_portal, dpop_proofs, no_store};
use crate::app::AppState;
use crate::clients::find_enabled;
use crate::oauth::{details, handles};
use crate::storage::entities::par_requests;

pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
const LIFETIME_SECS: i64 = 300;

pub async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthForm(form): OAuthForm,
) -> Result<Response, OAuthError> {
    let client = authenticate_portal(&state.client_auth, &headers, &form, "/oauth/par").await?;
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if get("request_uri").is_some() || get("request").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri and request are not accepted at the pushed authorization request endpoint",
        ));
    }
    if get("client_id").is_some_and(|id| id != client.client_id) {
        return Err(OAuthError::invalid_request(
            "client_id does not match the authenticated client",
        ));
    }
    if get("response_type") != Some("code") {
        return Err(OAuthError::new(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let redirect_uri = get("redirect_uri")
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is required"))?;
    let registered = find_enabled(&state.db, &client.client_id)
        .await?
        .map(|c| serde_json::from_str::<Vec<String>>(&c.redirect_uris).unwrap_or_default())
        .unwrap_or_default();
    if !registered.iter().any(|r| r == redirect_uri) {
        return Err(OAuthError::invalid_request(
            "redirect_uri is not one of the client's registered redirect URIs",
        ));
    }
    if get("code_challenge_method") != Some("S256") {
        return Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        ));
    }
    let challenge = get("code_challenge")
        .filter(|c| c.len() == 43 && c.bytes().all(is_base64url))
        .ok_or_else(|| {
            OAuthError::invalid_request(
                "code_challenge must be the base64url SHA-256 of the verifier",
            )
        })?;
    let asked = details::parse(get("authorization_details").unwrap_or("[]"))
        .map_err(|why| OAuthError::new("invalid_authorization_details", why))?;
    // RFC 9449 §10: a DPoP proof at PAR, or the `dpop_jkt` parameter, binds the code to that
    // key; both at once must name the same key.
    let from_proof = if headers.contains_key("dpop") {
        let url = state.signer.endpoint("/oauth/par");
        Some(
            state
                .dpop
                .verify(&dpop_proofs(&headers), "POST", &url, None)
                .await
                .map_err(super::token::dpop_error)?
                .jkt,
        )
    } else {
        None
    };
    let dpop_jkt = match (from_proof, get("dpop_jkt")) {
        (Some(proven), Some(named)) if proven != named => {
            return Err(OAuthError::new(
                "invalid_dpop_proof",
                "dpop_jkt does not name the key of the DPoP proof",
            ));
        }
        (Some(proven), _) => Some(proven),
        (None, Some(named)) if named.len() == 43 && named.bytes().all(is_base64url) => {
            Some(named.to_owned())
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
            ));
        }
        (None, None) => None,
    };
    let handle = handles::fresh()?;
    let row = par_requests::ActiveModel {
        handle_hash: Set(handles::hash(&handle)),
        client_id: Set(client.client_id.clone()),
        redirect_uri: Set(redirect_uri.to_owned()),
        state: Set(get("state").map(str::to_owned)),
        code_challenge: Set(challenge.to_owned()),
        dpop_jkt: Set(dpop_jkt),
        details: Set(serde_json::to_string(&asked).map_err(OAuthError::server)?),
        expires_at: Set(state.clock.now() + Duration::seconds(LIFETIME_SECS)),
        used_at: Set(None),
    };
    par_requests::Entity::insert(row)
        .exec_without_returning(&state.db)
        .await?;
    Ok(no_store(
        StatusCode::CREATED,
        json!({ "request_uri": format!("{REQUEST_URI_PREFIX}{handle}"), "expires_in": LIFETIME_SECS }),
    ))
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}
