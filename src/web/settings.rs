//! `GET /settings`: the signed-in person's own settings — the language of pages and e-mails, and
//! the e-mail address notices go to. A new address gets a confirmation link and is used only
//! once the link is followed; the link works without signing in, and confirms only with a
//! button (a mail scanner that opens links confirms nothing).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::failure::PageError;
use super::form::FormErrors;
use super::frame::{Citizen, Frame};
use super::home::language_cookie;
use super::i18n::Lang;
use super::render;
use crate::app::AppState;
use crate::identity::check_same_origin;
use crate::identity::oidc::http::redirect_with_cookies;
use crate::notices::mail::Letter;
use crate::notices::{ContactError, Notices, parse_address};

#[derive(Template)]
#[template(path = "web/settings.html")]
struct SettingsPage {
    f: Frame,
    mail_enabled: bool,
    email: Option<String>,
    confirmed: bool,
    typed: String,
    errors: FormErrors,
    /// What was just done: `language`, `sent`, `removed`.
    done: String,
    acting: bool,
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn settings_page(
    notices: &Notices,
    citizen: Citizen,
    typed: String,
    errors: FormErrors,
    done: String,
) -> Result<SettingsPage, PageError> {
    let contact = notices.contact(citizen.session.person).await?;
    Ok(SettingsPage {
        mail_enabled: notices.mail_enabled(),
        email: contact.email,
        confirmed: contact.confirmed,
        typed,
        errors,
        done,
        acting: citizen.session.mandate.is_some(),
        f: citizen.frame,
    })
}

/// `GET /settings`.
pub async fn page(
    State(notices): State<Notices>,
    citizen: Citizen,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let done = match done.done.as_str() {
        known @ ("language" | "sent" | "removed") => known.to_owned(),
        _ => String::new(),
    };
    let page = settings_page(
        &notices,
        citizen,
        String::new(),
        FormErrors::default(),
        done,
    );
    Ok(render::ok(&page.await?))
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    lang: String,
}

/// `POST /settings/language`: pages (a cookie) and e-mails (kept with the store) in one language.
pub async fn language(
    State(state): State<AppState>,
    citizen: Citizen,
    Form(form): Form<LanguageForm>,
) -> Result<Response, PageError> {
    citizen.check_form(&form.csrf_token)?;
    let lang = Lang::from_code(&form.lang).unwrap_or_default();
    state
        .notices
        .set_language(citizen.session.person, lang.code())
        .await?;
    let cookie = language_cookie(&state, lang);
    Ok(redirect_with_cookies("/settings?done=language", &[cookie]))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
}

/// `POST /settings/email`: keeps the address and mails it the confirmation link.
pub async fn email(
    State(state): State<AppState>,
    citizen: Citizen,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    citizen.check_form(&form.csrf_token)?;
    let tr = citizen.tr();
    let Ok(address) = parse_address(&form.email) else {
        return refused(&state.notices, citizen, "error-email-address", form.email).await;
    };
    let base = state.settings.public_url.as_str().trim_end_matches('/');
    let letter = |token: &str| Letter {
        subject: tr.t("mail-confirm-subject"),
        body: tr.t_with(
            "mail-confirm-body",
            &[(
                "link",
                &format!("{base}/settings/email/confirm?token={token}"),
            )],
        ),
    };
    let owner = citizen.session.person;
    match state
        .notices
        .set_email(owner, &address, tr.lang.code(), letter)
        .await
    {
        Ok(()) => Ok(render::see_other("/settings?done=sent")),
        Err(ContactError::Send(e)) => {
            tracing::warn!(error = %e, "the confirmation e-mail was not sent");
            refused(&state.notices, citizen, "error-email-not-sent", form.email).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The settings page again, with the address as typed and why it was not taken.
async fn refused(
    notices: &Notices,
    citizen: Citizen,
    key: &str,
    typed: String,
) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    errors.add_key(citizen.tr(), "email", key);
    let page = settings_page(notices, citizen, typed, errors, String::new()).await?;
    Ok(render::page(StatusCode::BAD_REQUEST, &page))
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /settings/email/remove`: no more e-mail.
pub async fn remove_email(
    State(notices): State<Notices>,
    citizen: Citizen,
    Form(form): Form<RemoveForm>,
) -> Result<Response, PageError> {
    citizen.check_form(&form.csrf_token)?;
    notices.remove_email(citizen.session.person).await?;
    Ok(render::see_other("/settings?done=removed"))
}

#[derive(Template)]
#[template(path = "web/email_confirm.html")]
struct ConfirmPage {
    f: Frame,
    token: String,
    /// `ask` (the button), `done`, or `unusable`.
    state: &'static str,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /settings/email/confirm?token=…`: the button that confirms.
pub async fn confirm_page(f: Frame, Query(query): Query<TokenQuery>) -> Response {
    render::ok(&ConfirmPage {
        f,
        token: query.token,
        state: "ask",
    })
}

/// `POST /settings/email/confirm`.
pub async fn confirm(
    State(state): State<AppState>,
    f: Frame,
    headers: HeaderMap,
    Form(form): Form<TokenQuery>,
) -> Result<Response, PageError> {
    check_same_origin(&headers, &state.settings)?;
    let (status, outcome) = match state.notices.confirm_email(&form.token).await {
        Ok(()) => (StatusCode::OK, "done"),
        Err(ContactError::LinkUnusable) => (StatusCode::BAD_REQUEST, "unusable"),
        Err(e) => return Err(e.into()),
    };
    Ok(render::page(
        status,
        &ConfirmPage {
            f,
            token: String::new(),
            state: outcome,
        },
    ))
}
