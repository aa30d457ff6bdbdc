//! `/counter`: the official's counter. Signed in with the official role, an official verifies a
//! document for a case — by result code and the file (hashed here) or its SHA-256 — and sees
//! genuine, mismatch or unknown, the status, and whose it is; marks an owner's uploaded copy as
//! checked against its original; and sees their own look-ups. Every look-up is in the owner's
//! access log with the case.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use axum_extra::extract::Multipart;
use axum_extra::extract::multipart::{Field, MultipartRejection};
use serde::Deserialize;

use super::documents::{status_key, type_name};
use super::failure::PageError;
use super::form::{FormErrors, sha256_of_file};
use super::frame::{Citizen, Frame};
use super::i18n::Tr;
use super::render;
use super::verify_page::verdict_key;
use crate::app::AppState;
use crate::error::ApiError;
use crate::ids::{OwnerIdentifier, ResultCode};
use crate::owners::OwnerId;
use crate::verify::{OfficialError, OfficialVerification, Verdict};

/// The answer to a look-up, in words.
pub struct Answer {
    pub verdict: String,
    pub genuine: bool,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    pub document_type: Option<String>,
    pub result_code: String,
    pub case_ref: String,
}

/// One of the official's own look-ups.
pub struct Looked {
    pub when: String,
    pub what: String,
    pub case_ref: String,
}

/// What the official typed, kept across a refusal.
#[derive(Default)]
pub struct Typed {
    pub case_ref: String,
    pub result_code: String,
    pub sha256: String,
    pub owner: String,
    pub document: String,
    pub method: String,
}

#[derive(Template)]
#[template(path = "web/counter.html")]
struct CounterPage {
    f: Frame,
    typed: Typed,
    errors: FormErrors,
    answer: Option<Answer>,
    notice: Option<String>,
    history: Vec<Looked>,
}

async fn counter_page(
    state: &AppState,
    citizen: Citizen,
    typed: Typed,
    errors: FormErrors,
) -> Result<CounterPage, PageError> {
    let tr = citizen.tr();
    let rows = crate::audit::by_official(&state.db, citizen.session.person, 20).await?;
    let mut history = Vec::with_capacity(rows.len());
    for row in rows {
        // The case reference is sealed in the owner's log; the official typed it, so sees it.
        let key = state.owners.data_key(OwnerId(row.owner_id)).await?;
        let row = crate::audit::opened(row, key.as_ref());
        history.push(Looked {
            when: tr.logged_at(&row.at),
            what: tr
                .t(&format!("log-action-{}", row.action))
                .trim()
                .to_owned(),
            case_ref: row.case_ref.unwrap_or_default(),
        });
    }
    Ok(CounterPage {
        f: citizen.frame,
        typed,
        errors,
        answer: None,
        notice: None,
        history,
    })
}

/// An official acting as themself, or a page that says this is for officials.
fn official(citizen: &Citizen) -> Result<(), PageError> {
    citizen.session.principal().require_official().map_err(|_| {
        PageError::said(
            ApiError::Forbidden("officials only"),
            "error-officials-only",
        )
    })
}

pub async fn page(State(state): State<AppState>, citizen: Citizen) -> Result<Response, PageError> {
    official(&citizen)?;
    let page = counter_page(&state, citizen, Typed::default(), FormErrors::default()).await?;
    Ok(render::ok(&page))
}

/// `POST /counter`: a look-up (multipart: `csrf_token`, `case_ref`, `result_code`, `sha256`
/// or `file`).
pub async fn look_up(
    State(state): State<AppState>,
    citizen: Citizen,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    official(&citizen)?;
    let tr = citizen.tr();
    let mut form = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut typed = Typed::default();
    let mut file_hash = None;
    let mut csrf = String::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        match field.name().unwrap_or_default() {
            "csrf_token" => csrf = text(field).await?,
            "case_ref" => typed.case_ref = text(field).await?,
            "result_code" => typed.result_code = text(field).await?,
            "sha256" => typed.sha256 = text(field).await?,
            "file" => file_hash = sha256_of_file(field).await?,
            _ => {}
        }
    }
    citizen.check_form(&csrf)?;
    let mut errors = FormErrors::default();
    if typed.case_ref.trim().is_empty() {
        errors.add_key(tr, "case_ref", "error-case-ref");
    }
    let code = ResultCode::parse(typed.result_code.trim())
        .map_err(|_| errors.add_key(tr, "result_code", "error-result-code"))
        .ok();
    let sha256 = file_hash.or_else(|| {
        let typed = typed.sha256.trim().to_ascii_lowercase();
        (typed.len() == 64 && typed.bytes().all(|b| b.is_ascii_hexdigit())).then_some(typed)
    });
    if sha256.is_none() {
        errors.add_key(tr, "file", "error-file-or-hash");
    }
    let (Some(code), Some(sha256), true) = (code, sha256, errors.is_empty()) else {
        let page = counter_page(&state, citizen, typed, errors).await?;
        return Ok(render::page(StatusCode::BAD_REQUEST, &page));
    };
    let principal = citizen.session.principal();
    let found = state
        .verifier
        .official_verify(&principal, &code, &sha256, Some(typed.case_ref.trim()))
        .await
        .map_err(official_error)?;
    let mut page = counter_page(&state, citizen, typed, FormErrors::default()).await?;
    page.answer = Some(answer(tr, found));
    Ok(render::ok(&page))
}

fn official_error(e: OfficialError) -> PageError {
    match e {
        OfficialError::Denied(_) => PageError::said(
            ApiError::Forbidden("officials only"),
            "error-officials-only",
        ),
        OfficialError::NotFound => PageError::not_found(),
        OfficialError::InvalidField(e) => ApiError::InvalidField(e).into(),
        OfficialError::NoCase => ApiError::BadRequest("a case reference is required".into()).into(),
        OfficialError::Document(e) => e.into(),
        OfficialError::Store(e) => e.into(),
    }
}

fn answer(tr: Tr, found: OfficialVerification) -> Answer {
    let public = found.public;
    Answer {
        genuine: public.verdict == Verdict::Genuine,
        verdict: tr.t(verdict_key(public.verdict)),
        status: public.status.map(|s| tr.t(status_key(s))),
        owner: found.owner,
        owner_name: found.owner_name,
        document_type: found.document_type.map(|t| type_name(tr, &t)),
        result_code: public.result_code,
        case_ref: found.case_ref,
    }
}

async fn text(field: Field) -> Result<String, PageError> {
    let text = field
        .text()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    Ok(text.chars().take(512).collect())
}

#[derive(Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    case_ref: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    method: String,
}

/// `POST /counter/checked`: an owner's uploaded copy was checked against its original.
pub async fn mark_checked(
    State(state): State<AppState>,
    citizen: Citizen,
    Form(form): Form<MarkForm>,
) -> Result<Response, PageError> {
    official(&citizen)?;
    citizen.check_form(&form.csrf_token)?;
    let tr = citizen.tr();
    let mut errors = FormErrors::default();
    if form.case_ref.trim().is_empty() {
        errors.add_key(tr, "mark_case_ref", "error-case-ref");
    }
    let owner = OwnerIdentifier::parse(form.owner.trim())
        .map_err(|_| errors.add_key(tr, "owner", "error-identifier"))
        .ok();
    let document = uuid::Uuid::parse_str(form.document.trim())
        .map_err(|_| errors.add_key(tr, "document", "error-document-id"))
        .ok();
    if form.method.trim().is_empty() {
        errors.add_key(tr, "method", "error-method");
    }
    let typed = Typed {
        case_ref: form.case_ref.clone(),
        owner: form.owner.clone(),
        document: form.document.clone(),
        method: form.method.clone(),
        ..Typed::default()
    };
    let (Some(owner), Some(document), true) = (owner, document, errors.is_empty()) else {
        let page = counter_page(&state, citizen, typed, errors).await?;
        return Ok(render::page(StatusCode::BAD_REQUEST, &page));
    };
    let principal = citizen.session.principal();
    let marked = state
        .verifier
        .official_mark_verified(
            &principal,
            &owner,
            document,
            form.method.trim(),
            Some(form.case_ref.trim()),
        )
        .await;
    match marked {
        Ok(_) => {
            let mut page =
                counter_page(&state, citizen, Typed::default(), FormErrors::default()).await?;
            page.notice = Some(tr.t("counter-marked"));
            Ok(render::ok(&page))
        }
        Err(OfficialError::NotFound | OfficialError::Document(_)) => {
            let mut errors = FormErrors::default();
            errors.add_key(tr, "document", "error-no-such-upload");
            let page = counter_page(&state, citizen, typed, errors).await?;
            Ok(render::page(StatusCode::NOT_FOUND, &page))
        }
        Err(e) => Err(official_error(e)),
    }
}
