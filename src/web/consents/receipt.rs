//! `GET /consents/{id}/receipt`: the consent's receipt, signed by the store, checked here with
//! the store's published keys (as anyone can, offline) and shown to print; `receipt.jws` is
//! the signed receipt itself, to keep.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::{ConsentShown, consent_id, portal_name};
use crate::access::{AccessPolicy, Action, Subject};
use crate::consents::{Consents, RECEIPT_TYPE};
use crate::crypto::{Signer, verify_by_store};
use crate::error::ApiError;
use crate::web::failure::PageError;
use crate::web::frame::{Citizen, Frame};
use crate::web::render;

#[derive(Template)]
#[template(path = "web/consents/receipt.html")]
struct ReceiptPage {
    f: Frame,
    c: ConsentShown,
    /// The key that signed it, once the signature checked out.
    signed_by: String,
    signed_on: String,
    jws: String,
}

async fn signed_receipt(
    access: &AccessPolicy,
    consents: &Consents,
    citizen: &Citizen,
    raw_id: &str,
) -> Result<(uuid::Uuid, String), PageError> {
    let id = consent_id(raw_id)?;
    citizen
        .session
        .may(access, Action::ReadConsentReceipt, Subject::consent(id))
        .await?;
    Ok((id, consents.receipt(citizen.session.owner, id).await?))
}

pub async fn page(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(signer): State<Signer>,
    State(db): State<DatabaseConnection>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (id, jws) = signed_receipt(&access, &consents, &citizen, &id).await?;
    let keys = signer.public_keys().map_err(ApiError::internal)?;
    let (claims, signed_by) =
        verify_by_store::<Value>(&jws, RECEIPT_TYPE, &keys).map_err(ApiError::internal)?;
    let signed_on = claims["iat"]
        .as_i64()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| citizen.tr().datetime(t))
        .unwrap_or_default();
    let consent = consents.get(citizen.session.owner, id).await?;
    let portal = portal_name(&db, &consent.client_id).await?;
    Ok(render::ok(&ReceiptPage {
        c: ConsentShown::new(citizen.tr(), consent, portal),
        signed_by,
        signed_on,
        jws,
        f: citizen.frame,
    }))
}

/// `GET /consents/{id}/receipt.jws`: the compact JWS, as a file.
pub async fn download(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, jws) = signed_receipt(&access, &consents, &citizen, &id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jose"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"consent-receipt.jws\""),
            ),
        ],
        jws,
    )
        .into_response())
}
