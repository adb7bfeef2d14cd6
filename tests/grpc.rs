//! The real server on 127.0.0.1:0, called through a real gRPC client: cases,
//! status codes with details, health, reflection and reproducible answers.
#![allow(clippy::unwrap_used)]

mod support;

use maturity_engine::grpc::convert::request_to_pb;
use maturity_engine::grpc::pb::{self, metric_value::Kind};
use prost::Message;
use support::{custom_model, engine_with, start_builtin_server, start_server};
use tonic::Code;
use tonic_types::StatusExt;

fn number(n: f64) -> pb::MetricValue {
    pb::MetricValue {
        kind: Some(Kind::Number(n)),
    }
}

fn request(model: &str, metrics: &[(&str, pb::MetricValue)]) -> pb::AssessRequest {
    pb::AssessRequest {
        script_sha256: String::new(),
        model: model.into(),
        metrics: metrics
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        subject_id: "org-42".into(),
        explain: false,
        request_id: String::new(),
        target_rank: 0,
        view: 0,
    }
}

#[tokio::test]
async fn every_case_gets_its_level_over_grpc() {
    let server = start_builtin_server().await;
    let mut client = server.client().await;
    let local = maturity_engine::engine::Engine::with_builtin_models().unwrap();
    for (file, case) in support::load_cases() {
        let reply = client
            .assess(request_to_pb(case.request()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.subject_id, case.name, "{file}");
        let got = maturity_engine::engine::Assessment::from(reply);
        assert!(
            case.differences(&got).is_empty(),
            "{file}: {:?}",
            case.differences(&got)
        );
        assert_eq!(got.script_sha256.len(), 64);
        // Explanations, thresholds and levers cross the wire intact.
        let explained = local.assess(&case.request()).unwrap();
        assert!(!explained.why_not_higher.is_empty(), "{file}");
        assert_eq!(got, explained, "{file}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_order_of_metrics_on_the_wire_does_not_matter() {
    let server = start_builtin_server().await;
    let channel = server.channel().await;
    let (_, case) = support::load_cases().into_iter().nth(6).unwrap();
    let mut request = request_to_pb(case.request());
    request.explain = true;
    assert!(request.metrics.len() > 10);
    // The encoder writes map entries in name order; the same request with
    // them in reverse is the fields without metrics, then one entry at a
    // time (protobuf merges concatenated messages).
    let sorted = request.encode_to_vec();
    let mut reversed = pb::AssessRequest {
        metrics: Default::default(),
        ..request.clone()
    }
    .encode_to_vec();
    for (name, value) in request.metrics.iter().rev() {
        let one = pb::AssessRequest {
            metrics: [(name.clone(), value.clone())].into(),
            ..Default::default()
        };
        reversed.extend(one.encode_to_vec());
    }
    assert_ne!(sorted, reversed, "the two bodies must differ on the wire");
    assert_eq!(pb::AssessRequest::decode(&reversed[..]).unwrap(), request);
    let path = "/maturity.v1.MaturityService/Assess";
    let call =
        |body: Vec<u8>| support::raw::unary(channel.clone(), path, tonic::Request::new(body));
    let a = call(sorted).await.unwrap();
    let b = call(reversed).await.unwrap();
    assert!(!a.is_empty());
    // Every answer has its own id and time; all else is the same, byte for
    // byte.
    let unstamped = |bytes: Vec<u8>| {
        let mut answer = pb::Assessment::decode(&bytes[..]).unwrap();
        assert_eq!(answer.assessment_id.len(), 36, "a UUID");
        assert!(
            answer.evaluated_at.ends_with('Z'),
            "{}",
            answer.evaluated_at
        );
        let id = std::mem::take(&mut answer.assessment_id);
        answer.evaluated_at.clear();
        (id, answer.encode_to_vec())
    };
    let ((id_a, a), (id_b, b)) = (unstamped(a), unstamped(b));
    assert_ne!(id_a, id_b, "two answers, two ids");
    assert_eq!(a, b);
    server.stop().await;
}

#[tokio::test]
async fn unknown_model_is_not_found_and_lists_the_models() {
    let server = start_builtin_server().await;
    let status = server
        .client()
        .await
        .assess(request("nope", &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(
        status.message(),
        "model 'nope' not found; available models: chaotic_to_predictive, five_stage"
    );
    let status = server
        .client()
        .await
        .get_model(pb::GetModelRequest {
            model: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn empty_model_is_invalid_argument_on_the_model_field() {
    let server = start_builtin_server().await;
    let status = server
        .client()
        .await
        .assess(request("", &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad = status.get_details_bad_request().unwrap();
    assert_eq!(bad.field_violations[0].field, "model");
    server.stop().await;
}

#[tokio::test]
async fn invalid_metrics_are_invalid_argument_with_field_violations() {
    let server = start_builtin_server().await;
    let mut client = server.client().await;
    let cases = [
        (
            "win_rate",
            number(f64::NAN),
            "must be a finite number, got NaN",
        ),
        (
            "win_rate",
            number(f64::INFINITY),
            "must be a finite number, got inf",
        ),
        ("win_rate", number(1.2), "must be in [0, 1], got 1.2"),
        (
            "stages_defined",
            number(2.5),
            "must be a whole number, got 2.5",
        ),
        (
            "pipeline_review_cadence_days",
            number(0.0),
            "must be in [1, 365], got 0",
        ),
        (
            "crm_in_place",
            number(1.0),
            "expected a flag (true or false), got the number 1",
        ),
        (
            "crm_adoption",
            pb::MetricValue {
                kind: Some(Kind::Flag(true)),
            },
            "expected a ratio (a number), got the flag true",
        ),
        (
            "crm_adoption",
            pb::MetricValue { kind: None },
            "no value set: give a number, flag or text",
        ),
    ];
    for (name, value, rule) in cases {
        let status = client
            .assess(request("five_stage", &[(name, value)]))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{name}");
        assert!(
            status
                .message()
                .contains(&format!("metrics[{name}]: {rule}")),
            "{}",
            status.message()
        );
        let bad = status
            .get_details_bad_request()
            .expect("a BadRequest detail");
        assert_eq!(bad.field_violations.len(), 1);
        assert_eq!(bad.field_violations[0].field, format!("metrics[{name}]"));
        assert_eq!(bad.field_violations[0].description, rule);
    }
    // The server is unharmed and still answers.
    client.assess(request("five_stage", &[])).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn missing_and_unknown_metrics_are_reported_not_rejected() {
    let server = start_builtin_server().await;
    let reply = server
        .client()
        .await
        .assess(request(
            "five_stage",
            &[("win_rate", number(0.3)), ("shoe_size", number(44.0))],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.level.unwrap().rank, 1);
    assert_eq!(reply.next_level.unwrap().rank, 2);
    // Nothing failed: every level is still possible.
    assert_eq!(reply.ceiling.unwrap().rank, 5);
    assert_eq!(reply.ignored_metrics, vec!["shoe_size"]);
    assert!(reply.missing_metrics.contains(&"crm_in_place".to_owned()));
    assert!(!reply.missing_metrics.contains(&"win_rate".to_owned()));
    assert!(
        reply.confidence > 0.0 && reply.confidence < 0.1,
        "{}",
        reply.confidence
    );
    assert_eq!(reply.subject_id, "org-42");
    server.stop().await;
}

#[tokio::test]
async fn a_failing_script_is_internal_naming_model_and_position_and_others_still_work() {
    let mut engine = engine_with(&[custom_model("bad", "|m| m.x.no_such_method()", "")]);
    engine
        .load(&custom_model("spin", "|m| { loop {} }", ""), &[])
        .unwrap();
    engine
        .load(&custom_model("good", "|m| m.x >= 0.5", ""), &[])
        .unwrap();
    let server = start_server(engine).await;
    let mut client = server.client().await;
    let status = client
        .assess(request("bad", &[("x", number(0.7))]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal);
    assert!(
        status
            .message()
            .starts_with("model 'bad' failed in criterion 'gate': bad.rhai:11:"),
        "{}",
        status.message()
    );
    let status = client
        .assess(request("spin", &[("x", number(0.7))]))
        .await
        .unwrap_err();
    // The same input meets the limit every time: no status to retry.
    assert_eq!(status.code(), Code::Internal);
    assert!(
        status.message().contains("exceeded the operations limit"),
        "{}",
        status.message()
    );
    let good = client
        .assess(request("good", &[("x", number(0.7))]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(good.level.unwrap().id, "high");
    server.stop().await;
}

#[tokio::test]
async fn list_and_get_models_describe_levels_metrics_and_hash() {
    let server = start_builtin_server().await;
    let mut client = server.client().await;
    let models = client
        .list_models(pb::ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
        .models;
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["chaotic_to_predictive", "five_stage"]);
    let model = client
        .get_model(pb::GetModelRequest {
            model: "five_stage".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let levels: Vec<&str> = model.levels.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        levels,
        [
            "effort_driven",
            "activity_driven",
            "process_driven",
            "insight_driven",
            "value_driven"
        ]
    );
    assert_eq!(model.script_sha256, models[1].script_sha256);
    let cadence = model
        .metrics
        .iter()
        .find(|m| m.name == "pipeline_review_cadence_days")
        .unwrap();
    assert_eq!((cadence.min, cadence.max), (Some(1.0), Some(365.0)));
    assert_eq!(cadence.kind(), pb::MetricKind::Number);
    assert_eq!(cadence.direction(), pb::Direction::Lower);
    server.stop().await;
}

#[tokio::test]
async fn health_reports_serving() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let server = start_builtin_server().await;
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "maturity.v1.MaturityService"] {
        let reply = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.status(), ServingStatus::Serving, "{service:?}");
    }
    let status = health
        .check(HealthCheckRequest {
            service: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn reflection_lists_the_services() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let server = start_builtin_server().await;
    let mut reflection = ServerReflectionClient::new(server.channel().await);
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter([ask]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("{reply:?}")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"maturity.v1.MaturityService".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_basic_view_is_the_full_answers_standing_and_what_is_due_now() {
    let server = start_builtin_server().await;
    let mut client = server.client().await;
    for (file, case) in support::load_cases() {
        let mut full = request_to_pb(case.request());
        full.explain = false;
        let basic = pb::AssessRequest {
            view: pb::View::Basic as i32,
            ..full.clone()
        };
        let full = client.assess(full).await.unwrap().into_inner();
        let basic = client.assess(basic).await.unwrap().into_inner();
        assert_eq!(basic.level, full.level, "{file}");
        assert_eq!(basic.ceiling, full.ceiling, "{file}");
        assert_eq!(basic.score, full.score, "{file}");
        assert_eq!(basic.confidence, full.confidence, "{file}");
        assert_eq!(basic.dimensions, full.dimensions, "{file}");
        assert_eq!(basic.script_sha256, full.script_sha256, "{file}");
        assert!(
            basic.criteria.is_empty() && basic.missing_metrics.is_empty(),
            "{file}"
        );
        let now = |a: &pb::Assessment| -> Vec<(String, String)> {
            a.interventions
                .iter()
                .filter(|i| i.horizon() == pb::Horizon::Now)
                .map(|i| (i.id.clone(), i.title.clone()))
                .collect()
        };
        assert_eq!(now(&basic), now(&full), "{file}");
        assert_eq!(basic.interventions.len(), now(&basic).len(), "{file}");
        assert!(
            basic.interventions.iter().all(|i| i.description.is_empty()),
            "{file}"
        );
        assert!(
            basic.encoded_len() * 3 < full.encoded_len(),
            "{file}: basic {} bytes, full {}",
            basic.encoded_len(),
            full.encoded_len()
        );
    }
    server.stop().await;
}
