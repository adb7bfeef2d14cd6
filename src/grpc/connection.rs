//! One accepted connection, bounded in time: it must send its first bytes
//! (the HTTP/2 preface, or a TLS ClientHello) within the handshake timeout,
//! and it is closed once no call has been in flight on it for the idle
//! timeout. It holds its slot under the connection limit until it closes.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};
use tonic::transport::server::Connected;

/// The length of the HTTP/2 client preface, the least a client sends first.
const PREFACE: usize = 24;

/// The calls in flight on one connection, and since when there have been
/// none.
#[derive(Debug)]
pub struct Calls {
    /// Calls in flight, and when the count last fell to zero.
    state: Mutex<(usize, Instant)>,
}

impl Calls {
    fn new() -> Self {
        Self {
            state: Mutex::new((0, Instant::now())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, Instant)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a call in flight until the returned guard is dropped.
    pub fn start(self: &Arc<Self>) -> CallGuard {
        self.lock().0 += 1;
        CallGuard(Arc::clone(self))
    }

    /// Since when no call has been in flight; `None` while one is.
    fn idle_since(&self) -> Option<Instant> {
        let (in_flight, since) = *self.lock();
        (in_flight == 0).then_some(since)
    }
}

/// A call in flight; it ends when dropped.
#[derive(Debug)]
pub struct CallGuard(Arc<Calls>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.0 -= 1;
        if state.0 == 0 {
            state.1 = Instant::now();
        }
    }
}

/// What every request on a connection carries in its extensions: the
/// addresses, and the connection's calls in flight.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The client's address.
    pub remote_addr: Option<SocketAddr>,
    /// The server's address.
    pub local_addr: Option<SocketAddr>,
    /// The connection's calls.
    pub calls: Arc<Calls>,
}

/// How long a connection may take to start, and stay without calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// Until the first bytes (the HTTP/2 preface) have arrived.
    pub(crate) handshake: Duration,
    /// Without a call in flight; never closed for idleness when `None`.
    pub(crate) idle: Option<Duration>,
}

/// An accepted TCP connection under [`Timeouts`].
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    /// Bytes still expected before the handshake timeout stops applying,
    /// and when it expires.
    handshake: Option<(usize, Pin<Box<Sleep>>)>,
    /// The idle timeout and the timer of its next check.
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    calls: Arc<Calls>,
    remote_addr: Option<SocketAddr>,
}

impl Connection {
    /// `stream`, holding `slot` until it closes.
    pub(crate) fn new(stream: TcpStream, slot: OwnedSemaphorePermit, timeouts: Timeouts) -> Self {
        let now = Instant::now();
        Self {
            remote_addr: stream.peer_addr().ok(),
            stream,
            _slot: slot,
            handshake: Some((
                PREFACE,
                Box::pin(tokio::time::sleep_until(now + timeouts.handshake)),
            )),
            idle: timeouts
                .idle
                .map(|idle| (idle, Box::pin(tokio::time::sleep_until(now + idle)))),
            calls: Arc::new(Calls::new()),
        }
    }

    /// Whether Nagle's algorithm is off, as it must be.
    #[cfg(test)]
    pub(crate) fn nodelay(&self) -> io::Result<bool> {
        self.stream.nodelay()
    }

    /// Whether the connection has had no call in flight for the idle
    /// timeout; arranges to be woken for the next check otherwise.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some((after, timer)) = &mut self.idle else {
            return false;
        };
        while timer.as_mut().poll(cx).is_ready() {
            match self.calls.idle_since() {
                Some(since) if since + *after <= Instant::now() => return true,
                Some(since) => timer.as_mut().reset(since + *after),
                None => timer.as_mut().reset(Instant::now() + *after),
            }
        }
        false
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some((_, timer)) = &mut this.handshake {
            if timer.as_mut().poll(cx).is_ready() {
                super::accept::shed(this.remote_addr, "sent no HTTP/2 preface in time");
                let message = "no HTTP/2 preface within the handshake timeout";
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, message)));
            }
        }
        if this.idle_expired(cx) {
            tracing::debug!(peer = ?this.remote_addr, "closing an idle connection");
            // End of stream: the connection closes as if the client had.
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some((expected, _))) = (&read, &mut this.handshake) {
            *expected = expected.saturating_sub(buf.filled().len() - before);
            if *expected == 0 {
                this.handshake = None;
            }
        }
        read
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

impl Connected for Connection {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        ConnectionInfo {
            remote_addr: self.remote_addr,
            local_addr: self.stream.local_addr().ok(),
            calls: Arc::clone(&self.calls),
        }
    }
}
