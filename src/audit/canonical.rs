//! The canonical encoding of an access-log entry (documented in `mod.rs`) and its hash.

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::storage::entities::access_log::Model;

/// Version 1: entries written before consents existed.
#[derive(Serialize)]
struct CanonicalV1<'a> {
    v: u8,
    owner: Uuid,
    seq: i64,
    at: &'a str,
    actor_kind: &'a str,
    actor_person: Option<Uuid>,
    actor_mandate: Option<Uuid>,
    actor_client: Option<&'a str>,
    action: &'a str,
    document: Option<Uuid>,
    outcome: &'a str,
    detail: Option<&'a str>,
    prev: &'a str,
}

/// Version 2 adds, after `actor_client`, the agency, and after `detail`, the consent,
/// procedure, dossier and case.
#[derive(Serialize)]
struct CanonicalV2<'a> {
    v: u8,
    owner: Uuid,
    seq: i64,
    at: &'a str,
    actor_kind: &'a str,
    actor_person: Option<Uuid>,
    actor_mandate: Option<Uuid>,
    actor_client: Option<&'a str>,
    actor_agency: Option<&'a str>,
    action: &'a str,
    document: Option<Uuid>,
    outcome: &'a str,
    detail: Option<&'a str>,
    consent: Option<Uuid>,
    procedure: Option<&'a str>,
    dossier: Option<&'a str>,
    case: Option<&'a str>,
    prev: &'a str,
}

/// The bytes an entry's hash covers (see the module documentation).
pub(crate) fn canonical_bytes(row: &Model) -> Vec<u8> {
    // Serialising a struct of strings, numbers and UUIDs cannot fail.
    if row.version == 1 {
        return serde_json::to_vec(&canonical_v1(row)).unwrap_or_default();
    }
    let canonical = CanonicalV2 {
        v: 2,
        owner: row.owner_id,
        seq: row.seq,
        at: &row.at,
        actor_kind: &row.actor_kind,
        actor_person: row.actor_person,
        actor_mandate: row.actor_mandate,
        actor_client: row.actor_client.as_deref(),
        actor_agency: row.actor_agency.as_deref(),
        action: &row.action,
        document: row.document_id,
        outcome: &row.outcome,
        detail: row.detail.as_deref(),
        consent: row.consent_id,
        procedure: row.procedure.as_deref(),
        dossier: row.dossier.as_deref(),
        case: row.case_ref.as_deref(),
        prev: &row.prev_hash,
    };
    serde_json::to_vec(&canonical).unwrap_or_default()
}

pub(crate) fn canonical_hash(row: &Model) -> String {
    hex::encode(Sha256::digest(canonical_bytes(row)))
}

fn canonical_v1(row: &Model) -> CanonicalV1<'_> {
    CanonicalV1 {
        v: 1,
        owner: row.owner_id,
        seq: row.seq,
        at: &row.at,
        actor_kind: &row.actor_kind,
        actor_person: row.actor_person,
        actor_mandate: row.actor_mandate,
        actor_client: row.actor_client.as_deref(),
        action: &row.action,
        document: row.document_id,
        outcome: &row.outcome,
        detail: row.detail.as_deref(),
        prev: &row.prev_hash,
    }
}
