//! Accepting connections ourselves, so each is bounded before tonic sees
//! it: at most `max_connections` open at once (one more is closed at once
//! and logged), each under the handshake and idle timeouts of
//! [`Connection`]; and so the listening socket can be closed the moment a
//! drain starts.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

use super::connection::{Connection, Timeouts};
use crate::telemetry::Throttle;

/// The connections accepted, for tonic to serve.
pub(crate) type Incoming = ReceiverStream<io::Result<Connection>>;

/// The accepting task; [`Acceptor::stop`] closes the listening socket.
#[derive(Debug)]
pub(crate) struct Acceptor {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// Keeps the incoming stream open after the task ends: tonic starts its
    /// own graceful shutdown the moment the stream ends.
    open: mpsc::Sender<io::Result<Connection>>,
}

/// Keeps tonic's incoming stream open until dropped.
#[derive(Debug)]
pub(crate) struct StillOpen(#[allow(dead_code)] mpsc::Sender<io::Result<Connection>>);

impl Acceptor {
    /// Stops accepting; the listening socket is closed when this returns,
    /// so new clients are refused at once. Connections already accepted
    /// carry on.
    pub(crate) async fn stop(self) -> StillOpen {
        let _ = self.stop.send(());
        let _ = self.task.await;
        StillOpen(self.open)
    }
}

/// Accepts connections on `listener`, at most `max_connections` open at
/// once, each under `timeouts`.
pub(crate) fn accept(
    listener: TcpListener,
    max_connections: usize,
    timeouts: Timeouts,
) -> (Incoming, Acceptor) {
    let (tx, rx) = mpsc::channel(64);
    let (stop, stopped) = oneshot::channel();
    let open = tx.clone();
    let task = tokio::spawn(run(listener, max_connections, timeouts, tx, stopped));
    (ReceiverStream::new(rx), Acceptor { stop, task, open })
}

async fn run(
    listener: TcpListener,
    max_connections: usize,
    timeouts: Timeouts,
    tx: mpsc::Sender<io::Result<Connection>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    // Dropping the stream closes it: the client sees it closed
                    // at once rather than waiting in the backlog.
                    shed(Some(peer), "is over the connection limit");
                    continue;
                };
                // A small answer must not wait for the client's delayed ACK.
                let _ = stream.set_nodelay(true);
                let connection = Connection::new(stream, slot, timeouts);
                // tonic takes connections as they come, but not once it
                // drains: a stop must not wait on a full queue.
                let handed = tokio::select! {
                    biased;
                    _ = &mut stopped => return,
                    handed = tx.send(Ok(connection)) => handed,
                };
                if handed.is_err() {
                    return;
                }
            }
            Err(err) => pause_after(&err).await,
        }
    }
}

/// Backs off after an error accepting: out of file descriptors, accepting
/// again at once would only spin.
async fn pause_after(err: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionReset | Interrupted
    ) {
        return;
    }
    static THROTTLE: OnceLock<Throttle> = OnceLock::new();
    if let Some(left_out) = THROTTLE.get_or_init(Throttle::new).allow("accept") {
        tracing::warn!(error = %err, left_out, "cannot accept connections; retrying in 100 ms");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Logs a connection closed for `why`, at most one line every few seconds
/// per reason, with how many were closed meanwhile.
pub(crate) fn shed(peer: Option<SocketAddr>, why: &'static str) {
    static THROTTLE: OnceLock<Throttle> = OnceLock::new();
    if let Some(left_out) = THROTTLE.get_or_init(Throttle::new).allow(why) {
        let peer = peer.map(|p| p.to_string()).unwrap_or_default();
        tracing::warn!(%peer, left_out, "shedding a connection that {why} (`left_out` more since the last line)");
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn connections_over_the_limit_are_closed_and_the_socket_closes_on_stop() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let timeouts = Timeouts {
            handshake: Duration::from_secs(3600),
            idle: None,
        };
        let (mut incoming, acceptor) = accept(listener, 1, timeouts);
        let _first = tokio::net::TcpStream::connect(address).await.unwrap();
        let accepted = incoming.next().await.unwrap().unwrap();
        assert!(accepted.nodelay().unwrap(), "Nagle's algorithm is on");
        let mut second = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut byte = [0u8; 1];
        let read = tokio::io::AsyncReadExt::read(&mut second, &mut byte).await;
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "the second connection stayed open"
        );
        let _open = acceptor.stop().await;
        assert!(tokio::net::TcpStream::connect(address).await.is_err());
        drop(accepted);
    }
}
