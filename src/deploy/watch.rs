//! Reloading when the scripts directory changes: file events are gathered
//! until the directory has been quiet for a moment (editors write in
//! several steps), then the catalog reloads.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};

use super::catalog::Catalog;

/// How long the directory must be quiet before a reload.
const QUIET: Duration = Duration::from_millis(150);

/// Watches `catalog`'s directory and reloads it on every change of a script
/// or test case, until the returned watcher is dropped.
pub fn watch(catalog: Arc<Catalog>) -> notify::Result<Option<RecommendedWatcher>> {
    let Some(dir) = catalog.dir().map(Path::to_path_buf) else {
        return Ok(None);
    };
    let (tx, rx) = mpsc::channel::<notify::Result<Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    watcher.watch(&dir, RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("maturity-watch".into())
        .spawn(move || {
            while let Ok(event) = rx.recv() {
                if !relevant(&event) {
                    continue;
                }
                // Gather the rest of this burst of events.
                loop {
                    match rx.recv_timeout(QUIET) {
                        Ok(_) => continue,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                tracing::info!(dir = %dir.display(), "scripts changed; reloading");
                if let Err(err) = catalog.reload() {
                    tracing::error!(error = %err, "reload failed; the models serving are unchanged");
                }
            }
        })
        .map_err(notify::Error::io)?;
    Ok(Some(watcher))
}

/// Whether an event touches a script or a test case, or swaps a mounted
/// Kubernetes ConfigMap (whose files change through a `..data` symlink).
fn relevant(event: &notify::Result<Event>) -> bool {
    match event {
        Ok(event) => event.paths.iter().any(|path| {
            let swapped = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".."));
            swapped
                || path
                    .extension()
                    .is_some_and(|ext| ext == "rhai" || ext == "json")
        }),
        Err(err) => {
            tracing::warn!(error = %err, "watching the scripts directory");
            true
        }
    }
}
