//! A real server's resident memory against the number of models it loads:
//! N copies of the built-in five_stage model in a scripts directory, served
//! by this very binary until it listens, then its RSS read from /proc.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::chart::Chart;
use super::{Curve, failed};
use crate::cli::CliError;
use crate::engine::builtin_scripts;

/// RSS (MiB) of a server serving each count of models.
pub(super) fn rss(counts: &[usize]) -> Result<Curve, CliError> {
    let mut points = Vec::new();
    for &n in counts {
        let dir = std::env::temp_dir().join(format!("maturity-scaling-{}-{n}", std::process::id()));
        write_models(&dir, n)?;
        let measured = measure(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        points.push((n as f64, measured?));
    }
    Ok(Curve {
        chart: Chart {
            title: "Server RSS against models loaded (copies of five_stage)".into(),
            x_label: "models loaded".into(),
            y_label: "server RSS (MiB)".into(),
            points,
        },
        columns: ["models", "RSS (MiB)", "MiB per model"],
    })
}

/// `n` copies of five_stage (ids five_stage_0..) with the built-in libs.
fn write_models(dir: &Path, n: usize) -> Result<(), CliError> {
    let scripts = builtin_scripts();
    let io = |path: PathBuf| move |source| CliError::Read { path, source };
    std::fs::create_dir_all(dir.join("lib")).map_err(io(dir.into()))?;
    for lib in &scripts.libs {
        let path = dir.join(&lib.file);
        std::fs::write(&path, &lib.text).map_err(io(path.clone()))?;
    }
    let model = scripts
        .models
        .iter()
        .find(|m| m.file == "five_stage.rhai")
        .ok_or_else(|| failed("five_stage", "not built in"))?;
    for i in 0..n {
        let text = model
            .text
            .replacen("id: \"five_stage\"", &format!("id: \"five_stage_{i}\""), 1);
        let path = dir.join(format!("five_stage_{i}.rhai"));
        std::fs::write(&path, text).map_err(io(path.clone()))?;
    }
    Ok(())
}

/// Serves `dir` until the server listens and returns its RSS in MiB.
fn measure(dir: &Path) -> Result<f64, CliError> {
    let exe = std::env::current_exe().map_err(|e| failed("this binary", e))?;
    let mut child = Command::new(exe)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-watch",
            "--scripts",
        ])
        .arg(dir)
        .env("MATURITY_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed("starting a server", e))?;
    let listening = wait_for_listening(&mut child);
    let rss = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        });
    let _ = child.kill();
    let _ = child.wait();
    listening?;
    rss.map(|kib| kib / 1024.0)
        .ok_or_else(|| failed("server RSS", "no /proc/PID/status (Linux only)"))
}

fn wait_for_listening(child: &mut Child) -> Result<(), CliError> {
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| failed("server", "no stderr"))?;
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        if line.contains("maturity service listening") {
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(());
        }
        seen.push(line);
    }
    Err(failed("server exited before listening", seen.join("\n")))
}
