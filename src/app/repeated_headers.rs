//! A request naming a security header twice is refused: with two `X-CSRF-Token`s, two `Origin`s
//! or two `Authorization`s, which one a check reads is up to the code that reads it, and an
//! attacker who can add a header could make a good one be read while a bad one is acted on.

use axum::extract::Request;
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The headers a request may carry once at most.
const ONCE: [&str; 8] = [
    "authorization",
    "dpop",
    "x-csrf-token",
    "origin",
    "sec-fetch-site",
    "host",
    "content-type",
    "if-none-match",
];

/// The first header of [`ONCE`] that `request` carries more than once.
fn repeated(request: &Request) -> Option<&'static str> {
    ONCE.into_iter().find(|name| {
        let name = HeaderName::from_static(name);
        request.headers().get_all(name).iter().nth(1).is_some()
    })
}

/// Refuses a request with a repeated security header (400, problem+json).
pub async fn refuse_repeated_headers(request: Request, next: Next) -> Response {
    if let Some(name) = repeated(&request) {
        return ApiError::BadRequest(format!("the header `{name}` is sent more than once"))
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/v1/me");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn a_security_header_twice_is_found_and_other_headers_are_not() {
        assert_eq!(
            repeated(&request(&[
                ("x-csrf-token", "good"),
                ("x-csrf-token", "bad")
            ])),
            Some("x-csrf-token")
        );
        assert_eq!(
            repeated(&request(&[("Origin", "http://a"), ("origin", "http://b")])),
            Some("origin")
        );
        assert_eq!(
            repeated(&request(&[
                ("accept", "a"),
                ("accept", "b"),
                ("x-csrf-token", "one")
            ])),
            None
        );
    }
}
