//! `maturity bench`: loads a server with realistic organisations (the
//! shipped examples, all 43 metrics each) through Assess, AssessStream or
//! the Echo baseline, and reports requests per second, latency
//! percentiles, errors and the server's peak RSS.

mod http;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use super::CliError;
use super::args::{AnswerView, BenchArgs};
use super::deploy::Bearer;
use crate::engine::cases::Case;
use crate::grpc::convert::request_to_pb;
use crate::grpc::pb;
use crate::grpc::pb::bench_service_client::BenchServiceClient;
use crate::grpc::pb::maturity_service_client::MaturityServiceClient;

/// The organisations sent, in turn.
const ORGANISATIONS: [&str; 4] = [
    include_str!("../../scripts/tests/five_stage/five_stage_rank2_example.json"),
    include_str!("../../scripts/tests/five_stage/five_stage_rank3_example.json"),
    include_str!(
        "../../scripts/tests/chaotic_to_predictive/chaotic_to_predictive_rank2_example.json"
    ),
    include_str!(
        "../../scripts/tests/chaotic_to_predictive/chaotic_to_predictive_rank4_example.json"
    ),
];

/// What one worker, or one whole run, saw.
pub(crate) struct Tally {
    /// Each answer's latency, in microseconds: successful calls only, so a
    /// failing server does not look fast.
    pub(crate) latency: Histogram<u64>,
    /// Calls that failed, or were never answered.
    pub(crate) errors: u64,
    /// Why the first failed call failed, so a run of errors says why.
    pub(crate) first_error: Option<String>,
}

impl Tally {
    /// Nothing seen yet.
    pub(crate) fn new() -> Self {
        Self {
            latency: histogram(),
            errors: 0,
            first_error: None,
        }
    }

    /// A call that failed, and why.
    pub(crate) fn fail(&mut self, why: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(why());
        }
    }

    /// Adds what `other` saw.
    pub(crate) fn add(&mut self, other: Tally) {
        let _ = self.latency.add(&other.latency);
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }

    /// A call sent at `started` that was answered: its latency.
    pub(crate) fn answered(&mut self, started: Instant) {
        let _ = self.latency.record(micros(started.elapsed()));
    }
}

/// Runs the load (or, with `--suite`, the interleaved suite) and prints
/// the report.
pub(crate) async fn run(mut args: BenchArgs) -> Result<(), CliError> {
    // No more connections than calls in flight.
    let most = u16::try_from(args.concurrency.max(1)).unwrap_or(u16::MAX);
    args.connections = args.connections.min(most);
    if args.suite {
        return super::bench_suite::run(&args).await;
    }
    let (total, cpu) = load(&args, &args.mode, args.view).await?;
    report(&args, &total, cpu)?;
    failed_calls(total.errors, total.first_error.as_deref())
}

/// An error when any call failed, saying why the first did: figures over
/// failures are no figures.
pub(crate) fn failed_calls(errors: u64, first: Option<&str>) -> Result<(), CliError> {
    let why = first.map_or(String::new(), |first| format!(" (the first: {first})"));
    match errors {
        0 => Ok(()),
        n => Err(CliError::Failed(format!(
            "{n} calls failed or went unanswered{why}: the figures count successful calls only"
        ))),
    }
}

/// Loads the server in `mode` with answers of `view` for `args.duration`
/// seconds: what the calls saw, and the server's CPU seconds meanwhile
/// (with `--server-pid`).
pub(crate) async fn load(
    args: &BenchArgs,
    mode: &str,
    view: AnswerView,
) -> Result<(Tally, Option<f64>), CliError> {
    let requests = organisations(view)?;
    let bearer = Bearer::new(args.token.as_deref())?;
    let mut channels = Vec::new();
    for _ in 0..args.connections {
        channels.push(match mode {
            // The HTTP API's callers connect on their own.
            "http" => Channel::from_shared(args.server.clone())
                .map_err(|e| CliError::Config(format!("--server: {e}")))?
                .connect_lazy(),
            _ => connect(&args.server).await?,
        });
    }
    let cpu_before = args.server_pid.and_then(cpu_seconds);
    let until = Instant::now() + Duration::from_secs(args.duration);
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let channel = channels[worker % channels.len()].clone();
        let (requests, mode) = (requests.clone(), mode.to_owned());
        let (server, bearer) = (args.server.clone(), bearer.clone());
        workers.push(tokio::spawn(async move {
            match mode.as_str() {
                "http" => http::unary(server, &bearer, requests, worker, until).await,
                "stream" => stream(channel, &bearer, requests, worker, until).await,
                other => unary(channel, &bearer, requests, worker, until, other == "echo").await,
            }
        }));
    }
    let mut total = Tally::new();
    for worker in workers {
        let tally = worker
            .await
            .map_err(|e| CliError::Config(format!("a worker failed: {e}")))?;
        total.add(tally);
    }
    let cpu = cpu_before.zip(args.server_pid.and_then(cpu_seconds));
    Ok((total, cpu.map(|(before, after)| after - before)))
}

/// One HTTP/2 connection to `server`.
async fn connect(server: &str) -> Result<Channel, CliError> {
    super::channel::connect(server).await
}

fn organisations(view: AnswerView) -> Result<Vec<pb::AssessRequest>, CliError> {
    ORGANISATIONS
        .iter()
        .map(|text| {
            let case = Case::from_json(text)
                .map_err(|e| CliError::Config(format!("built-in organisation: {e}")))?;
            let mut request = case.request();
            request.explain = false;
            request.view = view.into();
            Ok(request_to_pb(request))
        })
        .collect()
}

fn histogram() -> Histogram<u64> {
    // Microseconds, from 1 µs to 100 s, 3 significant digits.
    Histogram::new_with_bounds(1, 100_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// One call at a time until `until`, each carrying `bearer`.
async fn unary(
    channel: Channel,
    bearer: &Bearer,
    requests: Vec<pb::AssessRequest>,
    worker: usize,
    until: Instant,
    echo: bool,
) -> Tally {
    let mut tally = Tally::new();
    let mut assess = MaturityServiceClient::new(channel.clone());
    let mut baseline = BenchServiceClient::new(channel);
    let mut i = worker;
    while Instant::now() < until {
        let request = bearer.request(requests[i % requests.len()].clone());
        i += 1;
        let started = Instant::now();
        let answered = if echo {
            baseline.echo(request).await.map(drop)
        } else {
            assess.assess(request).await.map(drop)
        };
        match answered {
            Ok(()) => tally.answered(started),
            Err(status) if echo && status.code() == tonic::Code::Unimplemented => {
                tally.fail(|| {
                    "Unimplemented: the server has no echo service (serve it with --echo)".into()
                });
            }
            Err(status) => tally.fail(|| status_text(&status)),
        }
    }
    tally
}

/// One stream carrying `bearer`, kept 64 requests ahead, until `until`;
/// latency is from a request's sending to its answer (answers come in
/// order).
async fn stream(
    channel: Channel,
    bearer: &Bearer,
    requests: Vec<pb::AssessRequest>,
    worker: usize,
    until: Instant,
) -> Tally {
    let mut tally = Tally::new();
    let (tx, rx) = mpsc::channel(64);
    let sent = std::sync::Arc::new(std::sync::Mutex::new(VecDeque::new()));
    let sender_sent = std::sync::Arc::clone(&sent);
    tokio::spawn(async move {
        let mut i = worker;
        while Instant::now() < until {
            let request = requests[i % requests.len()].clone();
            i += 1;
            if tx.send(request).await.is_err() {
                break;
            }
            if let Ok(mut sent) = sender_sent.lock() {
                sent.push_back(Instant::now());
            }
        }
    });
    let mut client = MaturityServiceClient::new(channel);
    let answers = client.assess_stream(bearer.request(ReceiverStream::new(rx)));
    let answers = match answers.await {
        Ok(answers) => answers,
        Err(status) => {
            tally.fail(|| status_text(&status));
            return tally;
        }
    };
    let mut answers = answers.into_inner();
    while let Ok(Some(answer)) = answers.message().await {
        let started = sent.lock().ok().and_then(|mut s| s.pop_front());
        match (answer.outcome, started) {
            (Some(pb::assess_stream_response::Outcome::Assessment(_)), Some(started)) => {
                tally.answered(started);
            }
            (Some(pb::assess_stream_response::Outcome::Assessment(_)), None) => {}
            (Some(pb::assess_stream_response::Outcome::Error(status)), _) => {
                let code = tonic::Code::from_i32(status.code);
                tally.fail(|| format!("{code:?}: {}", status.message));
            }
            (None, _) => tally.fail(|| "an answer with neither assessment nor error".into()),
        }
    }
    // A stream that broke, or ended early, left its requests unanswered.
    let unanswered = sent.lock().map_or(0, |s| s.len());
    tally.errors += unanswered as u64;
    tally
}

/// A failed call's status in a few words.
fn status_text(status: &tonic::Status) -> String {
    match status.message() {
        "" => format!("{:?}", status.code()),
        message => format!("{:?}: {message}", status.code()),
    }
}

/// Prints the run's figures; `server_cpu` is the CPU time, in seconds, the
/// server used meanwhile.
fn report(args: &BenchArgs, total: &Tally, server_cpu: Option<f64>) -> Result<(), CliError> {
    let count = total.latency.len();
    let ms = |q: f64| total.latency.value_at_quantile(q) as f64 / 1000.0;
    let view = match (args.mode.as_str(), args.view) {
        ("echo", _) => "",
        (_, AnswerView::Full) => "  view full",
        (_, AnswerView::Basic) => "  view basic",
    };
    outln!(
        "mode {}  concurrency {}  connections {}  duration {} s{view}",
        args.mode,
        args.concurrency,
        args.connections,
        args.duration
    );
    outln!(
        "requests {count} ({:.0}/s)  errors {}",
        count as f64 / args.duration.max(1) as f64,
        total.errors
    );
    outln!(
        "latency ms  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999)
    );
    if let Some(pid) = args.server_pid {
        match peak_rss(pid) {
            Some(kib) => outln!("server peak RSS {:.1} MiB", kib as f64 / 1024.0),
            None => outln!("server peak RSS unknown (no /proc/{pid}/status)"),
        }
    }
    if let Some(seconds) = server_cpu.filter(|_| count > 0) {
        outln!(
            "server CPU {:.0} µs per request",
            seconds * 1e6 / count as f64
        );
    }
    Ok(())
}

/// The user and system CPU time process `pid` has used, in seconds
/// (Linux's /proc/PID/stat, in clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // utime and stime are fields 14 and 15; the rest starts at field 3.
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// The peak resident set of process `pid`, in KiB (Linux's VmHWM).
pub(crate) fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
