//! The owner's side of the redirect flow: the pushed request behind a `request_uri`, and the
//! owner's answer — recorded with the consent, and sent back to the portal as a `code` (60 s,
//! single use) or `access_denied`, always with `state` and `iss` (RFC 9207).

use chrono::Duration;
use sea_orm::TransactionTrait;
use url::Url;

use super::AuthServer;
use super::par::REQUEST_URI_PREFIX;
use crate::clients;
use crate::consents::{ConsentError, NewConsent};
use crate::documents::DocumentError;
use crate::oauth::details::DocumentAccess;
use crate::oauth::handles::{self, NewGrant};
use crate::oauth::requests::ConsentDecision;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{clients as client_rows, par_requests};

/// How long an authorization code lives.
const CODE_LIFETIME_SECS: i64 = 60;

/// Why the consent screen cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The request cannot be answered (unknown, answered, expired): the reason, for the page.
    #[error("{0}")]
    Unusable(&'static str),
    /// The answer is malformed or chooses what was not offered.
    #[error("{0}")]
    Invalid(&'static str),
    /// The portal is gone (disabled).
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Consent(#[from] ConsentError),
    #[error(transparent)]
    Documents(#[from] DocumentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for AuthorizeError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// A pushed request that can still be answered, and what it asks for.
#[derive(Debug)]
pub struct PendingRequest {
    pub request: par_requests::Model,
    pub asked: DocumentAccess,
}

impl AuthServer {
    /// The pushed request behind `request_uri`, if it is `client_id`'s, unanswered and
    /// unexpired.
    pub async fn pending(
        &self,
        client_id: Option<&str>,
        request_uri: Option<&str>,
    ) -> Result<PendingRequest, AuthorizeError> {
        let (Some(client_id), Some(request_uri)) = (client_id, request_uri) else {
            return Err(AuthorizeError::Unusable(
                "client_id and request_uri are required: start with a pushed authorization request",
            ));
        };
        let Some(handle) = request_uri.strip_prefix(REQUEST_URI_PREFIX) else {
            return Err(AuthorizeError::Unusable(
                "request_uri is not one this server issued",
            ));
        };
        let found = handles::pushed_request(&self.db, handle).await?;
        let Some(request) = found.filter(|r| r.client_id == client_id) else {
            return Err(AuthorizeError::Unusable("the request is unknown"));
        };
        if request.used_at.is_some() {
            return Err(AuthorizeError::Unusable("the request was already answered"));
        }
        if request.expires_at <= self.clock.now() {
            return Err(AuthorizeError::Unusable("the request has expired"));
        }
        let asked = serde_json::from_str(&request.details)
            .map_err(|_| StoreError::Integrity(crate::crypto::IntegrityError))?;
        Ok(PendingRequest { request, asked })
    }

    /// The portal that pushed `pending`, if it is still enabled.
    pub async fn portal_of(
        &self,
        pending: &PendingRequest,
    ) -> Result<client_rows::Model, AuthorizeError> {
        clients::find_enabled(&self.db, &pending.request.client_id)
            .await?
            .ok_or(AuthorizeError::NotFound)
    }

    /// Checks that an approval chooses at least one of the documents the screen offered.
    pub async fn check_choice(
        &self,
        owner: OwnerId,
        pending: &PendingRequest,
        decision: &ConsentDecision,
    ) -> Result<(), AuthorizeError> {
        let ConsentDecision::Approve(picked) = decision else {
            return Ok(());
        };
        let usable = self
            .documents
            .usable_of_types(owner, &pending.asked.document_types)
            .await?;
        if picked.is_empty() || !picked.iter().all(|p| usable.iter().any(|d| d.id == *p)) {
            return Err(AuthorizeError::Invalid(
                "choose at least one of the documents shown, or deny the request",
            ));
        }
        Ok(())
    }

    /// Records `owner`'s answer (given by `person`, the owner or a representative) to `pending`,
    /// all or nothing: the request answered, the consent recorded and decided, the code issued.
    /// Returns where to send the browser back to the portal.
    pub async fn decide(
        &self,
        owner: OwnerId,
        person: OwnerId,
        pending: &PendingRequest,
        decision: ConsentDecision,
    ) -> Result<Url, AuthorizeError> {
        let PendingRequest { request, asked } = pending;
        let client = self.portal_of(pending).await?;
        let now = self.clock.now();
        let mut target = Url::parse(&request.redirect_uri)
            .map_err(|_| StoreError::Integrity(crate::crypto::IntegrityError))?;
        let txn = self.db.begin().await?;
        // Single use: whoever marks the request answered first decides.
        if !handles::answer_request(&txn, &request.handle_hash, now).await? {
            return Err(AuthorizeError::Unusable("the request was already answered"));
        }
        let consent = self
            .consents
            .create_in(
                &txn,
                NewConsent {
                    owner,
                    client_id: &client.client_id,
                    agency_code: &client.agency_code,
                    flow: "redirect",
                    asked,
                    binding_message: None,
                    pending_until: now + Duration::seconds(CODE_LIFETIME_SECS),
                },
            )
            .await?;
        let answer = Answer {
            owner,
            person,
            consent,
            request,
            client: &client,
            now,
        };
        let pairs = self.apply(&txn, answer, decision).await?;
        target.query_pairs_mut().extend_pairs(pairs);
        txn.commit().await?;
        let mut pairs = target.query_pairs_mut();
        if let Some(state) = &request.state {
            pairs.append_pair("state", state);
        }
        pairs.append_pair("iss", self.signer.issuer());
        drop(pairs);
        Ok(target)
    }

    /// Applies the owner's `decision` to the consent just recorded in `txn`; returns what the
    /// portal is told (the code, or `access_denied`).
    async fn apply(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        answer: Answer<'_>,
        decision: ConsentDecision,
    ) -> Result<Vec<(&'static str, String)>, AuthorizeError> {
        let Answer {
            owner,
            person,
            consent,
            request,
            client,
            now,
        } = answer;
        let ConsentDecision::Approve(picked) = decision else {
            self.consents.deny(txn, owner, consent, person).await?;
            return Ok(vec![
                ("error", "access_denied".to_owned()),
                (
                    "error_description",
                    "the owner denied the request".to_owned(),
                ),
            ]);
        };
        self.consents
            .approve_in(txn, owner, consent, &picked, person)
            .await?;
        let grant = NewGrant {
            consent,
            client_id: &client.client_id,
            kind: "code",
            redirect_uri: Some(&request.redirect_uri),
            code_challenge: Some(&request.code_challenge),
            dpop_jkt: request.dpop_jkt.as_deref(),
            lifetime: Duration::seconds(CODE_LIFETIME_SECS),
            interval: None,
        };
        let code = handles::new_grant(txn, grant, now).await?;
        Ok(vec![("code", code)])
    }
}

/// The owner's answer being recorded.
struct Answer<'a> {
    owner: OwnerId,
    person: OwnerId,
    consent: uuid::Uuid,
    request: &'a par_requests::Model,
    client: &'a client_rows::Model,
    now: chrono::DateTime<chrono::Utc>,
}
