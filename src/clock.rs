//! The one source of "now". Production reads the system clock; tests hold an adjustable clock
//! and move it forward instead of sleeping (expiries, the CIBA interval, session limits).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// What time it is, for every part of Kho. Cheap to clone; clones share one offset.
#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: the system clock plus an offset in microseconds that
    /// [`Clock::advance`] moves (time keeps flowing, so ordering by time still works).
    offset_micros: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that runs with the system clock but can be moved forward: for tests.
    pub fn adjustable() -> Self {
        Self {
            offset_micros: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Now, in UTC.
    #[allow(clippy::disallowed_methods)] // the one place that reads the system clock
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match &self.offset_micros {
            None => now,
            Some(offset) => now + Duration::microseconds(offset.load(Ordering::SeqCst)),
        }
    }

    /// Moves an adjustable clock forward by `by`; the system clock cannot be moved, and
    /// ignores it (logged, since it means a test set itself up wrong).
    pub fn advance(&self, by: Duration) {
        match &self.offset_micros {
            Some(offset) => {
                let micros = by.num_microseconds().unwrap_or(i64::MAX);
                offset.fetch_add(micros, Ordering::SeqCst);
            }
            None => tracing::warn!("the system clock cannot be moved"),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.offset_micros {
            None => f.write_str("Clock::system"),
            Some(offset) => write!(f, "Clock::adjustable(+{}µs)", offset.load(Ordering::SeqCst)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_and_its_clones_follow() {
        let clock = Clock::adjustable();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(Duration::hours(2));
        assert!(copy.now() - before >= Duration::hours(2));
        assert!(copy.now() - before < Duration::hours(2) + Duration::minutes(1));
    }

    #[test]
    fn the_system_clock_ignores_advance() {
        let clock = Clock::system();
        let before = clock.now();
        clock.advance(Duration::days(1));
        assert!(clock.now() - before < Duration::hours(1));
    }
}
