//! The key ring: master keys (KEKs) and the blind-index key, read from a key directory.
//!
//! `keyring.toml` names the active master key and the blind-index key; each `<id>.key` holds
//! base64 of 32 bytes. Running servers re-read the directory when the manifest changes or when
//! they meet a key id they do not know, so `kho keys rotate` works while they serve.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{BlindIndexKey, random_bytes};

const MANIFEST: &str = "keyring.toml";

/// The keys shipped in `keys-dev/`: the production profile refuses them even when renamed.
const DEV_KEYS: [&str; 2] = [
    include_str!("../../keys-dev/dev-master-1.key"),
    include_str!("../../keys-dev/dev-index-1.key"),
];

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
    #[error("{dir} already holds a key ring")]
    AlreadyInitialised { dir: PathBuf },
    #[error("the system random source failed")]
    Random,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    active_master: String,
    blind_index: String,
}

/// One key of the ring as `kho keys status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    pub id: String,
    pub purpose: &'static str,
    pub active: bool,
}

struct Loaded {
    masters: BTreeMap<String, Zeroizing<[u8; 32]>>,
    active: String,
    blind_index: Arc<BlindIndexKey>,
    blind_index_id: String,
    manifest_modified: Option<SystemTime>,
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
        let io = |source| KeyRingError::Io {
            path: dir.to_owned(),
            source,
        };
        if dir.join(MANIFEST).exists() {
            return Err(KeyRingError::AlreadyInitialised {
                dir: dir.to_owned(),
            });
        }
        fs::create_dir_all(dir).map_err(io)?;
        restrict(dir, 0o700).map_err(io)?;
        let master = new_key_id("master");
        let index = new_key_id("index");
        write_new_key(dir, &master)?;
        write_new_key(dir, &index)?;
        write_manifest(
            dir,
            &Manifest {
                active_master: master,
                blind_index: index,
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
        masters.chain(std::iter::once(index)).collect()
    }

    /// Adds a new master key and makes it the active one; returns its id.
    pub fn add_master(&self) -> Result<String, KeyRingError> {
        let loaded = self.snapshot();
        let id = new_key_id("master");
        write_new_key(&self.dir, &id)?;
        write_manifest(
            &self.dir,
            &Manifest {
                active_master: id.clone(),
                blind_index: loaded.blind_index_id.clone(),
            },
        )?;
        self.reload()?;
        Ok(id)
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
        let path = self.dir.join(format!("{id}.key"));
        fs::remove_file(&path).map_err(|source| KeyRingError::Io { path, source })?;
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
        if manifest_modified(&self.dir) != self.snapshot().manifest_modified {
            self.reload()?;
        }
        Ok(())
    }
}

fn manifest_modified(dir: &Path) -> Option<SystemTime> {
    fs::metadata(dir.join(MANIFEST))
        .and_then(|m| m.modified())
        .ok()
}

fn load_dir(dir: &Path, production: bool) -> Result<Loaded, KeyRingError> {
    let manifest_path = dir.join(MANIFEST);
    let manifest_modified = manifest_modified(dir);
    let text = fs::read_to_string(&manifest_path).map_err(|source| KeyRingError::Io {
        path: manifest_path.clone(),
        source,
    })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| KeyRingError::Manifest {
        path: manifest_path.clone(),
        reason: e.message().to_owned(),
    })?;
    let mut keys = BTreeMap::new();
    let entries = fs::read_dir(dir).map_err(|source| KeyRingError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| KeyRingError::Io {
                path: dir.to_owned(),
                source,
            })?
            .path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".key"))
        else {
            continue;
        };
        let id = id.to_owned();
        check_id(&id)?;
        let key = read_key(&path, production)?;
        if production && (id.starts_with("dev-") || is_dev_key(&key)) {
            return Err(KeyRingError::DevKeyInProduction { id });
        }
        keys.insert(id, key);
    }
    let missing = |id: &str| KeyRingError::Missing {
        dir: dir.to_owned(),
        id: id.to_owned(),
    };
    let index = keys
        .remove(&manifest.blind_index)
        .ok_or_else(|| missing(&manifest.blind_index))?;
    if !keys.contains_key(&manifest.active_master) {
        return Err(missing(&manifest.active_master));
    }
    Ok(Loaded {
        masters: keys,
        active: manifest.active_master,
        blind_index: Arc::new(BlindIndexKey::new(index)),
        blind_index_id: manifest.blind_index,
        manifest_modified,
    })
}

fn read_key(path: &Path, production: bool) -> Result<Zeroizing<[u8; 32]>, KeyRingError> {
    let io = |source| KeyRingError::Io {
        path: path.to_owned(),
        source,
    };
    if production && readable_by_others(path).map_err(io)? {
        return Err(KeyRingError::ReadableByOthers {
            path: path.to_owned(),
        });
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
    let bytes =
        Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| KeyRingError::Malformed {
                    path: path.to_owned(),
                })?,
        );
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyRingError::Malformed {
            path: path.to_owned(),
        })?;
    Ok(Zeroizing::new(key))
}

fn is_dev_key(key: &[u8; 32]) -> bool {
    DEV_KEYS.iter().any(|dev| {
        STANDARD
            .decode(dev.trim())
            .is_ok_and(|d| d.as_slice() == key.as_slice())
    })
}

fn check_id(id: &str) -> Result<(), KeyRingError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(KeyRingError::BadId { id: id.to_owned() })
    }
}

fn new_key_id(purpose: &str) -> String {
    format!(
        "{purpose}-{}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f")
    )
}

fn write_new_key(dir: &Path, id: &str) -> Result<(), KeyRingError> {
    use std::io::Write;
    let key: Zeroizing<[u8; 32]> =
        Zeroizing::new(random_bytes().map_err(|_| KeyRingError::Random)?);
    let text = Zeroizing::new(format!("{}\n", STANDARD.encode(key.as_slice())));
    let path = dir.join(format!("{id}.key"));
    let io = |source| KeyRingError::Io {
        path: path.clone(),
        source,
    };
    let mut file = owner_only_options().open(&path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Replaces the manifest atomically (write a temporary file, then rename over it).
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), KeyRingError> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let body = toml::to_string(manifest).map_err(|e| KeyRingError::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let text = format!(
        "# Which keys of this directory are in use; `kho keys rotate` rewrites this file.\n{body}"
    );
    fs::write(&tmp, text).map_err(|source| KeyRingError::Io {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, &path).map_err(|source| KeyRingError::Io { path, source })
}

#[cfg(unix)]
fn owner_only_options() -> fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn owner_only_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::metadata(path)?.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(unix)]
fn restrict(dir: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_dir: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        std::thread::sleep(std::time::Duration::from_millis(5));
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
    fn another_process_sees_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        KeyRing::init(dir.path()).unwrap();
        let server = KeyRing::load(dir.path(), true).unwrap();
        let operator = KeyRing::load(dir.path(), true).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let new = operator.add_master().unwrap();
        assert!(server.master(&new).is_ok());
        assert_eq!(server.active_master().unwrap().0, new);
    }
}
