//! Runs a model's criteria and signals on one organisation and derives what
//! is mechanical: the cumulative level, score, confidence and missing metrics.

pub(crate) mod input;
pub(crate) mod plan;

use rhai::{Dynamic, EvalAltResult, FnPtr, Map};

use crate::engine::assessment::{AssessRequest, Assessment, CriterionResult};
use crate::engine::diagnostic::Diagnostic;
use crate::engine::error::EngineError;
use crate::engine::evaluate::plan::recommend;
use crate::engine::explain;
use crate::engine::explain::levers;
use crate::engine::model::Model;
use crate::engine::model::metric_spec::MetricKind;
use crate::engine::model::spec::{Check, CriterionSpec, ModelSpec};
use crate::engine::sandbox::{self, Budget, DeadlineGuard, Limits, Stop};
use crate::engine::value::{MetricValue, Metrics};

/// Assesses one organisation on `model`, within the sandbox's limits and
/// the caller's `budget`.
pub(crate) fn evaluate(
    engine: &rhai::Engine,
    limits: &Limits,
    model: &Model,
    request: &AssessRequest,
    budget: &Budget,
) -> Result<Assessment, EngineError> {
    let resolved = input::validate(model, request)?;
    let time = if request.explain {
        limits.max_explain_time
    } else {
        limits.max_time
    };
    let _deadline = DeadlineGuard::start(time, budget.clone());
    let run = Run {
        engine,
        limits,
        model,
        metrics: &request.metrics,
        values: resolved.values,
        explain: request.explain,
    };
    let spec = model.spec();
    let criteria = run.criteria()?;
    let derived = derive_rank(spec, &criteria);
    let rank = run.level(derived)?;
    let fired = run.fired_signals()?;
    let missing_metrics: Vec<String> = spec
        .metrics
        .iter()
        .zip(&run.values)
        .filter(|(_, value)| value.is_none())
        .map(|(m, _)| m.name.clone())
        .collect();
    let (why_not_higher, found) = if request.explain {
        let why = explain::why_not_higher(spec, rank, derived, &criteria);
        (why, levers::find(&run, rank, &criteria)?)
    } else {
        (String::new(), levers::Found::default())
    };
    Ok(Assessment {
        model: spec.id.clone(),
        model_version: spec.version.clone(),
        script_sha256: model.sha256().to_owned(),
        subject_id: request.subject_id.clone(),
        level: spec
            .level(rank)
            .cloned()
            .unwrap_or_else(|| spec.levels[0].clone()),
        next_level: spec.level(rank + 1).cloned(),
        score: score(spec, rank, &criteria),
        confidence: confidence(spec.metrics.len(), missing_metrics.len()),
        interventions: recommend(spec, rank, &criteria, &fired),
        criteria,
        missing_metrics,
        ignored_metrics: resolved.ignored.into_iter().map(str::to_owned).collect(),
        why_not_higher,
        levers: found.levers,
        levers_reach_next_level: found.reach_next_level,
    })
}

/// The highest rank whose criteria, and every lower rank's, all hold.
pub(crate) fn derive_rank(spec: &ModelSpec, criteria: &[CriterionResult]) -> i32 {
    let holds = |rank| criteria.iter().filter(|c| c.rank == rank).all(|c| c.passed);
    (2..=spec.top_rank())
        .take_while(|&rank| holds(rank))
        .last()
        .unwrap_or(1)
}

/// The rank plus the share of the next rank's criteria already met, kept
/// below the next rank even when a script override holds the level down.
fn score(spec: &ModelSpec, rank: i32, criteria: &[CriterionResult]) -> f64 {
    let next: Vec<&CriterionResult> = criteria.iter().filter(|c| c.rank == rank + 1).collect();
    if next.is_empty() {
        return f64::from(rank);
    }
    let met = next.iter().filter(|c| c.passed).count() as f64 / next.len() as f64;
    let top = f64::from(spec.top_rank());
    (f64::from(rank) + met.min(0.99)).min(top)
}

fn confidence(declared: usize, missing: usize) -> f64 {
    if declared == 0 {
        1.0
    } else {
        (declared - missing) as f64 / declared as f64
    }
}

/// One evaluation of a model on a set of metrics.
pub(crate) struct Run<'a> {
    pub(crate) engine: &'a rhai::Engine,
    pub(crate) limits: &'a Limits,
    pub(crate) model: &'a Model,
    pub(crate) metrics: &'a Metrics,
    /// Each declared metric's value in `metrics`, by declared position.
    pub(crate) values: Vec<Option<&'a MetricValue>>,
    /// Whether to report observed values and requirements.
    pub(crate) explain: bool,
}

impl Run<'_> {
    /// Every criterion's result, in declaration order.
    pub(crate) fn criteria(&self) -> Result<Vec<CriterionResult>, EngineError> {
        // Native checks never reach `call_check`, so stop here at least once.
        if let Some(stop) = sandbox::stop_now() {
            return Err(self.stopped(stop, "the criteria".to_owned()));
        }
        let spec = self.model.spec();
        spec.criteria.iter().map(|c| self.criterion(c)).collect()
    }

    /// The rank these metrics reach: the derived rank, after the model's
    /// level override.
    pub(crate) fn rank(&self) -> Result<i32, EngineError> {
        let criteria = self.criteria()?;
        self.level(derive_rank(self.model.spec(), &criteria))
    }

    fn criterion(&self, c: &CriterionSpec) -> Result<CriterionResult, EngineError> {
        let missing = self.missing(c.runnable());
        let passed =
            missing.is_empty() && self.check(c.runnable(), || format!("criterion '{}'", c.id))?;
        let (observed, requirements) = if self.explain {
            (self.observed(&c.metrics), explain::requirements(self, c)?)
        } else {
            (String::new(), Vec::new())
        };
        Ok(CriterionResult {
            id: c.id.clone(),
            rank: c.rank,
            passed,
            description: c.description.clone(),
            metrics: c.metrics.clone(),
            observed,
            missing_metrics: missing,
            requirements,
        })
    }

    /// Indexes of the signals whose metrics were all supplied and that hold.
    fn fired_signals(&self) -> Result<Vec<usize>, EngineError> {
        let mut fired = Vec::new();
        for (i, s) in self.model.spec().signals.iter().enumerate() {
            if self.missing(s.runnable()).is_empty()
                && self.check(s.runnable(), || format!("signal '{}'", s.id))?
            {
                fired.push(i);
            }
        }
        Ok(fired)
    }

    /// Lets the script's `level` function, if any, override the derived rank.
    fn level(&self, derived: i32) -> Result<i32, EngineError> {
        let spec = self.model.spec();
        let Some(level) = &spec.level_override else {
            return Ok(derived);
        };
        // The declared metrics supplied, as the script sees them.
        let map: Map = spec
            .metrics
            .iter()
            .zip(&self.values)
            .filter_map(|(m, value)| Some((m.name.as_str().into(), to_dynamic(m.kind, (*value)?))))
            .collect();
        let args = (map, Dynamic::from_int(derived.into()));
        let context = || "the level override".to_owned();
        let rank: rhai::INT = level
            .call(self.engine, self.model.ast(), args)
            .map_err(|e| self.error(context(), &e))?;
        match i32::try_from(rank) {
            Ok(rank) if (1..=spec.top_rank()).contains(&rank) => Ok(rank),
            _ => {
                let message = format!("returned rank {rank}, outside 1..={}", spec.top_rank());
                let diagnostic = Diagnostic::unplaced(self.model.file(), message);
                Err(EngineError::Script {
                    model: spec.id.clone(),
                    context: context(),
                    diagnostic: Box::new(diagnostic),
                })
            }
        }
    }

    /// Decides a check on the organisation's metrics.
    fn check(&self, check: Check<'_>, context: impl Fn() -> String) -> Result<bool, EngineError> {
        self.check_on(check, |at| self.values[at], context)
    }

    /// Decides a check on the metrics `read` gives by declared position:
    /// natively when it was compiled and can, else by calling the script
    /// with the check's metrics.
    pub(crate) fn check_on<'v>(
        &self,
        check: Check<'_>,
        read: impl Fn(usize) -> Option<&'v MetricValue>,
        context: impl Fn() -> String,
    ) -> Result<bool, EngineError> {
        if let Some(holds) = check.native.and_then(|p| p.holds(&read)) {
            return Ok(holds);
        }
        let declared = &self.model.spec().metrics;
        let mut map = Map::new();
        for (name, &at) in check.metrics.iter().zip(check.positions) {
            if let Some(value) = read(at) {
                map.insert(name.as_str().into(), to_dynamic(declared[at].kind, value));
            }
        }
        self.call_check(check.script, map, context)
    }

    /// Runs a check on the metric map `m`, unless the evaluation must stop.
    fn call_check(
        &self,
        check: &FnPtr,
        m: Map,
        context: impl Fn() -> String,
    ) -> Result<bool, EngineError> {
        // Short checks never reach the sandbox's progress callback, so the
        // time limit, deadline and cancellation are also checked per call.
        if let Some(stop) = sandbox::stop_now() {
            return Err(self.stopped(stop, context()));
        }
        check
            .call::<bool>(self.engine, self.model.ast(), (m,))
            .map_err(|err| self.error(context(), &err))
    }

    /// The metrics `check` reads that were not supplied.
    fn missing(&self, check: Check<'_>) -> Vec<String> {
        check
            .metrics
            .iter()
            .zip(check.positions)
            .filter(|&(_, &at)| self.values[at].is_none())
            .map(|(name, _)| name.clone())
            .collect()
    }

    fn observed(&self, names: &[String]) -> String {
        let pairs: Vec<String> = names
            .iter()
            .map(|n| match self.metrics.get(n) {
                Some(value) => format!("{n}={value}"),
                None => format!("{n}=missing"),
            })
            .collect();
        pairs.join(", ")
    }

    fn error(&self, context: String, err: &EvalAltResult) -> EngineError {
        let model = self.model.id().to_owned();
        let limit = |limit, max| EngineError::ScriptLimit {
            model: model.clone(),
            context: context.clone(),
            limit,
            max,
        };
        match super::diagnostic::innermost(err) {
            EvalAltResult::ErrorTooManyOperations(_) => {
                limit("operations", self.limits.max_operations.to_string())
            }
            EvalAltResult::ErrorStackOverflow(_) => {
                limit("call depth", self.limits.max_call_levels.to_string())
            }
            EvalAltResult::ErrorTerminated(token, _) => {
                self.stopped(Stop::from_token(token).unwrap_or(Stop::TimeLimit), context)
            }
            EvalAltResult::ErrorDataTooLarge(what, _) => limit("data size", what.clone()),
            EvalAltResult::ErrorPropertyNotFound(name, _) => {
                let mut diagnostic = self.model.diagnose(err);
                diagnostic.message =
                    format!("reads metric '{name}', which is not in its `metrics` list");
                EngineError::Script {
                    model,
                    context,
                    diagnostic: Box::new(diagnostic),
                }
            }
            _ => EngineError::Script {
                model,
                context,
                diagnostic: Box::new(self.model.diagnose(err)),
            },
        }
    }
}

impl Run<'_> {
    /// The error for an evaluation stopped from outside the script.
    fn stopped(&self, stop: Stop, context: String) -> EngineError {
        let model = self.model.id().to_owned();
        match stop {
            Stop::TimeLimit => EngineError::ScriptLimit {
                model,
                context,
                limit: "time",
                max: format!(
                    "{:?}",
                    if self.explain {
                        self.limits.max_explain_time
                    } else {
                        self.limits.max_time
                    }
                ),
            },
            Stop::Deadline => EngineError::DeadlineExceeded { model, context },
            Stop::Cancelled => EngineError::Cancelled { model, context },
        }
    }
}

/// A validated value in the type a script compares it as.
pub(crate) fn to_dynamic(kind: MetricKind, value: &MetricValue) -> Dynamic {
    match (kind, value) {
        (MetricKind::Count, MetricValue::Number(n)) => Dynamic::from_int(*n as rhai::INT),
        (_, MetricValue::Number(n)) => Dynamic::from_float(*n),
        (_, MetricValue::Flag(b)) => Dynamic::from_bool(*b),
        (_, MetricValue::Text(t)) => Dynamic::from(t.clone()),
    }
}
