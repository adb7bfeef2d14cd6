//! Reloading when the content of the scripts directory changes: only
//! changes (create, write, rename, delete) of the files a reload reads
//! count, so reading a file (a `cat`, or the reload itself) or writing a
//! log inside the directory never triggers one. Changes are gathered until
//! the directory has been quiet for [`DEBOUNCE`] (editors write in several
//! steps), or at most [`MAX_WAIT`] while they keep coming.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};

use super::catalog::Catalog;
use super::reload::DEBOUNCE;
use crate::engine::is_script_path;

/// The longest a reload waits for changes to stop coming.
const MAX_WAIT: Duration = Duration::from_secs(3);

/// Watches `catalog`'s directory and reloads it on every change of a script,
/// helper or test case, until the returned watcher is dropped.
pub fn watch(catalog: Arc<Catalog>) -> notify::Result<Option<RecommendedWatcher>> {
    let Some(dir) = catalog.dir().map(Path::to_path_buf) else {
        return Ok(None);
    };
    // Events name files by their absolute paths: a relative directory
    // (`--scripts scripts`) would match none of them, and no edit would
    // ever go live.
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let (tx, rx) = mpsc::channel::<notify::Result<Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    watcher.watch(&dir, RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("maturity-watch".into())
        .spawn(move || Changes::new(dir).follow(&rx, &catalog))
        .map_err(notify::Error::io)?;
    Ok(Some(watcher))
}

/// The changes seen since the last reload.
struct Changes {
    dir: PathBuf,
    /// Each changed file (relative to the directory) and when it last changed.
    touched: BTreeMap<String, Instant>,
    /// When the first change since the last reload came, if one has.
    since: Option<Instant>,
}

impl Changes {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            touched: BTreeMap::new(),
            since: None,
        }
    }

    /// Reloads `catalog` after each burst of changes, until the watcher is
    /// dropped.
    fn follow(mut self, rx: &Receiver<notify::Result<Event>>, catalog: &Catalog) {
        loop {
            let event = match self.due() {
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            };
            match event {
                Ok(event) => self.note(&event),
                Err(RecvTimeoutError::Timeout) => self.reload(catalog),
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// When to reload: once quiet for [`DEBOUNCE`], at most [`MAX_WAIT`]
    /// after the first change.
    fn due(&self) -> Option<Instant> {
        let first = self.since?;
        let last = self.touched.values().max().copied().unwrap_or(first);
        Some((last + DEBOUNCE).min(first + MAX_WAIT))
    }

    /// Records the files `event` changes, if it changes any.
    fn note(&mut self, event: &notify::Result<Event>) {
        let now = Instant::now();
        let files = match event {
            Ok(event) if changes_content(&event.kind) || event.need_rescan() => event
                .paths
                .iter()
                .filter_map(|p| self.relevant(p))
                .collect(),
            Ok(_) => Vec::new(),
            Err(err) => {
                tracing::warn!(error = %err, "watching the scripts directory; reloading to be sure");
                vec![String::new()]
            }
        };
        for file in files {
            self.touched.insert(file, now);
            self.since.get_or_insert(now);
        }
    }

    /// `path` relative to the directory, when a reload reads it or it
    /// swaps a mounted Kubernetes ConfigMap (whose files change through a
    /// `..data` symlink).
    fn relevant(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.dir).ok()?;
        let swapped = relative
            .components()
            .next()
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with(".."));
        (swapped || is_script_path(relative)).then(|| relative.to_string_lossy().into_owned())
    }

    /// Reloads the catalog; a model whose file changed within [`DEBOUNCE`]
    /// keeps serving even if its file is missing right now, and another
    /// reload follows to settle it.
    fn reload(&mut self, catalog: &Catalog) {
        let now = Instant::now();
        self.touched
            .retain(|_, at| now.duration_since(*at) < DEBOUNCE);
        let settling = |file: &str| self.touched.contains_key(file);
        tracing::info!(dir = %self.dir.display(), "scripts changed; reloading");
        match catch_unwind(AssertUnwindSafe(|| catalog.reload_settling(&settling))) {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::error!(error = %err, "reload failed; the models serving are unchanged")
            }
            // The watcher must outlive any one reload, or edits stop going live.
            Err(_) => tracing::error!("reload panicked; the models serving are unchanged"),
        }
        let unsettled = self
            .touched
            .keys()
            .any(|file| !file.is_empty() && !self.dir.join(file).exists());
        self.since = unsettled.then(Instant::now);
    }
}

/// Whether an event of `kind` may change what a reload reads: creating,
/// writing, renaming or deleting, not opening, reading or `chmod`.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Any
        | EventKind::Create(_)
        | EventKind::Modify(_)
        | EventKind::Remove(_)
        | EventKind::Other => true,
    }
}

#[cfg(test)]
mod tests {
    use notify::event::{CreateKind, DataChange, RemoveKind};

    use super::*;

    #[test]
    fn reading_a_file_is_not_a_change() {
        assert!(!changes_content(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!changes_content(&EventKind::Modify(ModifyKind::Metadata(
            notify::event::MetadataKind::Any
        ))));
        assert!(changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(changes_content(&EventKind::Create(CreateKind::File)));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        ))));
        assert!(changes_content(&EventKind::Remove(RemoveKind::File)));
    }

    #[test]
    fn only_scripts_cases_helpers_and_configmap_swaps_are_relevant() {
        let changes = Changes::new(PathBuf::from("/s"));
        let relevant = |p: &str| changes.relevant(Path::new(p));
        assert_eq!(
            relevant("/s/five_stage.rhai").as_deref(),
            Some("five_stage.rhai")
        );
        assert_eq!(
            relevant("/s/tests/a/c.json").as_deref(),
            Some("tests/a/c.json")
        );
        assert_eq!(relevant("/s/..data").as_deref(), Some("..data"));
        assert_eq!(relevant("/s/audit.log.jsonl"), None);
        assert_eq!(relevant("/s/decisions.json"), None);
        assert_eq!(relevant("/s/.five_stage.rhai.1.0.tmp"), None);
        assert_eq!(relevant("/elsewhere/a.rhai"), None);
    }
}
