//! A model and its contract: compiling a script, reading what it declares
//! and checking that against the contract. Compiled once at load, shared
//! read-only.
//!
//! - `sources`: the script files a model is compiled from, and their hash.
//! - `contract`, `fields`, `rules`: reading the declaration and checking
//!   the contract.
//! - `readers`: which evidence reads each metric, for what is missing.
//! - `outline`: where each part of a declaration is written, for diagnostics.
//! - `spec`, `metric_spec`: the declaration as plain Rust values.
//! - `reads`: which metrics a check reads, found in its source.
//! - `sanity`: what running the declaration reveals (non-bool checks,
//!   criteria that can never hold, a standard metric redeclared).
//! - `predicate`: checks compiled to native expression trees.

pub(crate) mod contract;
pub(crate) mod fields;
pub(crate) mod metric_spec;
pub(crate) mod outline;
pub(crate) mod predicate;
pub(crate) mod readers;
pub(crate) mod reads;
pub(crate) mod rules;
pub(crate) mod sanity;
pub(crate) mod sources;
pub(crate) mod spec;

use std::collections::HashMap;

use rhai::{AST, EvalAltResult};

use crate::engine::diagnostic::Diagnostic;
use crate::engine::error::LoadError;
use crate::engine::model::fields::{ContractError, Problems};
use crate::engine::model::metric_spec::{MetricKind, MetricSpec};
use crate::engine::model::outline::{Outline, Place};
use crate::engine::model::predicate::Predicate;
use crate::engine::model::readers::Readers;
use crate::engine::model::sources::{ScriptSource, Sources};
use crate::engine::model::spec::{Condition, ModelSpec};
use crate::engine::sandbox::{Budget, DeadlineGuard, Limits};
use crate::engine::value::Text;

/// A loaded maturity model.
#[derive(Debug)]
pub struct Model {
    spec: ModelSpec,
    ast: AST,
    sha256: Text,
    sources: Sources,
    /// Declared metric names, sorted, with their declared positions.
    by_name: Vec<(String, usize)>,
    /// Whether no script runs when assessing without explanation.
    evaluates_natively: bool,
    /// For each declared metric, the evidence it matters to only, when
    /// that evidence has an `applies` condition.
    readers: Readers,
    /// See [`Model::warnings`].
    warnings: Vec<String>,
}

impl Model {
    /// Compiles `script` together with the helper scripts in `libs`, runs it
    /// once on `loader` to read its declaration, and checks the model
    /// contract, probing its checks on `runner`, under the limits calls
    /// have (a check that passes them every time is warned of); with
    /// `native`, compiles the checks that are simple enough to native code.
    /// Running stops at the load time limit or at `budget`'s end.
    pub(crate) fn compile(
        (engine, runner): (&rhai::Engine, &rhai::Engine),
        limits: &Limits,
        (script, libs): (&ScriptSource, &[ScriptSource]),
        native: bool,
        budget: &Budget,
    ) -> Result<Self, LoadError> {
        let mut sources = Sources::new(script, libs);
        let ast = sources.compile(|source| compile_one(engine, limits, source))?;
        let declared = {
            let _deadline = DeadlineGuard::start(limits.max_load_time, budget.clone());
            engine.eval_ast::<rhai::Dynamic>(&ast)
        };
        let value = declared.map_err(|err| LoadError::Script(Box::new(sources.diagnose(&err))))?;
        let problems = Problems::default();
        let mut warnings = Vec::new();
        let spec = contract::read_model(value, &ast, &problems).map(|mut spec| {
            compile_checks(&mut spec, &ast, native);
            warnings = sanity::check(
                (engine, runner),
                (limits, budget),
                (&ast, &sources),
                &spec,
                &problems,
            );
            spec
        });
        let spec = match spec {
            Some(spec) if problems.is_empty() => spec,
            _ => return Err(contract_error(&sources, problems.into_vec())),
        };
        let mut by_name: Vec<(String, usize)> = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        by_name.sort();
        let evaluates_natively =
            spec.level_override.is_none() && conditions(&spec).all(|(_, c)| c.is_native());
        let readers = Readers::of(&spec);
        Ok(Self {
            readers,
            spec,
            ast,
            sha256: sources.sha256().into(),
            sources,
            by_name,
            evaluates_natively,
            warnings,
        })
    }

    /// What loading found that does not stop the model from serving but
    /// will fail calls: a check that failed on every value tried.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The model's declaration.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The model's id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Hex SHA-256 over the model script and the helpers compiled with it.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The same hash, to quote in an answer without copying it.
    pub fn sha256_text(&self) -> &Text {
        &self.sha256
    }

    /// Whether every check runs as native code and no level rule is
    /// scripted: an assessment without explanation then takes microseconds
    /// and calls no script (except to report a check's own error).
    pub fn evaluates_natively(&self) -> bool {
        self.evaluates_natively
    }

    /// The criteria and signals whose checks run as script calls because
    /// they are more than comparisons of metrics with constants, e.g.
    /// `criterion 'crm_in_use'`.
    pub fn scripted_checks(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (what, _) in conditions(&self.spec).filter(|(_, c)| !c.is_native()) {
            if !out.contains(&what) {
                out.push(what);
            }
        }
        out
    }

    /// Which evidence each declared metric matters to.
    pub(crate) fn readers(&self) -> &Readers {
        &self.readers
    }

    /// The model script's file name.
    pub fn file(&self) -> &str {
        &self.sources.model().file
    }

    /// Whether its file is named after its id (`five_stage.rhai`): of two
    /// files declaring one id, that one serves, not a copy beside it.
    pub fn named_after_its_file(&self) -> bool {
        let file = self.file();
        file.strip_suffix(".rhai").unwrap_or(file) == self.id()
    }

    /// The declaration of metric `name`, if the model reads it.
    pub fn metric(&self, name: &str) -> Option<&MetricSpec> {
        self.position(name).map(|i| &self.spec.metrics[i])
    }

    /// Where metric `name` stands in the model's declaration.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        let found = self.by_name.binary_search_by(|(n, _)| n.as_str().cmp(name));
        found.ok().map(|at| self.by_name[at].1)
    }

    /// Declared metric names in sorted order, with their positions.
    pub(crate) fn by_name(&self) -> &[(String, usize)] {
        &self.by_name
    }

    pub(crate) fn ast(&self) -> &AST {
        &self.ast
    }

    /// Pins a run-time error to the script file and line it came from.
    pub(crate) fn diagnose(&self, err: &EvalAltResult) -> Diagnostic {
        self.sources.diagnose(err)
    }
}

/// Every condition of the model (criteria's checks and `applies`, then
/// signals'), with what it belongs to, e.g. `criterion 'crm_in_use'`.
fn conditions(spec: &ModelSpec) -> impl Iterator<Item = (String, &Condition)> {
    let criteria = spec.criteria.iter().flat_map(|c| {
        c.evidence.iter().flat_map(move |e| {
            let what = format!("criterion '{}'", c.texts.id);
            let applies = e.applies.iter().map({
                let what = what.clone();
                move |a| (format!("{what} (applies)"), a)
            });
            std::iter::once((what, &e.check)).chain(applies)
        })
    });
    let signals = spec
        .signals
        .iter()
        .map(|s| (format!("signal '{}'", s.id), &s.check));
    criteria.chain(signals)
}

/// Resolves every condition's metrics to declared positions, and compiles
/// each one that is simple enough to native code.
fn compile_checks(spec: &mut ModelSpec, ast: &AST, native: bool) {
    let declared: HashMap<String, (usize, MetricKind)> = spec
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), (i, m.kind)))
        .collect();
    let metric = |name: &str| declared.get(name).copied();
    // The contract has checked that every listed metric is declared.
    let resolve = |c: &mut Condition| {
        c.positions = c
            .metrics
            .iter()
            .filter_map(|n| Some(metric(n)?.0))
            .collect();
        c.native = native
            .then(|| Predicate::compile(ast, &c.function, metric))
            .flatten();
    };
    for c in &mut spec.criteria {
        for e in &mut c.evidence {
            resolve(&mut e.check);
            if let Some(applies) = &mut e.applies {
                resolve(applies);
            }
        }
    }
    for s in &mut spec.signals {
        resolve(&mut s.check);
    }
}

/// Places each contract breach at its line and column: in the model
/// script, or in the helper that defines the function it was found in.
fn contract_error(sources: &Sources, breaches: Vec<ContractError>) -> LoadError {
    let script = sources.model();
    let outline = Outline::parse(&script.text);
    let diagnostics = breaches
        .into_iter()
        .map(|ContractError { place, message }| {
            let (file, message) = match &place {
                Place::Path(path) | Place::Literal { path, .. } => {
                    (script, format!("{path}: {message}"))
                }
                Place::Exact(_, function) => (sources.defining(function), message),
            };
            let pos = outline.locate(&place, &script.text);
            Diagnostic::at(&file.file, &file.text, pos, message)
        })
        .collect();
    LoadError::Contract(diagnostics)
}

fn compile_one(
    engine: &rhai::Engine,
    limits: &Limits,
    source: &ScriptSource,
) -> Result<AST, LoadError> {
    if source.text.len() > limits.max_source_size {
        return Err(LoadError::TooLarge {
            file: source.file.clone(),
            actual: source.text.len(),
            limit: limits.max_source_size,
        });
    }
    engine.compile(&source.text).map_err(|err| {
        LoadError::Script(Box::new(Diagnostic::from_parse(
            &source.file,
            &source.text,
            &err,
        )))
    })
}
