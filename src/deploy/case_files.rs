//! Test cases that arrive with a deploy, as the case files they become:
//! `tests/MODEL/NAME.json`, merged with the model's case files already on
//! disk, those sent first.

use std::collections::BTreeSet;

use super::error::DeployError;
use crate::engine::CaseSource;
use crate::engine::cases::Case;

/// The longest file stem a case name becomes.
const MAX_STEM: usize = 64;

/// The case files `cases` become for model `id`, in the order sent; two
/// cases whose names make the same file are refused.
pub(crate) fn case_files(id: &str, cases: &[Case]) -> Result<Vec<CaseSource>, DeployError> {
    let mut stems = BTreeSet::new();
    cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let stem = file_stem(&case.name);
            if !stems.insert(stem.clone()) {
                return Err(DeployError::InvalidCase {
                    index,
                    name: shorten(&case.name),
                    reason: format!("another case sent is also saved as {stem}.json"),
                });
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
}
