//! `POST /oauth/introspect` (RFC 7662): for a gateway with client credentials, whether a token is
//! active. Kho issues no access tokens yet (they come with consent), so every token is inactive —
//! but the endpoint already authenticates its clients exactly as the token endpoint will.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use super::{ClientAuthError, authenticate};
use crate::app::AppState;

/// An OAuth error response (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: Option<&str>) -> Response {
    let mut body = json!({ "error": error });
    if let Some(d) = description {
        body["error_description"] = json!(d);
    }
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"kho\""),
        );
    }
    response
}

pub async fn introspect(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let endpoint = format!(
        "{}/oauth/introspect",
        state.settings.public_url.as_str().trim_end_matches('/')
    );
    match authenticate(&state, &headers, &form, &endpoint).await {
        Ok(client) => {
            if form.get("token").is_none_or(String::is_empty) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    Some("the token parameter is required"),
                );
            }
            tracing::debug!(client = %client.client_id, "introspection");
            let mut response = Json(json!({ "active": false })).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(ClientAuthError::Invalid) => {
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", None)
        }
        Err(ClientAuthError::Malformed(why)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request", Some(why))
        }
        Err(ClientAuthError::Store(e)) => {
            tracing::error!(error = %e, "client authentication failed internally");
            oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None)
        }
    }
}
