//! `GET /verify` and `POST /verify`: the public verify page. A seal, pasted or read from an
//! uploaded image, is checked offline against the store's published keys, then online for the
//! document's current status. Server-rendered, no script, so the strict CSP holds.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{CheckError, SealClaims, SealKind, SealVerification, read};
use crate::app::AppState;

/// The largest image accepted (a phone photo of a printed seal).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

struct OfflineView {
    signed_by: String,
    store: String,
    kind: &'static str,
    result_code: Option<String>,
    issuer: Option<String>,
    issue_date: Option<String>,
    valid_until: Option<String>,
    verified_on: Option<String>,
    sha256: String,
    seal_id: String,
}

struct OnlineView {
    verdict: &'static str,
    status: Option<&'static str>,
    since: String,
}

#[derive(Template, Default)]
#[template(path = "verify.html")]
struct VerifyPage {
    pasted: String,
    problem: Option<String>,
    offline: Option<OfflineView>,
    online: Option<OnlineView>,
}

fn page(status: StatusCode, page: &VerifyPage) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}

/// The empty form.
pub async fn show() -> Response {
    page(StatusCode::OK, &VerifyPage::default())
}

/// Checks the seal sent by the form.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if crate::verify::http::rate_limited(&state, peer).is_some() {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Quá nhiều lượt kiểm tra từ địa chỉ này, xin chờ một phút. / Too many checks from this address: wait a minute.".into(),
            String::new(),
        );
    }
    let (pasted, token) = match sent_seal(form).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    // Offline (the signature against the published keys), then online: one check, shown as two.
    let answer = match state.seals.check(&token).await {
        Ok(answer) => answer,
        Err(e @ (CheckError::Seal(_) | CheckError::OtherStore(_))) => {
            return refused(StatusCode::BAD_REQUEST, e.to_string(), pasted);
        }
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let page_data = VerifyPage {
        pasted,
        problem: None,
        offline: Some(offline_view(&answer.seal, answer.signed_by.clone())),
        online: Some(online_view(&answer)),
    };
    page(StatusCode::OK, &page_data)
}

/// The page again, with what the person pasted and why it was refused.
fn refused(status: StatusCode, why: String, pasted: String) -> Response {
    let data = VerifyPage {
        pasted,
        problem: Some(why),
        ..VerifyPage::default()
    };
    page(status, &data)
}

/// What the form sent: the pasted text, and the seal's token (read from the image when one was
/// uploaded, else the pasted text). A refusal is the page to answer with.
async fn sent_seal(
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(String, String), Response> {
    let (pasted, image) = match form {
        Ok(form) => fields(form)
            .await
            .map_err(|why| refused(StatusCode::BAD_REQUEST, why, String::new()))?,
        Err(e) => {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                e.body_text(),
                String::new(),
            ));
        }
    };
    let Some(image) = image else {
        return Ok((pasted.clone(), pasted));
    };
    match read_seal_image(image).await {
        Ok(Ok(token)) => Ok((pasted, token)),
        Ok(Err(e)) => Err(refused(StatusCode::BAD_REQUEST, e.to_string(), pasted)),
        Err(e) => Err(crate::error::ApiError::internal(e).into_response()),
    }
}

/// The online half of the answer: the store's verdict and the status now.
fn online_view(answer: &SealVerification) -> OnlineView {
    OnlineView {
        verdict: match answer.verdict {
            crate::verify::Verdict::Genuine => "genuine / đúng bản được niêm phong",
            crate::verify::Verdict::Mismatch => "mismatch / không khớp",
            crate::verify::Verdict::Unknown => {
                "unknown / không còn được lưu giữ (no longer stored)"
            }
        },
        status: answer.status.map(|s| s.as_str()),
        since: answer
            .status_changed_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
    }
}

/// At most this many images are read at once in this process: reading one takes a core and
/// tens of megabytes, and anyone may send one.
static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn read_seal_image(
    image: Vec<u8>,
) -> Result<Result<String, super::ReadError>, tokio::task::JoinError> {
    let _permit = READING.acquire().await;
    tokio::task::spawn_blocking(move || read(&image)).await
}

fn offline_view(claims: &SealClaims, signed_by: String) -> OfflineView {
    OfflineView {
        signed_by,
        store: claims.iss.clone(),
        kind: match claims.kind {
            SealKind::Issued => "issued / kết quả giải quyết TTHC",
            SealKind::VerifiedCopy => "verified copy / bản đã đối chiếu với bản gốc",
        },
        result_code: claims.result_code.clone(),
        issuer: claims.issuer.clone(),
        issue_date: claims.issue_date.map(|d| d.to_string()),
        valid_until: claims.valid_until.map(|d| d.to_string()),
        verified_on: claims.verified_on.map(|d| d.to_string()),
        sha256: claims.sha256.clone(),
        seal_id: claims.jti.to_string(),
    }
}

/// The pasted text, and the uploaded image if one was chosen.
async fn fields(mut form: Multipart) -> Result<(String, Option<Vec<u8>>), String> {
    let mut pasted = String::new();
    let mut image = None;
    while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
        match field.name().unwrap_or_default() {
            "seal" => {
                let text = field.text().await.map_err(|e| e.body_text())?;
                pasted = text.chars().take(4096).collect();
            }
            "image" => {
                let bytes = field.bytes().await.map_err(|e| e.body_text())?;
                if !bytes.is_empty() {
                    image = Some(bytes.to_vec());
                }
            }
            other => return Err(format!("unexpected form field `{other}`")),
        }
    }
    if pasted.trim().is_empty() && image.is_none() {
        return Err(
            "Hãy dán mã con dấu hoặc chọn một ảnh. / Paste a seal or choose an image.".into(),
        );
    }
    Ok((pasted, image))
}
