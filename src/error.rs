//! The one error type at the HTTP boundary: every failure becomes an RFC 9457
//! `application/problem+json` body with a stable `type`. Internal causes are logged once, here,
//! and never returned.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::multipart::MultipartError;
use serde::Serialize;

use crate::ids::ParseError;
use crate::storage::StoreError;

/// Prefix of every problem `type`; the slug after it is stable and documented in the README.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:kho:problem:";

/// What went wrong, as far as a client needs to know.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad JSON, a bad multipart body, a missing field).
    #[error("{0}")]
    BadRequest(String),
    /// 400: a field holds a value of the wrong shape (an identifier, a code, a date).
    #[error(transparent)]
    InvalidField(#[from] ParseError),
    /// 401: no valid session.
    #[error("sign in first")]
    Unauthenticated,
    /// 403: a state-changing request without a valid CSRF token or from a foreign origin.
    #[error("{0}")]
    CsrfRejected(&'static str),
    /// 403: signed in, but not allowed (a mandate's scope or dates).
    #[error("{0}")]
    Forbidden(&'static str),
    /// 403: a signed request for something its signer may not do.
    #[error("{0}")]
    NotPermitted(String),
    /// 401: a signed request whose signature is not by a registered key.
    #[error("{0}")]
    InvalidSignature(String),
    /// 400: a QR seal that is malformed, or whose signature does not check out.
    #[error("{0}")]
    InvalidSeal(String),
    /// 404: no such resource for this caller — also when it belongs to someone else.
    #[error("not found")]
    NotFound,
    /// 409: the request conflicts with the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than allowed.
    #[error("the document is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// 413: a request body larger than the endpoint takes.
    #[error("the request body is larger than this endpoint takes")]
    BodyTooLarge,
    /// 415: the content is none of the accepted formats.
    #[error("the content is not an accepted format (PDF, JPEG, PNG, XML or JSON)")]
    UnsupportedContent,
    /// 500: stored data failed its integrity check (tampering or corruption); logged.
    #[error("the stored document failed its integrity check")]
    Integrity,
    /// 503: a passing condition (a store created concurrently, keys that cannot be fetched):
    /// the same request, sent again, should work. Answered with `Retry-After`.
    #[error("{0}")]
    RetryLater(String),
    /// 401: a portal's DPoP-bound token, or its proof, refused (RFC 9449 §7.1): answered with a
    /// `WWW-Authenticate: DPoP` challenge naming `error`, and the nonce to use when one is due.
    #[error("{why}")]
    DpopRefused {
        slug: &'static str,
        error: Option<&'static str>,
        why: String,
        nonce: Option<String>,
    },
    /// 410: the issuer revoked or superseded the document; its content is no longer served.
    #[error("{0}")]
    Revoked(String),
    /// 403: the document's one fetch under a one-time consent is taken.
    #[error("this document was already fetched under a one-time consent")]
    AlreadyFetched,
    /// 405: the method is not one this resource answers.
    #[error("{0}")]
    MethodNotAllowed(&'static str),
    /// 503: a dependency is not ready.
    #[error("the service is not ready")]
    Unavailable,
    /// 500: anything else; the cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    fn status_and_slug(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            Self::InvalidField(_) => (StatusCode::BAD_REQUEST, "invalid-field"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::CsrfRejected(_) => (StatusCode::FORBIDDEN, "csrf-rejected"),
            Self::Forbidden(_) | Self::NotPermitted(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::InvalidSignature(_) => (StatusCode::UNAUTHORIZED, "invalid-signature"),
            Self::InvalidSeal(_) => (StatusCode::BAD_REQUEST, "invalid-seal"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not-found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::TooLarge { .. } | Self::BodyTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too-large")
            }
            Self::UnsupportedContent => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-content"),
            Self::Integrity => (StatusCode::INTERNAL_SERVER_ERROR, "integrity-check-failed"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::RetryLater(_) => (StatusCode::SERVICE_UNAVAILABLE, "retry-later"),
            Self::DpopRefused { slug, .. } => (StatusCode::UNAUTHORIZED, slug),
            Self::Revoked(_) => (StatusCode::GONE, "document-revoked"),
            Self::AlreadyFetched => (StatusCode::FORBIDDEN, "already-fetched"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:kho:problem:<slug>`, stable per kind of error.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A problem response for `status` with `slug` and an optional detail.
pub fn problem(status: StatusCode, slug: &str, detail: Option<String>) -> Response {
    let body = Problem {
        kind: format!("{PROBLEM_TYPE_PREFIX}{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug) = self.status_and_slug();
        match &self {
            Self::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            Self::Integrity => tracing::error!("stored data failed its integrity check"),
            _ => {}
        }
        let retry = matches!(self, Self::RetryLater(_));
        let dpop = match &self {
            Self::DpopRefused {
                error, why, nonce, ..
            } => Some((dpop_challenge(*error, why), nonce.clone())),
            _ => None,
        };
        let detail = match self {
            Self::Internal(_) => None,
            other => Some(other.to_string()),
        };
        let mut response = problem(status, slug, detail);
        let headers = response.headers_mut();
        if retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some((challenge, nonce)) = dpop {
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
            if let Some(value) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
                headers.insert("dpop-nonce", value);
            }
        }
        response
    }
}

/// The `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1), with the algorithms Kho accepts.
fn dpop_challenge(error: Option<&str>, description: &str) -> String {
    let algs = crate::oauth::dpop::ALGORITHMS.join(" ");
    match error {
        Some(e) => {
            format!("DPoP error=\"{e}\", error_description=\"{description}\", algs=\"{algs}\"")
        }
        None => format!("DPoP algs=\"{algs}\""),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::BodyTooLarge;
        }
        Self::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::BodyTooLarge
        } else {
            Self::BadRequest(format!("malformed multipart body: {}", e.body_text()))
        }
    }
}

/// A store's failure: an integrity failure has its own type; the database or the blob store not
/// answering passes (`retry-later`); anything else is a fault.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Integrity(_) => Self::Integrity,
            // The store not answering, or full, passes; anything else is a fault.
            StoreError::Blob(e) if crate::storage::passing::blobs(&e) => {
                tracing::warn!(error = %e, "the blob store does not answer");
                Self::RetryLater("the document store does not answer; send the same again".into())
            }
            StoreError::Db(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        if crate::storage::passing::database(&e) {
            tracing::warn!(error = %e, "the database does not answer");
            return Self::RetryLater("the database does not answer; send the same again".into());
        }
        Self::internal(e)
    }
}

/// Gives bare error responses (a 405 from routing, a 413 from a body limit, an extractor's
/// rejection) a problem body too. For client errors, the original text (axum's rejection
/// message, written for clients) becomes the detail; for server errors nothing is passed on.
pub async fn problem_for_bare_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    // Only bare or plain-text bodies (routing, extractor rejections) are replaced: JSON problems
    // and HTML pages meant for people stay as they are.
    let is_bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !is_bare {
        return response;
    }
    let slug = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-content",
        s if s.is_client_error() => "bad-request",
        _ => "internal",
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let detail = if status.is_client_error() {
        axum::body::to_bytes(response.into_body(), 2048)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .filter(|text| !text.trim().is_empty())
    } else {
        None
    };
    let mut replaced = problem(status, slug, detail);
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}

impl From<crate::access::Denied> for ApiError {
    fn from(e: crate::access::Denied) -> Self {
        Self::Forbidden(e.0)
    }
}

impl From<crate::access::AccessError> for ApiError {
    fn from(e: crate::access::AccessError) -> Self {
        match e {
            crate::access::AccessError::Denied(denied) => denied.into(),
            crate::access::AccessError::Store(e) => e.into(),
        }
    }
}

impl From<crate::notices::ContactError> for ApiError {
    fn from(e: crate::notices::ContactError) -> Self {
        use crate::notices::ContactError;
        match e {
            ContactError::NotAnAddress | ContactError::LinkUnusable => {
                Self::BadRequest(e.to_string())
            }
            ContactError::MailDisabled => Self::NotPermitted(e.to_string()),
            ContactError::NoStore => Self::NotFound,
            ContactError::Send(_) => Self::Unavailable,
            ContactError::Store(e) => e.into(),
        }
    }
}
