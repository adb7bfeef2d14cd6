//! The readable report of an assessment: the level, why, and what to do next.

use std::fmt::Write;

use crate::engine::Assessment;

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
    render_criteria(&mut out, a, all_criteria);
    render_interventions(&mut out, a);
    if !a.missing_metrics.is_empty() {
        let _ = writeln!(out, "\nMissing metrics: {}", a.missing_metrics.join(", "));
    }
    if !a.ignored_metrics.is_empty() {
        let _ = writeln!(out, "Ignored metrics: {}", a.ignored_metrics.join(", "));
    }
    out
}

fn render_criteria(out: &mut String, a: &Assessment, all: bool) {
    let _ = writeln!(out, "\nWhy:");
    let shown_up_to = if all { i32::MAX } else { a.level.rank + 1 };
    let hidden = a.criteria.iter().filter(|c| c.rank > shown_up_to).count();
    for c in a.criteria.iter().filter(|c| c.rank <= shown_up_to) {
        let mark = if c.passed {
            "pass"
        } else if c.missing_metrics.is_empty() {
            "FAIL"
        } else {
            "MISSING"
        };
        let _ = writeln!(
            out,
            "  [{mark:^7}] rank {} {}: {}",
            c.rank, c.id, c.description
        );
        if !c.observed.is_empty() {
            let _ = writeln!(out, "            observed {}", c.observed);
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "  ({hidden} criteria of higher levels not shown: --explain shows them)"
        );
    }
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
