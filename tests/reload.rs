//! Hot reload against a running server: edits go live only once they load
//! and pass their tests, a broken edit leaves the last good version serving
//! and shows in ListModels and the logs, and no call fails while models
//! change under it.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use maturity_engine::deploy::{Catalog, watch};
use maturity_engine::engine::Limits;
use maturity_engine::grpc::auth::{Role, Tokens};
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::admin_service_client::AdminServiceClient;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::bin::{copy_scripts, maturity, scratch, serve, stdout};
use support::{custom_model, start_catalog_server};
use tonic::Request;
use tonic::transport::Channel;

const DEPLOY: &str = "deploy-token-0123456789abcdef";

fn assess_x(x: f64) -> pb::AssessRequest {
    support::one_metric("acme", "x", Kind::Number(x))
}

async fn list(client: &mut MaturityServiceClient<Channel>) -> pb::ListModelsResponse {
    client
        .list_models(pb::ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn model<'a>(list: &'a pb::ListModelsResponse, id: &str) -> &'a pb::Model {
    list.models.iter().find(|m| m.id == id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_reloads_and_twenty_deployments_under_load_fail_no_call() {
    let dir = scratch("reload_under_load");
    let versions = [
        custom_model("acme", "|m| m.x >= 0.5", "").text,
        custom_model("acme", "|m| m.x >= 0.6", "").text,
        custom_model("acme", "|m| m.x >= ", "").text, // does not compile
    ];
    std::fs::write(dir.join("acme.rhai"), &versions[0]).unwrap();
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    let server = start_catalog_server(Arc::new(catalog), tokens).await;
    let channel = server.channel().await;

    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let mut client = MaturityServiceClient::new(channel.clone());
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let (mut calls, mut failures, mut hashes) = (0, Vec::new(), BTreeSet::new());
                while !stop.load(Ordering::Relaxed) {
                    calls += 1;
                    match client.assess(assess_x(0.55)).await {
                        Ok(reply) => {
                            // v1 puts x = 0.55 at rank 2, v2 at rank 1.
                            let reply = reply.into_inner();
                            hashes.insert((reply.script_sha256, reply.level.unwrap().rank));
                        }
                        Err(status) => failures.push(status),
                    }
                }
                (calls, failures, hashes)
            })
        })
        .collect();

    let mut admin = AdminServiceClient::new(channel.clone());
    // Every round changes the file: v2, broken, v1, v2, ...
    for i in 1..=100 {
        let version = i % 3;
        std::fs::write(dir.join("acme.rhai"), &versions[version]).unwrap();
        let mut request = Request::new(pb::ReloadModelsRequest {});
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {DEPLOY}").parse().unwrap());
        let report = admin.reload_models(request).await.unwrap().into_inner();
        if version == 2 {
            assert_eq!(report.failures.len(), 1, "{report:?}");
            assert_eq!(report.failures[0].file, "acme.rhai");
            assert!(report.failures[0].diagnostics[0].line > 0);
        } else {
            assert_eq!(report.updated, ["acme"], "{report:?}");
        }
    }
    // Deployments through PutModel under the same load, v1 and v2 in turn.
    let mut sha = list(&mut MaturityServiceClient::new(channel.clone()))
        .await
        .models[0]
        .script_sha256
        .clone();
    for round in 0..20 {
        let mut request = Request::new(pb::PutModelRequest {
            source: versions[round % 2].clone(),
            expected_sha256: sha.clone(),
            cases: Vec::new(),
        });
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {DEPLOY}").parse().unwrap());
        sha = admin
            .put_model(request)
            .await
            .unwrap()
            .into_inner()
            .script_sha256;
    }
    stop.store(true, Ordering::Relaxed);
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for caller in callers {
        let (calls, failures, hashes) = caller.await.unwrap();
        assert!(
            failures.is_empty(),
            "{} of {calls} calls failed: {:?}",
            failures.len(),
            failures.first()
        );
        total += calls;
        seen.extend(hashes);
    }
    assert!(total >= 100, "only {total} calls were made");
    // Both good versions served, each with its own answer, and nothing else.
    let ranks: BTreeSet<i32> = seen.iter().map(|(_, rank)| *rank).collect();
    assert_eq!(ranks, [1, 2].into(), "{seen:?}");
    assert_eq!(
        seen.len(),
        2,
        "exactly two hashes with one answer each: {seen:?}"
    );
    server.stop().await;
}

/// Polls `check` until it holds, for up to 20 s.
async fn eventually<F: Fn(&pb::ListModelsResponse) -> bool>(
    client: &mut MaturityServiceClient<Channel>,
    what: &str,
    check: F,
) -> pb::ListModelsResponse {
    let start = Instant::now();
    loop {
        let listed = list(client).await;
        if check(&listed) {
            return listed;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How a consultant starts it: from the project, `--scripts scripts`.
#[tokio::test]
async fn a_directory_given_by_a_relative_path_is_watched_too() {
    let project = scratch("reload_relative");
    let dir = project.join("scripts");
    copy_scripts(&dir);
    let served = support::bin::serve_from(&project, &["--scripts", "scripts"]);
    let mut client = MaturityServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    let good = model(&list(&mut client).await, "five_stage")
        .script_sha256
        .clone();
    break_five_stage(&dir);
    let listed = broken_edit_shown(&mut client).await;
    assert_eq!(model(&listed, "five_stage").script_sha256, good);
    served.wait_for_log("model script refused");
}

/// Writes a syntax error into `dir`'s five_stage.rhai; returns its text
/// before.
fn break_five_stage(dir: &Path) -> String {
    let file = dir.join("five_stage.rhai");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replace("criteria: [", "criteria: [ oops")).unwrap();
    original
}

/// Waits until five_stage reports a refused edit.
async fn broken_edit_shown(client: &mut MaturityServiceClient<Channel>) -> pb::ListModelsResponse {
    eventually(client, "the broken edit to show", |l| {
        !model(l, "five_stage").load_error.is_empty()
    })
    .await
}

#[tokio::test]
async fn the_watched_directory_reloads_and_a_broken_edit_keeps_the_last_good_version() {
    let dir = scratch("reload_watch");
    copy_scripts(&dir);
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let catalog = Arc::new(catalog);
    let _watcher = watch(Arc::clone(&catalog)).unwrap();
    let server = start_catalog_server(catalog, Tokens::default()).await;
    let mut client = server.client().await;
    let before = list(&mut client).await;
    let good = model(&before, "five_stage").script_sha256.clone();
    let file = dir.join("five_stage.rhai");
    let original = break_five_stage(&dir);
    let listed = broken_edit_shown(&mut client).await;
    let five = model(&listed, "five_stage");
    assert_eq!(
        five.script_sha256, good,
        "the last good version keeps serving"
    );
    assert!(
        five.load_error.starts_with("five_stage.rhai:"),
        "{}",
        five.load_error
    );
    assess_five_stage(&mut client, &good).await;

    // A harmless edit (a new description) goes live with a new hash.
    std::fs::write(
        &file,
        original.replace("How far selling has moved", "How far selling moved"),
    )
    .unwrap();
    let listed = eventually(&mut client, "the fixed edit to go live", |l| {
        model(l, "five_stage").script_sha256 != good
    })
    .await;
    assert!(model(&listed, "five_stage").load_error.is_empty());

    // A new file that does not load is listed as a failure, with its place.
    std::fs::write(dir.join("extra.rhai"), "#{ id: ").unwrap();
    let listed = eventually(&mut client, "the new broken file", |l| {
        !l.failures.is_empty()
    })
    .await;
    assert_eq!(listed.failures[0].file, "extra.rhai");
    assert_eq!(listed.failures[0].diagnostics[0].line, 1);
    server.stop().await;
}

async fn assess_five_stage(client: &mut MaturityServiceClient<Channel>, sha: &str) {
    let reply = client
        .assess(pb::AssessRequest {
            model: "five_stage".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.script_sha256, sha);
}

#[test]
fn sighup_reloads_a_running_server_and_the_logs_say_what_was_refused() {
    let dir = scratch("reload_sighup");
    copy_scripts(&dir);
    let served = serve(&["--scripts", dir.to_str().unwrap(), "--no-watch"]);
    let before = stdout(&maturity(&["models", "--server", &served.url]));
    let file = dir.join("chaotic_to_predictive.rhai");
    let original = std::fs::read_to_string(&file).unwrap();
    edit_and_hangup(
        &served,
        &file,
        &original.replace("levels: [", "levels: [ oops"),
    );
    let refused = served.wait_for_log("model script refused");
    assert!(
        refused.contains("its last good version keeps serving"),
        "{refused}"
    );
    let line = served.wait_for_log("chaotic_to_predictive.rhai:");
    assert!(line.contains("Undefined variable: oops"), "{line}");
    let after = stdout(&maturity(&["models", "--server", &served.url]));
    let line_of_levels = original
        .lines()
        .position(|l| l.contains("levels: ["))
        .unwrap()
        + 1;
    let refused = format!(
        "  newest edit refused, this version keeps serving: chaotic_to_predictive.rhai:{line_of_levels}:"
    );
    assert!(after.contains(&refused), "{after}");
    // Otherwise unchanged: the same versions and hashes serve.
    let unchanged: Vec<&str> = after
        .lines()
        .filter(|l| !l.starts_with("  newest"))
        .collect();
    assert_eq!(unchanged, before.lines().collect::<Vec<_>>());

    edit_and_hangup(
        &served,
        &file,
        &original.replace("version: \"2.0.0\"", "version: \"2.0.1\""),
    );
    let start = Instant::now();
    while !stdout(&maturity(&["models", "--server", &served.url]))
        .contains("chaotic_to_predictive 2.0.1")
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "SIGHUP did not reload:\n{}",
            served.logs().join("\n")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn edit_and_hangup(served: &support::bin::Served, file: &Path, text: &str) {
    std::fs::write(file, text).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_files_or_logging_inside_the_directory_never_reloads_nor_starves_a_reload() {
    let dir = scratch("reload_reads");
    copy_scripts(&dir);
    let decisions = dir.join("decisions.jsonl");
    let served = serve(&[
        "--scripts",
        dir.to_str().unwrap(),
        "--decision-log",
        decisions.to_str().unwrap(),
    ]);
    // A steady stream of decisions is written inside the directory meanwhile.
    let mut client = MaturityServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let request = support::one_metric("five_stage", "crm_in_place", Kind::Flag(true));
            while !stop.load(Ordering::Relaxed) {
                client.assess(request.clone()).await.unwrap();
            }
        })
    };
    let loaded = "model loaded model=chaotic_to_predictive";
    let at_start = served.count_logs(loaded);
    let file = dir.join("chaotic_to_predictive.rhai");
    let original = std::fs::read_to_string(&file).unwrap();
    for version in ["2.0.1", "2.0.2"] {
        // `cat` every file, as an operator would.
        for path in files_under(&dir) {
            let _ = std::fs::read(&path).unwrap();
        }
        let edited = original.replace("version: \"2.0.0\"", &format!("version: \"{version}\""));
        std::fs::write(&file, edited).unwrap();
        served.wait_for_logs(loaded, at_start + if version == "2.0.1" { 1 } else { 2 });
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(
        std::fs::metadata(&decisions).unwrap().len() > 0,
        "the decision log was written inside the directory"
    );
    // Two edits, two reloads: reads and the decision log triggered none.
    assert_eq!(
        served.count_logs("scripts changed; reloading"),
        2,
        "{}",
        served.logs().join("\n")
    );
}

#[tokio::test]
async fn files_that_cannot_be_read_are_each_their_own_failure() {
    let dir = scratch("reload_unreadable");
    copy_scripts(&dir);
    // A Latin-1 case file, a stray byte in a model, a binary backup and a
    // helper that is not text.
    let case = dir.join("tests/five_stage/latin1.json");
    std::fs::write(&case, b"{\"name\": \"caf\xe9\"}").unwrap();
    let mut stray = std::fs::read(dir.join("chaotic_to_predictive.rhai")).unwrap();
    stray.insert(40, 0xff);
    std::fs::write(dir.join("stray.rhai"), &stray).unwrap();
    std::fs::write(
        dir.join("backup.rhai"),
        [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe],
    )
    .unwrap();
    std::fs::write(dir.join("lib/binary.rhai"), [0xc3, 0x28]).unwrap();
    let tokens = support::bin::tokens_file(&dir);
    let served = serve(&[
        "--scripts",
        dir.to_str().unwrap(),
        "--admin-tokens",
        tokens.to_str().unwrap(),
        "--no-watch",
    ]);
    let mut client = MaturityServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    let listed = list(&mut client).await;
    let ids: BTreeSet<&str> = listed.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["chaotic_to_predictive", "five_stage"].into());
    let failures: Vec<(&str, &str)> = listed
        .failures
        .iter()
        .map(|f| (f.file.as_str(), f.error.as_str()))
        .collect();
    let expected = [
        ("backup.rhai", "invalid byte 0x8b at line 1, column 2"),
        ("lib/binary.rhai", "line 1, column 1"),
        ("stray.rhai", "invalid byte 0xff"),
        (
            "tests/five_stage/latin1.json",
            "invalid byte 0xe9 at line 1, column 14",
        ),
    ];
    assert_eq!(failures.len(), expected.len(), "{failures:?}");
    for ((file, error), (want_file, want_error)) in failures.iter().zip(expected) {
        assert_eq!(*file, want_file);
        assert!(
            error.contains("not UTF-8 text") && error.contains(want_error),
            "{file}: {error}"
        );
    }
    // Reloading and deploying work around them.
    let mut admin = AdminServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    let report = admin
        .reload_models(support::with_token(
            pb::ReloadModelsRequest {},
            support::bin::DEPLOY_TOKEN,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.failures.len(), 4, "{report:?}");
    let put = admin
        .put_model(support::with_token(
            pb::PutModelRequest {
                source: custom_model("acme", "|m| m.x >= 0.5", "").text,
                expected_sha256: String::new(),
                cases: Vec::new(),
            },
            support::bin::DEPLOY_TOKEN,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(put.model, "acme");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_deleted_and_written_again_never_takes_its_model_down() {
    let dir = scratch("reload_recreate");
    copy_scripts(&dir);
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let catalog = Arc::new(catalog);
    let _watcher = watch(Arc::clone(&catalog)).unwrap();
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    let server = start_catalog_server(catalog, tokens).await;
    let channel = server.channel().await;
    let file = dir.join("five_stage.rhai");
    let text = std::fs::read(&file).unwrap();
    // Delete and write back, again and again, while reloads are asked for.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (file, text, stop) = (file.clone(), text.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut rounds = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::remove_file(&file).unwrap();
                std::fs::write(&file, &text).unwrap();
                rounds += 1;
            }
            rounds
        })
    };
    let mut admin = AdminServiceClient::new(channel.clone());
    let mut client = MaturityServiceClient::new(channel.clone());
    for reloads in 1..=5 {
        let request = support::with_token(pb::ReloadModelsRequest {}, DEPLOY);
        let report = admin.reload_models(request).await.unwrap().into_inner();
        assert!(report.removed.is_empty(), "a reload removed {report:?}");
        for _ in 0..5 {
            let listed = list(&mut client).await;
            assert!(
                listed.models.iter().any(|m| m.id == "five_stage"),
                "five_stage went missing after {reloads} reloads"
            );
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = churn.join().unwrap();
    assert!(rounds > 0, "the file was never deleted during the reloads");
    // A file that stays deleted does take its model away.
    std::fs::remove_file(&file).unwrap();
    let request = support::with_token(pb::ReloadModelsRequest {}, DEPLOY);
    admin.reload_models(request).await.unwrap();
    // This reload or the watcher's removed it, once it stayed deleted.
    let listed = list(&mut client).await;
    assert!(
        listed.models.iter().all(|m| m.id != "five_stage"),
        "{listed:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_new_file_cannot_take_over_a_model_another_file_serves() {
    let dir = scratch("reload_takeover");
    std::fs::write(
        dir.join("z_acme.rhai"),
        custom_model("acme", "|m| m.x >= 0.5", "").text,
    )
    .unwrap();
    // A case the serving file passes and the second file would fail: the
    // second is refused as a second file for the id, not for the case.
    std::fs::create_dir_all(dir.join("tests/acme")).unwrap();
    std::fs::write(
        dir.join("tests/acme/mid.json"),
        r#"{"name": "mid", "model": "acme", "metrics": {"x": {"number": 0.7}}, "expect": {"rank": 2, "levelId": "high"}}"#,
    )
    .unwrap();
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    let server = start_catalog_server(Arc::new(catalog), tokens).await;
    let channel = server.channel().await;
    // A second file, first in name order, declares the same id.
    std::fs::write(
        dir.join("a_acme.rhai"),
        custom_model("acme", "|m| m.x >= 0.9", "").text,
    )
    .unwrap();
    let mut admin = AdminServiceClient::new(channel.clone());
    for _ in 0..2 {
        let request = support::with_token(pb::ReloadModelsRequest {}, DEPLOY);
        let report = admin.reload_models(request).await.unwrap().into_inner();
        assert_eq!(report.failures.len(), 1, "{report:?}");
        assert_eq!(report.failures[0].file, "a_acme.rhai");
        assert!(
            report.failures[0]
                .error
                .contains("already declared by z_acme.rhai"),
            "{}",
            report.failures[0].error
        );
    }
    let listed = list(&mut MaturityServiceClient::new(channel)).await;
    assert_eq!(model(&listed, "acme").file, "z_acme.rhai");
    assert_eq!(listed.failures[0].file, "a_acme.rhai");
    server.stop().await;
}

#[test]
fn a_backup_copy_never_serves_in_place_of_the_file_named_after_its_model() {
    let dir = scratch("reload_backup_copy");
    let acme = |check: &str| custom_model("acme", check, "").text;
    // Both before `acme.rhai` in name order.
    std::fs::write(dir.join("acme copy.rhai"), acme("|m| m.x >= 0.9")).unwrap();
    std::fs::write(dir.join("acme.old.rhai"), acme("|m| m.x >= 0.8")).unwrap();
    std::fs::write(dir.join("acme.rhai"), acme("|m| m.x >= 0.5")).unwrap();
    let (catalog, report) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let snapshot = catalog.snapshot();
    assert_eq!(snapshot.engine().model("acme").unwrap().file(), "acme.rhai");
    let refused: Vec<&str> = report.failures.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(refused, ["acme copy.rhai", "acme.old.rhai"]);
    // The command line's loader (`maturity test`, `models --scripts`) too.
    let mut engine = maturity_engine::engine::Engine::new(Limits::default());
    let set = maturity_engine::engine::read_scripts_dir(&dir).unwrap();
    assert_eq!(engine.load_all(&set).len(), 2);
    assert_eq!(engine.model("acme").unwrap().file(), "acme.rhai");
}

#[test]
fn a_model_refused_at_a_cold_start_is_said_to_serve_nothing() {
    let dir = scratch("reload_cold_refusal");
    copy_scripts(&dir);
    let file = dir.join("chaotic_to_predictive.rhai");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replace("levels: [", "levels: [ oops")).unwrap();
    let served = serve(&["--scripts", dir.to_str().unwrap(), "--no-watch"]);
    let refused = served.wait_for_log("model script refused");
    assert!(refused.contains("it serves nothing"), "{refused}");
}

#[tokio::test]
async fn every_reload_lists_the_files_still_refused() {
    let dir = scratch("reload_still_refused");
    copy_scripts(&dir);
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    let server = start_catalog_server(Arc::new(catalog), tokens).await;
    let mut admin = AdminServiceClient::new(server.channel().await);
    break_five_stage(&dir);
    // The second reload sees nothing new, but the file is still broken.
    for _ in 0..2 {
        let request = support::with_token(pb::ReloadModelsRequest {}, DEPLOY);
        let report = admin.reload_models(request).await.unwrap().into_inner();
        let refused: Vec<&str> = report.failures.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(refused, ["five_stage.rhai"], "{report:?}");
    }
    server.stop().await;
}
