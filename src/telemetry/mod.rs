//! What the service tells operators: Prometheus metrics (requests, latency,
//! evaluation time, reloads) served over HTTP, and the decision log.
//! Knows nothing of gRPC or Rhai.

mod decisions;
mod metrics;

pub use decisions::DecisionLog;
pub use metrics::{Metrics, metrics, serve_metrics};
