//! Script mistakes are caught at load (with file, line and column) or at run
//! time (with model, position and message), and never take a working model
//! down.
#![allow(clippy::unwrap_used)]

mod support;

use maturity_engine::engine::{
    AssessRequest, Diagnostic, Engine, EngineError, Horizon, Limits, LoadError, MetricValue,
    Metrics, Outcome, ScriptSource, builtin_scripts,
};
use sha2::Digest;
use support::{custom_model, engine_with};

fn metrics(x: f64) -> Metrics {
    let mut metrics = Metrics::new();
    metrics.insert("x".into(), MetricValue::Number(x));
    metrics
}

fn assess(
    engine: &Engine,
    model: &str,
    x: f64,
) -> Result<maturity_engine::engine::Assessment, EngineError> {
    engine.assess(&AssessRequest {
        model: model.into(),
        metrics: metrics(x),
        ..Default::default()
    })
}

fn load_error(script: &ScriptSource) -> LoadError {
    Engine::new(Limits::default())
        .load(script, &[])
        .unwrap_err()
}

/// Every problem the loader finds in `script`, which must break the
/// contract.
fn contract_diagnostics(script: &ScriptSource) -> Vec<Diagnostic> {
    match load_error(script) {
        LoadError::Contract(all) => {
            assert!(all.iter().all(|d| d.file == script.file));
            all
        }
        other => panic!("expected a contract error, got {other}"),
    }
}

fn contract_diagnostic(script: &ScriptSource) -> Diagnostic {
    contract_diagnostics(script).into_iter().next().unwrap()
}

#[test]
fn syntax_error_names_file_line_and_column_with_the_source_line() {
    let script = ScriptSource::new("broken.rhai", "let a = 1;\nlet b = (2 + ;\n");
    let LoadError::Script(d) = load_error(&script) else {
        panic!("expected a script error")
    };
    assert_eq!((d.file.as_str(), d.line, d.column), ("broken.rhai", 2, 14));
    assert_eq!(d.source_line.as_deref(), Some("let b = (2 + ;"));
    let rendered = d.render();
    assert!(rendered.starts_with("broken.rhai:2:14: "), "{rendered}");
    assert!(
        rendered.contains("2 | let b = (2 + ;") && rendered.ends_with("^"),
        "{rendered}"
    );
}

#[test]
fn run_time_error_names_model_criterion_and_position() {
    let engine = engine_with(&[custom_model("m", "|m| m.x.no_such_method()", "")]);
    let err = assess(&engine, "m", 0.5).unwrap_err();
    let EngineError::Script {
        model,
        context,
        diagnostic,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (model.as_str(), context.as_str()),
        ("m", "criterion 'gate'")
    );
    assert_eq!(diagnostic.file, "m.rhai");
    let line = diagnostic.source_line.as_deref().unwrap();
    assert!(line.contains("no_such_method"), "{line}");
    assert!(
        diagnostic.message.contains("no_such_method"),
        "{}",
        diagnostic.message
    );
    assert!(err.to_string().contains("m.rhai:"), "{err}");
}

#[test]
fn reading_an_unlisted_metric_out_of_sight_of_the_load_check_fails_when_run() {
    // The load check sees `m.n` but not reads made through another function.
    let check = "|m| { let read = |v| v.n; read.call(m) > 1 }";
    let engine = engine_with(&[custom_model("m", check, "")]);
    let err = assess(&engine, "m", 0.5).unwrap_err();
    let EngineError::Script { diagnostic, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        diagnostic.message,
        "reads metric 'n', which is not in its `metrics` list"
    );
    assert_eq!(diagnostic.line, 11, "{err}");
}

#[test]
fn a_misspelt_key_of_a_thresholds_map_is_not_called_a_metric() {
    let check = "|m| m.x >= T.treshold";
    let script = custom_model("m", check, "");
    let script = ScriptSource::new(
        script.file,
        format!("const T = #{{ threshold: 0.5 }};\n{}", script.text),
    );
    let engine = engine_with(&[script]);
    let err = assess(&engine, "m", 0.7).unwrap_err();
    let EngineError::Script { diagnostic, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        diagnostic.message,
        "reads 'treshold', which is not a key of the map it reads from (nor a metric the model declares)"
    );
    assert_eq!(diagnostic.line, 12, "{err}");
}

#[test]
fn a_check_that_returns_no_bool_is_refused_at_load_at_its_line() {
    let d = contract_diagnostic(&custom_model("m", "|m| m.x", ""));
    assert!(
        d.message
            .contains("criterion 'gate': the check returns f64 (1.0), not true or false"),
        "{d}"
    );
    assert!(d.source_line.unwrap().contains("check: |m| m.x"));
}

#[test]
fn a_check_that_returns_no_bool_only_sometimes_is_an_error_when_it_runs() {
    let check = "|m| if m.x > 0.9 { 1 } else { m.x > 0.5 }";
    // The probe at load sees x at its best (1.0) and refuses it.
    assert!(matches!(
        load_error(&custom_model("m", check, "")),
        LoadError::Contract(_)
    ));
    // No value the probe tries is 0.123.
    let sometimes = "|m| if m.x == 0.123 { 1 } else { m.x > 0.5 }";
    let engine = engine_with(&[custom_model("m", sometimes, "")]);
    let err = assess(&engine, "m", 0.123).unwrap_err();
    assert!(err.to_string().contains("bool"), "{err}");
}

#[test]
fn a_missing_metric_leaves_the_criterion_unknown_never_passed() {
    // Reading a missing x must not count as `()`: the check cannot pass,
    // nor fail, without it.
    let engine = engine_with(&[custom_model("m", "|m| !(m.x < 0.5)", "")]);
    let got = engine
        .assess(&AssessRequest {
            model: "m".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((got.level.rank, got.ceiling.rank), (1, 2));
    assert!(!got.criteria[0].passed);
    assert_eq!(got.criteria[0].outcome, Outcome::Unknown);
    assert_eq!(got.criteria[0].missing_metrics, vec!["x"]);
    // n is declared but no check reads it: it cannot matter.
    assert_eq!(got.missing_metrics, vec!["x"]);
    assert_eq!(got.confidence, 0.0);
    // Nothing is known to be wrong, so nothing is advised: x is to supply.
    assert!(got.interventions.is_empty(), "{:?}", got.interventions);
}

#[test]
fn contract_violations_are_refused_at_their_line_and_column() {
    let base = custom_model("m", "|m| true", "").text;
    // Each edit of the valid base script, the message it must cause, and the
    // text the diagnostic's column must point at.
    let edits = [
        (
            "criteria: [#{",
            "criteria: [], unused: [#{",
            "the model has no criteria",
            "criteria",
        ),
        (
            r#"name: "Low" }"#,
            r#"name: "Low", rank: 2 }"#,
            "list levels from rank 1 upwards",
            "rank: 2",
        ),
        ("rank: 2", "rank: 7", "rank 7 is outside 2..=2", "rank: 7"),
        (
            r#"metrics: ["x"],"#,
            r#"metrics: ["y"],"#,
            "lists metric 'y', which the model does not declare",
            r#""y""#,
        ),
        (
            r#"metrics: ["x"] }"#,
            r#"metrics: ["zz"] }"#,
            "naming metric 'zz', which the model does not declare",
            r#""zz""#,
        ),
        (
            r#"metrics: ["x"] }"#,
            "metrics: [] }",
            "intervention 'raise_x' naming no metrics",
            "metrics: [] }",
        ),
        (
            r#"name: "n", kind"#,
            r#"name: "x", kind"#,
            "metric 'x' is declared twice",
            r#""x", kind: "count""#,
        ),
        (
            r#"kind: "ratio""#,
            r#"kind: "percent""#,
            "unknown kind 'percent'",
            "kind",
        ),
        (
            "check: |m| true,",
            "check: true,",
            "must be a function",
            "check",
        ),
        (
            "check: |m| true,",
            "check: |m| m.n > 1,",
            "reads metric 'n', which is not in its `metrics` list",
            "n > 1",
        ),
        (
            "check: |m| true,",
            "check: |m| m[\"q\"],",
            "reads metric 'q', which the model does not declare",
            "\"q\"",
        ),
        (
            r#", #{ id: "high", name: "High" }"#,
            "",
            "at least two levels",
            "levels",
        ),
        (
            "check: |m| true,",
            "check: |m| true, any_of: [],",
            "give either `check` (with `metrics`) or `any_of`, not both",
            "any_of",
        ),
        (
            "check: |m| true,",
            "check: |m| true, applies: |m| true,",
            "reads no metric: read the metrics it depends on directly",
            "applies",
        ),
        (
            "check: |m| true,",
            "check: |m| true, applies: |m| m.w > 0,",
            "`applies` reads metric 'w', which the model does not declare",
            "applies",
        ),
        (
            r#"description: "x is high","#,
            r#"description: "x is high", dimension: "speed","#,
            "names dimension 'speed', but the model declares no `dimensions`",
            "dimension",
        ),
        (
            r#"levels: ["#,
            r#"dimensions: [#{ id: "speed", name: "Speed" }], levels: ["#,
            "criterion 'gate' needs a `dimension`: one of speed",
            "#{",
        ),
        (
            r#"title: "Raise x","#,
            r#"title: "Raise x", weight: 0,"#,
            "must be above 0, got 0",
            "weight",
        ),
    ];
    for (from, to, expected, at) in edits {
        assert!(base.contains(from), "the base script has no {from:?}");
        let all = contract_diagnostics(&ScriptSource::new("m.rhai", base.replace(from, to)));
        let d = all
            .iter()
            .find(|d| d.message.contains(expected))
            .unwrap_or_else(|| panic!("wanted {expected} in {all:?}"));
        let line = d
            .source_line
            .as_deref()
            .unwrap_or_else(|| panic!("{d}: no source line"));
        let pointed: String = line.chars().skip(d.column - 1).collect();
        assert!(
            pointed.starts_with(at),
            "{}\n(wanted the caret at {at:?})",
            d.render()
        );
    }
    let d = contract_diagnostic(&ScriptSource::new("m.rhai", "42"));
    assert!(d.message.contains("must evaluate to a map"), "{d}");
    assert_eq!((d.line, d.column), (1, 1));
}

#[test]
fn a_script_may_override_the_level() {
    let extra = "level: |m, rank| if m.x > 0.99 { 1 } else { rank },";
    let engine = engine_with(&[custom_model("m", "|m| m.x >= 0.5", extra)]);
    assert_eq!(assess(&engine, "m", 0.6).unwrap().level.rank, 2);
    let held_down = assess(&engine, "m", 1.0).unwrap();
    assert_eq!(held_down.level.id, "low");
    assert!(held_down.score < 2.0, "{}", held_down.score);
    // The rule holds the ceiling down too: no unknown could lift it.
    assert_eq!(held_down.ceiling.rank, 1);
}

#[test]
fn a_level_override_outside_the_levels_is_an_error() {
    let engine = engine_with(&[custom_model("m", "|m| true", "level: |m, rank| 9,")]);
    let err = assess(&engine, "m", 0.5).unwrap_err();
    assert!(
        err.to_string().contains("returned rank 9, outside 1..=2"),
        "{err}"
    );
}

#[test]
fn a_broken_script_leaves_the_other_models_serving() {
    let mut scripts = builtin_scripts();
    scripts
        .models
        .push(ScriptSource::new("broken.rhai", "#{ id: "));
    let mut engine = Engine::new(Limits::default());
    let failures = engine.load_all(&scripts);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].to_string().starts_with("broken.rhai:1:"),
        "{}",
        failures[0]
    );
    let ids: Vec<&str> = engine.models().map(|m| m.id()).collect();
    assert_eq!(ids, ["chaotic_to_predictive", "five_stage"]);
}

#[test]
fn a_model_failing_at_run_time_leaves_the_others_working() {
    let mut engine = engine_with(&[custom_model("bad", "|m| m.x.no_such_method()", "")]);
    engine
        .load(&custom_model("good", "|m| m.x >= 0.5", ""), &[])
        .unwrap();
    assert!(assess(&engine, "bad", 0.5).is_err());
    assert_eq!(assess(&engine, "good", 0.5).unwrap().level.rank, 2);
}

#[test]
fn two_scripts_may_not_declare_the_same_model() {
    let mut engine = engine_with(&[custom_model("m", "|m| true", "")]);
    let again = ScriptSource::new("copy.rhai", custom_model("m", "|m| true", "").text);
    let err = engine.load(&again, &[]).unwrap_err();
    assert!(matches!(err, LoadError::DuplicateModel { .. }), "{err:?}");
    assert!(
        err.to_string().contains("already declared by m.rhai"),
        "{err}"
    );
}

#[test]
fn the_script_hash_is_the_sha256_of_a_model_without_helpers() {
    let script = custom_model("m", "|m| true", "");
    let engine = engine_with(std::slice::from_ref(&script));
    let model = engine.model("m").unwrap();
    let digest: String = sha2::Sha256::digest(script.text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(model.sha256(), digest);
    let other = engine_with(&[custom_model("m", "|m| m.x > 0.1", "")]);
    assert_ne!(model.sha256(), other.model("m").unwrap().sha256());
}

const ORDERED: &str = r#"#{
    id: "ordered", name: "Ordered", version: "1",
    levels: [#{ id: "one", name: "One" }, #{ id: "two", name: "Two" }, #{ id: "three", name: "Three" }],
    metrics: [
        #{ name: "a", kind: "flag", better: "true" },
        #{ name: "b", kind: "flag", better: "true" },
        #{ name: "c", kind: "flag", better: "true" },
        #{ name: "noise", kind: "ratio", better: "lower" },
    ],
    criteria: [
        #{ id: "has_a", rank: 2, description: "a", metrics: ["a"], check: |m| m.a,
           interventions: [#{ id: "get_a", title: "Get a", description: "a", metrics: ["a"] }] },
        #{ id: "has_b", rank: 2, description: "b", metrics: ["b"], check: |m| m.b,
           interventions: [#{ id: "get_b", title: "Get b", description: "b", metrics: ["b"] },
                           #{ id: "get_a", title: "Get a", description: "a", metrics: ["a"] }] },
        #{ id: "has_c", rank: 3, description: "c", metrics: ["c"], check: |m| m.c,
           interventions: [#{ id: "get_c", title: "Get c", description: "c", metrics: ["c"] }] },
    ],
    signals: [
        #{ id: "noisy", description: "too noisy", metrics: ["noise"], check: |m| m.noise > 0.5,
           interventions: [#{ id: "quiet", title: "Quiet down", description: "n", metrics: ["noise"] }] },
    ],
}"#;

fn ordered(flags: [bool; 3], noise: f64, explain: bool) -> maturity_engine::engine::Assessment {
    let engine = engine_with(&[ScriptSource::new("ordered.rhai", ORDERED)]);
    let mut metrics = Metrics::new();
    for (name, on) in ["a", "b", "c"].into_iter().zip(flags) {
        metrics.insert(name.into(), MetricValue::Flag(on));
    }
    metrics.insert("noise".into(), MetricValue::Number(noise));
    engine
        .assess(&AssessRequest {
            model: "ordered".into(),
            metrics,
            explain,
            ..Default::default()
        })
        .unwrap()
}

#[test]
fn interventions_come_from_the_next_rank_then_signals_without_repeats() {
    let got = ordered([false, false, false], 0.9, false);
    let listed: Vec<(i32, &str, i32, &str, Horizon, bool)> = got
        .interventions
        .iter()
        .map(|i| {
            let reason = i.reason.as_str();
            (
                i.priority,
                i.id.as_str(),
                i.target_rank,
                reason,
                i.horizon,
                i.blocking,
            )
        })
        .collect();
    let now = Horizon::Now;
    assert_eq!(
        listed,
        [
            (
                1,
                "get_a",
                2,
                "criterion 'has_a'; criterion 'has_b'",
                now,
                true
            ),
            (2, "get_b", 2, "criterion 'has_b'", now, true),
            (3, "quiet", 2, "signal 'noisy'", now, false),
        ]
    );
    // c fails too, but rank 3 is not next: its intervention waits.
    assert!(got.interventions.iter().all(|i| i.id != "get_c"));
}

#[test]
fn score_counts_the_share_of_the_next_ranks_criteria_met() {
    assert_eq!(ordered([true, false, true], 0.0, false).score, 1.5);
    assert_eq!(ordered([true, true, false], 0.0, false).score, 2.0);
    let top = ordered([true, true, true], 0.0, false);
    assert_eq!(
        (top.score, top.next_level.is_none(), top.interventions.len()),
        (3.0, true, 0)
    );
}

#[test]
fn observed_values_are_reported_only_when_explaining() {
    assert!(
        ordered([true, false, true], 0.2, false)
            .criteria
            .iter()
            .all(|c| c.observed.is_empty())
    );
    let explained = ordered([true, false, true], 0.2, true);
    let observed: Vec<&str> = explained
        .criteria
        .iter()
        .map(|c| c.observed.as_str())
        .collect();
    assert_eq!(observed, ["a=true", "b=false", "c=true"]);
}

/// A helper that builds a criterion whose check reads an undeclared
/// metric: the error points into the helper, where the typo is.
#[test]
fn a_helpers_check_reading_an_undeclared_metric_is_placed_in_the_helper() {
    let helper = ScriptSource::new(
        "lib/gate.rhai",
        r#"fn second_gate() {
    #{
        id: "second", rank: 2, description: "x again",
        metrics: ["x"],
        check: |m| m.xx >= 0.5,
        interventions: [#{ id: "raise_x_again", title: "Raise x", description: "More x.", metrics: ["x"] }],
    }
}
"#,
    );
    let model = custom_model("uses_gate", "|m| m.x >= 0.5", "");
    let model = ScriptSource::new(
        model.file.clone(),
        model
            .text
            .replace("criteria: [", "criteria: [second_gate(), "),
    );
    let err = Engine::new(Limits::default())
        .load(&model, &[helper])
        .unwrap_err();
    let LoadError::Contract(diagnostics) = &err else {
        panic!("{err}")
    };
    let d = &diagnostics[0];
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("lib/gate.rhai", 5, 22),
        "{err}"
    );
    assert!(d.message.contains("reads metric 'xx'"), "{}", d.message);
    assert_eq!(
        d.source_line.as_deref(),
        Some("        check: |m| m.xx >= 0.5,")
    );
}

#[test]
fn helpers_in_lib_are_compiled_into_every_model_and_hashed() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lib_scripts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let helper = "fn high(x) { x >= 0.5 }\n\nfn broken(x) {\n    x.no_such_method()\n}\n";
    std::fs::write(dir.join("lib/helper.rhai"), helper).unwrap();
    let good = custom_model("good", "|m| high(m.x)", "");
    let bad = custom_model("bad", "|m| broken(m.x)", "");
    std::fs::write(dir.join("good.rhai"), &good.text).unwrap();
    std::fs::write(dir.join("bad.rhai"), &bad.text).unwrap();

    let scripts = maturity_engine::engine::read_scripts_dir(&dir).unwrap();
    assert_eq!(scripts.libs.len(), 1);
    assert_eq!(scripts.libs[0].file, "lib/helper.rhai");
    let mut engine = Engine::new(Limits::default());
    assert!(engine.load_all(&scripts).is_empty());

    assert_eq!(assess(&engine, "good", 0.7).unwrap().level.rank, 2);
    assert_eq!(assess(&engine, "good", 0.3).unwrap().level.rank, 1);
    let model_only: String = sha2::Sha256::digest(good.text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(
        engine.model("good").unwrap().sha256(),
        model_only,
        "the hash must cover the helpers"
    );

    let err = assess(&engine, "bad", 0.7).unwrap_err();
    let EngineError::Script { diagnostic, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (diagnostic.file.as_str(), diagnostic.line),
        ("lib/helper.rhai", 4),
        "{err}"
    );
    assert_eq!(
        diagnostic.source_line.as_deref(),
        Some("    x.no_such_method()")
    );
}

#[test]
fn counts_divide_as_real_numbers_not_integers() {
    // 7 closing of 10 sellers is 0.7, not the 0 integer division would give.
    let script = custom_model("m", "|m| m.n / 10 >= 0.7", "").text.replace(
        r#"metrics: ["x"],
        check"#,
        r#"metrics: ["n"],
        check"#,
    );
    let engine = engine_with(&[ScriptSource::new("m.rhai", script)]);
    let mut metrics = Metrics::new();
    metrics.insert("n".into(), MetricValue::Number(7.0));
    let got = engine
        .assess(&AssessRequest {
            model: "m".into(),
            metrics,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(got.criteria[0].outcome, Outcome::Passed);
    assert_eq!(got.level.rank, 2);
}

#[test]
fn a_check_that_passes_a_calls_limit_every_time_is_warned_of_at_load() {
    let mut engine = Engine::new(Limits::default());
    for (id, check, limit) in [
        // Over 16 KiB, where the declaration itself may be larger.
        (
            "long_text",
            r#"|m| { let s = "ab"; for i in 0..14 { s += s; } m.x > 0.5 }"#,
            "Length of string too large",
        ),
        (
            "busy",
            "|m| { let n = 0; for i in 0..200000 { n += 1; } m.x > 0.5 }",
            "Too many operations",
        ),
    ] {
        let model = engine.load(&custom_model(id, check, ""), &[]).unwrap();
        let [warning] = model.warnings() else {
            panic!("{id}: {:?}", model.warnings())
        };
        assert!(warning.contains("will fail every call"), "{id}: {warning}");
        assert!(warning.contains(limit), "{id}: {warning}");
    }
}

#[test]
fn a_check_that_passes_a_limit_on_some_values_is_warned_of_at_load() {
    let mut engine = Engine::new(Limits::default());
    let check = "|m| { if m.x > 0.9 { let n = 0; for i in 0..200000 { n += 1; } } m.x > 0.5 }";
    let model = engine
        .load(&custom_model("sometimes", check, ""), &[])
        .unwrap();
    let [warning] = model.warnings() else {
        panic!("{:?}", model.warnings())
    };
    assert!(
        warning.starts_with(
            "criterion 'gate': the check stops at a sandbox limit on some values (x at 1)"
        ),
        "{warning}"
    );
    assert!(warning.contains("Too many operations"), "{warning}");
}

#[test]
fn a_check_that_fails_on_every_value_tried_loads_with_a_warning() {
    let mut engine = Engine::new(Limits::default());
    let always = custom_model("always", "|m| m.x.no_such_method()", "");
    let model = engine.load(&always, &[]).unwrap();
    let [warning] = model.warnings() else {
        panic!("{:?}", model.warnings())
    };
    assert!(
        warning.starts_with(
            "criterion 'gate': the check fails on every value tried, so it will fail every call: \
             always.rhai:11:24: Function not found: no_such_method"
        ),
        "{warning}"
    );
    // A failure in a helper is placed in the helper's file.
    let lib = ScriptSource::new(
        "lib/helpers.rhai",
        "fn bad(m) {\n    m.x.no_such_method()\n}\n",
    );
    let via_helper = custom_model("via_helper", "|m| bad(m)", "");
    let model = engine.load(&via_helper, &[lib]).unwrap();
    let [warning] = model.warnings() else {
        panic!("{:?}", model.warnings())
    };
    assert!(
        warning.contains("lib/helpers.rhai:2:9: Function not found: no_such_method"),
        "{warning}"
    );
    // Failing only on some values is the organisation's business, not the
    // script's: no warning.
    let sometimes = "|m| if m.x == 0.37 { m.x.no_such_method() } else { m.x > 0.5 }";
    let model = engine
        .load(&custom_model("sometimes", sometimes, ""), &[])
        .unwrap();
    assert!(model.warnings().is_empty(), "{:?}", model.warnings());
    // Nor does one that fails only at the best end of the range.
    let at_the_top = "|m| if m.n > 90 { throw \"too many\" } else { m.n >= 5 }";
    let model = engine
        .load(&reading_x_and_n("at_the_top", at_the_top), &[])
        .unwrap();
    assert!(model.warnings().is_empty(), "{:?}", model.warnings());
    // Nor do the shipped models have any.
    let shipped = builtin_scripts();
    for script in &shipped.models {
        let model = engine
            .load(script, &shipped.libs)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            model.warnings().is_empty(),
            "{}: {:?}",
            script.file,
            model.warnings()
        );
    }
}

#[test]
fn a_band_or_an_exact_value_loads_where_no_value_could_meet_is_refused() {
    for check in [
        "|m| m.n >= 3 && m.n <= 8",
        "|m| m.n == 3",
        "|m| m.x > 0.4 && m.x < 0.6",
    ] {
        let script = reading_x_and_n("band", check);
        Engine::new(Limits::default())
            .load(&script, &[])
            .unwrap_or_else(|e| panic!("{check}: {e}"));
    }
    for check in ["|m| m.x >= 50.0", "|m| m.n > 3 && m.n < 3", "|m| m.n < 0"] {
        let err = load_error(&reading_x_and_n("never", check));
        assert!(err.to_string().contains("can never hold"), "{check}: {err}");
    }
}

/// `custom_model` whose criterion reads both its metrics, `x` and `n`.
fn reading_x_and_n(id: &str, check: &str) -> ScriptSource {
    let mut script = custom_model(id, check, "");
    script.text = script
        .text
        .replace(r#"metrics: ["x"],"#, r#"metrics: ["x", "n"],"#);
    script
}

#[test]
fn a_standard_metric_redeclared_is_refused_without_the_vocabulary_helper() {
    // No lib/: the built-in vocabulary is the standard one.
    let script = custom_model("own", "|m| m.x >= 0.5", "");
    let redeclared = ScriptSource::new(
        script.file,
        script.text.replace(
            r#"#{ name: "n", kind: "count", better: "higher", max: 100 },"#,
            r#"#{ name: "n", kind: "count", better: "higher", max: 100 },
        #{ name: "crm_adoption", kind: "flag", better: "true" },"#,
        ),
    );
    let err = load_error(&redeclared).to_string();
    assert!(
        err.contains(
            "metric 'crm_adoption' is a ratio in [0, 1], better higher in the standard vocabulary"
        ),
        "{err}"
    );
}
