//! sea-orm models of the tables the migrations create. Used only by the `store` modules, which
//! scope every owner-data query by owner.

pub mod access_log;
pub mod access_tokens;
pub mod audit_checkpoints;
pub mod client_assertions;
pub mod clients;
pub mod consent_documents;
pub mod consents;
pub mod documents;
pub mod dpop_proofs;
pub mod grants;
pub mod login_flows;
pub mod mandates;
pub mod notices;
pub mod owner_contacts;
pub mod owner_keys;
pub mod owners;
pub mod par_requests;
pub mod seals;
pub mod sessions;
