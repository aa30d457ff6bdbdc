//! Client secrets: 256 random bits, shown once, stored as an Argon2id hash. Verification runs on
//! the blocking pool, and an unknown client is checked against a dummy hash, so "no such client"
//! and "wrong secret" take the same time and get the same answer.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::crypto::{IntegrityError, random_token};
use crate::queue::BoundedQueue;
pub use crate::queue::Busy;

/// Argon2 verifications: one per core at a time, at most 32 waiting.
static SLOTS: LazyLock<BoundedQueue> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    BoundedQueue::new(cores, 32)
});

/// A hash of a random value nobody knows, made once per process.
static DUMMY: LazyLock<Option<String>> =
    LazyLock::new(|| random_token().ok().and_then(|t| hash(&t).ok()));

/// Makes the dummy hash now (on the blocking pool), so the first unknown client is not answered
/// faster or slower than the rest.
pub async fn prepare() {
    let _ = tokio::task::spawn_blocking(|| LazyLock::force(&DUMMY).is_some()).await;
}

/// A new secret (URL-safe base64 of 32 random bytes) and its hash.
pub fn generate() -> Result<(String, String), IntegrityError> {
    let secret = random_token()?;
    let hashed = hash(&secret)?;
    Ok((secret, hashed))
}

fn hash(secret: &str) -> Result<String, IntegrityError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| IntegrityError)
}

/// Whether `secret` matches `stored`; with no stored hash, the dummy is checked and the answer
/// is no. Never runs on the async threads. [`Busy`] when too many checks already wait.
pub async fn verify(secret: String, stored: Option<String>) -> Result<bool, Busy> {
    // One Argon2 run per core at a time: a flood of guesses queues here instead of filling the
    // blocking pool (which also serves file reads for document downloads) with 19 MiB runs —
    // and a bounded queue: past it, a guess costs nothing but its answer.
    let _slot = SLOTS.enter().await?;
    let known = stored.is_some();
    let work = tokio::task::spawn_blocking(move || {
        let Some(hash) = stored.or_else(|| DUMMY.clone()) else {
            return false;
        };
        Argon2::default()
            .verify_password(secret.as_bytes(), hash.as_str())
            .is_ok()
    });
    Ok(work.await.unwrap_or(false) && known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_secret_verifies_and_nothing_else_does() {
        let (secret, hashed) = generate().unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(!hashed.contains(&secret));
        assert_eq!(verify(secret.clone(), Some(hashed.clone())).await, Ok(true));
        assert_eq!(verify(format!("{secret}x"), Some(hashed)).await, Ok(false));
        assert_eq!(verify(secret, None).await, Ok(false));
    }
}
