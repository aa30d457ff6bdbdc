//! The listener Kho serves on. Each connection is watched twice: for hyper's own bodyless
//! refusals, answered with a problem instead (`parse_refusals.rs`), and for what becomes of a
//! response's bytes (`crate::connection`), which a `once` fetch waits for.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use super::parse_refusals::ProblemIo;
use crate::connection::{Delivery, Watched};

pub struct KhoListener(TcpListener);

impl KhoListener {
    pub fn new(listener: TcpListener) -> Self {
        Self(listener)
    }
}

impl axum::serve::Listener for KhoListener {
    type Io = ProblemIo<Watched>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (ProblemIo::new(Watched::new(io)), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// The connection a request came on: the TCP peer's address (a proxy, for a request that came
/// through one; see `limits.rs`) and the watch of its deliveries.
#[derive(Debug, Clone)]
pub struct Peer(pub SocketAddr, pub Delivery);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, KhoListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, KhoListener>) -> Self {
        Self(
            *stream.remote_addr(),
            stream.io().inner().delivery().clone(),
        )
    }
}
