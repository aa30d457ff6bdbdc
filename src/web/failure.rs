//! Failures on pages: a handler returns [`PageError`] (any `ApiError` converts), and the pages'
//! layer [`render_failures`] turns it into a page in the visitor's language — or, for a missing
//! session, into the front page's sign-in that returns to where the person was. Never JSON.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::frame::{Frame, here, language_from, language_of};
use super::i18n::Tr;
use super::{assets, csp_with_form_target, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::oidc::http::{redirect_with_cookies, return_cookie};

/// Why a page could not be shown, and the catalogue message that says so (else one chosen
/// by the kind of error).
#[derive(Debug)]
pub struct PageError {
    error: ApiError,
    message: Option<&'static str>,
}

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self {
            error: e.into(),
            message: None,
        }
    }
}

impl PageError {
    /// The page that does not exist.
    pub fn not_found() -> Self {
        ApiError::NotFound.into()
    }

    /// `error`'s status, with the catalogue message `key`.
    pub fn said(error: ApiError, key: &'static str) -> Self {
        Self {
            error,
            message: Some(key),
        }
    }
}

/// Carried from the handler to [`render_failures`] in the response's extensions.
#[derive(Debug, Clone, Copy)]
struct Failure {
    status: StatusCode,
    message: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let chosen = match &self.error {
            ApiError::Unauthenticated => "error-sign-in",
            ApiError::NotFound => "error-not-found",
            ApiError::CsrfRejected(_) => "error-csrf",
            ApiError::Forbidden(_) | ApiError::NotPermitted(_) => "error-forbidden",
            ApiError::Unavailable | ApiError::RetryLater(_) => "error-retry",
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "page failed");
                "error-internal"
            }
            ApiError::Integrity => {
                tracing::error!("stored data failed its integrity check");
                "error-internal"
            }
            _ => "error-bad-request",
        };
        let message = self.message.unwrap_or(chosen);
        let status = self.error.into_response().status();
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(Failure { status, message });
        response
    }
}

/// Every page's sign-out form is answered with a redirect to the provider's logout, which
/// browsers hold to the page's `form-action`: the provider's origin is allowed there too.
fn allow_sign_out_to_provider(state: &AppState, response: &mut Response) {
    let Some(oidc) = &state.oidc else { return };
    let Ok(issuer) = url::Url::parse(oidc.issuer()) else {
        return;
    };
    let provider = issuer.origin().ascii_serialization();
    // A page may already allow another target (the consent screen: the portal): keep it.
    let csp = match response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
    {
        Some(set) => set
            .split("; ")
            .map(|directive| {
                if directive.starts_with("form-action ") {
                    format!("{directive} {provider}")
                } else {
                    directive.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        None => csp_with_form_target(&provider),
    };
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    f: Frame,
    message: &'static str,
}

/// Renders the failures of the pages below it in the visitor's language.
pub async fn render_failures(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let lang = language_of(&parts);
    let path = here(&parts);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    allow_sign_out_to_provider(&state, &mut response);
    let Some(failure) = response.extensions().get::<Failure>().copied() else {
        return response;
    };
    if failure.status == StatusCode::UNAUTHORIZED {
        // Sign in first, then back here (GET pages only: a form's answer cannot be replayed).
        return redirect_with_cookies("/", &[return_cookie(&state, &path)]);
    }
    let page = ErrorPage {
        f: bare_frame(Tr::new(lang), path),
        message: failure.message,
    };
    render::page(failure.status, &page)
}

/// The frame of a page shown to nobody in particular.
fn bare_frame(tr: Tr, here: String) -> Frame {
    Frame {
        tr,
        here,
        user: None,
        csrf: String::new(),
        stylesheet: assets::stylesheet_url(),
    }
}

#[derive(Template)]
#[template(path = "web/sign_in_failed.html")]
struct SignInFailed {
    f: Frame,
    message: &'static str,
    detail: String,
}

/// The page of a sign-in that failed, in the visitor's language: why in plain words (catalogue
/// `message`), and the technical `detail` for support (never a token or a secret).
pub fn sign_in_failed(
    headers: &axum::http::HeaderMap,
    status: StatusCode,
    message: &'static str,
    detail: String,
) -> Response {
    let page = SignInFailed {
        f: bare_frame(Tr::new(language_from(headers)), "/".into()),
        message,
        detail,
    };
    render::page(status, &page)
}
