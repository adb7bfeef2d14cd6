//! The engine's speed: evaluation of each built-in model on a full
//! organisation (all 51 metrics), the same five_stage rules written natively
//! as the yardstick, the first release's five_stage model (kept under
//! benches/fixtures/) on today's engine, so a regression of the engine is
//! told apart from a model that grew, metric validation, and protobuf
//! conversion both ways. Figures are in docs/benchmarks.md.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

/// The allocator the server runs with, so the figures are the served ones.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use maturity_engine::engine::cases::Case;
use maturity_engine::engine::{AssessRequest, Engine, Limits, MetricValue, Metrics, ScriptSource};
use maturity_engine::grpc::convert::{request_from_pb, request_to_pb};
use maturity_engine::grpc::pb;

/// A full organisation: the rank 3 example, which supplies all 51 metrics.
fn organisation(model: &str) -> AssessRequest {
    let path = format!(
        "{}/scripts/tests/{model}/{model}_rank3_example.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let case = Case::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut request = case.request();
    request.explain = false;
    assert_eq!(request.metrics.len(), 51);
    request
}

fn evaluation(c: &mut Criterion) {
    let engine = Engine::with_builtin_models().unwrap();
    for model in ["five_stage", "chaotic_to_predictive"] {
        let request = organisation(model);
        c.bench_function(&format!("evaluate/{model}"), |b| {
            b.iter(|| engine.assess(black_box(&request)).unwrap())
        });
    }
    let mut explained = organisation("five_stage");
    explained.explain = true;
    c.bench_function("evaluate/five_stage_explained", |b| {
        b.iter(|| engine.assess(black_box(&explained)).unwrap())
    });
    let request = organisation("five_stage");
    assert_eq!(
        native::five_stage_rank(&request.metrics),
        engine.assess(&request).unwrap().level.rank
    );
    c.bench_function("native/five_stage", |b| {
        b.iter(|| native::five_stage_rank(black_box(&request.metrics)))
    });
    let (engine, request) = first_release();
    c.bench_function("evaluate/five_stage_first_release", |b| {
        b.iter(|| engine.assess(black_box(&request)).unwrap())
    });
}

/// The first release's five_stage model (28 criteria, 38 metrics) and its
/// rank 3 example: the workload the first release's figures were taken on.
fn first_release() -> (Engine, AssessRequest) {
    let dir = format!(
        "{}/benches/fixtures/first_release",
        env!("CARGO_MANIFEST_DIR")
    );
    let read = |file: &str| std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
    let mut engine = Engine::new(Limits::default());
    let lib = ScriptSource::new("lib/vocabulary.rhai", read("lib/vocabulary.rhai"));
    let model = ScriptSource::new("five_stage.rhai", read("five_stage.rhai"));
    engine.load(&model, &[lib]).unwrap();
    let case = Case::from_json(&read("five_stage_rank3_example.json")).unwrap();
    let mut request = case.request();
    request.explain = false;
    assert_eq!(engine.assess(&request).unwrap().level.rank, 3);
    (engine, request)
}

fn validation_and_conversion(c: &mut Criterion) {
    let engine = Engine::with_builtin_models().unwrap();
    let request = organisation("five_stage");
    c.bench_function("validate/five_stage", |b| {
        b.iter(|| engine.validate(black_box(&request)).unwrap())
    });
    let wire = request_to_pb(request.clone());
    c.bench_function("convert/request_from_pb", |b| {
        b.iter(|| request_from_pb(black_box(wire.clone())).unwrap())
    });
    let assessment = engine.assess(&request).unwrap();
    c.bench_function("convert/assessment_to_pb", |b| {
        b.iter(|| pb::Assessment::from(black_box(assessment.clone())))
    });
}

/// five_stage's criteria and signals in plain Rust, reading the same map:
/// the yardstick the engine is held against.
mod native {
    use super::*;

    fn n(m: &Metrics, name: &str) -> Option<f64> {
        match m.get(name)? {
            MetricValue::Number(n) => Some(*n),
            _ => None,
        }
    }

    fn f(m: &Metrics, name: &str) -> Option<bool> {
        match m.get(name)? {
            MetricValue::Flag(b) => Some(*b),
            _ => None,
        }
    }

    type Check = fn(&Metrics) -> Option<bool>;

    /// Hero dependency relative to the team (lib/gates.rhai).
    fn heroes_within(m: &Metrics, limit: f64) -> Option<bool> {
        let reps = n(m, "sales_reps")?;
        Some(n(m, "top2_rep_share_of_wins")? * reps - 2.0 <= limit * (reps - 2.0))
    }

    /// Each criterion's rank and check; a missing metric fails it.
    const CRITERIA: [(i32, Check); 37] = [
        (2, |m| {
            Some(f(m, "crm_in_place")? && n(m, "crm_adoption")? >= 0.3)
        }),
        (2, |m| Some(n(m, "stages_defined")? >= 3.0)),
        (2, |m| Some(n(m, "founder_share_of_deals")? <= 0.5)),
        (2, |m| heroes_within(m, 0.6)),
        (2, |m| Some(n(m, "pipeline_review_cadence_days")? <= 30.0)),
        (3, |m| {
            Some(n(m, "win_rate")? >= 0.2 || n(m, "activity_kpi_share")? <= 0.5)
        }),
        (3, |m| Some(n(m, "crm_backfill_rate")? <= 0.2)),
        (3, |m| Some(n(m, "forecast_volatility")? <= 0.1)),
        (3, |m| {
            Some(n(m, "crm_adoption")? >= 0.85 && n(m, "crm_freshness")? >= 0.75)
        }),
        (3, |m| {
            let stages = n(m, "stages_defined")? >= 4.0;
            let activities = n(m, "activities_per_stage")? >= 6.0;
            let gated = f(m, "stage_gates_defined")? && n(m, "process_adherence")? >= 0.7;
            Some(stages && (activities || gated))
        }),
        (3, |m| {
            Some(f(m, "stage_gates_defined")? && n(m, "process_adherence")? >= 0.7)
        }),
        (3, |m| {
            Some(f(m, "stage_probabilities_defined")? && n(m, "forecast_accuracy")? >= 0.75)
        }),
        (3, |m| Some(n(m, "qualification_coverage")? >= 0.75)),
        (3, |m| Some(n(m, "loss_reason_coverage")? >= 0.75)),
        (3, |m| {
            Some(f(m, "playbook_exists")? && f(m, "documented_handoffs")?)
        }),
        (3, |m| {
            Some(f(m, "structured_ramp_program")? && n(m, "ramp_time_months")? <= 6.0)
        }),
        (3, |m| {
            Some(f(m, "dedicated_sales_leader")? && !f(m, "ceo_is_head_of_sales")?)
        }),
        (3, |m| Some(n(m, "sales_leader_field_time_share")? >= 0.3)),
        (3, |m| {
            Some(
                n(m, "pipeline_review_cadence_days")? <= 14.0
                    && n(m, "review_meetings_held_share")? >= 0.8,
            )
        }),
        (3, |m| f(m, "reviews_inspect_deals")),
        (3, |m| f(m, "process_deviation_followup")),
        (3, |m| {
            Some(heroes_within(m, 0.35)? && n(m, "founder_share_of_deals")? <= 0.2)
        }),
        (3, |m| Some(n(m, "rep_win_rate_spread")? <= 0.2)),
        (3, |m| Some(n(m, "process_last_revised_months")? <= 24.0)),
        (4, |m| f(m, "stage_analytics")),
        (4, |m| f(m, "deal_health_scoring")),
        (4, |m| f(m, "data_driven_coaching")),
        (4, |m| Some(n(m, "win_loss_reviews_per_quarter")? >= 2.0)),
        (4, |m| f(m, "segmentation_in_use")),
        (4, |m| Some(n(m, "forecast_accuracy")? >= 0.85)),
        (4, |m| Some(n(m, "process_last_revised_months")? <= 12.0)),
        (5, |m| {
            if f(m, "recurring_revenue")? {
                Some(n(m, "net_revenue_retention")? >= 1.1 && n(m, "gross_churn_rate")? <= 0.1)
            } else {
                Some(n(m, "repeat_customer_rate")? >= 0.6)
            }
        }),
        (5, |m| {
            if f(m, "recurring_revenue")? {
                Some(n(m, "expansion_revenue_share")? >= 0.3)
            } else {
                Some(true)
            }
        }),
        (5, |m| Some(n(m, "repeat_customer_rate")? >= 0.6)),
        (5, |m| f(m, "customer_health_tracking")),
        (5, |m| f(m, "customer_feedback_loop")),
        (5, |m| f(m, "strategic_account_plans")),
    ];

    /// The signals, which the engine also runs on every assessment.
    const SIGNALS: [Check; 4] = [
        |m| Some(n(m, "activity_kpi_share")? > 0.5),
        |m| Some(n(m, "meetings_per_rep_week")? >= 15.0 && n(m, "win_rate")? < 0.2),
        |m| Some(n(m, "sales_reps")? >= 4.0 && n(m, "closing_reps")? * 2.0 < n(m, "sales_reps")?),
        |m| Some(n(m, "activities_per_stage")? > 10.0),
    ];

    /// The rank five_stage gives `m`, with its signals evaluated too.
    pub(super) fn five_stage_rank(m: &Metrics) -> i32 {
        let results: Vec<(i32, bool)> = CRITERIA
            .iter()
            .map(|(rank, check)| (*rank, check(m) == Some(true)))
            .collect();
        let fired = SIGNALS.iter().filter(|s| s(m) == Some(true)).count();
        black_box(fired);
        let holds = |rank| {
            results
                .iter()
                .filter(|(r, _)| *r == rank)
                .all(|(_, ok)| *ok)
        };
        (2..=5).take_while(|&rank| holds(rank)).last().unwrap_or(1)
    }
}

criterion_group!(benches, evaluation, validation_and_conversion);
criterion_main!(benches);
