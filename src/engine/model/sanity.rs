//! What the contract's shape cannot see, found by running the declaration:
//! a check that answers something other than true or false, a criterion no
//! organisation could ever meet (`>= 50` on a 0..1 ratio: no value tried
//! across the range meets it), and a standard
//! metric redeclared with another meaning. Each is a problem of the script,
//! reported with the others at load, so `maturity check` and a deploy refuse
//! it before any organisation is assessed.

use std::cell::RefCell;
use std::sync::OnceLock;

use rhai::{AST, Dynamic, EvalAltResult, Map, Scope};

use crate::engine::model::contract;
use crate::engine::model::fields::{ContractError, Problems};
use crate::engine::model::metric_spec::{MetricKind, MetricSpec};
use crate::engine::model::outline::Place;
use crate::engine::model::sources::Sources;
use crate::engine::model::spec::{Condition, Evidence, ModelSpec};
use crate::engine::sandbox::{Budget, DeadlineGuard, Limits};
use crate::engine::scripts::builtin;
use crate::engine::value::MetricValue;

/// The most value combinations tried for one condition.
const MOST_TRIES: usize = 512;

/// Notes every problem of `spec` that running it reveals, within the load
/// time limit `limits` sets and the caller's budget (a check too slow to
/// probe is not judged): its checks are probed on `engine`, under the
/// limits calls have, and the standard vocabulary is read on `loader`, as
/// declarations are. Returns a warning for each check that failed on every
/// value tried.
pub(crate) fn check(
    (loader, engine): (&rhai::Engine, &rhai::Engine),
    (limits, budget): (&Limits, &Budget),
    (ast, sources): (&AST, &Sources),
    spec: &ModelSpec,
    problems: &Problems,
) -> Vec<String> {
    let _deadline = DeadlineGuard::start(limits.max_load_time, budget.clone());
    let probe = Probe {
        engine,
        ast,
        sources,
        spec,
        failing: RefCell::new(Vec::new()),
    };
    for (i, c) in spec.criteria.iter().enumerate() {
        let path = format!("model.criteria[{i}]");
        let (mut can_hold, mut broken) = (false, false);
        for (j, e) in c.evidence.iter().enumerate() {
            let at = if c.evidence.len() == 1 {
                path.clone()
            } else {
                format!("{path}.any_of[{j}]")
            };
            match probe.evidence_can_hold(e, &format!("criterion '{}'", c.texts.id)) {
                Ok(holds) => can_hold |= holds,
                Err(message) => {
                    broken = true;
                    problems.push(problem(
                        &at,
                        &format!("criterion '{}'", c.texts.id),
                        message,
                    ));
                }
            }
        }
        if !can_hold && !broken {
            let message = format!(
                "criterion '{}' can never hold: no value tried meets it, its best included ({})",
                c.texts.id,
                probe.best_described(c.evidence.iter().map(|e| &e.check))
            );
            problems.push(ContractError::new(Place::at(path), message));
        }
    }
    for (i, s) in spec.signals.iter().enumerate() {
        let what = format!("signal '{}'", s.id);
        if let Err(message) = probe.answers(&s.check, &what) {
            problems.push(problem(&format!("model.signals[{i}]"), &what, message));
        }
    }
    // The vocabulary is declaration data, larger than a call may build.
    redeclared_vocabulary(loader, ast, spec, problems);
    probe.failing.into_inner()
}

fn problem(path: &str, what: &str, message: String) -> ContractError {
    ContractError::new(
        Place::at(format!("{path}.check")),
        format!("{what}: {message}"),
    )
}

/// Whether `err` is the sandbox stopping a check that went too far:
/// operations, call depth or data size (never the load's own time).
fn passes_a_limit(err: &EvalAltResult) -> bool {
    matches!(
        crate::engine::diagnostic::innermost(err),
        EvalAltResult::ErrorTooManyOperations(_)
            | EvalAltResult::ErrorStackOverflow(_)
            | EvalAltResult::ErrorDataTooLarge(..)
    )
}

/// "a at 0.95, b at true": the values one probe tried.
fn values_tried(values: &[(String, MetricValue)]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|(name, value)| format!("{name} at {value}"))
        .collect();
    parts.join(", ")
}

/// Runs conditions on sample values of their metrics.
struct Probe<'a> {
    engine: &'a rhai::Engine,
    ast: &'a AST,
    /// The files `ast` was compiled from, to place a failure in one.
    sources: &'a Sources,
    spec: &'a ModelSpec,
    /// A warning for each condition that failed on every value tried.
    failing: RefCell<Vec<String>>,
}

impl Probe<'_> {
    /// Whether some sample values make the evidence apply and hold; an
    /// error when a condition answers something other than a bool.
    fn evidence_can_hold(&self, e: &Evidence, what: &str) -> Result<bool, String> {
        let applies = match &e.applies {
            Some(applies) => {
                let what = format!("{what} (applies)");
                self.answers(applies, &what)?.contains(&true) || self.reads_open_text(applies)
            }
            None => true,
        };
        let holds = self.answers(&e.check, what)?.contains(&true) || self.reads_open_text(&e.check);
        Ok(applies && holds)
    }

    /// Whether the condition reads a text metric with no list of allowed
    /// values, whose samples say nothing about what could hold.
    fn reads_open_text(&self, condition: &Condition) -> bool {
        condition.positions.iter().any(|&at| {
            let m = &self.spec.metrics[at];
            m.kind == MetricKind::Text && m.allowed.is_empty()
        })
    }

    /// What `condition` answers on each combination of its metrics' sample
    /// values (at most `MOST_TRIES`); an error when one answer is not a bool.
    /// A check that fails or is stopped by a limit is not judged here (both
    /// answers): running it reports that with its line. One that fails on
    /// every value tried (not stopped by the load's own time limit) is
    /// noted in `failing`, as it would fail every call.
    fn answers(&self, condition: &Condition, what: &str) -> Result<Vec<bool>, String> {
        let mut answers = Vec::new();
        let mut failure = None;
        let mut limited = None;
        for values in self.combinations(condition) {
            let tried = values_tried(&values);
            let m: Map = values
                .into_iter()
                .map(|(name, value)| (name.into(), dynamic(&value)))
                .collect();
            let answer = match condition
                .function
                .call::<Dynamic>(self.engine, self.ast, (m,))
            {
                Ok(answer) => answer,
                Err(err) if matches!(*err, EvalAltResult::ErrorTerminated(..)) => {
                    return Ok(vec![true, false]);
                }
                Err(err) => {
                    if limited.is_none() && passes_a_limit(&err) {
                        limited = Some((self.sources.diagnose(&err), tried));
                    }
                    failure.get_or_insert(err);
                    continue;
                }
            };
            match answer.as_bool() {
                Ok(b) => answers.push(b),
                Err(type_name) => {
                    return Err(format!(
                        "the check returns {type_name} ({answer}), not true or false"
                    ));
                }
            }
        }
        match (failure, answers.is_empty()) {
            (Some(err), true) => {
                let why = self.sources.diagnose(&err);
                self.failing.borrow_mut().push(format!(
                    "{what}: the check fails on every value tried, so it will fail every call: {why}"
                ));
                Ok(vec![true, false])
            }
            (Some(_), false) => {
                // Failing on some values is the organisation's business,
                // unless a sandbox limit stops it: that is the script's.
                if let Some((why, tried)) = limited {
                    self.failing.borrow_mut().push(format!(
                        "{what}: the check stops at a sandbox limit on some values ({tried}), so calls with such values fail, and so may every explained call (explaining tries each metric's best value): {why}"
                    ));
                }
                Ok(vec![true, false])
            }
            (None, _) => Ok(answers),
        }
    }

    /// Every combination of the condition's metrics' sample values.
    fn combinations(&self, condition: &Condition) -> Vec<Vec<(String, MetricValue)>> {
        let mut out: Vec<Vec<(String, MetricValue)>> = vec![Vec::new()];
        for (name, &at) in condition.metrics.iter().zip(&condition.positions) {
            let samples = self.spec.metrics[at].sample_values();
            out = out
                .into_iter()
                .flat_map(|values| {
                    samples.iter().map(move |sample| {
                        let mut values = values.clone();
                        values.push((name.clone(), sample.clone()));
                        values
                    })
                })
                .take(MOST_TRIES)
                .collect();
        }
        out
    }

    /// "win_rate at 1, stages_defined at 1000000000" for the checks given.
    fn best_described<'c>(&self, checks: impl Iterator<Item = &'c Condition>) -> String {
        let mut parts: Vec<String> = Vec::new();
        for check in checks {
            for &at in &check.positions {
                let metric: &MetricSpec = &self.spec.metrics[at];
                let part = match metric.best_value() {
                    Some(best) => format!("{} at {best}", metric.name),
                    None => format!("{} across its range", metric.name),
                };
                if !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
        parts.join(", ")
    }
}

fn dynamic(value: &MetricValue) -> Dynamic {
    match value {
        MetricValue::Number(n) => Dynamic::from_float(*n),
        MetricValue::Flag(b) => Dynamic::from_bool(*b),
        MetricValue::Text(t) => Dynamic::from(t.clone()),
    }
}

/// A metric of the standard vocabulary (the script's `standard_vocabulary()`
/// helper when it has one, else the built-in one) declared with another
/// kind, range or direction.
fn redeclared_vocabulary(engine: &rhai::Engine, ast: &AST, spec: &ModelSpec, problems: &Problems) {
    let defines = ast
        .iter_functions()
        .any(|f| f.name == "standard_vocabulary" && f.params.is_empty());
    let own;
    let standard: &[MetricSpec] = if defines {
        let Ok(declared) =
            engine.call_fn::<rhai::Array>(&mut Scope::new(), ast, "standard_vocabulary", ())
        else {
            return;
        };
        own = contract::read_metrics(declared);
        &own
    } else {
        builtin_vocabulary(engine)
    };
    for (i, declared) in spec.metrics.iter().enumerate() {
        let Some(meant) = standard.iter().find(|s| s.name == declared.name) else {
            continue;
        };
        let shape = |m: &MetricSpec| (m.kind, m.min, m.max, m.direction);
        if shape(meant) != shape(declared) {
            let message = format!(
                "metric '{}' is {} in the standard vocabulary (docs/metrics.md) but declared here as {}: give your metric another name",
                declared.name,
                described(meant),
                described(declared)
            );
            problems.push(ContractError::new(
                Place::at(format!("model.metrics[{i}]")),
                message,
            ));
        }
    }
}

/// The standard vocabulary the binary ships with, read once.
fn builtin_vocabulary(engine: &rhai::Engine) -> &'static [MetricSpec] {
    static VOCABULARY: OnceLock<Vec<MetricSpec>> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        engine
            .compile(builtin::VOCABULARY)
            .ok()
            .and_then(|ast| {
                engine
                    .call_fn::<rhai::Array>(&mut Scope::new(), &ast, "standard_vocabulary", ())
                    .ok()
            })
            .map(contract::read_metrics)
            .unwrap_or_default()
    })
}

/// "a ratio in [0, 1], higher is better".
fn described(m: &MetricSpec) -> String {
    format!(
        "a {} in {}, better {}",
        m.kind.as_str(),
        m.range_text(),
        m.direction.as_str()
    )
}
