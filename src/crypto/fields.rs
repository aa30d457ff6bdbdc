//! Small encrypted fields (titles, numbers, identifiers) bound to the owner, the record and the
//! field name, so a ciphertext cannot be moved to another row or column unnoticed.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use uuid::Uuid;

use super::{DataKey, IntegrityError, random_bytes};

const PURPOSE: &[u8] = b"kho/fields/v1";
const NONCE_LEN: usize = 12;

fn cipher(key: &DataKey) -> Result<Aes256Gcm, IntegrityError> {
    let sub = key.derive(&[PURPOSE])?;
    Aes256Gcm::new_from_slice(sub.as_slice()).map_err(|_| IntegrityError)
}

fn aad(owner: Uuid, record: Uuid, field: &str) -> Vec<u8> {
    [
        PURPOSE,
        b"\0",
        owner.as_bytes(),
        record.as_bytes(),
        field.as_bytes(),
    ]
    .concat()
}

/// Encrypts `plaintext` as `nonce ‖ ciphertext`.
pub fn seal_field(
    key: &DataKey,
    owner: Uuid,
    record: Uuid,
    field: &str,
    plaintext: &str,
) -> Result<Vec<u8>, IntegrityError> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let ct = cipher(key)?
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad(owner, record, field),
            },
        )
        .map_err(|_| IntegrityError)?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// Decrypts what [`seal_field`] made for the same owner, record and field.
pub fn open_field(
    key: &DataKey,
    owner: Uuid,
    record: Uuid,
    field: &str,
    sealed: &[u8],
) -> Result<String, IntegrityError> {
    let (nonce, ct) = sealed.split_at_checked(NONCE_LEN).ok_or(IntegrityError)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| IntegrityError)?;
    let plain = cipher(key)?
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ct,
                aad: &aad(owner, record, field),
            },
        )
        .map_err(|_| IntegrityError)?;
    String::from_utf8(plain).map_err(|_| IntegrityError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_opens_only_in_its_place() {
        let key = DataKey::generate().unwrap();
        let (owner, record) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = seal_field(&key, owner, record, "title", "Giấy khai sinh").unwrap();
        assert_eq!(
            open_field(&key, owner, record, "title", &sealed).unwrap(),
            "Giấy khai sinh"
        );
        assert!(open_field(&key, owner, record, "number", &sealed).is_err());
        assert!(open_field(&key, owner, Uuid::now_v7(), "title", &sealed).is_err());
        assert!(
            open_field(
                &DataKey::generate().unwrap(),
                owner,
                record,
                "title",
                &sealed
            )
            .is_err()
        );
    }
}
