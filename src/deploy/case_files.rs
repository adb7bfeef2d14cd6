//! Test cases that arrive with a deploy, as the case files they become:
//! `tests/MODEL/NAME.json`, merged with the model's case files already on
//! disk, those sent first.

use std::collections::BTreeSet;

use super::error::DeployError;
use crate::engine::CaseSource;
use crate::engine::cases::Case;

/// The longest file stem a case name becomes.
const MAX_STEM: usize = 64;

/// The longest case name, in characters.
const MAX_NAME: usize = 128;

/// The case files `cases` become for model `id`, in the order sent; two
/// cases whose names make the same file are refused.
pub(crate) fn case_files(id: &str, cases: &[Case]) -> Result<Vec<CaseSource>, DeployError> {
    let mut stems = BTreeSet::new();
    cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let refuse = |reason: String| DeployError::InvalidCase {
                index,
                name: shorten(&case.name),
                reason,
            };
            if let Some(reason) = bad_name(&case.name) {
                return Err(refuse(reason.to_owned()));
            }
            let stem = file_stem(&case.name);
            if !stems.insert(stem.clone()) {
                return Err(refuse(format!(
                    "another case sent is also saved as {stem}.json"
                )));
            }
            let mut case = case.clone();
            case.model = id.to_owned();
            let text = serde_json::to_string_pretty(&case).unwrap_or_default() + "\n";
            Ok(CaseSource {
                file: format!("tests/{id}/{stem}.json"),
                model: id.to_owned(),
                text,
            })
        })
        .collect()
}

/// Why a case name cannot be saved, if it cannot: it must have a letter or
/// digit, no control characters, and at most [`MAX_NAME`] characters.
fn bad_name(name: &str) -> Option<&'static str> {
    if !name.chars().any(char::is_alphanumeric) {
        Some("a case name needs at least one letter or digit")
    } else if name.chars().any(char::is_control) {
        Some("a case name may not hold control characters")
    } else if name.chars().count() > MAX_NAME {
        Some("a case name may be at most 128 characters")
    } else {
        None
    }
}

/// A warning for each of `sent` that replaces a case file of `existing`
/// saved under another name (two names can make one file).
pub(crate) fn replacement_warnings(sent: &[CaseSource], existing: &[CaseSource]) -> Vec<String> {
    let name_in = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("name")?.as_str().map(str::to_owned))
    };
    sent.iter()
        .filter_map(|new| {
            let old = existing.iter().find(|c| c.file == new.file)?;
            let (old_name, new_name) = (name_in(&old.text)?, name_in(&new.text)?);
            (old_name != new_name).then(|| {
                format!(
                    "case '{}' replaces {}, which held case '{}'",
                    shorten(&new_name),
                    new.file,
                    shorten(&old_name)
                )
            })
        })
        .collect()
}

/// `sent` first, then the cases of `existing` that `sent` does not replace.
pub(crate) fn merged(sent: &[CaseSource], existing: &[CaseSource]) -> Vec<CaseSource> {
    let replaced: BTreeSet<&str> = sent.iter().map(|c| c.file.as_str()).collect();
    sent.iter()
        .chain(
            existing
                .iter()
                .filter(|c| !replaced.contains(c.file.as_str())),
        )
        .cloned()
        .collect()
}

/// The case files of model `id` in `existing` that no case of `sent` would
/// replace: those a deploy with `sent` would also run.
pub(crate) fn kept<'a>(
    id: &'a str,
    sent: &[Case],
    existing: &'a [CaseSource],
) -> impl Iterator<Item = &'a CaseSource> {
    let replaced: BTreeSet<String> = sent
        .iter()
        .map(|c| format!("tests/{id}/{}.json", file_stem(&c.name)))
        .collect();
    existing
        .iter()
        .filter(move |c| c.model == id && !replaced.contains(&c.file))
}

/// A case name as a file stem: lower-case letters, digits, `_` and `-`,
/// anything else as `_`, at most [`MAX_STEM`] characters; "case" when
/// nothing is left.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_' | '-') => c,
            _ => '_',
        })
        .take(MAX_STEM)
        .collect();
    let stem = stem.trim_matches('_');
    if stem.is_empty() || stem.starts_with('-') {
        format!("case{stem}")
    } else {
        stem.to_owned()
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_safe_file_stems() {
        assert_eq!(file_stem("Rank 2: founder-led"), "rank_2__founder-led");
        assert_eq!(file_stem("../../etc/passwd"), "etc_passwd");
        assert_eq!(file_stem("日本"), "case");
        assert_eq!(file_stem("-rf"), "case-rf");
        assert_eq!(file_stem(&"x".repeat(500)).len(), MAX_STEM);
    }

    #[test]
    fn two_cases_saved_as_one_file_are_refused() {
        let case: Case = serde_json::from_str(
            r#"{"name": "A b", "model": "", "metrics": {}, "expect": {"rank": 1, "level_id": "x"}}"#,
        )
        .unwrap();
        let mut twin = case.clone();
        twin.name = "a-b".into();
        assert!(case_files("m", &[case.clone(), case.clone()]).is_err());
        for bad in ["", "..", "a\u{0}b", &"x".repeat(129)] {
            let named = Case {
                name: bad.to_owned(),
                ..case.clone()
            };
            assert!(case_files("m", &[named]).is_err(), "{bad:?}");
        }
        let files = case_files("m", &[case, twin]).unwrap();
        assert_eq!(files[0].file, "tests/m/a_b.json");
        assert_eq!(files[1].file, "tests/m/a-b.json");
        assert!(files[0].text.contains(r#""model": "m""#));
    }

    #[test]
    fn sent_cases_come_first_and_replace_files_of_the_same_name() {
        let source = |file: &str, text: &str| CaseSource {
            file: file.into(),
            model: "m".into(),
            text: text.into(),
        };
        let sent = [source("tests/m/b.json", "new")];
        let existing = [
            source("tests/m/a.json", "a"),
            source("tests/m/b.json", "old"),
        ];
        let texts: Vec<_> = merged(&sent, &existing)
            .into_iter()
            .map(|c| (c.file, c.text))
            .collect();
        assert_eq!(
            texts,
            [
                ("tests/m/b.json".into(), "new".into()),
                ("tests/m/a.json".into(), "a".into())
            ]
        );
    }

    #[test]
    fn a_case_replacing_another_names_file_is_warned_about() {
        let source = |name: &str| CaseSource {
            file: "tests/m/a_b.json".into(),
            model: "m".into(),
            text: format!(r#"{{"name": "{name}"}}"#),
        };
        let warnings = replacement_warnings(&[source("a-b?")], &[source("a_b")]);
        assert_eq!(
            warnings,
            ["case 'a-b?' replaces tests/m/a_b.json, which held case 'a_b'"]
        );
        assert!(replacement_warnings(&[source("a_b")], &[source("a_b")]).is_empty());
    }
}
