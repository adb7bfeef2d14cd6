//! Running the service as operators do, through the binary: one TOML file
//! with flags and variables over it, TLS and mutual TLS, tokens for
//! assessment, Prometheus metrics, the decision log and JSON logs.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::path::Path;

use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use support::bin::{scratch, serve_with};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::{Code, Request};

const TOKEN: &str = "assess-token-0123456789abcdef";

fn assess_request() -> pb::AssessRequest {
    pb::AssessRequest {
        subject_id: "org-7".into(),
        ..support::one_metric("five_stage", "crm_in_place", Kind::Flag(true))
    }
}

/// A CA, a server certificate for localhost and a client certificate, as
/// PEM files in `dir`.
fn certificates(dir: &Path) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    for (name, sans) in [
        ("server", vec!["localhost".to_owned()]),
        ("client", vec!["client".to_owned()]),
    ] {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(sans)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
}

async fn tls_channel(
    url: &str,
    dir: &Path,
    with_identity: bool,
) -> Result<Channel, tonic::transport::Error> {
    let ca = Certificate::from_pem(std::fs::read(dir.join("ca.pem")).unwrap());
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(ca)
        .domain_name("localhost");
    if with_identity {
        let cert = std::fs::read(dir.join("client.pem")).unwrap();
        let key = std::fs::read(dir.join("client.key")).unwrap();
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Channel::from_shared(url.replace("http://", "https://"))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

#[tokio::test]
async fn mutual_tls_and_tokens_guard_assessment() {
    let dir = scratch("ops_tls");
    certificates(&dir);
    std::fs::write(dir.join("tokens"), format!("platform assess {TOKEN}\n")).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let served = serve_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &path("server.pem"),
            "--tls-key",
            &path("server.key"),
            "--tls-client-ca",
            &path("ca.pem"),
            "--admin-tokens",
            &path("tokens"),
            "--require-token",
        ],
        &[],
    );
    // Without a client certificate the handshake or the first call fails.
    if let Ok(channel) = tls_channel(&served.url, &dir, false).await {
        let refused = MaturityServiceClient::new(channel)
            .assess(assess_request())
            .await;
        assert!(
            refused.is_err(),
            "a client without a certificate was served"
        );
    }
    // Plaintext is refused too.
    let plain = MaturityServiceClient::connect(served.url.clone()).await;
    if let Ok(mut plain) = plain {
        assert!(plain.assess(assess_request()).await.is_err());
    }
    let mut client =
        MaturityServiceClient::new(tls_channel(&served.url, &dir, true).await.unwrap());
    let status = client.assess(assess_request()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let mut request = Request::new(assess_request());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    let reply = client.assess(request).await.unwrap().into_inner();
    assert_eq!(reply.level.unwrap().id, "effort_driven");
    assert!(
        !served.logs().join("\n").contains(TOKEN),
        "a token reached the logs"
    );
}

/// GET /metrics from `address` (host:port), as text.
fn scrape(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[tokio::test]
async fn a_config_file_with_metrics_decisions_and_json_logs() {
    let dir = scratch("ops_config");
    let decisions = dir.join("decisions.jsonl");
    std::fs::write(
        dir.join("maturity.toml"),
        format!(
            "listen = \"127.0.0.1:1\"\nmetrics_listen = \"127.0.0.1:0\"\ndecision_log = \"{}\"\nlog_format = \"json\"\nmax_in_flight = 32\nmax_connections = 64\nhandshake_timeout_seconds = 2\nidle_timeout_seconds = 0\n",
            decisions.display()
        ),
    )
    .unwrap();
    // The flag overrides the file's unusable listen address.
    let config = dir.join("maturity.toml");
    let served = serve_with(
        &[
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let line = served
        .logs()
        .into_iter()
        .find(|l| l.contains("address"))
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&line).expect("JSON logs");
    assert_eq!(parsed["fields"]["message"], "maturity service listening");
    // The metrics endpoint's port, as the server bound and logged it.
    let metrics_port = served
        .wait_for_log("metrics listening on http://")
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .unwrap()
        .to_owned();

    let mut client = MaturityServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    for _ in 0..3 {
        client.assess(assess_request()).await.unwrap();
    }
    let _ = client
        .assess(pb::AssessRequest {
            model: "nope".into(),
            ..Default::default()
        })
        .await;
    let metrics = scrape(&metrics_port.to_string());
    assert!(metrics.contains("200 OK"), "{metrics}");
    assert!(
        metrics.contains(r#"maturity_requests_total{method="Assess",model="five_stage",level="effort_driven",status="OK"} 3"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"maturity_requests_total{method="Assess",model="unknown",level="",status="NotFound"} 1"#), "{metrics}");
    assert!(
        metrics.contains("maturity_request_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"maturity_evaluation_seconds_count{model="five_stage"} 3"#),
        "{metrics}"
    );
    assert!(
        !metrics.contains("org-7"),
        "metric values and subjects never reach the metrics"
    );

    let start = std::time::Instant::now();
    let lines = loop {
        let text = std::fs::read_to_string(&decisions).unwrap_or_default();
        if text.lines().count() >= 3 || start.elapsed() > std::time::Duration::from_secs(10) {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["subjectId"], "org-7");
    assert_eq!(first["model"], "five_stage");
    assert_eq!(first["level"]["id"], "effort_driven");
    assert!(first["ceiling"]["rank"].as_i64().unwrap() >= 1, "{first}");
    assert!(first["score"].is_number(), "{first}");
    assert_eq!(first["assessmentId"].as_str().unwrap().len(), 36, "{first}");
    assert!(
        first["evaluatedAt"].as_str().unwrap().ends_with('Z'),
        "{first}"
    );
    assert!(
        first.get("request").is_none(),
        "requests are kept only when asked"
    );
    assert_eq!(first["scriptSha256"].as_str().unwrap().len(), 64);
    let hashes: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["inputSha256"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        hashes.iter().all(|h| h == &hashes[0] && h.len() == 64),
        "same input, same hash: {hashes:?}"
    );
    assert!(
        !served.logs().join("\n").contains("crm_in_place"),
        "metric names and values are not logged"
    );
}

#[test]
fn a_bad_config_file_is_refused_with_its_key() {
    let dir = scratch("ops_bad_config");
    let config = dir.join("maturity.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nmax_in_flite = 3\n").unwrap();
    let output = support::bin::maturity(&["serve", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown field `max_in_flite`"), "{stderr}");
}

#[tokio::test]
async fn health_follows_the_models_and_sigterm_drains_then_exits() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let dir = scratch("ops_health");
    support::bin::copy_scripts(&dir);
    let mut served = serve_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--scripts",
            dir.to_str().unwrap(),
            "--no-watch",
            "--drain-seconds",
            "1",
        ],
        &[],
    );
    let channel = Channel::from_shared(served.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    let status = |health: &mut HealthClient<Channel>| {
        let mut health = health.clone();
        async move {
            let request = HealthCheckRequest {
                service: "maturity.v1.MaturityService".into(),
            };
            health.check(request).await.unwrap().into_inner().status
        }
    };
    assert_eq!(status(&mut health).await, ServingStatus::Serving as i32);
    // With every script gone and reloaded, no model is loaded: NOT_SERVING.
    for model in ["five_stage.rhai", "chaotic_to_predictive.rhai"] {
        std::fs::remove_file(dir.join(model)).unwrap();
    }
    let hangup = std::process::Command::new("kill")
        .args(["-HUP", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hangup.success());
    let start = std::time::Instant::now();
    while status(&mut health).await != ServingStatus::NotServing as i32 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "health still SERVING with no model"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // SIGTERM: the process drains and exits cleanly.
    let term = std::process::Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopping = std::time::Instant::now();
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    // This test's own connection stays open: the drain bounds the wait.
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
    served.wait_for_log("maturity service stopped");
}

#[test]
fn limits_no_call_could_pass_are_refused_with_their_names() {
    for (flag, name) in [
        (
            "--max-message-bytes",
            "max_message_bytes must be at least 16384, got 0",
        ),
        (
            "--max-connections",
            "max_connections must be at least 1, got 0",
        ),
        ("--max-in-flight", "max_in_flight must be at least 1, got 0"),
    ] {
        let output = support::bin::maturity(&["serve", flag, "0"]);
        assert_eq!(output.status.code(), Some(1), "{flag}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(name), "{flag}: {stderr}");
    }
}

#[test]
fn a_zero_handshake_timeout_is_refused_with_its_name() {
    let output = support::bin::maturity(&["serve", "--handshake-timeout-seconds", "0"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("handshake_timeout_seconds must be at least 1"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_readable_tokens_file_and_refused_calls_are_logged_never_the_token() {
    use maturity_engine::grpc::pb::admin_service_client::AdminServiceClient;
    let dir = scratch("ops_tokens");
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, "ops deploy deploy-token-0123456789abcdef\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let served = serve_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-tokens",
            tokens.to_str().unwrap(),
        ],
        &[],
    );
    #[cfg(unix)]
    assert!(
        served.logs().iter().any(|l| l
            .contains("the tokens file can be read by others than its owner")
            && l.contains("mode=644")),
        "{}",
        served.logs().join("\n")
    );
    let mut admin = AdminServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    let wrong = "wrong-token-0123456789abcdef";
    let request = support::with_token(pb::ReloadModelsRequest {}, wrong);
    let status = admin.reload_models(request).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    served.wait_for_log("call refused: unknown token");
    let status = admin
        .reload_models(pb::ReloadModelsRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    served.wait_for_log("call refused: no token");
    assert!(
        !served.logs().join("\n").contains(wrong),
        "a token reached the logs"
    );
}

/// The error `maturity serve` stops with, given `extra` flags and `envs`, on
/// a scripts directory that does not exist: a setting that is accepted
/// fails there, so a test fails rather than serving forever.
fn serve_error(extra: &[&str], envs: &[(&str, &str)]) -> String {
    let missing = scratch("ops_serve_error").join("no-such-scripts");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
        .args(["serve", "--listen", "127.0.0.1:0", "--scripts"])
        .arg(missing)
        .args(extra)
        .envs(envs.iter().copied())
        .env("MATURITY_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{extra:?} {envs:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_log_format_other_than_text_or_json_is_refused_from_flag_variable_and_file() {
    let dir = scratch("ops_log_format");
    let config = dir.join("format.toml");
    std::fs::write(&config, "log_format = \"xml\"\n").unwrap();
    for stderr in [
        serve_error(&["--log-format", "xml"], &[]),
        serve_error(&[], &[("MATURITY_LOG_FORMAT", "xml")]),
        serve_error(&["--config", config.to_str().unwrap()], &[]),
    ] {
        assert!(
            stderr.contains("log_format must be text or json, got 'xml'"),
            "{stderr}"
        );
    }
    // Either case of a format it knows serves: JSON logs.
    let served = serve_with(
        &["serve", "--listen", "127.0.0.1:0", "--log-format", "JSON"],
        &[],
    );
    assert!(served.logs()[0].starts_with('{'), "{:?}", served.logs());
}

#[test]
fn timeouts_over_a_year_are_refused_from_flag_variable_and_file() {
    let dir = scratch("ops_huge_timeouts");
    let huge = u64::MAX.to_string();
    for (key, flag, variable) in [
        (
            "idle_timeout_seconds",
            "--idle-timeout-seconds",
            "MATURITY_IDLE_TIMEOUT_SECONDS",
        ),
        (
            "handshake_timeout_seconds",
            "--handshake-timeout-seconds",
            "MATURITY_HANDSHAKE_TIMEOUT_SECONDS",
        ),
        ("drain_seconds", "--drain-seconds", "MATURITY_DRAIN_SECONDS"),
    ] {
        let config = dir.join(format!("{key}.toml"));
        std::fs::write(&config, format!("{key} = 31536001\n")).unwrap();
        let config = config.to_str().unwrap();
        for (stderr, value) in [
            (serve_error(&[flag, &huge], &[]), huge.as_str()),
            (serve_error(&[], &[(variable, &huge)]), huge.as_str()),
            (serve_error(&["--config", config], &[]), "31536001"),
        ] {
            let said = format!("{key} must be at most 31536000 (one year), got {value}");
            assert!(stderr.contains(&said), "{key}: {stderr}");
        }
    }
}

#[tokio::test]
async fn a_server_with_timeouts_of_a_year_serves() {
    let year = "31536000";
    let served = support::bin::serve(&[
        "--idle-timeout-seconds",
        year,
        "--handshake-timeout-seconds",
        year,
        "--drain-seconds",
        year,
    ]);
    let mut client = MaturityServiceClient::connect(served.url.clone())
        .await
        .unwrap();
    let answer = client.assess(assess_request()).await.unwrap();
    assert_eq!(answer.into_inner().model, "five_stage");
}

#[test]
fn the_command_line_clients_speak_tls_to_a_server_with_a_private_ca() {
    let dir = scratch("ops_cli_tls");
    certificates(&dir);
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let served = serve_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &path("server.pem"),
            "--tls-key",
            &path("server.key"),
        ],
        &[],
    );
    let url = served.url.replace("http://127.0.0.1", "https://localhost");
    let models = |envs: &[(&str, String)]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
            .args(["models", "--server", &url])
            .env_remove("MATURITY_CA_CERT")
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    };
    let trusted = models(&[("MATURITY_CA_CERT", path("ca.pem"))]);
    let listed = String::from_utf8_lossy(&trusted.stdout);
    assert!(trusted.status.success(), "{trusted:?}");
    assert!(listed.contains("five_stage 2.0.0"), "{listed}");
    // Without the CA the server cannot be trusted, and the error says why.
    let untrusted = models(&[]);
    assert!(!untrusted.status.success());
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(stderr.contains("cannot connect to"), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
}

#[tokio::test]
async fn a_server_with_no_model_starts_unready_and_serves_the_first_that_loads() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let dir = scratch("starts_empty");
    // A file that does not compile is no model either.
    std::fs::write(dir.join("broken.rhai"), "let = ;").unwrap();
    let served = serve_with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--scripts",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    // Logged before the listen address, so already among the lines read.
    assert_eq!(
        served.count_logs("no model loaded: health reports NOT_SERVING"),
        1
    );
    let channel = Channel::from_shared(served.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let request = HealthCheckRequest {
        service: "maturity.v1.MaturityService".into(),
    };
    let mut watch = HealthClient::new(channel.clone())
        .watch(request)
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap().status;
    assert_eq!(first, ServingStatus::NotServing as i32);
    let refused = MaturityServiceClient::new(channel.clone())
        .assess(assess_request())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    // Deploying by writing the scripts makes it ready.
    support::bin::copy_scripts(&dir);
    let next = watch.message().await.unwrap().unwrap().status;
    assert_eq!(next, ServingStatus::Serving as i32);
    let answer = MaturityServiceClient::new(channel)
        .assess(assess_request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.model, "five_stage");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_before_listening() {
    let dir = scratch("ops_tls_mismatch");
    certificates(&dir);
    std::fs::write(dir.join("garbage.key"), "not a key\n").unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    for key in ["client.key", "garbage.key"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(path("server.pem"))
            .arg("--tls-key")
            .arg(path(key))
            .env("MATURITY_LOG", "info")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = format!(
            "TLS certificate {} with key {}: ",
            path("server.pem"),
            path(key)
        );
        assert!(stderr.contains(&said), "{key}: {stderr}");
        assert!(!stderr.contains("listening"), "{key}: {stderr}");
    }
    // A client CA that is no certificate is named itself.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(path("server.pem"))
        .arg("--tls-key")
        .arg(path("server.key"))
        .arg("--tls-client-ca")
        .arg(path("garbage.key"))
        .env("MATURITY_LOG", "info")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = format!("TLS client CA {}: ", path("garbage.key"));
    assert!(stderr.contains(&said), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
}

/// The `key=source` lines of the kustomization's scripts ConfigMap and the
/// `{ key: K, path: P }` items the deployment mounts them at.
fn config_map_files() -> Vec<(String, std::path::PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |file: &str| std::fs::read_to_string(root.join("k8s").join(file)).unwrap();
    let sources: Vec<(String, String)> = read("kustomization.yaml")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ")?.split_once("=../scripts/"))
        .map(|(key, source)| (key.to_owned(), source.to_owned()))
        .collect();
    let mounted: Vec<(String, String)> = read("deployment.yaml")
        .lines()
        .filter_map(|l| {
            let item = l.trim().strip_prefix("- { key: ")?.strip_suffix(" }")?;
            let (key, path) = item.split_once(", path: ")?;
            Some((key.to_owned(), path.to_owned()))
        })
        .collect();
    assert_eq!(sources.len(), mounted.len(), "{sources:?} {mounted:?}");
    sources
        .into_iter()
        .map(|(key, source)| {
            let path = mounted.iter().find(|(k, _)| *k == key).unwrap().1.clone();
            assert_eq!(path, source, "{key} is mounted where its source is not");
            (key, root.join("scripts").join(source))
        })
        .collect()
}

#[test]
fn the_kubernetes_config_map_carries_every_script_the_models_need() {
    let files = config_map_files();
    let lib = support::scripts_dir().join("lib");
    for helper in std::fs::read_dir(&lib).unwrap() {
        let helper = helper.unwrap().path();
        assert!(
            files.iter().any(|(_, source)| *source == helper),
            "{} is not in the ConfigMap",
            helper.display()
        );
    }
    // The directory a pod sees: each key at its mounted path.
    let dir = scratch("k8s_scripts");
    for (_, source) in &files {
        let relative = source.strip_prefix(support::scripts_dir()).unwrap();
        std::fs::create_dir_all(dir.join(relative).parent().unwrap()).unwrap();
        std::fs::copy(source, dir.join(relative)).unwrap();
    }
    let output = support::bin::maturity(&["models", "--scripts", dir.to_str().unwrap()]);
    let listed = support::bin::stdout(&output);
    for model in ["five_stage", "chaotic_to_predictive"] {
        assert!(listed.contains(model), "{model} not served:\n{listed}");
    }
}

#[test]
fn a_server_whose_log_reader_has_gone_keeps_serving_and_drains_cleanly() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_maturity"))
        .args(["serve", "--listen", "127.0.0.1:0", "--drain-seconds", "1"])
        .env("MATURITY_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut logs = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("maturity service listening") {
        line.clear();
        assert!(
            logs.read_line(&mut line).unwrap() > 0,
            "exited before listening"
        );
    }
    // `maturity serve 2>&1 | head`: the log's reader goes away.
    drop(logs);
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    // Draining logs, to a closed pipe: it must still exit cleanly.
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
