//! `maturity check FILE...`: compiles model scripts and checks them against
//! the model contract, without a server, printing each problem as
//! `file:line:column` with the source line.

use std::path::Path;

use super::CliError;
use super::args::CheckArgs;
use super::error::render_load_error;
use crate::engine::{Engine, Limits, ScriptSource, read_scripts_dir};

/// Checks every file and prints the outcome.
pub(crate) fn run(args: CheckArgs) -> Result<(), CliError> {
    let mut failed = 0;
    for path in &args.files {
        match check(path) {
            Ok(line) => outln!("ok   {line}"),
            Err(message) => {
                failed += 1;
                outln!("FAIL {message}");
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{failed} of {} scripts failed the check",
            args.files.len()
        )))
    }
}

/// Checks one model script, compiled with the helpers in its directory's
/// `lib/`, as the server would load it.
fn check(path: &Path) -> Result<String, String> {
    let text =
        crate::engine::read_script_text(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let libs = if dir.join("lib").is_dir() {
        let set = read_scripts_dir(dir).map_err(|e| e.to_string())?;
        if let Some(bad) = set.unreadable.iter().find(|u| u.file.starts_with("lib/")) {
            return Err(format!("{}: {}", dir.join(&bad.file).display(), bad.reason));
        }
        set.libs
    } else {
        Vec::new()
    };
    let script = ScriptSource::new(path.display().to_string(), text);
    let model = Engine::new(Limits::default())
        .compile(&script, &libs)
        .map_err(|e| render_load_error(&e))?;
    let spec = model.spec();
    let mut line = format!(
        "{}: model {} {} ({} levels, {} metrics, {} criteria, {} signals, {} dimensions), sha256 {}",
        script.file,
        spec.id,
        spec.version,
        spec.levels.len(),
        spec.metrics.len(),
        spec.criteria.len(),
        spec.signals.len(),
        spec.dimensions.len(),
        model.sha256()
    );
    for warning in model.warnings() {
        line.push_str(&format!("\n     warning: {warning}"));
    }
    let scripted = model.scripted_checks();
    if !scripted.is_empty() {
        line.push_str(&format!(
            "\n     note: {} {} as script calls, not natively (see \"Fast checks\" in \
             docs/scripting.md): {}",
            scripted.len(),
            if scripted.len() == 1 {
                "check runs"
            } else {
                "checks run"
            },
            scripted.join(", ")
        ));
    }
    Ok(line)
}
