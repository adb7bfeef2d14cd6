//! Every metric kind and bound is validated before any script runs, and every
//! violation names the metric, the rule and the value.
#![allow(clippy::unwrap_used)]

mod support;

use maturity_engine::engine::{
    AssessRequest, Engine, EngineError, MAX_METRIC_NAME, MAX_METRICS, MAX_SUBJECT_ID, MetricValue,
    Metrics, ScriptSource,
};

const MODEL: &str = r#"#{
    id: "kinds", name: "Every kind", version: "1",
    levels: [#{ id: "a", name: "A" }, #{ id: "b", name: "B" }],
    metrics: [
        #{ name: "share", kind: "ratio", better: "higher" },
        #{ name: "days", kind: "number", min: 1, max: 365, better: "lower" },
        #{ name: "free", kind: "number", better: "none" },
        #{ name: "people", kind: "count", max: 1000, better: "higher" },
        #{ name: "ready", kind: "flag", better: "true" },
        #{ name: "tier", kind: "text", allowed: ["gold", "silver"], better: "none" },
    ],
    criteria: [#{
        id: "all", rank: 2, description: "everything good",
        metrics: ["share", "days", "free", "people", "ready", "tier"],
        check: |m| m.share > 0.5 && m.days < 30 && m.free > -1e9 && m.people >= 3 && m.ready && m.tier == "gold",
        interventions: [#{ id: "fix", title: "Fix", description: "Fix it.", metrics: ["share"] }],
    }],
}"#;

fn engine() -> Engine {
    support::engine_with(&[ScriptSource::new("kinds.rhai", MODEL)])
}

fn valid() -> Metrics {
    let mut m = Metrics::new();
    m.insert("share".into(), MetricValue::Number(0.9));
    m.insert("days".into(), MetricValue::Number(7.0));
    m.insert("free".into(), MetricValue::Number(-5.5));
    m.insert("people".into(), MetricValue::Number(12.0));
    m.insert("ready".into(), MetricValue::Flag(true));
    m.insert("tier".into(), MetricValue::Text("gold".into()));
    m
}

fn assess(metrics: Metrics) -> Result<maturity_engine::engine::Assessment, EngineError> {
    engine().assess(&AssessRequest {
        model: "kinds".into(),
        metrics,
        ..Default::default()
    })
}

/// The single violation reported when `name` is set to `value`.
fn violation(name: &str, value: MetricValue) -> String {
    let mut metrics = valid();
    metrics.insert(name.into(), value);
    match assess(metrics).unwrap_err() {
        EngineError::InvalidMetrics { violations } => {
            assert_eq!(violations.len(), 1, "{violations:?}");
            assert_eq!(violations[0].metric, name);
            violations[0].rule.clone()
        }
        other => panic!("expected invalid metrics, got {other:?}"),
    }
}

#[test]
fn valid_values_of_every_kind_pass_and_reach_the_script_typed() {
    let got = assess(valid()).unwrap();
    assert_eq!(got.level.id, "b");
    assert!(got.criteria[0].passed);
}

#[test]
fn bounds_are_inclusive() {
    let mut m = valid();
    m.insert("share".into(), MetricValue::Number(1.0));
    m.insert("days".into(), MetricValue::Number(1.0));
    m.insert("people".into(), MetricValue::Number(1000.0));
    assert!(assess(m.clone()).is_ok());
    m.insert("share".into(), MetricValue::Number(0.0));
    m.insert("days".into(), MetricValue::Number(365.0));
    m.insert("people".into(), MetricValue::Number(0.0));
    assert!(assess(m).is_ok());
}

#[test]
fn ratio_rules() {
    assert_eq!(
        violation("share", MetricValue::Number(1.5)),
        "must be in [0, 1], got 1.5"
    );
    assert_eq!(
        violation("share", MetricValue::Number(-0.1)),
        "must be in [0, 1], got -0.1"
    );
    assert_eq!(
        violation("share", MetricValue::Number(f64::NAN)),
        "must be a finite number, got NaN"
    );
    assert_eq!(
        violation("share", MetricValue::Number(f64::INFINITY)),
        "must be a finite number, got inf"
    );
    assert_eq!(
        violation("share", MetricValue::Flag(true)),
        "expected a ratio (a number), got the flag true"
    );
}

#[test]
fn number_rules() {
    assert_eq!(
        violation("days", MetricValue::Number(0.5)),
        "must be in [1, 365], got 0.5"
    );
    assert_eq!(
        violation("days", MetricValue::Number(366.0)),
        "must be in [1, 365], got 366"
    );
    assert_eq!(
        violation("free", MetricValue::Number(f64::NEG_INFINITY)),
        "must be a finite number, got -inf"
    );
    assert_eq!(
        violation("days", MetricValue::Text("7".into())),
        "expected a number (a number), got the text \"7\""
    );
}

#[test]
fn count_rules() {
    assert_eq!(
        violation("people", MetricValue::Number(2.5)),
        "must be a whole number, got 2.5"
    );
    assert_eq!(
        violation("people", MetricValue::Number(-1.0)),
        "must be in [0, 1000], got -1"
    );
    assert_eq!(
        violation("people", MetricValue::Number(1001.0)),
        "must be in [0, 1000], got 1001"
    );
}

#[test]
fn flag_and_text_rules() {
    assert_eq!(
        violation("ready", MetricValue::Number(1.0)),
        "expected a flag (true or false), got the number 1"
    );
    assert_eq!(
        violation("tier", MetricValue::Text("bronze".into())),
        "must be one of [gold, silver], got \"bronze\""
    );
    assert_eq!(
        violation("tier", MetricValue::Flag(false)),
        "expected a text (a string), got the flag false"
    );
}

#[test]
fn every_violation_is_reported_at_once_in_name_order() {
    let mut m = valid();
    m.insert("share".into(), MetricValue::Number(2.0));
    m.insert("days".into(), MetricValue::Number(0.0));
    let err = assess(m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "metrics[days]: must be in [1, 365], got 0; metrics[share]: must be in [0, 1], got 2"
    );
}

#[test]
fn unknown_metrics_are_ignored_not_rejected_even_when_odd() {
    let mut m = valid();
    m.insert("zzz".into(), MetricValue::Number(f64::NAN));
    m.insert("aaa".into(), MetricValue::Text("x".into()));
    let got = assess(m).unwrap();
    assert_eq!(got.ignored_metrics, vec!["aaa", "zzz"]);
}

#[test]
fn oversized_requests_are_refused_with_the_limit() {
    let mut m = valid();
    for i in 0..MAX_METRICS {
        m.insert(format!("extra_{i}"), MetricValue::Flag(true));
    }
    let err = assess(m).unwrap_err();
    assert!(
        matches!(err, EngineError::RequestTooLarge { limit, .. } if limit == MAX_METRICS),
        "{err:?}"
    );
    let mut m = valid();
    m.insert("n".repeat(MAX_METRIC_NAME + 1), MetricValue::Flag(true));
    let err = assess(m).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("exceeds the limit of {MAX_METRIC_NAME}")),
        "{err}"
    );
    assert!(
        err.to_string().len() < 200,
        "the error must not echo the whole name"
    );
}

#[test]
fn unknown_and_missing_model_name_the_models_there_are() {
    let engine = Engine::with_builtin_models().unwrap();
    let err = engine
        .assess(&AssessRequest {
            model: "nope".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "model 'nope' not found; available models: chaotic_to_predictive, five_stage"
    );
    let err = engine.assess(&AssessRequest::default()).unwrap_err();
    assert!(matches!(err, EngineError::ModelRequired { .. }), "{err:?}");
}

#[test]
fn long_subject_ids_and_model_names_are_refused_or_shortened() {
    let engine = Engine::with_builtin_models().unwrap();
    let long = AssessRequest {
        model: "five_stage".into(),
        subject_id: "s".repeat(MAX_SUBJECT_ID + 1),
        ..Default::default()
    };
    let err = engine.assess(&long).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "subject_id length: {} exceeds the limit of {MAX_SUBJECT_ID}",
            MAX_SUBJECT_ID + 1
        )
    );
    let err = engine
        .assess(&AssessRequest {
            model: "m".repeat(1 << 20),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        err.to_string().len() < 200,
        "the error must not echo a huge model name"
    );
}
