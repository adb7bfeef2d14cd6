//! A compiled model: its declaration, its compiled script and the hash that
//! proves which script decided. Compiled once at load, shared read-only.

use std::collections::HashMap;

use rhai::{AST, EvalAltResult};

use super::contract::{self, ContractError};
use super::diagnostic::Diagnostic;
use super::error::LoadError;
use super::metric::MetricSpec;
use super::outline::{Outline, Place};
use super::reads;
use super::sandbox::{Budget, DeadlineGuard, Limits};
use super::sources::{ScriptSource, Sources};
use super::spec::ModelSpec;

/// A loaded maturity model.
#[derive(Debug)]
pub struct Model {
    spec: ModelSpec,
    ast: AST,
    sha256: String,
    sources: Sources,
    metric_index: HashMap<String, usize>,
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
        let spec = contract::read_model(value)
            .and_then(|spec| reads::check_declared_reads(&spec, &ast).map(|()| spec))
            .map_err(|err| contract_error(script, err))?;
        let metric_index = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        Ok(Self {
            spec,
            ast,
            sha256: sources.sha256(),
            sources,
            metric_index,
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

    /// The model script's file name.
    pub fn file(&self) -> &str {
        &self.sources.model().file
    }

    /// The declaration of metric `name`, if the model reads it.
    pub fn metric(&self, name: &str) -> Option<&MetricSpec> {
        self.metric_index.get(name).map(|&i| &self.spec.metrics[i])
    }

    pub(crate) fn ast(&self) -> &AST {
        &self.ast
    }

    /// Pins a run-time error to the script file and line it came from.
    pub(crate) fn diagnose(&self, err: &EvalAltResult) -> Diagnostic {
        self.sources.diagnose(err)
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
