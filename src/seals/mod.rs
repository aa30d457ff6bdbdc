//! QR seals: a compact token signed by the store for every issued result (and every uploaded
//! document an official checked against its original), rendered as a QR code, that anyone can
//! check offline against the store's published keys — and online for the current status. The
//! format is documented in `docs/seal-format.md`.

mod check;
pub mod http;
pub mod page;
mod render;
mod store;
mod token;

pub use check::{CheckError, SealVerification, check};
pub use render::{ReadError, png, read, svg};
pub use store::{Seal, SealingError, seal_of, signed_by};
pub use token::{SEAL_TYPE, SealClaims, SealError, SealKind, check_offline};
