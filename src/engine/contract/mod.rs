//! Reads the map a model script evaluates to into a [`ModelSpec`], and checks
//! it against the model contract (levels, criteria, declared metrics).

use std::collections::HashSet;

use rhai::{Dynamic, Map};

mod fields;

use fields::Fields;

use super::metric::{Direction, MetricKind, MetricSpec};
use super::spec::{CriterionSpec, InterventionSpec, Level, ModelSpec, SignalSpec};

/// A breach of the model contract: where in the declaration, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContractError {
    pub(crate) path: String,
    pub(crate) message: String,
}

type Result<T> = std::result::Result<T, ContractError>;

/// Reads and checks a model declaration.
pub(crate) fn read_model(value: Dynamic) -> Result<ModelSpec> {
    let map = value.try_cast::<Map>().ok_or_else(|| ContractError {
        path: "model".into(),
        message: "the script must evaluate to a map (#{ id: …, levels: …, … })".into(),
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
    Ok(Level {
        rank: index as i32 + 1,
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
        interventions: f.list("interventions", read_intervention)?,
    })
}

fn read_signal(f: &Fields<'_>, _: usize) -> Result<SignalSpec> {
    Ok(SignalSpec {
        id: f.string("id")?,
        description: f.string("description")?,
        metrics: f.strings("metrics")?,
        check: f.function("check")?,
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
    let fail = |path: String, message: String| Err(ContractError { path, message });
    if spec.levels.len() < 2 {
        return fail(
            "model.levels".into(),
            "a model needs at least two levels".into(),
        );
    }
    unique("model.levels", spec.levels.iter().map(|l| l.id.as_str()))?;
    unique(
        "model.metrics",
        spec.metrics.iter().map(|m| m.name.as_str()),
    )?;
    unique(
        "model.criteria",
        spec.criteria.iter().map(|c| c.id.as_str()),
    )?;
    let declared: HashSet<&str> = spec.metrics.iter().map(|m| m.name.as_str()).collect();
    for (i, c) in spec.criteria.iter().enumerate() {
        let path = format!("model.criteria[{i}] ('{}')", c.id);
        if !(2..=spec.top_rank()).contains(&c.rank) {
            return fail(
                path,
                format!(
                    "rank {} is outside 2..={} (rank 1 needs no criteria)",
                    c.rank,
                    spec.top_rank()
                ),
            );
        }
        check_reads(&path, &c.metrics, &c.interventions, &declared)?;
    }
    for (i, s) in spec.signals.iter().enumerate() {
        check_reads(
            &format!("model.signals[{i}] ('{}')", s.id),
            &s.metrics,
            &s.interventions,
            &declared,
        )?;
    }
    for rank in 2..=spec.top_rank() {
        if !spec.criteria.iter().any(|c| c.rank == rank) {
            return fail(
                "model.criteria".into(),
                format!("rank {rank} has no criteria, so it could never be told apart"),
            );
        }
    }
    Ok(())
}

/// A criterion or signal reads declared metrics only, and says what to do.
fn check_reads(
    path: &str,
    metrics: &[String],
    interventions: &[InterventionSpec],
    declared: &HashSet<&str>,
) -> Result<()> {
    let fail = |message: String| {
        Err(ContractError {
            path: path.to_owned(),
            message,
        })
    };
    if metrics.is_empty() {
        return fail("reads no metrics: list the metrics it reads in `metrics`".into());
    }
    if interventions.is_empty() {
        return fail("has no interventions: say what to do when it does not hold".into());
    }
    if let Some(i) = interventions.iter().find(|i| i.metrics.is_empty()) {
        return fail(format!(
            "intervention '{}' names no metrics it would move",
            i.id
        ));
    }
    let named = metrics
        .iter()
        .chain(interventions.iter().flat_map(|i| &i.metrics));
    if let Some(name) = named
        .into_iter()
        .find(|name| !declared.contains(name.as_str()))
    {
        return fail(format!(
            "names metric '{name}', which the model does not declare"
        ));
    }
    Ok(())
}

fn unique<'a>(path: &str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ContractError {
                path: path.into(),
                message: format!("'{id}' is declared twice"),
            });
        }
    }
    Ok(())
}
