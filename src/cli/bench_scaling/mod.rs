//! `maturity bench-scaling --out DIR`: how cost grows with the work, over
//! generated models and organisations. Assessment time against the number
//! of criteria and of metrics supplied, model compile time against script
//! size, and a real server's RSS against the number of models it loads;
//! each curve printed as a markdown table and drawn as an SVG chart in DIR.

mod chart;
mod generate;
mod server;

use std::path::Path;
use std::time::{Duration, Instant};

use super::CliError;
use super::args::ScalingArgs;
use crate::engine::{Engine, Limits};
use chart::Chart;

/// Runs every curve, writes the charts and prints the tables.
pub(crate) fn run(args: ScalingArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::Read {
        path: args.out.clone(),
        source,
    })?;
    let counts: &[usize] = if args.quick {
        &[10, 100]
    } else {
        &[10, 100, 1000]
    };
    let kib: &[usize] = if args.quick {
        &[4, 8]
    } else {
        &[16, 32, 64, 128, 256, 512, 1024]
    };
    let models: &[usize] = if args.quick {
        &[1, 2]
    } else {
        &[1, 10, 100, 1000]
    };
    let curves = [
        criteria(counts, args.quick)?,
        metrics(counts, args.quick)?,
        compile(kib)?,
        server::rss(models)?,
    ];
    for (name, curve) in ["criteria", "metrics", "compile", "models"]
        .iter()
        .zip(&curves)
    {
        write(
            &args.out.join(format!("scaling-{name}.svg")),
            &curve.chart.svg(),
        )?;
        outln!("{}", curve.table());
    }
    Ok(())
}

/// One measured curve: its chart and how to print each point.
struct Curve {
    chart: Chart,
    /// The header of the table's columns: x, y, y per x.
    columns: [&'static str; 3],
}

impl Curve {
    fn table(&self) -> String {
        let [x, y, per] = self.columns;
        let mut out = format!(
            "**{}**\n\n| {x} | {y} | {per} |\n|---|---|---|\n",
            self.chart.title
        );
        for &(px, py) in &self.chart.points {
            out += &format!("| {px} | {} | {} |\n", round(py), round(py / px));
        }
        out
    }
}

fn round(value: f64) -> String {
    match value {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 1.0 => format!("{v:.2}"),
        v => format!("{v:.4}"),
    }
}

/// An engine whose limits let the biggest generated models load, so the
/// curves show the engine's cost rather than where its caps cut in.
fn roomy_engine() -> Engine {
    Engine::new(Limits {
        max_source_size: 8 * 1024 * 1024,
        max_functions: 1 << 16,
        max_operations: 50_000_000,
        max_array_size: 1 << 20,
        max_map_size: 1 << 20,
        max_load_time: Duration::from_secs(600),
        ..Limits::default()
    })
}

fn failed(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Config(format!("{what}: {e}"))
}

/// Assessment time against the number of criteria (10 metrics supplied).
fn criteria(counts: &[usize], quick: bool) -> Result<Curve, CliError> {
    let mut points = Vec::new();
    for &n in counts {
        let mut engine = roomy_engine();
        let id = format!("criteria_{n}");
        engine
            .load(&generate::model(&id, n, 10, 10), &[])
            .map_err(|e| failed(&id, e))?;
        let request = generate::organisation(&id, 10);
        points.push((
            n as f64,
            per_call(quick, || engine.assess(&request).is_ok()),
        ));
    }
    Ok(Curve {
        chart: Chart {
            title: "Assessment time against criteria (10 metrics supplied)".into(),
            x_label: "criteria in the model".into(),
            y_label: "µs per assessment".into(),
            points,
        },
        columns: ["criteria", "µs per assessment", "µs per criterion"],
    })
}

/// Assessment time against the number of metrics supplied, on a model
/// declaring them all whose 100 criteria read the first 10 (always
/// supplied): the cost of the input itself, not of more criteria.
fn metrics(counts: &[usize], quick: bool) -> Result<Curve, CliError> {
    let mut engine = roomy_engine();
    let declared = counts.iter().copied().max().unwrap_or(1);
    engine
        .load(&generate::model("metrics", 100, declared, 10), &[])
        .map_err(|e| failed("metrics", e))?;
    let mut points = Vec::new();
    for &n in counts {
        let request = generate::organisation("metrics", n);
        points.push((
            n as f64,
            per_call(quick, || engine.assess(&request).is_ok()),
        ));
    }
    Ok(Curve {
        chart: Chart {
            title: "Assessment time against metrics supplied (100 criteria read 10 of them)".into(),
            x_label: "metrics supplied".into(),
            y_label: "µs per assessment".into(),
            points,
        },
        columns: ["metrics", "µs per assessment", "µs per metric"],
    })
}

/// Model compile time (parse, declaration run and checks) against script
/// size.
fn compile(kib: &[usize]) -> Result<Curve, CliError> {
    let engine = roomy_engine();
    let mut points = Vec::new();
    for &size in kib {
        let script = generate::model_of_size("sized", size * 1024);
        let mut times = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            engine
                .compile(&script, &[])
                .map_err(|e| failed("sized", e))?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        points.push(((script.text.len() / 1024) as f64, times[1]));
    }
    Ok(Curve {
        chart: Chart {
            title: "Model compile time against script size".into(),
            x_label: "script size (KiB)".into(),
            y_label: "ms to compile and check".into(),
            points,
        },
        columns: ["KiB", "ms to compile", "ms per KiB"],
    })
}

/// Microseconds per call of `f`: the median of five batches, each long
/// enough (20 ms, 2 ms when quick) for the clock to be exact.
fn per_call(quick: bool, mut f: impl FnMut() -> bool) -> f64 {
    let long_enough = Duration::from_millis(if quick { 2 } else { 20 });
    let mut batch = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..batch {
            std::hint::black_box(f());
        }
        if start.elapsed() >= long_enough || batch >= 1 << 24 {
            break;
        }
        batch *= 2;
    }
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                std::hint::black_box(f());
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(batch)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|source| CliError::Read {
        path: path.into(),
        source,
    })
}
