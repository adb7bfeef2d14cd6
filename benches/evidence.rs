//! Deriving a CRM export: a generated process-driven export of 20,000
//! opportunities (about 100,000 history rows), read from disk, and the same
//! from memory as the service reads it. The million-opportunity run is a
//! measured `maturity derive` in docs/benchmarks.md.
#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use maturity_engine::evidence::generate::{Profile, Spec, generate};
use maturity_engine::evidence::{Export, Mapping, Options, derive, parse_date};

/// The allocator the binary runs with, so the figures are the served ones.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn derivation(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_evidence");
    let spec = Spec {
        profile: Profile::ProcessDriven,
        opportunities: 20_000,
        sellers: 100,
        history_per_opportunity: 3,
        as_of: parse_date("2025-06-30").unwrap(),
        seed: 1,
    };
    generate(&spec, &dir).unwrap();
    let options = Options::new(Some("2025-06-30"), Mapping::default()).unwrap();
    let on_disk = Export::Dir(dir.clone());
    c.bench_function("derive/20k_opportunities_disk", |b| {
        b.iter(|| derive(black_box(&on_disk), &options).unwrap())
    });
    let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    let in_memory = Export::Files(files);
    c.bench_function("derive/20k_opportunities_memory", |b| {
        b.iter(|| derive(black_box(&in_memory), &options).unwrap())
    });
}

criterion_group!(benches, derivation);
criterion_main!(benches);
