//! A per-address rate limit for public endpoints: a fixed one-minute window per client address,
//! kept in this process (safe per node: behind N nodes, an address gets at most N times the
//! limit). Old windows are forgotten as the map is used.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many addresses, windows that ended are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Default)]
pub struct RateLimit {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimit {
    /// Counts a request from `address`; `Err(seconds)` to wait when over `per_minute`.
    pub fn check(&self, address: IpAddr, per_minute: u32) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(address).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_limit_waits_and_others_do_not() {
        let limit = RateLimit::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limit.check(a, 2).is_ok());
        assert!(limit.check(a, 2).is_ok());
        assert!(limit.check(a, 2).is_err());
        assert!(limit.check(b, 2).is_ok());
    }
}
