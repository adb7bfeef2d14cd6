//! The script files a model is compiled from: the helpers, then the model
//! itself. Knows which file defines each function, so a run-time error is
//! pinned to the file it happened in, and hashes them all.

use std::collections::HashMap;

use rhai::{AST, EvalAltResult};
use sha2::{Digest, Sha256};

use crate::engine::diagnostic::Diagnostic;

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

/// The helpers and the model script one model is compiled from.
#[derive(Debug)]
pub(crate) struct Sources {
    /// The helpers in load order, then the model script last.
    files: Vec<ScriptSource>,
    /// Index into `files` of the file that defines each function.
    defined_in: HashMap<String, usize>,
}

impl Sources {
    /// The model `script` with its helper `libs`.
    pub(crate) fn new(script: &ScriptSource, libs: &[ScriptSource]) -> Self {
        let mut files = libs.to_vec();
        files.push(script.clone());
        Self {
            files,
            defined_in: HashMap::new(),
        }
    }

    /// The model script.
    pub(crate) fn model(&self) -> &ScriptSource {
        &self.files[self.files.len() - 1]
    }

    /// Compiles every file with `compile` and merges them, helpers first, so
    /// the model may override a helper; remembers which file defines each
    /// function.
    pub(crate) fn compile<E>(
        &mut self,
        compile: impl Fn(&ScriptSource) -> Result<AST, E>,
    ) -> Result<AST, E> {
        let mut merged = AST::empty();
        for (index, file) in self.files.iter().enumerate() {
            let ast = compile(file)?;
            for f in ast.iter_functions() {
                self.defined_in.insert(f.name.to_owned(), index);
            }
            merged = merged.merge(&ast);
        }
        Ok(merged)
    }

    /// The file that defines `function`, else the model script.
    pub(crate) fn defining(&self, function: &str) -> &ScriptSource {
        self.defined_in
            .get(function)
            .map_or(self.model(), |&index| &self.files[index])
    }

    /// Pins a run-time error to the file of the innermost function it
    /// happened in, falling back to the model script.
    pub(crate) fn diagnose(&self, err: &EvalAltResult) -> Diagnostic {
        let mut file = self.model();
        let mut current = err;
        while let EvalAltResult::ErrorInFunctionCall(name, _, inner, _) = current {
            if let Some(&index) = self.defined_in.get(name.as_str()) {
                file = &self.files[index];
            }
            current = inner;
        }
        Diagnostic::from_eval(&file.file, &file.text, err)
    }

    /// Hex SHA-256 over the model script, then each helper's name and text: the
    /// plain SHA-256 of the model file when it has no helpers.
    pub(crate) fn sha256(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.model().text.as_bytes());
        for lib in &self.files[..self.files.len() - 1] {
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
}
