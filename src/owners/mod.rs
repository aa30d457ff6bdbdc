//! Owners' stores: created at first sign-in, found by a blind index of the identifier, each with
//! its own data key; re-wrapping keys on rotation; erasure by destroying the key.

mod erase;
pub mod http;
mod keys;
mod service;
mod store;
mod unused;

pub use erase::{ErasureReport, erase};
pub use keys::{KekUsage, data_key, kek_usage, rewrap_batch};
pub use service::Owners;
pub use store::{
    NewOwner, Owner, find, find_or_create, identifier, identifier_index, insert_new, name, prepare,
    remember_name,
};
pub use unused::UNUSED_GRACE;

/// The opaque id of an owner's store. Never personal: it is random and says nothing of the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct OwnerId(pub uuid::Uuid);
