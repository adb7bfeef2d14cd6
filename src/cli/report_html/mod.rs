//! `maturity report`: one self-contained HTML file a consultant can hand to
//! a client: the organisation, date, model and script hash; the ladder of
//! levels with the proven level and the ceiling; a radar of the dimensions;
//! the plan (now, next, later) with each intervention's why; the evidence
//! table; and the missing metrics that would decide the level. No network,
//! no scripts, no fonts to fetch; charts are inline SVG; it prints on A4.
//!
//! - `charts`: the ladder and the radar, drawn as SVG.

mod charts;

use std::fmt::Write;

use super::args::ReportArgs;
use super::assess::{organisation_from_json, read_json_file};
use super::{CliError, load_engine};
use crate::engine::{Assessment, CriterionResult, Horizon, Intervention, Level, Outcome};

const STYLE: &str = include_str!("style.css");

/// Assesses the organisation and writes the report.
pub(crate) fn run(args: ReportArgs) -> Result<(), CliError> {
    let path = args.metrics.as_path();
    let json = read_json_file(path)?;
    let mut request = organisation_from_json(path, &json, args.model.as_deref())?;
    request.explain = true;
    request.target_rank = args.target_rank;
    let engine = load_engine(args.scripts.as_deref())?;
    let assessment = engine.assess(&request)?;
    let levels = engine.model(&request.model)?.spec().levels.clone();
    let organisation = args
        .organisation
        .clone()
        .or_else(|| Some(request.subject_id.clone()).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "The organisation".to_owned());
    let page = render(&assessment, &levels, &organisation, &today());
    std::fs::write(&args.out, page).map_err(|source| CliError::Read {
        path: args.out.clone(),
        source,
    })?;
    let (level, ceiling) = (&assessment.level, &assessment.ceiling);
    let could_be = match ceiling.rank > level.rank {
        true => format!(", could be {}", ceiling.rank),
        false => String::new(),
    };
    outln!(
        "wrote {}: level {} {}{could_be}",
        args.out.display(),
        level.rank,
        level.name,
    );
    Ok(())
}

/// Today's date, UTC, as YYYY-MM-DD.
fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_owned()
}

/// The whole page.
pub(crate) fn render(a: &Assessment, levels: &[Level], organisation: &str, date: &str) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sales maturity: {org}</title><style>{STYLE}</style></head><body><main>"#,
        org = escape(organisation)
    );
    let _ = write!(
        page,
        r#"<header><h1>Sales maturity: {}</h1><div class="meta">{date} · model {} {} · script sha256 <code>{}</code></div></header>"#,
        escape(organisation),
        escape(&a.model),
        escape(&a.model_version),
        escape(&a.script_sha256)
    );
    page.push_str(&verdict(a));
    let _ = write!(
        page,
        r#"<h2>Where the organisation stands</h2><div class="charts"><figure>{}<figcaption>Levels: proven in blue, possible with the missing data hatched.</figcaption></figure>"#,
        charts::ladder(a, levels)
    );
    if !a.dimensions.is_empty() {
        let _ = write!(
            page,
            r#"<figure>{}<figcaption>Share of each dimension's criteria met; dashed, what the missing data could still add.</figcaption></figure>"#,
            charts::dimensions(&a.dimensions)
        );
    }
    page.push_str("</div>");
    page.push_str(&plan(a));
    page.push_str(&evidence(a));
    page.push_str(&missing(a));
    let _ = write!(
        page,
        r#"<footer>Prepared with maturity-engine {}. The same metrics and script always give this answer; the script's hash above proves which script decided.</footer></main></body></html>"#,
        env!("CARGO_PKG_VERSION")
    );
    page
}

fn verdict(a: &Assessment) -> String {
    let mut out = format!(
        r#"<p class="verdict">Proven at level {} <strong>{}</strong>"#,
        a.level.rank,
        escape(&a.level.name)
    );
    let undecided = a.ceiling.rank > a.level.rank;
    if undecided {
        let _ = write!(
            out,
            r#"; could be level {} <strong>{}</strong> once the missing data is in"#,
            a.ceiling.rank,
            escape(&a.ceiling.name)
        );
    }
    let first: Vec<&str> = a
        .missing_metrics
        .iter()
        .take(6)
        .map(String::as_str)
        .collect();
    let first = escape(&first.join(", "));
    // While undecided, the proven level's portrait would read as a verdict.
    let portrait = if undecided {
        format!("The level is not decided yet: supply {first} to decide it.")
    } else {
        escape(&a.level.summary)
    };
    let _ = write!(
        out,
        r#".</p><p>{portrait}</p><p class="meta">Score {:.2} · {:.0}% of the metrics that matter were supplied.</p>"#,
        a.score,
        a.confidence * 100.0
    );
    if a.confidence < 0.5 && undecided {
        out.push_str(r#"<p class="provisional">This level is provisional: fewer than half the metrics that matter were supplied.</p>"#);
    }
    out
}

fn plan(a: &Assessment) -> String {
    let mut out = String::from("<h2>The plan</h2>");
    if a.interventions.is_empty() {
        out.push_str("<p>Nothing is known to hold the organisation back: supply the missing metrics below to decide the level.</p>");
        return out;
    }
    for (horizon, heading) in [
        (Horizon::Now, "Now: this quarter"),
        (Horizon::Next, "Next"),
        (Horizon::Later, "Later"),
    ] {
        let items: Vec<&Intervention> = a
            .interventions
            .iter()
            .filter(|i| i.horizon == horizon)
            .collect();
        if items.is_empty() {
            continue;
        }
        let _ = write!(out, r#"<h3>{heading}</h3><ol class="plan">"#);
        for i in items {
            let _ = write!(
                out,
                r#"<li><strong>{}</strong>{}<br>{}<br><span class="why">Why: {}</span></li>"#,
                escape(&i.title),
                if i.blocking {
                    format!(
                        r#"<span class="tag">needed for level {}</span>"#,
                        i.target_rank
                    )
                } else {
                    r#"<span class="tag">symptom</span>"#.to_owned()
                },
                escape(&i.description),
                escape(&why(i))
            );
        }
        out.push_str("</ol>");
    }
    out
}

fn why(i: &Intervention) -> String {
    let reasons = i
        .reason
        .replace("criterion '", "")
        .replace("signal '", "")
        .replace('\'', "");
    if i.blocking {
        format!("level {} asks for it ({reasons}).", i.target_rank)
    } else if i.reason.starts_with("staying") {
        "it keeps the organisation at the top.".to_owned()
    } else {
        format!("a symptom was seen ({reasons}).")
    }
}

fn evidence(a: &Assessment) -> String {
    let mut out = String::from(
        "<h2>The evidence</h2><table><thead><tr><th>Level</th><th>Criterion</th><th>Outcome</th><th>Observed against what it needs</th></tr></thead><tbody>",
    );
    for c in &a.criteria {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td>{}</td><td class="{}">{}</td><td>{}</td></tr>"#,
            c.rank,
            escape(&c.texts.description),
            c.outcome.as_str(),
            outcome_words(c.outcome),
            escape(&requirements(c))
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "met",
        Outcome::Failed => "not met",
        Outcome::Unknown => "unknown",
        Outcome::NotApplicable => "does not apply",
    }
}

fn requirements(c: &CriterionResult) -> String {
    if c.requirements.is_empty() {
        return c.observed.clone();
    }
    let texts: Vec<String> = c.requirements.iter().map(|r| r.text()).collect();
    texts.join("; ")
}

fn missing(a: &Assessment) -> String {
    if a.missing_metrics.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        r#"<h2>What would decide the level</h2><p>These metrics were not supplied; the first ones decide the level soonest.</p><ul class="missing">"#,
    );
    for m in &a.missing_metrics {
        let _ = write!(out, "<li>{}</li>", escape(m));
    }
    out.push_str("</ul>");
    out
}

/// Text made safe to place in HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
