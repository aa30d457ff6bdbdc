//! Kho as an OAuth 2.0 authorization server for portals, shaped after FAPI 2.0: metadata
//! (RFC 8414), pushed authorization requests (RFC 9126) only, the consent screen at
//! `/authorize`, codes returned with `iss` (RFC 9207), PKCE S256, DPoP-bound tokens (RFC 9449),
//! the decoupled CIBA poll flow, rich authorization requests (RFC 9396), revocation (RFC 7009)
//! and introspection (RFC 7662).
//!
//! The domain (what is asked for, DPoP proofs, the handles given to portals) is here; the
//! endpoints are in [`http`].

pub mod details;
pub mod dpop;
mod error;
pub mod handles;
pub mod http;
pub mod requests;
pub mod server;

pub use error::OAuthError;
pub use server::AuthServer;
