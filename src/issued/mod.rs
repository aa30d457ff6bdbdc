//! Issued results (kết quả giải quyết TTHC): an issuer pushes a signed document into an owner's
//! store. The push is a compact JWS, by a key in the issuer's registered JWKS, over the
//! metadata and the content's SHA-256; Kho checks the signature, that the agency is the
//! issuer's, every code and the type, then stores the content sealed with the owner's key as
//! `issued`. Idempotent on the result code.

pub mod http;
mod legacy;
mod push;
mod status;

pub use legacy::seal_legacy_statements;
pub use push::{PushError, Pushed, push};
pub use status::{StatusView, change_status};
