//! Re-reading the scripts directory: each changed script is admitted (compiled,
//! checked, tested) on its own; a refused one leaves its model's last good
//! version serving, and the outcome of every file is recorded.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::candidate::{Refusal, admit};
use super::catalog::{Catalog, FileStatus, Snapshot};
use super::error::DeployError;
use crate::engine::{Engine, Limits, LoadError, ScriptSet, ScriptSource, read_scripts_dir};

/// What a reload changed.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Models serving a new version, or newly added.
    pub updated: Vec<String>,
    /// Models removed because their file is gone.
    pub removed: Vec<String>,
    /// Files refused, with why; any previous version keeps serving.
    pub failures: Vec<(String, Arc<Refusal>)>,
}

impl Catalog {
    /// Re-reads the directory and publishes what loads; a no-op for fixed
    /// catalogs.
    pub fn reload(&self) -> Result<ReloadReport, DeployError> {
        let Some(dir) = self.dir() else {
            return Ok(ReloadReport::default());
        };
        let _guard = self.lock();
        let set = read_scripts_dir(dir).map_err(|err| match err {
            LoadError::Io { path, source } => DeployError::Io { path, source },
            other => DeployError::Refused(Box::new(Refusal::Load(other))),
        })?;
        let previous = self.snapshot();
        let (snapshot, report) = rebuild(self.limits(), &previous, &set);
        self.publish(snapshot);
        log(&report);
        Ok(report)
    }
}

/// The snapshot `set` gives, reusing what `previous` already admitted.
pub(crate) fn rebuild(
    limits: &Limits,
    previous: &Snapshot,
    set: &ScriptSet,
) -> (Snapshot, ReloadReport) {
    let mut engine = Engine::new(limits.clone());
    let mut files = BTreeMap::new();
    let mut report = ReloadReport::default();
    for script in &set.models {
        let status = load_file(&mut engine, previous, set, script, &mut report);
        files.insert(script.file.clone(), status);
    }
    report.removed = previous
        .engine()
        .models()
        .filter(|m| engine.model(m.id()).is_err())
        .map(|m| m.id().to_owned())
        .collect();
    (Snapshot::new(engine, files), report)
}

/// Puts the model of `script` into `engine`: the one `previous` serves when
/// nothing it reads changed, the new one when it is admitted, else the last
/// good one (if any). Returns the file's status.
fn load_file(
    engine: &mut Engine,
    previous: &Snapshot,
    set: &ScriptSet,
    script: &ScriptSource,
    report: &mut ReloadReport,
) -> FileStatus {
    let status = previous.status(&script.file);
    let last_good = previous
        .engine()
        .models()
        .find(|m| m.file() == script.file)
        .cloned();
    let case_model = status
        .and_then(|s| s.model.clone())
        .unwrap_or_else(|| stem(&script.file));
    let identity = identity(script, set, &case_model);
    if let Some(status) = status.filter(|s| s.identity == identity) {
        if let Some(model) = last_good {
            let _ = engine.insert(model);
        }
        return status.clone();
    }
    let admitted = admit(engine, script, &set.libs, &set.cases).and_then(|(model, _)| {
        let model = Arc::new(model);
        engine.insert(Arc::clone(&model)).map_err(Refusal::Load)?;
        Ok(model)
    });
    let (model, refusal) = match admitted {
        Ok(model) => {
            report.updated.push(model.id().to_owned());
            (Some(model.id().to_owned()), None)
        }
        Err(refusal) => {
            let refusal = Arc::new(refusal);
            report
                .failures
                .push((script.file.clone(), Arc::clone(&refusal)));
            let kept = last_good.and_then(|model| {
                let id = model.id().to_owned();
                engine.insert(model).ok().map(|()| id)
            });
            (kept, Some(refusal))
        }
    };
    FileStatus {
        file: script.file.clone(),
        model,
        refusal,
        identity,
    }
}

/// Hash of what admitting `script` reads: it, the helpers and the test
/// cases of `model`.
pub(crate) fn identity(script: &ScriptSource, set: &ScriptSet, model: &str) -> String {
    let mut hasher = Sha256::new();
    let parts = std::iter::once((&script.file, &script.text))
        .chain(set.libs.iter().map(|l| (&l.file, &l.text)))
        .chain(set.cases_of(model).map(|c| (&c.file, &c.text)));
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

fn log(report: &ReloadReport) {
    crate::telemetry::metrics().reload(
        report.updated.len(),
        report.failures.len(),
        report.removed.len(),
    );
    for model in &report.updated {
        tracing::info!(model, "model loaded");
    }
    for model in &report.removed {
        tracing::info!(model, "model removed: its script is gone");
    }
    for (file, refusal) in &report.failures {
        tracing::error!(file, error = %refusal, "model script refused; any previous version keeps serving");
    }
}
