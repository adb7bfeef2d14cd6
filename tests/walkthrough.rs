//! The walk-through in docs/scripting.md, run as written: its edits are read
//! from the guide, applied to a copy of the shipped scripts, and checked,
//! tested and assessed with the binary, so the guide cannot drift.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use support::bin::{copy_scripts, maturity, scratch, stdout};

/// One step of the walk-through.
enum Step {
    Replace {
        file: String,
        from: String,
        to: String,
    },
    NewFile {
        path: String,
        text: String,
    },
}

/// The steps marked in the guide: `<!-- walkthrough: replace in FILE -->`
/// and `<!-- walkthrough: with -->` before two code blocks, or
/// `<!-- walkthrough: new file PATH -->` before one.
fn steps(guide: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .strip_prefix("<!-- walkthrough: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        if let Some(file) = marker.strip_prefix("replace in ") {
            let from = next_block(&mut lines);
            let with = lines
                .find(|l| l.starts_with("<!-- walkthrough: with -->"))
                .unwrap();
            assert!(!with.is_empty());
            let to = next_block(&mut lines);
            steps.push(Step::Replace {
                file: file.into(),
                from,
                to,
            });
        } else if let Some(path) = marker.strip_prefix("new file ") {
            steps.push(Step::NewFile {
                path: path.into(),
                text: next_block(&mut lines),
            });
        } else {
            panic!("unknown walkthrough marker: {line}");
        }
    }
    steps
}

/// The body of the next fenced code block.
fn next_block<'a>(lines: &mut impl Iterator<Item = &'a str>) -> String {
    lines.find(|l| l.starts_with("```")).unwrap();
    let body: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.starts_with("```"))
        .collect();
    body.join("\n") + "\n"
}

fn apply(dir: &Path, step: &Step) {
    match step {
        Step::Replace { file, from, to } => {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                text.matches(from.as_str()).count(),
                1,
                "{file} must contain exactly one {from:?}"
            );
            std::fs::write(&path, text.replace(from.as_str(), to)).unwrap();
        }
        Step::NewFile { path, text } => std::fs::write(dir.join(path), text).unwrap(),
    }
}

#[test]
fn the_northwind_walkthrough_works_as_written() {
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scripting.md"))
            .unwrap();
    let steps = steps(&guide);
    assert_eq!(steps.len(), 5, "three edits, a case and a portfolio");
    let dir = scratch("northwind");
    copy_scripts(&dir);
    for step in &steps {
        apply(&dir, step);
    }
    let model = dir.join("five_stage.rhai");
    let checked = stdout(&maturity(&["check", model.to_str().unwrap()]));
    assert!(
        checked.starts_with("ok   ") && checked.contains("52 metrics"),
        "{checked}"
    );

    let tested = stdout(&maturity(&["test", dir.to_str().unwrap()]));
    assert!(
        tested.contains("ok   tests/five_stage/northwind_pilot.json"),
        "{tested}"
    );
    // Every shipped case and Northwind's own.
    let cases = support::load_cases().len() + 1;
    assert!(
        tested.contains(&format!("test result: ok. {cases} passed; 0 failed")),
        "{tested}"
    );

    let case = dir.join("tests/five_stage/northwind_pilot.json");
    let report = stdout(&maturity(&[
        "assess",
        "--scripts",
        dir.to_str().unwrap(),
        "--metrics",
        case.to_str().unwrap(),
    ]));
    for promised in [
        "crm_adoption: 0.55 -> 0.6",
        "Agree a mutual close plan after every demo",
    ] {
        assert!(
            report.contains(promised),
            "the guide promises {promised:?}:\n{report}"
        );
    }

    // The portfolio: one organisation moves down on the stricter threshold.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/five_stage.rhai");
    let diff = maturity(&[
        "diff",
        shipped.to_str().unwrap(),
        model.to_str().unwrap(),
        "--orgs",
        dir.join("portfolio.jsonl").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&diff.stdout);
    assert_eq!(diff.status.code(), Some(1), "something changed:\n{text}");
    assert!(text.contains("emea") && !text.contains("nordics"), "{text}");
    assert!(text.contains("crm_in_use"), "the flip is named:\n{text}");

    // Replay: real requests, logged by a server on the shipped scripts.
    let log = dir.join("decisions.jsonl");
    let log_arg = log.to_str().unwrap();
    let served = support::bin::serve(&["--decision-log", log_arg, "--decision-log-requests"]);
    let portfolio = dir.join("portfolio.jsonl");
    let sent = maturity(&[
        "assess",
        "--server",
        &served.url,
        "--model",
        "five_stage",
        "--metrics",
        portfolio.to_str().unwrap(),
    ]);
    assert!(sent.status.success(), "{sent:?}");
    logged_lines(&log, 2);
    let replay = maturity(&["replay", log_arg, "--scripts", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(1), "emea moves:\n{text}");
    assert!(text.contains("emea") && !text.contains("nordics"), "{text}");
    drop(served);

    let html = dir.join("northwind.html");
    let written = maturity(&[
        "report",
        "--scripts",
        dir.to_str().unwrap(),
        "--metrics",
        case.to_str().unwrap(),
        "--organisation",
        "Northwind Analytics",
        "--out",
        html.to_str().unwrap(),
    ]);
    assert!(written.status.success(), "{written:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Northwind Analytics") && page.contains("<svg"),
        "a report with charts"
    );

    // Deploy to a server on the shipped scripts: script and cases go live.
    let served_dir = scratch("northwind_server");
    copy_scripts(&served_dir);
    let tokens = served_dir.join("tokens.txt");
    let token = "northwind-deploy-0123456789";
    std::fs::write(&tokens, format!("consultant deploy {token}\n")).unwrap();
    let server = support::bin::serve(&[
        "--scripts",
        served_dir.to_str().unwrap(),
        "--admin-tokens",
        tokens.to_str().unwrap(),
    ]);
    let deploy_with = |extra: &[&str]| {
        let mut args = vec![
            "deploy",
            model.to_str().unwrap(),
            "--server",
            &server.url,
            "--token",
            token,
        ];
        args.extend(extra);
        maturity(&args)
    };
    let deploy = || stdout(&deploy_with(&[]));
    let deployed = deploy();
    assert!(deployed.starts_with("deployed five_stage "), "{deployed}");
    // Every five_stage case in the folder, Northwind's included, ran.
    let five = std::fs::read_dir(dir.join("tests/five_stage"))
        .unwrap()
        .count();
    assert!(
        deployed.contains(&format!("{five} of {five} test cases passed")),
        "{deployed}"
    );
    assert_eq!(
        std::fs::read_to_string(served_dir.join("five_stage.rhai")).unwrap(),
        std::fs::read_to_string(&model).unwrap()
    );
    assert!(
        served_dir
            .join("tests/five_stage/northwind_pilot.json")
            .exists()
    );
    // Run again (a retry): nothing changes.
    let again = deploy();
    assert!(
        again.contains("was already serving: nothing changed"),
        "{again}"
    );
    // Named from the version an edit started from, a deploy never
    // overwrites a change made since.
    let deployed_text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("{deployed_text}// another edit\n")).unwrap();
    let stale = "0".repeat(64);
    let refused = deploy_with(&["--expected-sha256", &stale]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&format!("not the expected '{stale}'")),
        "{said}"
    );
    std::fs::write(&model, deployed_text).unwrap();
    drop(server);

    // Undo the threshold edit: the pilot case must then fail, naming the flip.
    let Step::Replace { from, to, .. } = &steps[0] else {
        panic!("the first step is the threshold")
    };
    apply(
        &dir,
        &Step::Replace {
            file: "five_stage.rhai".into(),
            from: to.clone(),
            to: from.clone(),
        },
    );
    let output = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("criterion 'crm_in_use': expected it to fail, it holds"),
        "{text}"
    );
}

/// Waits (up to 20 s) until the decision log at `path` holds `count` lines.
fn logged_lines(path: &Path, count: usize) {
    let start = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= count {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the decision log holds {} of {count} lines",
            text.lines().count()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_guides_example_case_passes_as_written() {
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scripting.md"))
            .unwrap();
    let mut lines = guide.lines();
    lines.find(|l| *l == "## Test cases").unwrap();
    let case = next_block(&mut lines);
    let dir = scratch("guide_case");
    copy_scripts(&dir);
    std::fs::write(dir.join("tests/five_stage/guide_example.json"), case).unwrap();
    let output = maturity(&["test", dir.to_str().unwrap()]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(
            "ok   tests/five_stage/guide_example.json (a short name): rank 1 effort_driven"
        ),
        "{text}"
    );
}
