//! The access log: every read of an owner's data by anyone but the owner — allowed or denied —
//! appended before any data is returned (no log row, no data), hash-chained per owner so that a
//! row edited, deleted or reordered in the database is detected.
//!
//! Canonical encoding of an entry (version 1): the compact JSON object
//! `{"v":1,"owner":…,"seq":…,"at":…,"actor_kind":…,"actor_person":…,"actor_mandate":…,
//! "actor_client":…,"action":…,"document":…,"outcome":…,"detail":…,"prev":…}` — keys in exactly
//! this order, absent values as `null`, UUIDs lower-case hyphenated, `at` RFC 3339 UTC with
//! microseconds. `hash` = lower-case hex SHA-256 of those bytes; `prev` is the previous entry's
//! `hash`, or 64 zeros for the first entry (`seq` 1). Signed checkpoints and downloadable bundles
//! come with the consent issue.

mod chain;
pub mod http;

pub use chain::{Access, Actor, BrokenLink, Outcome, append, entries, verify_chain};
