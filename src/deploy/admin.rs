//! Changing the served models on request: validating a candidate, putting a
//! model (create or replace) and deleting one, each with optimistic
//! concurrency on the script hash, persisted atomically and audited.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::candidate::{Refusal, admit};
use super::catalog::{Catalog, FileStatus, Snapshot};
use super::error::DeployError;
use super::reload::{identity, rebuild};
use super::store::{self, AuditEntry};
use crate::engine::cases::Case;
use crate::engine::suite::{CaseOutcome, run_case};
use crate::engine::{
    Engine, LoadError, ScriptSet, ScriptSource, builtin_scripts, read_scripts_dir,
};

/// What validating a candidate script found.
#[derive(Debug)]
pub struct Validation {
    /// The file name the diagnostics use.
    pub file: String,
    /// The model id and hash, when the script loads.
    pub model: Option<(String, String)>,
    /// Why it does not load, when it does not.
    pub refusal: Option<Refusal>,
    /// Each given case's outcome, in order (empty when it does not load).
    pub cases: Vec<CaseOutcome>,
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
    /// Its test cases, all passed.
    pub cases: Vec<CaseOutcome>,
}

impl Catalog {
    /// Compiles `source` with the served helpers, checks the contract and
    /// runs `cases` on it. Changes nothing.
    pub fn validate(
        &self,
        file: &str,
        source: &str,
        cases: &[Case],
    ) -> Result<Validation, DeployError> {
        let set = self.script_set()?;
        let engine = Engine::new(self.limits().clone());
        let script = ScriptSource::new(file, source);
        let model = match engine.compile(&script, &set.libs) {
            Ok(model) => model,
            Err(err) => {
                return Ok(Validation {
                    file: file.to_owned(),
                    model: None,
                    refusal: Some(Refusal::Load(err)),
                    cases: Vec::new(),
                });
            }
        };
        let outcomes = cases
            .iter()
            .map(|case| run_case(&engine, &model, &case.name, case))
            .collect();
        Ok(Validation {
            file: file.to_owned(),
            model: Some((model.id().to_owned(), model.sha256().to_owned())),
            refusal: None,
            cases: outcomes,
        })
    }

    /// Creates or replaces the model `source` declares, if `expected_sha256`
    /// is the hash serving now ("" for a new model) and its test cases pass.
    pub fn put(
        &self,
        source: &str,
        expected_sha256: &str,
        who: &str,
    ) -> Result<PutOutcome, DeployError> {
        let dir = self.dir().ok_or(DeployError::NoScriptsDir)?;
        let _guard = self.lock();
        let set = self.script_set()?;
        let live = self.snapshot();
        let engine = Engine::new(self.limits().clone());
        let first = engine
            .compile(&ScriptSource::new("PutModel.rhai", source), &set.libs)
            .map_err(|e| refused(Refusal::Load(e)))?;
        let id = first.id().to_owned();
        let file = file_for(&live, &id)?;
        let previous_sha256 = check_expected(&live, &id, expected_sha256)?;
        let script = ScriptSource::new(file.clone(), source);
        let (model, cases) = admit(&engine, &script, &set.libs, &set.cases).map_err(refused)?;
        store::write_atomic(&dir.join(&file), source)
            .map_err(|e| DeployError::io(&dir.join(&file), e))?;
        let sha256 = model.sha256().to_owned();
        let mut written = set;
        written.models.retain(|m| m.file != file);
        written.models.push(script.clone());
        self.publish(with_admitted(self, &live, &written, model, &script));
        self.record(&AuditEntry {
            who,
            action: "put",
            model: &id,
            file: &file,
            old_sha256: &previous_sha256,
            new_sha256: &sha256,
        });
        tracing::info!(model = %id, %who, sha256 = %sha256, previous = %previous_sha256, "model deployed");
        Ok(PutOutcome {
            model: id,
            sha256,
            previous_sha256,
            cases,
        })
    }

    /// Removes model `id` and its script, if `expected_sha256` is the hash
    /// serving now. Returns that hash.
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
            .map_err(|_| DeployError::UnknownModel(id.to_owned()))?;
        if expected_sha256 != model.sha256() {
            return Err(stale(id, expected_sha256, model.sha256()));
        }
        let file = model.file().to_owned();
        let previous = model.sha256().to_owned();
        store::remove(&dir.join(&file)).map_err(|e| DeployError::io(&dir.join(&file), e))?;
        let set = self.script_set()?;
        let (snapshot, _) = rebuild(self.limits(), &live, &set, &|_| false);
        self.publish(snapshot);
        self.record(&AuditEntry {
            who,
            action: "delete",
            model: id,
            file: &file,
            old_sha256: &previous,
            new_sha256: "",
        });
        tracing::info!(model = %id, %who, previous = %previous, "model deleted");
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

    fn record(&self, entry: &AuditEntry<'_>) {
        let Some(log) = self.audit_log() else { return };
        if let Err(err) = store::audit(log, entry) {
            // The change is made and durable; losing its audit line must be loud.
            tracing::error!(log = %log.display(), error = %err, "cannot write the audit log");
        }
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

/// The file model `id` lives in: its current file, or `<id>.rhai`.
fn file_for(live: &Snapshot, id: &str) -> Result<String, DeployError> {
    if let Ok(model) = live.engine().model(id) {
        return Ok(model.file().to_owned());
    }
    let safe = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !id.starts_with('-');
    if safe && Path::new(id).file_name().is_some() {
        Ok(format!("{id}.rhai"))
    } else {
        Err(DeployError::BadModelId(id.to_owned()))
    }
}

/// The hash serving for `id` ("" for none), if it is what the caller expects.
fn check_expected(live: &Snapshot, id: &str, expected: &str) -> Result<String, DeployError> {
    let actual = live
        .engine()
        .model(id)
        .map(|m| m.sha256().to_owned())
        .unwrap_or_default();
    if actual == expected {
        Ok(actual)
    } else {
        Err(stale(id, expected, &actual))
    }
}

fn stale(id: &str, expected: &str, actual: &str) -> DeployError {
    DeployError::Stale {
        model: id.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_owned(),
    }
}

fn refused(refusal: Refusal) -> DeployError {
    DeployError::Refused(Box::new(refusal))
}
