//! One evaluation of a model on one organisation's metrics: decides a
//! condition natively where it can and by calling the script where it must,
//! says "unknown" where the answer hangs on a metric that was not supplied,
//! and turns script failures into typed errors.

use rhai::{Dynamic, EvalAltResult, FnPtr, Map};

use crate::engine::diagnostic::{self, Diagnostic};
use crate::engine::error::{EngineError, SandboxLimit};
use crate::engine::model::Model;
use crate::engine::model::predicate::Native;
use crate::engine::model::spec::Condition;
use crate::engine::sandbox::{self, Limits, Stop};
use crate::engine::value::{MetricValue, Metrics};

/// One evaluation of a model on a set of metrics.
pub(crate) struct Run<'a> {
    pub(crate) engine: &'a rhai::Engine,
    pub(crate) limits: &'a Limits,
    pub(crate) model: &'a Model,
    pub(crate) metrics: &'a Metrics,
    /// Each declared metric's value in `metrics`, by declared position.
    pub(crate) values: Vec<Option<&'a MetricValue>>,
    /// Whether the evaluation explains itself (it then has more time).
    pub(crate) explain: bool,
}

impl Run<'_> {
    /// Whether `condition` holds on the organisation's metrics; `None` when
    /// the answer hangs on a metric that was not supplied.
    pub(crate) fn decide(
        &self,
        condition: &Condition,
        context: impl Fn() -> String,
    ) -> Result<Option<bool>, EngineError> {
        self.decide_on(condition, |at| self.values[at], context)
    }

    /// Whether `condition` holds on the metrics `read` gives by declared
    /// position: natively when it was compiled and can, else by calling the
    /// script with the supplied metrics it lists.
    pub(crate) fn decide_on<'v>(
        &self,
        condition: &Condition,
        read: impl Fn(usize) -> Option<&'v MetricValue>,
        context: impl Fn() -> String,
    ) -> Result<Option<bool>, EngineError> {
        match condition.native.as_ref().map(|p| p.decide(&read)) {
            Some(Native::Holds(holds)) => return Ok(Some(holds)),
            Some(Native::Missing) => return Ok(None),
            Some(Native::Script) | None => {}
        }
        let mut map = Map::new();
        let mut missing = Vec::new();
        for (name, &at) in condition.metrics.iter().zip(&condition.positions) {
            match read(at) {
                Some(value) => {
                    map.insert(name.as_str().into(), to_dynamic(value));
                }
                None => missing.push(name.as_str()),
            }
        }
        match self.call(&condition.function, map) {
            Ok(holds) => Ok(Some(holds)),
            // The script read a metric it lists that was not supplied.
            Err(err) if reads_missing(&err, &missing) => Ok(None),
            Err(err) => Err(self.error(context(), &err)),
        }
    }

    /// Runs a check on the metric map `m`, unless the evaluation must stop.
    fn call(&self, check: &FnPtr, m: Map) -> Result<bool, Box<EvalAltResult>> {
        // Short checks never reach the sandbox's progress callback, so the
        // time limit, deadline and cancellation are also checked per call.
        if let Some(stop) = sandbox::stop_now() {
            return Err(
                EvalAltResult::ErrorTerminated(stop.token().into(), rhai::Position::NONE).into(),
            );
        }
        check.call::<bool>(self.engine, self.model.ast(), (m,))
    }

    /// Lets the script's `level` function, if any, override a derived rank.
    pub(crate) fn level_override(&self, derived: i32) -> Result<i32, EngineError> {
        let spec = self.model.spec();
        let Some(level) = &spec.level_override else {
            return Ok(derived);
        };
        // The declared metrics supplied, as the script sees them.
        let map: Map = spec
            .metrics
            .iter()
            .zip(&self.values)
            .filter_map(|(m, value)| Some((m.name.as_str().into(), to_dynamic((*value)?))))
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
                    model: spec.id.to_string(),
                    context: context(),
                    diagnostic: Box::new(diagnostic),
                })
            }
        }
    }

    /// Stops here when the evaluation must (native checks never reach the
    /// sandbox's callbacks).
    pub(crate) fn check_stop(&self, context: impl Fn() -> String) -> Result<(), EngineError> {
        match sandbox::stop_now() {
            Some(stop) => Err(self.stopped(stop, context())),
            None => Ok(()),
        }
    }

    fn error(&self, context: String, err: &EvalAltResult) -> EngineError {
        let model = self.model.id().to_owned();
        let limit = |limit, max| EngineError::ScriptLimit {
            model: model.clone(),
            context: context.clone(),
            limit,
            max,
        };
        match diagnostic::innermost(err) {
            EvalAltResult::ErrorTooManyOperations(_) => limit(
                SandboxLimit::Operations,
                self.limits.max_operations.to_string(),
            ),
            EvalAltResult::ErrorStackOverflow(_) => limit(
                SandboxLimit::CallDepth,
                self.limits.max_call_levels.to_string(),
            ),
            EvalAltResult::ErrorTerminated(token, _) => {
                self.stopped(Stop::from_token(token).unwrap_or(Stop::TimeLimit), context)
            }
            EvalAltResult::ErrorDataTooLarge(what, _) => {
                limit(SandboxLimit::DataSize, what.clone())
            }
            EvalAltResult::ErrorPropertyNotFound(name, _) => {
                let mut diagnostic = self.model.diagnose(err);
                // Only a declared metric can be missing from `m` for want
                // of listing; any other name is a key its map lacks (a
                // misspelt threshold: `R2.stage_defined`).
                diagnostic.message = if self.model.metric(name).is_some() {
                    format!("reads metric '{name}', which is not in its `metrics` list")
                } else {
                    format!(
                        "reads '{name}', which is not a key of the map it reads from (nor a metric the model declares)"
                    )
                };
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

    /// The error for an evaluation stopped from outside the script.
    fn stopped(&self, stop: Stop, context: String) -> EngineError {
        let model = self.model.id().to_owned();
        match stop {
            Stop::TimeLimit => EngineError::ScriptLimit {
                model,
                context,
                limit: SandboxLimit::Time,
                max: format!("{:?}", self.limits.time_for(self.explain)),
            },
            Stop::Deadline => EngineError::DeadlineExceeded { model, context },
            Stop::Cancelled => EngineError::Cancelled { model, context },
        }
    }
}

/// Whether `err` is the script reading one of the `missing` metrics.
fn reads_missing(err: &EvalAltResult, missing: &[&str]) -> bool {
    matches!(
        diagnostic::innermost(err),
        EvalAltResult::ErrorPropertyNotFound(name, _) if missing.contains(&name.as_str())
    )
}

/// A validated value in the type a script compares it as. Every number,
/// counts included, arrives as a float, so `m.closing_reps / m.sales_reps`
/// is real division (7 / 10 = 0.7, never a truncated 0) and no count can
/// overflow integer arithmetic.
pub(crate) fn to_dynamic(value: &MetricValue) -> Dynamic {
    match value {
        MetricValue::Number(n) => Dynamic::from_float(*n),
        MetricValue::Flag(b) => Dynamic::from_bool(*b),
        MetricValue::Text(t) => Dynamic::from(t.clone()),
    }
}
