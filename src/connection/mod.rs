//! Whether a response reached the other end. TCP tells a server nothing when its bytes arrive:
//! a write returns once the bytes are in the kernel's send buffer, and a client that stops
//! reading and goes away leaves them there. A `once` fetch must count only what the portal
//! received, so each connection is watched ([`Watched`]) and, when a response that matters has
//! been handed over, its [`Ending`] tells whether the peer's TCP acknowledged every byte.
//!
//! How: the connection's writes are counted to the kernel (hyper flushes only what it has
//! buffered, so a flush after the last chunk means the last byte is in the kernel); then the
//! socket's send queue — bytes written and not yet acknowledged by the peer — is read from the
//! kernel's table of TCP sockets until it is empty ([`send_queue`]). Meanwhile the connection's
//! socket is kept open (a second descriptor) and its shutdown deferred, so the socket stays in
//! that table until the answer is known: gone from it means reset or timed out, with bytes
//! unacknowledged. Where the table cannot be read (not Linux), the answer is "unknowable" and
//! the handing over is all there is to go by.

mod send_queue;
mod watched;

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

pub use watched::Watched;

/// What became of a response's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The peer's TCP acknowledged every byte.
    Acknowledged,
    /// The connection was reset or dropped with bytes the peer never acknowledged.
    Lost,
    /// The peer acknowledged nothing more for the whole wait while the connection stays open:
    /// the bytes may still arrive.
    Unacknowledged,
    /// This machine does not say (not Linux, or the socket could not be kept).
    Unknowable,
}

/// One connection's watch, shared by the connection and the requests it carries.
#[derive(Clone, Default)]
pub struct Delivery(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// Flushes of the connection that reached the kernel.
    flushes: AtomicU64,
    /// Endings still waiting for their answer: while any does, the socket is kept and its
    /// shutdown deferred. (Read without the lock on every flush; changed under it.)
    waiting: AtomicUsize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A second descriptor of the socket and its inode, taken when the first ending starts
    /// waiting.
    socket: Option<(OwnedFd, u64)>,
    /// The connection is closed on Kho's side (hyper dropped it).
    closed: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}

impl Delivery {
    /// To call while the last byte of a response is being handed to the connection (before
    /// it is returned to the server): the ending of that response.
    pub fn ending(&self) -> Ending {
        let _state = self.0.state();
        self.0.waiting.fetch_add(1, Ordering::AcqRel);
        Ending {
            shared: self.0.clone(),
            after: self.0.flushes.load(Ordering::Acquire),
        }
    }
}

/// A response whose last byte has been handed over, waiting to know what became of it.
pub struct Ending {
    shared: Arc<Shared>,
    /// Flushes before the last byte was handed over.
    after: u64,
}

/// The first pause between two looks; each is twice the last, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

impl Ending {
    /// Waits at most `within` for the answer.
    pub async fn outcome(self, within: Duration) -> Outcome {
        let deadline = Instant::now() + within;
        let mut pause = FIRST_PAUSE;
        let mut next_pause = || {
            let this = pause;
            pause = (pause * 2).min(LONGEST_PAUSE);
            this
        };
        // The last byte in the kernel: a flush after it, or the connection closed without one.
        while !self.flushed() {
            if self.shared.state().closed && !self.flushed() {
                return Outcome::Lost;
            }
            if Instant::now() >= deadline {
                return self.give_up();
            }
            tokio::time::sleep(next_pause()).await;
        }
        let Some(inode) = self.shared.state().socket.as_ref().map(|(_, inode)| *inode) else {
            return Outcome::Unknowable;
        };
        // Missing from the table twice in a row: a listing taken while sockets come and go can
        // skip a live one once.
        let mut missing = 0;
        loop {
            match send_queue::unacknowledged(inode).await {
                Err(send_queue::Unreadable) => return Outcome::Unknowable,
                Ok(None) if missing > 0 => return Outcome::Lost,
                Ok(None) => missing += 1,
                Ok(Some(0)) => return Outcome::Acknowledged,
                Ok(Some(_)) if Instant::now() >= deadline => return self.give_up(),
                Ok(Some(_)) => missing = 0,
            }
            tokio::time::sleep(next_pause()).await;
        }
    }

    /// A flush of the connection reached the kernel after the last byte was handed over.
    fn flushed(&self) -> bool {
        self.shared.flushes.load(Ordering::Acquire) > self.after
    }

    /// The wait is over with bytes unacknowledged. A connection Kho has closed is reset now, so
    /// that what is still queued is never sent: lost. One still open may yet deliver them.
    fn give_up(&self) -> Outcome {
        let mut state = self.shared.state();
        if !state.closed {
            return Outcome::Unacknowledged;
        }
        let Some((socket, _)) = state.socket.take() else {
            return Outcome::Unacknowledged;
        };
        match socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO)) {
            // Its last descriptor: closing it resets the connection.
            Ok(()) => Outcome::Lost,
            Err(_) => Outcome::Unacknowledged,
        }
    }
}

impl Drop for Ending {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        if self.shared.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last descriptor of a closed connection: closing it sends the deferred FIN.
            state.socket = None;
        }
    }
}

#[cfg(test)]
mod tests;
