//! `GET /documents/{id}`: one document — metadata, provenance, status, download, and for a
//! sealed document its QR seal; `/seal` is the seal's printable page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use uuid::Uuid;

use super::{Shown, document_id};
use crate::access::{AccessPolicy, Action, Subject};
use crate::documents::Documents;
use crate::documents::http::send_content;
use crate::error::ApiError;
use crate::seals::Seals;
use crate::web::failure::PageError;
use crate::web::frame::{Citizen, Frame};
use crate::web::render;

/// A seal as the page shows it.
pub struct SealShown {
    pub token: String,
    pub made_on: String,
}

#[derive(Template)]
#[template(path = "web/documents/show.html")]
struct DocumentPage {
    f: Frame,
    d: Shown,
    seal: Option<SealShown>,
    issue_date: Option<String>,
    valid_until: Option<String>,
    added_on: String,
    size: String,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    changed: Option<String>,
}

#[derive(Template)]
#[template(path = "web/documents/seal.html")]
struct SealPage {
    f: Frame,
    d: Shown,
    seal: SealShown,
}

async fn shown(
    access: &AccessPolicy,
    documents: &Documents,
    citizen: &Citizen,
    id: Uuid,
) -> Result<Shown, PageError> {
    citizen
        .session
        .may(access, Action::ReadDocument, Subject::document(id))
        .await?;
    let view = documents.get(citizen.session.owner, id).await?;
    Ok(Shown::new(citizen.tr(), view))
}

async fn seal_of(
    access: &AccessPolicy,
    seals: &Seals,
    citizen: &Citizen,
    id: Uuid,
) -> Result<SealShown, PageError> {
    citizen
        .session
        .may(access, Action::ReadSeal, Subject::document(id))
        .await?;
    let seal = seals
        .seal_of(citizen.session.owner, id)
        .await
        .map_err(ApiError::from)?;
    Ok(SealShown {
        token: seal.row.token,
        made_on: citizen.tr().day(seal.row.created_at),
    })
}

pub async fn page(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    State(seals): State<Seals>,
    citizen: Citizen,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ShowQuery>,
) -> Result<Response, PageError> {
    let id = document_id(&id)?;
    let d = shown(&access, &documents, &citizen, id).await?;
    let seal = if d.sealed {
        Some(seal_of(&access, &seals, &citizen, id).await?)
    } else {
        None
    };
    let tr = citizen.tr();
    let page = DocumentPage {
        issue_date: d.view.issue_date.map(|x| tr.date(x)),
        valid_until: d.view.valid_until.map(|x| tr.date(x)),
        added_on: tr.datetime(d.view.created_at),
        size: size_in_words(tr, d.view.size),
        notice: query.changed.map(|_| tr.t("notice-changed")),
        seal,
        d,
        f: citizen.frame,
    };
    Ok(render::ok(&page))
}

/// `GET /documents/{id}/seal`: the seal alone, to print.
pub async fn seal(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    State(seals): State<Seals>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = document_id(&id)?;
    let d = shown(&access, &documents, &citizen, id).await?;
    if !d.sealed {
        return Err(PageError::not_found());
    }
    let seal = seal_of(&access, &seals, &citizen, id).await?;
    Ok(render::ok(&SealPage {
        d,
        seal,
        f: citizen.frame,
    }))
}

/// `GET /documents/{id}/download`: the content, as the API serves it.
pub async fn download(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let id = document_id(&id)?;
    Ok(send_content(&access, &documents, &citizen.session, id, &headers).await?)
}

/// `12,3 KB`-style sizes, in the page's language.
fn size_in_words(tr: crate::web::i18n::Tr, bytes: u64) -> String {
    let (value, key) = if bytes >= 1024 * 1024 {
        (bytes as f64 / (1024.0 * 1024.0), "size-mb")
    } else {
        (bytes as f64 / 1024.0, "size-kb")
    };
    let number = format!("{value:.1}");
    let number = match tr.lang {
        crate::web::i18n::Lang::Vi => number.replace('.', ","),
        crate::web::i18n::Lang::En => number,
    };
    tr.t_with(key, &[("size", &number)])
}
