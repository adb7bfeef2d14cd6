//! docs/evidence.sql, run in DuckDB over the same exports, gives the same
//! metrics as `maturity derive`: the warehouse and the binary agree.
//!
//! DuckDB comes from Python: MATURITY_DUCKDB_PYTHON names an interpreter
//! with the `duckdb` package (default `python3`). Without it the test says
//! so loudly and passes, unless MATURITY_REQUIRE_DUCKDB is set (CI), when
//! it fails.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};
use support::bin::{maturity, scratch, stdout};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An interpreter that imports duckdb, or `None` (after saying so).
fn duckdb_python() -> Option<String> {
    let python = std::env::var("MATURITY_DUCKDB_PYTHON").unwrap_or_else(|_| "python3".into());
    let works = Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(python);
    }
    let message = format!(
        "DuckDB is missing: {python} cannot import duckdb, so docs/evidence.sql was NOT checked \
         against the Rust derivation. Install it with `python3 -m venv .venv && .venv/bin/pip \
         install duckdb` and set MATURITY_DUCKDB_PYTHON=.venv/bin/python"
    );
    assert!(
        std::env::var_os("MATURITY_REQUIRE_DUCKDB").is_none(),
        "{message}"
    );
    // Written past the test harness's capture, so a passing run shows it.
    let _ = writeln!(std::io::stderr(), "\n!!!!!!!! SKIPPED: {message}\n");
    None
}

fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text).unwrap() {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn run_sql(python: &str, dir: &Path, as_of: &str) -> Map<String, Value> {
    let out = Command::new(python)
        .arg(root().join("tests/sql/run_duckdb.py"))
        .arg(root().join("docs/evidence.sql"))
        .arg(dir)
        .arg(as_of)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    object(&String::from_utf8(out.stdout).unwrap())
}

/// The binary's metrics, each value taken out of its JSON mapping
/// (`{"number": 0.5}` is 0.5) as the SQL writes them.
fn run_rust(dir: &Path, as_of: &str) -> Map<String, Value> {
    let mapped = object(&stdout(&maturity(&[
        "derive",
        dir.to_str().unwrap(),
        "--as-of",
        as_of,
        "--json",
    ])));
    let plain = |value: Value| match value {
        Value::Object(kind) if kind.len() == 1 => kind.into_iter().next().unwrap().1,
        other => panic!("not a MetricValue in the JSON mapping: {other}"),
    };
    mapped.into_iter().map(|(k, v)| (k, plain(v))).collect()
}

fn assert_same(sql: &Map<String, Value>, rust: &Map<String, Value>, what: &str) {
    let names = |m: &Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(sql),
        names(rust),
        "{what}: the SQL and the binary derive different metrics"
    );
    for (name, value) in sql {
        match (value.as_f64(), rust[name].as_f64()) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "{what}: {name}: SQL {a}, binary {b}"
            ),
            _ => assert_eq!(value, &rust[name], "{what}: {name}"),
        }
    }
}

/// The hand-made export and one generated export of each profile.
fn exports() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("tests/fixtures/crm/full")];
    for profile in [
        "process-driven",
        "hero-dependent",
        "back-filling",
        "founder-led",
    ] {
        let dir = scratch(&format!("sql_{profile}"));
        let args = [
            "generate-crm",
            dir.to_str().unwrap(),
            "--profile",
            profile,
            "--opportunities",
            "2500",
            "--sellers",
            "25",
        ];
        stdout(&maturity(&args));
        dirs.push(dir);
    }
    dirs
}

#[test]
fn the_sql_derives_what_the_binary_derives() {
    let Some(python) = duckdb_python() else {
        return;
    };
    for dir in exports() {
        // A quarter's end, mid-quarter (month lengths clamp), mid-month.
        for as_of in ["2025-06-30", "2025-05-30", "2025-02-14"] {
            let what = format!("{} as of {as_of}", dir.display());
            let (sql, rust) = (run_sql(&python, &dir, as_of), run_rust(&dir, as_of));
            assert!(rust.len() >= 13, "{what}: too few metrics to compare");
            assert_same(&sql, &rust, &what);
        }
    }
}
