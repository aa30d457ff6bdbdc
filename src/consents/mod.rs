//! Consents: one purpose, one owner, one portal. A consent is asked for (pending), decided by
//! the owner (active or denied), and ends by withdrawal, by being used up (`once`) or by its
//! expiry. Expiry is computed from `expires_at` on every read, never stored stale, and the
//! portal resource API checks the consent's status on every request — so a withdrawal stops the
//! very next fetch, whatever tokens are out there.

mod fetches;
pub mod http;
mod receipt;
mod store;
mod view;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use fetches::{
    MAX_FETCH_RETRIES, RENEW_CLAIM_EVERY, give_back_fetch, mark_fetched, release_fetch,
    renew_claim, try_claim_fetch,
};
pub use receipt::RECEIPT_TYPE;
pub use store::{ConsentError, NewConsent, find, forget, pending_from};
pub use view::{Consent, chosen};

/// Where a consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ConsentStatus)]
pub enum Status {
    /// Asked for (CIBA), waiting in the owner's inbox.
    Pending,
    /// Approved: the portal may fetch the chosen documents.
    Active,
    Denied,
    Withdrawn,
    /// Past its expiry (or, while pending, past the request's).
    Expired,
    /// A `once` consent whose documents were all fetched.
    Used,
}

impl Status {
    /// Every status, in the order of a consent's life.
    pub const ALL: [Status; 6] = [
        Self::Pending,
        Self::Active,
        Self::Denied,
        Self::Withdrawn,
        Self::Expired,
        Self::Used,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Denied => "denied",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
            Self::Used => "used",
        }
    }

    /// The status now: a stored `pending` or `active` past `expires_at` is `expired`.
    pub fn effective(stored: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let status = match stored {
            "pending" => Self::Pending,
            "active" => Self::Active,
            "denied" => Self::Denied,
            "withdrawn" => Self::Withdrawn,
            "used" => Self::Used,
            _ => Self::Expired,
        };
        match status {
            Self::Pending | Self::Active if now >= expires_at => Self::Expired,
            other => other,
        }
    }
}

/// What can happen to a consent; each only from some statuses, and nothing once it has expired
/// (expiry is a status computed on read, see [`Status::effective`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The owner approves a pending request.
    Approve,
    /// The owner denies a pending request.
    Deny,
    /// The owner withdraws a request or a consent; every later fetch stops.
    Withdraw,
    /// A `once` consent's last document was fetched.
    UseUp,
}

impl Transition {
    /// The statuses it may start from.
    pub fn from(self) -> &'static [Status] {
        match self {
            Self::Approve | Self::Deny => &[Status::Pending],
            Self::Withdraw => &[Status::Active, Status::Pending],
            Self::UseUp => &[Status::Active],
        }
    }

    /// The status it leads to.
    pub fn to(self) -> Status {
        match self {
            Self::Approve => Status::Active,
            Self::Deny => Status::Denied,
            Self::Withdraw => Status::Withdrawn,
            Self::UseUp => Status::Used,
        }
    }

    /// The word for it in "the consent is … and can no longer be …".
    pub fn done(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Deny => "denied",
            Self::Withdraw => "withdrawn",
            Self::UseUp => "used",
        }
    }

    /// [`Transition::from`] as stored, for the compare-and-set that applies it.
    pub(crate) fn stored_sources(self) -> Vec<&'static str> {
        self.from().iter().map(|s| s.as_str()).collect()
    }
}

impl Status {
    /// Whether a consent in this (effective) status may go through `transition`.
    pub fn allows(self, transition: Transition) -> bool {
        transition.from().contains(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_consent_moves_only_along_its_state_machine() {
        use Transition::*;
        let allowed = |s: Status| -> Vec<Transition> {
            [Approve, Deny, Withdraw, UseUp]
                .into_iter()
                .filter(|t| s.allows(*t))
                .collect()
        };
        assert_eq!(allowed(Status::Pending), vec![Approve, Deny, Withdraw]);
        assert_eq!(allowed(Status::Active), vec![Withdraw, UseUp]);
        for end in [
            Status::Denied,
            Status::Withdrawn,
            Status::Expired,
            Status::Used,
        ] {
            assert!(allowed(end).is_empty(), "{end:?} is final");
        }
        for t in [Approve, Deny, Withdraw, UseUp] {
            assert!(!t.from().contains(&t.to()), "{t:?} changes the status");
        }
    }

    #[test]
    fn an_expired_request_or_consent_can_no_longer_be_answered_or_withdrawn() {
        let now = crate::clock::Clock::system().now();
        let past = now - Duration::seconds(1);
        for stored in Status::ALL {
            let status = Status::effective(stored.as_str(), past, now);
            assert!(!status.allows(Transition::Approve) && !status.allows(Transition::Withdraw));
        }
    }

    #[test]
    fn expiry_is_computed_not_stored() {
        let now = crate::clock::Clock::system().now();
        let past = now - Duration::seconds(1);
        assert_eq!(Status::effective("active", past, now), Status::Expired);
        assert_eq!(Status::effective("pending", past, now), Status::Expired);
        assert_eq!(Status::effective("withdrawn", past, now), Status::Withdrawn);
        assert_eq!(
            Status::effective("active", now + Duration::days(1), now),
            Status::Active
        );
    }
}

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::crypto::Signer;
use crate::documents::Documents;
use crate::owners::Owners;

/// Consent records, holding what they need: the database, the owners (whose data keys seal
/// the purpose), the owners' documents (what a consent may cover), the store's signer (receipts)
/// and the clock.
#[derive(Clone, Debug)]
pub struct Consents {
    db: DatabaseConnection,
    owners: Owners,
    documents: Documents,
    signer: Signer,
    clock: Clock,
}

impl Consents {
    pub fn new(
        db: DatabaseConnection,
        owners: Owners,
        documents: Documents,
        signer: Signer,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            owners,
            documents,
            signer,
            clock,
        }
    }
}
