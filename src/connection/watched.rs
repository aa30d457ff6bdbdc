//! A TCP connection whose flushes are counted and whose socket outlives it while an
//! [`Ending`](super::Ending) waits: the second descriptor is taken at the first flush after an
//! ending starts (or when the connection is dropped), and a shutdown asked for meanwhile is
//! left to the last descriptor's close.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::Delivery;

pub struct Watched {
    io: TcpStream,
    delivery: Delivery,
}

impl Watched {
    pub fn new(io: TcpStream) -> Self {
        Self {
            io,
            delivery: Delivery::default(),
        }
    }

    /// The watch the requests of this connection share.
    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// Keeps the socket (a second descriptor) when an ending waits; whether one does.
    fn keep_if_waiting(&self) -> bool {
        let shared = &self.delivery.0;
        if shared.waiting.load(Ordering::Acquire) == 0 {
            return false;
        }
        let mut state = shared.state();
        if shared.waiting.load(Ordering::Acquire) == 0 {
            return false;
        }
        if state.socket.is_none() {
            match keep(&self.io) {
                Ok(kept) => state.socket = Some(kept),
                Err(e) => tracing::warn!(error = %e, "could not keep a connection's socket"),
            }
        }
        true
    }
}

/// A second descriptor of `io`'s socket, and the socket's inode, which names it in the
/// kernel's table.
fn keep(io: &TcpStream) -> io::Result<(OwnedFd, u64)> {
    use std::os::unix::fs::MetadataExt;
    let socket = io.as_fd().try_clone_to_owned()?;
    let file = std::fs::File::from(socket);
    let inode = file.metadata()?.ino();
    Ok((OwnedFd::from(file), inode))
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.keep_if_waiting();
        self.delivery.0.state().closed = true;
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.io).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            // Kept before the count moves, so an ending that sees the flush finds the socket.
            this.keep_if_waiting();
            this.delivery.0.flushes.fetch_add(1, Ordering::AcqRel);
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.keep_if_waiting() {
            // The FIN goes out when the kept descriptor closes, once the ending knows.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
