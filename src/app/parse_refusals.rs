//! Requests the HTTP library refuses before any handler sees them — a path too long (414), head
//! fields too large (431), a malformed request line, header or `Content-Length` (400) — are
//! answered by hyper itself, with an empty body, and the connection closed. Every refusal of Kho
//! is `application/problem+json`, so each connection's writes are watched for exactly hyper's
//! answer (a status line, then only `connection: close`, `content-length: 0` and `date`, which no
//! response of Kho's own looks like: they all carry content and security headers) and it is sent
//! with a problem body instead.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose writes of hyper's bodyless refusals become problems.
pub struct ProblemIo<IO> {
    io: IO,
    /// A replacement still being written, and how much of it is.
    pending: Option<(Vec<u8>, usize)>,
}

impl<IO> ProblemIo<IO> {
    pub fn new(io: IO) -> Self {
        Self { io, pending: None }
    }

    /// The connection underneath.
    pub fn inner(&self) -> &IO {
        &self.io
    }
}

impl<IO: AsyncWrite + Unpin> ProblemIo<IO> {
    /// Writes what is left of a replacement.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
            if *written == bytes.len() {
                self.pending = None;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` whole when it is hyper's refusal, to write its replacement instead.
    fn take_refusal(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Option<io::Result<usize>> {
        let replaced = replacement(buf)?;
        self.pending = Some((replaced, 0));
        // Started now; `poll_flush` and `poll_shutdown`, which hyper calls next, finish it.
        match self.poll_pending(cx) {
            Poll::Ready(Err(e)) => Some(Err(e)),
            _ => Some(Ok(buf.len())),
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for ProblemIo<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for ProblemIo<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(taken) = this.take_refusal(cx, buf) {
            return Poll::Ready(taken);
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && let Some(taken) = this.take_refusal(cx, first)
        {
            return Poll::Ready(taken);
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The problem to send instead of `written`, when `written` is exactly one of hyper's bodyless
/// refusals.
fn replacement(written: &[u8]) -> Option<Vec<u8>> {
    // Cheap refusals first: every response of Kho's own is longer or starts otherwise.
    if written.len() > 200 || !written.starts_with(b"HTTP/1.") {
        return None;
    }
    let text = std::str::from_utf8(written).ok()?;
    let (status_line, headers) = text.split_once("\r\n")?;
    let mut lines = headers.strip_suffix("\r\n\r\n")?.split("\r\n");
    let shape = (lines.next(), lines.next(), lines.next(), lines.next());
    let (Some("connection: close"), Some("content-length: 0"), Some(date), None) = shape else {
        return None;
    };
    if !date.starts_with("date: ") {
        return None;
    }
    let code = status_line.split(' ').nth(1)?;
    let (slug, title, detail) = match code {
        "400" => (
            "bad-request",
            "Bad Request",
            "the request line, a header or its Content-Length is malformed",
        ),
        "414" => (
            "uri-too-long",
            "URI Too Long",
            "the path and query are too long",
        ),
        "431" => (
            "headers-too-large",
            "Request Header Fields Too Large",
            "the request's header fields are too large",
        ),
        _ => return None,
    };
    let body = serde_json::json!({
        "type": format!("{}{slug}", crate::error::PROBLEM_TYPE_PREFIX),
        "title": title,
        "status": code.parse::<u16>().ok()?,
        "detail": detail,
    })
    .to_string();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\
             connection: close\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\
             {date}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSAL: &[u8] = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 07:19:59 GMT\r\n\r\n";

    #[test]
    fn hypers_refusal_becomes_a_problem() {
        let replaced = String::from_utf8(replacement(REFUSAL).unwrap()).unwrap();
        let (head, body) = replaced.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("date: Wed, 02 Dec 2026 07:19:59 GMT"));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["type"], "urn:kho:problem:uri-too-long");
        assert_eq!(problem["status"], 414);
    }

    #[test]
    fn nothing_else_is_touched() {
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 2\r\n\r\n{}";
        assert!(replacement(ours).is_none());
        let other_status = String::from_utf8_lossy(REFUSAL).replace("414 URI Too Long", "200 OK");
        assert!(replacement(other_status.as_bytes()).is_none());
        let extra_header = String::from_utf8_lossy(REFUSAL).replace("date:", "x: y\r\ndate:");
        assert!(replacement(extra_header.as_bytes()).is_none());
        assert!(replacement(&REFUSAL[..REFUSAL.len() - 2]).is_none());
        assert!(replacement(b"%PDF-1.7").is_none());
    }
}
