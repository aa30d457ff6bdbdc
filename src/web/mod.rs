//! What browsers get besides the API: security headers on every response, and the front page.

mod security_headers;

pub use security_headers::{csp_with_form_target, security_headers};

use axum::response::Html;

/// `GET /`: a plain page pointing to sign-in and the API description.
pub async fn index() -> Html<&'static str> {
    Html(include_str!("index.html"))
}
