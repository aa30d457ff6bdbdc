//! Kho: the citizen e-data store behind "provide information once".

pub mod access; // who may read or change what: the access policy and its log entries
pub mod app; // the router, shared state and server launch
pub mod audit; // the access log: every read by anyone but the owner, hash-chained
pub mod cli; // the `kho` command line
pub mod clients; // OAuth clients (portals, issuers): register, authenticate
pub mod clock; // the one source of "now", adjustable in tests
pub mod config; // typed settings from defaults, a TOML file and KHO_* variables
pub mod connection; // whether a response reached the other end: connections watched until acknowledged
pub mod consents; // portals ask, owners decide: consent records, receipts, withdrawal
pub mod crypto; // key ring, per-owner data keys, sealed segments and fields, blind indexes
pub mod documents; // owners' documents: upload, list, download, delete
pub mod error; // the one HTTP error type, as problem+json
pub mod export; // "download all my data": the whole store as one ZIP, streamed
pub mod extract; // extractors whose rejections are problem+json
pub mod identity; // sessions, CSRF and origin checks, OpenID Connect login, the dev sign-in
pub mod ids; // Vietnamese identifiers and codes, parsed at the edge
#[cfg(test)]
mod input_properties; // property tests of every parser of outside input
pub mod issued; // issued results: issuers push signed documents into owners' stores
pub mod mandates; // acting for someone else: representatives, guardians, authorised persons
pub mod notices; // what owners are told, in the app and by e-mail through an outbox
pub mod oauth; // Kho as an OAuth authorization server for portals: PAR, consent, DPoP tokens, CIBA
pub mod owners; // owners' stores: creation, data keys, rotation, erasure
pub mod portal_api; // the portal resource API, under a DPoP-bound consent token
pub mod queue; // costly work a few at a time, behind a bounded queue
pub mod seals; // QR seals: signed tokens anyone can check offline, and online for the status
pub mod storage; // the database and the blob store
pub mod telemetry; // structured logging
pub mod verify; // is this document genuine and valid: public verification with signed receipts
pub mod web; // the pages for people: documents, upload, my data; security headers
