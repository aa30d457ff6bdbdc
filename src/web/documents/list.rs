//! `GET /documents`: the owner's documents, newest first, filtered by type, a page at a time.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Shown;
use crate::access::{AccessPolicy, Action, Subject};
use crate::documents::{Documents, ListFilter};
use crate::ids::{DocumentTypeCode, document_types};
use crate::web::failure::PageError;
use crate::web::frame::{Citizen, Frame};
use crate::web::render;

const PAGE_SIZE: u64 = 20;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "type", default)]
    type_code: String,
    cursor: Option<Uuid>,
    /// Set after a deletion, to say it happened.
    deleted: Option<String>,
}

/// A choice in the type filter.
pub struct TypeOption {
    pub code: &'static str,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "web/documents/list.html")]
struct ListPage {
    f: Frame,
    documents: Vec<Shown>,
    types: Vec<TypeOption>,
    filtered: bool,
    first_page: bool,
    next: Option<String>,
    /// The query string that keeps the filter on the next-page link.
    type_code: String,
    /// What just happened, if anything.
    notice: Option<String>,
}

pub async fn page(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let tr = citizen.tr();
    // An unknown type in the address is no filter at all.
    let type_code = DocumentTypeCode::parse(&query.type_code).ok();
    citizen
        .session
        .may(&access, Action::ListDocuments, Subject::default())
        .await?;
    let filter = ListFilter {
        type_code,
        cursor: query.cursor,
        limit: PAGE_SIZE,
    };
    let list = documents.list(citizen.session.owner, filter).await?;
    let selected = type_code.map(DocumentTypeCode::as_str).unwrap_or_default();
    let page = ListPage {
        documents: list.items.into_iter().map(|v| Shown::new(tr, v)).collect(),
        types: type_options(tr, selected),
        filtered: type_code.is_some(),
        first_page: query.cursor.is_none(),
        next: list.next_cursor.map(|c| c.to_string()),
        type_code: selected.to_owned(),
        notice: query.deleted.map(|_| tr.t("notice-deleted")),
        f: citizen.frame,
    };
    Ok(render::ok(&page))
}

/// The catalogue's types, in the page's language, `selected` marked.
pub fn type_options(tr: crate::web::i18n::Tr, selected: &str) -> Vec<TypeOption> {
    document_types()
        .iter()
        .map(|t| TypeOption {
            code: t.code,
            name: tr.pick(t.name_vi, t.name_en).to_owned(),
            selected: t.code == selected,
        })
        .collect()
}
