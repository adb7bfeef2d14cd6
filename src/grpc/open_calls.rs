//! The gRPC calls open at once, server-wide. Each open call holds memory for
//! as long as it is open (its stream's state and whatever of its request
//! has arrived), and a client can open thousands of streams on each of
//! hundreds of connections while sending next to nothing; so their number
//! is bounded, and a call past the bound is refused at once, before its
//! body is read.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tonic::Status;

use crate::telemetry::Throttle;

/// The count of open calls and its bound.
#[derive(Debug)]
pub(crate) struct OpenCalls {
    open: AtomicUsize,
    limit: usize,
}

impl OpenCalls {
    /// No call open yet; at most `limit` at once.
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicUsize::new(0),
            limit,
        })
    }

    /// Opens a call, until the returned guard is dropped; RESOURCE_EXHAUSTED
    /// (logged, throttled) when `limit` are open already.
    #[allow(clippy::result_large_err)]
    pub(crate) fn open(self: &Arc<Self>) -> Result<OpenCall, Status> {
        if self.open.fetch_add(1, Ordering::AcqRel) < self.limit {
            return Ok(OpenCall(Arc::clone(self)));
        }
        self.open.fetch_sub(1, Ordering::AcqRel);
        static THROTTLE: OnceLock<Throttle> = OnceLock::new();
        if let Some(left_out) = THROTTLE.get_or_init(Throttle::new).allow("calls") {
            tracing::warn!(
                left_out,
                limit = self.limit,
                "refusing a call: the server's open calls are at their limit (`left_out` more since the last line)"
            );
        }
        Err(Status::resource_exhausted(format!(
            "server busy: {} calls open, the server's limit (max_calls); retry with backoff",
            self.limit
        )))
    }
}

/// An open call; it closes when dropped.
#[derive(Debug)]
pub(crate) struct OpenCall(Arc<OpenCalls>);

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_past_the_limit_is_refused_until_a_call_closes() {
        let calls = OpenCalls::new(2);
        let first = calls.open().unwrap();
        let _second = calls.open().unwrap();
        let refused = calls.open().unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert!(refused.message().contains("2 calls open"), "{refused:?}");
        drop(first);
        assert!(calls.open().is_ok());
    }
}
