//! Finds, by re-running a check, the value of one metric at which it starts
//! to hold: the threshold the metric is held against. Searches along the
//! metric's direction within its declared bounds, so thresholds are never
//! written by hand and always agree with the script.

use crate::engine::assessment::Comparison;
use crate::engine::model::metric_spec::{Direction, MetricKind, MetricSpec};
use crate::engine::value::MetricValue;

use super::decimal::{self, Searched, Sides};

/// Halvings of the search interval: 2^-36 of a ratio's range is far finer
/// than any threshold a consultant writes.
const BISECTIONS: u32 = 36;
/// How far an unbounded metric is searched.
const UNBOUNDED: f64 = 1e12;

/// Where a check starts to hold along one metric.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Threshold {
    /// How a value must compare with `value`.
    pub(crate) comparison: Comparison,
    /// The threshold, rounded to the coarsest decimal the check agrees with.
    pub(crate) value: MetricValue,
    /// The least good value at which the check holds (equals `value` unless
    /// the comparison is strict).
    pub(crate) target: MetricValue,
}

/// The threshold of `spec` in `holds`, searched along its direction, or
/// `None` when the metric has no direction, the check holds everywhere, or
/// it holds nowhere in the metric's bounds.
pub(crate) fn threshold<E>(
    spec: &MetricSpec,
    mut holds: impl FnMut(&MetricValue) -> Result<bool, E>,
) -> Result<Option<Threshold>, E> {
    let mut at = |x: f64| holds(&number(spec.kind, x));
    match (spec.direction, spec.kind) {
        (Direction::True | Direction::False, MetricKind::Flag) => {
            let good = spec.direction == Direction::True;
            let better = holds(&MetricValue::Flag(good))?;
            let worse = holds(&MetricValue::Flag(!good))?;
            Ok((better && !worse).then_some(Threshold {
                comparison: Comparison::Is,
                value: MetricValue::Flag(good),
                target: MetricValue::Flag(good),
            }))
        }
        (Direction::Higher | Direction::Lower, _) => {
            let (low, high) = bounds(spec);
            let (worst, best, inclusive, strict) = if spec.direction == Direction::Higher {
                (low, high, Comparison::AtLeast, Comparison::MoreThan)
            } else {
                (high, low, Comparison::AtMost, Comparison::LessThan)
            };
            let Some(best) = reach(worst, best, &mut at)? else {
                return Ok(None);
            };
            if at(worst)? {
                return Ok(None);
            }
            let (mut fail, mut pass) = (worst, best);
            if worst.is_finite() {
                let resolution = (best - worst).abs() / 2f64.powi(BISECTIONS as i32);
                let sides = Sides {
                    inclusive,
                    strict,
                    resolution,
                };
                match decimal::search(spec.kind, (worst, best), &sides, &mut at)? {
                    Searched::Found(threshold) => return Ok(Some(threshold)),
                    Searched::Narrowed(f, p) => (fail, pass) = (f, p),
                }
            }
            let (fail, pass) = bisect(spec.kind, fail, pass, &mut at)?;
            found(spec.kind, fail, pass, inclusive, strict, &mut at)
        }
        _ => Ok(None),
    }
}

/// The value at the better end of the metric's range (far out when that end
/// is open): what a probe assumes for a metric it does not vary.
pub(crate) fn best_value(spec: &MetricSpec) -> Option<MetricValue> {
    spec.best_value()
}

/// The declared range, open ends left infinite.
fn bounds(spec: &MetricSpec) -> (f64, f64) {
    (
        spec.min.unwrap_or(f64::NEG_INFINITY),
        spec.max.unwrap_or(f64::INFINITY),
    )
}

/// A value that holds, from the best end of the range (walking out from
/// `worst` by doubling when that end is open), or `None`.
fn reach<E>(
    worst: f64,
    best: f64,
    at: &mut impl FnMut(f64) -> Result<bool, E>,
) -> Result<Option<f64>, E> {
    if best.is_finite() {
        return Ok(at(best)?.then_some(best));
    }
    let sign = best.signum();
    let mut step = 1.0;
    while step <= UNBOUNDED {
        let x = if worst.is_finite() {
            worst + sign * step
        } else {
            sign * step
        };
        if at(x)? {
            return Ok(Some(x));
        }
        step *= 2.0;
    }
    Ok(None)
}

/// Narrows (fail, pass) down to the boundary between them.
fn bisect<E>(
    kind: MetricKind,
    mut fail: f64,
    mut pass: f64,
    at: &mut impl FnMut(f64) -> Result<bool, E>,
) -> Result<(f64, f64), E> {
    if !fail.is_finite() {
        fail = pass - pass.signum().max(1.0) * UNBOUNDED;
    }
    for _ in 0..BISECTIONS {
        let mid = fail + (pass - fail) / 2.0;
        let mid = if kind == MetricKind::Count {
            mid.round()
        } else {
            mid
        };
        if mid == fail || mid == pass {
            break;
        }
        if at(mid)? {
            pass = mid;
        } else {
            fail = mid;
        }
    }
    Ok((fail, pass))
}

/// The threshold between `fail` and `pass`: the coarsest decimal between
/// them, inclusive when the check holds at it and strict when it does not.
fn found<E>(
    kind: MetricKind,
    fail: f64,
    pass: f64,
    inclusive: Comparison,
    strict: Comparison,
    at: &mut impl FnMut(f64) -> Result<bool, E>,
) -> Result<Option<Threshold>, E> {
    if kind == MetricKind::Count {
        // Whole numbers: the first that holds is the threshold.
        return Ok(Some(Threshold {
            comparison: inclusive,
            value: number(kind, pass),
            target: number(kind, pass),
        }));
    }
    let nice = coarsest_between(fail.min(pass), fail.max(pass));
    let (comparison, target) = if at(nice)? {
        (inclusive, nice)
    } else {
        let past = coarsest_between(nice.min(pass), nice.max(pass));
        let past = if past == nice { pass } else { past };
        (strict, if at(past)? { past } else { pass })
    };
    Ok(Some(Threshold {
        comparison,
        value: number(kind, nice),
        target: number(kind, target),
    }))
}

/// The decimal with the fewest digits in [low, high].
fn coarsest_between(low: f64, high: f64) -> f64 {
    for digits in 0..=12 {
        let scale = 10f64.powi(digits);
        let candidate = (low * scale).ceil() / scale;
        if candidate <= high {
            return candidate;
        }
    }
    high
}

/// `x` as a value of a metric of `kind` (whole, for counts).
pub(crate) fn number(kind: MetricKind, x: f64) -> MetricValue {
    match kind {
        MetricKind::Count => MetricValue::Number(x.round()),
        _ => MetricValue::Number(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(
        kind: MetricKind,
        direction: Direction,
        min: Option<f64>,
        max: Option<f64>,
    ) -> MetricSpec {
        MetricSpec {
            name: "x".into(),
            kind,
            min,
            max,
            direction,
            description: String::new(),
            allowed: Vec::new(),
        }
    }

    fn find(
        spec: &MetricSpec,
        mut rule: impl FnMut(f64) -> bool,
    ) -> Option<(Comparison, f64, f64)> {
        let found = threshold(spec, |v| match v {
            MetricValue::Number(x) => Ok::<_, ()>(rule(*x)),
            _ => Ok(false),
        })
        .unwrap()?;
        let (MetricValue::Number(value), MetricValue::Number(target)) = (found.value, found.target)
        else {
            panic!("not numbers")
        };
        Some((found.comparison, value, target))
    }

    #[test]
    fn finds_inclusive_and_strict_thresholds_on_ratios() {
        let ratio = spec(MetricKind::Ratio, Direction::Higher, Some(0.0), Some(1.0));
        assert_eq!(
            find(&ratio, |x| x >= 0.85),
            Some((Comparison::AtLeast, 0.85, 0.85))
        );
        let (comparison, value, target) = find(&ratio, |x| x > 0.5).unwrap();
        assert_eq!((comparison, value), (Comparison::MoreThan, 0.5));
        assert!(target > 0.5 && target < 0.5001, "{target}");
        let lower = spec(MetricKind::Ratio, Direction::Lower, Some(0.0), Some(1.0));
        assert_eq!(
            find(&lower, |x| x <= 0.2),
            Some((Comparison::AtMost, 0.2, 0.2))
        );
        assert_eq!(
            find(&lower, |x| x < 0.3).map(|t| (t.0, t.1)),
            Some((Comparison::LessThan, 0.3))
        );
    }

    #[test]
    fn finds_whole_counts_and_unbounded_thresholds() {
        let count = spec(MetricKind::Count, Direction::Higher, Some(0.0), None);
        assert_eq!(
            find(&count, |x| x >= 4.0),
            Some((Comparison::AtLeast, 4.0, 4.0))
        );
        assert_eq!(
            find(&count, |x| x > 1000.0),
            Some((Comparison::AtLeast, 1001.0, 1001.0))
        );
        let days = spec(MetricKind::Number, Direction::Lower, Some(1.0), Some(365.0));
        assert_eq!(
            find(&days, |x| x <= 30.0),
            Some((Comparison::AtMost, 30.0, 30.0))
        );
    }

    #[test]
    fn no_threshold_when_always_never_or_directionless() {
        let ratio = spec(MetricKind::Ratio, Direction::Higher, Some(0.0), Some(1.0));
        assert_eq!(find(&ratio, |_| true), None);
        assert_eq!(find(&ratio, |_| false), None);
        let context = spec(MetricKind::Count, Direction::None, Some(0.0), None);
        assert_eq!(find(&context, |x| x > 3.0), None);
    }

    /// The threshold by bisection alone, as the search found it before its
    /// decimal fast path.
    fn by_bisection(spec: &MetricSpec, rule: impl Fn(f64) -> bool) -> Option<(Comparison, f64)> {
        let mut at = |x: f64| Ok::<_, ()>(rule(as_number(number(spec.kind, x))));
        let (low, high) = bounds(spec);
        let (worst, best, inclusive, strict) = match spec.direction {
            Direction::Higher => (low, high, Comparison::AtLeast, Comparison::MoreThan),
            _ => (high, low, Comparison::AtMost, Comparison::LessThan),
        };
        let best = reach(worst, best, &mut at).unwrap()?;
        let (fail, pass) = bisect(spec.kind, worst, best, &mut at).unwrap();
        let found = found(spec.kind, fail, pass, inclusive, strict, &mut at).unwrap()?;
        Some((found.comparison, as_number(found.value)))
    }

    fn as_number(value: MetricValue) -> f64 {
        match value {
            MetricValue::Number(x) => x,
            other => panic!("not a number: {other:?}"),
        }
    }

    #[test]
    fn the_decimal_fast_path_finds_what_bisection_finds_in_a_few_runs() {
        let ratio = spec(MetricKind::Ratio, Direction::Higher, Some(0.0), Some(1.0));
        let days = spec(MetricKind::Number, Direction::Lower, Some(1.0), Some(365.0));
        let count = spec(MetricKind::Count, Direction::Higher, Some(0.0), Some(1e6));
        let hundredths: Vec<f64> = (1..100).map(|k| k as f64 / 100.0).collect();
        let thousandths = (1..1000).step_by(7).map(|k| k as f64 / 1000.0).collect();
        let whole_days = (2..365).map(f64::from).chain([7.5, 30.25]).collect();
        let counts = (1..2000).step_by(13).map(f64::from).collect();
        // Each with the most runs of the check it may take (bisection alone
        // takes about forty).
        let thresholds = [
            (&ratio, hundredths, 14),
            (&ratio, thousandths, 20),
            (&days, whole_days, 24),
            (&count, counts, 23),
        ];
        for (spec, values, most) in thresholds {
            let mut worst_runs = 0;
            for t in values {
                for strict in [false, true] {
                    let rule = |x: f64| match (spec.direction, strict) {
                        (Direction::Higher, false) => x >= t,
                        (Direction::Higher, true) => x > t,
                        (_, false) => x <= t,
                        (_, true) => x < t,
                    };
                    let mut runs = 0;
                    let fast = find(spec, |x| {
                        runs += 1;
                        rule(x)
                    });
                    let slow = by_bisection(spec, rule);
                    let what = format!("{t} (strict: {strict}) on {:?}", spec.kind);
                    assert_eq!(fast.map(|f| (f.0, f.1)), slow, "{what}");
                    worst_runs = worst_runs.max(runs);
                }
            }
            assert!(worst_runs <= most, "{worst_runs} runs on {:?}", spec.kind);
        }
    }

    #[test]
    fn flags_must_be_true() {
        let flag = spec(MetricKind::Flag, Direction::True, None, None);
        let found = threshold(&flag, |v| Ok::<_, ()>(v == &MetricValue::Flag(true))).unwrap();
        assert_eq!(found.map(|t| t.comparison), Some(Comparison::Is));
    }
}
