//! Hostile input against a running server: each abuse gets its status and a
//! message naming what is wrong, and the server still answers a normal call
//! afterwards.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use maturity_engine::engine::Engine;
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::admin_service_client::AdminServiceClient;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::{TestServer, custom_model, start_server};
use tonic::transport::Channel;
use tonic::{Code, Request};

fn number(n: f64) -> pb::MetricValue {
    pb::MetricValue {
        kind: Some(Kind::Number(n)),
    }
}

fn text(t: &str) -> pb::MetricValue {
    pb::MetricValue {
        kind: Some(Kind::Text(t.into())),
    }
}

fn request(model: &str, metrics: Vec<(String, pb::MetricValue)>) -> pb::AssessRequest {
    pb::AssessRequest {
        model: model.into(),
        metrics: metrics.into_iter().collect(),
        ..Default::default()
    }
}

/// The built-in models and one model per runaway script.
async fn hostile_server() -> TestServer {
    let mut engine = Engine::with_builtin_models().unwrap();
    let runaways = [
        ("loops", "|m| { loop { } }"),
        ("recurses", "|m| { fn_that_recurses(m) }"),
        ("sleeps", "|m| { sleep(10); true }"),
        ("strings", "|m| { let s = \"x\"; loop { s += s; } }"),
        ("arrays", "|m| { let a = [1]; loop { a += a; } }"),
    ];
    for (id, check) in runaways {
        let mut script = custom_model(id, check, "");
        script.text = format!(
            "fn fn_that_recurses(m) {{ fn_that_recurses(m) }}\n{}",
            script.text
        );
        engine.load(&script, &[]).unwrap();
    }
    start_server(engine).await
}

/// A normal call must still work.
async fn still_serving(client: &mut MaturityServiceClient<Channel>) {
    let fine = request(
        "five_stage",
        vec![(
            "crm_in_place".into(),
            pb::MetricValue {
                kind: Some(Kind::Flag(true)),
            },
        )],
    );
    let reply = client
        .assess(fine)
        .await
        .expect("the server stopped answering")
        .into_inner();
    assert_eq!(reply.level.unwrap().id, "effort_driven");
}

async fn refused(
    client: &mut MaturityServiceClient<Channel>,
    request: pb::AssessRequest,
) -> tonic::Status {
    client.assess(request).await.unwrap_err()
}

#[tokio::test]
async fn bad_values_are_invalid_arguments_naming_the_metric_and_rule() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let cases = [
        (
            vec![("win_rate".to_owned(), number(f64::NAN))],
            "metrics[win_rate]: must be a finite number, got NaN",
        ),
        (
            vec![("win_rate".to_owned(), number(f64::INFINITY))],
            "metrics[win_rate]: must be a finite number, got inf",
        ),
        (
            vec![("sales_reps".to_owned(), number(f64::NEG_INFINITY))],
            "metrics[sales_reps]: must be a finite number, got -inf",
        ),
        (
            vec![("crm_in_place".to_owned(), number(1.0))],
            "metrics[crm_in_place]: expected a flag",
        ),
        (
            vec![("win_rate".to_owned(), text("high"))],
            "metrics[win_rate]: expected a ratio",
        ),
        (
            vec![("win_rate".to_owned(), pb::MetricValue { kind: None })],
            "metrics[win_rate]: no value set",
        ),
    ];
    for (metrics, expected) in cases {
        let status = refused(&mut client, request("five_stage", metrics)).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{expected}");
        assert!(
            status.message().contains(expected),
            "wanted {expected:?}, got {:?}",
            status.message()
        );
        still_serving(&mut client).await;
    }
    // A view the API does not define is refused, not read as the full one.
    for view in [99, -1] {
        let unknown = pb::AssessRequest {
            view,
            ..request("five_stage", vec![])
        };
        let status = refused(&mut client, unknown).await;
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            format!("view: {view} must be VIEW_UNSPECIFIED (0, the full answer) or VIEW_BASIC (1)")
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn huge_requests_are_refused_by_their_limit() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let many: Vec<_> = (0..50_000)
        .map(|i| (format!("m{i}"), number(0.5)))
        .collect();
    let status = refused(&mut client, request("five_stage", many)).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "metrics: 50000 exceeds the limit of 1024");
    still_serving(&mut client).await;

    let long_name = "n".repeat(512 * 1024);
    let status = refused(
        &mut client,
        request("five_stage", vec![(long_name, number(0.5))]),
    )
    .await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("metrics[nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…] name length: 524288 exceeds the limit of 128"), "{}", status.message());
    assert!(status.message().len() < 200, "errors never echo huge input");
    still_serving(&mut client).await;

    let too_big = "n".repeat(2 * 1024 * 1024);
    let status = refused(
        &mut client,
        request("five_stage", vec![(too_big, number(0.5))]),
    )
    .await;
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("message length too large"),
        "{}",
        status.message()
    );
    still_serving(&mut client).await;
    server.stop().await;
}

#[tokio::test]
async fn runaway_scripts_are_stopped_by_the_sandbox() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    // The same input meets the same limit every time: the script's fault,
    // INTERNAL as a script error is, never a RESOURCE_EXHAUSTED to retry.
    let cases = [
        (
            "loops",
            Code::Internal,
            "exceeded the operations limit (100000)",
        ),
        ("recurses", Code::Internal, "call depth"),
        ("sleeps", Code::Internal, "sleep"),
        ("strings", Code::Internal, "data size"),
        ("arrays", Code::Internal, "data size"),
    ];
    for (model, code, expected) in cases {
        let status = refused(&mut client, request(model, vec![("x".into(), number(0.5))])).await;
        assert_eq!(status.code(), code, "{model}: {status:?}");
        assert!(
            status.message().contains(&format!("model '{model}'")),
            "{}",
            status.message()
        );
        assert!(
            status.message().contains(expected),
            "{model}: wanted {expected:?} in {:?}",
            status.message()
        );
        still_serving(&mut client).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn one_millisecond_deadlines_and_cancelled_streams_leave_the_server_serving() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    for _ in 0..50 {
        let mut call = Request::new(request("loops", vec![("x".into(), number(0.5))]));
        call.set_timeout(Duration::from_millis(1));
        let status = client.assess(call).await.unwrap_err();
        // Whichever side's clock fires first: the server's engine, the
        // sandbox, or the client's own timer.
        assert!(
            matches!(
                status.code(),
                Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted
            ),
            "{status:?}"
        );
    }
    still_serving(&mut client).await;
    for _ in 0..20 {
        let requests = tokio_stream::iter((0..1000).map(|i| {
            let mut r = request("loops", vec![("x".into(), number(0.5))]);
            r.request_id = i.to_string();
            r
        }));
        let mut answers = client.assess_stream(requests).await.unwrap().into_inner();
        let _ = answers.message().await;
        drop(answers);
    }
    still_serving(&mut client).await;
    server.stop().await;
}

const STREAMS: usize = 2000;

#[tokio::test]
async fn thousands_of_concurrent_streams_are_all_answered() {
    let server = hostile_server().await;
    let channel = server.channel().await;
    let streams: Vec<_> = (0..STREAMS)
        .map(|i| {
            let mut client = MaturityServiceClient::new(channel.clone());
            tokio::spawn(async move {
                let mut r = request(
                    "five_stage",
                    vec![(
                        "crm_in_place".into(),
                        pb::MetricValue {
                            kind: Some(Kind::Flag(true)),
                        },
                    )],
                );
                r.request_id = i.to_string();
                let mut answers = client
                    .assess_stream(tokio_stream::iter([r]))
                    .await?
                    .into_inner();
                let answer = answers.message().await?.unwrap();
                assert_eq!(answer.request_id, i.to_string());
                // Read to the end: dropping a stream early resets it.
                assert!(answers.message().await?.is_none());
                Ok::<_, tonic::Status>(matches!(
                    answer.outcome,
                    Some(pb::assess_stream_response::Outcome::Assessment(_))
                ))
            })
        })
        .collect();
    let mut assessed = 0;
    for stream in streams {
        if stream.await.unwrap().unwrap() {
            assessed += 1;
        }
    }
    assert_eq!(assessed, STREAMS);
    let mut client = MaturityServiceClient::new(channel);
    still_serving(&mut client).await;
    server.stop().await;
}

/// A model for the binary's hostile suite: a text metric with allowed
/// values, a count whose check overflows from n = 10 on, and a check whose
/// error text tries to forge a log line.
const HOSTILE_MODEL: &str = r#"#{
    id: "hostile", name: "Hostile", version: "0.1.0",
    levels: [#{ id: "low", name: "Low" }, #{ id: "high", name: "High" }],
    metrics: [
        #{ name: "t", kind: "text", better: "none", allowed: ["a", "b"] },
        #{ name: "n", kind: "count", better: "higher", max: 100 },
    ],
    criteria: [
        #{ id: "forges", rank: 2, description: "t forges a log line", metrics: ["t"],
           check: |m| { if m.t == "b" { throw "boom\n2026-01-01T00:00:00.000000Z  INFO forged: a line the script wrote"; } true },
           interventions: [#{ id: "t", title: "T", description: "T.", metrics: ["t"] }] },
        #{ id: "overflows", rank: 2, description: "n overflows", metrics: ["n"],
           check: |m| m.n.to_int() * 1000000000000000000 > 0,
           interventions: [#{ id: "n", title: "N", description: "N.", metrics: ["n"] }] },
    ],
}
"#;

/// A request for `model` with `count` metrics named `m000000`... and no value.
fn valueless(model: &str, count: usize, name_length: usize) -> pb::AssessRequest {
    pb::AssessRequest {
        model: model.into(),
        metrics: (0..count)
            .map(|i| (format!("{i:0name_length$}"), pb::MetricValue { kind: None }))
            .collect(),
        ..Default::default()
    }
}

/// A status a client accepts: message and details well within 8 KiB of
/// headers, whatever the input.
fn bounded(status: &tonic::Status) {
    assert!(
        status.message().len() <= 1024,
        "{} bytes of message: {}…",
        status.message().len(),
        &status.message()[..200]
    );
    assert!(
        status.details().len() <= 2304,
        "{} bytes of details",
        status.details().len()
    );
}

/// `copies` calls of `request` at once; their errors.
async fn at_once(
    channel: &Channel,
    request: &pb::AssessRequest,
    copies: usize,
) -> Vec<tonic::Status> {
    let calls: Vec<_> = (0..copies)
        .map(|_| {
            let mut client = MaturityServiceClient::new(channel.clone());
            let request = request.clone();
            tokio::spawn(async move { client.assess(request).await.unwrap_err() })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_binary_answers_hostile_requests_with_bounded_errors_in_bounded_memory() {
    use support::bin::{DEPLOY_TOKEN, copy_scripts, scratch, serve, tokens_file};
    let dir = scratch("hostile_binary");
    copy_scripts(&dir);
    std::fs::write(dir.join("hostile.rhai"), HOSTILE_MODEL).unwrap();
    let tokens = tokens_file(&dir);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&tokens)
        .unwrap();
    std::io::Write::write_all(&mut file, b"reviewer validate validate-token-0123456789\n").unwrap();
    let mut served = serve(&[
        "--scripts",
        dir.to_str().unwrap(),
        "--admin-tokens",
        tokens.to_str().unwrap(),
        "--no-watch",
        "--http-listen",
        "127.0.0.1:0",
    ]);
    let http = served.wait_for_log("HTTP/JSON API listening on http://");
    let http = http.split("on=").nth(1).unwrap().split_whitespace().next();
    let http = http.unwrap().to_owned();
    let channel = Channel::from_shared(served.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = MaturityServiceClient::new(channel.clone());

    // 300,000 metrics without a value (3.9 MB), four callers at once: over
    // the message limit, refused before they are decoded.
    for status in at_once(&channel, &valueless("five_stage", 300_000, 6), 4).await {
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(
            status.message().contains("message length too large"),
            "{}",
            status.message()
        );
        bounded(&status);
    }
    // Just under the message limit: the count is checked before any metric.
    for status in at_once(&channel, &valueless("five_stage", 70_000, 6), 4).await {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(status.message(), "metrics: 70000 exceeds the limit of 1024");
        bounded(&status);
    }
    // The same over HTTP/JSON: counted, never read into a tree.
    let entries: Vec<String> = (0..80_000).map(|i| format!(r#""m{i}":0"#)).collect();
    let many = format!(r#"{{"metrics": {{{}}}}}"#, entries.join(","));
    let posts = (0..4).map(|_| {
        let (http, many) = (http.clone(), many.clone());
        let path = "/v1/models/five_stage:assess";
        tokio::spawn(async move { support::http::call(&http, "POST", path, &[], many).await })
    });
    for post in posts.collect::<Vec<_>>() {
        let error = post.await.unwrap().json();
        assert_eq!(error["message"], "metrics: 80000 exceeds the limit of 1024");
    }
    // As many violations as the limit allows, with the longest names.
    let status = refused(&mut client, valueless("five_stage", 1024, 128)).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    let (listed, more) = status.message().rsplit_once("; and ").unwrap();
    let more: usize = more.strip_suffix(" more").unwrap().parse().unwrap();
    assert_eq!(
        listed.matches("metrics[").count() + more,
        1024,
        "{}",
        status.message()
    );
    bounded(&status);
    // A 900 KiB text value is never echoed whole.
    let long_text = request("hostile", vec![("t".into(), text(&"x".repeat(900 * 1024)))]);
    let status = refused(&mut client, long_text).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("metrics[t]: must be one of [a, b]"),
        "{}",
        &status.message()[..100]
    );
    bounded(&status);
    // Counts have bounds: no check overflows on a caller's value.
    let huge_counts = request(
        "five_stage",
        vec![
            ("sales_reps".into(), number(4.7e18)),
            ("closing_reps".into(), number(4.7e18)),
        ],
    );
    let status = refused(&mut client, huge_counts).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        status.message(),
        "metrics[closing_reps]: must be in [0, 1000000], got 4.7e18; \
         metrics[sales_reps]: must be in [0, 1000000], got 4.7e18"
    );
    // A bad grpc-timeout header is not echoed whole either.
    let mut call = Request::new(request("five_stage", vec![]));
    call.metadata_mut()
        .insert("grpc-timeout", "9".repeat(4000).parse().unwrap());
    let status = client.assess(call).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    bounded(&status);

    // ValidateScript checks the token before it reads the cases.
    let mut admin = AdminServiceClient::new(channel.clone());
    let case = pb::TestCase {
        name: "n".repeat(900 * 1024),
        metrics: [("x".to_owned(), pb::MetricValue { kind: None })].into(),
        ..Default::default()
    };
    let validate = |cases: Vec<pb::TestCase>| pb::ValidateScriptRequest {
        source: HOSTILE_MODEL.into(),
        cases,
        file_name: "hostile.rhai".into(),
    };
    let status = admin
        .validate_script(validate(vec![case]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    bounded(&status);
    // Before it decodes them at all: sixteen callers without a token, each
    // with a case of 70,000 tiny metrics (some 10 MB once decoded), leave
    // the peak where it was.
    let tiny = pb::TestCase {
        metrics: valueless("five_stage", 70_000, 6).metrics,
        ..Default::default()
    };
    let (peak_before, _) = served.memory_kib().unwrap();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let mut admin = admin.clone();
            let request = validate(vec![tiny.clone()]);
            tokio::spawn(async move { admin.validate_script(request).await })
        })
        .collect();
    for call in calls {
        let status = call.await.unwrap().unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    let (peak_after, _) = served.memory_kib().unwrap();
    let grew = peak_after.saturating_sub(peak_before);
    assert!(
        grew < 8 * 1024,
        "unauthenticated calls raised the peak {grew} KiB"
    );
    // And bounds their number.
    let many = vec![pb::TestCase::default(); 120];
    let status = admin
        .validate_script(support::with_token(validate(many), DEPLOY_TOKEN))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "cases: 120 exceeds the limit of 100");
    // Counted before they are decoded: 400,000 empty cases (two bytes each
    // on the wire, some 60 MB once decoded), from eight token holders at
    // once, leave the peak where it was.
    let empty = validate(vec![pb::TestCase::default(); 400_000]);
    let (peak_before, _) = served.memory_kib().unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (mut admin, empty) = (admin.clone(), empty.clone());
            let call = support::with_token(empty, DEPLOY_TOKEN);
            tokio::spawn(async move { admin.validate_script(call).await })
        })
        .collect();
    for call in calls {
        let status = call.await.unwrap().unwrap_err();
        assert_eq!(status.message(), "cases: 400000 exceeds the limit of 100");
    }
    let (peak_after, _) = served.memory_kib().unwrap();
    let grew = peak_after.saturating_sub(peak_before);
    assert!(grew < 8 * 1024, "400,000 cases raised the peak {grew} KiB");

    // A script's error cannot forge a log line, nor put what it quotes in
    // the log; failures any caller can cause are logged a few times, not
    // once per call.
    let forging = request("hostile", vec![("t".into(), text("b"))]);
    let status = refused(&mut client, forging).await;
    assert_eq!(status.code(), Code::Internal);
    assert!(status.message().contains("boom"), "{}", status.message());
    let overflowing = request("hostile", vec![("n".into(), number(10.0))]);
    for _ in 0..500 {
        let status = refused(&mut client, overflowing.clone()).await;
        assert_eq!(status.code(), Code::Internal);
        assert!(
            status.message().contains("overflow"),
            "{}",
            status.message()
        );
    }
    // A token without the role a call needs is refused each time, and
    // logged a few times, not once per call.
    for _ in 0..50 {
        let delete = pb::DeleteModelRequest {
            model: "five_stage".into(),
            ..Default::default()
        };
        let call = support::with_token(delete, "validate-token-0123456789");
        let status = admin.delete_model(call).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let hangup = std::process::Command::new("kill")
        .args(["-HUP", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hangup.success());
    served.wait_for_log("SIGHUP: reloading");
    let logs = served.logs();
    assert!(
        logs.iter().any(|l| l.contains("model script failed")
            && l.contains("in criterion 'forges' at hostile.rhai:10:41")),
        "the script's failure is logged with its place:\n{}",
        logs.join("\n")
    );
    assert!(
        !logs.iter().any(|l| l.contains("boom")),
        "the script's error text, which may quote the caller's values, was logged"
    );
    assert!(
        !logs
            .iter()
            .any(|l| l.starts_with("2026-01-01T00:00:00.000000Z")),
        "a script forged a log line"
    );
    let failures = logs
        .iter()
        .filter(|l| l.contains("model script failed"))
        .count();
    assert!(failures < 10, "{failures} log lines for 501 failed calls");
    let refusals = served.count_logs("role too low");
    assert!(
        (1..5).contains(&refusals),
        "{refusals} log lines for 50 refusals"
    );

    still_serving(&mut client).await;
    assert!(served.running(), "the server exited");
    let (peak, now) = served.memory_kib().unwrap();
    eprintln!("server RSS: peak {peak} KiB, now {now} KiB");
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB (now {now} KiB)");
}

/// Reads from `stream` until the server closes it; fails if it is still
/// open after 20 s.
async fn closed_by_server(stream: &mut tokio::net::TcpStream, what: &str) {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) => panic!("{what}: still open after 20 s"),
        }
    }
}

/// Opens an HTTP/2 connection by hand: the preface, SETTINGS, and the ACK
/// of the server's SETTINGS; then it sends nothing more.
async fn idle_http2(address: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    stream
        .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .unwrap();
    // Frames: 3 bytes of length, type, flags, 4 bytes of stream id.
    loop {
        let mut header = [0u8; 9];
        stream.read_exact(&mut header).await.unwrap();
        let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0u8; length];
        stream.read_exact(&mut payload).await.unwrap();
        if header[3] == 4 && header[4] & 1 == 0 {
            stream
                .write_all(&[0, 0, 0, 4, 1, 0, 0, 0, 0])
                .await
                .unwrap();
            return stream;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_idle_and_excess_connections_are_closed_and_logged() {
    use support::bin::serve;
    use tokio_stream::wrappers::ReceiverStream;
    let served = serve(&[
        "--max-connections",
        "20",
        "--handshake-timeout-seconds",
        "1",
        "--idle-timeout-seconds",
        "2",
    ]);
    let address = served.url.trim_start_matches("http://").to_owned();
    let channel = Channel::from_shared(served.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    // A call in flight from the start: its connection is never idle.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let mut answers = MaturityServiceClient::new(channel.clone())
        .assess_stream(ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let flag = pb::MetricValue {
        kind: Some(Kind::Flag(true)),
    };
    let item = request("five_stage", vec![("crm_in_place".into(), flag)]);
    tx.send(item.clone()).await.unwrap();
    answers.message().await.unwrap().unwrap();
    // A connection that starts HTTP/2 and then makes no call...
    let mut idle = idle_http2(&address).await;
    // ...and 25 that never send a byte: 18 fit under the limit, 7 do not.
    let mut silent = Vec::new();
    for _ in 0..25 {
        silent.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    for (i, stream) in silent.iter_mut().enumerate() {
        closed_by_server(stream, &format!("silent connection {i}")).await;
    }
    closed_by_server(&mut idle, "idle connection").await;
    served.wait_for_log("shedding a connection that is over the connection limit");
    served.wait_for_log("shedding a connection that sent no HTTP/2 preface in time");
    // The call in flight outlived the idle timeout, and goes on.
    tx.send(item).await.unwrap();
    answers.message().await.unwrap().unwrap();
    drop(tx);
    assert!(answers.message().await.unwrap().is_none());
    // New clients are served.
    still_serving(
        &mut MaturityServiceClient::connect(served.url.clone())
            .await
            .unwrap(),
    )
    .await;
}

/// An HTTP/2 HEADERS frame opening a gRPC call of `path` on stream 1,
/// without END_STREAM: the request body is still to come. HPACK literals,
/// no Huffman coding.
fn grpc_headers(path: &str) -> Vec<u8> {
    let literal = |index: u8, value: &str| {
        let mut field = vec![index, value.len() as u8];
        field.extend_from_slice(value.as_bytes());
        field
    };
    let mut block = vec![0x83, 0x86]; // :method POST, :scheme http
    block.extend(literal(0x04, path)); // :path
    block.extend(literal(0x01, "localhost")); // :authority
    // content-type, static index 31: 15 in the 4-bit prefix, then 16.
    block.extend([0x0f, 0x10, 16]);
    block.extend_from_slice(b"application/grpc");
    block.extend([0x00, 2, b't', b'e', 8]); // te: trailers, a new name
    block.extend_from_slice(b"trailers");
    let length = block.len() as u32;
    let mut frame = length.to_be_bytes()[1..].to_vec();
    frame.extend([1, 0x4, 0, 0, 0, 1]); // HEADERS, END_HEADERS, stream 1
    frame.extend(block);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_finishes_does_not_hold_its_connection() {
    use support::bin::serve;
    use tokio::io::AsyncWriteExt;
    let served = serve(&["--max-connections", "5", "--idle-timeout-seconds", "1"]);
    let address = served.url.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for path in [
        "/maturity.v1.MaturityService/Assess",
        "/maturity.v1.MaturityService/AssessStream",
        "/maturity.v1.AdminService/ReloadModels",
    ] {
        let mut stream = idle_http2(&address).await;
        stream.write_all(&grpc_headers(path)).await.unwrap();
        held.push((stream, path));
    }
    // A stream may rest between its messages, not in the middle of one: a
    // DATA frame with 3 bytes of a 100-byte message, then nothing.
    let mut stream = idle_http2(&address).await;
    let path = "/maturity.v1.MaturityService/AssessStream (half a message)";
    stream
        .write_all(&grpc_headers("/maturity.v1.MaturityService/AssessStream"))
        .await
        .unwrap();
    let part = [0, 0, 8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 100, 1, 2, 3];
    stream.write_all(&part).await.unwrap();
    held.push((stream, path));
    // Each call fails once its body has stalled for the idle timeout, and
    // its connection, idle from then on, is closed.
    for (stream, path) in &mut held {
        closed_by_server(stream, path).await;
    }
    still_serving(
        &mut MaturityServiceClient::connect(served.url.clone())
            .await
            .unwrap(),
    )
    .await;
}

/// A caller that opens a stream and never sends its first request is told
/// why its call ended, with a status that says time ran out, not UNKNOWN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_ends_its_call_with_deadline_exceeded() {
    let served = support::bin::serve(&["--idle-timeout-seconds", "1"]);
    let mut client = MaturityServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    // The sender is kept, so the request stream stays open and empty.
    let (_sender, requests) = tokio::sync::mpsc::channel::<pb::AssessRequest>(1);
    let outcome = match client
        .assess_stream(tokio_stream::wrappers::ReceiverStream::new(requests))
        .await
    {
        Ok(answers) => answers.into_inner().message().await.map(|_| ()),
        Err(status) => Err(status),
    };
    let status = outcome.expect_err("a stalled stream was answered");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(
        status.message().contains("stopped arriving"),
        "{}",
        status.message()
    );
    still_serving(&mut client).await;
}

#[tokio::test]
async fn an_over_long_request_id_fails_its_item_not_the_stream() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let flag = pb::MetricValue {
        kind: Some(Kind::Flag(true)),
    };
    let item = |id: String| pb::AssessRequest {
        request_id: id,
        ..request("five_stage", vec![("crm_in_place".into(), flag.clone())])
    };
    let items = [
        item("a".into()),
        item("r".repeat(900_000)),
        item("c".into()),
    ];
    let mut answers = client
        .assess_stream(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    while let Some(answer) = answers.message().await.unwrap() {
        got.push(answer);
    }
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].request_id, "a");
    assert!(got[1].request_id.len() <= 256, "the long id was echoed");
    let Some(pb::assess_stream_response::Outcome::Error(error)) = &got[1].outcome else {
        panic!("{:?}", got[1].outcome)
    };
    assert_eq!(error.code, Code::InvalidArgument as i32);
    assert!(
        error.message.contains("request_id length"),
        "{}",
        error.message
    );
    assert_eq!(got[2].request_id, "c");
    server.stop().await;
}

/// Like an oversized message, an item of more metrics than the limit is
/// refused before it is decoded, so it ends the stream (tonic cannot skip
/// one item); the items before it are answered.
#[tokio::test]
async fn a_stream_item_of_too_many_metrics_ends_the_stream_unread() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let item = |id: &str, metrics: usize| pb::AssessRequest {
        request_id: id.into(),
        ..request(
            "five_stage",
            (0..metrics)
                .map(|i| (format!("m{i}"), number(0.5)))
                .collect(),
        )
    };
    let items = [item("a", 0), item("b", 40_000), item("c", 0)];
    let mut answers = client
        .assess_stream(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let first = answers.message().await.unwrap().unwrap();
    assert_eq!(first.request_id, "a");
    let status = answers.message().await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(status.message(), "metrics: 40000 exceeds the limit of 1024");
    bounded(&status);
    still_serving(&mut client).await;
    server.stop().await;
}
