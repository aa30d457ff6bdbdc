//! Security headers set on every response.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const HEADERS: [(HeaderName, &str); 5] = [
    // No inline script or style anywhere, no framing, forms post only to us.
    // https://developer.mozilla.org/docs/Web/HTTP/CSP
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    ),
    // Browsers must take our Content-Type (decided by magic bytes) as given, never sniff.
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // Document ids in URLs are nobody else's business.
    (header::REFERRER_POLICY, "no-referrer"),
    // Legacy framing protection for browsers without CSP frame-ancestors.
    (header::X_FRAME_OPTIONS, "DENY"),
    // Keep our windows out of other sites' reach (Spectre-class leaks).
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
