//! Reads the map a model script evaluates to into a [`ModelSpec`], part by
//! part, then checks it against the model contract (`rules`).

use rhai::{AST, Dynamic, FnPtr, Map};

use crate::engine::assessment::CriterionTexts;
use crate::engine::model::fields::{ContractError, Fields, Problems, Result};
use crate::engine::model::metric_spec::{Direction, MetricKind, MetricSpec};
use crate::engine::model::outline::Place;
use crate::engine::model::reads::metric_reads;
use crate::engine::model::rules;
use crate::engine::model::spec::{
    Condition, CriterionSpec, DimensionSpec, Evidence, InterventionSpec, Level, ModelSpec,
    SignalSpec,
};
use crate::engine::value::Text;

/// The keys each part of a declaration may have.
const MODEL_KEYS: &[&str] = &[
    "id",
    "name",
    "version",
    "description",
    "levels",
    "dimensions",
    "metrics",
    "criteria",
    "signals",
    "sustain",
    "level",
];
const LEVEL_KEYS: &[&str] = &["id", "name", "summary", "rank"];
const METRIC_KEYS: &[&str] = &[
    "name",
    "kind",
    "better",
    "min",
    "max",
    "description",
    "allowed",
];
const CRITERION_KEYS: &[&str] = &[
    "id",
    "rank",
    "dimension",
    "description",
    "metrics",
    "check",
    "applies",
    "any_of",
    "interventions",
];
const EVIDENCE_KEYS: &[&str] = &["metrics", "check", "applies"];
const SIGNAL_KEYS: &[&str] = &["id", "description", "metrics", "check", "interventions"];
const INTERVENTION_KEYS: &[&str] = &["id", "title", "description", "metrics", "weight"];
const DIMENSION_KEYS: &[&str] = &["id", "name", "description"];

/// Reads and checks a model declaration into `problems`; `ast` is the
/// compiled script, in which the metrics an `applies` function reads are
/// found. The declaration comes back when it could be read whole (though it
/// may still have problems, such as unknown keys).
pub(crate) fn read_model(value: Dynamic, ast: &AST, problems: &Problems) -> Option<ModelSpec> {
    let Some(map) = value.try_cast::<Map>() else {
        let message = "the script must evaluate to a map (#{ id: …, levels: …, … })";
        problems.push(ContractError::new(Place::at("model"), message.into()));
        return None;
    };
    let model = Fields::new(&map, "model".into(), problems);
    model.only(MODEL_KEYS);
    let read = |r| problems.record(r);
    let spec = ModelSpec {
        id: read(model.text("id")).unwrap_or_default(),
        name: read(model.text("name")).unwrap_or_default(),
        version: read(model.text("version")).unwrap_or_default(),
        description: read(model.optional_text("description")).unwrap_or_default(),
        levels: problems
            .record(model.list("levels", read_level))
            .unwrap_or_default(),
        metrics: problems
            .record(model.list("metrics", read_metric))
            .unwrap_or_default(),
        criteria: problems
            .record(model.list("criteria", |f, _| read_criterion(f, ast)))
            .unwrap_or_default(),
        signals: problems
            .record(model.optional_list("signals", read_signal))
            .unwrap_or_default(),
        level_override: problems.record(model.optional_fn("level")).flatten(),
        dimensions: problems
            .record(model.optional_list("dimensions", read_dimension))
            .unwrap_or_default(),
        sustain: problems
            .record(model.optional_list("sustain", read_intervention))
            .unwrap_or_default(),
    };
    if problems.incomplete() {
        return None;
    }
    rules::check_model(&spec, problems);
    rules::check_declared_reads(&spec, ast, problems);
    (!problems.incomplete()).then_some(spec)
}

/// The metric declarations in `items` that read cleanly (a helper's list,
/// such as the standard vocabulary).
pub(crate) fn read_metrics(items: rhai::Array) -> Vec<MetricSpec> {
    let problems = Problems::default();
    let mut map = Map::new();
    map.insert("metrics".into(), Dynamic::from_array(items));
    let list = Fields::new(&map, "vocabulary".into(), &problems);
    list.list("metrics", read_metric).unwrap_or_default()
}

fn read_level(f: &Fields<'_>, index: usize) -> Result<Level> {
    f.only(LEVEL_KEYS);
    let rank = index as i32 + 1;
    if let Some(stated) = f.optional_int("rank")? {
        if stated != rank {
            let message = format!(
                "level is declared at position {rank} but states rank {stated}: list levels from rank 1 upwards"
            );
            return Err(f.error("rank", message));
        }
    }
    Ok(Level {
        rank,
        id: f.text("id")?,
        name: f.text("name")?,
        summary: f.optional_text("summary")?,
    })
}

fn read_metric(f: &Fields<'_>, _: usize) -> Result<MetricSpec> {
    f.only(METRIC_KEYS);
    let kind_name = f.string("kind")?;
    let kind = MetricKind::parse(&kind_name).ok_or_else(|| {
        f.error(
            "kind",
            format!("unknown kind '{kind_name}'; use ratio, number, count, flag or text"),
        )
    })?;
    let better = f.string("better")?;
    let direction = Direction::parse(&better).ok_or_else(|| {
        f.error(
            "better",
            format!("unknown direction '{better}'; use higher, lower, true, false or none"),
        )
    })?;
    let (min, max) = match kind {
        MetricKind::Ratio => (Some(0.0), Some(1.0)),
        MetricKind::Count => (
            Some(f.optional_number("min")?.unwrap_or(0.0).max(0.0)),
            f.optional_number("max")?,
        ),
        _ => (f.optional_number("min")?, f.optional_number("max")?),
    };
    if let (Some(low), Some(high)) = (min, max) {
        if low > high {
            return Err(f.error("min", format!("min {low} is above max {high}")));
        }
    }
    Ok(MetricSpec {
        name: f.string("name")?,
        kind,
        min,
        max,
        direction,
        description: f.optional_string("description")?,
        allowed: f.optional_strings("allowed")?,
    })
}

fn read_criterion(f: &Fields<'_>, ast: &AST) -> Result<CriterionSpec> {
    f.only(CRITERION_KEYS);
    let evidence = match (f.get("any_of"), f.get("check")) {
        (Some(_), None) => f.list("any_of", |way, _| {
            way.only(EVIDENCE_KEYS);
            read_evidence(way, ast)
        })?,
        (None, Some(_)) => vec![read_evidence(f, ast)?],
        (Some(_), Some(_)) => {
            let message = "give either `check` (with `metrics`) or `any_of`, not both".into();
            return Err(f.error("any_of", message));
        }
        (None, None) => {
            let message = "is required: `check: |m| …` with its `metrics`, or `any_of: [...]`";
            return Err(f.error("check", message.into()));
        }
    };
    let mut metrics: Vec<Text> = Vec::new();
    let checks = evidence.iter().map(|e| &e.check);
    let applies = evidence.iter().filter_map(|e| e.applies.as_ref());
    for name in checks.chain(applies).flat_map(|c| &c.metrics) {
        if !metrics.iter().any(|m| m == name) {
            metrics.push(name.as_str().into());
        }
    }
    let texts = CriterionTexts {
        id: f.text("id")?,
        dimension: f.optional_text("dimension")?,
        description: f.text("description")?,
        metrics: metrics.into(),
    };
    Ok(CriterionSpec {
        texts: std::sync::Arc::new(texts),
        rank: f.int("rank")?,
        evidence,
        interventions: f.list("interventions", read_intervention)?,
    })
}

/// One way of meeting a criterion: `metrics`, `check` and, optionally,
/// `applies`, whose metrics are the ones it reads.
fn read_evidence(f: &Fields<'_>, ast: &AST) -> Result<Evidence> {
    let check = Condition::new(f.strings("metrics")?, f.function("check")?);
    let applies = match f.optional_fn("applies")? {
        Some(function) => Some(Condition::new(applies_reads(f, ast, &function)?, function)),
        None => None,
    };
    Ok(Evidence { applies, check })
}

/// The metrics an `applies` function reads, in the order it reads them.
fn applies_reads(f: &Fields<'_>, ast: &AST, function: &FnPtr) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for read in metric_reads(ast, function) {
        if !names.contains(&read.metric) {
            names.push(read.metric);
        }
    }
    if names.is_empty() {
        let message = "reads no metric: read the metrics it depends on directly, as in |m| m.recurring_revenue";
        return Err(f.error("applies", message.into()));
    }
    Ok(names)
}

fn read_signal(f: &Fields<'_>, _: usize) -> Result<SignalSpec> {
    f.only(SIGNAL_KEYS);
    Ok(SignalSpec {
        id: f.text("id")?,
        description: f.text("description")?,
        check: Condition::new(f.strings("metrics")?, f.function("check")?),
        interventions: f.list("interventions", read_intervention)?,
    })
}

fn read_intervention(f: &Fields<'_>, _: usize) -> Result<InterventionSpec> {
    f.only(INTERVENTION_KEYS);
    let weight = f.optional_number("weight")?.unwrap_or(1.0);
    if weight <= 0.0 {
        return Err(f.error("weight", format!("must be above 0, got {weight}")));
    }
    Ok(InterventionSpec {
        id: f.text("id")?,
        title: f.text("title")?,
        description: f.text("description")?,
        metrics: f.names("metrics")?,
        weight,
    })
}

fn read_dimension(f: &Fields<'_>, _: usize) -> Result<DimensionSpec> {
    f.only(DIMENSION_KEYS);
    Ok(DimensionSpec {
        id: f.text("id")?,
        name: f.text("name")?,
        description: f.optional_text("description")?,
    })
}
