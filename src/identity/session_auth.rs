//! The `OwnerSession` extractor: a live session, and for state-changing methods a matching
//! `X-CSRF-Token` and a same-origin request (`Origin`, else `Sec-Fetch-Site`).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq;

use super::sessions;
use crate::app::AppState;
use crate::config::Settings;
use crate::error::ApiError;
use crate::owners::OwnerId;

/// The signed-in owner of this request.
#[derive(Debug, Clone)]
pub struct OwnerSession {
    pub owner: OwnerId,
    pub csrf_token: String,
}

impl FromRequestParts<AppState> for OwnerSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(sessions::cookie_name(&state.settings))
            .ok_or(ApiError::Unauthenticated)?;
        let session = sessions::lookup(&state.db, &state.settings, token.value())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !parts.method.is_safe() {
            check_same_origin(&parts.headers, &state.settings)?;
            let sent = parts
                .headers
                .get("x-csrf-token")
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if sent.is_empty() {
                return Err(ApiError::CsrfRejected(
                    "this request changes data: send the session's csrf_token in X-CSRF-Token",
                ));
            }
            if !bool::from(sent.ct_eq(session.csrf_token.as_bytes())) {
                return Err(ApiError::CsrfRejected(
                    "the X-CSRF-Token does not belong to this session",
                ));
            }
        }
        Ok(Self {
            owner: session.owner,
            csrf_token: session.csrf_token,
        })
    }
}

/// Refuses requests a browser marks as coming from another site.
pub(crate) fn check_same_origin(headers: &HeaderMap, settings: &Settings) -> Result<(), ApiError> {
    const FOREIGN: ApiError =
        ApiError::CsrfRejected("requests from another origin cannot change data");
    if let Some(origin) = headers.get("origin") {
        let ours = settings.public_url.origin().ascii_serialization();
        return if origin.as_bytes() == ours.as_bytes() {
            Ok(())
        } else {
            Err(FOREIGN)
        };
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"same-origin" | b"none") => Ok(()),
        Some(_) => Err(FOREIGN),
    }
}
