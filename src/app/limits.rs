//! Rate limits that hold behind the TLS proxy production requires: the client's address is the
//! TCP peer's, unless the peer is one of `KHO_TRUSTED_PROXIES` — then the nearest address in
//! `X-Forwarded-For` (or `Forwarded: for=`) that is not a trusted proxy. Anyone else's forwarding
//! headers are ignored: a client cannot pick its own bucket. Public verification and seal checks,
//! the OAuth endpoints, and the sign-in routes each have a per-minute limit (per process); over it,
//! 429 with `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::config::Settings;
use crate::error::problem;
use crate::verify::RateLimit;

/// The limits of one process, and whom it trusts to say who the client is.
#[derive(Debug)]
pub struct Limits {
    trusted: Vec<IpNet>,
    pub verify: RateLimit,
    oauth: RateLimit,
    sign_in: RateLimit,
}

impl Limits {
    pub fn new(settings: &Settings) -> Self {
        Self {
            trusted: settings.trusted_proxies(),
            verify: RateLimit::per_minute(settings.verify_per_minute),
            oauth: RateLimit::per_minute(settings.oauth_per_minute),
            sign_in: RateLimit::per_minute(settings.sign_in_per_minute),
        }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the nearest
    /// forwarded address that is not one.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // Nearest first: each proxy appends the address it got the request from.
        forwarded_for(headers)
            .into_iter()
            .rev()
            .find(|a| !self.trusts(*a))
            .unwrap_or(peer)
    }

    /// The 429 to answer when the client behind `peer` is over the verification limit.
    pub fn verify_refusal(&self, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
        let wait = self.verify.check(self.client(peer.ip(), headers)).err()?;
        Some(too_many(wait))
    }
}

/// The addresses of `X-Forwarded-For` and `Forwarded: for=`, in the order the proxies added them
/// (entries that are not addresses, such as `unknown` or obfuscated names, are skipped).
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let mut found = Vec::new();
    for value in headers.get_all(header::FORWARDED) {
        let Ok(value) = value.to_str() else { continue };
        for element in value.split(',') {
            for pair in element.split(';') {
                if let Some((name, node)) = pair.trim().split_once('=')
                    && name.trim().eq_ignore_ascii_case("for")
                {
                    found.extend(node_address(node.trim().trim_matches('"')));
                }
            }
        }
    }
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else { continue };
        found.extend(value.split(',').filter_map(|a| node_address(a.trim())));
    }
    found
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

fn too_many(wait: u64) -> Response {
    let mut response = problem(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        Some("too many requests from this address: wait, then try again".into()),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    response
}

/// Limits the OAuth endpoints and the sign-in routes per client.
pub async fn limit_requests(
    State(limits): State<Arc<Limits>>,
    ConnectInfo(crate::app::Peer(peer, _)): ConnectInfo<crate::app::Peer>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let limit = if path.starts_with("/oauth/") && path != "/oauth/jwks" {
        Some(&limits.oauth)
    } else if path.starts_with("/auth/") || path == "/dev/sign-in" {
        Some(&limits.sign_in)
    } else {
        None
    };
    if let Some(limit) = limit
        && let Err(wait) = limit.check(limits.client(peer.ip(), request.headers()))
    {
        return too_many(wait);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(trusted: &[&str]) -> Limits {
        Limits {
            trusted: trusted.iter().map(|n| n.parse().unwrap()).collect(),
            verify: RateLimit::per_minute(1),
            oauth: RateLimit::per_minute(1),
            sign_in: RateLimit::per_minute(1),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_forwarded_address() {
        let l = limits(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(l.client(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        let h = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(l.client(ip("10.1.2.3"), &h), ip("2001:db8::1"));
        assert_eq!(l.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let l = limits(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "192.0.2.1")]);
        assert_eq!(l.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        let nobody = limits(&[]);
        assert_eq!(nobody.client(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }
}
