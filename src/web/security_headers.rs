//! Security headers set on every response (a handler may set a stricter or more specific one
//! first, as the consent screen does for its `form-action`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Settings;

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

/// Two years, subdomains too: once a browser has reached Kho over HTTPS it never tries plain
/// HTTP again (sent whenever the public URL is https, which production requires).
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Answers that carry an owner's data, a session's CSRF token or an OAuth secret: never stored
/// by a browser or a proxy, unless the handler said otherwise (a download revalidates by ETag).
fn private(path: &str) -> bool {
    path.starts_with("/v1/me") || (path.starts_with("/oauth/") && path != "/oauth/jwks")
}

pub async fn security_headers(
    State(settings): State<Arc<Settings>>,
    request: Request,
    next: Next,
) -> Response {
    let private = private(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if settings.public_url.scheme() == "https" {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if private {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::private;

    #[test]
    fn owner_and_oauth_answers_are_private_and_published_keys_are_not() {
        for path in ["/v1/me", "/v1/me/documents", "/oauth/par", "/oauth/token"] {
            assert!(private(path), "{path}");
        }
        for path in ["/oauth/jwks", "/v1/verify", "/", "/openapi.json"] {
            assert!(!private(path), "{path}");
        }
    }
}
