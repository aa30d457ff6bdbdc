//! What an owner is told: a new consent request, a consent about to end, a new issued result or
//! a revocation, an official's look-up, a mandate ending. Each notice is written in the same
//! transaction as the event it tells of ([`record`]), shown in the app, and — when the owner has
//! confirmed an e-mail address — mailed by the [`outbox`] sender, which retries with backoff and
//! picks up after a restart. A notice names no document content and no personal ID: only what
//! happened, and where in Kho to look.

mod contacts;
mod endings;
pub mod mail;
pub mod outbox;
mod record;
mod service;

pub use contacts::{Contact, ContactError, parse_address};
pub use record::record;
pub use service::{Notice, Notices};

/// What a notice tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A portal asks for documents while the owner is away from it (CIBA).
    ConsentRequested,
    /// An approved consent ends within [`endings::SOON`].
    ConsentEnding,
    /// An issuer put a new result into the store.
    ResultIssued,
    /// An issuer revoked one of the store's results.
    ResultRevoked,
    /// An official looked up or checked one of the owner's documents.
    OfficialLookup,
    /// A mandate over the owner's store ends within [`endings::SOON`].
    MandateEnding,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::ConsentRequested,
        Kind::ConsentEnding,
        Kind::ResultIssued,
        Kind::ResultRevoked,
        Kind::OfficialLookup,
        Kind::MandateEnding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ConsentRequested => "consent_requested",
            Kind::ConsentEnding => "consent_ending",
            Kind::ResultIssued => "result_issued",
            Kind::ResultRevoked => "result_revoked",
            Kind::OfficialLookup => "official_lookup",
            Kind::MandateEnding => "mandate_ending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("something_else"), None);
    }
}
