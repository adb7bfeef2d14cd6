//! What bounds one call: the caller's deadline (from `grpc-timeout`), a flag
//! raised when the caller goes away, and the global limit on assessments in
//! flight, which sheds load instead of queueing it without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;
use tonic::metadata::MetadataMap;

/// How far ahead of the caller's deadline the engine stops: a tenth of the
/// timeout, kept between these bounds (and never over half the timeout).
const MARGIN: (Duration, Duration) = (Duration::from_millis(20), Duration::from_millis(100));

/// The deadline the engine works to, from the `grpc-timeout` header, if the
/// caller sent one. tonic (on both sides) answers CANCELLED the moment the
/// caller's deadline passes, so the engine stops a little earlier (a tenth
/// of the timeout, 20 to 100 ms, at most half of it) to answer
/// DEADLINE_EXCEEDED itself, even on a busy machine.
#[allow(clippy::result_large_err)]
pub fn deadline_of(metadata: &MetadataMap) -> Result<Option<Instant>, Status> {
    let Some(value) = metadata.get("grpc-timeout") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let timeout = parse_timeout(text).ok_or_else(|| {
        let shown = super::status::truncate(text, 32);
        Status::invalid_argument(format!("grpc-timeout: '{shown}' is not a gRPC timeout"))
    })?;
    let ahead = (timeout / 10).clamp(MARGIN.0, MARGIN.1).min(timeout / 2);
    Ok(Instant::now().checked_add(timeout - ahead))
}

/// Parses a gRPC timeout: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Raises its flag when dropped: held by a call's future, so a cancelled
/// call (whose future tonic drops) stops the work it started.
#[derive(Debug, Default)]
pub struct CancelOnDrop(Arc<AtomicBool>);

impl CancelOnDrop {
    /// The flag the work watches.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The server-wide limit on assessments in flight.
#[derive(Debug, Clone)]
pub struct Admission {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl Admission {
    /// Allows `limit` assessments in flight at once.
    pub fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// A slot for one unary assessment, or RESOURCE_EXHAUSTED at once when
    /// all are taken.
    #[allow(clippy::result_large_err)]
    pub fn try_admit(&self) -> Result<OwnedSemaphorePermit, Status> {
        Arc::clone(&self.permits).try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "server busy: {} assessments in flight, the limit; retry with backoff",
                self.limit
            ))
        })
    }

    /// A slot for one streamed assessment: a stream waits for it, which
    /// slows its reading and so, through flow control, its writer.
    pub async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.permits).acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_timeout("5m"), Some(Duration::from_millis(5)));
        assert_eq!(parse_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_timeout("100u"), Some(Duration::from_micros(100)));
        for bad in ["", "m", "5", "5x", "123456789m", "-5m"] {
            assert_eq!(parse_timeout(bad), None, "{bad}");
        }
    }
}
