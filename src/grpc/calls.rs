//! Counting each connection's calls in flight, for its idle timeout: a call
//! starts when its request arrives and ends when its response body is done
//! (for a stream, when the stream ends).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};
use tonic::codegen::http::{Request, Response};
use tonic::transport::server::TlsConnectInfo;
use tower::{Layer, Service};

use super::connection::{CallGuard, ConnectionInfo};

/// The layer that counts calls on their connection.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CountCalls;

impl<S> Layer<S> for CountCalls {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted { inner }
    }
}

/// A service whose calls count on their connection.
#[derive(Debug, Clone)]
pub(crate) struct Counted<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for Counted<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = Response<CountedBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let extensions = request.extensions();
        let info = extensions.get::<ConnectionInfo>().or_else(|| {
            extensions
                .get::<TlsConnectInfo<ConnectionInfo>>()
                .map(TlsConnectInfo::get_ref)
        });
        let guard = info.map(|info| info.calls.start());
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| CountedBody { body, _call: guard }))
        })
    }
}

/// A response body that ends its call when it is done or dropped.
#[derive(Debug)]
pub(crate) struct CountedBody<B> {
    body: B,
    _call: Option<CallGuard>,
}

impl<B> CountedBody<B> {
    /// `body`, ending `call` when done: for servers other than tonic's (the
    /// HTTP/JSON API) that count calls on the same connections.
    pub(crate) fn new(body: B, call: CallGuard) -> Self {
        Self {
            body,
            _call: Some(call),
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
