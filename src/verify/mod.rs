//! Verification: is this document genuine, and still valid? Public (a result code and the
//! content's SHA-256, or the file itself): genuine, unknown or mismatch, the status, the issuing
//! agency and the dates — nothing personal — as a receipt signed by the store.

pub mod http;
mod official;
mod public;
mod rate_limit;

pub use official::{OfficialError, OfficialVerification};
pub use public::{RECEIPT_TYPE, Verdict, Verification, receipt};
pub use rate_limit::RateLimit;

use crate::audit::AccessLog;
use crate::clock::Clock;
use crate::crypto::Signer;
use crate::documents::Documents;
use crate::owners::Owners;

/// Verification, holding what it needs: the owners (an
/// official's answer names the owner), the documents (an official marks a copy checked), the
/// access log (officials' look-ups), the store's signer (receipts) and the clock.
#[derive(Clone, Debug)]
pub struct Verifier {
    owners: Owners,
    documents: Documents,
    access_log: AccessLog,
    signer: Signer,
    clock: Clock,
}

impl Verifier {
    pub fn new(
        owners: Owners,
        documents: Documents,
        access_log: AccessLog,
        signer: Signer,
        clock: Clock,
    ) -> Self {
        Self {
            owners,
            documents,
            access_log,
            signer,
            clock,
        }
    }
}
