//! The HTTP/JSON API against a real server: every route of the generated
//! OpenAPI document answers, answers match gRPC's in the proto3 JSON
//! mapping, and errors carry the right HTTP status and the JSON error shape.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::{Engine, Limits};
use maturity_engine::grpc::ServeOptions;
use maturity_engine::grpc::auth::{Role, Tokens};
use maturity_engine::grpc::pb;
use serde_json::json;
use support::http::{HttpServer, call, start_builtin_http_server, start_http_server};

const ASSESS: &str = "/v1/models/five_stage:assess";

#[tokio::test]
async fn every_route_in_the_openapi_document_answers() {
    let server = start_builtin_http_server().await;
    let doc = call(&server.http, "GET", "/v1/openapi.json", &[], "").await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 5, "{paths:?}");
    let body = json!({ "metrics": { "crm_adoption": { "number": 0.8 } } }).to_string();
    let mut answered = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let path = path.replace("{model}", "five_stage");
            let streamed = operation["requestBody"]["content"]
                .get("application/x-ndjson")
                .is_some();
            let sent = if streamed {
                format!("{body}\n{body}\n")
            } else if method == "post" {
                body.clone()
            } else {
                String::new()
            };
            let answer = call(&server.http, &method.to_uppercase(), &path, &[], sent).await;
            assert_eq!(answer.status, 200, "{method} {path}: {:?}", answer.body);
            if streamed {
                let lines = answer.lines();
                assert_eq!(lines.len(), 2, "{method} {path}");
                assert!(
                    lines.iter().all(|l| l["assessment"].is_object()),
                    "{lines:?}"
                );
            } else {
                assert!(answer.json().is_object(), "{method} {path}");
            }
            answered += 1;
        }
    }
    assert_eq!(answered, maturity_engine::grpc::http::ROUTES.len());
    server.grpc.stop().await;
}

#[tokio::test]
async fn an_assessment_over_http_is_the_grpc_answer_in_proto3_json() {
    let server = start_builtin_http_server().await;
    let metrics = [("crm_adoption", 0.8), ("win_rate", 0.3)];
    let request = pb::AssessRequest {
        model: "five_stage".into(),
        subject_id: "acme".into(),
        metrics: metrics
            .iter()
            .map(|(name, value)| {
                let value = pb::MetricValue {
                    kind: Some(pb::metric_value::Kind::Number(*value)),
                };
                ((*name).to_owned(), value)
            })
            .collect(),
        ..Default::default()
    };
    let mut client = server.grpc.client().await;
    let over_grpc = client.assess(request.clone()).await.unwrap().into_inner();
    let expected = unstamped(serde_json::to_value(&over_grpc).unwrap());

    // The canonical mapping, and the same metrics written plainly.
    let canonical = serde_json::to_string(&request).unwrap();
    let plain = json!({ "model": "five_stage", "subjectId": "acme", "metrics": { "crm_adoption": 0.8, "win_rate": 0.3 } });
    for body in [canonical, plain.to_string()] {
        let answer = call(&server.http, "POST", ASSESS, &[], body.clone()).await;
        assert_eq!(answer.status, 200, "{body}");
        assert_eq!(answer.content_type, "application/json");
        assert_eq!(unstamped(answer.json()), expected, "{body}");
    }
    // lowerCamelCase names, as grpcurl prints them.
    assert_eq!(expected["subjectId"], "acme");
    assert!(expected["scriptSha256"].is_string(), "{expected}");
    assert!(expected["level"]["rank"].is_number());
    server.grpc.stop().await;
}

/// An assessment without its id and time, the two fields that differ
/// between two answers to the same request.
fn unstamped(mut assessment: serde_json::Value) -> serde_json::Value {
    let object = assessment.as_object_mut().unwrap();
    let id = object.remove("assessmentId").unwrap();
    assert_eq!(id.as_str().unwrap().len(), 36, "{id}");
    let at = object.remove("evaluatedAt").unwrap();
    assert!(at.as_str().unwrap().ends_with('Z'), "{at}");
    assessment
}

#[tokio::test]
async fn errors_have_the_json_shape_and_the_http_status_of_their_code() {
    let server = start_builtin_http_server().await;
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        ("POST", ASSESS, "{not json", 400, "INVALID_ARGUMENT"),
        (
            "POST",
            ASSESS,
            r#"{"metrics": {"crm_adoption": 7}}"#,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            ASSESS,
            r#"{"model": "other"}"#,
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "POST",
            ASSESS,
            r#"{"nonsense": 1}"#,
            400,
            "INVALID_ARGUMENT",
        ),
        ("POST", "/v1/models/nope:assess", "{}", 404, "NOT_FOUND"),
        (
            "POST",
            "/v1/models/nope:assessStream",
            "{}",
            404,
            "NOT_FOUND",
        ),
        ("GET", "/v1/models/nope", "", 404, "NOT_FOUND"),
        (
            "POST",
            "/v1/models/five_stage:explode",
            "{}",
            404,
            "NOT_FOUND",
        ),
        ("GET", "/v2/anything", "", 404, "NOT_FOUND"),
        ("PUT", "/v1/models", "{}", 405, "UNIMPLEMENTED"),
        ("DELETE", ASSESS, "", 405, "UNIMPLEMENTED"),
        ("GET", ASSESS, "", 405, "UNIMPLEMENTED"),
        ("GET", "/v1/models/five_stage:explode", "", 404, "NOT_FOUND"),
        (
            "POST",
            "/v1/models/five_stage:assess?timeout=soon",
            "{}",
            400,
            "INVALID_ARGUMENT",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let answer = call(&server.http, method, path, &[], *body).await;
        assert_eq!(
            answer.status, *status,
            "{method} {path} {body}: {:?}",
            answer.body
        );
        let error = answer.json();
        assert_eq!(error["code"], *code, "{error}");
        assert!(!error["message"].as_str().unwrap().is_empty(), "{error}");
        if *method == "GET" && path.ends_with(":assess") {
            assert!(
                error["message"].as_str().unwrap().contains("takes POST"),
                "{error}"
            );
        }
        assert!(error["details"].is_array(), "{error}");
    }
    // A metric out of range, or a value of two kinds at once, names the
    // field in a google.rpc.BadRequest.
    for body in [
        r#"{"metrics": {"crm_adoption": 7}}"#,
        r#"{"metrics": {"crm_adoption": {"number": 0.5, "flag": true}}}"#,
    ] {
        let error = call(&server.http, "POST", ASSESS, &[], body).await.json();
        let detail = &error["details"][0];
        assert_eq!(
            detail["@type"], "type.googleapis.com/google.rpc.BadRequest",
            "{body}: {error}"
        );
        assert_eq!(
            detail["fieldViolations"][0]["field"], "metrics[crm_adoption]",
            "{body}: {error}"
        );
    }

    // Over the message limit: 413, not a 429 a client would retry.
    let huge = format!(r#"{{"subjectId": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let answer = call(&server.http, "POST", ASSESS, &[], huge).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["code"], "RESOURCE_EXHAUSTED");
    // One announced over it is refused before a byte is sent, and never
    // invited with `100 Continue`.
    let head = format!(
        "POST {ASSESS} HTTP/1.1\r\nhost: {}\r\ncontent-length: 99999999999\r\nexpect: 100-continue\r\n\r\n",
        server.http
    );
    let announced = raw_answer(&server.http, &head).await;
    assert!(announced.starts_with("HTTP/1.1 413"), "{announced}");
    assert!(!announced.contains("100 Continue"), "{announced}");
    // Under it, but of more metrics than the limit: refused, naming the
    // count and the limit.
    let entries: Vec<String> = (0..80_000).map(|i| format!(r#""m{i}":0"#)).collect();
    let many = format!(r#"{{"metrics": {{{}}}}}"#, entries.join(","));
    assert!(many.len() < 1024 * 1024);
    let error = call(&server.http, "POST", ASSESS, &[], many).await.json();
    assert_eq!(error["code"], "INVALID_ARGUMENT", "{error}");
    assert_eq!(error["message"], "metrics: 80000 exceeds the limit of 1024");
    // An unknown view is named plainly.
    let error = call(&server.http, "POST", ASSESS, &[], r#"{"view": 7}"#).await;
    let message = error.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("expected one of"), "{message}");
    assert!(!message.contains("expected expected"), "{message}");
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_stream_answers_each_line_in_order_and_a_bad_line_alone() {
    let server = start_builtin_http_server().await;
    let body = [
        r#"{"requestId": "a", "metrics": {"crm_adoption": 0.9}}"#,
        "",
        r#"{"requestId": "b", "metrics": {"crm_adoption": 9}}"#,
        "not json",
        r#"{"requestId": "c"}"#,
    ]
    .join("\n");
    let answer = call(
        &server.http,
        "POST",
        "/v1/models/five_stage:assessStream",
        &[],
        body,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/x-ndjson");
    let lines = answer.lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0]["requestId"], "a");
    assert!(lines[0]["assessment"]["level"].is_object());
    assert_eq!(lines[1]["requestId"], "b");
    assert_eq!(lines[1]["error"]["code"], "INVALID_ARGUMENT");
    assert_eq!(
        lines[1]["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    assert_eq!(lines[2]["error"]["code"], "INVALID_ARGUMENT");
    assert_eq!(lines[3]["requestId"], "c");
    assert!(lines[3]["assessment"].is_object());
    server.grpc.stop().await;
}

#[tokio::test]
async fn tokens_are_required_over_http_as_over_grpc() {
    let engine = Engine::with_builtin_models().unwrap();
    let mut tokens = Tokens::default();
    tokens
        .add("platform", Role::Assess, "assess-token-0123456789")
        .unwrap();
    let options = ServeOptions {
        tokens,
        require_token: true,
        ..Default::default()
    };
    let server = start_http_server(Arc::new(Catalog::fixed(engine)), options).await;
    for path in ["/v1/models", "/v1/models/five_stage"] {
        let refused = call(&server.http, "GET", path, &[], "").await;
        assert_eq!(refused.status, 401, "{path}");
        assert_eq!(refused.json()["code"], "UNAUTHENTICATED");
    }
    let refused = call(&server.http, "POST", ASSESS, &[], "{}").await;
    assert_eq!(refused.status, 401);
    let bearer = [("authorization", "Bearer assess-token-0123456789")];
    let allowed = call(&server.http, "POST", ASSESS, &bearer, "{}").await;
    assert_eq!(allowed.status, 200, "{:?}", allowed.body);
    let wrong = [("authorization", "Bearer wrong-token-0123456789")];
    let refused = call(&server.http, "GET", "/v1/models", &wrong, "").await;
    assert!(matches!(refused.status.as_u16(), 401 | 403), "{refused:?}");
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_timeout_parameter_is_the_calls_deadline() {
    // A check that spins until something stops it: the deadline does, well
    // before the sandbox's own five seconds.
    let limits = Limits {
        max_operations: 0,
        max_time: Duration::from_secs(5),
        ..Limits::default()
    };
    let mut engine = Engine::new(limits);
    let spin = "|m| { let i = 0; while i >= 0 { i += 1; } m.x > 0.0 }";
    engine
        .load(&support::custom_model("spin", spin, ""), &[])
        .unwrap();
    engine
        .load(&support::custom_model("quick", "|m| m.x >= 0.5", ""), &[])
        .unwrap();
    let server = start_http_server(Arc::new(Catalog::fixed(engine)), ServeOptions::default()).await;
    let body = r#"{"metrics": {"x": 0.5}}"#;
    let path = "/v1/models/spin:assess?timeout=300ms";
    let answer = call(&server.http, "POST", path, &[], body).await;
    assert_eq!(answer.status, 504, "{:?}", answer.body);
    assert_eq!(answer.json()["code"], "DEADLINE_EXCEEDED");
    // The same with gRPC's own header.
    let header = [("grpc-timeout", "300m")];
    let path = "/v1/models/spin:assess";
    let answer = call(&server.http, "POST", path, &header, body).await;
    assert_eq!(answer.status, 504, "{:?}", answer.body);
    // Zero is already past, however quick the model; years are years.
    let quick = |timeout: &str| format!("/v1/models/quick:assess?timeout={timeout}");
    let answer = call(&server.http, "POST", &quick("0s"), &[], body).await;
    assert_eq!(answer.status, 504, "{:?}", answer.body);
    let answer = call(&server.http, "POST", &quick("3years"), &[], body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    server.grpc.stop().await;
}

/// Everything the server sends back to `request`, written raw on a fresh
/// connection, until it closes the connection.
async fn raw_answer(address: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8(answer).unwrap()
}

/// What the server answers to the start of a body to `path` that then
/// stops arriving.
async fn answer_to_a_stalled_body(address: &str, path: &str) -> String {
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-length: 100\r\n\r\n{{\"metrics\":"
    );
    raw_answer(address, &head).await
}

#[tokio::test]
async fn a_malformed_body_is_a_bad_request_not_too_large() {
    let server = start_builtin_http_server().await;
    let request =
        format!("POST {ASSESS} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n");
    let answer = raw_answer(&server.http, &request).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("reading the body"), "{answer}");
    server.grpc.stop().await;
}

/// The built-in models over HTTP with an idle timeout of 300 ms.
async fn impatient_server() -> HttpServer {
    let engine = Engine::with_builtin_models().unwrap();
    let options = ServeOptions {
        idle_timeout: Some(Duration::from_millis(300)),
        ..ServeOptions::default()
    };
    start_http_server(Arc::new(Catalog::fixed(engine)), options).await
}

#[tokio::test]
async fn a_body_dripped_a_byte_at_a_time_ends_at_the_idle_timeout_all_the_same() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = impatient_server().await;
    let stream = tokio::net::TcpStream::connect(&server.http).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let length = 1000;
    let head = format!(
        "POST {ASSESS} HTTP/1.1\r\nhost: {}\r\ncontent-length: {length}\r\n\r\n",
        server.http
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let answer = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer).await;
        String::from_utf8(answer).unwrap()
    });
    // A byte every 50 ms: never a rest as long as the idle timeout, but the
    // whole body would take 50 s.
    let mut dripped = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    while dripped < length && !answer.is_finished() {
        tick.tick().await;
        if writer.write_all(b" ").await.is_err() {
            break;
        }
        dripped += 1;
    }
    let answer = answer.await.unwrap();
    assert!(dripped < length, "the whole body was taken: {answer}");
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert!(answer.contains("not whole within"), "{answer}");
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_busy_stream_whose_writes_straddle_its_lines_is_never_cut() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = impatient_server().await;
    let stream = tokio::net::TcpStream::connect(&server.http).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /v1/models/five_stage:assessStream HTTP/1.1\r\nhost: {}\r\ntransfer-encoding: chunked\r\n\r\n",
        server.http
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    // Every write ends inside a line and starts another, for ten times the
    // idle timeout: the body is never between two lines, yet always moving.
    let chunk = |text: &str| format!("{:x}\r\n{text}\r\n", text.len());
    let lines = 60;
    writer
        .write_all(chunk("{\"metrics\":").as_bytes())
        .await
        .unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    for _ in 1..lines {
        tick.tick().await;
        let straddling = chunk("{\"crm_adoption\": 0.9}}\n{\"metrics\":");
        writer.write_all(straddling.as_bytes()).await.unwrap();
    }
    let last = chunk("{\"crm_adoption\": 0.9}}\n");
    writer
        .write_all(format!("{last}0\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 65536];
    // Read until the last answer's line is in, the chunked body's end.
    while !answer.ends_with(b"0\r\n\r\n") {
        let read = reader.read(&mut buffer).await.unwrap();
        assert!(read > 0, "{}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buffer[..read]);
    }
    let answer = String::from_utf8(answer).unwrap();
    assert!(!answer.contains("DEADLINE_EXCEEDED"), "{answer}");
    assert_eq!(answer.matches("\"assessment\"").count(), lines, "{answer}");
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_stalled_body_ends_its_call_with_deadline_exceeded_as_over_grpc() {
    let server = impatient_server().await;
    let unary = answer_to_a_stalled_body(&server.http, ASSESS).await;
    assert!(unary.starts_with("HTTP/1.1 504"), "{unary}");
    assert!(unary.contains(r#""code":"DEADLINE_EXCEEDED""#), "{unary}");
    assert!(unary.contains("stopped arriving"), "{unary}");
    let stream = "/v1/models/five_stage:assessStream";
    let streamed = answer_to_a_stalled_body(&server.http, stream).await;
    assert!(streamed.starts_with("HTTP/1.1 200"), "{streamed}");
    assert!(
        streamed.contains(r#""code":"DEADLINE_EXCEEDED""#),
        "{streamed}"
    );
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_byte_order_mark_before_a_body_or_a_stream_is_skipped() {
    let server = start_builtin_http_server().await;
    let request = r#"{"subjectId": "acme", "metrics": {"crm_adoption": 0.9}}"#;
    let body = format!("\u{feff}{request}");
    let answer = call(&server.http, "POST", ASSESS, &[], body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.json()["subjectId"], "acme");
    let body = format!("\u{feff}{request}\n{request}\n");
    let path = "/v1/models/five_stage:assessStream";
    let answer = call(&server.http, "POST", path, &[], body).await;
    let lines = answer.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert!(line["assessment"]["level"].is_object(), "{lines:?}");
    }
    server.grpc.stop().await;
}

#[tokio::test]
async fn json_reads_as_the_proto3_mapping_reads_it() {
    let server = start_builtin_http_server().await;
    let assess = |body: &'static str| call(&server.http, "POST", ASSESS, &[], body);
    // A key twice is refused, not read as the last one.
    let twice = assess(r#"{"metrics": {"crm_adoption": 0.95, "crm_adoption": 0.1}}"#).await;
    assert_eq!(twice.status, 400, "{:?}", twice.body);
    let message = twice.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("\"crm_adoption\" appears twice"),
        "{message}"
    );
    // null is a field's default; a metric of null is not supplied.
    let body = r#"{"subjectId": null, "targetRank": 3.0,
        "metrics": {"crm_in_place": true, "crm_adoption": null}}"#;
    let answer = assess(body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let missing = answer.json()["missingMetrics"].to_string();
    assert!(missing.contains("crm_adoption"), "{missing}");
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named_in_the_refusal() {
    let server = start_builtin_http_server().await;
    for (body, said) in [
        (r#"{"targetRank": 2.5}"#, "targetRank: expected an integer"),
        (r#"{"targetRank": true}"#, "targetRank: expected an integer"),
        (r#"{"explain": "true"}"#, "explain: invalid type: string"),
        (r#"{"metrics": []}"#, "metrics: invalid type: sequence"),
        (r#"{"subjectId": 5}"#, "subjectId: invalid type: integer"),
        (
            r#"{"metrics": {"crm_in_place": true, "crm_adoption": {"number": "high"}}}"#,
            "metrics[crm_adoption]: ",
        ),
    ] {
        let answer = call(&server.http, "POST", ASSESS, &[], body).await;
        assert_eq!(answer.status, 400, "{body}: {:?}", answer.body);
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(said), "{body}: {message}");
    }
    server.grpc.stop().await;
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_naming_the_accepted_ones() {
    let server = start_builtin_http_server().await;
    let doc = call(&server.http, "GET", "/v1/openapi.json", &[], "")
        .await
        .json();
    let body = json!({ "metrics": { "crm_adoption": 0.8 } }).to_string();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let documented: Vec<&str> = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(documented, ["timeout"], "{method} {path}");
            let path = path.replace("{model}", "five_stage");
            let sent = if method == "post" {
                body.clone()
            } else {
                String::new()
            };
            let method = method.to_uppercase();
            let with = |query: &str| format!("{path}?{query}");
            let answer = call(
                &server.http,
                &method,
                &with("timeout=5s"),
                &[],
                sent.clone(),
            )
            .await;
            assert_eq!(answer.status, 200, "{method} {path}: {:?}", answer.body);
            let answer = call(
                &server.http,
                &method,
                &with("timeout=5s&view=VIEW_BASIC"),
                &[],
                sent,
            )
            .await;
            assert_eq!(answer.status, 400, "{method} {path}: {:?}", answer.body);
            let error = answer.json();
            assert_eq!(error["code"], "INVALID_ARGUMENT", "{error}");
            assert_eq!(
                error["message"],
                "unknown query parameter 'view': this API accepts only timeout"
            );
            let violation = &error["details"][0]["fieldViolations"][0];
            assert_eq!(violation["field"], "view", "{error}");
            checked += 1;
        }
    }
    assert_eq!(checked, maturity_engine::grpc::http::ROUTES.len());
    server.grpc.stop().await;
}

#[tokio::test]
async fn a_path_that_does_not_decode_is_a_json_error() {
    let server = start_builtin_http_server().await;
    for (method, path) in [("GET", "/v1/models/%ff"), ("POST", "/v1/models/%ff:assess")] {
        let answer = call(&server.http, method, path, &[], "{}").await;
        assert_eq!(answer.status, 400, "{method} {path}: {:?}", answer.body);
        assert_eq!(answer.content_type, "application/json", "{method} {path}");
        let error = answer.json();
        assert_eq!(error["code"], "INVALID_ARGUMENT", "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("{path}: ")), "{message}");
        assert!(message.contains("UTF-8"), "{message}");
        assert!(error["details"].is_array(), "{error}");
    }
    server.grpc.stop().await;
}
