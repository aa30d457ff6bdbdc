//! Correcting an uploaded document's title or number, and deleting it after a confirm page.
//! Issued documents are the issuer's: their pages offer neither.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Shown, document_id};
use crate::access::{AccessPolicy, Action, Subject};
use crate::documents::{Corrections, Documents};
use crate::ids::Text;
use crate::web::failure::PageError;
use crate::web::form::FormErrors;
use crate::web::frame::{Citizen, Frame};
use crate::web::render;

/// An uploaded document of the owner that `citizen` may read, for the pages that change it.
async fn readable_upload(
    access: &AccessPolicy,
    documents: &Documents,
    citizen: &Citizen,
    raw_id: &str,
) -> Result<Shown, PageError> {
    let id = document_id(raw_id)?;
    citizen
        .session
        .may(access, Action::ReadDocument, Subject::document(id))
        .await?;
    uploaded(documents, citizen, id).await
}

/// An uploaded document of the owner that `citizen` may `action`, for a form that changes it
/// (its CSRF token checked first).
async fn changeable_upload(
    access: &AccessPolicy,
    documents: &Documents,
    citizen: &Citizen,
    raw_id: &str,
    csrf_token: &str,
    action: Action,
) -> Result<(uuid::Uuid, Shown), PageError> {
    let id = document_id(raw_id)?;
    citizen.check_form(csrf_token)?;
    citizen
        .session
        .may(access, action, Subject::document(id))
        .await?;
    Ok((id, uploaded(documents, citizen, id).await?))
}

async fn uploaded(
    documents: &Documents,
    citizen: &Citizen,
    id: uuid::Uuid,
) -> Result<Shown, PageError> {
    let view = documents.get(citizen.session.owner, id).await?;
    let shown = Shown::new(citizen.tr(), view);
    if !shown.uploaded {
        // Only the owner's own uploads can be corrected or deleted.
        return Err(PageError::not_found());
    }
    Ok(shown)
}

#[derive(Template)]
#[template(path = "web/documents/edit.html")]
struct EditPage {
    f: Frame,
    d: Shown,
    title: String,
    number: String,
    errors: FormErrors,
}

/// `GET /documents/{id}/edit`: the correction form, filled in.
pub async fn edit_form(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = readable_upload(&access, &documents, &citizen, &id).await?;
    Ok(render::ok(&EditPage {
        title: d.title.clone(),
        number: d.number.clone().unwrap_or_default(),
        d,
        errors: FormErrors::default(),
        f: citizen.frame,
    }))
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    number: String,
}

/// `POST /documents/{id}/edit`: saves the corrections, or shows what is wrong.
pub async fn edit(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    let (id, d) = changeable_upload(
        &access,
        &documents,
        &citizen,
        &id,
        &form.csrf_token,
        Action::CorrectDocument,
    )
    .await?;
    let tr = citizen.tr();
    let mut errors = FormErrors::default();
    let title = Text::parse(&form.title, "title", 500)
        .map_err(|_| errors.add_key(tr, "title", "error-doc-title"))
        .ok();
    let number = if form.number.trim().is_empty() {
        Some(None)
    } else {
        Text::parse(&form.number, "number", 100)
            .map_err(|_| errors.add_key(tr, "number", "error-number"))
            .ok()
            .map(Some)
    };
    let (Some(title), Some(number)) = (title, number) else {
        let page = EditPage {
            d,
            title: form.title,
            number: form.number,
            errors,
            f: citizen.frame,
        };
        return Ok(render::page(StatusCode::BAD_REQUEST, &page));
    };
    let changes = Corrections {
        title: Some(title),
        number: Some(number),
    };
    documents
        .correct(citizen.session.owner, id, changes)
        .await?;
    Ok(render::see_other(&format!("/documents/{id}?changed=1")))
}

#[derive(Template)]
#[template(path = "web/documents/delete.html")]
struct DeletePage {
    f: Frame,
    d: Shown,
}

/// `GET /documents/{id}/delete`: what deleting means, and the button.
pub async fn delete_confirm(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = readable_upload(&access, &documents, &citizen, &id).await?;
    Ok(render::ok(&DeletePage {
        d,
        f: citizen.frame,
    }))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /documents/{id}/delete`: deletes, then the list says so.
pub async fn delete(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    let (id, _) = changeable_upload(
        &access,
        &documents,
        &citizen,
        &id,
        &form.csrf_token,
        Action::DeleteDocument,
    )
    .await?;
    documents.delete(citizen.session.owner, id).await?;
    Ok(render::see_other("/documents?deleted=1"))
}
