//! "My data": download everything (a ZIP), and erase the store — after a page that says what
//! erasing means and asks for the identifier to be typed.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::failure::PageError;
use super::form::FormErrors;
use super::frame::{Citizen, Frame};
use super::render;
use crate::access::AccessPolicy;
use crate::error::ApiError;
use crate::export::Export;
use crate::export::http::archive;
use crate::identity::Sessions;
use crate::identity::oidc::http::{redirect_with_cookies, session_cookie};
use crate::ids::OwnerIdentifier;
use crate::owners::Owners;

#[derive(Template)]
#[template(path = "web/my_data.html")]
struct MyData {
    f: Frame,
    /// Only the owner themself may erase (not a representative).
    may_erase: bool,
}

/// `GET /my-data`.
pub async fn page(citizen: Citizen) -> Response {
    render::ok(&MyData {
        may_erase: citizen.session.mandate.is_none(),
        f: citizen.frame,
    })
}

/// `GET /my-data/export`: the ZIP.
pub async fn export(
    State(access): State<AccessPolicy>,
    State(export): State<Export>,
    citizen: Citizen,
) -> Result<Response, PageError> {
    Ok(archive(&access, &export, &citizen.session).await?)
}

#[derive(Template)]
#[template(path = "web/erase.html")]
struct ErasePage {
    f: Frame,
    typed: String,
    errors: FormErrors,
}

/// `GET /my-data/erase`: what erasing means, and the confirmation.
pub async fn erase_confirm(citizen: Citizen) -> Result<Response, PageError> {
    citizen.session.principal().require_self()?;
    Ok(render::ok(&ErasePage {
        typed: String::new(),
        errors: FormErrors::default(),
        f: citizen.frame,
    }))
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    identifier: String,
}

/// `POST /my-data/erase`: erases the store when the typed identifier is the owner's, ends the
/// session, and says so on the front page.
pub async fn erase(
    State(owners): State<Owners>,
    State(sessions): State<Sessions>,
    State(state): State<crate::app::AppState>,
    citizen: Citizen,
    jar: axum_extra::extract::CookieJar,
    Form(form): Form<EraseForm>,
) -> Result<Response, PageError> {
    citizen.check_form(&form.csrf_token)?;
    citizen.session.principal().require_self()?;
    let owner = citizen.session.owner;
    let ours = owners.identifier(owner).await?.ok_or(ApiError::NotFound)?;
    let typed = OwnerIdentifier::parse(&form.identifier).ok();
    if typed.as_ref() != Some(&ours) {
        let mut errors = FormErrors::default();
        errors.add_key(citizen.tr(), "identifier", "error-erase-identifier");
        let page = ErasePage {
            typed: form.identifier,
            errors,
            f: citizen.frame,
        };
        return Ok(render::page(StatusCode::BAD_REQUEST, &page));
    }
    let report = owners.erase(owner).await?;
    tracing::info!(owner = %owner.0, blobs = report.blobs_deleted, "store erased by its owner");
    if let Some(token) = jar.get(sessions.cookie_name()) {
        sessions.delete(token.value()).await?;
    }
    let mut ended = session_cookie(&state, String::new());
    ended.set_max_age(cookie::time::Duration::ZERO);
    Ok(redirect_with_cookies("/?erased=1", &[ended]))
}
