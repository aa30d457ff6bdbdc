//! The key ring: master keys (KEKs) and the blind-index key, read from a key directory
//! (format in `key_files`). Running servers re-read the directory when the manifest changes or
//! when they meet a key id they do not know, so `kho keys rotate` works while they serve.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use zeroize::Zeroizing;

use jsonwebtoken::jwk::JwkSet;

use super::BlindIndexKey;
use super::key_files::{
    Loaded, Manifest, create_private_dir, has_manifest, load_dir, manifest_text, new_key_id,
    remove_key, write_manifest, write_new_key, write_new_signing_key,
};
use super::signing::{SigningKey, jwk_set};
/// Why the key ring cannot be used. Messages name files and ids, never key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error("cannot read the key directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid key ring manifest: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("key file {path} must hold base64 of exactly 32 bytes")]
    Malformed { path: PathBuf },
    #[error("key id {id:?} must be 1 to 64 characters of a-z, 0-9 and '-'")]
    BadId { id: String },
    #[error("the key ring names key {id:?}, but {dir}/{id}.key does not exist")]
    Missing { dir: PathBuf, id: String },
    #[error(
        "development key {id:?} is refused in the production profile: make production keys with `kho keys init` in a directory outside the repository and set KHO_KEYS_DIR"
    )]
    DevKeyInProduction { id: String },
    #[error(
        "key file {path} can be read by other users: run `chmod 600` on it (and 700 on its directory)"
    )]
    ReadableByOthers { path: PathBuf },
    #[error("master key {id:?} is the active one; rotate to a new key before retiring it")]
    RetireActive { id: String },
    #[error("no master key {id:?} in the key ring")]
    UnknownMaster { id: String },
    #[error("no published signing key {id:?} in the key ring")]
    UnknownSigning { id: String },
    #[error("{dir} already holds a key ring")]
    AlreadyInitialised { dir: PathBuf },
    #[error("the system random source failed")]
    Random,
}

/// One key of the ring as `kho keys status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    pub id: String,
    pub purpose: &'static str,
    pub active: bool,
}

/// The master keys and the blind-index key, shared by the whole process.
pub struct KeyRing {
    dir: PathBuf,
    production: bool,
    loaded: RwLock<Arc<Loaded>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Loads the ring; in production, refuses development keys and key files others can read.
    pub fn load(dir: &Path, production: bool) -> Result<Self, KeyRingError> {
        let loaded = load_dir(dir, production)?;
        Ok(Self {
            dir: dir.to_owned(),
            production,
            loaded: RwLock::new(Arc::new(loaded)),
        })
    }

    /// Creates a new key ring (one master key, one blind-index key) in an empty or new directory.
    pub fn init(dir: &Path) -> Result<(), KeyRingError> {
        if has_manifest(dir) {
            return Err(KeyRingError::AlreadyInitialised {
                dir: dir.to_owned(),
            });
        }
        create_private_dir(dir)?;
        let master = new_key_id("master")?;
        let index = new_key_id("index")?;
        let signing = new_key_id("signing")?;
        write_new_key(dir, &master)?;
        write_new_key(dir, &index)?;
        write_new_signing_key(dir, &signing)?;
        write_manifest(
            dir,
            &Manifest {
                active_master: master,
                blind_index: index,
                active_signing: signing,
                published_signing: Vec::new(),
            },
        )
    }

    /// The active master key and its id; picks up a rotation done by another process.
    pub fn active_master(&self) -> Result<(String, Zeroizing<[u8; 32]>), KeyRingError> {
        self.refresh_if_changed()?;
        let loaded = self.snapshot();
        let key =
            loaded
                .masters
                .get(&loaded.active)
                .ok_or_else(|| KeyRingError::UnknownMaster {
                    id: loaded.active.clone(),
                })?;
        Ok((loaded.active.clone(), key.clone()))
    }

    /// The master key `id`, re-reading the directory once if it is not known yet.
    pub fn master(&self, id: &str) -> Result<Zeroizing<[u8; 32]>, KeyRingError> {
        if let Some(key) = self.snapshot().masters.get(id) {
            return Ok(key.clone());
        }
        self.reload()?;
        self.snapshot()
            .masters
            .get(id)
            .cloned()
            .ok_or_else(|| KeyRingError::UnknownMaster { id: id.to_owned() })
    }

    pub fn blind_index(&self) -> Arc<BlindIndexKey> {
        self.snapshot().blind_index.clone()
    }

    /// The signing key that signs now; picks up a rotation done by another process.
    pub fn signer(&self) -> Result<Arc<SigningKey>, KeyRingError> {
        self.refresh_if_changed()?;
        let loaded = self.snapshot();
        loaded
            .signing
            .get(&loaded.active_signing)
            .cloned()
            .ok_or_else(|| KeyRingError::Missing {
                dir: self.dir.clone(),
                id: loaded.active_signing.clone(),
            })
    }

    /// The public halves of every published signing key (what `jwks_uri` serves).
    pub fn public_keys(&self) -> Result<JwkSet, KeyRingError> {
        self.refresh_if_changed()?;
        Ok(jwk_set(self.snapshot().signing.values().map(AsRef::as_ref)))
    }

    pub fn status(&self) -> Vec<KeyStatus> {
        let loaded = self.snapshot();
        let masters = loaded.masters.keys().map(|id| KeyStatus {
            id: id.clone(),
            purpose: "master",
            active: *id == loaded.active,
        });
        let index = KeyStatus {
            id: loaded.blind_index_id.clone(),
            purpose: "blind-index",
            active: true,
        };
        let signing = loaded.signing.keys().map(|id| KeyStatus {
            id: id.clone(),
            purpose: "signing",
            active: *id == loaded.active_signing,
        });
        masters
            .chain(std::iter::once(index))
            .chain(signing)
            .collect()
    }

    /// Adds a new master key and makes it the active one; returns its id.
    pub fn add_master(&self) -> Result<String, KeyRingError> {
        let loaded = self.snapshot();
        let id = new_key_id("master")?;
        write_new_key(&self.dir, &id)?;
        write_manifest(
            &self.dir,
            &Manifest {
                active_master: id.clone(),
                ..manifest_of(&loaded)
            },
        )?;
        self.reload()?;
        Ok(id)
    }

    /// Adds a new signing key and makes it the one that signs; the previous one stays
    /// published. Returns the new key's id.
    pub fn add_signing(&self) -> Result<String, KeyRingError> {
        let loaded = self.snapshot();
        let id = new_key_id("signing")?;
        write_new_signing_key(&self.dir, &id)?;
        let mut manifest = manifest_of(&loaded);
        manifest
            .published_signing
            .push(loaded.active_signing.clone());
        manifest.active_signing = id.clone();
        write_manifest(&self.dir, &manifest)?;
        self.reload()?;
        Ok(id)
    }

    /// Stops publishing an earlier signing key and deletes its file: what it signed can no
    /// longer be checked against this store's keys.
    pub fn remove_signing(&self, id: &str) -> Result<(), KeyRingError> {
        let loaded = self.snapshot();
        if loaded.active_signing == id {
            return Err(KeyRingError::RetireActive { id: id.to_owned() });
        }
        let mut manifest = manifest_of(&loaded);
        let before = manifest.published_signing.len();
        manifest.published_signing.retain(|k| k != id);
        if manifest.published_signing.len() == before {
            return Err(KeyRingError::UnknownSigning { id: id.to_owned() });
        }
        write_manifest(&self.dir, &manifest)?;
        remove_key(&self.dir, id)?;
        self.reload()
    }

    /// Whether `id` is a signing key of the ring.
    pub fn is_signing_key(&self, id: &str) -> bool {
        self.snapshot().signing.contains_key(id)
    }

    /// Deletes the file of a master key that no owner key is wrapped under any more (the caller
    /// checks that in the database).
    pub fn remove_master(&self, id: &str) -> Result<(), KeyRingError> {
        let loaded = self.snapshot();
        if loaded.active == id {
            return Err(KeyRingError::RetireActive { id: id.to_owned() });
        }
        if !loaded.masters.contains_key(id) {
            return Err(KeyRingError::UnknownMaster { id: id.to_owned() });
        }
        remove_key(&self.dir, id)?;
        self.reload()
    }

    fn snapshot(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn reload(&self) -> Result<(), KeyRingError> {
        let fresh = Arc::new(load_dir(&self.dir, self.production)?);
        match self.loaded.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    fn refresh_if_changed(&self) -> Result<(), KeyRingError> {
        if manifest_text(&self.dir).as_deref() != Some(self.snapshot().manifest_text.as_str()) {
            self.reload()?;
        }
        Ok(())
    }
}

/// The manifest that describes `loaded`, for a change to start from.
fn manifest_of(loaded: &Loaded) -> Manifest {
    Manifest {
        active_master: loaded.active.clone(),
        blind_index: loaded.blind_index_id.clone(),
        active_signing: loaded.active_signing.clone(),
        published_signing: loaded
            .signing
            .keys()
            .filter(|id| **id != loaded.active_signing)
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::key_files::{DEV_KEYS, owner_only_options};
    use std::fs;

    fn dev_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("keys-dev")
    }

    #[test]
    fn the_dev_ring_loads_in_dev_and_is_refused_in_production() {
        let ring = KeyRing::load(&dev_dir(), false).unwrap();
        assert_eq!(ring.active_master().unwrap().0, "dev-master-1");
        let err = KeyRing::load(&dev_dir(), true).unwrap_err();
        assert!(matches!(
            err,
            KeyRingError::ReadableByOthers { .. } | KeyRingError::DevKeyInProduction { .. }
        ));
    }

    #[test]
    fn a_renamed_dev_key_is_still_refused_in_production() {
        let dir = tempfile::tempdir().unwrap();
        KeyRing::init(dir.path()).unwrap();
        let ring = KeyRing::load(dir.path(), true).unwrap();
        let (active, _) = ring.active_master().unwrap();
        let path = dir.path().join(format!("{active}.key"));
        fs::remove_file(&path).unwrap();
        let mut file = owner_only_options().open(&path).unwrap();
        std::io::Write::write_all(&mut file, DEV_KEYS[0].as_bytes()).unwrap();
        assert!(matches!(
            KeyRing::load(dir.path(), true).unwrap_err(),
            KeyRingError::DevKeyInProduction { .. }
        ));
    }

    #[test]
    fn init_rotate_and_retire() {
        let dir = tempfile::tempdir().unwrap();
        KeyRing::init(dir.path()).unwrap();
        assert!(matches!(
            KeyRing::init(dir.path()).unwrap_err(),
            KeyRingError::AlreadyInitialised { .. }
        ));
        let ring = KeyRing::load(dir.path(), true).unwrap();
        let (first, first_key) = ring.active_master().unwrap();
        let second = ring.add_master().unwrap();
        assert_ne!(first, second);
        assert_eq!(ring.active_master().unwrap().0, second);
        assert_eq!(*ring.master(&first).unwrap(), *first_key);
        assert!(matches!(
            ring.remove_master(&second).unwrap_err(),
            KeyRingError::RetireActive { .. }
        ));
        ring.remove_master(&first).unwrap();
        assert!(ring.master(&first).is_err());
    }

    #[test]
    fn a_signing_rotation_keeps_the_old_key_published_until_retired() {
        let dir = tempfile::tempdir().unwrap();
        KeyRing::init(dir.path()).unwrap();
        let server = KeyRing::load(dir.path(), true).unwrap();
        let operator = KeyRing::load(dir.path(), true).unwrap();
        let old = server.signer().unwrap().id().to_owned();
        let new = operator.add_signing().unwrap();
        assert_eq!(server.signer().unwrap().id(), new);
        let kids = |ring: &KeyRing| -> Vec<String> {
            ring.public_keys()
                .unwrap()
                .keys
                .into_iter()
                .filter_map(|k| k.common.key_id)
                .collect()
        };
        assert!(kids(&server).contains(&old) && kids(&server).contains(&new));
        assert!(matches!(
            operator.remove_signing(&new).unwrap_err(),
            KeyRingError::RetireActive { .. }
        ));
        operator.remove_signing(&old).unwrap();
        assert_eq!(kids(&server), vec![new]);
    }

    #[test]
    fn another_process_sees_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        KeyRing::init(dir.path()).unwrap();
        let server = KeyRing::load(dir.path(), true).unwrap();
        let operator = KeyRing::load(dir.path(), true).unwrap();
        let new = operator.add_master().unwrap();
        assert!(server.master(&new).is_ok());
        assert_eq!(server.active_master().unwrap().0, new);
    }
}
