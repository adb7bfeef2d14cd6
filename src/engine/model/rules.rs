//! The model contract's rules that hold across a whole declaration: levels,
//! unique ids, criteria at every rank, declared metrics and dimensions, and
//! checks that read only what they list.

use std::collections::HashSet;

use rhai::AST;

use crate::engine::model::fields::{ContractError, Problems, Result, did_you_mean};
use crate::engine::model::outline::Place;
use crate::engine::model::reads::metric_reads;
use crate::engine::model::spec::{InterventionSpec, ModelSpec};

/// The rules that hold across the whole declaration; every breach is noted.
pub(crate) fn check_model(spec: &ModelSpec, problems: &Problems) {
    let note = |r: Result<()>| {
        problems.record(r);
    };
    if spec.levels.len() < 2 {
        let message = "a model needs at least two levels".into();
        problems.push(ContractError::new(Place::at("model.levels"), message));
    }
    let ids = |list: &'static str, what, ids: Vec<&str>| {
        note(unique(&format!("model.{list}"), what, ids.into_iter()));
    };
    ids(
        "levels",
        "level",
        spec.levels.iter().map(|l| l.id.as_str()).collect(),
    );
    ids(
        "metrics",
        "metric",
        spec.metrics.iter().map(|m| m.name.as_str()).collect(),
    );
    ids(
        "criteria",
        "criterion",
        spec.criteria.iter().map(|c| c.texts.id.as_str()).collect(),
    );
    ids(
        "dimensions",
        "dimension",
        spec.dimensions.iter().map(|d| d.id.as_str()).collect(),
    );
    if spec.criteria.is_empty() {
        let message = "the model has no criteria, so every organisation would sit at rank 1".into();
        problems.push(ContractError::new(Place::at("model.criteria"), message));
    }
    let declared: HashSet<&str> = spec.metrics.iter().map(|m| m.name.as_str()).collect();
    for (i, c) in spec.criteria.iter().enumerate() {
        let path = format!("model.criteria[{i}]");
        note(check_rank(spec, &path, &c.texts.id, c.rank));
        note(check_dimension(
            spec,
            &path,
            &c.texts.id,
            &c.texts.dimension,
        ));
        let what = format!("criterion '{}'", c.texts.id);
        note(check_interventions(
            &path,
            &what,
            &c.interventions,
            &declared,
        ));
        for (j, evidence) in c.evidence.iter().enumerate() {
            let at = if c.evidence.len() == 1 {
                path.clone()
            } else {
                format!("{path}.any_of[{j}]")
            };
            note(check_metrics(
                &at,
                &what,
                &evidence.check.metrics,
                &declared,
            ));
            let applies = evidence.applies.iter().flat_map(|a| &a.metrics);
            for name in applies.filter(|n| !declared.contains(n.as_str())) {
                let hint = did_you_mean(name, declared.iter().copied());
                let message = format!(
                    "{what}: `applies` reads metric '{name}', which the model does not declare{hint}"
                );
                problems.push(ContractError::new(
                    Place::at(format!("{at}.applies")),
                    message,
                ));
            }
        }
    }
    for (i, s) in spec.signals.iter().enumerate() {
        let what = format!("signal '{}'", s.id);
        let path = format!("model.signals[{i}]");
        note(check_interventions(
            &path,
            &what,
            &s.interventions,
            &declared,
        ));
        note(check_metrics(&path, &what, &s.check.metrics, &declared));
    }
    note(check_interventions(
        "model",
        "the model's `sustain`",
        &spec.sustain,
        &declared,
    ));
    for rank in 2..=spec.top_rank() {
        if !spec.criteria.iter().any(|c| c.rank == rank) {
            let message = format!("rank {rank} has no criteria, so it could never be told apart");
            problems.push(ContractError::new(Place::at("model.criteria"), message));
        }
    }
}

fn check_rank(spec: &ModelSpec, path: &str, id: &str, rank: i32) -> Result<()> {
    if (2..=spec.top_rank()).contains(&rank) {
        return Ok(());
    }
    let message = format!(
        "criterion '{id}': rank {rank} is outside 2..={} (rank 1 needs no criteria)",
        spec.top_rank()
    );
    Err(ContractError::new(
        Place::at(format!("{path}.rank")),
        message,
    ))
}

/// A criterion names one of the declared dimensions, when there are any.
fn check_dimension(spec: &ModelSpec, path: &str, id: &str, dimension: &str) -> Result<()> {
    let place = || Place::at(format!("{path}.dimension"));
    let ids = || {
        let ids: Vec<&str> = spec.dimensions.iter().map(|d| d.id.as_str()).collect();
        ids.join(", ")
    };
    match (spec.dimensions.is_empty(), dimension.is_empty()) {
        (true, true) => Ok(()),
        (true, false) => {
            let message = format!(
                "criterion '{id}' names dimension '{dimension}', but the model declares no `dimensions`"
            );
            Err(ContractError::new(place(), message))
        }
        (false, true) => {
            let message = format!("criterion '{id}' needs a `dimension`: one of {}", ids());
            Err(ContractError::new(Place::at(path.to_owned()), message))
        }
        (false, false) if spec.dimensions.iter().any(|d| d.id == dimension) => Ok(()),
        (false, false) => {
            let message = format!(
                "criterion '{id}' names dimension '{dimension}', which the model does not declare{}; declared: {}",
                did_you_mean(dimension, spec.dimensions.iter().map(|d| d.id.as_str())),
                ids()
            );
            Err(ContractError::new(
                Place::literal(format!("{path}.dimension"), dimension, 1),
                message,
            ))
        }
    }
}

/// A check reads at least one metric, and only declared ones.
fn check_metrics(
    path: &str,
    what: &str,
    metrics: &[String],
    declared: &HashSet<&str>,
) -> Result<()> {
    if metrics.is_empty() {
        let message = format!("{what} reads no metrics: list the metrics it reads in `metrics`");
        return Err(ContractError::new(
            Place::at(format!("{path}.metrics")),
            message,
        ));
    }
    if let Some(name) = undeclared(metrics, declared) {
        let hint = did_you_mean(name, declared.iter().copied());
        let message =
            format!("{what} lists metric '{name}', which the model does not declare{hint}");
        return Err(ContractError::new(
            Place::literal(format!("{path}.metrics"), name, 1),
            message,
        ));
    }
    Ok(())
}

/// A criterion or signal says what to do, and each action names the
/// declared metrics it would move.
fn check_interventions(
    path: &str,
    what: &str,
    interventions: &[InterventionSpec],
    declared: &HashSet<&str>,
) -> Result<()> {
    let fail =
        |place: Place, message: String| Err(ContractError::new(place, format!("{what} {message}")));
    if interventions.is_empty() && path != "model" {
        let message = "has no interventions: say what to do when it does not hold".into();
        return fail(Place::at(format!("{path}.interventions")), message);
    }
    let key = if path == "model" {
        "sustain"
    } else {
        "interventions"
    };
    for (j, intervention) in interventions.iter().enumerate() {
        let at = format!("{path}.{key}[{j}].metrics");
        if intervention.metrics.is_empty() {
            let message = format!(
                "has intervention '{}' naming no metrics it would move",
                intervention.id
            );
            return fail(Place::at(at), message);
        }
        if let Some(name) = undeclared(&intervention.metrics, declared) {
            let hint = did_you_mean(name, declared.iter().copied());
            let message = format!(
                "has intervention '{}' naming metric '{name}', which the model does not declare{hint}",
                intervention.id
            );
            return fail(Place::literal(at, name, 1), message);
        }
    }
    Ok(())
}

fn undeclared<'a, S: AsRef<str>>(names: &'a [S], declared: &HashSet<&str>) -> Option<&'a str> {
    names
        .iter()
        .map(AsRef::as_ref)
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
pub(crate) fn check_declared_reads(spec: &ModelSpec, ast: &AST, problems: &Problems) {
    let declared: HashSet<&str> = spec.metrics.iter().map(|m| m.name.as_str()).collect();
    let criteria = spec.criteria.iter().flat_map(|c| {
        c.evidence
            .iter()
            .map(move |e| (format!("criterion '{}'", c.texts.id), &e.check))
    });
    let signals = spec
        .signals
        .iter()
        .map(|s| (format!("signal '{}'", s.id), &s.check));
    for (what, check) in criteria.chain(signals) {
        let (check, listed) = (&check.function, &check.metrics);
        for read in metric_reads(ast, check)
            .into_iter()
            .filter(|r| !listed.contains(&r.metric))
        {
            let message = if declared.contains(read.metric.as_str()) {
                format!(
                    "{what} reads metric '{}', which is not in its `metrics` list",
                    read.metric
                )
            } else {
                let hint = did_you_mean(&read.metric, declared.iter().copied());
                format!(
                    "{what} reads metric '{}', which the model does not declare{hint}",
                    read.metric
                )
            };
            // The declaration is whole: a check reading an unlisted metric
            // sees it as missing, so the probes that find other problems
            // of the same file still run.
            let place = Place::Exact(read.pos, check.fn_name().to_owned());
            problems.push_aside(ContractError::new(place, message));
        }
    }
    if let Some(level) = &spec.level_override {
        for read in metric_reads(ast, level)
            .into_iter()
            .filter(|r| !declared.contains(r.metric.as_str()))
        {
            let message = format!(
                "the level override reads metric '{}', which the model does not declare",
                read.metric
            );
            let place = Place::Exact(read.pos, level.fn_name().to_owned());
            problems.push(ContractError::new(place, message));
        }
    }
}
