//! Kho's one stylesheet, served from our origin under a content-hashed name with a year of
//! caching: a new stylesheet gets a new URL, so nobody sees a stale one.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const STYLESHEET: &str = include_str!("kho.css");

static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    format!("/assets/kho-{}.css", &hex::encode(digest)[..16])
});

pub fn stylesheet_url() -> &'static str {
    STYLESHEET_URL.as_str()
}

/// `GET /assets/{name}`: the stylesheet under its current name; anything else is not found.
pub async fn asset(Path(name): Path<String>) -> Response {
    if format!("/assets/{name}") != stylesheet_url() {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}
