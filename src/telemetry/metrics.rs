//! The Prometheus metrics, one process-wide registry, and the HTTP endpoint
//! that serves them (`GET /metrics`).

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// Labels of a finished request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    model: String,
    level: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabel {
    model: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

/// Every metric the service exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<MethodLabel, Histogram>,
    evaluation: Family<ModelLabel, Histogram>,
    reloads: Family<OutcomeLabel, Counter>,
    decisions_dropped: Counter,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

fn seconds_histogram() -> Histogram {
    // 20 µs to about 10 s.
    Histogram::new(exponential_buckets(0.00002, 2.0, 20))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("maturity");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<MethodLabel, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let evaluation = Family::<ModelLabel, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let reloads = Family::<OutcomeLabel, Counter>::default();
        let decisions_dropped = Counter::default();
        registry.register(
            "requests",
            "Assessments answered, by method, model, level and status",
            requests.clone(),
        );
        registry.register(
            "request_seconds",
            "Time to answer one assessment, by method",
            latency.clone(),
        );
        registry.register(
            "evaluation_seconds",
            "Time the engine spent on one assessment, by model",
            evaluation.clone(),
        );
        registry.register(
            "reloads",
            "Script files reloaded, by outcome (updated, refused, removed)",
            reloads.clone(),
        );
        registry.register(
            "decisions_dropped",
            "Decisions not logged because the log fell behind",
            decisions_dropped.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            evaluation,
            reloads,
            decisions_dropped,
        }
    }

    /// Records one answered assessment. `model` must be a loaded model's id
    /// (or "unknown"): never a caller's free text.
    pub fn request(&self, method: &str, model: &str, level: &str, status: &str, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.into(),
                model: label_value(model),
                level: label_value(level),
                status: status.into(),
            })
            .inc();
        self.latency
            .get_or_create(&MethodLabel {
                method: method.into(),
            })
            .observe(took.as_secs_f64());
    }

    /// Records the engine's time on one assessment of `model`.
    pub fn evaluation(&self, model: &str, took: Duration) {
        self.evaluation
            .get_or_create(&ModelLabel {
                model: label_value(model),
            })
            .observe(took.as_secs_f64());
    }

    /// Records the outcome of a reload: files updated, refused and removed.
    pub fn reload(&self, updated: usize, refused: usize, removed: usize) {
        for (outcome, n) in [
            ("updated", updated),
            ("refused", refused),
            ("removed", removed),
        ] {
            self.reloads
                .get_or_create(&OutcomeLabel {
                    outcome: outcome.into(),
                })
                .inc_by(n as u64);
        }
    }

    pub(crate) fn decision_dropped(&self) {
        self.decisions_dropped.inc();
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// `value` as the text format needs a label value written: a script's ids
/// may hold a quote, a backslash or a line break, which prometheus-client
/// writes as they are, ending the line (or the document, at `# EOF`).
fn label_value(value: &str) -> String {
    if !value.contains(['\\', '"', '\n']) {
        return value.to_owned();
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub async fn serve_metrics(listener: TcpListener) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async {
            (
                [(
                    "content-type",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                metrics().encode(),
            )
        }),
    );
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_value_with_quotes_or_line_breaks_keeps_the_document_whole() {
        let metrics = Metrics::new();
        let level = "effort \"driven\"\n# EOF\\";
        metrics.request("Assess", "m", level, "OK", Duration::from_millis(1));
        let text = metrics.encode();
        let ends: Vec<&str> = text.lines().filter(|l| l.starts_with("# EOF")).collect();
        assert_eq!(ends.len(), 1, "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(
            text.contains(r#"level="effort \"driven\"\n# EOF\\""#),
            "{text}"
        );
    }
}
