//! `maturity bench --suite`: echo, unary Assess, AssessStream and (with
//! `--http`) the HTTP/JSON API run in turn, round after round, so every figure can be given as a ratio to echo
//! measured moments apart on the same machine, a ratio that survives a busy
//! machine far better than the absolute figures it is made of.

use super::CliError;
use super::args::{AnswerView, BenchArgs};
use super::bench::{Tally, load, peak_rss};

/// The runs of one round, echo first: (label, mode, view).
const RUNS: [(&str, &str, AnswerView); 4] = [
    ("echo", "echo", AnswerView::Full),
    ("Assess, full view", "assess", AnswerView::Full),
    ("AssessStream, basic view", "stream", AnswerView::Basic),
    ("AssessStream, full view", "stream", AnswerView::Full),
];

/// The run added when the server's HTTP address is given.
const HTTP_RUN: (&str, &str, AnswerView) =
    ("HTTP/JSON Assess, full view", "http", AnswerView::Full);

/// The runs of one round for `args`.
fn runs(args: &BenchArgs) -> Vec<(&'static str, &'static str, AnswerView)> {
    let mut runs = RUNS.to_vec();
    if args.http.is_some() {
        runs.push(HTTP_RUN);
    }
    runs
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    per_second: f64,
    p99_ms: f64,
    /// Server CPU per request, in microseconds (with `--server-pid`).
    cpu_us: Option<f64>,
    errors: u64,
}

impl Figures {
    fn of(tally: &Tally, cpu_seconds: Option<f64>, duration: u64) -> Self {
        let count = tally.latency.len();
        Self {
            per_second: count as f64 / duration.max(1) as f64,
            p99_ms: tally.latency.value_at_quantile(0.99) as f64 / 1000.0,
            cpu_us: cpu_seconds
                .filter(|_| count > 0)
                .map(|s| s * 1e6 / count as f64),
            errors: tally.errors,
        }
    }
}

/// Runs the suite and prints its table.
pub(crate) async fn run(args: &BenchArgs) -> Result<(), CliError> {
    let runs = runs(args);
    let mut rounds: Vec<Vec<Figures>> = Vec::new();
    let mut first_error = None;
    for round in 1..=args.rounds {
        let mut figures = Vec::with_capacity(runs.len());
        for &(label, mode, view) in &runs {
            let http;
            let target = match (mode, &args.http) {
                ("http", Some(url)) => {
                    http = BenchArgs {
                        server: url.clone(),
                        ..args.clone()
                    };
                    &http
                }
                _ => args,
            };
            let (tally, cpu) = load(target, mode, view).await?;
            let f = Figures::of(&tally, cpu, args.duration);
            first_error = first_error.or(tally.first_error);
            eprintln!(
                "round {round}/{}: {label}: {:.0}/s, p99 {:.3} ms, {} errors",
                args.rounds, f.per_second, f.p99_ms, f.errors
            );
            figures.push(f);
        }
        rounds.push(figures);
    }
    out!("{}", table(args, &runs, &rounds));
    let errors = rounds.iter().flatten().map(|f| f.errors).sum();
    super::bench::failed_calls(errors, first_error.as_deref())
}

/// The markdown table of `rounds`: ratios to echo first, then absolutes.
fn table(args: &BenchArgs, runs: &[(&str, &str, AnswerView)], rounds: &[Vec<Figures>]) -> String {
    let mut out = format!(
        "`maturity bench --suite --rounds {} --duration {} --concurrency {} --connections {}`\n\n",
        rounds.len(),
        args.duration,
        args.concurrency,
        args.connections
    );
    out += "| run | req/s ÷ echo | CPU/req ÷ echo | p99 ÷ echo | req/s (median, spread) | server CPU/req | p99 | errors |\n";
    out += "|---|---|---|---|---|---|---|---|\n";
    for (i, (label, ..)) in runs.iter().enumerate() {
        let ratio = |f: fn(&Figures) -> Option<f64>| {
            median(rounds.iter().filter_map(|r| Some(f(&r[i])? / f(&r[0])?)))
        };
        let rate = ratio(|f| Some(f.per_second));
        let cpu = ratio(|f| f.cpu_us);
        let p99 = ratio(|f| Some(f.p99_ms));
        let rates: Vec<f64> = rounds.iter().map(|r| r[i].per_second).collect();
        let (low, high) = spread(&rates);
        out += &format!(
            "| {label} | {} | {} | {} | {:.0} ({:.0}–{:.0}) | {} | {} ms | {} |\n",
            shown(rate, "×"),
            shown(cpu, "×"),
            shown(p99, "×"),
            median(rates.iter().copied()).unwrap_or(0.0),
            low,
            high,
            shown(median(rounds.iter().filter_map(|r| r[i].cpu_us)), " µs"),
            shown(median(rounds.iter().map(|r| r[i].p99_ms)), ""),
            rounds.iter().map(|r| r[i].errors).sum::<u64>(),
        );
    }
    if let Some(pid) = args.server_pid {
        out += &match peak_rss(pid) {
            Some(kib) => format!("\nserver peak RSS {:.1} MiB\n", kib as f64 / 1024.0),
            None => format!("\nserver peak RSS unknown (no /proc/{pid}/status)\n"),
        };
    }
    out
}

fn shown(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if v >= 100.0 => format!("{v:.0}{unit}"),
        Some(v) => format!("{v:.2}{unit}"),
        None => "–".to_owned(),
    }
}

/// The median of `values` (the lower middle for an even count).
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// The lowest and highest of `values`.
fn spread(values: &[f64]) -> (f64, f64) {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if low.is_finite() {
        (low, high)
    } else {
        (0.0, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_ignore_what_could_not_be_measured() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), Some(2.0));
        assert_eq!(
            median([4.0, 1.0, f64::NAN, 2.0, 3.0].into_iter()),
            Some(2.0)
        );
        assert_eq!(median(std::iter::empty()), None);
        assert_eq!(spread(&[2.0, 5.0, 3.0]), (2.0, 5.0));
    }
}
