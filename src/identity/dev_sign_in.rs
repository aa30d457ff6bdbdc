//! The password-less sign-in of the dev profile: type an identifier, get a session. Served only
//! when `dev_sign_in_enabled()`; production refuses to start with it.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::session_auth::check_same_origin;
use super::sessions;
use crate::app::AppState;
use crate::error::ApiError;
use crate::ids::OwnerIdentifier;
use crate::owners;

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
/// first sign-in. Answers 303 to `/` with the session cookie set.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, ApiError> {
    check_same_origin(&headers, &state.settings)?;
    let who = OwnerIdentifier::parse(&form.identifier)?;
    let owner = owners::find_or_create(&state.db, &state.keys, &who).await?;
    let token = sessions::create(&state.db, &state.settings, owner.id).await?;
    let cookie = Cookie::build((sessions::cookie_name(&state.settings), token))
        .http_only(true)
        .secure(state.settings.is_production())
        .same_site(SameSite::Lax)
        .path("/")
        .build();
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    let value = HeaderValue::from_str(&cookie.to_string()).map_err(ApiError::internal)?;
    response.headers_mut().insert(header::SET_COOKIE, value);
    Ok(response)
}
