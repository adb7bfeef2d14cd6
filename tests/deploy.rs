//! Deploying models to a running server: ValidateScript, PutModel,
//! DeleteModel and ReloadModels over real gRPC, with every refusal and its
//! status, the files on disk and the audit log.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::Limits;
use maturity_engine::grpc::auth::{Role, Tokens};
use maturity_engine::grpc::pb::admin_service_client::AdminServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use maturity_engine::grpc::pb::{self, maturity_service_client::MaturityServiceClient};
use support::bin::{copy_scripts, scratch};
use support::{TestServer, custom_model, start_catalog_server};
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

const DEPLOY: &str = "deploy-token-0123456789abcdef";
const VALIDATE: &str = "validate-token-0123456789abcdef";

struct Deployment {
    server: TestServer,
    dir: PathBuf,
    admin: AdminServiceClient<Channel>,
    client: MaturityServiceClient<Channel>,
}

/// A server on a copy of the shipped scripts, with a deploy and a validate token.
async fn deployment(name: &str) -> Deployment {
    audited_deployment(name, |_| None).await
}

/// A deployment whose audit log is where `audit` puts it (given the
/// scripts directory), by default in the directory.
async fn audited_deployment(name: &str, audit: impl Fn(&Path) -> Option<PathBuf>) -> Deployment {
    let dir = scratch(name);
    copy_scripts(&dir);
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), audit(&dir)).unwrap();
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    tokens.add("viewer", Role::Validate, VALIDATE).unwrap();
    let server = start_catalog_server(Arc::new(catalog), tokens).await;
    let channel = server.channel().await;
    Deployment {
        admin: AdminServiceClient::new(channel.clone()),
        client: MaturityServiceClient::new(channel),
        server,
        dir,
    }
}

fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn put(source: &str, expected: &str) -> pb::PutModelRequest {
    pb::PutModelRequest {
        source: source.into(),
        expected_sha256: expected.into(),
        cases: Vec::new(),
    }
}

/// The status a deploy-token PutModel of `source` over `expected` is
/// refused with.
async fn put_refused(d: &mut Deployment, source: &str, expected: &str) -> tonic::Status {
    d.admin
        .put_model(authed(put(source, expected), DEPLOY))
        .await
        .unwrap_err()
}

async fn models(client: &mut MaturityServiceClient<Channel>) -> pb::ListModelsResponse {
    client
        .list_models(pb::ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
}

async fn sha_of(client: &mut MaturityServiceClient<Channel>, id: &str) -> Option<String> {
    let list = models(client).await;
    list.models
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.script_sha256)
}

fn case(name: &str, x: f64, rank: i32, level: &str) -> pb::TestCase {
    pb::TestCase {
        name: name.into(),
        metrics: [(
            "x".to_owned(),
            pb::MetricValue {
                kind: Some(Kind::Number(x)),
            },
        )]
        .into(),
        expect_rank: rank,
        expect_level_id: level.into(),
        ..Default::default()
    }
}

fn audit_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn admin_calls_need_a_token_that_allows_them() {
    let mut d = deployment("deploy_auth").await;
    let source = custom_model("acme", "|m| m.x >= 0.5", "").text;
    let no_token = d
        .admin
        .put_model(Request::new(put(&source, "")))
        .await
        .unwrap_err();
    assert_eq!(no_token.code(), Code::Unauthenticated);
    assert!(
        no_token.message().contains("authorization"),
        "{}",
        no_token.message()
    );
    let wrong = d
        .admin
        .put_model(authed(put(&source, ""), "not-a-real-token-at-all"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert_eq!(wrong.message(), "unknown token");
    let mut basic = Request::new(put(&source, ""));
    basic
        .metadata_mut()
        .insert("authorization", format!("Basic {DEPLOY}").parse().unwrap());
    assert_eq!(
        d.admin.put_model(basic).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    // A validate token may validate, and nothing else.
    let denied = [
        d.admin
            .put_model(authed(put(&source, ""), VALIDATE))
            .await
            .unwrap_err(),
        d.admin
            .delete_model(authed(
                pb::DeleteModelRequest {
                    model: "five_stage".into(),
                    expected_sha256: String::new(),
                },
                VALIDATE,
            ))
            .await
            .unwrap_err(),
        d.admin
            .reload_models(authed(pb::ReloadModelsRequest {}, VALIDATE))
            .await
            .unwrap_err(),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert!(
            status
                .message()
                .contains("token 'viewer' has role Validate; this call needs at least Deploy"),
            "{}",
            status.message()
        );
        assert!(
            !status.message().contains(VALIDATE),
            "a token must never be echoed"
        );
    }
    let validate = pb::ValidateScriptRequest {
        source,
        ..Default::default()
    };
    assert!(
        d.admin
            .validate_script(authed(validate, VALIDATE))
            .await
            .is_ok()
    );
    assert!(
        sha_of(&mut d.client, "acme").await.is_none(),
        "nothing was deployed"
    );
    d.server.stop().await;
}

/// What ValidateScript answers for `source` as acme.rhai, with no cases.
async fn validated(
    admin: &mut AdminServiceClient<tonic::transport::Channel>,
    source: String,
) -> pb::ValidateScriptResponse {
    let request = pb::ValidateScriptRequest {
        source,
        file_name: "acme.rhai".into(),
        ..Default::default()
    };
    admin
        .validate_script(authed(request, VALIDATE))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn validate_script_compiles_checks_and_runs_cases_without_deploying() {
    let mut d = deployment("deploy_validate").await;
    let source = custom_model("acme", "|m| m.x >= 0.5", "").text;
    let request = pb::ValidateScriptRequest {
        source: source.clone(),
        cases: vec![
            case("low", 0.2, 1, "low"),
            case("high", 0.7, 2, "high"),
            case("wrong", 0.7, 1, "low"),
        ],
        file_name: "acme.rhai".into(),
    };
    let reply = d
        .admin
        .validate_script(authed(request, VALIDATE))
        .await
        .unwrap()
        .into_inner();
    assert!(!reply.valid, "one case fails");
    assert_eq!(reply.model, "acme");
    assert_eq!(reply.script_sha256.len(), 64);
    let outcomes: Vec<(&str, bool, i32)> = reply
        .cases
        .iter()
        .map(|c| (c.name.as_str(), c.passed, c.rank))
        .collect();
    assert_eq!(
        outcomes,
        [("low", true, 1), ("high", true, 2), ("wrong", false, 2)]
    );
    assert!(reply.cases[2].failures[0].contains("expected rank 1 'low', got rank 2 'high'"));

    let broken = source.replace("check: |m| m.x >= 0.5,", "check: |m| m.nope >= 0.5,");
    let reply = validated(&mut d.admin, broken).await;
    assert!(!reply.valid);
    let diagnostic = &reply.diagnostics[0];
    assert_eq!(
        (diagnostic.file.as_str(), diagnostic.line, diagnostic.column),
        ("acme.rhai", 11, 22)
    );
    assert!(
        diagnostic.message.contains("reads metric 'nope'"),
        "{}",
        diagnostic.message
    );
    assert!(diagnostic.source_line.contains("m.nope"));
    assert!(
        sha_of(&mut d.client, "acme").await.is_none(),
        "validation deploys nothing"
    );

    // A check that fails on every value tried loads, with a warning.
    let reply = validated(
        &mut d.admin,
        custom_model("acme", "|m| m.x.no_such_method()", "").text,
    )
    .await;
    assert!(
        reply
            .warnings
            .iter()
            .any(|w| w.contains("the check fails on every value tried")),
        "{:?}",
        reply.warnings
    );

    // Every diagnostic repeats the file name and may quote its line: a
    // caller's huge name is refused, and a huge line is not quoted.
    let long_name = pb::ValidateScriptRequest {
        source: source.clone(),
        file_name: format!("{}.rhai", "n".repeat(400_000)),
        ..Default::default()
    };
    let status = d
        .admin
        .validate_script(authed(long_name, VALIDATE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert_eq!(
        status.message(),
        "file_name: 400005 bytes exceeds the limit of 255"
    );
    let padded = source.replace(
        "check: |m| m.x >= 0.5,",
        &format!("check: |m| m.nope >= 0.5, {}", " ".repeat(100_000)),
    );
    let reply = validated(&mut d.admin, padded).await;
    let diagnostic = &reply.diagnostics[0];
    assert_eq!((diagnostic.line, diagnostic.column), (11, 22));
    assert_eq!(diagnostic.source_line, "", "a 100 KB line is not quoted");
    d.server.stop().await;
}

#[tokio::test]
async fn put_creates_and_replaces_with_optimistic_concurrency_and_an_audit_trail() {
    let mut d = deployment("deploy_put").await;
    let v1 = custom_model("acme", "|m| m.x >= 0.5", "").text;
    let created = d
        .admin
        .put_model(authed(put(&v1, ""), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (created.model.as_str(), created.previous_sha256.as_str()),
        ("acme", "")
    );
    assert_eq!(
        sha_of(&mut d.client, "acme").await.as_deref(),
        Some(created.script_sha256.as_str())
    );
    assert_eq!(
        std::fs::read_to_string(d.dir.join("acme.rhai")).unwrap(),
        v1
    );

    // Creating it again with other content, or replacing it with a stale
    // hash, is refused.
    let other = v1.replace("0.1.0", "0.1.1");
    let again = d
        .admin
        .put_model(authed(put(&other, ""), DEPLOY))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::Aborted);
    assert!(
        again.message().contains(&created.script_sha256),
        "{}",
        again.message()
    );
    let v2 = custom_model("acme", "|m| m.x >= 0.6", "").text;
    let stale = d
        .admin
        .put_model(authed(put(&v2, &"0".repeat(64)), DEPLOY))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert!(
        stale.message().contains("read it again and retry"),
        "{}",
        stale.message()
    );

    let replaced = d
        .admin
        .put_model(authed(put(&v2, &created.script_sha256), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced.previous_sha256, created.script_sha256);
    assert_ne!(replaced.script_sha256, created.script_sha256);
    assert_eq!(
        std::fs::read_to_string(d.dir.join("acme.rhai")).unwrap(),
        v2
    );

    let audit = audit_lines(&d.dir);
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[1]["who"], "ops");
    assert_eq!(audit[1]["action"], "put");
    assert_eq!(audit[1]["old_sha256"], created.script_sha256.as_str());
    assert_eq!(audit[1]["new_sha256"], replaced.script_sha256.as_str());
    assert!(audit[1]["time"].as_str().unwrap().ends_with('Z'));
    let leftovers: Vec<_> = std::fs::read_dir(&d.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    d.server.stop().await;
}

#[tokio::test]
async fn put_refuses_broken_scripts_failing_tests_and_unsafe_ids_and_keeps_serving() {
    let mut d = deployment("deploy_refusals").await;
    let live = sha_of(&mut d.client, "five_stage").await.unwrap();
    let original = std::fs::read_to_string(d.dir.join("five_stage.rhai")).unwrap();

    let broken = original.replace("criteria: [", "criteria: [ oops");
    let status = put_refused(&mut d, &broken, &live).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "source");
    assert!(
        violations[0].description.starts_with("five_stage.rhai:44:"),
        "the error names the file the model lives in: {}",
        violations[0].description
    );

    // Loads, but the shipped rank 2 example no longer gets rank 2.
    let stricter = original.replace("m.crm_adoption >= R2.crm_adoption", "m.crm_adoption >= 0.7");
    let status = put_refused(&mut d, &stricter, &live).await;
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("five_stage_rank2_example.json"),
        "{}",
        status.message()
    );

    let odd_id = custom_model("../evil", "|m| m.x >= 0.5", "").text;
    let status = put_refused(&mut d, &odd_id, "").await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("'../evil' cannot name a script file"),
        "{}",
        status.message()
    );
    // ValidateScript answers as the deploy would.
    let validate = pb::ValidateScriptRequest {
        source: odd_id,
        ..Default::default()
    };
    let validated = d.admin.validate_script(authed(validate, DEPLOY)).await;
    let status = validated.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("'../evil' cannot name a script file"),
        "{}",
        status.message()
    );

    assert_eq!(sha_of(&mut d.client, "five_stage").await.unwrap(), live);
    assert_eq!(
        std::fs::read_to_string(d.dir.join("five_stage.rhai")).unwrap(),
        original
    );
    assert!(audit_lines(&d.dir).is_empty());
    d.server.stop().await;
}

#[tokio::test]
async fn delete_needs_the_current_hash_and_removes_model_and_file() {
    let mut d = deployment("deploy_delete").await;
    let live = sha_of(&mut d.client, "chaotic_to_predictive")
        .await
        .unwrap();
    let delete = |model: &str, sha: &str| pb::DeleteModelRequest {
        model: model.into(),
        expected_sha256: sha.into(),
    };
    let unknown = d
        .admin
        .delete_model(authed(delete("nope", &live), DEPLOY))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let stale = d
        .admin
        .delete_model(authed(delete("chaotic_to_predictive", "abc"), DEPLOY))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    // Hex in either case names the same hash.
    let shouted = live.to_uppercase();
    let deleted = d
        .admin
        .delete_model(authed(delete("chaotic_to_predictive", &shouted), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.previous_sha256, live);
    assert!(
        sha_of(&mut d.client, "chaotic_to_predictive")
            .await
            .is_none()
    );
    assert!(!d.dir.join("chaotic_to_predictive.rhai").exists());
    let gone = d
        .client
        .assess(pb::AssessRequest {
            model: "chaotic_to_predictive".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let audit = audit_lines(&d.dir);
    assert_eq!(
        (audit[0]["action"].as_str(), audit[0]["new_sha256"].as_str()),
        (Some("delete"), Some(""))
    );
    let removed = audit[0]["cases"].as_array().unwrap();
    assert!(!removed.is_empty(), "{}", audit[0]);
    d.server.stop().await;
}

#[tokio::test]
async fn a_server_on_built_in_models_has_nothing_to_deploy_to() {
    let catalog = Arc::new(Catalog::fixed(
        maturity_engine::engine::Engine::with_builtin_models().unwrap(),
    ));
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    let server = start_catalog_server(catalog, tokens).await;
    let mut admin = AdminServiceClient::new(server.channel().await);
    let source = custom_model("acme", "|m| m.x >= 0.5", "").text;
    let status = admin
        .put_model(authed(put(&source, ""), DEPLOY))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("--scripts"),
        "{}",
        status.message()
    );
    // Validation still works, against the built-in helpers.
    let request = pb::ValidateScriptRequest {
        source,
        ..Default::default()
    };
    assert!(
        admin
            .validate_script(authed(request, DEPLOY))
            .await
            .unwrap()
            .into_inner()
            .valid
    );
    server.stop().await;
}

#[tokio::test]
async fn a_server_without_tokens_says_so_to_an_admin_caller() {
    let catalog = Arc::new(Catalog::fixed(
        maturity_engine::engine::Engine::with_builtin_models().unwrap(),
    ));
    let server = start_catalog_server(catalog, Tokens::default()).await;
    let mut admin = AdminServiceClient::new(server.channel().await);
    let call = authed(pb::ReloadModelsRequest {}, DEPLOY);
    let status = admin.reload_models(call).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.message(),
        "this server has no tokens: start it with --admin-tokens FILE to allow this call"
    );
    server.stop().await;
}

#[test]
fn short_or_malformed_tokens_are_refused_at_start_up() {
    let mut tokens = Tokens::default();
    assert!(
        tokens
            .add("ops", Role::Deploy, "short")
            .unwrap_err()
            .contains("at least 16")
    );
    let dir = scratch("tokens_file");
    let path = dir.join("tokens");
    std::fs::write(
        &path,
        format!("# comment\nops deploy {DEPLOY}\nviewer validate {VALIDATE} # trailing\n"),
    )
    .unwrap();
    assert!(!Tokens::from_file(&path).unwrap().is_empty());
    std::fs::write(&path, format!("ops admin {DEPLOY}\n")).unwrap();
    let err = Tokens::from_file(&path).unwrap_err();
    assert!(
        err.ends_with("tokens:1: role 'admin' is not assess, validate or deploy"),
        "{err}"
    );
}

#[tokio::test]
async fn a_change_that_cannot_be_audited_is_refused_and_changes_nothing() {
    let mut d = audited_deployment("deploy_unaudited", |dir| {
        // A directory where the log should be: it cannot be appended to.
        let log = dir.join("audit-is-a-dir");
        std::fs::create_dir_all(&log).unwrap();
        Some(log)
    })
    .await;
    let file = d.dir.join("five_stage.rhai");
    let before = std::fs::read_to_string(&file).unwrap();
    let sha = sha_of(&mut d.client, "five_stage").await.unwrap();
    let edited = before.replace("version: \"2.0.0\"", "version: \"2.0.1\"");
    let status = put_refused(&mut d, &edited, &sha).await;
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("cannot write the audit log")
            && status.message().contains("nothing changed"),
        "{}",
        status.message()
    );
    let delete = pb::DeleteModelRequest {
        model: "five_stage".into(),
        expected_sha256: sha.clone(),
    };
    let status = d
        .admin
        .delete_model(authed(delete, DEPLOY))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(sha_of(&mut d.client, "five_stage").await.unwrap(), sha);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    d.server.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_record_is_written_before_the_new_version_goes_live() {
    let mut d = audited_deployment("deploy_audit_first", |dir| {
        // A named pipe: writing the record waits until the test reads it.
        let pipe = dir.join("audit.pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap();
        assert!(made.success());
        Some(pipe)
    })
    .await;
    let file = d.dir.join("five_stage.rhai");
    let before = std::fs::read_to_string(&file).unwrap();
    let sha = sha_of(&mut d.client, "five_stage").await.unwrap();
    let edited = before.replace("version: \"2.0.0\"", "version: \"2.0.1\"");
    let mut admin = d.admin.clone();
    let putting =
        tokio::spawn(async move { admin.put_model(authed(put(&edited, &sha), DEPLOY)).await });
    // Opening the pipe returns once the deploy has opened it to audit.
    let pipe = d.dir.join("audit.pipe");
    let mut reader = tokio::task::spawn_blocking(move || std::fs::File::open(pipe))
        .await
        .unwrap()
        .unwrap();
    let serving = models(&mut d.client).await;
    let five = serving
        .models
        .iter()
        .find(|m| m.id == "five_stage")
        .unwrap();
    assert_eq!(
        five.version, "2.0.0",
        "live before its audit record was written"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        before,
        "written before audited"
    );
    let mut record = String::new();
    std::io::Read::read_to_string(&mut reader, &mut record).unwrap();
    assert!(record.contains("\"action\":\"put\""), "{record}");
    // A pipe cannot be synced to disk, so the deploy is refused in the end.
    let refused = putting.await.unwrap().unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    d.server.stop().await;
}

#[tokio::test]
async fn temporary_files_of_interrupted_deploys_are_removed_at_start() {
    let dir = scratch("deploy_stale_temps");
    copy_scripts(&dir);
    // No process can have this id (above Linux's pid_max).
    let stale = dir.join(".five_stage.rhai.4294967.0.tmp");
    std::fs::write(&stale, "half a script").unwrap();
    let kept = dir.join(".notes.tmp");
    std::fs::write(&kept, "not ours").unwrap();
    Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(kept.exists(), "a file that is not ours was removed");
}

#[tokio::test]
async fn validate_runs_the_cases_a_deploy_would_and_both_give_the_same_verdict() {
    let mut d = deployment("deploy_validate_is_put").await;
    let live = sha_of(&mut d.client, "five_stage").await.unwrap();
    let original = std::fs::read_to_string(d.dir.join("five_stage.rhai")).unwrap();
    let stricter = original.replace("m.crm_adoption >= R2.crm_adoption", "m.crm_adoption >= 0.7");
    assert_ne!(stricter, original);
    let validation = pb::ValidateScriptRequest {
        source: stricter.clone(),
        ..Default::default()
    };
    let v = d
        .admin
        .validate_script(authed(validation, VALIDATE))
        .await
        .unwrap()
        .into_inner();
    assert!(!v.valid, "the server's own cases were not run: {v:?}");
    let failing = v.cases.iter().filter(|c| !c.passed).count();
    assert!(failing > 0, "{v:?}");
    let status = put_refused(&mut d, &stricter, &live).await;
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status
            .message()
            .contains(&format!("fails {failing} test cases")),
        "{}",
        status.message()
    );
    // The unchanged script passes the same run, and names its file.
    let validation = pb::ValidateScriptRequest {
        source: original.replace("criteria: [", "criteria: [ oops"),
        ..Default::default()
    };
    let v = d
        .admin
        .validate_script(authed(validation, VALIDATE))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.diagnostics[0].file, "five_stage.rhai", "{v:?}");
    d.server.stop().await;
}

#[tokio::test]
async fn put_deploys_a_script_with_its_cases_together_or_not_at_all() {
    let mut d = deployment("deploy_with_cases").await;
    let source = custom_model("acme", "|m| m.x >= 0.5", "").text;
    // One case is wrong: neither the script nor any case is written.
    let wrong = pb::PutModelRequest {
        cases: vec![case("Rank 2", 0.7, 2, "high"), case("low", 0.7, 1, "low")],
        ..put(&source, "")
    };
    let status = d.admin.put_model(authed(wrong, DEPLOY)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(!d.dir.join("acme.rhai").exists());
    assert!(!d.dir.join("tests/acme").exists());
    assert!(sha_of(&mut d.client, "acme").await.is_none());
    // Both right: script and cases go live together.
    let right = pb::PutModelRequest {
        cases: vec![case("Rank 2", 0.7, 2, "high"), case("low", 0.2, 1, "low")],
        ..put(&source, "")
    };
    let put_ok = d
        .admin
        .put_model(authed(right, DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert!(put_ok.warnings.is_empty(), "{:?}", put_ok.warnings);
    let names: Vec<_> = put_ok.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Rank 2", "low"]);
    let saved = std::fs::read_to_string(d.dir.join("tests/acme/rank_2.json")).unwrap();
    assert!(saved.contains(r#""model": "acme""#), "{saved}");
    assert!(d.dir.join("tests/acme/low.json").exists());
    // The audit record says which case files were written.
    let audit = audit_lines(&d.dir);
    let last = audit.last().unwrap();
    assert_eq!(
        last["cases"],
        serde_json::json!(["tests/acme/rank_2.json", "tests/acme/low.json"]),
        "{last}"
    );
    // The saved cases now guard the next change, sent or not.
    let stricter = source.replace("m.x >= 0.5", "m.x >= 0.8");
    let status = put_refused(&mut d, &stricter, &put_ok.script_sha256).await;
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("tests/acme/rank_2.json"),
        "{}",
        status.message()
    );
    d.server.stop().await;
}

#[tokio::test]
async fn a_new_model_without_cases_is_deployed_with_a_warning() {
    let mut d = deployment("deploy_no_cases").await;
    let source = custom_model("bare", "|m| m.x >= 0.5", "").text;
    let validation = pb::ValidateScriptRequest {
        source: source.clone(),
        ..Default::default()
    };
    let v = d
        .admin
        .validate_script(authed(validation, VALIDATE))
        .await
        .unwrap()
        .into_inner();
    assert!(v.valid);
    assert!(v.warnings[0].contains("no test cases"), "{:?}", v.warnings);
    let put_ok = d
        .admin
        .put_model(authed(put(&source, ""), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(put_ok.warnings, v.warnings);
    assert!(sha_of(&mut d.client, "bare").await.is_some());
    d.server.stop().await;
}

#[tokio::test]
async fn a_retried_put_of_what_already_serves_answers_ok_and_changes_nothing() {
    let mut d = deployment("deploy_retry").await;
    let live = sha_of(&mut d.client, "five_stage").await.unwrap();
    let original = std::fs::read_to_string(d.dir.join("five_stage.rhai")).unwrap();
    let edited = original.replace("version: \"2.0.0\"", "version: \"2.0.1\"");
    let first = d
        .admin
        .put_model(authed(put(&edited, &live), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.unchanged);
    let audited = audit_lines(&d.dir).len();
    // The answer was lost; the caller sends the very same request again.
    let retry = d
        .admin
        .put_model(authed(put(&edited, &live), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert!(retry.unchanged, "{retry:?}");
    assert_eq!(retry.script_sha256, first.script_sha256);
    assert_eq!(
        audit_lines(&d.dir).len(),
        audited,
        "a retry was audited as a change"
    );
    // Another script on a stale hash is still refused.
    let other = edited.replace("version: \"2.0.1\"", "version: \"2.0.2\"");
    let status = put_refused(&mut d, &other, &live).await;
    assert_eq!(status.code(), Code::Aborted);
    d.server.stop().await;
}

#[tokio::test]
async fn putting_what_serves_repairs_a_file_broken_on_disk() {
    let mut d = deployment("deploy_repair").await;
    let live = sha_of(&mut d.client, "five_stage").await.unwrap();
    let file = d.dir.join("five_stage.rhai");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, [original.as_bytes(), b"\xff"].concat()).unwrap();
    let put = d
        .admin
        .put_model(authed(put(&original, &live), DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert!(!put.unchanged, "the broken file was left: {put:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    d.server.stop().await;
}

#[tokio::test]
async fn validate_refuses_what_put_refuses_before_running_anything() {
    let mut d = deployment("deploy_validate_refusals").await;
    let huge = format!(
        "{}//{}",
        custom_model("big", "|m| m.x >= 0.5", "").text,
        "x".repeat(300_000)
    );
    let v = d
        .admin
        .validate_script(authed(
            pb::ValidateScriptRequest {
                source: huge,
                ..Default::default()
            },
            VALIDATE,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!v.valid);
    assert!(
        v.diagnostics[0]
            .message
            .contains("over the limit of 262144"),
        "{v:?}"
    );
    let twins = pb::ValidateScriptRequest {
        source: custom_model("acme", "|m| m.x >= 0.5", "").text,
        cases: vec![
            case("Dup Name", 0.7, 2, "high"),
            case("dup_name", 0.7, 2, "high"),
        ],
        ..Default::default()
    };
    let status = d
        .admin
        .validate_script(authed(twins, VALIDATE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("dup_name.json"),
        "{}",
        status.message()
    );
    d.server.stop().await;
}

#[tokio::test]
async fn deleting_a_model_removes_its_cases_so_a_new_one_starts_clean() {
    let mut d = deployment("deploy_delete_cases").await;
    let source = custom_model("acme", "|m| m.x >= 0.5", "").text;
    let request = pb::PutModelRequest {
        cases: vec![case("high", 0.7, 2, "high")],
        ..put(&source, "")
    };
    let created = d
        .admin
        .put_model(authed(request, DEPLOY))
        .await
        .unwrap()
        .into_inner();
    assert!(d.dir.join("tests/acme/high.json").exists());
    let delete = pb::DeleteModelRequest {
        model: "acme".into(),
        expected_sha256: created.script_sha256,
    };
    d.admin.delete_model(authed(delete, DEPLOY)).await.unwrap();
    assert!(
        !d.dir.join("tests/acme").exists(),
        "the cases were left behind"
    );
    // A new model under the same id answers differently, and is not held
    // to the deleted one's case.
    let stricter = custom_model("acme", "|m| m.x >= 0.9", "").text;
    d.admin
        .put_model(authed(put(&stricter, ""), DEPLOY))
        .await
        .unwrap();
    d.server.stop().await;
}

#[test]
fn deploy_takes_the_expected_hash_in_either_case() {
    use support::bin::{DEPLOY_TOKEN, maturity, serve, stdout, tokens_file};
    let dir = scratch("deploy_hash_case");
    let (served, edited) = (dir.join("served"), dir.join("edited"));
    copy_scripts(&served);
    copy_scripts(&edited);
    let tokens = tokens_file(&dir);
    let server = serve(&[
        "--scripts",
        served.to_str().unwrap(),
        "--admin-tokens",
        tokens.to_str().unwrap(),
    ]);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&maturity(&[
        "models",
        "--server",
        &server.url,
        "--json",
    ])))
    .unwrap();
    let five = listed["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "five_stage")
        .unwrap();
    let serving = five["scriptSha256"].as_str().unwrap().to_owned();
    let script = edited.join("five_stage.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, format!("{text}// an edit\n")).unwrap();
    let deployed = stdout(&maturity(&[
        "deploy",
        script.to_str().unwrap(),
        "--server",
        &server.url,
        "--token",
        DEPLOY_TOKEN,
        "--expected-sha256",
        &serving.to_uppercase(),
    ]));
    assert!(
        deployed.starts_with("deployed five_stage ")
            && deployed.contains(&format!("(replacing {serving})")),
        "{deployed}"
    );
}

#[tokio::test]
async fn a_new_model_never_takes_the_file_of_another() {
    let mut d = deployment("deploy_file_of_another").await;
    // A hand-written file whose name is not its model's id.
    let odd = custom_model("oddid", "|m| m.x >= 0.5", "").text;
    std::fs::write(d.dir.join("odd_name.rhai"), &odd).unwrap();
    let reload = authed(pb::ReloadModelsRequest {}, DEPLOY);
    d.admin.reload_models(reload).await.unwrap();
    assert!(sha_of(&mut d.client, "oddid").await.is_some());
    let taker = custom_model("odd_name", "|m| m.x >= 0.5", "").text;
    let status = put_refused(&mut d, &taker, "").await;
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status
            .message()
            .contains("odd_name.rhai, which serves model 'oddid'"),
        "{}",
        status.message()
    );
    assert_eq!(
        std::fs::read_to_string(d.dir.join("odd_name.rhai")).unwrap(),
        odd
    );
    assert!(sha_of(&mut d.client, "oddid").await.is_some());
    // A malformed expected hash is the caller's mistake, not a stale read.
    let live = sha_of(&mut d.client, "five_stage").await.unwrap();
    let source = std::fs::read_to_string(d.dir.join("five_stage.rhai")).unwrap();
    let changed = source.replace("version: \"2.0.0\"", "version: \"2.0.9\"");
    let status = put_refused(&mut d, &changed, "xyz").await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with("expected_sha256: 'xyz'"),
        "{}",
        status.message()
    );
    assert_eq!(sha_of(&mut d.client, "five_stage").await.unwrap(), live);
    // Even when the script sent already serves.
    let status = put_refused(&mut d, &source, "xyz").await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    d.server.stop().await;
}

#[tokio::test]
async fn a_deploy_never_overwrites_an_edit_on_disk_not_yet_loaded() {
    // No watcher: an edit stays unseen until a reload.
    let mut d = deployment("deploy_unseen_edit").await;
    let live = sha_of(&mut d.client, "five_stage").await.unwrap();
    let file = d.dir.join("five_stage.rhai");
    let source = std::fs::read_to_string(&file).unwrap();
    let colleague = format!("{source}\n// a colleague's edit\n");
    std::fs::write(&file, &colleague).unwrap();
    let mine = source.replace("version: \"2.0.0\"", "version: \"2.0.9\"");
    let status = put_refused(&mut d, &mine, &live).await;
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    assert!(
        status.message().contains("changed on disk"),
        "{}",
        status.message()
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), colleague);
    // Once loaded, the edit is what serves, and a deploy over it names its hash.
    let reload = authed(pb::ReloadModelsRequest {}, DEPLOY);
    d.admin.reload_models(reload).await.unwrap();
    let seen = sha_of(&mut d.client, "five_stage").await.unwrap();
    assert_ne!(seen, live);
    let put_ok = d.admin.put_model(authed(put(&mine, &seen), DEPLOY)).await;
    assert!(put_ok.is_ok(), "{put_ok:?}");
    d.server.stop().await;
}
