//! Axum extractors whose rejections are problem+json like every other error.

use axum::extract::FromRequestParts;
use axum::extract::rejection::PathRejection;

use crate::error::ApiError;

/// Query parameters; a malformed query is a 400 problem.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters; a malformed one (say, not a UUID) is a 400 problem.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// A JSON body; malformed JSON, a wrong content type or a wrong shape is a 400 problem.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A page size from a query: `default` when absent, refused outside `1..=max`.
pub fn page_limit(requested: Option<&str>, default: u64, max: u64) -> Result<u64, ApiError> {
    // Digits only: `str::parse` would also take `+5`.
    let limit = match requested {
        None => default,
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().unwrap_or(u64::MAX)
        }
        Some(_) => 0,
    };
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::BadRequest(format!(
            "limit must be from 1 to {max}"
        )))
    }
}
