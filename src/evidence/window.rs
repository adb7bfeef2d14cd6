//! The windows the metrics look through, all ending with the `--as-of`
//! day: an instant `t` is in a window when `start <= t < end`, where `end`
//! is midnight UTC after the as-of day. "Quarters" and "months" are
//! calendar months counted back from `end` (4 quarters = 12 months).

use super::date::{DAY, add_months, format_date, month_index, quarter_start};

/// A half-open span of instants, `[start, end)`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first instant inside.
    pub start: i64,
    /// The first instant after.
    pub end: i64,
}

impl Span {
    /// Whether `t` falls inside.
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t < self.end
    }

    /// The span as dates, both inclusive: `2024-07-01..2025-06-30`.
    pub fn describe(&self) -> String {
        format!(
            "{}..{}",
            format_date(self.start.div_euclid(DAY)),
            format_date((self.end - 1).div_euclid(DAY))
        )
    }
}

/// Every window the metrics use, fixed by the as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// The as-of day, in days since 1970-01-01.
    pub as_of: i64,
    /// Midnight after the as-of day: every window ends here.
    pub end: i64,
    /// The last 14 days (freshness).
    pub days14: Span,
    /// The last 30 days (adoption).
    pub days30: Span,
    /// The last 2 quarters (closing reps).
    pub quarters2: Span,
    /// The last 4 quarters (win rate, backfill, adherence, heroes, expansion).
    pub quarters4: Span,
    /// The last 24 months (repeat customers).
    pub months24: Span,
    /// The last complete calendar quarter (forecast).
    pub last_quarter: Span,
    /// The last complete calendar month, as a month index (revenue).
    pub last_month: i64,
}

impl Windows {
    /// The windows ending with the as-of day (days since 1970-01-01).
    pub fn ending(as_of: i64) -> Self {
        let end_day = as_of + 1;
        let back_days = |n: i64| span(end_day - n, end_day);
        let back_months = |n: i64| span(add_months(end_day, -n), end_day);
        let quarter = quarter_start(end_day);
        Self {
            as_of,
            end: end_day * DAY,
            days14: back_days(14),
            days30: back_days(30),
            quarters2: back_months(6),
            quarters4: back_months(12),
            months24: back_months(24),
            last_quarter: span(add_months(quarter, -3), quarter),
            last_month: month_index(end_day) - 1,
        }
    }
}

fn span(start_day: i64, end_day: i64) -> Span {
    Span {
        start: start_day * DAY,
        end: end_day * DAY,
    }
}

#[cfg(test)]
mod tests {
    use super::super::date::{days_from_civil, format_month};
    use super::*;

    #[test]
    fn a_quarter_end_gives_whole_quarters() {
        let w = Windows::ending(days_from_civil(2025, 6, 30));
        assert_eq!(w.quarters4.describe(), "2024-07-01..2025-06-30");
        assert_eq!(w.quarters2.describe(), "2025-01-01..2025-06-30");
        assert_eq!(w.last_quarter.describe(), "2025-04-01..2025-06-30");
        assert_eq!(w.days14.describe(), "2025-06-17..2025-06-30");
        assert_eq!(format_month(w.last_month), "2025-06");
    }

    #[test]
    fn mid_quarter_looks_back_to_the_last_complete_one() {
        let w = Windows::ending(days_from_civil(2025, 5, 30));
        assert_eq!(w.quarters4.describe(), "2024-05-31..2025-05-30");
        assert_eq!(w.last_quarter.describe(), "2025-01-01..2025-03-31");
        assert_eq!(format_month(w.last_month), "2025-04");
        assert!(w.days30.contains(days_from_civil(2025, 5, 1) * DAY));
        assert!(!w.days30.contains(days_from_civil(2025, 4, 30) * DAY));
    }
}
