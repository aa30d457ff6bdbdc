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
pub fn page_limit(requested: Option<u64>, default: u64, max: u64) -> Result<u64, ApiError> {
    let limit = requested.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::BadRequest(format!(
            "limit must be from 1 to {max}"
        )))
    }
}
