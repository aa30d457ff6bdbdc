//! Who is calling: browser sessions (stored in the database, shared by every process), the
//! CSRF and origin checks on state-changing requests, OpenID Connect login, and the dev sign-in.

pub mod dev_sign_in;
pub mod oidc;
mod session_auth;
pub mod sessions;

pub use session_auth::{OwnerSession, SignedIn, check_csrf, check_same_origin};
