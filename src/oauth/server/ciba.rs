//! OpenID CIBA, poll mode: a portal asks for an owner's documents when the owner is not at the
//! portal; the request waits in the owner's inbox with its binding message. An identifier Kho
//! has never seen gets a store (as an issued document would), so the answer never tells a
//! portal whether someone has used Kho.

use chrono::Duration;
use sea_orm::TransactionTrait;

use super::AuthServer;
use crate::clients::Authenticated;
use crate::consents::{self, NewConsent};
use crate::notices;
use crate::oauth::OAuthError;
use crate::oauth::handles::{self, NewGrant};
use crate::oauth::requests::CibaRequest;

/// How long a request waits for the owner.
const REQUEST_LIFETIME_SECS: i64 = 600;
/// The minimum seconds between two polls.
const INTERVAL_SECS: i32 = 5;
/// Requests one portal may have waiting in one owner's inbox.
const MAX_PENDING_PER_OWNER: u64 = 3;

/// A request now waiting in the owner's inbox.
#[derive(Debug)]
pub struct CibaStarted {
    pub auth_req_id: String,
    pub expires_in: i64,
    pub interval: i32,
}

impl AuthServer {
    /// Puts `request` from `client` in the owner's inbox.
    pub async fn backchannel(
        &self,
        client: &Authenticated,
        request: CibaRequest,
    ) -> Result<CibaStarted, OAuthError> {
        let now = self.clock.now();
        let owner = self.owners.find_or_create(&request.who).await?;
        // The request and the owner's notice of it commit together, under the owner's lock: two
        // requests at once are counted one after the other, on every process.
        let txn = self.db.begin().await?;
        if !crate::audit::lock_owner(&txn, owner.id).await? {
            return Err(OAuthError::server("the owner's store was erased meanwhile"));
        }
        // A portal cannot flood a citizen's inbox: a few requests at a time, each answered or
        // lapsed before the next.
        let waiting = consents::pending_from(&txn, owner.id, &client.client_id, now).await?;
        if waiting >= MAX_PENDING_PER_OWNER {
            return Err(OAuthError::TooManyWaiting(format!(
                "this owner already has {MAX_PENDING_PER_OWNER} requests from you waiting for an answer"
            )));
        }
        let consent = self
            .consents
            .create_in(
                &txn,
                NewConsent {
                    owner: owner.id,
                    client_id: &client.client_id,
                    agency_code: &client.agency_code,
                    flow: "ciba",
                    asked: &request.asked,
                    binding_message: Some(request.binding_message.as_str()),
                    pending_until: now + Duration::seconds(REQUEST_LIFETIME_SECS),
                },
            )
            .await?;
        let event = consent.to_string();
        let kind = notices::Kind::ConsentRequested;
        notices::record(&txn, owner.id, kind, Some(consent), &event, now).await?;
        txn.commit().await?;
        let auth_req_id = handles::new_grant(
            &self.db,
            NewGrant {
                consent,
                client_id: &client.client_id,
                kind: "ciba",
                redirect_uri: None,
                code_challenge: None,
                dpop_jkt: None,
                lifetime: Duration::seconds(REQUEST_LIFETIME_SECS),
                interval: Some(INTERVAL_SECS),
            },
            now,
        )
        .await?;
        Ok(CibaStarted {
            auth_req_id,
            expires_in: REQUEST_LIFETIME_SECS,
            interval: INTERVAL_SECS,
        })
    }
}
