//! Civil dates and UTC instants, hand-rolled rather than a date crate: the
//! export needs only two fixed text forms, days since the epoch and
//! calendar-month steps, which fit in this file (Hinnant's algorithms) and
//! cost no build time. Dates are days since 1970-01-01; instants are whole
//! seconds since 1970-01-01T00:00:00Z (fractions are dropped).

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// How the day, month and year of a date are written in an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum DateOrder {
    /// `2025-03-15` (the contract's form).
    #[default]
    #[serde(rename = "y-m-d")]
    Ymd,
    /// `3/15/2025` (US report exports).
    #[serde(rename = "m/d/y")]
    Mdy,
    /// `15/03/2025` or `15.03.2025` (European report exports).
    #[serde(rename = "d/m/y")]
    Dmy,
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year, month and day of `days` since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date `months` calendar months after `days` (before, when negative),
/// on the same day of the month or the month's last day: the clamping SQL
/// engines apply to `date - INTERVAL n MONTH`.
pub(crate) fn add_months(days: i64, months: i64) -> i64 {
    let (y, m, d) = civil_from_days(days);
    let index = y * 12 + i64::from(m) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    days_from_civil(year, month, d.min(days_in_month(year, month)))
}

/// The first day of the calendar quarter holding `days`.
pub(crate) fn quarter_start(days: i64) -> i64 {
    let (y, m, _) = civil_from_days(days);
    days_from_civil(y, (m - 1) / 3 * 3 + 1, 1)
}

/// `days` as `YYYY-MM-DD`.
pub(crate) fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A `YYYY-MM-DD` date (the form `--as-of` takes).
pub fn parse_date(text: &str) -> Option<i64> {
    let (days, rest) = parse_date_part(text.trim(), DateOrder::Ymd)?;
    rest.is_empty().then_some(days)
}

/// An instant: a date (midnight UTC), or a date and a time (`T` or a space
/// between, seconds and an `AM`/`PM` optional) in UTC unless an offset
/// (`Z`, `+02:00`, `-0500`) follows.
pub(crate) fn parse_instant(text: &str, order: DateOrder) -> Option<i64> {
    let (days, rest) = parse_date_part(text, order)?;
    if rest.is_empty() {
        return Some(days * DAY);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (seconds, rest) = parse_time(rest)?;
    let offset = parse_offset(rest)?;
    Some(days * DAY + seconds - offset)
}

/// A month, `YYYY-MM`, as months since year 0 (year * 12 + month - 1).
pub(crate) fn parse_month(text: &str) -> Option<i64> {
    let (year, month) = text.split_once('-')?;
    let (year, month) = (number(year, 4, 4)?, number(month, 1, 2)?);
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// A quarter, `YYYY-Qn`, as the first day of it.
pub(crate) fn parse_quarter(text: &str) -> Option<i64> {
    let (year, q) = text.split_once(['-', ' '])?;
    let q = q.strip_prefix(['Q', 'q'])?;
    let (year, q) = (number(year, 4, 4)?, number(q, 1, 1)?);
    (1..=4)
        .contains(&q)
        .then(|| days_from_civil(year, (q as u32 - 1) * 3 + 1, 1))
}

/// The months-since-year-0 index of the month holding `days`.
pub(crate) fn month_index(days: i64) -> i64 {
    let (y, m, _) = civil_from_days(days);
    y * 12 + i64::from(m) - 1
}

/// `YYYY-MM` of a months-since-year-0 index.
pub(crate) fn format_month(index: i64) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// Three numbers separated by `-`, `/` or `.`, read in `order`; the rest.
fn parse_date_part(text: &str, order: DateOrder) -> Option<(i64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '/' | '.')))
        .unwrap_or(text.len());
    let (date, rest) = text.split_at(end);
    let mut parts = date.split(['-', '/', '.']);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (y, m, d) = match order {
        DateOrder::Ymd => (number(a, 4, 4)?, number(b, 1, 2)?, number(c, 1, 2)?),
        DateOrder::Mdy => (number(c, 4, 4)?, number(a, 1, 2)?, number(b, 1, 2)?),
        DateOrder::Dmy => (number(c, 4, 4)?, number(b, 1, 2)?, number(a, 1, 2)?),
    };
    let month = u32::try_from(m).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(d)
        .ok()
        .filter(|d| *d >= 1 && *d <= days_in_month(y, month))?;
    Some((days_from_civil(y, month, day), rest))
}

/// `H:MM[:SS[.fff]][ AM|PM]` as seconds into the day; the rest.
fn parse_time(text: &str) -> Option<(i64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(text.len());
    let (time, mut rest) = text.split_at(end);
    let mut parts = time.split(':');
    let hour = number(parts.next()?, 1, 2)?;
    let minute = number(parts.next()?, 2, 2)?;
    let second = match parts.next() {
        Some(s) => number(s.split('.').next()?, 2, 2)?,
        None => 0,
    };
    if parts.next().is_some() || minute > 59 || second > 60 {
        return None;
    }
    let mut hour = hour;
    let trimmed = rest.trim_start();
    let meridiem = trimmed.get(..2).map(str::to_ascii_uppercase);
    if let Some(m @ ("AM" | "PM")) = meridiem.as_deref() {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if m == "PM" { 12 } else { 0 };
        rest = &trimmed[2..];
    }
    (hour <= 23).then_some((hour * 3600 + minute * 60 + second.min(59), rest))
}

/// `""`, `Z` or `±HH[:]MM` as seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    match text {
        "" | "Z" | "z" => return Some(0),
        _ => {}
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 {
        return None;
    }
    let (h, m) = (number(&digits[..2], 2, 2)?, number(&digits[2..], 2, 2)?);
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// A run of `min..=max` ASCII digits.
fn number(text: &str, min: usize, max: usize) -> Option<i64> {
    let ok = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_across_eras() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        let may31 = days_from_civil(2025, 5, 31);
        assert_eq!(format_date(add_months(may31, -3)), "2025-02-28");
        assert_eq!(format_date(add_months(may31, -15)), "2024-02-29");
        assert_eq!(format_date(add_months(may31, 12)), "2026-05-31");
        assert_eq!(format_date(quarter_start(may31)), "2025-04-01");
    }

    #[test]
    fn parses_the_forms_exports_use() {
        let day = days_from_civil(2025, 3, 15) * DAY;
        let ymd = DateOrder::Ymd;
        assert_eq!(parse_instant("2025-03-15", ymd), Some(day));
        assert_eq!(
            parse_instant("2025-03-15 14:30:05", ymd),
            Some(day + 52_205)
        );
        assert_eq!(
            parse_instant("2025-03-15T14:30:05Z", ymd),
            Some(day + 52_205)
        );
        assert_eq!(
            parse_instant("2025-03-15T14:30:05.123+02:00", ymd),
            Some(day + 45_005)
        );
        assert_eq!(parse_instant("2025-03-15 14:30", ymd), Some(day + 52_200));
        assert_eq!(
            parse_instant("3/15/2025 2:30 PM", DateOrder::Mdy),
            Some(day + 52_200)
        );
        assert_eq!(parse_instant("15.03.2025", DateOrder::Dmy), Some(day));
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "15/03/2025",
            "2025-03-15 25:00",
            "yesterday",
            "",
        ] {
            assert_eq!(parse_instant(bad, ymd), None, "{bad}");
        }
        assert_eq!(parse_month("2025-03"), Some(2025 * 12 + 2));
        assert_eq!(parse_quarter("2025-Q2"), Some(days_from_civil(2025, 4, 1)));
        assert_eq!(parse_quarter("2025-Q5"), None);
    }
}
