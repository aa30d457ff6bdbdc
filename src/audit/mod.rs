//! The access log: every read of an owner's data by anyone but the owner — allowed or denied —
//! appended before any data is returned (no log row, no data), hash-chained per owner so that a
//! row edited, deleted or reordered in the database is detected.
//!
//! Canonical encoding of an entry: a compact JSON object, keys in exactly the order below,
//! absent values as `null`, UUIDs lower-case hyphenated, `at` RFC 3339 UTC with microseconds.
//! Version 2 (every entry written since consents exist):
//! `{"v":2,"owner":…,"seq":…,"at":…,"actor_kind":…,"actor_person":…,"actor_mandate":…,
//! "actor_client":…,"actor_agency":…,"action":…,"document":…,"outcome":…,"detail":…,
//! "consent":…,"procedure":…,"dossier":…,"case":…,"prev":…}`.
//! Version 1 (earlier entries) is the same without `actor_agency`, `consent`, `procedure`,
//! `dossier` and `case`. `hash` = lower-case hex SHA-256 of those bytes; `prev` is the previous
//! entry's `hash`, or 64 zeros for the first entry (`seq` 1). An official's `case` is stored, and
//! hashed, sealed with the owner's key (`sealed:` and base64; see `case.rs`).
//!
//! Checkpoints: the store signs (ES256, a key published at `jwks_uri`) a statement of the
//! chain's head — `{"iss","owner","seq","hash","iat"}`, JWS `typ` `kho-log-checkpoint+jwt` —
//! on demand and periodically, after checking the chain up to it. A bundle (entries plus the
//! latest checkpoint) is verified offline by `kho audit verify`.

mod canonical;
mod case;
mod chain;
mod checkpoint;
pub mod http;
mod service;

pub use case::{looks_sealed, opened, seal_case};
pub use chain::{
    Access, Actor, BrokenLink, Context, Outcome, append, append_in, append_locked, by_official,
    entries, lock_owner, tail, verify_chain,
};
pub use checkpoint::{
    BUNDLE_FORMAT, Bundle, BundleError, CHECKPOINT_TYPE, CheckpointError, Verified, checkpoint,
    checkpoint_all, forget, latest_checkpoint, latest_signed_by, verify_bundle,
};
pub use service::AccessLog;
