//! The `maturity` binary, run for real: assess (locally and against a
//! server), models, serve, and its errors.
#![allow(clippy::unwrap_used)]

mod support;

use support::bin::{maturity, scratch, serve, serve_with, stdout};

use std::path::Path;

use maturity_engine::engine::Assessment;

/// `assess --json`: an Assessment in the proto3 JSON mapping.
fn from_json(text: &str) -> Assessment {
    let answer: maturity_engine::grpc::pb::Assessment = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("not an Assessment in the proto3 JSON mapping: {e}\n{text}"));
    Assessment::from(answer)
}

#[test]
fn assess_reports_every_case_in_text_and_json() {
    for (file, case) in support::load_cases() {
        let path = support::scripts_dir().join(&file);
        let path = path.to_str().unwrap();
        let text = stdout(&maturity(&["assess", "--metrics", path]));
        let got = from_json(&stdout(&maturity(&["assess", "--metrics", path, "--json"])));
        let level_line = format!("\nLevel {} {}  (score", case.expect.rank, got.level.name);
        assert!(
            got.level.id == case.expect.level_id && text.contains(&level_line),
            "{file}:\n{text}"
        );
        let json = stdout(&maturity(&[
            "assess",
            "--metrics",
            path,
            "--model",
            &case.model,
            "--json",
        ]));
        let got = from_json(&json);
        assert!(
            case.differences(&got).is_empty(),
            "{file}: {:?}",
            case.differences(&got)
        );
    }
}

#[test]
fn assess_reads_a_plain_metrics_object_and_explains() {
    let dir = scratch("plain_metrics");
    let file = dir.join("org.json");
    std::fs::write(
        &file,
        r#"{ "crm_in_place": true, "crm_adoption": 0.6, "stages_defined": 3, "mood": "sunny", "win_rat": 0.3 }"#,
    )
    .unwrap();
    let text = stdout(&maturity(&[
        "assess",
        "--model",
        "five_stage",
        "--metrics",
        file.to_str().unwrap(),
        "--explain",
    ]));
    assert!(
        text.contains("Level 1 Effort-Driven, could be 2 Activity-Driven"),
        "{text}"
    );
    assert!(
        text.contains("Provisional: proven at 1, up to 2 on metrics not supplied (6% of the metrics that matter were supplied).\n  To decide the level, supply: founder_share_of_deals, top2_rep_share_of_wins, sales_reps, pipeline_review_cadence_days"),
        "{text}"
    );
    // Undecided: not the proven level's portrait, which would read as a verdict.
    assert!(!text.contains("Deals close because"), "{text}");
    // Unknown criteria are drawn apart from failed ones (▒, not ░).
    assert!(
        text.contains(
            "Leadership and rhythm  ▒▒▒▒▒▒▒▒▒▒  0/8 passed, 8 unknown, first gap at rank 2"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "System of record       ███▒▒▒▒░░░  1/3 passed, 1 unknown, first gap at rank 3"
        ),
        "{text}"
    );
    assert!(
        has_row(&text, "pass 2 crm_in_use crm_in_place true true"),
        "{text}"
    );
    assert!(has_row(&text, "crm_adoption 0.6 at least 0.3"), "{text}");
    assert!(
        has_row(
            &text,
            "UNKNOWN 2 beyond_the_founder founder_share_of_deals missing at most 0.5"
        ),
        "{text}"
    );
    // Rank 3 is known to fail on CRM adoption: that is work for now.
    assert!(
        text.contains("Now (this quarter):\n  1. Run the business from what the CRM shows"),
        "{text}"
    );
    assert!(
        text.contains(
            "Ignored metrics (the model does not read them): mood, win_rat (did you mean 'win_rate'?)\n"
        ),
        "{text}"
    );
    // Those that would decide rank 2 come first.
    assert!(
        text.contains(
            "Missing metrics: founder_share_of_deals, top2_rep_share_of_wins, sales_reps"
        ),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.split_whitespace().take(3).eq([
            "UNKNOWN",
            "5",
            "key_accounts_planned"
        ])),
        "--explain lists every level's criteria:\n{text}"
    );
}

/// Whether a line of the report's table has exactly these cells.
fn has_row(text: &str, cells: &str) -> bool {
    text.lines()
        .any(|line| line.split_whitespace().eq(cells.split_whitespace()))
}

#[test]
fn the_report_lists_criteria_up_to_the_next_level_unless_explaining() {
    let path = support::scripts_dir().join("tests/five_stage/five_stage_rank2_example.json");
    let text = stdout(&maturity(&["assess", "--metrics", path.to_str().unwrap()]));
    assert!(
        has_row(
            &text,
            "FAIL 3 crm_system_of_record crm_adoption 0.65 at least 0.85"
        ),
        "{text}"
    );
    assert!(!text.contains("key_accounts_planned"), "{text}");
    assert!(
        text.contains("(15 criteria of higher levels not shown: --explain shows them)"),
        "{text}"
    );
    assert!(
        text.contains("Levers (together they clear every failing criterion):"),
        "{text}"
    );
    // The table replaces the "Not Process-Driven yet" paragraph it repeats.
    assert!(!text.contains("Not Process-Driven yet"), "{text}");
    assert!(
        text.contains("crm_adoption: 0.65 -> 0.85 (+0.2)  for crm_system_of_record"),
        "{text}"
    );
}

#[test]
fn assess_errors_name_what_is_wrong_and_exit_non_zero() {
    let dir = scratch("bad_metrics");
    let file = dir.join("org.json");
    std::fs::write(&file, r#"{ "win_rate": 1.5 }"#).unwrap();
    let path = file.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["assess", "--model", "five_stage", "--metrics", path],
            "metrics[win_rate]: must be in [0, 1], got 1.5",
        ),
        (
            &["assess", "--model", "nope", "--metrics", path],
            "model 'nope' not found; available models: chaotic_to_predictive, five_stage",
        ),
        (&["assess", "--metrics", path], "no model given"),
        (
            &[
                "assess",
                "--model",
                "five_stage",
                "--metrics",
                "/no/such/file.json",
            ],
            "/no/such/file.json",
        ),
    ];
    for (args, expected) in cases {
        let output = maturity(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn models_lists_the_built_in_models() {
    let text = stdout(&maturity(&["models"]));
    assert!(
        text.contains("five_stage 2.0.0: Five-stage sales behaviour"),
        "{text}"
    );
    assert!(
        text.contains("levels 1 chaotic, 2 defined, 3 optimized, 4 agile, 5 predictive"),
        "{text}"
    );
}

#[test]
fn models_json_is_what_the_http_api_lists() {
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&maturity(&["models", "--json"]))).unwrap();
    let models = json["models"].as_array().unwrap();
    let five = models.iter().find(|m| m["id"] == "five_stage").unwrap();
    // The proto3 JSON mapping: lowerCamelCase names, enums by name.
    assert_eq!(five["scriptSha256"].as_str().unwrap().len(), 64, "{five}");
    assert_eq!(five["levels"][0]["rank"], 1);
    let kind = five["metrics"][0]["kind"].as_str().unwrap();
    assert!(kind.starts_with("METRIC_KIND_"), "{kind}");
    let listed: maturity_engine::grpc::pb::ListModelsResponse =
        serde_json::from_value(json.clone()).unwrap();
    assert_eq!(listed.models.len(), models.len());
}

#[test]
fn serve_then_assess_and_list_through_the_server() {
    let served = serve(&[]);
    for (file, case) in support::load_cases() {
        let path = support::scripts_dir().join(&file);
        let json = stdout(&maturity(&[
            "assess",
            "--server",
            &served.url,
            "--metrics",
            path.to_str().unwrap(),
            "--json",
        ]));
        let got = from_json(&json);
        assert!(
            case.differences(&got).is_empty(),
            "{file}: {:?}",
            case.differences(&got)
        );
    }
    let text = stdout(&maturity(&["models", "--server", &served.url]));
    assert!(text.contains("chaotic_to_predictive 2.0.0"), "{text}");
    let output = maturity(&[
        "assess",
        "--server",
        &served.url,
        "--model",
        "nope",
        "--metrics",
        support::scripts_dir()
            .join("tests/five_stage/five_stage_rank1_example.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("NotFound"));
}

/// Writes a small custom model with id `id` into `dir`.
fn write_model(dir: &Path, id: &str) {
    let script = support::custom_model(id, "|m| m.x >= 0.5", "");
    std::fs::write(dir.join(&script.file), script.text).unwrap();
}

#[test]
fn serve_a_scripts_directory_skipping_a_broken_script() {
    let dir = scratch("served_scripts");
    write_model(&dir, "custom");
    std::fs::write(dir.join("broken.rhai"), "#{ id: ").unwrap();
    let served = serve(&["--scripts", dir.to_str().unwrap()]);
    let text = stdout(&maturity(&["models", "--server", &served.url]));
    assert!(text.contains("custom 0.1.0: Custom"), "{text}");
    assert!(!text.contains("five_stage"), "{text}");
}

#[test]
fn serve_reads_its_settings_from_the_environment() {
    let dir = scratch("env_scripts");
    write_model(&dir, "from_env");
    let envs = [
        ("MATURITY_LISTEN", "127.0.0.1:0"),
        ("MATURITY_SCRIPTS", dir.to_str().unwrap()),
    ];
    let served = serve_with(&["serve"], &envs);
    let text = stdout(&maturity(&["models", "--server", &served.url]));
    assert!(text.starts_with("from_env 0.1.0"), "{text}");
}

#[test]
fn a_scripts_directory_with_no_loadable_model_is_an_error() {
    let dir = scratch("no_models");
    std::fs::write(dir.join("broken.rhai"), "let = ;").unwrap();
    let output = maturity(&["models", "--scripts", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.rhai:1:"), "{stderr}");
    assert!(stderr.contains("no model loaded from"), "{stderr}");
}

#[test]
fn a_jsonl_file_streams_through_the_server_one_answer_per_line() {
    let served = serve(&[]);
    let dir = scratch("jsonl");
    let file = dir.join("orgs.jsonl");
    let case = std::fs::read_to_string(
        support::scripts_dir().join("tests/five_stage/five_stage_rank3_example.json"),
    )
    .unwrap();
    let case: serde_json::Value = serde_json::from_str(&case).unwrap();
    let lines = [
        serde_json::to_string(&case).unwrap(),
        String::new(),
        r#"{"model": "five_stage", "request_id": "bad", "metrics": {"win_rate": 1.5}}"#.to_owned(),
        r#"{"model": "nope", "metrics": {}}"#.to_owned(),
        // Not JSON: refused in its place, and the lines after it go on.
        r#"{"model": "five_stage", "metrics": "#.to_owned(),
        serde_json::to_string(&case).unwrap(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let output = maturity(&[
        "assess",
        "--server",
        &served.url,
        "--metrics",
        file.to_str().unwrap(),
    ]);
    // Every answer is printed; the exit status says three were errors.
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let answers: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 5, "{text}");
    assert_eq!(answers[0]["requestId"], "1");
    assert_eq!(answers[0]["assessment"]["level"]["id"], "process_driven");
    assert_eq!(answers[1]["requestId"], "bad");
    assert_eq!(answers[1]["error"]["code"], "INVALID_ARGUMENT");
    assert!(
        answers[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metrics[win_rate]")
    );
    assert_eq!(
        (
            answers[2]["requestId"].as_str(),
            answers[2]["error"]["code"].as_str()
        ),
        (Some("4"), Some("NOT_FOUND"))
    );
    assert_eq!(answers[3]["requestId"], "5");
    assert_eq!(answers[3]["error"]["code"], "INVALID_ARGUMENT");
    assert!(
        answers[3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 5: EOF while parsing"),
        "{}",
        answers[3]
    );
    assert_eq!(answers[4]["requestId"], "6");
    assert_eq!(answers[4]["assessment"]["level"]["id"], "process_driven");
    assert!(String::from_utf8_lossy(&output.stderr).contains("2 assessed, 3 failed"));
}

#[test]
fn bench_suite_prints_one_table_of_ratios_to_echo() {
    let served = serve(&["--echo", "--http-listen", "127.0.0.1:0"]);
    let pid = served.child.id().to_string();
    // Logged before the gRPC address the helper waits for.
    let http = served
        .logs()
        .iter()
        .find_map(|l| {
            let rest = l.split("HTTP/JSON API listening on ").nth(1)?;
            Some(rest.split("/v1/models").next()?.to_owned())
        })
        .expect("the HTTP address in the logs");
    let text = stdout(&maturity(&[
        "bench",
        "--server",
        &served.url,
        "--http",
        &http,
        "--suite",
        "--rounds",
        "1",
        "--concurrency",
        "2",
        "--duration",
        "1",
        "--server-pid",
        &pid,
    ]));
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 6, "a header and five runs:\n{text}");
    assert!(rows[0].contains("req/s ÷ echo"), "{text}");
    assert!(
        rows[1].starts_with("| echo | 1.00× | 1.00× | 1.00× |"),
        "{text}"
    );
    for (row, label) in rows[2..].iter().zip([
        "Assess, full view",
        "AssessStream, basic view",
        "AssessStream, full view",
        "HTTP/JSON Assess, full view",
    ]) {
        assert!(row.starts_with(&format!("| {label} | ")), "{text}");
        assert!(row.ends_with("| 0 |"), "no errors: {row}");
    }
    assert!(text.contains("server peak RSS "), "{text}");
}

#[test]
fn assess_takes_the_file_as_an_argument_and_a_basic_view_reads_cleanly() {
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/tests/five_stage/five_stage_rank2_example.json"
    );
    let text = stdout(&maturity(&["assess", case, "--view", "basic"]));
    assert!(text.contains("Level 2 Activity-Driven"), "{text}");
    assert!(text.contains("Now (this quarter):"), "{text}");
    // The basic view carries no criteria, metrics or reasons: nothing
    // empty is printed in their place.
    assert!(!text.contains("Criteria:"), "{text}");
    assert!(!text.contains("[]") && !text.contains("()"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&maturity(&[
        "assess", case, "--view", "basic", "--json",
    ])))
    .unwrap();
    assert_eq!(json["level"]["rank"], 2);
    assert!(json.get("criteria").is_none(), "{json}");
    let full: serde_json::Value =
        serde_json::from_str(&stdout(&maturity(&["assess", case, "--json"]))).unwrap();
    assert!(full["criteria"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn assess_json_prints_a_refusal_in_the_apis_error_shape_locally_and_from_a_server() {
    let dir = scratch("json_errors");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"model": "five_stage", "metrics": {"win_rate": 7}}"#,
    )
    .unwrap();
    let served = serve(&[]);
    let path = bad.to_str().unwrap();
    for args in [
        vec!["assess", path, "--json"],
        vec!["assess", path, "--json", "--server", &served.url],
    ] {
        let out = maturity(&args);
        assert!(!out.status.success(), "{args:?}");
        let error: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
        assert_eq!(error["code"], "INVALID_ARGUMENT", "{args:?}: {error}");
        let violation = &error["details"][0]["fieldViolations"][0];
        assert_eq!(violation["field"], "metrics[win_rate]", "{args:?}: {error}");
    }
}

#[test]
fn bench_scaling_measures_and_draws_every_curve() {
    let dir = scratch("bench_scaling");
    let text = stdout(&maturity(&[
        "bench-scaling",
        "--quick",
        "--out",
        dir.to_str().unwrap(),
    ]));
    for (curve, first_column) in [
        ("criteria", "| criteria |"),
        ("metrics", "| metrics |"),
        ("compile", "| KiB |"),
        ("models", "| models |"),
    ] {
        assert!(text.contains(first_column), "{curve}:\n{text}");
        let svg = std::fs::read_to_string(dir.join(format!("scaling-{curve}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{curve}");
        // Two sizes in a quick run: two measured points, each drawn.
        assert_eq!(svg.matches("<circle").count(), 2, "{curve}: {svg}");
        let measured = svg.split("class=\"measured\"").nth(1).unwrap();
        assert!(!measured.contains("NaN"), "{curve}: {svg}");
    }
}

#[test]
fn bench_loads_a_server_in_every_mode_and_reports() {
    let served = serve(&["--echo"]);
    let pid = served.child.id().to_string();
    for (mode, view) in [
        ("assess", "full"),
        ("stream", "full"),
        ("stream", "basic"),
        ("echo", "full"),
    ] {
        let text = stdout(&maturity(&[
            "bench",
            "--server",
            &served.url,
            "--mode",
            mode,
            "--view",
            view,
            "--concurrency",
            "2",
            "--duration",
            "1",
            "--server-pid",
            &pid,
        ]));
        if mode != "echo" {
            assert!(
                text.lines()
                    .next()
                    .unwrap()
                    .ends_with(&format!("view {view}")),
                "{text}"
            );
        }
        assert!(
            text.starts_with(&format!(
                "mode {mode}  concurrency 2  connections 2  duration 1 s"
            )),
            "{text}"
        );
        let requests: u64 = text
            .split("requests ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(requests > 0, "{text}");
        assert!(text.contains("errors 0"), "{text}");
        assert!(
            text.contains("latency ms  p50 ") && text.contains("p99.9 "),
            "{text}"
        );
        assert!(
            text.contains("server peak RSS ") && text.contains(" MiB"),
            "{text}"
        );
        assert!(
            text.contains("server CPU ") && text.contains(" µs per request"),
            "{text}"
        );
    }
}

/// Runs `maturity args...` with `envs` set, to completion.
fn maturity_with_env(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
        .args(args)
        .envs(envs.iter().copied())
        .env("MATURITY_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn the_clients_send_a_token_to_a_server_that_requires_one() {
    use support::bin::{DEPLOY_TOKEN, copy_scripts, tokens_file};
    let dir = scratch("client_tokens");
    let scripts = dir.join("scripts");
    copy_scripts(&scripts);
    let tokens = tokens_file(&dir);
    let served = serve(&[
        "--require-token",
        "--admin-tokens",
        tokens.to_str().unwrap(),
        "--scripts",
        scripts.to_str().unwrap(),
        "--http-listen",
        "127.0.0.1:0",
    ]);
    let http = served
        .wait_for_log("HTTP/JSON API listening on ")
        .split("HTTP/JSON API listening on ")
        .nth(1)
        .and_then(|rest| rest.split("/v1/models").next())
        .unwrap()
        .to_owned();
    let case = support::scripts_dir().join("tests/five_stage/five_stage_rank3_example.json");
    let orgs = dir.join("orgs.jsonl");
    let one_line: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
    std::fs::write(&orgs, one_line.to_string()).unwrap();
    let script = scripts.join("five_stage.rhai");
    fn bench<'a>(mode: &'a str, server: &'a str) -> Vec<&'a str> {
        let flags = [
            "--concurrency",
            "1",
            "--connections",
            "1",
            "--duration",
            "1",
        ];
        [&["bench", "--server", server, "--mode", mode][..], &flags].concat()
    }
    let http = format!("http://{http}");
    let (case, orgs, script) = (
        case.to_str().unwrap(),
        orgs.to_str().unwrap(),
        script.to_str().unwrap(),
    );
    let calls: Vec<Vec<&str>> = vec![
        vec!["assess", "--server", &served.url, "--metrics", case],
        vec!["assess", orgs, "--server", &served.url],
        vec!["models", "--server", &served.url],
        bench("assess", &served.url),
        bench("stream", &served.url),
        bench("http", &http),
        vec!["deploy", script, "--server", &served.url],
    ];
    for args in &calls {
        // From the environment, and from the flag.
        for output in [
            maturity_with_env(args, &[("MATURITY_TOKEN", DEPLOY_TOKEN)]),
            maturity(&[args.as_slice(), &["--token", DEPLOY_TOKEN]].concat()),
        ] {
            let out = stdout(&output);
            let err = String::from_utf8_lossy(&output.stderr);
            assert!(
                !out.contains(DEPLOY_TOKEN) && !err.contains(DEPLOY_TOKEN),
                "{args:?}"
            );
            if args[0] == "bench" {
                assert!(out.contains("errors 0"), "{args:?}: {out}");
            }
        }
    }
    let refused = maturity(&["models", "--server", &served.url]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("missing `authorization: Bearer <token>` header"),
        "{stderr}"
    );
}

#[test]
fn a_jsonl_line_that_is_not_utf8_is_answered_in_its_place() {
    let served = serve(&[]);
    let dir = scratch("jsonl_not_utf8");
    let file = dir.join("odd.jsonl");
    let good = br#"{"model": "five_stage", "metrics": {"crm_in_place": true}}"#;
    let mut bytes = good.to_vec();
    bytes.extend_from_slice(b"\n{\"model\": \"five_stage\", \"subject_id\": \"caf\xe9\"}\r\n");
    bytes.extend_from_slice(good);
    bytes.push(b'\n');
    std::fs::write(&file, bytes).unwrap();
    let output = maturity(&["assess", file.to_str().unwrap(), "--server", &served.url]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let answers: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 3, "{text}");
    assert!(answers[0]["assessment"].is_object(), "{text}");
    assert_eq!(answers[1]["requestId"], "2");
    assert_eq!(answers[1]["error"]["code"], "INVALID_ARGUMENT");
    let message = answers[1]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("odd.jsonl: line 2: not UTF-8"),
        "{message}"
    );
    assert_eq!(answers[2]["requestId"], "3");
    assert!(answers[2]["assessment"].is_object(), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 assessed, 1 failed"), "{stderr}");
}

#[test]
fn a_byte_order_mark_before_a_json_or_jsonl_file_is_skipped() {
    let dir = scratch("byte_order_mark");
    let case = std::fs::read_to_string(
        support::scripts_dir().join("tests/five_stage/five_stage_rank2_example.json"),
    )
    .unwrap();
    let json = dir.join("bom.json");
    std::fs::write(&json, format!("\u{feff}{case}")).unwrap();
    let answer = from_json(&stdout(&maturity(&[
        "assess",
        json.to_str().unwrap(),
        "--json",
    ])));
    assert_eq!(answer.level.rank, 2);
    // The other readers of a metrics file share the same reading.
    let report = dir.join("bom.html");
    let made = maturity(&[
        "report",
        "--metrics",
        json.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{made:?}");
    let one_line: serde_json::Value = serde_json::from_str(&case).unwrap();
    let jsonl = dir.join("bom.jsonl");
    std::fs::write(&jsonl, format!("\u{feff}{one_line}\n{one_line}\n")).unwrap();
    let served = serve(&[]);
    let text = stdout(&maturity(&[
        "assess",
        jsonl.to_str().unwrap(),
        "--server",
        &served.url,
    ]));
    let answers: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{text}");
    for answer in &answers {
        assert_eq!(answer["assessment"]["level"]["rank"], 2, "{text}");
    }
}

#[test]
fn a_jsonl_line_too_large_to_send_is_answered_in_its_place() {
    let served = serve(&[]);
    let dir = scratch("jsonl_too_large");
    let file = dir.join("big.jsonl");
    let good = r#"{"model": "five_stage", "metrics": {"crm_in_place": true}}"#;
    let huge = format!(
        r#"{{"model": "five_stage", "metrics": {{"notes": "{}"}}}}"#,
        "n".repeat(1_100_000)
    );
    std::fs::write(&file, format!("{good}\n{huge}\n{good}\n")).unwrap();
    let output = maturity(&["assess", file.to_str().unwrap(), "--server", &served.url]);
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let answers: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Sent, the line would have ended the stream and the third with it.
    assert_eq!(answers.len(), 3, "{text}");
    assert_eq!(answers[1]["error"]["code"], "INVALID_ARGUMENT", "{text}");
    let message = answers[1]["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 2: a request of"), "{message}");
    assert!(answers[2]["assessment"].is_object(), "{text}");
}

#[test]
fn bench_counts_refused_calls_as_errors_not_throughput_and_fails() {
    use support::bin::tokens_file;
    let dir = scratch("bench_refused");
    let tokens = tokens_file(&dir);
    // Every call is refused: no token.
    let served = serve(&[
        "--require-token",
        "--admin-tokens",
        tokens.to_str().unwrap(),
    ]);
    for (mode, why) in [
        ("assess", "(the first: Unauthenticated"),
        ("stream", "(the first: Unauthenticated"),
        // Nor does it serve the echo baseline.
        (
            "echo",
            "(the first: Unimplemented: the server has no echo service (serve it with --echo))",
        ),
    ] {
        let output = maturity(&[
            "bench",
            "--server",
            &served.url,
            "--mode",
            mode,
            "--concurrency",
            "2",
            "--duration",
            "1",
        ]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{mode}: {text}");
        assert!(text.contains("requests 0 (0/s)"), "{mode}: {text}");
        assert!(!text.contains("errors 0"), "{mode}: {text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("calls failed"), "{mode}: {stderr}");
        assert!(stderr.contains(why), "{mode}: {stderr}");
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let example = support::scripts_dir().join("tests/five_stage/five_stage_rank3_example.json");
    let example = example.to_str().unwrap();
    let scripts = support::scripts_dir();
    for args in [
        &["assess", "--metrics", example, "--json"][..],
        &["assess", "--metrics", example],
        &["models", "--scripts", scripts.to_str().unwrap()],
    ] {
        // `maturity ... | head -0`: the pipe's reader is gone before a
        // byte is written.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn a_level_no_missing_metric_can_change_is_settled_not_provisional() {
    let dir = scratch("settled");
    let file = dir.join("org.json");
    // No CRM: rank 2 fails whatever else is supplied.
    std::fs::write(&file, r#"{ "crm_in_place": false, "crm_adoption": 0.0 }"#).unwrap();
    let text = stdout(&maturity(&[
        "assess",
        "--model",
        "five_stage",
        "--metrics",
        file.to_str().unwrap(),
    ]));
    assert!(text.contains("Level 1 Effort-Driven  (score"), "{text}");
    assert!(text.contains("  Deals close because"), "{text}");
    assert!(
        text.contains("  Settled: no metric left out can change the level (4% of the metrics that matter were supplied); they would complete the dimensions and the plan: "),
        "{text}"
    );
    assert!(!text.contains("Provisional"), "{text}");
}
