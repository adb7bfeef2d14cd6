//! Counting calls: server-wide, against `max_calls` (see `open_calls`), and
//! on each connection, for its idle timeout: a call
//! starts when its request arrives and ends when its response body is done
//! (for a stream, when the stream ends). A request must keep arriving until
//! it is answered: a request body that stalls for the idle timeout before
//! the response starts (a unary call's whole body), or before its first
//! message (a stream's), fails the call, so a client cannot hold a
//! connection and its slot under the connection limit by never finishing a
//! request. A stream that has begun may then idle between messages (it is
//! the client's), but never in the middle of one, where the server holds
//! what has arrived.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};
use tonic::codegen::http::header::CONTENT_TYPE;
use tonic::codegen::http::{Request, Response};
use tonic::transport::server::TlsConnectInfo;
use tower::{Layer, Service};

use super::connection::{CallGuard, ConnectionInfo};
use super::framing::{Framing, Position};
use super::open_calls::{OpenCall, OpenCalls};

/// The layer that counts calls on their connection and server-wide, and
/// bounds how long a request body may stall (never, when `None`).
#[derive(Debug, Clone)]
pub(crate) struct CountCalls {
    /// The longest a request body may go without a frame.
    pub(crate) stall: Option<Duration>,
    /// The calls open server-wide, and their bound.
    pub(crate) open: Arc<OpenCalls>,
}

impl<S> Layer<S> for CountCalls {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            stall: self.stall,
            open: Arc::clone(&self.open),
        }
    }
}

/// A service whose calls count on their connection and server-wide.
#[derive(Debug, Clone)]
pub(crate) struct Counted<S> {
    inner: S,
    stall: Option<Duration>,
    open: Arc<OpenCalls>,
}

impl<S, B, R> Service<Request<B>> for Counted<S>
where
    S: Service<Request<Patient<B>>, Response = Response<R>>,
    S::Future: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = Response<CountedBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let open = match self.open.open() {
            Ok(open) => open,
            Err(refused) => {
                let response = refused.into_http::<R>().map(|body| CountedBody {
                    body,
                    _call: None,
                    _open: None,
                });
                return Box::pin(async move { Ok(response) });
            }
        };
        let extensions = request.extensions();
        let info = extensions.get::<ConnectionInfo>().or_else(|| {
            extensions
                .get::<TlsConnectInfo<ConnectionInfo>>()
                .map(TlsConnectInfo::get_ref)
        });
        let guard = info.map(|info| info.calls.start());
        let answered = Arc::new(AtomicBool::new(false));
        let content_type = request.headers().get(CONTENT_TYPE);
        let framing = Framing::of_grpc(content_type.and_then(|t| t.to_str().ok()));
        let patient = |body| Patient::new(body, self.stall, Arc::clone(&answered), framing);
        let response = self.inner.call(request.map(patient));
        Box::pin(async move {
            let response = response.await;
            answered.store(true, Ordering::Relaxed);
            let response = response?;
            Ok(response.map(|body| CountedBody {
                body,
                _call: guard,
                _open: Some(open),
            }))
        })
    }
}

/// A response body that ends its call when it is done or dropped.
#[derive(Debug)]
pub(crate) struct CountedBody<B> {
    body: B,
    _call: Option<CallGuard>,
    _open: Option<OpenCall>,
}

impl<B> CountedBody<B> {
    /// `body`, ending `call` when done: for servers other than tonic's (the
    /// HTTP/JSON API) that count calls on the same connections.
    pub(crate) fn new(body: B, call: CallGuard) -> Self {
        Self {
            body,
            _call: Some(call),
            _open: None,
        }
    }
}

impl<B: Body + Unpin> Body for CountedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body that must arrive within `stall`: until its call is
/// answered and it has carried data, and from the start of each message to
/// its end, however its bytes are spread (one at a time does not extend it).
/// Between whole messages, once answered, it may rest.
#[derive(Debug)]
pub(crate) struct Patient<B> {
    body: B,
    stall: Option<Duration>,
    timer: Option<Pin<Box<Sleep>>>,
    answered: Arc<AtomicBool>,
    carried_data: bool,
    position: Position,
}

impl<B> Patient<B> {
    /// `body`, cut into messages by `framing`, failing once it has been
    /// `stall` in a stretch where `answered` is false, it has carried no
    /// data, or it is inside a message.
    pub(crate) fn new(
        body: B,
        stall: Option<Duration>,
        answered: Arc<AtomicBool>,
        framing: Framing,
    ) -> Self {
        Self {
            body,
            stall,
            timer: None,
            answered,
            carried_data: false,
            position: Position::new(framing),
        }
    }

    /// Whether the request may still stall the call: it has not been
    /// answered, has sent nothing yet, or has stopped inside a message.
    fn bounded(&self) -> bool {
        !(self.carried_data && self.answered.load(Ordering::Relaxed))
            || self.position.inside_message()
    }
}

/// The status a stalled request body ends its call with: the server's
/// time for it ran out (tonic finds a `Status` in a body's error, where any
/// other error would reach the caller as UNKNOWN).
fn stalled(stall: Duration) -> tonic::Status {
    tonic::Status::deadline_exceeded(format!(
        "the request stopped arriving: not whole within {stall:?}, the server's idle timeout"
    ))
}

impl<B> Body for Patient<B>
where
    B: Body + Unpin,
    B::Data: AsRef<[u8]>,
    B::Error: Into<tonic::codegen::StdError>,
{
    type Data = B::Data;
    type Error = tonic::codegen::StdError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            let completed = this.position.completed();
            if let Some(data) = frame.as_ref().and_then(|f| f.as_ref().ok()?.data_ref()) {
                this.carried_data = true;
                this.position.advance(data.as_ref());
            }
            // Only a message read whole, or a rest, ends the time a request
            // or a message has to arrive in: bytes dripped one at a time do
            // not extend it, and a busy stream whose frames straddle its
            // messages starts each message's time afresh.
            if frame.is_none() || !this.bounded() || this.position.completed() > completed {
                this.timer = None;
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let Some(stall) = this.stall.filter(|_| this.bounded()) else {
            return Poll::Pending;
        };
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + stall)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::debug!(?stall, "a request body stalled; failing its call");
                Poll::Ready(Some(Err(Box::new(stalled(stall)))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
