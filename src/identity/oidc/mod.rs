//! Login through OpenID Connect (VNeID in production, any standard provider elsewhere):
//! authorization code with PKCE, `state` and `nonce`, ID token checked against the provider's
//! keys (re-fetched when it rotates them), RP-initiated logout.

mod client;
mod flow;
pub mod http;
mod person;

pub use client::{OidcClient, OidcError};
pub use person::{Person, Refusal, person_from_claims};
