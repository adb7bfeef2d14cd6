//! A compiled model: its declaration, its compiled script and the hash that
//! proves which script decided. Compiled once at load, shared read-only.

use std::collections::HashMap;

use rhai::{AST, EvalAltResult};
use sha2::{Digest, Sha256};

use super::contract::{self, ContractError};
use super::diagnostic::Diagnostic;
use super::error::LoadError;
use super::metric::MetricSpec;
use super::sandbox::{DeadlineGuard, Limits};
use super::spec::ModelSpec;

/// A script's file name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSource {
    /// File name, used in diagnostics (e.g. "five_stage.rhai", "lib/vocabulary.rhai").
    pub file: String,
    /// The script's text.
    pub text: String,
}

impl ScriptSource {
    /// Pairs a file name with its text.
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            text: text.into(),
        }
    }
}

/// A loaded maturity model.
#[derive(Debug)]
pub struct Model {
    spec: ModelSpec,
    ast: AST,
    sha256: String,
    sources: Vec<ScriptSource>,
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
        let mut ast = AST::empty();
        for source in libs.iter().chain([script]) {
            ast = ast.merge(&compile_one(engine, limits, source)?);
        }
        let mut sources = libs.to_vec();
        sources.push(script.clone());
        let declared = {
            let _deadline = DeadlineGuard::start(limits.max_load_time);
            engine.eval_ast::<rhai::Dynamic>(&ast)
        };
        let value =
            declared.map_err(|err| LoadError::Script(Box::new(diagnose(&sources, &err))))?;
        let spec = contract::read_model(value).map_err(|ContractError { path, message }| {
            LoadError::Contract {
                file: script.file.clone(),
                path,
                message,
            }
        })?;
        let metric_index = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        Ok(Self {
            spec,
            ast,
            sha256: hash(&sources),
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
        self.sources.last().map_or("", |s| s.file.as_str())
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
        diagnose(&self.sources, err)
    }
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
    let mut ast = engine.compile(&source.text).map_err(|err| {
        LoadError::Script(Box::new(Diagnostic::from_parse(
            &source.file,
            &source.text,
            &err,
        )))
    })?;
    ast.set_source(source.file.as_str());
    Ok(ast)
}

/// Finds which source file an error came from (the innermost function call
/// that names one), falling back to the model script itself.
fn diagnose(sources: &[ScriptSource], err: &EvalAltResult) -> Diagnostic {
    let mut file = None;
    let mut current = err;
    while let EvalAltResult::ErrorInFunctionCall(_, src, inner, _) = current {
        if !src.is_empty() {
            file = Some(src.as_str());
        }
        current = inner;
    }
    let model = sources.last();
    let source = file
        .and_then(|name| sources.iter().find(|s| s.file == name))
        .or(model);
    match source {
        Some(s) => Diagnostic::from_eval(&s.file, &s.text, err),
        None => Diagnostic::from_eval("<script>", "", err),
    }
}

fn hash(sources: &[ScriptSource]) -> String {
    // The model script first, then each helper by name, so the hash changes
    // whenever anything that could change an answer changes.
    let mut hasher = Sha256::new();
    let (model, libs) = sources
        .split_last()
        .map_or((None, &[][..]), |(m, l)| (Some(m), l));
    if let Some(model) = model {
        hasher.update(model.text.as_bytes());
    }
    for lib in libs {
        hasher.update(b"\0");
        hasher.update(lib.file.as_bytes());
        hasher.update(b"\0");
        hasher.update(lib.text.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
