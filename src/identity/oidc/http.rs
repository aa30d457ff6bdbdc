//! `/auth/login`, `/auth/callback`, `/auth/logout`: the browser side of OpenID Connect login.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;

use super::OidcError;
use super::flow::{self, Callback, LoginError};
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::{SignedIn, check_csrf, check_same_origin};
use crate::ids::{OwnerIdentifier, Text};

const LOGIN_COOKIE: &str = "kho_login";

/// What a cookie value cannot hold as it is (RFC 6265 §4.1.1), and `%` itself; the cookie jar
/// decodes what is read back.
const COOKIE_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// `GET /auth/login`: sends the browser to the OpenID Provider.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let oidc = state.oidc.as_ref().ok_or(ApiError::NotFound)?;
    let (url, browser) = match flow::start(&state.db, oidc, state.clock.now()).await {
        Ok(started) => started,
        Err(e) => return Ok(failure_page(&headers, &e)),
    };
    let cookie = Cookie::build((LOGIN_COOKIE, browser))
        .http_only(true)
        .secure(state.settings.is_production())
        .same_site(SameSite::Lax)
        .path("/auth")
        .max_age(time_minutes(10))
        .build();
    Ok(redirect_with_cookies(url.as_str(), &[cookie]))
}

/// `GET /auth/callback`: finishes the login and starts a new session.
pub async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Result<Response, ApiError> {
    let oidc = state.oidc.as_ref().ok_or(ApiError::NotFound)?;
    let browser = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    let person = match flow::finish(
        &state.db,
        oidc,
        &state.settings,
        browser.as_deref(),
        &callback,
        state.clock.now(),
    )
    .await
    {
        Ok(person) => person,
        Err(e) => return Ok(failure_page(&headers, &e)),
    };
    let who = &person.identifier;
    let token = start_session(&state, who, person.name.as_ref(), person.official).await?;
    let session = session_cookie(&state, token);
    let spent = Cookie::build((LOGIN_COOKIE, ""))
        .path("/auth")
        .max_age(time_minutes(0))
        .build();
    let (target, returned) = return_target(&jar);
    Ok(redirect_with_cookies(&target, &[session, spent, returned]))
}

/// Starts a session for `who` (creating their store the first time); returns its token.
/// `name`, as the identity provider says it, is remembered (sealed).
pub async fn start_session(
    state: &AppState,
    who: &OwnerIdentifier,
    name: Option<&Text>,
    official: bool,
) -> Result<String, ApiError> {
    let owner = state.owners.find_or_create(who).await?;
    if let Some(name) = name {
        state.owners.remember_name(owner.id, name, false).await?;
    }
    let token = state.sessions.create(owner.id, official).await?;
    tracing::info!(owner = %owner.id.0, official, "signed in");
    Ok(token)
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf_token: Option<String>,
}

/// `POST /auth/logout` (form field `csrf_token`, or `X-CSRF-Token`): ends the session on the
/// server — for every Kho process — then logs out at the provider when it offers that.
pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, ApiError> {
    check_same_origin(&headers, &state.settings)?;
    let sent = headers
        .get("x-csrf-token")
        .map(|v| v.as_bytes().to_vec())
        .or(form.csrf_token.map(String::into_bytes))
        .unwrap_or_default();
    check_csrf(&signed_in.session, &sent)?;
    state.sessions.delete(&signed_in.token).await?;
    let target = match &state.oidc {
        Some(oidc) => oidc
            .end_session_url()
            .await
            .map_or_else(|| "/".to_owned(), |u| u.to_string()),
        None => "/".to_owned(),
    };
    // The same attributes as the session cookie (a `__Host-` cookie without Secure is ignored).
    let mut ended = session_cookie(&state, String::new());
    ended.set_max_age(time_minutes(0));
    Ok(redirect_with_cookies(&target, &[ended]))
}

const RETURN_COOKIE: &str = "kho_return";

/// A cookie that brings the browser back to `path` (a local path) after signing in.
pub fn return_cookie(state: &AppState, path: &str) -> Cookie<'static> {
    // Percent-encoded: a `;` or `,` in a query must not end the value and add attributes.
    let value = utf8_percent_encode(path, COOKIE_UNSAFE).to_string();
    Cookie::build((RETURN_COOKIE, value))
        .http_only(true)
        .secure(state.settings.is_production())
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time_minutes(15))
        .build()
}

/// Where to go after signing in (the return cookie's path if it is local, else `/`), and the
/// cookie that clears it.
pub fn return_target(jar: &CookieJar) -> (String, Cookie<'static>) {
    let target = jar
        .get(RETURN_COOKIE)
        // The jar has decoded the value already.
        .map(|c| c.value().to_owned())
        .filter(|p| is_local_path(p) && HeaderValue::from_str(p).is_ok())
        .unwrap_or_else(|| "/".to_owned());
    let spent = Cookie::build((RETURN_COOKIE, ""))
        .path("/")
        .max_age(time_minutes(0))
        .build();
    (target, spent)
}

/// `/something`, never `//host` or `/\host` (which browsers treat as another site).
pub(crate) fn is_local_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") && !p.contains(['\r', '\n'])
}

/// The session cookie after a successful sign-in (shared with the dev sign-in).
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((state.sessions.cookie_name(), token))
        .http_only(true)
        .secure(state.settings.is_production())
        .same_site(SameSite::Lax)
        .path("/")
        .build()
}

/// A 303 to `location` that sets `cookies`.
pub fn redirect_with_cookies(location: &str, cookies: &[Cookie<'_>]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn time_minutes(minutes: i64) -> cookie::time::Duration {
    cookie::time::Duration::minutes(minutes)
}

/// A page in the visitor's language; the precise cause goes to the log, and to the page as a
/// technical detail (the error's own words, which never hold a token).
fn failure_page(headers: &HeaderMap, error: &LoginError) -> Response {
    tracing::warn!(error = %error, "sign-in failed");
    let (status, message) = match error {
        LoginError::Refused(_) => (StatusCode::FORBIDDEN, "sign-in-failed-refused"),
        LoginError::Oidc(OidcError::IdToken(_) | OidcError::NoIdToken) => {
            (StatusCode::BAD_REQUEST, "sign-in-failed-unverified")
        }
        LoginError::Oidc(_) => (StatusCode::BAD_GATEWAY, "sign-in-failed-provider"),
        LoginError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "sign-in-failed-ours"),
        _ => (StatusCode::BAD_REQUEST, "sign-in-failed-stale"),
    };
    let detail = match error {
        LoginError::Store(_) => String::new(),
        other => other.to_string(),
    };
    crate::web::sign_in_failed(headers, status, message, detail)
}
