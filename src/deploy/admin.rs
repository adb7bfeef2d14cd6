//! Changing the served models on request: validating a candidate, putting a
//! model (create or replace) and deleting one, each with optimistic
//! concurrency on the script hash, persisted atomically and audited.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::candidate::{MAX_CASES, Refusal, admit, compile_within, run_bounded};
use super::case_files::{case_files, kept, merged, replacement_warnings};
use super::catalog::{Catalog, FileStatus, Snapshot};
use super::error::DeployError;
use super::reload::{identity, rebuild, stem};
use super::store::{self, AuditEntry};
use crate::engine::cases::Case;
use crate::engine::suite::{CaseOutcome, parse_case};
use crate::engine::{
    Budget, CaseSource, Engine, LoadError, Model, ScriptSet, ScriptSource, builtin_scripts,
    read_scripts_dir,
};
use crate::telemetry::one_line;

/// What validating a candidate script found.
#[derive(Debug)]
pub struct Validation {
    /// The file name the diagnostics use.
    pub file: String,
    /// The model id and hash, when the script loads.
    pub model: Option<(String, String)>,
    /// Why it does not load, when it does not.
    pub refusal: Option<Refusal>,
    /// Each case's outcome (empty when it does not load): those given, in
    /// order, then the model's case files a deploy would also run.
    pub cases: Vec<CaseOutcome>,
    /// What a deploy would allow but a person should know.
    pub warnings: Vec<String>,
}

impl Validation {
    /// Whether the script loads and passes every case.
    pub fn valid(&self) -> bool {
        self.refusal.is_none() && self.cases.iter().all(CaseOutcome::passed)
    }
}

/// What a put changed.
#[derive(Debug, Serialize)]
pub struct PutOutcome {
    /// The model id.
    pub model: String,
    /// The hash now serving.
    pub sha256: String,
    /// The hash it replaced ("" for a new model).
    pub previous_sha256: String,
    /// Its test cases, all passed: those sent, then its other case files.
    pub cases: Vec<CaseOutcome>,
    /// What the deploy allowed but a person should know.
    pub warnings: Vec<String>,
    /// True when the script was already serving: nothing changed.
    pub unchanged: bool,
}

/// A deploy's request: the script, the hash it replaces and the test cases
/// deployed with it.
#[derive(Debug, Clone, Copy)]
pub struct PutRequest<'a> {
    /// The model script's text.
    pub source: &'a str,
    /// The hash serving now ("" for a new model).
    pub expected_sha256: &'a str,
    /// Test cases saved with the script as `tests/MODEL/NAME.json`.
    pub cases: &'a [Case],
}

/// The longest file name a validation may give, in bytes: a file name on
/// most file systems.
const MAX_FILE_NAME: usize = 255;

impl Catalog {
    /// Compiles `source` with the served helpers, checks the contract and
    /// runs `cases` and the model's case files on it within the caller's
    /// `budget`: what [`Catalog::put`] would find. Changes nothing. An
    /// empty `file` names the file a deploy would save the script to.
    pub fn validate(
        &self,
        file: &str,
        source: &str,
        cases: &[Case],
        budget: &Budget,
    ) -> Result<Validation, DeployError> {
        if cases.len() > MAX_CASES {
            return Err(DeployError::TooManyCases {
                count: cases.len(),
                limit: MAX_CASES,
            });
        }
        // Every diagnostic repeats the file name: a long one would be
        // copied into the answer many times over.
        if file.len() > MAX_FILE_NAME {
            return Err(DeployError::FileNameTooLong {
                length: file.len(),
                limit: MAX_FILE_NAME,
            });
        }
        let set = self.script_set()?;
        let engine = Engine::new(self.limits().clone());
        let file = match file {
            "" => declared_file(&self.snapshot(), source),
            given => given.to_owned(),
        };
        let script = ScriptSource::new(file.clone(), source);
        let model = match compile_within(&engine, &script, &set.libs, budget) {
            Ok(model) => model,
            Err(refusal @ Refusal::Stopped { .. }) => return Err(refused(refusal)),
            Err(refusal) => {
                return Ok(Validation {
                    file,
                    model: None,
                    refusal: Some(refusal),
                    cases: Vec::new(),
                    warnings: Vec::new(),
                });
            }
        };
        // Refused as the deploy would refuse them: an id that cannot name
        // a file, two cases for one file.
        file_for(&self.snapshot(), model.id())?;
        case_files(model.id(), cases)?;
        let held = kept(model.id(), cases, &set.cases);
        let runs = cases
            .iter()
            .map(|c| Ok((c.name.clone(), c.clone())))
            .chain(held.map(|source| parse_case(source).map(|case| (source.file.clone(), case))))
            .collect();
        let outcomes = run_bounded(&engine, &model, runs, budget).map_err(refused)?;
        let mut warnings = model.warnings().to_vec();
        warnings.extend(no_cases_warning(model.id(), &outcomes));
        Ok(Validation {
            file,
            model: Some((model.id().to_owned(), model.sha256().to_owned())),
            refusal: None,
            warnings,
            cases: outcomes,
        })
    }

    /// Creates or replaces the model `request.source` declares, with the
    /// test cases sent, if `expected_sha256` is the hash serving now ("" for
    /// a new model) and all its test cases pass within the caller's
    /// `budget`. The audit record is written and synced before the new
    /// version is written or served. Putting what already serves (a retry)
    /// changes nothing and succeeds.
    pub fn put(
        &self,
        request: PutRequest<'_>,
        who: &str,
        budget: &Budget,
    ) -> Result<PutOutcome, DeployError> {
        let PutRequest {
            source,
            expected_sha256,
            cases: sent,
        } = request;
        if sent.len() > MAX_CASES {
            let (count, limit) = (sent.len(), MAX_CASES);
            return Err(DeployError::TooManyCases { count, limit });
        }
        well_formed(expected_sha256)?;
        let dir = self.dir().ok_or(DeployError::NoScriptsDir)?;
        let _guard = self.lock();
        let set = self.script_set()?;
        let live = self.snapshot();
        let engine = Engine::new(self.limits().clone());
        // Diagnostics name the file the model will live in, read from its
        // declaration before it is compiled.
        let named = ScriptSource::new(declared_file(&live, source), source);
        let first = compile_within(&engine, &named, &set.libs, budget).map_err(refused)?;
        let id = first.id().to_owned();
        let file = file_for(&live, &id)?;
        let sent = case_files(&id, sent)?;
        if already_serving(&live, &first, &sent, dir) && on_disk(&dir.join(&file), source) {
            return Ok(PutOutcome::unchanged(&first));
        }
        no_unseen_edit(&live, &set, &file)?;
        let previous_sha256 = check_expected(&live, &id, expected_sha256)?;
        let script = ScriptSource::new(file.clone(), source);
        let first = if file == named.file {
            first
        } else {
            compile_within(&engine, &script, &set.libs, budget).map_err(refused)?
        };
        let mut written = set;
        let mut warnings = replacement_warnings(&sent, &written.cases);
        written.cases = merged(&sent, &written.cases);
        let (model, cases) = admit(&engine, first, &written.cases, budget).map_err(refused)?;
        warnings.extend(model.warnings().iter().cloned());
        let sha256 = model.sha256().to_owned();
        let case_files: Vec<String> = sent.iter().map(|c| c.file.clone()).collect();
        let entry = AuditEntry {
            who,
            action: "put",
            model: &id,
            file: &file,
            old_sha256: &previous_sha256,
            new_sha256: &sha256,
            cases: &case_files,
        };
        let files: Vec<_> = sent
            .iter()
            .map(|c| (dir.join(&c.file), c.text.as_str()))
            .chain([(dir.join(&file), source)])
            .collect();
        self.change(&entry, || store::write_all_atomic(&files))?;
        written.models.retain(|m| m.file != file);
        written.models.push(script.clone());
        self.publish(with_admitted(self, &live, &written, model, &script));
        tracing::info!(model = %one_line(&id), who = %one_line(who), sha256 = %sha256, previous = %previous_sha256, "model deployed");
        Ok(PutOutcome {
            warnings: {
                warnings.extend(no_cases_warning(&id, &cases));
                warnings
            },
            model: id,
            sha256,
            previous_sha256,
            cases,
            unchanged: false,
        })
    }

    /// Removes model `id`, its script and its case files, if
    /// `expected_sha256` is the hash serving now. Returns that hash. The
    /// audit record is written and synced before anything is removed.
    pub fn delete(
        &self,
        id: &str,
        expected_sha256: &str,
        who: &str,
    ) -> Result<String, DeployError> {
        let dir = self.dir().ok_or(DeployError::NoScriptsDir)?;
        let _guard = self.lock();
        let live = self.snapshot();
        let model = live
            .engine()
            .model(id)
            .map_err(|_| DeployError::UnknownModel(shorten(id)))?;
        if !expected_sha256.eq_ignore_ascii_case(model.sha256()) {
            return Err(stale(id, expected_sha256, model.sha256()));
        }
        let file = model.file().to_owned();
        let previous = model.sha256().to_owned();
        // Its cases go with it: left behind, they would hold a new model of
        // the same id to the old one's answers.
        let cases: Vec<String> = self
            .script_set()?
            .cases_of(id)
            .map(|c| c.file.clone())
            .collect();
        let entry = AuditEntry {
            who,
            action: "delete",
            model: id,
            file: &file,
            old_sha256: &previous,
            new_sha256: "",
            cases: &cases,
        };
        self.change(&entry, || {
            store::remove(&dir.join(&file))?;
            cases
                .iter()
                .try_for_each(|case| store::remove(&dir.join(case)))?;
            let _ = std::fs::remove_dir(dir.join("tests").join(id));
            Ok(())
        })?;
        let set = self.script_set()?;
        let (snapshot, _) = rebuild(self.limits(), &live, &set, &|_| false);
        self.publish(snapshot);
        tracing::info!(model = %one_line(id), who = %one_line(who), previous = %previous, "model deleted");
        Ok(previous)
    }

    /// The scripts directory's content, or the built-in helpers when there
    /// is no directory.
    fn script_set(&self) -> Result<ScriptSet, DeployError> {
        match self.dir() {
            Some(dir) => read_scripts_dir(dir).map_err(|err| match err {
                LoadError::Io { path, source } => DeployError::Io { path, source },
                other => refused(Refusal::Load(other)),
            }),
            None => Ok(builtin_scripts()),
        }
    }

    /// Records `entry` durably, then makes the change on disk with `make`:
    /// no change goes live unaudited. When the record cannot be written,
    /// nothing changes; when the change then fails, a second record says so.
    fn change(
        &self,
        entry: &AuditEntry<'_>,
        make: impl FnOnce() -> std::io::Result<()>,
    ) -> Result<(), DeployError> {
        let file = self
            .dir()
            .map(|dir| dir.join(entry.file))
            .unwrap_or_default();
        let Some(log) = self.audit_log() else {
            return make().map_err(|e| DeployError::io(&file, e));
        };
        store::audit(log, entry).map_err(|source| {
            tracing::error!(log = %log.display(), error = %source, "cannot write the audit log; change refused");
            DeployError::Audit {
                path: log.display().to_string(),
                source,
            }
        })?;
        make().map_err(|err| {
            let failed = format!("{}-failed", entry.action);
            let aborted = AuditEntry {
                action: &failed,
                ..*entry
            };
            if let Err(e) = store::audit(log, &aborted) {
                tracing::error!(log = %log.display(), error = %e, "cannot record a failed change in the audit log");
            }
            DeployError::io(&file, err)
        })
    }
}

impl PutOutcome {
    /// The answer to a put of what already serves.
    fn unchanged(model: &Model) -> Self {
        Self {
            model: model.id().to_owned(),
            sha256: model.sha256().to_owned(),
            previous_sha256: model.sha256().to_owned(),
            cases: Vec::new(),
            warnings: Vec::new(),
            unchanged: true,
        }
    }
}

/// Whether `model` is what serves under its id now, with each of the
/// `sent` case files already on disk as sent: a retried deploy.
fn already_serving(live: &Snapshot, model: &Model, sent: &[CaseSource], dir: &Path) -> bool {
    let serving = live.engine().model(model.id());
    serving.is_ok_and(|s| s.sha256() == model.sha256())
        && sent.iter().all(|c| on_disk(&dir.join(&c.file), &c.text))
}

/// Whether `path` holds exactly `text` (a retry finds it so; a file broken
/// on disk since the model loaded does not).
fn on_disk(path: &Path, text: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t == text)
}

/// The warning for a model with no test case to guard its next change.
fn no_cases_warning(id: &str, cases: &[CaseOutcome]) -> Vec<String> {
    if cases.is_empty() {
        vec![format!(
            "model '{}' has no test cases: add some under tests/{0}/ or send them with \
             the deploy, so its next change is checked against what it answers now",
            shorten(id)
        )]
    } else {
        Vec::new()
    }
}

/// The live snapshot with `model` admitted from `script`, everything else
/// as it was.
fn with_admitted(
    catalog: &Catalog,
    live: &Snapshot,
    set: &ScriptSet,
    model: crate::engine::Model,
    script: &ScriptSource,
) -> Snapshot {
    let id = model.id().to_owned();
    let mut engine = Engine::new(catalog.limits().clone());
    let _ = engine.insert(Arc::new(model));
    for other in live.engine().models().filter(|m| m.id() != id) {
        let _ = engine.insert(Arc::clone(other));
    }
    let mut files: std::collections::BTreeMap<String, FileStatus> =
        live.files().map(|s| (s.file.clone(), s.clone())).collect();
    files.insert(
        script.file.clone(),
        FileStatus {
            file: script.file.clone(),
            model: Some(id.clone()),
            refusal: None,
            identity: identity(script, set, &id),
        },
    );
    Snapshot::new(engine, files)
}

/// An error when the directory holds a version of `file` (or of the
/// helpers and cases it reads) that `live` has not loaded yet: an edit on
/// disk the watcher is about to reload, which a deploy would overwrite
/// unseen, whatever hash the caller expected.
fn no_unseen_edit(live: &Snapshot, set: &ScriptSet, file: &str) -> Result<(), DeployError> {
    let Some(on_disk) = set.models.iter().find(|s| s.file == file) else {
        return Ok(());
    };
    let status = live.status(file);
    let model = status
        .and_then(|s| s.model.clone())
        .unwrap_or_else(|| stem(file));
    if status.is_some_and(|s| s.identity == identity(on_disk, set, &model)) {
        Ok(())
    } else {
        Err(DeployError::UnseenEdit {
            file: file.to_owned(),
        })
    }
}

/// The file model `id` lives in: its current file, or `<id>.rhai`.
fn file_for(live: &Snapshot, id: &str) -> Result<String, DeployError> {
    if let Ok(model) = live.engine().model(id) {
        return Ok(model.file().to_owned());
    }
    let rule = if id.is_empty() {
        Some("it is empty")
    } else if id.len() > 100 {
        Some("it is over 100 characters")
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Some("use only letters, digits, '_' and '-'")
    } else if id.starts_with('-') {
        Some("it may not start with '-'")
    } else {
        None
    };
    if let Some(rule) = rule {
        return Err(DeployError::BadModelId {
            id: shorten(id),
            rule,
        });
    }
    let file = format!("{id}.rhai");
    // A hand-written file may hold another model under this name.
    match live.status(&file).and_then(|s| s.model.as_deref()) {
        Some(other) => Err(DeployError::FileServesAnother {
            model: id.to_owned(),
            file,
            other: other.to_owned(),
        }),
        None => Ok(file),
    }
}

/// The file a script will be deployed to, from the `id: "…"` it declares
/// (the first one in the text), before it is compiled; "new_model.rhai"
/// when none is found.
fn declared_file(live: &Snapshot, source: &str) -> String {
    let declared = source.match_indices("id:").find_map(|(at, _)| {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let rest = source[at + 3..].trim_start().strip_prefix('"')?;
        rest.split_once('"').map(|(id, _)| id)
    });
    declared
        .and_then(|id| file_for(live, id).ok())
        .unwrap_or_else(|| "new_model.rhai".to_owned())
}

/// Refuses an `expected_sha256` that is not a hash ("" is none): a mistake
/// to fix, not a change to read and retry, and refused even when the
/// script already serves.
fn well_formed(expected: &str) -> Result<(), DeployError> {
    if expected.is_empty()
        || (expected.len() == 64 && expected.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Ok(());
    }
    Err(DeployError::NotASha256 {
        field: "expected_sha256",
        pinned: shorten(expected),
    })
}

/// The hash serving for `id` ("" for none), if it is what the caller expects.
fn check_expected(live: &Snapshot, id: &str, expected: &str) -> Result<String, DeployError> {
    let actual = live
        .engine()
        .model(id)
        .map(|m| m.sha256().to_owned())
        .unwrap_or_default();
    // Hex in either case, as pins and `deploy --expected-sha256` take it.
    if actual.eq_ignore_ascii_case(expected) {
        Ok(actual)
    } else {
        Err(stale(id, expected, &actual))
    }
}

fn stale(id: &str, expected: &str, actual: &str) -> DeployError {
    DeployError::Stale {
        model: shorten(id),
        expected: shorten(expected),
        actual: actual.to_owned(),
    }
}

/// At most the first 64 characters of a caller's text, so an error never
/// echoes a huge input.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn refused(refusal: Refusal) -> DeployError {
    DeployError::Refused(Box::new(refusal))
}
