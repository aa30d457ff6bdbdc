//! Who is calling: browser sessions (stored in the database, shared by every process), the
//! CSRF and origin checks on state-changing requests, OpenID Connect login, and the dev sign-in.

mod extract;
pub mod oidc;
pub mod sessions;

pub use extract::{OwnerSession, SignedIn, check_csrf, check_same_origin};
pub use sessions::Sessions;
