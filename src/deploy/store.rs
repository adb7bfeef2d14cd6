//! Writing scripts so a crash never leaves a half-written one (temporary
//! file, fsync, rename, fsync of the directory), and the audit log of every
//! change.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde::Serialize;

/// Replaces each file with its text: every text is written and synced to
/// a temporary file first, so nothing is renamed into place unless all of
/// them could be written; then they are renamed in order (put the file
/// whose arrival matters most last) and their directories synced.
pub(crate) fn write_all_atomic(files: &[(PathBuf, &str)]) -> io::Result<()> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, text) in files {
        match write_temp(path, text) {
            Ok(temp) => temps.push(temp),
            Err(err) => {
                for temp in &temps {
                    let _ = fs::remove_file(temp);
                }
                return Err(err);
            }
        }
    }
    for (i, ((path, _), temp)) in files.iter().zip(&temps).enumerate() {
        if let Err(err) = fs::rename(temp, path) {
            for temp in &temps[i..] {
                let _ = fs::remove_file(temp);
            }
            return Err(err);
        }
    }
    for (path, _) in files {
        sync_dir(parent(path))?;
    }
    Ok(())
}

/// Writes and syncs `text` to a temporary file beside `path`, creating
/// `path`'s directory when needed.
fn write_temp(path: &Path, text: &str) -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = parent(path);
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // Neither `.rhai` nor `.json`, so a reload never reads it.
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(temp),
        Err(err) => {
            let _ = fs::remove_file(&temp);
            Err(err)
        }
    }
}

/// Removes the temporary files interrupted writes left in `dir` and its
/// test case folders (a crash between writing and renaming), except those
/// of a process still running; returns the names removed.
pub(crate) fn remove_stale_temps(dir: &Path) -> Vec<String> {
    let case_dirs = fs::read_dir(dir.join("tests"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir());
    std::iter::once(dir.to_path_buf())
        .chain(case_dirs)
        .flat_map(|d| remove_stale_temps_in(&d))
        .collect()
}

/// [`remove_stale_temps`] in one directory, not below it.
fn remove_stale_temps_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_owner(&name) else {
            continue;
        };
        let running =
            pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists();
        if !running && fs::remove_file(entry.path()).is_ok() {
            removed.push(name);
        }
    }
    removed
}

/// The process id in a temporary file's name `.NAME.PID.N.tmp`, if `name`
/// is one.
fn temp_owner(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = inner.rsplitn(3, '.');
    let counter = parts.next()?;
    let pid = parts.next()?;
    let original = parts.next()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(counter) && !original.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Removes `path` and makes the removal durable.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    fs::remove_file(path)?;
    sync_dir(parent(path))
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename or removal in `dir` durable (a no-op where directories
/// cannot be opened, as on Windows).
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir) {
        Ok(handle) => handle.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// One change to the served models, as the audit log records it.
#[derive(Debug, Serialize)]
pub(crate) struct AuditEntry<'a> {
    /// The token's name.
    pub(crate) who: &'a str,
    /// "put" or "delete".
    pub(crate) action: &'a str,
    pub(crate) model: &'a str,
    pub(crate) file: &'a str,
    /// "" when the model is new.
    pub(crate) old_sha256: &'a str,
    /// "" when the model was deleted.
    pub(crate) new_sha256: &'a str,
    /// The test case files written (a put) or removed (a delete), relative
    /// to the scripts directory: a put may change only those.
    pub(crate) cases: &'a [String],
}

/// Appends `entry` with the current time as one JSON line, durably.
pub(crate) fn audit(log: &Path, entry: &AuditEntry<'_>) -> io::Result<()> {
    #[derive(Serialize)]
    struct Line<'a> {
        time: String,
        #[serde(flatten)]
        entry: &'a AuditEntry<'a>,
    }
    let time = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let mut line = serde_json::to_string(&Line { time, entry }).map_err(io::Error::other)?;
    line.push('\n');
    let mut file = OpenOptions::new().create(true).append(true).open(log)?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_and_leave_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("maturity-store-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.rhai");
        let case = dir.join("tests/m/c.json");
        write_all_atomic(&[(path.clone(), "first")]).unwrap();
        write_all_atomic(&[(case.clone(), "{}"), (path.clone(), "second")]).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(fs::read_to_string(&case).unwrap(), "{}");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(fs::read_dir(dir.join("tests/m")).unwrap().count() == 1);
        remove(&path).unwrap();
        assert!(!path.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_is_renamed_into_place_unless_every_file_was_written() {
        let dir = std::env::temp_dir().join(format!("maturity-store-all-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.rhai");
        write_all_atomic(&[(path.clone(), "old")]).unwrap();
        // A file inside a regular file cannot be written.
        let impossible = path.join("c.json");
        assert!(
            write_all_atomic(&[
                (dir.join("a.json"), "a"),
                (impossible, "x"),
                (path.clone(), "new")
            ])
            .is_err()
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["m.rhai"], "a file or a temporary was left");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_temporary_files_of_writes_are_recognised() {
        assert_eq!(temp_owner(".five_stage.rhai.4242.7.tmp"), Some(4242));
        assert_eq!(temp_owner(".a.b.rhai.1.0.tmp"), Some(1));
        for other in [
            "five_stage.rhai",
            ".x.tmp",
            ".rhai.1.tmp",
            ".a.rhai.x.0.tmp",
            "a.rhai.1.0.tmp",
        ] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
    }
}
