//! The readable report of an assessment, to read at a glance: one line for
//! the proven level and the ceiling, a bar per dimension, what to do now,
//! then the details (the rest of the plan, the criteria table with what
//! each metric is held against, the levers, and the metrics to collect).

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::engine::{
    Assessment, CriterionResult, Horizon, Intervention, Lever, MetricValue, Outcome, did_you_mean,
};

/// Below this share of the metrics that matter, the level is provisional.
const PROVISIONAL_BELOW: f64 = 0.5;
/// How many missing metrics the headline names before "and N more".
const COLLECT_SHOWN: usize = 6;

/// Renders `a` for a terminal; `all_criteria` lists the criteria of every
/// level, not only those up to the ceiling's next level.
pub(crate) fn render(a: &Assessment, all_criteria: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} (script sha256 {})",
        a.model, a.model_version, a.script_sha256
    );
    if !a.subject_id.is_empty() {
        let _ = writeln!(out, "subject {}", a.subject_id);
    }
    render_headline(&mut out, a);
    render_ignored(&mut out, a);
    render_dimensions(&mut out, a);
    render_plan(&mut out, a);
    render_criteria(&mut out, a, all_criteria);
    render_levers(&mut out, a);
    if !a.missing_metrics.is_empty() {
        let _ = writeln!(out, "\nMissing metrics: {}", a.missing_metrics.join(", "));
    }
    out
}

/// The metrics sent that the model does not read, near the top (a
/// misspelt name is a metric the answer never saw), each with the name it
/// may have meant.
fn render_ignored(out: &mut String, a: &Assessment) {
    if a.ignored_metrics.is_empty() {
        return;
    }
    let read: BTreeSet<&str> = a
        .criteria
        .iter()
        .flat_map(|c| c.texts.metrics.iter().map(|m| m.as_str()))
        .chain(a.missing_metrics.iter().map(String::as_str))
        .collect();
    let ignored: Vec<String> = a
        .ignored_metrics
        .iter()
        .map(|m| format!("{m}{}", did_you_mean(m, read.iter().copied())))
        .collect();
    let _ = writeln!(
        out,
        "Ignored metrics (the model does not read them): {}",
        ignored.join(", ")
    );
}

/// The proven level and the ceiling on one line, then what the level means
/// when it is settled, or what would decide it while it is not.
fn render_headline(out: &mut String, a: &Assessment) {
    let undecided = a.ceiling.rank > a.level.rank;
    let ceiling = if undecided {
        format!(", could be {} {}", a.ceiling.rank, a.ceiling.name)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nLevel {} {}{ceiling}  (score {:.2}, confidence {:.0}%)",
        a.level.rank,
        a.level.name,
        a.score,
        a.confidence * 100.0
    );
    let supplied = format!(
        "{:.0}% of the metrics that matter were supplied",
        a.confidence * 100.0
    );
    if undecided {
        // The proven level's portrait would read as a verdict it is not.
        let provisional = if a.confidence < PROVISIONAL_BELOW {
            "Provisional"
        } else {
            "Undecided"
        };
        let _ = writeln!(
            out,
            "  {provisional}: proven at {}, up to {} on metrics not supplied ({supplied}).",
            a.level.rank, a.ceiling.rank
        );
        if !a.missing_metrics.is_empty() {
            let _ = writeln!(out, "  To decide the level, supply: {}", first_missing(a));
        }
        return;
    }
    let _ = writeln!(out, "  {}", a.level.summary);
    if a.confidence < PROVISIONAL_BELOW && !a.missing_metrics.is_empty() {
        let _ = writeln!(
            out,
            "  Settled: no metric left out can change the level ({supplied}); they would complete the dimensions and the plan: {}",
            first_missing(a)
        );
    }
}

fn first_missing(a: &Assessment) -> String {
    let shown: Vec<&str> = a
        .missing_metrics
        .iter()
        .take(COLLECT_SHOWN)
        .map(String::as_str)
        .collect();
    let more = a.missing_metrics.len().saturating_sub(COLLECT_SHOWN);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// One bar per dimension: the share of its criteria that passed (█), of
/// those unknown for want of data (▒, never drawn as failed), and the
/// lowest rank where one fails or is unknown.
fn render_dimensions(out: &mut String, a: &Assessment) {
    if a.dimensions.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nDimensions:");
    let width = a.dimensions.iter().map(|d| d.name.chars().count()).max();
    let width = width.unwrap_or(0);
    for d in &a.dimensions {
        let tenths = |share: f64| (share * 10.0).round().clamp(0.0, 10.0) as usize;
        let (passed, possible) = (tenths(d.score), tenths(d.possible()));
        let bar = format!(
            "{}{}{}",
            "█".repeat(passed),
            "▒".repeat(possible - passed),
            "░".repeat(10 - possible)
        );
        let unknown = if d.unknown > 0 {
            format!(", {} unknown", d.unknown)
        } else {
            String::new()
        };
        // `rank` is the last rank up to which all hold: the next does not.
        let gap = if d.passed == d.total {
            "no gap".to_owned()
        } else {
            format!("first gap at rank {}", d.rank + 1)
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {bar}  {}/{} passed{unknown}, {gap}",
            d.name, d.passed, d.total
        );
    }
}

/// The plan by horizon: now first, then next and later.
fn render_plan(out: &mut String, a: &Assessment) {
    let top = a.next_level.is_none();
    for (horizon, heading) in [
        (
            Horizon::Now,
            if top {
                "To stay at the top, now:"
            } else {
                "Now (this quarter):"
            },
        ),
        (Horizon::Next, "Next:"),
        (Horizon::Later, "Later (on the way to the target):"),
    ] {
        let items: Vec<&Intervention> = a
            .interventions
            .iter()
            .filter(|i| i.horizon == horizon)
            .collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}");
        for i in items {
            // A basic view's items carry their id and title alone.
            let mut line = format!("  {}. {}", i.priority, i.title);
            if !i.metrics.is_empty() {
                line += &format!(" [{}]", i.metrics.join(", "));
            }
            if !i.reason.is_empty() {
                line += &format!("  ({})", why(i));
            }
            let _ = writeln!(out, "{line}");
            if !i.description.is_empty() {
                let _ = writeln!(out, "     {}", i.description);
            }
        }
    }
}

/// Why an intervention is in the plan, in a few words.
fn why(i: &Intervention) -> String {
    if i.blocking {
        format!("needed for rank {}: {}", i.target_rank, i.reason)
    } else if i.reason.starts_with("signal") {
        format!("symptom seen: {}", i.reason)
    } else {
        i.reason.clone()
    }
}

/// One row per metric of each criterion shown: outcome, rank, criterion,
/// metric, observed value and what it needs.
fn render_criteria(out: &mut String, a: &Assessment, all: bool) {
    let shown_up_to = if all { i32::MAX } else { a.ceiling.rank + 1 };
    let shown: Vec<&CriterionResult> = a
        .criteria
        .iter()
        .filter(|c| c.rank <= shown_up_to)
        .collect();
    if shown.is_empty() {
        // A basic view carries no criteria.
        return;
    }
    let mut rows = vec![["", "rank", "criterion", "metric", "observed", "needs"].map(String::from)];
    for c in &shown {
        rows.extend(criterion_rows(c));
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let _ = writeln!(out, "\nCriteria:");
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
    let hidden = a.criteria.len() - shown.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "  ({hidden} criteria of higher levels not shown: --explain shows them)"
        );
    }
}

fn mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "pass",
        Outcome::Failed => "FAIL",
        Outcome::Unknown => "UNKNOWN",
        Outcome::NotApplicable => "n/a",
    }
}

fn criterion_rows(c: &CriterionResult) -> Vec<[String; 6]> {
    c.texts
        .metrics
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let requirement = c.requirements.iter().find(|r| &r.metric == metric);
            let needs = requirement.map_or("-".to_owned(), |r| {
                format!("{} {}", r.comparison.words(), r.threshold.readable())
                    .trim()
                    .to_owned()
            });
            let head = |text: &str| {
                if i == 0 {
                    text.to_owned()
                } else {
                    String::new()
                }
            };
            [
                head(mark(c.outcome)),
                head(&c.rank.to_string()),
                head(&c.texts.id),
                metric.to_string(),
                requirement
                    .and_then(|r| r.observed.as_ref())
                    .map_or_else(|| observed(c, metric), MetricValue::readable),
                needs,
            ]
        })
        .collect()
}

/// The value a criterion saw for `metric`, from its "name=value" list.
fn observed(c: &CriterionResult, metric: &str) -> String {
    if c.missing_metrics.iter().any(|m| m == metric) {
        return "missing".to_owned();
    }
    let prefix = format!("{metric}=");
    c.observed
        .split(", ")
        .find_map(|pair| pair.strip_prefix(&prefix))
        .unwrap_or("")
        .to_owned()
}

fn render_levers(out: &mut String, a: &Assessment) {
    if a.next_level.is_none() || a.levers.is_empty() {
        return;
    }
    let together = if a.levers_reach_next_level {
        "together they clear every failing criterion"
    } else {
        "they are not enough on their own: see the criteria above"
    };
    let _ = writeln!(out, "\nLevers ({together}):");
    for lever in &a.levers {
        let _ = writeln!(out, "  {}", lever_line(lever));
    }
}

fn lever_line(l: &Lever) -> String {
    let from = l
        .current
        .as_ref()
        .map_or("missing".to_owned(), MetricValue::readable);
    let change = l.change.map_or(String::new(), |c| {
        let sign = if c >= 0.0 { "+" } else { "" };
        format!(" ({sign}{})", MetricValue::Number(c).readable())
    });
    let alone = if l.sufficient_alone {
        "  enough alone"
    } else {
        ""
    };
    format!(
        "{}: {from} -> {}{change}  for {}{alone}",
        l.metric,
        l.target.readable(),
        l.criteria.join(", ")
    )
}
