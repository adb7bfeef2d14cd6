//! A cancelled call stops its work: the script it started does not run on
//! in the background. Alone in its test binary, so the process's CPU time
//! measures that one script.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use maturity_engine::engine::{Engine, Limits};
use maturity_engine::grpc::pb::metric_value::Kind;
use support::{custom_model, start_server};

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[tokio::test]
async fn cancelling_a_call_stops_its_script() {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return;
    }
    let limits = Limits {
        max_operations: 0,
        max_time: Duration::from_secs(120),
        ..Limits::default()
    };
    let mut engine = Engine::new(limits);
    let spin = custom_model(
        "spin",
        "|m| { let i = 0; while i >= 0 { i += 1; } m.x > 0.0 }",
        "",
    );
    engine.load(&spin, &[]).unwrap();
    let server = start_server(engine).await;
    let mut client = server.client().await;
    let request = support::one_metric("spin", "x", Kind::Number(0.5));
    // The client gives up after 300 ms, without a deadline the server knows of.
    let gave_up = tokio::time::timeout(Duration::from_millis(300), client.assess(request)).await;
    assert!(gave_up.is_err(), "the spinning script answered");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_seconds() - before;
    assert!(
        used < 0.5,
        "{used:.2} s of CPU in 1 s after the cancel: the script runs on"
    );
    server.stop().await;
}
