//! What the service tells operators: Prometheus metrics (requests, latency,
//! evaluation time, reloads) served over HTTP, the decision log, and the
//! helpers that keep logs honest under hostile input (escaped text,
//! throttled lines). Knows nothing of gRPC or Rhai.

mod decisions;
mod metrics;
mod text;
mod throttle;

pub use decisions::DecisionLog;
pub use metrics::{Metrics, metrics, serve_metrics};
pub use text::one_line;
pub use throttle::{THROTTLE, Throttle};
