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

pub use fetches::{mark_fetched, release_fetch, try_claim_fetch};
pub use receipt::RECEIPT_TYPE;
pub use store::{ConsentError, NewConsent, find, pending_from};
pub use view::{Consent, chosen};

/// Where a consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

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
