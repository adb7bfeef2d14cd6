//! The built-in models declare the metric vocabulary of docs/metrics.md (the
//! public contract) exactly: same kinds, bounds and directions.
#![allow(clippy::unwrap_used)]

use maturity_engine::engine::{Direction, Engine, MetricKind};

/// A row of docs/metrics.md: name, kind, min, max, direction.
type Row = (String, MetricKind, Option<f64>, Option<f64>, Direction);

/// Every row of docs/metrics.md.
fn documented() -> Vec<Row> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, name, kind, better, _meaning, _] = cells[..] else {
                return None;
            };
            if name == "name" || name.starts_with("---") {
                return None;
            }
            let mut kind_words = kind.split_whitespace();
            let kind = MetricKind::parse(kind_words.next()?)?;
            let (min, max) = match (kind, kind_words.next()) {
                (MetricKind::Ratio, _) => (Some(0.0), Some(1.0)),
                (MetricKind::Count, None) => (Some(0.0), None),
                (_, Some(range)) => {
                    let (low, high) = range.split_once("..").unwrap();
                    (Some(low.parse().unwrap()), Some(high.parse().unwrap()))
                }
                _ => (None, None),
            };
            Some((
                name.to_owned(),
                kind,
                min,
                max,
                Direction::parse(better).unwrap(),
            ))
        })
        .collect()
}

#[test]
fn the_document_lists_the_whole_vocabulary() {
    assert_eq!(documented().len(), 51);
}

#[test]
fn built_in_models_declare_metrics_as_documented() {
    let documented = documented();
    let engine = Engine::with_builtin_models().unwrap();
    for model in engine.models() {
        assert!(model.spec().metrics.len() >= 30, "{}", model.id());
        for spec in &model.spec().metrics {
            let row = documented.iter().find(|row| row.0 == spec.name);
            let (_, kind, min, max, direction) = row.unwrap_or_else(|| {
                panic!("{}: '{}' is not in docs/metrics.md", model.id(), spec.name)
            });
            assert_eq!(
                (spec.kind, spec.min, spec.max, spec.direction),
                (*kind, *min, *max, *direction),
                "{}: {}",
                model.id(),
                spec.name
            );
        }
    }
}
