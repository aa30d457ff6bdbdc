//! The portal resource API, `/v1/shared/documents…`: what a portal reaches with a DPoP-bound
//! consent token — only the consented documents, only while the consent is active. Every
//! request, allowed or denied, is written to the owner's access log in the transaction that
//! reads the data (no log row, no data).

mod admit;
pub mod http;
mod stream;
