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
/// The most addresses tracked at once: beyond it (a flood from very many addresses) a new
/// address waits for the windows to end rather than grow the map without bound.
const MAX_ADDRESSES: usize = 200_000;

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
        let address = network_of(address);
        if windows.len() >= MAX_ADDRESSES && !windows.contains_key(&address) {
            return Err(WINDOW.as_secs());
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

/// What one client is: an IPv4 address, or an IPv6 /64 (one host's usual allocation, so a
/// client cannot take a fresh address per request).
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
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

    #[test]
    fn addresses_of_one_ipv6_64_share_a_limit() {
        let limit = RateLimit::default();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let a2: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limit.check(a, 1).is_ok());
        assert!(limit.check(a2, 1).is_err());
        assert!(limit.check(other, 1).is_ok());
    }
}
