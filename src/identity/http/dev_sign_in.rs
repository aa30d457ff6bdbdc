//! The password-less sign-in of the dev profile: type an identifier, get a session. Served only
//! when `dev_sign_in_enabled()`; production refuses to start with it.

use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::check_same_origin;
use crate::identity::oidc::http::{redirect_with_cookies, session_cookie};
use crate::ids::OwnerIdentifier;

const PAGE: &str = include_str!("dev_sign_in.html");

/// `GET /dev/sign-in`: the form.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

#[derive(Deserialize)]
pub struct SignIn {
    identifier: String,
}

/// `POST /dev/sign-in`: `identifier` is a personal ID or tax code; the store is created at the
/// first sign-in. Answers 303 to `/` (or to the page that asked for the sign-in) with the session cookie set.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: axum_extra::extract::CookieJar,
    Form(form): Form<SignIn>,
) -> Result<Response, ApiError> {
    check_same_origin(&headers, &state.settings)?;
    let who = OwnerIdentifier::parse(&form.identifier)?;
    let token = crate::identity::oidc::http::start_session(&state, &who, None, false).await?;
    let (target, returned) = crate::identity::oidc::http::return_target(&jar);
    Ok(redirect_with_cookies(
        &target,
        &[session_cookie(&state, token), returned],
    ))
}
