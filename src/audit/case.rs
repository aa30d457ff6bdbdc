//! An official's case reference names a citizen's business with an agency, so it enters the
//! owner's log sealed with the owner's key (`sealed:` and base64). The entry's hash covers the
//! sealed text: the chain, its checkpoints and a bundle verify without any key, and the owner's
//! pages open it. Entries written before keep a plain case reference.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use crate::crypto::{DataKey, IntegrityError, open_field, seal_field};
use crate::storage::entities::access_log::Model;

const PREFIX: &str = "sealed:";
const FIELD: &str = "case_ref";

/// Whether `case` could be taken for a sealed one: such a reference is refused at the edge.
pub fn looks_sealed(case: &str) -> bool {
    case.starts_with(PREFIX)
}

/// `case`, sealed for the log of `owner`.
pub fn seal_case(key: &DataKey, owner: Uuid, case: &str) -> Result<String, IntegrityError> {
    let sealed = seal_field(key, owner, Uuid::nil(), FIELD, case)?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(sealed)))
}

/// The case reference of an entry of `owner`'s log as the owner reads it.
pub fn open_case(key: &DataKey, owner: Uuid, stored: &str) -> Result<String, IntegrityError> {
    let Some(sealed) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_owned());
    };
    let sealed = STANDARD.decode(sealed).map_err(|_| IntegrityError)?;
    open_field(key, owner, Uuid::nil(), FIELD, &sealed)
}

/// `row` with its case reference opened with its owner's `key`, for display; one that cannot be
/// opened is shown as absent. A row opened so is for reading only: its hash no longer checks.
pub fn opened(mut row: Model, key: Option<&DataKey>) -> Model {
    if let Some(stored) = row.case_ref.take() {
        row.case_ref = match key {
            Some(key) => open_case(key, row.owner_id, &stored).ok(),
            None if !looks_sealed(&stored) => Some(stored),
            None => None,
        };
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_opens_only_in_its_owners_log() {
        let key = DataKey::generate().unwrap();
        let (owner, other) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = seal_case(&key, owner, "HS-2026-0042").unwrap();
        assert!(looks_sealed(&sealed) && !sealed.contains("0042"));
        assert_eq!(open_case(&key, owner, &sealed).unwrap(), "HS-2026-0042");
        assert!(open_case(&key, other, &sealed).is_err());
        assert_eq!(open_case(&key, owner, "HS-cũ").unwrap(), "HS-cũ");
    }
}
