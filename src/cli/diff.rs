//! `maturity diff OLD NEW --orgs FILE.jsonl`: what a change of model does to
//! a portfolio of organisations, before it is deployed. Each organisation
//! is assessed on both versions; those whose level, ceiling, score or
//! criteria change are listed with what flipped, then a summary. Exits 0
//! when nothing changed, 1 when something did and 2 on error, as diff(1).
//! A decision log recorded with full requests is a portfolio too, so last
//! month's real requests can be replayed through a new version.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::CliError;
use super::args::{DiffArgs, ReplayArgs};
use super::assess::{input_error, organisation_from_json};
use crate::engine::{
    AssessRequest, Assessment, Engine, Limits, Outcome, ScriptSet, read_scripts_dir,
};
use crate::grpc::json_input;

/// Compares and prints; `Err(Differ)` when something changed.
pub(crate) fn run(args: DiffArgs) -> Result<(), CliError> {
    let report = compare(&args).map_err(|err| CliError::Trouble(Box::new(err)))?;
    print_report(&report, args.json)
}

/// `maturity replay LOG --scripts DIR`: the logged answers against the
/// answers of DIR's models, printed as `diff` prints; `Err(Differ)` when
/// something changed.
pub(crate) fn replay(args: ReplayArgs) -> Result<(), CliError> {
    let report = replay_log(&args).map_err(|err| CliError::Trouble(Box::new(err)))?;
    print_report(&report, args.json)
}

fn print_report(report: &Report, json: bool) -> Result<(), CliError> {
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        out!("{}", report.render());
    }
    match report.summary.changed {
        0 => Ok(()),
        n => Err(CliError::Differ(format!(
            "{n} of {} organisations changed",
            report.summary.organisations
        ))),
    }
}

/// Where one organisation stands on one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Standing {
    level: i32,
    ceiling: i32,
    score: f64,
}

/// A criterion whose outcome differs between the versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Flip {
    criterion: String,
    #[serde(serialize_with = "outcome_name")]
    before: Option<Outcome>,
    #[serde(serialize_with = "outcome_name")]
    after: Option<Outcome>,
}

/// An outcome by its proto enum name (`OUTCOME_PASSED`), as the API's
/// JSON spells it; `null` when the version has no such criterion.
fn outcome_name<S: serde::Serializer>(o: &Option<Outcome>, out: S) -> Result<S::Ok, S::Error> {
    let name = o.map(|o| crate::grpc::convert::outcome_to_pb(o).as_str_name());
    name.serialize(out)
}

/// One organisation whose answer changed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    subject: String,
    model: String,
    before: Standing,
    after: Standing,
    /// The criteria whose outcome changed; `None` (left out of the JSON)
    /// for a replay, whose log keeps no criteria to compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    flipped: Option<Vec<Flip>>,
}

/// How many moved which way.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    organisations: usize,
    changed: usize,
    moved_up: usize,
    moved_down: usize,
    unchanged: usize,
    /// Lines of a decision log without a request.
    #[serde(skip_serializing_if = "is_zero")]
    skipped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Report {
    /// Counts one organisation, changed or not.
    fn count(&mut self, change: Option<Change>) {
        self.summary.organisations += 1;
        match change {
            Some(change) => {
                let moved = change.after.level - change.before.level;
                self.summary.moved_up += usize::from(moved > 0);
                self.summary.moved_down += usize::from(moved < 0);
                self.summary.changed += 1;
                self.changes.push(change);
            }
            None => self.summary.unchanged += 1,
        }
    }
}

/// Re-assesses each logged request on the models of `args.scripts`.
fn replay_log(args: &ReplayArgs) -> Result<Report, CliError> {
    let (engine, _) = load_side(&args.scripts)?;
    let mut report = Report {
        changes: Vec::new(),
        summary: Summary::default(),
    };
    let file = std::fs::File::open(&args.log).map_err(|source| CliError::Read {
        path: args.log.clone(),
        source,
    })?;
    let path = &args.log;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let at = |e: String| input_error(path, format!("line {}: {e}", i + 1));
        let json: Value = json_input::parse(line.as_bytes()).map_err(|e| at(e.to_string()))?;
        let Some(logged) = json.get("request") else {
            report.summary.skipped += 1;
            continue;
        };
        let request = organisation_from_json(path, logged, None).map_err(|e| at(e.to_string()))?;
        let rank = |key: &str| {
            json[key]["rank"]
                .as_i64()
                .and_then(|r| i32::try_from(r).ok())
        };
        let before = match (rank("level"), rank("ceiling"), json["score"].as_f64()) {
            (Some(level), Some(ceiling), Some(score)) => Standing {
                level,
                ceiling,
                score,
            },
            _ => {
                return Err(at(
                    "no level, ceiling and score logged with the request".into()
                ));
            }
        };
        let after = engine
            .assess(&request)
            .map_err(|err| at(format!("on {}: {err}", args.scripts.display())))?;
        let after = standing(&after);
        let subject = match json["assessmentId"].as_str() {
            Some(id) if request.subject_id.is_empty() => id.to_owned(),
            _ if request.subject_id.is_empty() => format!("line {}", i + 1),
            _ => request.subject_id.clone(),
        };
        let same = before.level == after.level
            && before.ceiling == after.ceiling
            && (before.score - after.score).abs() < 1e-9;
        report.count((!same).then(|| Change {
            subject,
            model: request.model.clone(),
            before,
            after,
            flipped: None,
        }));
    }
    if report.summary.organisations == 0 && report.summary.skipped > 0 {
        return Err(input_error(
            path,
            format!(
                "none of its {} decisions holds a request: serve with --decision-log-requests to record them",
                report.summary.skipped
            ),
        ));
    }
    Ok(report)
}

/// Every change, then the summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    changes: Vec<Change>,
    summary: Summary,
}

fn compare(args: &DiffArgs) -> Result<Report, CliError> {
    let (old, old_model) = load_side(&args.old)?;
    let (new, _) = load_side(&args.new)?;
    let model = args.model.clone().or(old_model);
    let mut report = Report {
        changes: Vec::new(),
        summary: Summary::default(),
    };
    let (portfolio, skipped) = portfolio(&args.orgs, model.as_deref())?;
    report.summary.skipped = skipped;
    for (line, request) in portfolio {
        let subject = if request.subject_id.is_empty() {
            format!("line {line}")
        } else {
            request.subject_id.clone()
        };
        let assess = |engine: &Engine, side: &Path| {
            engine.assess(&request).map_err(|err| {
                let place = format!("line {line} ({subject}), on {}", side.display());
                input_error(&args.orgs, format!("{place}: {err}"))
            })
        };
        let before = assess(&old, &args.old)?;
        let after = assess(&new, &args.new)?;
        report.count(change(subject, &before, &after));
    }
    Ok(report)
}

/// The engine of one side (a model file with its directory's `lib/`, or a
/// whole scripts directory), and the model id when it is a single file.
fn load_side(path: &Path) -> Result<(Engine, Option<String>), CliError> {
    let (scripts, single) = if path.is_dir() {
        let set = read_scripts_dir(path)?;
        if let Some(bad) = set.unreadable.first() {
            return Err(CliError::Input {
                path: path.join(&bad.file),
                message: bad.reason.clone(),
            });
        }
        (set, false)
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.into(),
            source,
        })?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let libs = match dir.map(|d| d.join("lib")).filter(|lib| lib.is_dir()) {
            Some(_) => read_scripts_dir(dir.unwrap_or(Path::new(".")))?.libs,
            None => Vec::new(),
        };
        let model = crate::engine::ScriptSource::new(path.display().to_string(), text);
        let set = ScriptSet {
            models: vec![model],
            libs,
            cases: Vec::new(),
            unreadable: Vec::new(),
        };
        (set, true)
    };
    let mut engine = Engine::new(Limits::default());
    if let Some(failure) = engine.load_all(&scripts).into_iter().next() {
        return Err(CliError::Load(failure));
    }
    let model = single
        .then(|| engine.models().next().map(|m| m.id().to_owned()))
        .flatten();
    Ok((engine, model))
}

/// The organisations of a JSON Lines file, with their line numbers: each
/// line an organisation (as `assess` reads one), or a decision-log record
/// whose "request" holds one; and how many decision-log records were
/// skipped for want of one.
fn portfolio(
    path: &Path,
    model: Option<&str>,
) -> Result<(Vec<(usize, AssessRequest)>, usize), CliError> {
    let file = std::fs::File::open(path).map_err(|source| CliError::Read {
        path: path.into(),
        source,
    })?;
    let (mut out, mut skipped) = (Vec::new(), 0);
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| CliError::Read {
            path: path.into(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let json: Value = json_input::parse(line.as_bytes())
            .map_err(|e| input_error(path, format!("line {}: {e}", i + 1)))?;
        let organisation = match json.get("request") {
            Some(request) => request,
            // A decision logged without --decision-log-requests.
            None if json.get("assessmentId").is_some() => {
                skipped += 1;
                continue;
            }
            None => &json,
        };
        let request = organisation_from_json(path, organisation, model)
            .map_err(|e| input_error(path, format!("line {}: {e}", i + 1)))?;
        out.push((i + 1, request));
    }
    Ok((out, skipped))
}

fn standing(a: &Assessment) -> Standing {
    Standing {
        level: a.level.rank,
        ceiling: a.ceiling.rank,
        score: a.score,
    }
}

/// What changed for one organisation, if anything did.
fn change(subject: String, before: &Assessment, after: &Assessment) -> Option<Change> {
    let outcome = |a: &Assessment, id: &str| {
        a.criteria
            .iter()
            .find(|c| c.texts.id == id)
            .map(|c| c.outcome)
    };
    let mut ids: Vec<&str> = before
        .criteria
        .iter()
        .map(|c| c.texts.id.as_str())
        .collect();
    for c in &after.criteria {
        if !ids.contains(&c.texts.id.as_str()) {
            ids.push(&c.texts.id);
        }
    }
    let flipped: Vec<Flip> = ids
        .into_iter()
        .map(|id| Flip {
            criterion: id.to_owned(),
            before: outcome(before, id),
            after: outcome(after, id),
        })
        .filter(|f| f.before != f.after)
        .collect();
    let (was, is) = (standing(before), standing(after));
    let same =
        was.level == is.level && was.ceiling == is.ceiling && (was.score - is.score).abs() < 1e-9;
    (!same || !flipped.is_empty()).then(|| Change {
        subject,
        model: before.model.to_string(),
        before: was,
        after: is,
        flipped: Some(flipped),
    })
}

impl Report {
    fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            out.push_str(&format!(
                "{} ({}): level {} -> {}, ceiling {} -> {}, score {:.2} -> {:.2}\n",
                c.subject,
                c.model,
                c.before.level,
                c.after.level,
                c.before.ceiling,
                c.after.ceiling,
                c.before.score,
                c.after.score
            ));
            for f in c.flipped.iter().flatten() {
                let name = |o: Option<Outcome>| o.map_or("absent", Outcome::as_str);
                out.push_str(&format!(
                    "    {}: {} -> {}\n",
                    f.criterion,
                    name(f.before),
                    name(f.after)
                ));
            }
        }
        let s = &self.summary;
        out.push_str(&format!(
            "{} organisations: {} moved up, {} moved down, {} changed otherwise, {} unchanged\n",
            s.organisations,
            s.moved_up,
            s.moved_down,
            s.changed - s.moved_up - s.moved_down,
            s.unchanged
        ));
        if s.skipped > 0 {
            out.push_str(&format!(
                "{} logged decisions skipped: recorded without their request (--decision-log-requests)\n",
                s.skipped
            ));
        }
        out
    }
}
