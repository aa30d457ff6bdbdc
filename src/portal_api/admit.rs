//! Admitting a portal's request: the `DPoP` access token and its proof, the token's consent,
//! and the decision for this one access — logged in the same transaction as the read.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::Admission;
use super::decision::{Allowed, Facts, decide};
use crate::access;
use crate::audit::{self, Access};
use crate::consents::{self, Status};
use crate::documents::DocumentError;
use crate::oauth::details::Access as AccessKind;
use crate::oauth::dpop::DpopError;
use crate::oauth::handles;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{access_tokens, consents as consent_rows};

/// Why a portal's request is refused. Token problems are 401 with a `WWW-Authenticate: DPoP`
/// challenge (RFC 9449 §7.1); the body is problem+json with a stable type.
#[derive(Debug)]
pub enum Refusal {
    /// No `Authorization: DPoP` token.
    NoToken,
    /// The token is unknown, revoked, expired, or its consent is no longer active.
    InvalidToken {
        slug: &'static str,
        why: &'static str,
    },
    /// The DPoP proof is missing or wrong.
    Proof(String),
    /// The proof needs a nonce: this one, sent as `DPoP-Nonce`.
    UseNonce(String),
    /// The document is not one the consent covers.
    NotFound,
    /// The document's one fetch under a `once` consent is taken.
    AlreadyFetched,
    /// Only `GET` reads shared documents.
    MethodNotAllowed,
    /// The issuer revoked (or superseded) the document: its content is no longer served.
    Revoked(String),
    Internal(StoreError),
    /// Reading the documents failed (integrity, storage).
    Document(DocumentError),
    /// Reading the consent failed.
    Consent(consents::ConsentError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Self::Internal(e)
    }
}

impl From<sea_orm::DbErr> for Refusal {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}

impl From<consents::ConsentError> for Refusal {
    fn from(e: consents::ConsentError) -> Self {
        match e {
            consents::ConsentError::Store(e) => Self::Internal(e),
            other => Self::Consent(other),
        }
    }
}

impl From<DocumentError> for Refusal {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::NotFound => Self::NotFound,
            DocumentError::Store(e) => Self::Internal(e),
            other => Self::Document(other),
        }
    }
}

/// A portal request whose token and proof held, before the consent is checked.
pub struct Caller {
    pub client: String,
    pub agency: String,
    pub owner: OwnerId,
    pub consent: consent_rows::Model,
    /// Why the token itself is dead (revoked or expired), if it is: the attempt is still
    /// logged for the owner.
    pub dead_token: Option<&'static str>,
    /// Why the DPoP proof was refused, for a token that exists: logged for its owner, since
    /// it may be someone else trying a stolen token.
    pub refused_proof: Option<String>,
}

impl Admission {
    /// Checks the token (`authorization`, the `Authorization` header) and its DPoP proof (`proofs`,
    /// every `DPoP` header) for `method` on `path`.
    pub async fn caller(
        &self,
        authorization: Option<&str>,
        proofs: &[&[u8]],
        method: &str,
        path: &str,
    ) -> Result<Caller, Refusal> {
        if method != "GET" {
            return Err(Refusal::MethodNotAllowed);
        }
        let token = dpop_token(authorization)?;
        let invalid = Refusal::InvalidToken {
            slug: "invalid-token",
            why: "the token is unknown, revoked or expired",
        };
        let row = handles::access_token(&self.db, token)
            .await?
            .ok_or(invalid)?;
        let url = self.signer.endpoint(path);
        let refused_proof = match self.dpop.verify(proofs, method, &url, Some(token)).await {
            Ok(proof) if proof.jkt == row.jkt => None,
            Ok(_) => Some("the DPoP proof is not by the key the token is bound to".to_owned()),
            Err(DpopError::UseNonce) => return Err(Refusal::UseNonce(self.dpop.nonce())),
            Err(DpopError::Store(e)) => return Err(Refusal::Internal(e)),
            Err(other) => Some(other.to_string()),
        };
        if let Some(why) = &refused_proof
            && !self.unproven.log_now(&row.token_hash)
        {
            // Told to the owner once already this hour: refused without another log row.
            return Err(Refusal::Proof(why.clone()));
        }
        let enabled = crate::clients::find_enabled(&self.db, &row.client_id)
            .await?
            .is_some();
        let dead_token = why_dead(enabled, &row, self.clock.now());
        let consent =
            consents::find(&self.db, row.consent_id)
                .await?
                .ok_or(Refusal::InvalidToken {
                    slug: "invalid-token",
                    why: "the token's consent no longer exists",
                })?;
        let agency = consent.agency_code.clone();
        Ok(Caller {
            client: row.client_id,
            agency,
            owner: OwnerId(consent.owner_id),
            consent,
            dead_token,
            refused_proof,
        })
    }
}

/// Attempts with a real token but without its key's proof can be made by anyone holding the
/// token, as fast as they like: the owner is told of the first each hour per token (and per
/// process), the rest are refused without a log row, so such a flood cannot grow the log.
pub struct UnprovenAttempts {
    limiter: governor::DefaultKeyedRateLimiter<String>,
}

impl Default for UnprovenAttempts {
    fn default() -> Self {
        Self {
            limiter: governor::DefaultKeyedRateLimiter::keyed(governor::Quota::per_hour(
                std::num::NonZeroU32::MIN,
            )),
        }
    }
}

impl UnprovenAttempts {
    /// Whether this attempt with the token hashed `token_hash` is one to log.
    fn log_now(&self, token_hash: &str) -> bool {
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&token_hash.to_owned()).is_ok()
    }
}

/// The token of `Authorization: DPoP <token>`; a bearer token is refused as such.
fn dpop_token(authorization: Option<&str>) -> Result<&str, Refusal> {
    let token = authorization
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("DPoP"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    token.ok_or_else(|| {
        if authorization.is_some_and(|v| v.starts_with("Bearer ")) {
            Refusal::InvalidToken {
                slug: "invalid-token",
                why: "the token is DPoP-bound: send it as Authorization: DPoP, with a proof",
            }
        } else {
            Refusal::NoToken
        }
    })
}

/// Why a stored token is dead now, if it is: its portal disabled, revoked, or expired.
fn why_dead(
    portal_enabled: bool,
    token: &access_tokens::Model,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if !portal_enabled {
        Some("the portal was disabled")
    } else if token.revoked_at.is_some() {
        Some("the token was revoked")
    } else if token.expires_at <= now {
        Some("the token has expired")
    } else {
        None
    }
}

/// Why the document's content may not be served any more, if its issuer revoked or
/// superseded it: the status and since when.
async fn withdrawn_by_issuer(
    txn: &DatabaseTransaction,
    owner: OwnerId,
    document: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<String>, Refusal> {
    let rows = crate::documents::rows_by_ids(txn, owner, &[document]).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let (status, since) =
        crate::documents::effective_status(row, now).map_err(|e| Refusal::Internal(e.into()))?;
    Ok(matches!(
        status,
        crate::documents::Status::Revoked | crate::documents::Status::Superseded
    )
    .then(|| {
        format!(
            "the document is {} since {}",
            status.as_str(),
            since.to_rfc3339()
        )
    }))
}

/// What the portal wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    Read(Uuid),
    Download(Uuid),
}

impl Action {
    /// What the owner's access log calls it.
    fn logged_as(self) -> access::Action {
        match self {
            Self::List => access::Action::ListDocuments,
            Self::Read(_) => access::Action::ReadDocument,
            Self::Download(_) => access::Action::DownloadDocument,
        }
    }

    pub(super) fn document(self) -> Option<Uuid> {
        match self {
            Self::List => None,
            Self::Read(id) | Self::Download(id) => Some(id),
        }
    }
}

/// An admitted access: the open transaction (with the log row written) and the documents the
/// consent covers. Commit it before any data leaves.
pub struct Admitted {
    pub txn: DatabaseTransaction,
    pub documents: Vec<Uuid>,
    /// The claim of this download's one fetch under a `once` consent.
    pub once_claim: Option<DateTime<Utc>>,
}

/// Decides `action` for `caller` and logs the decision, allowed or denied, in one transaction.
/// A refusal's log row is committed before the refusal is returned.
impl Admission {
    pub async fn admit(&self, caller: &Caller, action: Action) -> Result<Admitted, Refusal> {
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        if !audit::lock_owner(&txn, caller.owner).await? {
            return Err(Refusal::InvalidToken {
                slug: "invalid-token",
                why: "the token's consent no longer exists",
            });
        }
        // Read again under the lock: a withdrawal that committed before this point is seen.
        let consent = consents::find(&txn, caller.consent.id)
            .await?
            .ok_or(Refusal::NotFound)?;
        let covered = consents::chosen(&txn, consent.id).await?;
        let status = Status::effective(&consent.status, consent.expires_at, now);
        let withdrawn = match action {
            Action::Download(id) if status == Status::Active && covered.contains(&id) => {
                withdrawn_by_issuer(&txn, caller.owner, id, now).await?
            }
            _ => None,
        };
        let facts = Facts {
            status,
            refused_proof: caller.refused_proof.as_deref(),
            dead_token: caller.dead_token,
            action,
            covered: &covered,
            withdrawn_by_issuer: withdrawn.as_deref(),
            once: AccessKind::from_stored(&consent.access) == AccessKind::Once,
        };
        let mut once_claim = None;
        let decision = match decide(&facts) {
            Ok(Allowed::Plainly) => Ok(()),
            Ok(Allowed::IfClaimed(id)) => {
                once_claim = consents::try_claim_fetch(&txn, consent.id, id, now).await?;
                once_claim.map(|_| ()).ok_or((
                    "the document was already fetched under this one-time consent",
                    Refusal::AlreadyFetched,
                ))
            }
            Err(refused) => Err(refused),
        };
        let denied = decision.as_ref().err().map(|(why, _)| *why);
        let access = Access::by_portal(
            &consent,
            &caller.client,
            action.logged_as(),
            action.document(),
            denied,
        );
        audit::append_locked(&txn, access, now).await?;
        if let Err((_, refusal)) = decision {
            txn.commit().await?;
            return Err(refusal);
        }
        Ok(Admitted {
            txn,
            documents: covered,
            once_claim,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::UnprovenAttempts;

    #[test]
    fn an_unproven_attempt_is_logged_once_an_hour_per_token() {
        let attempts = UnprovenAttempts::default();
        assert!(attempts.log_now("token-a"));
        assert!(!attempts.log_now("token-a"));
        assert!(!attempts.log_now("token-a"));
        assert!(attempts.log_now("token-b"));
    }
}
