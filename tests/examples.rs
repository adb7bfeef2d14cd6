//! The clients anyone can copy, run against a real server: the Python
//! example (grpcio with reflection v1alpha, no generated code) and the curl
//! one (HTTP/JSON). Each needs its tools: without them the test says so
//! loudly and passes, unless MATURITY_REQUIRE_EXAMPLES is set (CI), when it
//! fails. MATURITY_EXAMPLES_PYTHON names an interpreter with grpcio,
//! grpcio-reflection and protobuf (default `.ci/venv/bin/python`, then
//! `python3`).

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use support::http::start_builtin_http_server;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Says loudly that `what` was not checked, and fails when CI requires it.
fn missing(what: &str) {
    let message = format!("{what}: the example was NOT run against a server");
    assert!(
        std::env::var_os("MATURITY_REQUIRE_EXAMPLES").is_none(),
        "{message}"
    );
    let _ = writeln!(std::io::stderr(), "\n!!!!!!!! SKIPPED: {message}\n");
}

/// An interpreter that imports the Python example's packages.
fn python() -> Option<String> {
    let venv = root().join(".ci/venv/bin/python");
    let candidates = std::env::var("MATURITY_EXAMPLES_PYTHON")
        .into_iter()
        .chain([venv.display().to_string(), "python3".into()]);
    for python in candidates {
        let works = Command::new(&python)
            .args(["-c", "import grpc, grpc_reflection, google.protobuf"])
            .output()
            .is_ok_and(|o| o.status.success());
        if works {
            return Some(python);
        }
    }
    missing(
        "no Python with grpcio, grpcio-reflection and protobuf (python3 -m venv .ci/venv && \
         .ci/venv/bin/pip install grpcio grpcio-reflection protobuf)",
    );
    None
}

async fn run(program: String, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::new(program).args(args).output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn the_python_example_assesses_through_reflection() {
    let Some(python) = python() else { return };
    let server = start_builtin_http_server().await;
    let script = root()
        .join("examples/python/assess.py")
        .display()
        .to_string();
    let address = server.grpc.url.trim_start_matches("http://").to_owned();
    let output = run(python.clone(), vec![script.clone(), address.clone()]).await;
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.starts_with("acme: level "), "{printed}");
    assert!(printed.contains("ceiling"), "{printed}");

    // A refused call: the BadRequest's field, decoded through reflection.
    let output = run(python, vec![script, address, "7".into()]).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stderr);
    assert!(printed.contains("INVALID_ARGUMENT"), "{printed}");
    assert!(printed.contains("field metrics[crm_adoption]"), "{printed}");
    server.grpc.stop().await;
}

#[tokio::test]
async fn the_curl_example_assesses_over_http() {
    let has_curl = Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_curl {
        missing("curl is not installed");
        return;
    }
    let server = start_builtin_http_server().await;
    let script = root().join("examples/curl.sh").display().to_string();
    let url = format!("http://{}", server.http);
    let output = run("sh".into(), vec![script, url]).await;
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    let expected = regex_free_level(&printed);
    assert!(expected, "{printed}");
    server.grpc.stop().await;
}

/// Whether `printed` is "acme: level N NAME".
fn regex_free_level(printed: &str) -> bool {
    let Some(rest) = printed.trim().strip_prefix("acme: level ") else {
        return false;
    };
    let mut words = rest.split_whitespace();
    let rank_ok = words
        .next()
        .is_some_and(|r| r.parse::<u32>().is_ok_and(|r| r >= 1));
    rank_ok && words.next().is_some()
}
