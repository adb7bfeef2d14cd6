//! The assessment pipeline: validate the request, evaluate the model on it,
//! explain when asked, and shape the answer.

use crate::engine::assessment::{
    AssessRequest, Assessment, CriterionResult, Horizon, Intervention, View,
};
use crate::engine::error::EngineError;
use crate::engine::evaluate::outcome::Decided;
use crate::engine::evaluate::run::Run;
use crate::engine::evaluate::{self, Evaluation, dimensions, input, plan, standing};
use crate::engine::explain::{self, levers};
use crate::engine::model::Model;
use crate::engine::model::spec::{CriterionSpec, ModelSpec};
use crate::engine::sandbox::{Budget, DeadlineGuard, Limits};
use crate::engine::value::{Names, Text};

/// Assesses one organisation on `model`, within the sandbox's limits and
/// the caller's `budget`.
pub(crate) fn assess(
    engine: &rhai::Engine,
    limits: &Limits,
    model: &Model,
    request: &AssessRequest,
    budget: &Budget,
) -> Result<Assessment, EngineError> {
    let resolved = input::validate(model, request)?;
    // A basic answer never explains itself.
    let explain = request.explain && request.view == View::Full;
    let _deadline = DeadlineGuard::start(limits.time_for(explain), budget.clone());
    let run = Run {
        engine,
        limits,
        model,
        metrics: &request.metrics,
        values: resolved.values,
        explain,
    };
    let spec = model.spec();
    let evaluation = evaluate::evaluate(&run)?;
    if request.view == View::Basic {
        return Ok(basic(&run, request, &evaluation));
    }
    let criteria = criteria(&run, &evaluation.criteria)?;
    let (missing_metrics, confidence) = standing::missing(model, &evaluation.criteria, &run.values);
    let (why_not_higher, found) = if explain {
        let Evaluation {
            level,
            derived,
            ceiling,
            ..
        } = evaluation;
        let why = explain::why_not_higher(spec, level, derived, ceiling, &criteria);
        (why, levers::find(&run, &evaluation)?)
    } else {
        (String::new(), levers::Found::default())
    };
    let plan = plan_of(&run, request, &evaluation);
    Ok(Assessment {
        criteria,
        missing_metrics,
        ignored_metrics: resolved.ignored.into_iter().map(str::to_owned).collect(),
        why_not_higher,
        levers: found.levers,
        levers_reach_next_level: found.reach_next_level,
        ..standing_of(&run, request, &evaluation, confidence, plan)
    })
}

/// The basic view: the standing, dimensions and the ids and titles of what
/// is due now, without building criteria or descriptions.
fn basic(run: &Run<'_>, request: &AssessRequest, evaluation: &Evaluation) -> Assessment {
    let (_, confidence) = standing::missing(run.model, &evaluation.criteria, &run.values);
    let now = plan_of(run, request, evaluation)
        .into_iter()
        .filter(|i| i.horizon == Horizon::Now)
        .map(|i| Intervention {
            description: Text::default(),
            metrics: Names::from([]),
            reason: String::new(),
            ..i
        })
        .collect();
    standing_of(run, request, evaluation, confidence, now)
}

/// The plan for the organisation, up to the rank the request asks for.
fn plan_of(run: &Run<'_>, request: &AssessRequest, evaluation: &Evaluation) -> Vec<Intervention> {
    let criteria = &evaluation.criteria;
    let (level, fired) = (evaluation.level, &evaluation.fired);
    plan::plan(
        run.model.spec(),
        criteria,
        level,
        fired,
        request.target_rank,
    )
}

/// The answer's standing (levels, score, confidence, dimensions) with
/// `interventions`, and no criteria or explanation.
fn standing_of(
    run: &Run<'_>,
    request: &AssessRequest,
    evaluation: &Evaluation,
    confidence: f64,
    interventions: Vec<Intervention>,
) -> Assessment {
    let (model, spec) = (run.model, run.model.spec());
    let level = |rank| {
        spec.level(rank)
            .cloned()
            .unwrap_or_else(|| spec.levels[0].clone())
    };
    Assessment {
        model: spec.id.clone(),
        model_version: spec.version.clone(),
        script_sha256: model.sha256_text().clone(),
        subject_id: request.subject_id.clone(),
        level: level(evaluation.level),
        next_level: spec.level(evaluation.level + 1).cloned(),
        ceiling: level(evaluation.ceiling),
        score: standing::score(spec, evaluation.level, &evaluation.criteria),
        confidence,
        dimensions: dimensions::dimensions(spec, &evaluation.criteria),
        interventions,
        criteria: Vec::new(),
        missing_metrics: Vec::new(),
        ignored_metrics: Vec::new(),
        why_not_higher: String::new(),
        levers: Vec::new(),
        levers_reach_next_level: false,
    }
}

/// Every criterion's result, in declaration order, with what it observed
/// and its requirements when explaining.
fn criteria(run: &Run<'_>, decided: &[Decided]) -> Result<Vec<CriterionResult>, EngineError> {
    let spec: &ModelSpec = run.model.spec();
    let mut results = Vec::with_capacity(spec.criteria.len());
    for (c, d) in spec.criteria.iter().zip(decided) {
        results.push(criterion(run, c, d)?);
    }
    Ok(results)
}

fn criterion(
    run: &Run<'_>,
    c: &CriterionSpec,
    decided: &Decided,
) -> Result<CriterionResult, EngineError> {
    let (observed, requirements) = if run.explain {
        (
            observed(run, &c.texts.metrics),
            explain::requirements(run, c, decided)?,
        )
    } else {
        (String::new(), Vec::new())
    };
    Ok(CriterionResult {
        texts: std::sync::Arc::clone(&c.texts),
        rank: c.rank,
        passed: decided.outcome == crate::engine::assessment::Outcome::Passed,
        outcome: decided.outcome,
        observed,
        missing_metrics: standing::missing_of(c, decided, &run.values),
        requirements,
    })
}

/// "name=value" pairs of the metrics `names`, "missing" where not supplied.
fn observed(run: &Run<'_>, names: &[Text]) -> String {
    let pairs: Vec<String> = names
        .iter()
        .map(|n| match run.metrics.get(n.as_str()) {
            Some(value) => format!("{n}={value}"),
            None => format!("{n}=missing"),
        })
        .collect();
    pairs.join(", ")
}
