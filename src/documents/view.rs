//! The owner's view of a stored row: sealed fields opened, validity computed for today in
//! Vietnam's time zone.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

use super::model::{DocumentView, Provenance, Source, Status, Verification};
use super::service::DocumentError;
use crate::crypto::{DataKey, IntegrityError, open_field};
use crate::storage::entities::documents;

/// The owner's view of a row: sealed fields opened, validity computed for today.
pub(super) fn view(
    key: &DataKey,
    row: &documents::Model,
    now: DateTime<Utc>,
) -> Result<DocumentView, DocumentError> {
    let open = |field: &str, sealed: &[u8]| open_field(key, row.owner_id, row.id, field, sealed);
    let (status, status_changed_at) = effective_status(row, now)?;
    Ok(DocumentView {
        id: row.id,
        version: u32::try_from(row.version).map_err(|_| IntegrityError)?,
        type_code: row.type_code.clone(),
        title: open("title", &row.title_sealed)?,
        number: row
            .number_sealed
            .as_deref()
            .map(|n| open("number", n))
            .transpose()?,
        issuing_agency: row.issuing_agency.clone(),
        issue_date: row.issue_date,
        valid_until: row.valid_until,
        result_code: row.result_code.clone(),
        source: Source::from_stored(&row.source).ok_or(IntegrityError)?,
        verification: Verification::from_stored(&row.verification).ok_or(IntegrityError)?,
        status,
        status_changed_at,
        content_type: row.content_type.clone(),
        size: u64::try_from(row.size).map_err(|_| IntegrityError)?,
        sha256: content_sha256(key, row)?,
        created_at: row.created_at,
        provenance: match (row.verified_at, verification_method(key, row)?) {
            (Some(at), Some(method)) => Some(Provenance {
                verified_at: at,
                method,
            }),
            _ => None,
        },
    })
}

/// An uploaded document's SHA-256 would let whoever holds the database confirm a guess of a
/// short text document, so it is sealed with the owner's key (`sealed:` and base64). An issued
/// result's stays plain: public verification finds results by it.
const SHA256_FIELD: &str = "sha256";
const SEALED_SHA256: &str = "sealed:";

/// What the `sha256` column of a new row holds.
pub(crate) fn stored_sha256(
    key: &DataKey,
    owner: uuid::Uuid,
    id: uuid::Uuid,
    source: Source,
    hex: String,
) -> Result<String, IntegrityError> {
    use base64::Engine;
    if source == Source::Issued {
        return Ok(hex);
    }
    let sealed = crate::crypto::seal_field(key, owner, id, SHA256_FIELD, &hex)?;
    Ok(format!(
        "{SEALED_SHA256}{}",
        base64::engine::general_purpose::STANDARD.encode(sealed)
    ))
}

/// Whether `row` keeps an uploaded document's SHA-256 in plain (written before it was sealed).
pub(crate) fn plain_upload_sha256(row: &documents::Model) -> bool {
    row.source == Source::Uploaded.as_str() && !row.sha256.starts_with(SEALED_SHA256)
}

/// The SHA-256 of `row`'s content, opened with the owner's key when sealed.
pub fn content_sha256(key: &DataKey, row: &documents::Model) -> Result<String, IntegrityError> {
    use base64::Engine;
    let Some(sealed) = row.sha256.strip_prefix(SEALED_SHA256) else {
        return Ok(row.sha256.clone());
    };
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map_err(|_| IntegrityError)?;
    open_field(key, row.owner_id, row.id, SHA256_FIELD, &sealed)
}

/// How an official checked a document, sealed with the owner's key.
pub(crate) const VERIFICATION_METHOD_FIELD: &str = "verification_method";
/// Why an issuer revoked a result, sealed with the owner's key.
pub const STATUS_REASON_FIELD: &str = "status_reason";

/// How an official checked `row`: sealed, or plain in a row written before it was sealed.
fn verification_method(
    key: &DataKey,
    row: &documents::Model,
) -> Result<Option<String>, IntegrityError> {
    match (&row.verification_method_sealed, &row.verification_method) {
        (Some(sealed), _) => Ok(Some(crate::crypto::open_field(
            key,
            row.owner_id,
            row.id,
            VERIFICATION_METHOD_FIELD,
            sealed,
        )?)),
        (None, plain) => Ok(plain.clone()),
    }
}

/// The issuer's signed push of an issued row, kept sealed with the owner's key (it names the
/// owner and the title): base64 of the sealed bytes in the text column.
const ISSUER_SIGNATURE_FIELD: &str = "issuer_signature";

pub fn seal_issuer_signature(
    key: &DataKey,
    owner: uuid::Uuid,
    id: uuid::Uuid,
    jws: &str,
) -> Result<String, IntegrityError> {
    use base64::Engine;
    let sealed = crate::crypto::seal_field(key, owner, id, ISSUER_SIGNATURE_FIELD, jws)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
}

/// Whether a stored issuer statement is still the plain JWS that stores before format 2 kept
/// (a JWS has dots; base64 of sealed bytes never does). `kho serve` seals them at start-up.
pub fn is_legacy_plain(stored: &str) -> bool {
    stored.contains('.')
}

/// The issuer's signed push of `row`, opened with the owner's key; `None` for an upload.
pub fn issuer_signature(
    key: &DataKey,
    row: &documents::Model,
) -> Result<Option<String>, IntegrityError> {
    use base64::Engine;
    let Some(stored) = &row.issuer_signature else {
        return Ok(None);
    };
    if is_legacy_plain(stored) {
        return Ok(Some(stored.clone()));
    }
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(stored)
        .map_err(|_| IntegrityError)?;
    open_field(key, row.owner_id, row.id, ISSUER_SIGNATURE_FIELD, &sealed).map(Some)
}

/// A row's status now, and since when: a revocation takes effect at its effective time, and
/// expiry is computed from `valid_until` for today in Vietnam, never stored.
pub fn effective_status(
    row: &documents::Model,
    now: DateTime<Utc>,
) -> Result<(Status, DateTime<Utc>), IntegrityError> {
    let stored = Status::from_stored(&row.status).ok_or(IntegrityError)?;
    let today = now.with_timezone(&vietnam()).date_naive();
    let expired = |until: NaiveDate| until < today;
    Ok(match (stored, row.valid_until) {
        // A revocation dated in the future: valid until then.
        (Status::Revoked, until) if row.status_changed_at > now => match until {
            Some(until) if expired(until) => (Status::Expired, end_of_day_in_vietnam(until, now)),
            _ => (Status::Valid, row.created_at),
        },
        (Status::Valid, Some(until)) if expired(until) => {
            (Status::Expired, end_of_day_in_vietnam(until, now))
        }
        _ => (stored, row.status_changed_at),
    })
}

fn vietnam() -> FixedOffset {
    // UTC+7 has no daylight saving; a fixed offset is exact for Asia/Ho_Chi_Minh.
    FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix())
}

/// The moment a document valid until `day` (inclusive) stops being valid.
fn end_of_day_in_vietnam(day: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    day.checked_add_days(Days::new(1))
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .and_then(|midnight| vietnam().from_local_datetime(&midnight).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}
