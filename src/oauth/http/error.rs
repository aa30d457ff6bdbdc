//! OAuth error responses (RFC 6749 §5.2, RFC 9449 §7.1 / §8): a JSON body with `error` and
//! `error_description`, `Cache-Control: no-store`, and a fresh `DPoP-Nonce` when one is due.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::clients::ClientAuthError;
use crate::storage::StoreError;

/// An OAuth error, as the token, PAR, CIBA, revocation and introspection endpoints answer it.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: Option<String>,
    /// Sent as `DPoP-Nonce` (with `use_dpop_nonce`).
    pub nonce: Option<String>,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = match error {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            error,
            description: Some(description.into()),
            nonce: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    /// A failure below OAuth: logged here, answered as a bare `server_error`.
    pub fn server(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "OAuth endpoint failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: None,
            nonce: None,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        Self::server(e)
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::server(e)
    }
}

impl From<ClientAuthError> for OAuthError {
    fn from(e: ClientAuthError) -> Self {
        match e {
            ClientAuthError::Invalid => Self {
                description: None,
                ..Self::new("invalid_client", "")
            },
            ClientAuthError::Malformed(why) => Self::invalid_request(why),
            ClientAuthError::Store(e) => Self::server(e),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error });
        if let Some(d) = &self.description {
            body["error_description"] = json!(d);
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"kho\""),
            );
        }
        if let Some(nonce) = self.nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            headers.insert("dpop-nonce", nonce);
        }
        response
    }
}

/// A successful OAuth JSON answer: never cached.
pub fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
