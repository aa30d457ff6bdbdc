//! Verification: is this document genuine, and still valid? Public (a result code and the
//! content's SHA-256, or the file itself): genuine, unknown or mismatch, the status, the issuing
//! agency and the dates — nothing personal — as a receipt signed by the store.

pub mod http;
mod official;
mod public;
mod rate_limit;

pub use official::{OfficialVerification, official_mark_verified, official_verify};
pub use public::{RECEIPT_TYPE, Verdict, Verification, receipt, verify};
pub use rate_limit::RateLimit;
