//! A per-client rate limit for public endpoints (GCRA, `governor`): a client is an IPv4 address or
//! an IPv6 /64, kept in this process — behind N processes a client gets at most N times the limit.
//! The state of clients not seen for a while is swept as the map grows.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Beyond this many clients, those whose state is back to full are forgotten.
const SWEEP_AT: usize = 10_000;

#[derive(Debug)]
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimit {
    /// `per_minute` requests a minute per client, in a burst or spread out (at least 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let burst = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(burst)),
        }
    }

    /// Counts a request from `address`; `Err(seconds)` to wait when over the limit.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > SWEEP_AT {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&network_of(address))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs().max(1)
            })
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
        let limit = RateLimit::per_minute(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        let wait = limit.check(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limit.check(b).is_ok());
    }

    #[test]
    fn addresses_of_one_ipv6_64_share_a_limit() {
        let limit = RateLimit::per_minute(1);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let a2: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a2).is_err());
        assert!(limit.check(other).is_ok());
    }
}
