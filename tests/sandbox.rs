//! The sandbox stops every kind of runaway script with a typed error, and
//! script mistakes are reported with model, position and message.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use maturity_engine::engine::{
    AssessRequest, Engine, EngineError, Limits, LoadError, MetricValue, Metrics,
};
use support::{custom_model, engine_with};

fn request(model: &str) -> AssessRequest {
    let mut metrics = Metrics::new();
    metrics.insert("x".into(), MetricValue::Number(0.5));
    metrics.insert("n".into(), MetricValue::Number(3.0));
    AssessRequest {
        model: model.into(),
        metrics,
        ..Default::default()
    }
}

fn assess_with(
    check: &str,
    extra: &str,
) -> Result<maturity_engine::engine::Assessment, EngineError> {
    engine_with(&[custom_model("m", check, extra)]).assess(&request("m"))
}

/// Like `assess_with`, with generous time and operations so only the size
/// limits can trip.
fn assess_unhurried(check: &str) -> Result<maturity_engine::engine::Assessment, EngineError> {
    let mut engine = Engine::new(Limits {
        max_time: Duration::from_secs(60),
        max_operations: 50_000_000,
        ..Limits::default()
    });
    engine.load(&custom_model("m", check, ""), &[]).unwrap();
    engine.assess(&request("m"))
}

fn limit_of(err: EngineError) -> String {
    match err {
        EngineError::ScriptLimit { limit, model, .. } => {
            assert_eq!(model, "m");
            limit.to_string()
        }
        other => panic!("expected a sandbox limit, got {other:?}"),
    }
}

#[test]
fn runaway_loop_is_stopped_by_the_operations_limit() {
    let err = assess_with("|m| { loop {} }", "").unwrap_err();
    assert!(err.to_string().contains("criterion 'gate'"), "{err}");
    assert_eq!(limit_of(err), "operations");
}

#[test]
fn infinite_recursion_is_stopped_by_the_call_depth_limit() {
    let extra = "";
    let script = custom_model("m", "|m| deep(0)", extra);
    let script = maturity_engine::engine::ScriptSource::new(
        script.file.clone(),
        format!("fn deep(n) {{ deep(n + 1) }}\n{}", script.text),
    );
    let err = engine_with(&[script]).assess(&request("m")).unwrap_err();
    assert_eq!(limit_of(err), "call depth");
}

/// A model whose check recurses without end, each call evaluating an
/// expression nested `depth` levels deep.
fn nested_recursion(depth: usize) -> maturity_engine::engine::ScriptSource {
    let nested = format!("{}deep(n + 1){}", "(1 + ".repeat(depth), ")".repeat(depth));
    let script = custom_model("m", "|m| deep(0) > 0", "");
    maturity_engine::engine::ScriptSource::new(
        script.file.clone(),
        format!("fn deep(n) {{ {nested} }}\n{}", script.text),
    )
}

#[test]
fn deepest_recursion_with_deepest_expressions_fits_a_debug_stack() {
    // The worst case the limits allow: every call level holds the deepest
    // expression the compiler accepts. Run on a thread with a 2 MiB stack, so
    // a debug build proves the limits keep scripts within it.
    let engine_at = |depth| {
        let mut engine = Engine::new(Limits::default());
        engine.load(&nested_recursion(depth), &[]).map(|_| engine)
    };
    let deepest = (1..=Limits::default().max_expr_depth.1)
        .rev()
        .find(|&d| engine_at(d).is_ok())
        .unwrap();
    assert!(
        engine_at(deepest + 1).is_err(),
        "nesting beyond {deepest} must not compile"
    );
    let engine = engine_at(deepest).unwrap();
    let outcome = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || engine.assess(&request("m")).map(|_| ()))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(limit_of(outcome.unwrap_err()), "call depth");
}

#[test]
fn deepest_top_level_expression_calling_deep_recursion_fits_a_debug_stack() {
    // The same worst case while a model loads: the deepest top-level
    // expression the compiler accepts, calling the deepest recursion.
    let limits = Limits::default();
    let (global, function) = limits.max_expr_depth;
    let wrap = |inner: &str, depth: usize| {
        format!("{}{inner}{}", "(1 + ".repeat(depth), ")".repeat(depth))
    };
    let script = move |outer| {
        let body = wrap("deep(n + 1)", function / 3);
        let text = format!(
            "fn deep(n) {{ {body} }}\nlet x = {};",
            wrap("deep(0)", outer)
        );
        maturity_engine::engine::ScriptSource::new("top.rhai", text)
    };
    let compiles = |depth| !matches!(Engine::new(limits.clone()).load(&script(depth), &[]), Err(LoadError::Script(d)) if d.message.contains("complexity"));
    let deepest = (1..=global).rev().find(|&d| compiles(d)).unwrap();
    let outcome = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            Engine::new(Limits::default())
                .load(&script(deepest), &[])
                .map(|_| ())
        })
        .unwrap()
        .join()
        .unwrap();
    let err = outcome.unwrap_err();
    assert!(
        err.to_string().contains("Stack overflow") || err.to_string().contains("stack"),
        "{err}"
    );
}

#[test]
fn sleep_is_not_available_to_scripts() {
    let err = assess_with("|m| { sleep(60); true }", "").unwrap_err();
    match err {
        EngineError::Script { diagnostic, .. } => {
            assert!(diagnostic.message.contains("sleep"), "{diagnostic}")
        }
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn growing_a_string_without_end_is_stopped() {
    let err = assess_with(r#"|m| { let s = "x"; loop { s += s; } }"#, "").unwrap_err();
    assert_eq!(limit_of(err), "data size");
}

#[test]
fn growing_an_array_without_end_is_stopped() {
    let err = assess_unhurried("|m| { let a = []; loop { a.push(a.len()); } }").unwrap_err();
    assert_eq!(limit_of(err), "data size");
}

#[test]
fn one_huge_allocation_is_refused() {
    let err = assess_with("|m| { let a = []; a.pad(1000000000, 0); true }", "").unwrap_err();
    assert_eq!(limit_of(err), "data size");
    let err = assess_with(r#"|m| { let s = ""; s.pad(1000000000, "y"); true }"#, "").unwrap_err();
    assert_eq!(limit_of(err), "data size");
}

#[test]
fn growing_a_map_without_end_is_stopped() {
    // Rhai checks map sizes on property writes and returned values, not on
    // `map[key] = value`, so the operations or time limit stops this one.
    let err = assess_with(
        "|m| { let x = #{}; let i = 0; loop { x[`k${i}`] = i; i += 1; } }",
        "",
    )
    .unwrap_err();
    let limit = limit_of(err);
    assert!(limit == "operations" || limit == "time", "{limit}");
}

#[test]
fn wall_clock_cap_stops_a_long_evaluation() {
    let limits = Limits {
        max_operations: 0,
        max_time: Duration::from_millis(5),
        ..Limits::default()
    };
    let mut engine = Engine::new(limits);
    engine
        .load(&custom_model("m", "|m| { loop {} }", ""), &[])
        .unwrap();
    assert_eq!(limit_of(engine.assess(&request("m")).unwrap_err()), "time");
}

#[test]
fn a_model_that_loops_while_loading_is_refused() {
    let script = maturity_engine::engine::ScriptSource::new("spin.rhai", "loop {}");
    let err = Engine::new(Limits::default())
        .load(&script, &[])
        .unwrap_err();
    assert!(matches!(err, LoadError::Script(_)), "{err:?}");
    assert!(err.to_string().contains("spin.rhai"), "{err}");
}

#[test]
fn deeply_nested_source_is_a_compile_error_not_a_crash() {
    let text = format!("let x = {}1{};", "(".repeat(5000), ")".repeat(5000));
    let script = maturity_engine::engine::ScriptSource::new("nest.rhai", text);
    let err = Engine::new(Limits::default())
        .load(&script, &[])
        .unwrap_err();
    let LoadError::Script(diagnostic) = err else {
        panic!("expected a script error")
    };
    assert_eq!(diagnostic.file, "nest.rhai");
    assert_eq!(diagnostic.line, 1);
}

#[test]
fn oversized_source_is_refused_before_compiling() {
    let limit = Limits::default().max_source_size;
    let script = maturity_engine::engine::ScriptSource::new("big.rhai", " ".repeat(limit + 1));
    let err = Engine::new(Limits::default())
        .load(&script, &[])
        .unwrap_err();
    assert!(
        matches!(err, LoadError::TooLarge { actual, limit: l, .. } if actual == limit + 1 && l == limit),
        "{err:?}"
    );
}
