//! A model and its contract: compiling a script, reading what it declares
//! and checking that against the contract. Compiled once at load, shared
//! read-only.
//!
//! - `sources`: the script files a model is compiled from, and their hash.
//! - `contract`, `fields`: reading the declaration and checking the contract.
//! - `outline`: where each part of a declaration is written, for diagnostics.
//! - `spec`, `metric_spec`: the declaration as plain Rust values.
//! - `reads`: which metrics a check reads, found in its source.
//! - `predicate`: checks compiled to native expression trees.

pub(crate) mod contract;
pub(crate) mod fields;
pub(crate) mod metric_spec;
pub(crate) mod outline;
pub(crate) mod predicate;
pub(crate) mod reads;
pub(crate) mod sources;
pub(crate) mod spec;

use std::collections::HashMap;

use rhai::{AST, EvalAltResult};

use crate::engine::diagnostic::Diagnostic;
use crate::engine::error::LoadError;
use crate::engine::model::fields::ContractError;
use crate::engine::model::metric_spec::{MetricKind, MetricSpec};
use crate::engine::model::outline::{Outline, Place};
use crate::engine::model::predicate::Predicate;
use crate::engine::model::sources::{ScriptSource, Sources};
use crate::engine::model::spec::ModelSpec;
use crate::engine::sandbox::{Budget, DeadlineGuard, Limits};

/// A loaded maturity model.
#[derive(Debug)]
pub struct Model {
    spec: ModelSpec,
    ast: AST,
    sha256: String,
    sources: Sources,
    /// Declared metric names, sorted, with their declared positions.
    by_name: Vec<(String, usize)>,
    /// Whether no script runs when assessing without explanation.
    evaluates_natively: bool,
}

impl Model {
    /// Compiles `script` together with the helper scripts in `libs`, runs it
    /// once to read its declaration, and checks the model contract.
    pub(crate) fn compile(
        engine: &rhai::Engine,
        limits: &Limits,
        script: &ScriptSource,
        libs: &[ScriptSource],
    ) -> Result<Self, LoadError> {
        let mut sources = Sources::new(script, libs);
        let ast = sources.compile(|source| compile_one(engine, limits, source))?;
        let declared = {
            let _deadline = DeadlineGuard::start(limits.max_load_time, Budget::default());
            engine.eval_ast::<rhai::Dynamic>(&ast)
        };
        let value = declared.map_err(|err| LoadError::Script(Box::new(sources.diagnose(&err))))?;
        let mut spec = contract::read_model(value)
            .and_then(|spec| contract::check_declared_reads(&spec, &ast).map(|()| spec))
            .map_err(|err| contract_error(script, err))?;
        compile_checks(&mut spec, &ast);
        let mut by_name: Vec<(String, usize)> = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        by_name.sort();
        let evaluates_natively = spec.level_override.is_none()
            && spec.criteria.iter().all(|c| c.native.is_some())
            && spec.signals.iter().all(|s| s.native.is_some());
        Ok(Self {
            spec,
            ast,
            sha256: sources.sha256(),
            sources,
            by_name,
            evaluates_natively,
        })
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
        let spec = &self.spec;
        let criteria = spec.criteria.iter().filter(|c| c.native.is_none());
        let signals = spec.signals.iter().filter(|s| s.native.is_none());
        criteria
            .map(|c| format!("criterion '{}'", c.id))
            .chain(signals.map(|s| format!("signal '{}'", s.id)))
            .collect()
    }

    /// The model script's file name.
    pub fn file(&self) -> &str {
        &self.sources.model().file
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

/// Resolves each criterion's and signal's metrics to declared positions, and
/// compiles every check that is simple enough to native code.
fn compile_checks(spec: &mut ModelSpec, ast: &AST) {
    let declared: HashMap<String, (usize, MetricKind)> = spec
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), (i, m.kind)))
        .collect();
    let metric = |name: &str| declared.get(name).copied();
    // The contract has checked that every listed metric is declared.
    let positions = |names: &[String]| names.iter().filter_map(|n| Some(metric(n)?.0)).collect();
    for c in &mut spec.criteria {
        c.positions = positions(&c.metrics);
        c.native = Predicate::compile(ast, &c.check, metric);
    }
    for s in &mut spec.signals {
        s.positions = positions(&s.metrics);
        s.native = Predicate::compile(ast, &s.check, metric);
    }
}

/// Places a contract breach at its line and column in the model script.
fn contract_error(script: &ScriptSource, err: ContractError) -> LoadError {
    let ContractError { place, message } = err;
    let message = match &place {
        Place::Path(path) | Place::Literal { path, .. } => format!("{path}: {message}"),
        Place::Exact(_) => message,
    };
    let pos = Outline::parse(&script.text).locate(&place, &script.text);
    LoadError::Contract(Box::new(Diagnostic::at(
        &script.file,
        &script.text,
        pos,
        message,
    )))
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
