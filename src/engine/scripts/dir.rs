//! Reads a scripts directory: every `*.rhai` file at its top is a model, every
//! `lib/*.rhai` file a helper compiled into each model, and every
//! `tests/MODEL/*.json` file a test case of that model. The only module
//! of the engine that touches the filesystem.
//!
//! One file that cannot be read (not UTF-8, too large, unreadable) is set
//! aside with its reason; it never keeps the other files from being read.

use std::fs;
use std::io::Read;
use std::path::{Component, Path};

use crate::engine::error::LoadError;
use crate::engine::model::sources::ScriptSource;

/// The largest file a scripts directory may hold, in bytes; a larger one is
/// not read at all (a model's source has a smaller limit of its own).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A set of model scripts and the helpers they share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSet {
    /// One script per model.
    pub models: Vec<ScriptSource>,
    /// Helpers compiled into every model, in file-name order.
    pub libs: Vec<ScriptSource>,
    /// Test cases, by model then file name.
    pub cases: Vec<CaseSource>,
    /// Files that belong in the set but could not be read, with why.
    pub unreadable: Vec<Unreadable>,
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

/// A file of a scripts directory that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Path within the scripts directory, e.g. "five_stage.rhai".
    pub file: String,
    /// Why, e.g. "not UTF-8 text: invalid byte at line 3, column 7".
    pub reason: String,
}

impl Unreadable {
    /// Whether the file is a model script (rather than a helper or a case).
    pub fn is_model(&self) -> bool {
        !self.file.contains('/')
    }
}

/// Whether `relative`, a path inside a scripts directory, is a file
/// [`read_scripts_dir`] reads (a model, a helper, a test case) or a folder
/// that holds them.
pub fn is_script_path(relative: &Path) -> bool {
    let parts: Vec<&std::ffi::OsStr> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect();
    let has = |part: &std::ffi::OsStr, extension: &str| {
        Path::new(part).extension().is_some_and(|e| e == extension)
    };
    match parts[..] {
        [name] => has(name, "rhai") || name == "lib" || name == "tests",
        [lib, name] if lib == "lib" => has(name, "rhai"),
        [tests, _] if tests == "tests" => true,
        [tests, _, name] if tests == "tests" => has(name, "json"),
        _ => false,
    }
}

/// Reads the model scripts in `dir`, the helpers in `dir/lib` and the test
/// cases in `dir/tests`. Fails only when `dir` itself cannot be listed.
pub fn read_scripts_dir(dir: &Path) -> Result<ScriptSet, LoadError> {
    let mut unreadable = Vec::new();
    let models = read_files(dir, "rhai", "", &mut unreadable).map_err(|e| io(dir, e))?;
    let lib = dir.join("lib");
    let libs = if lib.is_dir() {
        read_files(&lib, "rhai", "lib/", &mut unreadable).unwrap_or_else(|e| {
            unreadable.push(cannot_list("lib", &e));
            Vec::new()
        })
    } else {
        Vec::new()
    };
    let cases = read_cases(&dir.join("tests"), &mut unreadable);
    let sources = |files: Vec<(String, String)>| {
        files
            .into_iter()
            .map(|(file, text)| ScriptSource::new(file, text))
            .collect()
    };
    Ok(ScriptSet {
        models: sources(models),
        libs: sources(libs),
        cases,
        unreadable,
    })
}

/// Every `tests/MODEL/*.json` file.
fn read_cases(tests: &Path, unreadable: &mut Vec<Unreadable>) -> Vec<CaseSource> {
    let mut cases = Vec::new();
    if !tests.is_dir() {
        return cases;
    }
    let mut models: Vec<_> = match fs::read_dir(tests) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_dir())
            .collect(),
        Err(e) => {
            unreadable.push(cannot_list("tests", &e));
            return cases;
        }
    };
    models.sort();
    for dir in models {
        let model = file_name(&dir);
        let prefix = format!("tests/{model}/");
        match read_files(&dir, "json", &prefix, unreadable) {
            Ok(files) => cases.extend(files.into_iter().map(|(file, text)| CaseSource {
                file,
                model: model.clone(),
                text,
            })),
            Err(e) => unreadable.push(cannot_list(prefix.trim_end_matches('/'), &e)),
        }
    }
    cases
}

/// Every `*.<extension>` file directly in `dir` as (`prefix` + file name,
/// text), sorted by name; those that cannot be read go to `unreadable`.
fn read_files(
    dir: &Path,
    extension: &str,
    prefix: &str,
    unreadable: &mut Vec<Unreadable>,
) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        if !(path.extension().is_some_and(|ext| ext == extension) && path.is_file()) {
            continue;
        }
        let file = format!("{prefix}{}", file_name(&path));
        match read_script_text(&path) {
            Ok(text) => files.push((file, text)),
            Err(reason) => unreadable.push(Unreadable { file, reason }),
        }
    }
    files.sort();
    unreadable.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(files)
}

/// The text of `path`, or why it cannot be had: a name or content that is
/// not UTF-8, a size over [`MAX_FILE_BYTES`], or an I/O error.
pub fn read_script_text(path: &Path) -> Result<String, String> {
    if path.file_name().and_then(|n| n.to_str()).is_none() {
        return Err("its name is not UTF-8: rename it".into());
    }
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    // Read one byte past the limit, so a file that grows meanwhile is caught too.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "is over the limit of {MAX_FILE_BYTES} bytes; not read"
        ));
    }
    String::from_utf8(bytes).map_err(|e| not_utf8(e.as_bytes(), e.utf8_error().valid_up_to()))
}

/// Where the first byte that is not UTF-8 is, as a line and column.
fn not_utf8(bytes: &[u8], valid_up_to: usize) -> String {
    let before = &bytes[..valid_up_to];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // The valid prefix is UTF-8, so its characters can be counted.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    format!(
        "not UTF-8 text: invalid byte 0x{:02x} at line {line}, column {column} (save it as UTF-8)",
        bytes[valid_up_to]
    )
}

fn cannot_list(folder: &str, error: &std::io::Error) -> Unreadable {
    Unreadable {
        file: format!("{folder}/"),
        reason: format!("cannot list the folder: {error}"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_byte_that_is_not_utf8_is_placed() {
        let text = b"ok\nca\xe9 au lait";
        assert_eq!(
            not_utf8(text, 5),
            "not UTF-8 text: invalid byte 0xe9 at line 2, column 3 (save it as UTF-8)"
        );
    }

    #[test]
    fn script_paths_are_models_helpers_cases_and_their_folders() {
        for yes in [
            "a.rhai",
            "lib",
            "lib/x.rhai",
            "tests",
            "tests/a",
            "tests/a/c.json",
        ] {
            assert!(is_script_path(Path::new(yes)), "{yes}");
        }
        for no in [
            "audit.log.jsonl",
            "decisions.json",
            ".a.rhai.12.0.tmp",
            "a.rhai~",
            "lib/x.json",
            "tests/a/c.jsonl",
            "tests/a/b/c.json",
        ] {
            assert!(!is_script_path(Path::new(no)), "{no}");
        }
    }
}
