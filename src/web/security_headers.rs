//! Security headers set on every response (a handler may set a stricter or more specific one
//! first, as the consent screen does for its `form-action`).

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// No inline script or style anywhere, no framing, forms post only to us.
/// https://developer.mozilla.org/docs/Web/HTTP/CSP
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// The policy for a page whose form's answer redirects to `origin` (the consent screen sends
/// the browser back to the portal): browsers apply `form-action` to that redirect too.
pub fn csp_with_form_target(origin: &str) -> String {
    CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    )
}

const HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    // Browsers must take our Content-Type (decided by magic bytes) as given, never sniff.
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // Document ids in URLs are nobody else's business. (Not `no-referrer`: under it browsers
    // send `Origin: null` on our own form posts, and the origin check could not tell them apart.)
    (header::REFERRER_POLICY, "same-origin"),
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
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
