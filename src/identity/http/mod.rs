//! The sign-in pages that are not OpenID Connect: the dev sign-in (dev profile only).

pub mod dev_sign_in;
