//! Reads a scripts directory: every `*.rhai` file at its top is a model, every
//! `lib/*.rhai` file a helper compiled into each model. The only module of the
//! engine that touches the filesystem.

use std::fs;
use std::path::Path;

use super::error::LoadError;
use super::sources::ScriptSource;

/// A set of model scripts and the helpers they share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSet {
    /// One script per model.
    pub models: Vec<ScriptSource>,
    /// Helpers compiled into every model, in file-name order.
    pub libs: Vec<ScriptSource>,
}

/// Reads the model scripts in `dir` and the helpers in `dir/lib`.
pub fn read_scripts_dir(dir: &Path) -> Result<ScriptSet, LoadError> {
    let lib = dir.join("lib");
    Ok(ScriptSet {
        models: read_rhai_files(dir, "")?,
        libs: if lib.is_dir() {
            read_rhai_files(&lib, "lib/")?
        } else {
            Vec::new()
        },
    })
}

/// Every `*.rhai` file directly in `dir`, sorted by name, named `prefix` + file name.
fn read_rhai_files(dir: &Path, prefix: &str) -> Result<Vec<ScriptSource>, LoadError> {
    let io = |path: &Path, source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == "rhai") {
            let text = fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(ScriptSource::new(format!("{prefix}{name}"), text));
        }
    }
    files.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(files)
}
