//! The front page (what Kho is, and signing in), the privacy notice, the language switch, and
//! the dev profile's password-less sign-in.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::failure::PageError;
use super::form::FormErrors;
use super::frame::Frame;
use super::i18n::{LANG_COOKIE, Lang};
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::check_same_origin;
use crate::identity::oidc::http::{
    is_local_path, redirect_with_cookies, return_target, session_cookie, start_session,
};
use crate::ids::OwnerIdentifier;

#[derive(Template)]
#[template(path = "web/home.html")]
struct Home {
    f: Frame,
    oidc: bool,
    dev: bool,
    identifier: String,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    erased: Option<String>,
}

fn home(state: &AppState, f: Frame) -> Home {
    Home {
        f,
        oidc: state.oidc.is_some(),
        dev: state.settings.dev_sign_in_enabled(),
        identifier: String::new(),
        errors: FormErrors::default(),
        notice: None,
    }
}

/// `GET /`: what Kho is and how to sign in; a signed-in person goes on to their documents.
pub async fn index(
    State(state): State<AppState>,
    f: Frame,
    axum::extract::Query(query): axum::extract::Query<HomeQuery>,
) -> Response {
    if f.user.is_some() {
        return render::see_other("/documents");
    }
    let mut page = home(&state, f);
    page.notice = query.erased.map(|_| page.f.t("notice-erased"));
    render::ok(&page)
}

#[derive(Template)]
#[template(path = "web/privacy.html")]
struct Privacy {
    f: Frame,
}

/// `GET /privacy`: what Kho keeps, who sees it, and the owner's rights.
pub async fn privacy(f: Frame) -> Response {
    render::ok(&Privacy { f })
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /language`: remembers the choice in a cookie for a year and goes back.
pub async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Result<Response, PageError> {
    check_same_origin(&headers, &state.settings)?;
    let lang = Lang::from_code(&form.lang).unwrap_or_default();
    let cookie = language_cookie(&state, lang);
    let back = if is_local_path(&form.back) {
        form.back.as_str()
    } else {
        "/"
    };
    Ok(redirect_with_cookies(back, &[cookie]))
}

/// The cookie that remembers the language switch for a year.
pub fn language_cookie(state: &AppState, lang: Lang) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.settings.is_production())
        .max_age(cookie::time::Duration::days(365))
        .build()
}

/// `GET /dev/sign-in`: the front page, whose dev form posts here.
pub async fn dev_sign_in_page(State(state): State<AppState>, f: Frame) -> Response {
    render::ok(&home(&state, f))
}

#[derive(Deserialize)]
pub struct DevSignIn {
    identifier: String,
}

/// `POST /dev/sign-in` (dev profile only): `identifier` is a personal ID or tax code; the store
/// is created at the first sign-in. Answers 303 to `/documents` (or to the page that asked for
/// the sign-in) with the session cookie set. A browser that typed a malformed identifier gets
/// the page back with the error; other clients get `application/problem+json`.
pub async fn dev_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    f: Frame,
    Form(form): Form<DevSignIn>,
) -> Result<Response, ApiError> {
    check_same_origin(&headers, &state.settings)?;
    let who = match OwnerIdentifier::parse(&form.identifier) {
        Ok(who) => who,
        Err(_) if wants_html(&headers) => {
            let mut page = home(&state, f);
            page.errors
                .add_key(page.f.tr, "identifier", "error-identifier");
            page.identifier = form.identifier;
            return Ok(render::page(StatusCode::BAD_REQUEST, &page));
        }
        Err(e) => return Err(e.into()),
    };
    let token = start_session(&state, &who, None, false).await?;
    let (target, returned) = return_target(&jar);
    let target = if target == "/" {
        "/documents".to_owned()
    } else {
        target
    };
    Ok(redirect_with_cookies(
        &target,
        &[session_cookie(&state, token), returned],
    ))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
