//! Client secrets: 256 random bits, shown once, stored as an Argon2id hash. Verification runs on
//! the blocking pool, and an unknown client is checked against a dummy hash, so "no such client"
//! and "wrong secret" take the same time and get the same answer.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::crypto::{IntegrityError, random_token};

/// How many Argon2 verifications may run at once.
static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

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

/// Verifications that may wait for a slot; one more is turned away at once.
const MAX_WAITING: usize = 32;
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Too many secret checks are waiting: come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Counts a waiting verification for as long as it waits.
struct Waiting;

impl Waiting {
    fn enter() -> Option<Self> {
        let before = WAITING.fetch_add(1, Ordering::SeqCst);
        let entered = Self;
        (before < MAX_WAITING).then_some(entered)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether `secret` matches `stored`; with no stored hash, the dummy is checked and the answer
/// is no. Never runs on the async threads. [`Busy`] when [`MAX_WAITING`] checks already wait.
pub async fn verify(secret: String, stored: Option<String>) -> Result<bool, Busy> {
    // One Argon2 run per core at a time: a flood of guesses queues here instead of filling the
    // blocking pool (which also serves file reads for document downloads) with 19 MiB runs —
    // and a bounded queue: past it, a guess costs nothing but its answer.
    let waiting = Waiting::enter().ok_or(Busy)?;
    let Ok(_slot) = SLOTS.acquire().await else {
        return Ok(false);
    };
    drop(waiting);
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

    /// The tests share the process-wide queue: one at a time.
    static QUEUE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test]
    async fn the_secret_verifies_and_nothing_else_does() {
        let _alone = QUEUE.lock().await;
        let (secret, hashed) = generate().unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(!hashed.contains(&secret));
        assert_eq!(verify(secret.clone(), Some(hashed.clone())).await, Ok(true));
        assert_eq!(verify(format!("{secret}x"), Some(hashed)).await, Ok(false));
        assert_eq!(verify(secret, None).await, Ok(false));
    }

    /// Finding 8 of the review: a flood of guesses waits in a bounded queue, and beyond it is
    /// turned away without an Argon2 run.
    #[tokio::test]
    async fn past_the_waiting_limit_a_check_is_turned_away_at_once() {
        let _alone = QUEUE.lock().await;
        let queue: Vec<Waiting> = (0..MAX_WAITING).map_while(|_| Waiting::enter()).collect();
        assert_eq!(queue.len(), MAX_WAITING);
        let started = std::time::Instant::now();
        assert_eq!(verify("guess".into(), None).await, Err(Busy));
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
        drop(queue);
        assert_eq!(verify("guess".into(), None).await, Ok(false));
    }
}
