//! The readable report of an assessment: the level, why it is not one
//! higher, a table of criteria with what each metric is held against, the
//! levers and what to do next.

use std::fmt::Write;

use crate::engine::{Assessment, CriterionResult, Lever, MetricValue};

/// Renders `a` for a terminal; `all_criteria` lists the criteria of every
/// level, not only those up to the next one.
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
    let _ = writeln!(
        out,
        "\nLevel {}: {} ({})  score {:.2}  confidence {:.0}%",
        a.level.rank,
        a.level.name,
        a.level.id,
        a.score,
        a.confidence * 100.0
    );
    let _ = writeln!(out, "  {}", a.level.summary);
    if !a.why_not_higher.is_empty() {
        let _ = writeln!(out, "\n{}", a.why_not_higher);
    }
    render_criteria(&mut out, a, all_criteria);
    render_levers(&mut out, a);
    render_interventions(&mut out, a);
    if !a.missing_metrics.is_empty() {
        let _ = writeln!(out, "\nMissing metrics: {}", a.missing_metrics.join(", "));
    }
    if !a.ignored_metrics.is_empty() {
        let _ = writeln!(out, "Ignored metrics: {}", a.ignored_metrics.join(", "));
    }
    out
}

/// One row per metric of each criterion shown: status, rank, criterion,
/// metric, observed value and what it needs.
fn render_criteria(out: &mut String, a: &Assessment, all: bool) {
    let shown_up_to = if all { i32::MAX } else { a.level.rank + 1 };
    let shown: Vec<&CriterionResult> = a
        .criteria
        .iter()
        .filter(|c| c.rank <= shown_up_to)
        .collect();
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

fn criterion_rows(c: &CriterionResult) -> Vec<[String; 6]> {
    let mark = if c.passed {
        "pass"
    } else if c.missing_metrics.is_empty() {
        "FAIL"
    } else {
        "MISSING"
    };
    c.metrics
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let requirement = c.requirements.iter().find(|r| &r.metric == metric);
            let observed = observed(c, metric);
            let needs = requirement.map_or("-".to_owned(), |r| {
                format!("{} {}", r.comparison.words(), r.threshold)
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
                head(mark),
                head(&c.rank.to_string()),
                head(&c.id),
                metric.clone(),
                observed,
                needs,
            ]
        })
        .collect()
}

/// The value a criterion saw for `metric`, from its requirements or its
/// "name=value" list.
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
    let (Some(next), false) = (&a.next_level, a.levers.is_empty()) else {
        return;
    };
    let together = if a.levers_reach_next_level {
        "together they reach it"
    } else {
        "they are not enough on their own: see the criteria above"
    };
    let _ = writeln!(out, "\nLevers to reach {} ({together}):", next.name);
    for lever in &a.levers {
        let _ = writeln!(out, "  {}", lever_line(lever));
    }
}

fn lever_line(l: &Lever) -> String {
    let from = l
        .current
        .as_ref()
        .map_or("missing".to_owned(), MetricValue::to_string);
    let change = l.change.map_or(String::new(), |c| format!(" ({c:+})"));
    let alone = if l.sufficient_alone {
        "  enough alone"
    } else {
        ""
    };
    format!(
        "{}: {from} -> {}{change}  for {}{alone}",
        l.metric,
        l.target,
        l.criteria.join(", ")
    )
}

fn render_interventions(out: &mut String, a: &Assessment) {
    if let Some(next) = &a.next_level {
        let _ = writeln!(out, "\nTo reach level {} {}:", next.rank, next.name);
    } else if !a.interventions.is_empty() {
        let _ = writeln!(out, "\nTo stay at the top:");
    }
    for i in &a.interventions {
        let _ = writeln!(
            out,
            "  {}. {} [{}]",
            i.priority,
            i.title,
            i.metrics.join(", ")
        );
        let _ = writeln!(out, "     {}", i.description);
    }
}
