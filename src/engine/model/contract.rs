//! Reads the map a model script evaluates to into a [`ModelSpec`], and checks
//! it against the model contract (levels, criteria, declared metrics).

use std::collections::HashSet;

use rhai::{AST, Dynamic, Map};

use crate::engine::model::fields::{ContractError, Fields, Result};
use crate::engine::model::metric_spec::{Direction, MetricKind, MetricSpec};
use crate::engine::model::outline::Place;
use crate::engine::model::reads::metric_reads;
use crate::engine::model::spec::{CriterionSpec, InterventionSpec, Level, ModelSpec, SignalSpec};

/// Reads and checks a model declaration.
pub(crate) fn read_model(value: Dynamic) -> Result<ModelSpec> {
    let map = value.try_cast::<Map>().ok_or_else(|| {
        let message = "the script must evaluate to a map (#{ id: …, levels: …, … })";
        ContractError::new(Place::at("model"), message.into())
    })?;
    let model = Fields::new(&map, "model".into());
    let spec = ModelSpec {
        id: model.string("id")?,
        name: model.string("name")?,
        version: model.string("version")?,
        description: model.optional_string("description")?,
        levels: model.list("levels", read_level)?,
        metrics: model.list("metrics", read_metric)?,
        criteria: model.list("criteria", read_criterion)?,
        signals: model.optional_list("signals", read_signal)?,
        level_override: model.optional_fn("level")?,
    };
    check_model(&spec)?;
    Ok(spec)
}

fn read_level(f: &Fields<'_>, index: usize) -> Result<Level> {
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
        id: f.string("id")?,
        name: f.string("name")?,
        summary: f.optional_string("summary")?,
    })
}

fn read_metric(f: &Fields<'_>, _: usize) -> Result<MetricSpec> {
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
            format!("unknown direction '{better}'; use higher, lower, true or none"),
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

fn read_criterion(f: &Fields<'_>, _: usize) -> Result<CriterionSpec> {
    Ok(CriterionSpec {
        id: f.string("id")?,
        rank: f.int("rank")?,
        description: f.string("description")?,
        metrics: f.strings("metrics")?,
        check: f.function("check")?,
        positions: Vec::new(),
        native: None,
        interventions: f.list("interventions", read_intervention)?,
    })
}

fn read_signal(f: &Fields<'_>, _: usize) -> Result<SignalSpec> {
    Ok(SignalSpec {
        id: f.string("id")?,
        description: f.string("description")?,
        metrics: f.strings("metrics")?,
        check: f.function("check")?,
        positions: Vec::new(),
        native: None,
        interventions: f.list("interventions", read_intervention)?,
    })
}

fn read_intervention(f: &Fields<'_>, _: usize) -> Result<InterventionSpec> {
    Ok(InterventionSpec {
        id: f.string("id")?,
        title: f.string("title")?,
        description: f.string("description")?,
        metrics: f.strings("metrics")?,
    })
}

/// The rules that hold across the whole declaration.
fn check_model(spec: &ModelSpec) -> Result<()> {
    if spec.levels.len() < 2 {
        let message = "a model needs at least two levels".into();
        return Err(ContractError::new(Place::at("model.levels"), message));
    }
    unique(
        "model.levels",
        "level",
        spec.levels.iter().map(|l| l.id.as_str()),
    )?;
    unique(
        "model.metrics",
        "metric",
        spec.metrics.iter().map(|m| m.name.as_str()),
    )?;
    unique(
        "model.criteria",
        "criterion",
        spec.criteria.iter().map(|c| c.id.as_str()),
    )?;
    if spec.criteria.is_empty() {
        let message = "the model has no criteria, so every organisation would sit at rank 1".into();
        return Err(ContractError::new(Place::at("model.criteria"), message));
    }
    let declared: HashSet<&str> = spec.metrics.iter().map(|m| m.name.as_str()).collect();
    for (i, c) in spec.criteria.iter().enumerate() {
        let path = format!("model.criteria[{i}]");
        if !(2..=spec.top_rank()).contains(&c.rank) {
            let message = format!(
                "criterion '{}': rank {} is outside 2..={} (rank 1 needs no criteria)",
                c.id,
                c.rank,
                spec.top_rank()
            );
            return Err(ContractError::new(
                Place::at(format!("{path}.rank")),
                message,
            ));
        }
        let what = format!("criterion '{}'", c.id);
        check_reads(&path, &what, &c.metrics, &c.interventions, &declared)?;
    }
    for (i, s) in spec.signals.iter().enumerate() {
        let what = format!("signal '{}'", s.id);
        let path = format!("model.signals[{i}]");
        check_reads(&path, &what, &s.metrics, &s.interventions, &declared)?;
    }
    for rank in 2..=spec.top_rank() {
        if !spec.criteria.iter().any(|c| c.rank == rank) {
            let message = format!("rank {rank} has no criteria, so it could never be told apart");
            return Err(ContractError::new(Place::at("model.criteria"), message));
        }
    }
    Ok(())
}

/// A criterion or signal reads declared metrics only, and says what to do.
fn check_reads(
    path: &str,
    what: &str,
    metrics: &[String],
    interventions: &[InterventionSpec],
    declared: &HashSet<&str>,
) -> Result<()> {
    let fail =
        |place: Place, message: String| Err(ContractError::new(place, format!("{what} {message}")));
    if metrics.is_empty() {
        let message = "reads no metrics: list the metrics it reads in `metrics`".into();
        return fail(Place::at(format!("{path}.metrics")), message);
    }
    if interventions.is_empty() {
        let message = "has no interventions: say what to do when it does not hold".into();
        return fail(Place::at(format!("{path}.interventions")), message);
    }
    for (j, intervention) in interventions.iter().enumerate() {
        let at = format!("{path}.interventions[{j}].metrics");
        if intervention.metrics.is_empty() {
            let message = format!(
                "has intervention '{}' naming no metrics it would move",
                intervention.id
            );
            return fail(Place::at(at), message);
        }
        if let Some(name) = undeclared(&intervention.metrics, declared) {
            let message = format!(
                "has intervention '{}' naming metric '{name}', which the model does not declare",
                intervention.id
            );
            return fail(Place::literal(at, name, 1), message);
        }
    }
    if let Some(name) = undeclared(metrics, declared) {
        let message = format!("lists metric '{name}', which the model does not declare");
        return fail(Place::literal(format!("{path}.metrics"), name, 1), message);
    }
    Ok(())
}

fn undeclared<'a>(names: &'a [String], declared: &HashSet<&str>) -> Option<&'a str> {
    names
        .iter()
        .map(String::as_str)
        .find(|name| !declared.contains(name))
}

/// Every id in `ids` is different; a repeat is reported where it is written
/// the second time.
fn unique<'a>(path: &str, what: &str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            let message = format!("{what} '{id}' is declared twice");
            return Err(ContractError::new(Place::literal(path, id, 2), message));
        }
    }
    Ok(())
}

/// Every check reads only the metrics it lists, and the level override only
/// metrics the model declares.
pub(crate) fn check_declared_reads(spec: &ModelSpec, ast: &AST) -> Result<()> {
    let checks = spec
        .criteria
        .iter()
        .map(|c| (format!("criterion '{}'", c.id), &c.check, &c.metrics))
        .chain(
            spec.signals
                .iter()
                .map(|s| (format!("signal '{}'", s.id), &s.check, &s.metrics)),
        );
    for (what, check, listed) in checks {
        if let Some(read) = metric_reads(ast, check)
            .into_iter()
            .find(|r| !listed.contains(&r.metric))
        {
            let declared = spec.metrics.iter().any(|m| m.name == read.metric);
            let message = if declared {
                format!(
                    "{what} reads metric '{}', which is not in its `metrics` list",
                    read.metric
                )
            } else {
                format!(
                    "{what} reads metric '{}', which the model does not declare",
                    read.metric
                )
            };
            return Err(ContractError::new(Place::Exact(read.pos), message));
        }
    }
    if let Some(level) = &spec.level_override {
        let declared = |name: &str| spec.metrics.iter().any(|m| m.name == name);
        if let Some(read) = metric_reads(ast, level)
            .into_iter()
            .find(|r| !declared(&r.metric))
        {
            let message = format!(
                "the level override reads metric '{}', which the model does not declare",
                read.metric
            );
            return Err(ContractError::new(Place::Exact(read.pos), message));
        }
    }
    Ok(())
}
