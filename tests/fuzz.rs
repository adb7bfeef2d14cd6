//! Randomly mutated requests as raw bytes through a real channel: 10,000
//! AssessRequest and PutModel bodies (bits flipped, bytes changed, inserted
//! and cut, chunks repeated, lengths made huge, bodies spliced), from a
//! fixed seed so a failure replays. The server answers every one with a
//! status that blames the caller (never INTERNAL), never crashes, and its
//! memory does not grow with their number.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use prost::Message;
use support::bin::{DEPLOY_TOKEN, copy_scripts, scratch, serve, tokens_file};
use support::custom_model;
use tonic::Code;
use tonic::transport::Channel;

/// Bodies of each kind.
const PER_KIND: usize = 5_000;
/// Calls in flight at once.
const CONCURRENCY: usize = 8;

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `seed` changed in one to four random ways.
fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut body = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(body.len() + 1);
        match rng.below(9) {
            0 if !body.is_empty() => {
                let i = at.min(body.len() - 1);
                body[i] ^= 1 << rng.below(8);
            }
            1 if !body.is_empty() => {
                let i = at.min(body.len() - 1);
                body[i] = rng.next() as u8;
            }
            2 => {
                let extra: Vec<u8> = (0..=rng.below(16)).map(|_| rng.next() as u8).collect();
                body.splice(at..at, extra);
            }
            3 => {
                let end = (at + rng.below(32)).min(body.len());
                body.drain(at..end);
            }
            4 => body.truncate(at),
            5 => {
                let end = (at + rng.below(64)).min(body.len());
                let chunk = body[at..end].to_vec();
                for _ in 0..=rng.below(50) {
                    body.splice(at..at, chunk.iter().copied());
                }
            }
            6 => {
                // A field whose length claims far more than there is.
                let tag = (rng.below(16) as u8) << 3 | 2;
                body.splice(at..at, [tag, 0xff, 0xff, 0xff, 0xff, 0x0f]);
            }
            7 => {
                let cut = rng.below(other.len() + 1);
                body.truncate(at);
                body.extend_from_slice(&other[cut..]);
            }
            _ => body = (0..rng.below(256)).map(|_| rng.next() as u8).collect(),
        }
    }
    body
}

/// Valid requests to start from.
fn assess_seeds() -> Vec<Vec<u8>> {
    let number = |n| pb::MetricValue {
        kind: Some(Kind::Number(n)),
    };
    let flag = |b| pb::MetricValue {
        kind: Some(Kind::Flag(b)),
    };
    let mut full: BTreeMap<String, pb::MetricValue> = BTreeMap::new();
    full.insert("crm_in_place".into(), flag(true));
    full.insert("crm_adoption".into(), number(0.8));
    full.insert("stages_defined".into(), number(5.0));
    full.insert("win_rate".into(), number(0.3));
    full.insert("sales_reps".into(), number(12.0));
    full.insert("closing_reps".into(), number(9.0));
    full.insert(
        "segment".into(),
        pb::MetricValue {
            kind: Some(Kind::Text("smb".into())),
        },
    );
    let request = |model: &str, explain| pb::AssessRequest {
        model: model.into(),
        metrics: full.clone(),
        subject_id: "org-1".into(),
        explain,
        request_id: "r".into(),
        target_rank: 3,
        view: 0,
        script_sha256: String::new(),
    };
    vec![
        request("five_stage", false).encode_to_vec(),
        request("five_stage", true).encode_to_vec(),
        request("chaotic_to_predictive", true).encode_to_vec(),
    ]
}

fn put_seeds() -> Vec<Vec<u8>> {
    ["|m| m.x >= 0.5", "|m| m.x > 0.2 && m.n < 50"]
        .iter()
        .map(|check| {
            pb::PutModelRequest {
                source: custom_model("fuzzed", check, "").text,
                expected_sha256: String::new(),
                cases: Vec::new(),
            }
            .encode_to_vec()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_mutated_bodies_neither_crash_nor_grow_the_server() {
    let dir = scratch("fuzz");
    copy_scripts(&dir);
    let tokens = tokens_file(&dir);
    let mut served = serve(&[
        "--scripts",
        dir.to_str().unwrap(),
        "--admin-tokens",
        tokens.to_str().unwrap(),
        "--no-watch",
    ]);
    let channel = Channel::from_shared(served.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let (assess, put) = (assess_seeds(), put_seeds());
    let mut rng = Rng(0x5eed_1234_abcd_0012);
    let mut bodies = Vec::with_capacity(2 * PER_KIND);
    for i in 0..2 * PER_KIND {
        let (seeds, path) = if i % 2 == 0 {
            (&assess, "/maturity.v1.MaturityService/Assess")
        } else {
            (&put, "/maturity.v1.AdminService/PutModel")
        };
        let seed = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        // Half the deploys carry a valid token, so their bodies are read.
        bodies.push((path, i % 4 == 1, mutate(&mut rng, seed, other)));
    }
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut warm = None;
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    for (round, chunk) in bodies.chunks(1000).enumerate() {
        let calls: Vec<_> = chunk
            .iter()
            .cloned()
            .map(|(path, with_token, body)| {
                let (channel, permits) = (channel.clone(), Arc::clone(&permits));
                tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await.unwrap();
                    let mut request = tonic::Request::new(body);
                    if with_token {
                        let token = format!("Bearer {DEPLOY_TOKEN}").parse().unwrap();
                        request.metadata_mut().insert("authorization", token);
                    }
                    let call = support::raw::unary(channel, path, request);
                    tokio::time::timeout(Duration::from_secs(30), call).await
                })
            })
            .collect();
        for call in calls {
            let answer = call.await.unwrap().expect("a call got no answer in 30 s");
            let code = match answer {
                Ok(_) => Code::Ok,
                // Bad bytes are the caller's error, never the server's, and
                // the transport never fails.
                Err(status) => {
                    let code = status.code();
                    assert!(
                        !matches!(code, Code::Internal | Code::Unavailable | Code::Unknown),
                        "{status:?}"
                    );
                    code
                }
            };
            *codes.entry(format!("{code:?}")).or_default() += 1;
        }
        assert!(served.running(), "the server died in round {round}");
        if round == 0 {
            warm = served.memory_kib();
        }
    }
    eprintln!("answers by status: {codes:?}");
    assert_eq!(codes.values().sum::<usize>(), 2 * PER_KIND);
    let mut client = MaturityServiceClient::new(channel);
    let fine = support::one_metric("five_stage", "crm_in_place", Kind::Flag(true));
    assert_eq!(
        client
            .assess(fine)
            .await
            .unwrap()
            .into_inner()
            .level
            .unwrap()
            .id,
        "effort_driven"
    );
    if let (Some((_, warm)), Some((peak, now))) = (warm, served.memory_kib()) {
        eprintln!(
            "server RSS: {warm} KiB after the first 1,000, {now} KiB at the end, peak {peak} KiB"
        );
        assert!(now < warm + 16 * 1024, "RSS grew from {warm} to {now} KiB");
        assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
    }
}
