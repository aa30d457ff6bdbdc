//! The on-disk form of a key ring: `keyring.toml` names the active master key and the
//! blind-index key; each `<id>.key` holds base64 of 32 bytes. Production refuses the shipped
//! development keys (by id and by content) and key files that other users can read.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::keyring::KeyRingError;
use super::signing::{SigningKey, new_scalar};
use super::{BlindIndexKey, random_bytes};
pub(super) const MANIFEST: &str = "keyring.toml";

/// The keys shipped in `keys-dev/`: the production profile refuses them even when renamed.
pub(super) const DEV_KEYS: [&str; 3] = [
    include_str!("../../keys-dev/dev-master-1.key"),
    include_str!("../../keys-dev/dev-index-1.key"),
    include_str!("../../keys-dev/dev-signing-1.key"),
];

#[derive(Serialize, Deserialize)]
pub(super) struct Manifest {
    pub active_master: String,
    pub blind_index: String,
    /// The signing key that signs now.
    pub active_signing: String,
    /// Earlier signing keys, still published so that what they signed can be checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub published_signing: Vec<String>,
}

pub(super) struct Loaded {
    pub masters: BTreeMap<String, Zeroizing<[u8; 32]>>,
    pub active: String,
    pub blind_index: Arc<BlindIndexKey>,
    pub blind_index_id: String,
    /// Every published signing key, the active one included.
    pub signing: BTreeMap<String, Arc<SigningKey>>,
    pub active_signing: String,
    /// The manifest as read, to notice a rotation by another process.
    pub manifest_text: String,
}

/// The manifest's text, if it can be read (a few hundred bytes: cheap to compare).
pub(super) fn manifest_text(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(MANIFEST)).ok()
}

pub(super) fn load_dir(dir: &Path, production: bool) -> Result<Loaded, KeyRingError> {
    let manifest_path = dir.join(MANIFEST);
    let text = fs::read_to_string(&manifest_path).map_err(|source| KeyRingError::Io {
        path: manifest_path.clone(),
        source,
    })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| KeyRingError::Manifest {
        path: manifest_path.clone(),
        reason: e.message().to_owned(),
    })?;
    let mut keys = read_keys(dir, production)?;
    let missing = |id: &str| KeyRingError::Missing {
        dir: dir.to_owned(),
        id: id.to_owned(),
    };
    let index = keys
        .remove(&manifest.blind_index)
        .ok_or_else(|| missing(&manifest.blind_index))?;
    let mut signing = BTreeMap::new();
    for id in std::iter::once(&manifest.active_signing).chain(&manifest.published_signing) {
        let scalar = keys.remove(id).ok_or_else(|| missing(id))?;
        let key = SigningKey::from_scalar(id, &scalar).ok_or_else(|| KeyRingError::Malformed {
            path: dir.join(format!("{id}.key")),
        })?;
        signing.insert(id.clone(), Arc::new(key));
    }
    if !keys.contains_key(&manifest.active_master) {
        return Err(missing(&manifest.active_master));
    }
    Ok(Loaded {
        masters: keys,
        active: manifest.active_master,
        blind_index: Arc::new(BlindIndexKey::new(index)),
        blind_index_id: manifest.blind_index,
        signing,
        active_signing: manifest.active_signing,
        manifest_text: text,
    })
}

/// Every `<id>.key` file in `dir`, by id; in production, a dev key is refused.
fn read_keys(
    dir: &Path,
    production: bool,
) -> Result<BTreeMap<String, Zeroizing<[u8; 32]>>, KeyRingError> {
    let io = |source| KeyRingError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut keys = BTreeMap::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
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
    Ok(keys)
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

pub(super) fn is_dev_key(key: &[u8; 32]) -> bool {
    DEV_KEYS.iter().any(|dev| {
        STANDARD
            .decode(dev.trim())
            .is_ok_and(|d| d.as_slice() == key.as_slice())
    })
}

pub(super) fn check_id(id: &str) -> Result<(), KeyRingError> {
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

/// `<purpose>-<UTC time>-<random>`: sortable, and unique even for two keys made in the same
/// millisecond.
pub(super) fn new_key_id(purpose: &str) -> Result<String, KeyRingError> {
    let suffix: [u8; 3] = random_bytes().map_err(|_| KeyRingError::Random)?;
    Ok(format!(
        "{purpose}-{}-{}",
        crate::clock::Clock::system().now().format("%Y%m%d-%H%M%S"),
        hex::encode(suffix)
    ))
}

pub(super) fn write_new_key(dir: &Path, id: &str) -> Result<(), KeyRingError> {
    let key: Zeroizing<[u8; 32]> =
        Zeroizing::new(random_bytes().map_err(|_| KeyRingError::Random)?);
    write_key(dir, id, &key)
}

/// Writes a new signing key (a valid P-256 scalar) as `<id>.key`.
pub(super) fn write_new_signing_key(dir: &Path, id: &str) -> Result<(), KeyRingError> {
    let key = new_scalar().map_err(|_| KeyRingError::Random)?;
    write_key(dir, id, &key)
}

fn write_key(dir: &Path, id: &str, key: &Zeroizing<[u8; 32]>) -> Result<(), KeyRingError> {
    use std::io::Write;
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
pub(super) fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), KeyRingError> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let body = toml::to_string(manifest).map_err(|e| KeyRingError::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let text = format!(
        "# Which keys of this directory are in use; `kho keys rotate` rewrites this file.\n{body}"
    );
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| KeyRingError::Io { path, source }
    };
    {
        use std::io::Write;
        let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(text.as_bytes()).map_err(io(&tmp))?;
        // On disk before the rename, so a crash cannot leave an empty manifest behind.
        file.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, &path).map_err(io(&path))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

#[cfg(unix)]
pub(super) fn owner_only_options() -> fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
pub(super) fn owner_only_options() -> fs::OpenOptions {
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

pub(super) fn has_manifest(dir: &Path) -> bool {
    dir.join(MANIFEST).exists()
}

/// Creates `dir` (and parents) readable by its owner only.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), KeyRingError> {
    let io = |source| KeyRingError::Io {
        path: dir.to_owned(),
        source,
    };
    fs::create_dir_all(dir).map_err(io)?;
    restrict(dir, 0o700).map_err(io)
}

pub(super) fn remove_key(dir: &Path, id: &str) -> Result<(), KeyRingError> {
    let path = dir.join(format!("{id}.key"));
    fs::remove_file(&path).map_err(|source| KeyRingError::Io { path, source })
}
