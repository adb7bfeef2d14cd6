//! Running the `maturity` binary for real: one-shot commands and `serve` as
//! a child process whose logs are kept.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `maturity args...` to completion.
pub fn maturity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maturity"))
        .args(args)
        .env("MATURITY_LOG", "warn")
        .output()
        .unwrap()
}

/// The standard output of a command that must have succeeded.
pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A fresh, empty directory under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tokens file in `dir` with a deploy token `DEPLOY_TOKEN` for "ops",
/// readable by its owner only; returns its path.
pub fn tokens_file(dir: &Path) -> PathBuf {
    let path = dir.join("tokens");
    std::fs::write(&path, format!("ops deploy {DEPLOY_TOKEN}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

/// The deploy token [`tokens_file`] writes.
pub const DEPLOY_TOKEN: &str = "deploy-token-0123456789abcdef";

/// Copies the shipped scripts directory (models, lib, tests) into `dir`.
pub fn copy_scripts(dir: &Path) {
    copy_dir(&super::scripts_dir(), dir);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A `maturity serve` child process, the address it listens on and its logs.
pub struct Served {
    pub child: Child,
    pub url: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Served {
    /// Every log line so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// How many log lines so far contain `needle`.
    pub fn count_logs(&self, needle: &str) -> usize {
        self.logs().iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits up to 20 s for `count` log lines containing `needle`.
    pub fn wait_for_logs(&self, needle: &str, count: usize) {
        let start = Instant::now();
        while self.count_logs(needle) < count {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "fewer than {count} log lines with {needle:?} in:\n{}",
                self.logs().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's peak and current resident memory, in KiB (Linux).
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        Some((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits up to 20 s for a log line containing `needle`.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Some(line) = self.logs().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no log line with {needle:?} in:\n{}",
            self.logs().join("\n")
        );
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `maturity serve --listen 127.0.0.1:0` with `extra` flags.
pub fn serve(extra: &[&str]) -> Served {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend(extra);
    serve_with(&args, &[])
}

/// `maturity serve --listen 127.0.0.1:0` with `extra` flags, run from
/// `cwd` (so relative paths are relative to it).
pub fn serve_from(cwd: &Path, extra: &[&str]) -> Served {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend(extra);
    spawn(
        Command::new(env!("CARGO_BIN_EXE_maturity")).current_dir(cwd),
        &args,
        &[],
    )
}

/// Runs the binary with `args` and `envs` until it logs its listen address.
pub fn serve_with(args: &[&str], envs: &[(&str, &str)]) -> Served {
    spawn(
        &mut Command::new(env!("CARGO_BIN_EXE_maturity")),
        args,
        envs,
    )
}

/// Runs `command` with `args` and `envs` until it logs its listen address.
fn spawn(command: &mut Command, args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut child = command
        .args(args)
        .envs(envs.iter().copied())
        .env("MATURITY_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let logs = Arc::new(Mutex::new(Vec::new()));
    while let Some(Ok(line)) = lines.next() {
        logs.lock().unwrap().push(line.clone());
        // Text logs say address=HOST:PORT, JSON logs "address":"HOST:PORT".
        let address = line
            .split("address=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .or_else(|| {
                line.split("\"address\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
            });
        if let Some(address) = address {
            let url = format!("http://{address}");
            let kept = Arc::clone(&logs);
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    kept.lock().unwrap().push(line);
                }
            });
            return Served { child, url, logs };
        }
    }
    let _ = child.kill();
    let status = child.wait();
    panic!(
        "maturity serve exited without listening: {status:?}\n{}",
        logs.lock().unwrap().join("\n")
    );
}
