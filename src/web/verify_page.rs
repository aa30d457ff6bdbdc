//! `GET /verify` and `POST /verify`: the public page that checks a QR seal, pasted or read from
//! an uploaded image — offline against the store's published keys, then online for the
//! document's status now. In the visitor's language; a refusal says why in words of the
//! catalogue (never text taken from the seal itself).

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Multipart;
use axum_extra::extract::multipart::MultipartRejection;

use super::documents::status_key;
use super::failure::PageError;
use super::form::{FormErrors, sha256_of_file};
use super::frame::Frame;
use super::i18n::Tr;
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::ids::ResultCode;
use crate::queue::{BoundedQueue, Busy};
use crate::seals::{CheckError, SealClaims, SealKind, SealVerification, read};
use crate::verify::Verdict;

/// The largest image accepted (a phone photo of a printed seal).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

/// What the seal says, checked offline.
pub struct OfflineView {
    pub signed_by: String,
    pub kind: String,
    pub result_code: Option<String>,
    pub issuer: Option<String>,
    pub issue_date: Option<String>,
    pub valid_until: Option<String>,
    pub verified_on: Option<String>,
    pub sha256: String,
    pub seal_id: String,
}

/// The store's answer now.
pub struct OnlineView {
    pub verdict: String,
    pub status: Option<String>,
    pub since: String,
}

/// The answer to a check by result code and file, with the store's signed receipt.
pub struct ByCodeView {
    pub verdict: String,
    pub genuine: bool,
    pub result_code: String,
    pub sha256: String,
    pub status: Option<String>,
    pub agency: Option<String>,
    pub issue_date: Option<String>,
    pub receipt: String,
}

#[derive(Template)]
#[template(path = "web/verify.html")]
struct VerifyPage {
    f: Frame,
    pasted: String,
    problem: Option<String>,
    offline: Option<OfflineView>,
    online: Option<OnlineView>,
    code: String,
    errors: FormErrors,
    by_code: Option<ByCodeView>,
}

impl VerifyPage {
    fn empty(f: Frame) -> Self {
        Self {
            f,
            pasted: String::new(),
            problem: None,
            offline: None,
            online: None,
            code: String::new(),
            errors: FormErrors::default(),
            by_code: None,
        }
    }

    /// The page again with what was pasted and why it was refused.
    fn refused(f: Frame, status: StatusCode, key: &str, pasted: String) -> Response {
        let mut page = Self::empty(f);
        page.problem = Some(page.f.t(key));
        page.pasted = pasted;
        render::page(status, &page)
    }
}

/// The empty form.
pub async fn show(f: Frame) -> Response {
    render::ok(&VerifyPage::empty(f))
}

/// Checks the seal the form sent.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(crate::app::Peer(peer, _)): ConnectInfo<crate::app::Peer>,
    headers: axum::http::HeaderMap,
    f: Frame,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    if crate::verify::http::rate_limited(&state, peer, &headers).is_some() {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(VerifyPage::refused(
            f,
            status,
            "verify-error-rate",
            String::new(),
        ));
    }
    let Ok(form) = form else {
        let status = StatusCode::BAD_REQUEST;
        return Ok(VerifyPage::refused(
            f,
            status,
            "verify-error-empty",
            String::new(),
        ));
    };
    let (pasted, image) = match fields(form).await {
        Ok(sent) => sent,
        Err(key) => {
            let status = if key == "verify-error-busy" {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::BAD_REQUEST
            };
            return Ok(VerifyPage::refused(f, status, key, String::new()));
        }
    };
    let token = match image {
        None => pasted.clone(),
        Some(image) => match read_seal_image(image).await.map_err(ApiError::internal)? {
            Ok(token) => token,
            Err(_) => {
                let status = StatusCode::BAD_REQUEST;
                return Ok(VerifyPage::refused(f, status, "verify-error-image", pasted));
            }
        },
    };
    let answer = match state.seals.check(&token).await {
        Ok(answer) => answer,
        Err(CheckError::Seal(_)) => {
            let status = StatusCode::BAD_REQUEST;
            return Ok(VerifyPage::refused(f, status, "verify-error-seal", pasted));
        }
        Err(CheckError::OtherStore(_)) => {
            let status = StatusCode::BAD_REQUEST;
            return Ok(VerifyPage::refused(
                f,
                status,
                "verify-error-other-store",
                pasted,
            ));
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let tr = f.tr;
    let mut page = VerifyPage::empty(f);
    page.offline = Some(offline_view(tr, &answer.seal, answer.signed_by.clone()));
    page.online = Some(online_view(tr, &answer));
    page.pasted = pasted;
    Ok(render::ok(&page))
}

/// `POST /verify/result`: a result code and the file (hashed here, never kept).
pub async fn by_result_code(
    State(state): State<AppState>,
    ConnectInfo(crate::app::Peer(peer, _)): ConnectInfo<crate::app::Peer>,
    headers: axum::http::HeaderMap,
    f: Frame,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    if crate::verify::http::rate_limited(&state, peer, &headers).is_some() {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(VerifyPage::refused(
            f,
            status,
            "verify-error-rate",
            String::new(),
        ));
    }
    let tr = f.tr;
    let mut form = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (mut code, mut hashed) = (String::new(), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        match field.name().unwrap_or_default() {
            "result_code" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::BadRequest(e.body_text()))?;
                code = text.chars().take(128).collect();
            }
            "document_file" => hashed = sha256_of_file(field).await?,
            _ => {}
        }
    }
    let mut errors = FormErrors::default();
    let parsed = ResultCode::parse(code.trim())
        .map_err(|_| errors.add_key(tr, "result_code", "error-result-code"))
        .ok();
    if hashed.is_none() {
        errors.add_key(tr, "document_file", "error-file-missing");
    }
    let mut page = VerifyPage::empty(f);
    page.code = code;
    let (Some(parsed), Some(sha256)) = (parsed, hashed) else {
        page.errors = errors;
        return Ok(render::page(StatusCode::BAD_REQUEST, &page));
    };
    let answer = state.verifier.verify(&parsed, &sha256).await?;
    page.by_code = Some(ByCodeView {
        genuine: answer.verdict == Verdict::Genuine,
        verdict: tr.t(verdict_key(answer.verdict)),
        status: answer.status.map(|s| tr.t(status_key(s))),
        agency: answer.issuing_agency,
        issue_date: answer.issue_date.map(|d| tr.date(d)),
        result_code: answer.result_code,
        sha256: answer.sha256,
        receipt: answer.receipt,
    });
    Ok(render::ok(&page))
}

/// The catalogue key of a look-up's verdict (the counter's words, shared with this page).
pub fn verdict_key(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Genuine => "counter-genuine",
        Verdict::Mismatch => "counter-mismatch",
        Verdict::Unknown => "counter-unknown",
    }
}

fn online_view(tr: Tr, answer: &SealVerification) -> OnlineView {
    OnlineView {
        verdict: tr.t(match answer.verdict {
            Verdict::Genuine => "verify-genuine",
            Verdict::Mismatch => "verify-mismatch",
            Verdict::Unknown => "verify-unknown",
        }),
        status: answer.status.map(|s| tr.t(status_key(s))),
        since: answer
            .status_changed_at
            .map(|t| tr.datetime(t))
            .unwrap_or_default(),
    }
}

fn offline_view(tr: Tr, claims: &SealClaims, signed_by: String) -> OfflineView {
    OfflineView {
        signed_by,
        kind: tr.t(match claims.kind {
            SealKind::Issued => "verify-kind-issued",
            SealKind::VerifiedCopy => "verify-kind-copy",
        }),
        result_code: claims.result_code.clone(),
        issuer: claims.issuer.clone(),
        issue_date: claims.issue_date.map(|d| tr.date(d)),
        valid_until: claims.valid_until.map(|d| tr.date(d)),
        verified_on: claims.verified_on.map(|d| tr.date(d)),
        sha256: claims.sha256.clone(),
        seal_id: claims.jti.to_string(),
    }
}

/// At most two images are taken in and read at once in this process — reading one takes a core
/// and tens of megabytes, and anyone may send one — with at most eight more waiting, before their
/// bytes are read; past that, the page says to try again.
static READING: BoundedQueue = BoundedQueue::new(2, 8);

/// An uploaded image, read while it holds one of [`READING`]'s slots.
struct Image {
    bytes: Vec<u8>,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

async fn read_seal_image(
    image: Image,
) -> Result<Result<String, crate::seals::ReadError>, tokio::task::JoinError> {
    let Image { bytes, _slot } = image;
    tokio::task::spawn_blocking(move || read(&bytes)).await
}

/// The pasted text, and the uploaded image if one was chosen; else the catalogue key of why not.
async fn fields(mut form: Multipart) -> Result<(String, Option<Image>), &'static str> {
    let mut pasted = String::new();
    let mut image = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| "verify-error-too-large")?
    {
        match field.name().unwrap_or_default() {
            "seal" => {
                let text = field.text().await.map_err(|_| "verify-error-empty")?;
                pasted = text.chars().take(4096).collect();
            }
            "image" => {
                // The slot first: bytes are held in memory only by the few being read.
                let slot = READING.enter().await.map_err(|Busy| "verify-error-busy")?;
                let bytes = field.bytes().await.map_err(|_| "verify-error-too-large")?;
                if !bytes.is_empty() {
                    image = Some(Image {
                        bytes: bytes.to_vec(),
                        _slot: slot,
                    });
                }
            }
            _ => return Err("verify-error-empty"),
        }
    }
    if pasted.trim().is_empty() && image.is_none() {
        return Err("verify-error-empty");
    }
    Ok((pasted, image))
}
