//! Reads a scripts directory: every `*.rhai` file at its top is a model, every
//! `lib/*.rhai` file a helper compiled into each model, and every
//! `tests/MODEL/*.json` file a test case of that model. The only module
//! of the engine that touches the filesystem.

use std::fs;
use std::path::Path;

use crate::engine::error::LoadError;
use crate::engine::model::sources::ScriptSource;

/// A set of model scripts and the helpers they share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSet {
    /// One script per model.
    pub models: Vec<ScriptSource>,
    /// Helpers compiled into every model, in file-name order.
    pub libs: Vec<ScriptSource>,
    /// Test cases, by model then file name.
    pub cases: Vec<CaseSource>,
}

impl ScriptSet {
    /// The test cases of model `id`.
    pub fn cases_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a CaseSource> {
        self.cases.iter().filter(move |c| c.model == id)
    }
}

/// A test case file: which model it tests (its directory) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSource {
    /// Path within the scripts directory, e.g. "tests/five_stage/rank2.json".
    pub file: String,
    /// The model id the case's directory names.
    pub model: String,
    /// The case's JSON text.
    pub text: String,
}

/// Reads the model scripts in `dir` and the helpers in `dir/lib`.
pub fn read_scripts_dir(dir: &Path) -> Result<ScriptSet, LoadError> {
    let lib = dir.join("lib");
    let libs = if lib.is_dir() {
        read_files(&lib, "rhai", "lib/")?
    } else {
        Vec::new()
    };
    Ok(ScriptSet {
        models: read_files(dir, "rhai", "")?
            .into_iter()
            .map(|(file, text)| ScriptSource::new(file, text))
            .collect(),
        libs: libs
            .into_iter()
            .map(|(file, text)| ScriptSource::new(file, text))
            .collect(),
        cases: read_cases(&dir.join("tests"))?,
    })
}

/// Every `tests/MODEL/*.json` file.
fn read_cases(tests: &Path) -> Result<Vec<CaseSource>, LoadError> {
    let mut cases = Vec::new();
    if !tests.is_dir() {
        return Ok(cases);
    }
    let mut models: Vec<_> = fs::read_dir(tests)
        .map_err(|e| io(tests, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    models.sort();
    for dir in models {
        let model = file_name(&dir);
        let prefix = format!("tests/{model}/");
        for (file, text) in read_files(&dir, "json", &prefix)? {
            cases.push(CaseSource {
                file,
                model: model.clone(),
                text,
            });
        }
    }
    Ok(cases)
}

/// Every `*.<extension>` file directly in `dir` as (`prefix` + file name,
/// text), sorted by name.
fn read_files(
    dir: &Path,
    extension: &str,
    prefix: &str,
) -> Result<Vec<(String, String)>, LoadError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == extension) {
            let text = fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            files.push((format!("{prefix}{}", file_name(&path)), text));
        }
    }
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn io(path: &Path, source: std::io::Error) -> LoadError {
    LoadError::Io {
        path: path.display().to_string(),
        source,
    }
}
