//! sea-orm models of the tables the migrations create. Used only by the `store` modules, which
//! scope every owner-data query by owner.

pub mod access_log;
pub mod client_assertions;
pub mod clients;
pub mod documents;
pub mod login_flows;
pub mod mandates;
pub mod owner_keys;
pub mod owners;
pub mod sessions;
