//! Re-reading the scripts directory: each changed script is admitted (compiled,
//! checked, tested) on its own; a refused one leaves its model's last good
//! version serving, and the outcome of every file is recorded.
//!
//! A model id stays with the file that serves it: a new file declaring the
//! same id is refused, as it would be at a cold start. A model whose file is
//! missing is removed only once the file has stayed missing for
//! [`DEBOUNCE`], so deleting a file and writing it again never takes its
//! model down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::candidate::{Refusal, admit, compile_within};
use super::catalog::{Catalog, FileStatus, Snapshot};
use super::error::DeployError;
use crate::engine::{
    Budget, Engine, Limits, LoadError, Model, ScriptSet, ScriptSource, Unreadable, read_scripts_dir,
};
use crate::telemetry::one_line;

/// How long the scripts directory must be quiet before a watched change is
/// reloaded, and how long a model's file must stay deleted before the
/// model is removed.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// What a reload changed.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Models serving a new version, or newly added.
    pub updated: Vec<String>,
    /// Models removed because their file is gone.
    pub removed: Vec<String>,
    /// Files refused, with why; a model file's last good version, if it
    /// has one, keeps serving.
    pub failures: Vec<(String, Arc<Refusal>)>,
}

impl Catalog {
    /// Re-reads the directory and publishes what loads; a no-op for fixed
    /// catalogs. When a serving model's file is missing, its model is
    /// removed only if the file stays missing for [`DEBOUNCE`] (watched
    /// until then), so a file deleted and written again keeps its model.
    pub fn reload(&self) -> Result<ReloadReport, DeployError> {
        let Some(dir) = self.dir() else {
            return Ok(ReloadReport::default());
        };
        let missing = {
            let _guard = self.lock();
            let set = read(dir)?;
            let missing = vanished(&self.snapshot(), &set);
            if missing.is_empty() {
                return Ok(self.apply(&set, &|_| false));
            }
            missing
        };
        let gone = stayed_missing(dir, missing);
        let _guard = self.lock();
        let set = read(dir)?;
        Ok(self.apply(&set, &|file| !gone.iter().any(|g| g == file)))
    }

    /// Re-reads the directory after a watched change. A serving model whose
    /// file is missing keeps serving while `settling(file)` holds: its file
    /// changed within [`DEBOUNCE`].
    pub(crate) fn reload_settling(
        &self,
        settling: &dyn Fn(&str) -> bool,
    ) -> Result<ReloadReport, DeployError> {
        let Some(dir) = self.dir() else {
            return Ok(ReloadReport::default());
        };
        let _guard = self.lock();
        let set = read(dir)?;
        Ok(self.apply(&set, settling))
    }

    /// Publishes what `set` gives; `keep(file)` spares the model of a
    /// missing file.
    fn apply(&self, set: &ScriptSet, keep: &dyn Fn(&str) -> bool) -> ReloadReport {
        let (snapshot, report) = rebuild(self.limits(), &self.snapshot(), set, keep);
        log(&report, &snapshot);
        self.publish(snapshot);
        report
    }
}

fn read(dir: &std::path::Path) -> Result<ScriptSet, DeployError> {
    read_scripts_dir(dir).map_err(|err| match err {
        LoadError::Io { path, source } => DeployError::Io { path, source },
        other => DeployError::Refused(Box::new(Refusal::Load(other))),
    })
}

/// The files that served a model in `previous` and are not in `set`.
fn vanished(previous: &Snapshot, set: &ScriptSet) -> Vec<String> {
    previous
        .engine()
        .models()
        .map(|m| m.file().to_owned())
        .filter(|file| !in_set(set, file))
        .collect()
}

/// Those of `files` (in `dir`) that stay missing for [`DEBOUNCE`], looked
/// for every few milliseconds until then.
fn stayed_missing(dir: &std::path::Path, mut files: Vec<String>) -> Vec<String> {
    let until = std::time::Instant::now() + DEBOUNCE;
    while !files.is_empty() && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
        files.retain(|file| !dir.join(file).exists());
    }
    files
}

/// Whether `file` is one of `set`'s models, readable or not.
fn in_set(set: &ScriptSet, file: &str) -> bool {
    set.models.iter().any(|s| s.file == file) || set.unreadable.iter().any(|u| u.file == file)
}

/// The snapshot `set` gives, reusing what `previous` already admitted;
/// `keep(file)` spares the model of a file missing from `set`.
pub(crate) fn rebuild(
    limits: &Limits,
    previous: &Snapshot,
    set: &ScriptSet,
    keep: &dyn Fn(&str) -> bool,
) -> (Snapshot, ReloadReport) {
    let mut build = Build {
        engine: Engine::new(limits.clone()),
        files: BTreeMap::new(),
        report: ReloadReport::default(),
        previous,
        set,
    };
    let mut changed = Vec::new();
    for script in &set.models {
        let identity = identity(script, set, &build.case_model(&script.file));
        match previous
            .status(&script.file)
            .filter(|s| s.identity == identity)
        {
            Some(status) => build.carry(status),
            None => changed.push((script, identity)),
        }
    }
    let kept = previous.files().filter(|s| {
        s.model.is_some() && !in_set(set, &s.file) && !s.file.contains('/') && keep(&s.file)
    });
    for status in kept {
        build.carry(status);
    }
    for bad in set.unreadable.iter().filter(|u| u.is_model()) {
        build.unreadable(bad);
    }
    let budget = Budget::default();
    let mut compiled: Vec<_> = changed
        .into_iter()
        .map(|(script, identity)| {
            let model = compile_within(&build.engine, script, &set.libs, &budget);
            (script, identity, model)
        })
        .collect();
    // Which file serves an id two files declare must not depend on history:
    // the one that served it, else the one named after it (five_stage.rhai
    // over five_stage.old.rhai), else the first by name.
    compiled.sort_by_key(|(script, _, model)| {
        let named_after = model.as_ref().is_ok_and(Model::named_after_its_file);
        (build.last_good(&script.file).is_none(), !named_after)
    });
    for (script, identity, model) in compiled {
        build.admit(script, identity, model, &budget);
    }
    for bad in set.unreadable.iter().filter(|u| !u.is_model()) {
        build.unreadable(bad);
    }
    build.finish()
}

/// A snapshot being built from a script set.
struct Build<'a> {
    engine: Engine,
    files: BTreeMap<String, FileStatus>,
    report: ReloadReport,
    previous: &'a Snapshot,
    set: &'a ScriptSet,
}

impl Build<'_> {
    /// The model `file` served in the previous snapshot, if any.
    fn last_good(&self, file: &str) -> Option<Arc<Model>> {
        self.previous
            .engine()
            .models()
            .find(|m| m.file() == file)
            .cloned()
    }

    /// The model whose test cases `file` is run against: the one it served,
    /// else the one its name says.
    fn case_model(&self, file: &str) -> String {
        self.previous
            .status(file)
            .and_then(|s| s.model.clone())
            .unwrap_or_else(|| stem(file))
    }

    /// Keeps `status` and the model its file served.
    fn carry(&mut self, status: &FileStatus) {
        let mut status = status.clone();
        status.model = self.keep_last_good(&status.file);
        self.files.insert(status.file.clone(), status);
    }

    /// Serves the last good model of `file` again, if it has one and its id
    /// is free; returns that id.
    fn keep_last_good(&mut self, file: &str) -> Option<String> {
        let model = self.last_good(file)?;
        let id = model.id().to_owned();
        self.engine.insert(model).ok().map(|()| id)
    }

    /// Records a file that cannot be read; a model file's last good
    /// version keeps serving.
    fn unreadable(&mut self, bad: &Unreadable) {
        let refusal = Arc::new(Refusal::Unreadable {
            file: bad.file.clone(),
            reason: bad.reason.clone(),
        });
        let model = if bad.is_model() {
            self.keep_last_good(&bad.file)
        } else {
            None
        };
        self.refused(&bad.file, &refusal);
        let status = FileStatus {
            file: bad.file.clone(),
            model,
            refusal: Some(refusal),
            identity: String::new(),
        };
        self.files.insert(bad.file.clone(), status);
    }

    /// Admits the changed `script`, compiled as `compiled`, or records why
    /// not and keeps its last good model.
    fn admit(
        &mut self,
        script: &ScriptSource,
        identity: String,
        compiled: Result<Model, Refusal>,
        budget: &Budget,
    ) {
        let admitted = compiled
            .and_then(|model| {
                // A second file for a served id (a backup copy, say) is
                // refused as that, before its cases run and fail for it.
                if let Ok(other) = self.engine.model(model.id()) {
                    return Err(Refusal::Load(LoadError::DuplicateModel {
                        file: script.file.clone(),
                        model: model.id().to_owned(),
                        other: other.file().to_owned(),
                    }));
                }
                admit(&self.engine, model, &self.set.cases, budget)
            })
            .and_then(|(model, _)| {
                let model = Arc::new(model);
                self.engine
                    .insert(Arc::clone(&model))
                    .map_err(Refusal::Load)?;
                Ok(model)
            });
        let status = match admitted {
            Ok(model) => {
                for warning in model.warnings() {
                    tracing::warn!(model = %one_line(model.id()), warning = %one_line(warning), "model loaded with a warning");
                }
                self.report.updated.push(model.id().to_owned());
                FileStatus {
                    file: script.file.clone(),
                    model: Some(model.id().to_owned()),
                    refusal: None,
                    identity,
                }
            }
            Err(refusal) => {
                // An id taken by another file may be free next time: retry.
                let duplicate = matches!(refusal, Refusal::Load(LoadError::DuplicateModel { .. }));
                let refusal = Arc::new(refusal);
                self.refused(&script.file, &refusal);
                FileStatus {
                    file: script.file.clone(),
                    model: self.keep_last_good(&script.file),
                    refusal: Some(refusal),
                    identity: if duplicate { String::new() } else { identity },
                }
            }
        };
        self.files.insert(script.file.clone(), status);
    }

    fn refused(&mut self, file: &str, refusal: &Arc<Refusal>) {
        self.report
            .failures
            .push((file.to_owned(), Arc::clone(refusal)));
    }

    fn finish(mut self) -> (Snapshot, ReloadReport) {
        self.report.removed = self
            .previous
            .engine()
            .models()
            .filter(|m| self.engine.model(m.id()).is_err())
            .map(|m| m.id().to_owned())
            .collect();
        (Snapshot::new(self.engine, self.files), self.report)
    }
}

/// Hash of what admitting `script` reads: it, the helpers and the test
/// cases of `model`, in file-name order (a directory read and a deploy's
/// own list of what it wrote give the same hash).
pub(crate) fn identity(script: &ScriptSource, set: &ScriptSet, model: &str) -> String {
    let mut hasher = Sha256::new();
    let mut parts: Vec<(&String, &String)> = std::iter::once((&script.file, &script.text))
        .chain(set.libs.iter().map(|l| (&l.file, &l.text)))
        .chain(set.cases_of(model).map(|c| (&c.file, &c.text)))
        .collect();
    parts.sort();
    for (file, text) in parts {
        hasher.update(file.as_bytes());
        hasher.update(b"\0");
        hasher.update(text.as_bytes());
        hasher.update(b"\0");
    }
    format!("{:x}", hasher.finalize())
}

/// The file name without its extension: the model id a script usually has.
pub(crate) fn stem(file: &str) -> String {
    file.rsplit_once('.')
        .map_or(file, |(stem, _)| stem)
        .to_owned()
}

fn log(report: &ReloadReport, snapshot: &Snapshot) {
    crate::telemetry::metrics().reload(
        report.updated.len(),
        report.failures.len(),
        report.removed.len(),
    );
    for model in &report.updated {
        tracing::info!(model = %one_line(model), "model loaded");
    }
    for model in &report.removed {
        // Deliberate or not, callers now get NOT_FOUND: worth a warning.
        tracing::warn!(
            model = %one_line(model),
            "model removed: its script file is gone, and calls for it now get NOT_FOUND"
        );
    }
    for (file, refusal) in &report.failures {
        // A helper or case file serves no model of its own.
        let serving = snapshot.status(file).and_then(|s| s.model.as_deref());
        let outcome = match serving {
            Some(_) => "its last good version keeps serving",
            None if file.ends_with(".rhai") && !file.contains('/') => "it serves nothing",
            None => "the models that load keep serving",
        };
        tracing::error!(
            file = %one_line(file),
            error = %one_line(&refusal.to_string()),
            "model script refused; {outcome}"
        );
    }
}
