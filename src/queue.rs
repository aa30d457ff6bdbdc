//! Costly work anyone can ask for — an Argon2 check of a client secret, decoding a photo of a
//! seal — runs a few at a time, and only a bounded number of requests wait for it: past that they
//! are turned away at once, so that a flood costs memory and time for its answers only.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Too many are waiting: come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A few slots, and a bounded queue in front of them.
#[derive(Debug)]
pub struct BoundedQueue {
    slots: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Counts one waiter for as long as it waits.
struct Waiter<'a>(&'a AtomicUsize);

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BoundedQueue {
    pub const fn new(slots: usize, max_waiting: usize) -> Self {
        Self {
            slots: Semaphore::const_new(slots),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A slot, once one is free; [`Busy`] at once when `max_waiting` others already wait.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, Busy> {
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiter = Waiter(&self.waiting);
        if before >= self.max_waiting {
            return Err(Busy);
        }
        self.slots.acquire().await.map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn past_the_waiting_limit_a_request_is_turned_away_at_once() {
        let queue = Arc::new(BoundedQueue::new(1, 1));
        let held = queue.enter().await.unwrap();
        let waiting = tokio::spawn({
            let queue = queue.clone();
            async move { queue.enter().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        assert_eq!(queue.enter().await.err(), Some(Busy), "one already waits");
        assert!(started.elapsed() < Duration::from_millis(50));
        drop(held);
        assert_eq!(waiting.await.unwrap(), Ok(()), "the waiter gets the slot");
        assert!(queue.enter().await.is_ok(), "and the queue empties");
    }
}
