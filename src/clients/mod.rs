//! OAuth clients — portals that ask for consent and fetch documents, issuers that push results —
//! registered by the operator, and how they prove who they are: `private_key_jwt` (RFC 7523) or a
//! client secret kept only as an Argon2id hash.

mod assertion;

pub use assertion::{AssertionError, claimed_client, verify_signed};
mod authenticate;
mod registry;
mod secrets;

pub use authenticate::{Authenticated, ClientAuth, ClientAuthError};
pub use registry::{
    ClientView, KeySource, NewClient, RegisterError, Registered, Role, add, disable, find_enabled,
    list,
};
pub use secrets::prepare;
