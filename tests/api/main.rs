//! Integration tests: the real app over real HTTP on port 0, a fresh database per test, every
//! scenario on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The tests' own clients (portals, issuers) read the real clock, as they would in life; the
// server's time is `app.state.clock`, which tests move instead of sleeping.
#![allow(clippy::disallowed_methods)]

mod support;

mod at_rest;
mod audit_bundle;
mod bad_input;
mod ciba;
mod cli;
mod clients;
mod consent;
mod documents;
mod erase;
mod export;
mod http_basics;
mod import;
mod isolation;
mod issued;
mod issued_status;
mod login;
mod mandates;
mod notices;
mod oauth_client_library;
mod rotation;
mod seals;
mod sessions;
mod tampering;
mod ui;
mod verify;
