//! Generated models and organisations of a chosen size: the same shape as
//! a real model (five levels, one dimension, each criterion a threshold on
//! one metric with one intervention), only more of it.

use crate::engine::{AssessRequest, MetricValue, Metrics, ScriptSource};

/// A model script declaring `metrics` metrics with `criteria` criteria
/// over the first `read` of them (criterion `i` reads metric `i % read`),
/// ranks 2 to 5 in turn.
pub(super) fn model(id: &str, criteria: usize, metrics: usize, read: usize) -> ScriptSource {
    let mut text = format!(
        "#{{\n  id: \"{id}\", name: \"Generated\", version: \"1.0.0\",\n  levels: [{}],\n  metrics: [\n",
        (1..=5)
            .map(|r| format!("#{{ id: \"l{r}\", name: \"Level {r}\" }}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for k in 0..metrics {
        text += &format!("    #{{ name: \"m{k}\", kind: \"ratio\", better: \"higher\" }},\n");
    }
    text += "  ],\n  criteria: [\n";
    for i in 0..criteria {
        let (k, rank) = (i % read.clamp(1, metrics.max(1)), 2 + i % 4);
        text += &format!(
            "    #{{ id: \"c{i}\", rank: {rank}, description: \"Metric m{k} reaches its bar.\",\n      \
             metrics: [\"m{k}\"], check: |m| m.m{k} >= 0.5,\n      \
             interventions: [#{{ id: \"i{i}\", title: \"Raise m{k}\", description: \"Work on m{k} until it reaches half.\", metrics: [\"m{k}\"] }}] }},\n"
        );
    }
    text += "  ],\n}\n";
    ScriptSource::new(format!("{id}.rhai"), text)
}

/// A request for `model` supplying metrics m0..m(count-1), each meeting
/// its bar, so every criterion is evaluated and holds.
pub(super) fn organisation(model: &str, count: usize) -> AssessRequest {
    let metrics: Metrics = (0..count)
        .map(|k| (format!("m{k}"), MetricValue::Number(0.6)))
        .collect();
    AssessRequest {
        model: model.to_owned(),
        metrics,
        subject_id: "generated".into(),
        explain: false,
        target_rank: 0,
        view: Default::default(),
    }
}

/// A model of about `bytes` bytes of source.
pub(super) fn model_of_size(id: &str, bytes: usize) -> ScriptSource {
    let per_criterion = model("x", 2, 10, 10).text.len() - model("x", 1, 10, 10).text.len();
    let base = model(id, 0, 10, 10).text.len();
    model(id, bytes.saturating_sub(base) / per_criterion, 10, 10)
}
