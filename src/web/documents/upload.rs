//! `GET /documents/new` and `POST /documents/new`: the upload form. A mistake is explained
//! next to its field, with everything else the person typed kept; a stored document's page
//! comes next (Post/Redirect/Get).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Multipart;
use axum_extra::extract::multipart::{Field, MultipartRejection};

use super::list::{TypeOption, type_options};
use crate::access::{AccessPolicy, Action, Subject};
use crate::app::multipart::{drain, last_file};
use crate::documents::{DocumentError, Documents, NewDocument};
use crate::ids::{AgencyCode, DocumentTypeCode, Text, parse_date};
use crate::web::failure::PageError;
use crate::web::form::FormErrors;
use crate::web::frame::{Citizen, Frame};
use crate::web::i18n::Tr;
use crate::web::render;

/// What the person typed, kept across a refused submission.
#[derive(Debug, Default, Clone)]
pub struct UploadInput {
    pub type_code: String,
    pub title: String,
    pub number: String,
    pub issuing_agency: String,
    pub issue_date: String,
    pub valid_until: String,
    /// Where to go once stored (a consent request that asked for this type).
    pub back: String,
}

#[derive(serde::Deserialize)]
pub struct FormQuery {
    #[serde(rename = "type", default)]
    type_code: String,
    #[serde(default)]
    back: String,
}

#[derive(Template)]
#[template(path = "web/documents/upload.html")]
struct UploadPage {
    f: Frame,
    input: UploadInput,
    types: Vec<TypeOption>,
    errors: FormErrors,
    file_hint: String,
}

fn upload_page(
    f: Frame,
    documents: &Documents,
    input: UploadInput,
    errors: FormErrors,
) -> UploadPage {
    UploadPage {
        types: type_options(f.tr, &input.type_code),
        input,
        errors,
        file_hint: f
            .tr
            .t_with("field-file-hint", &[("limit", &mib(documents))]),
        f,
    }
}

/// The empty form; `?type=` chooses the type, `?back=` a consent request to return to.
pub async fn form(
    State(documents): State<Documents>,
    citizen: Citizen,
    axum::extract::Query(query): axum::extract::Query<FormQuery>,
) -> Response {
    let input = UploadInput {
        type_code: query.type_code,
        back: returns_to(&query.back).unwrap_or_default().to_owned(),
        ..UploadInput::default()
    };
    render::ok(&upload_page(
        citizen.frame,
        &documents,
        input,
        FormErrors::default(),
    ))
}

/// A page an upload may return to: a consent request of this site, nothing else.
fn returns_to(back: &str) -> Option<&str> {
    if let Some(rest) = back.strip_prefix("/consents/") {
        return uuid::Uuid::parse_str(rest).ok().map(|_| back);
    }
    // The consent screen of a redirect request: only its own query, in URL-safe characters.
    let query = back.strip_prefix("/authorize?client_id=")?;
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"-._~%=&+".contains(&b);
    (query.contains("&request_uri=") && query.bytes().all(safe)).then_some(back)
}

/// Stores the upload, or shows the form again with what is wrong.
pub async fn submit(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    citizen: Citizen,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let tr = citizen.tr();
    let mut multipart = multipart.map_err(|e| crate::error::ApiError::BadRequest(e.body_text()))?;
    let mut input = UploadInput::default();
    let mut csrf_checked = false;
    let mut errors = FormErrors::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => {
                errors.add_key(tr, "file", "error-file-missing");
                break;
            }
            Err(_) => {
                errors.add(
                    "file",
                    tr.t_with("error-file-too-large", &[("limit", &mib(&documents))]),
                );
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf_token" {
            citizen.check_form(&small_text(field).await?)?;
            csrf_checked = true;
            continue;
        }
        if name != "file" {
            input.set(&name, small_text(field).await?);
            continue;
        }
        if !csrf_checked {
            return Err(crate::error::ApiError::CsrfRejected("the form has no CSRF token").into());
        }
        citizen
            .session
            .may(&access, Action::UploadDocument, Subject::default())
            .await?;
        // A browser sends an empty, nameless file part when no file was chosen.
        if field.file_name().is_none_or(str::is_empty) {
            drain(field, multipart).await;
            errors = input.parse(tr).err().unwrap_or_default();
            errors.add_key(tr, "file", "error-file-missing");
            break;
        }
        match input.parse(tr) {
            Ok(meta) => match documents
                .upload(citizen.session.owner, meta, last_file(field, multipart))
                .await
            {
                Ok(view) => {
                    let next = returns_to(&input.back)
                        .map_or_else(|| format!("/documents/{}", view.id), str::to_owned);
                    return Ok(render::see_other(&next));
                }
                Err(e) => file_error(tr, &documents, e, &mut errors)?,
            },
            Err(refused) => {
                errors = refused;
                drain(field, multipart).await;
            }
        }
        break;
    }
    let status = StatusCode::BAD_REQUEST;
    Ok(render::page(
        status,
        &upload_page(citizen.frame, &documents, input, errors),
    ))
}

fn mib(documents: &Documents) -> String {
    documents
        .max_upload_bytes()
        .div_ceil(1024 * 1024)
        .to_string()
}

/// A refusal of the content, in words next to the file field; a failure of the store is the
/// error page's.
fn file_error(
    tr: Tr,
    documents: &Documents,
    e: DocumentError,
    errors: &mut FormErrors,
) -> Result<(), PageError> {
    let message = match e {
        DocumentError::TooLarge { .. } => {
            tr.t_with("error-file-too-large", &[("limit", &mib(documents))])
        }
        DocumentError::Empty => tr.t("error-file-empty"),
        DocumentError::Unsupported => tr.t("error-file-unsupported"),
        DocumentError::Body(_) => tr.t("error-file-interrupted"),
        other => return Err(other.into()),
    };
    errors.add("file", message);
    Ok(())
}

/// A short text field; anything past 4 KiB is cut (no field of the form is longer).
async fn small_text(mut field: Field) -> Result<String, PageError> {
    const MAX: usize = 4096;
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| crate::error::ApiError::BadRequest(e.body_text()))?
    {
        if bytes.len() < MAX {
            bytes.extend_from_slice(&chunk[..chunk.len().min(MAX - bytes.len())]);
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl UploadInput {
    fn set(&mut self, name: &str, value: String) {
        let slot = match name {
            "type" => &mut self.type_code,
            "title" => &mut self.title,
            "number" => &mut self.number,
            "issuing_agency" => &mut self.issuing_agency,
            "issue_date" => &mut self.issue_date,
            "valid_until" => &mut self.valid_until,
            "back" => &mut self.back,
            _ => return,
        };
        *slot = value;
    }

    /// The metadata, or every field's mistake.
    fn parse(&self, tr: Tr) -> Result<NewDocument, FormErrors> {
        let mut errors = FormErrors::default();
        let type_code = DocumentTypeCode::parse(&self.type_code)
            .map_err(|_| errors.add_key(tr, "type", "error-type"))
            .ok();
        let title = Text::parse(&self.title, "title", 500)
            .map_err(|_| errors.add_key(tr, "title", "error-doc-title"))
            .ok();
        let number = optional(&self.number, |n| Text::parse(n, "number", 100))
            .map_err(|_| errors.add_key(tr, "number", "error-number"))
            .ok();
        let issuing_agency = optional(&self.issuing_agency, AgencyCode::parse)
            .map_err(|_| errors.add_key(tr, "issuing_agency", "error-agency"))
            .ok();
        let issue_date = optional(&self.issue_date, |d| parse_date(d, "issue date"))
            .map_err(|_| errors.add_key(tr, "issue_date", "error-date"))
            .ok();
        let valid_until = optional(&self.valid_until, |d| parse_date(d, "valid until"))
            .map_err(|_| errors.add_key(tr, "valid_until", "error-date"))
            .ok();
        if let (Some(Some(issued)), Some(Some(until))) = (issue_date, valid_until)
            && until < issued
        {
            errors.add_key(tr, "valid_until", "error-valid-until-before");
        }
        match (
            type_code,
            title,
            number,
            issuing_agency,
            issue_date,
            valid_until,
        ) {
            (
                Some(type_code),
                Some(title),
                Some(number),
                Some(issuing_agency),
                Some(issue_date),
                Some(valid_until),
            ) if errors.is_empty() => Ok(NewDocument {
                type_code,
                title,
                number,
                issuing_agency,
                issue_date,
                valid_until,
            }),
            _ => Err(errors),
        }
    }
}

/// An optional field: empty is none.
fn optional<T, E>(value: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<Option<T>, E> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}
