//! `/.well-known/oauth-authorization-server` (RFC 8414) and the store's public keys at
//! `/oauth/jwks`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;
use crate::error::ApiError;
use crate::oauth::dpop;

pub async fn metadata(State(state): State<AppState>) -> Json<serde_json::Value> {
    let auth_methods = if state.settings.clients_require_private_key_jwt {
        json!(["private_key_jwt"])
    } else {
        json!([
            "private_key_jwt",
            "client_secret_basic",
            "client_secret_post"
        ])
    };
    Json(json!({
        "issuer": state.signer.issuer(),
        "authorization_endpoint": state.signer.endpoint("/authorize"),
        "token_endpoint": state.signer.endpoint("/oauth/token"),
        "pushed_authorization_request_endpoint": state.signer.endpoint("/oauth/par"),
        "require_pushed_authorization_requests": true,
        "backchannel_authentication_endpoint": state.signer.endpoint("/oauth/bc-authorize"),
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_user_code_parameter_supported": false,
        "revocation_endpoint": state.signer.endpoint("/oauth/revoke"),
        "introspection_endpoint": state.signer.endpoint("/oauth/introspect"),
        "jwks_uri": state.signer.endpoint("/oauth/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "urn:openid:params:grant-type:ciba"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "ES384", "PS256", "RS256", "EdDSA"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "dpop_signing_alg_values_supported": dpop::ALGORITHMS,
        "authorization_details_types_supported": [crate::oauth::details::DOCUMENT_ACCESS],
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": [],
    }))
}

/// The store's published signing keys (consent receipts, access-log checkpoints).
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.signer.public_keys().map_err(ApiError::internal)?;
    let mut response = Json(keys).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
