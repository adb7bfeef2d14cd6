//! The live models: an immutable snapshot (an engine and the load status of
//! every script file) that requests read and changes replace whole, so no
//! request ever sees a half-loaded model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;

use super::candidate::Refusal;
use super::error::DeployError;
use super::reload::ReloadReport;
use crate::engine::{Engine, Limits, Model};

/// How many versions of each model a catalog keeps, the serving one
/// included, unless told otherwise.
pub const DEFAULT_KEPT_VERSIONS: usize = 3;

/// What is serving at one moment.
#[derive(Debug)]
pub struct Snapshot {
    engine: Engine,
    files: BTreeMap<String, FileStatus>,
    /// Earlier versions of each model still kept for pinned requests,
    /// newest first (the serving one is not among them).
    earlier: BTreeMap<String, Vec<Arc<Model>>>,
}

impl Snapshot {
    pub(crate) fn new(engine: Engine, files: BTreeMap<String, FileStatus>) -> Self {
        Self {
            engine,
            files,
            earlier: BTreeMap::new(),
        }
    }

    /// Keeps, for each serving model, the versions `previous` kept of it
    /// and the one it served, up to `keep` versions in all.
    fn keep_versions(&mut self, previous: &Snapshot, keep: usize) {
        for model in self.engine.models() {
            let id = model.id();
            let before = previous.engine.model(id).ok().into_iter();
            let older = previous.earlier.get(id).into_iter().flatten();
            let mut earlier: Vec<Arc<Model>> = Vec::new();
            for old in before.chain(older) {
                let known = old.sha256() == model.sha256()
                    || earlier.iter().any(|m| m.sha256() == old.sha256());
                if !known && earlier.len() + 1 < keep {
                    earlier.push(Arc::clone(old));
                }
            }
            if !earlier.is_empty() {
                self.earlier.insert(id.to_owned(), earlier);
            }
        }
    }

    /// The versions of `model` kept, newest first, the serving one first.
    pub fn versions<'a>(&'a self, model: &'a Arc<Model>) -> impl Iterator<Item = &'a Arc<Model>> {
        let earlier = self.earlier.get(model.id()).into_iter().flatten();
        std::iter::once(model).chain(earlier)
    }

    /// The version of `model` whose script hashes to `sha256` (hex, any
    /// case): the serving one or one kept; `NotKept` naming both hashes
    /// otherwise.
    pub fn pinned(&self, model: &Arc<Model>, sha256: &str) -> Result<Arc<Model>, DeployError> {
        if let Some(found) = self
            .versions(model)
            .find(|m| m.sha256().eq_ignore_ascii_case(sha256))
        {
            return Ok(Arc::clone(found));
        }
        let mut pinned: String = sha256.chars().take(64).collect();
        if pinned.len() < sha256.len() {
            pinned.push('…');
        }
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DeployError::NotASha256 {
                field: "script_sha256",
                pinned,
            });
        }
        let kept: Vec<&str> = self.versions(model).map(|m| m.sha256()).collect();
        Err(DeployError::NotKept {
            model: model.id().to_owned(),
            pinned,
            serving: model.sha256().to_owned(),
            kept: kept.join(", "),
        })
    }

    /// The engine with the serving models.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The load status of every model script file, by file name.
    pub fn files(&self) -> impl Iterator<Item = &FileStatus> {
        self.files.values()
    }

    /// Why the newest edit of `model`'s file was refused, if it was (the
    /// model then serves its last good version).
    pub fn refusal_of(&self, model: &Model) -> Option<&Refusal> {
        self.files.get(model.file())?.refusal.as_deref()
    }

    /// Script files that serve no model because they were refused.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &Refusal)> {
        self.files
            .values()
            .filter_map(|s| match (&s.model, &s.refusal) {
                (None, Some(refusal)) => Some((s.file.as_str(), refusal.as_ref())),
                _ => None,
            })
    }

    pub(crate) fn status(&self, file: &str) -> Option<&FileStatus> {
        self.files.get(file)
    }
}

/// The outcome of the last attempt to load one script file.
#[derive(Debug, Clone)]
pub struct FileStatus {
    /// The file, relative to the scripts directory.
    pub file: String,
    /// The model it serves (possibly a previous version of it), if any.
    pub model: Option<String>,
    /// Why its current content was refused, if it was.
    pub refusal: Option<Arc<Refusal>>,
    /// Hash of everything the attempt read (script, helpers, test cases):
    /// unchanged content is not compiled again.
    pub(crate) identity: String,
}

/// The live snapshot and what may change it.
#[derive(Debug)]
pub struct Catalog {
    live: ArcSwap<Snapshot>,
    dir: Option<PathBuf>,
    limits: Limits,
    audit_log: Option<PathBuf>,
    /// Serialises changes (reloads, puts, deletes); readers never wait.
    writer: Mutex<()>,
    /// Versions of each model kept for pinned requests, the serving one
    /// included.
    keep: usize,
    /// Told of every published snapshot (health follows it).
    published: tokio::sync::watch::Sender<()>,
}

impl Catalog {
    /// A catalog of fixed models (the built-in ones), with no directory to
    /// reload or deploy to.
    pub fn fixed(engine: Engine) -> Self {
        Self {
            live: ArcSwap::from_pointee(Snapshot::new(engine, BTreeMap::new())),
            dir: None,
            limits: Limits::default(),
            audit_log: None,
            writer: Mutex::new(()),
            keep: DEFAULT_KEPT_VERSIONS,
            published: tokio::sync::watch::Sender::new(()),
        }
    }

    /// Keeps `keep` versions of each model (at least the serving one) for
    /// requests that pin one.
    pub fn with_kept_versions(mut self, keep: usize) -> Self {
        self.keep = keep.max(1);
        self
    }

    /// Loads the scripts in `dir`; changes are later written there and
    /// recorded in `audit_log` (default `dir/audit.log.jsonl`).
    pub fn open(
        dir: PathBuf,
        limits: Limits,
        audit_log: Option<PathBuf>,
    ) -> Result<(Self, ReloadReport), DeployError> {
        for name in super::store::remove_stale_temps(&dir) {
            tracing::info!(file = %crate::telemetry::one_line(&name), "removed the temporary file of an interrupted deploy");
        }
        let empty = Snapshot::new(Engine::new(limits.clone()), BTreeMap::new());
        let catalog = Self {
            live: ArcSwap::from_pointee(empty),
            audit_log: Some(audit_log.unwrap_or_else(|| dir.join("audit.log.jsonl"))),
            dir: Some(dir),
            limits,
            writer: Mutex::new(()),
            keep: DEFAULT_KEPT_VERSIONS,
            published: tokio::sync::watch::Sender::new(()),
        };
        let report = catalog.reload()?;
        Ok((catalog, report))
    }

    /// What is serving now. Cheap; hold it for one request.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.live.load_full()
    }

    /// Changes each time a new snapshot is published.
    pub fn published(&self) -> tokio::sync::watch::Receiver<()> {
        self.published.subscribe()
    }

    /// The scripts directory, when there is one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    pub(crate) fn audit_log(&self) -> Option<&Path> {
        self.audit_log.as_deref()
    }

    /// Takes the change lock; a poisoned lock only means a change panicked
    /// before publishing, so the live snapshot is still whole.
    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the live snapshot in one step.
    /// The versions the previous snapshot kept carry over.
    pub(crate) fn publish(&self, mut snapshot: Snapshot) {
        snapshot.keep_versions(&self.live.load(), self.keep);
        self.live.store(Arc::new(snapshot));
        self.published.send_replace(());
    }
}
