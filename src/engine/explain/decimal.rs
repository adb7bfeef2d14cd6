//! The threshold search's fast path: the decimals a consultant writes
//! (0.6, 30, 0.25) are tried first, coarsest first, so a threshold with few
//! significant digits is found in a handful of runs of the check instead of
//! the thirty-six a bisection takes.

use crate::engine::assessment::Comparison;
use crate::engine::model::metric_spec::MetricKind;

use super::probe::{Threshold, number};

/// Decimal places (below the range's own magnitude) tried before the
/// search falls back to bisection; whole counts are always searched down
/// to units.
const LEVELS: i32 = 4;

/// What the decimal search found: the threshold, or the narrower bracket
/// (failing end, holding end) a bisection should finish.
pub(crate) enum Searched {
    Found(Threshold),
    Narrowed(f64, f64),
}

/// How the search compares a value with the threshold it is looking for.
pub(crate) struct Sides {
    /// The comparison when the check holds at the threshold itself.
    pub(crate) inclusive: Comparison,
    /// The comparison when it holds only past it.
    pub(crate) strict: Comparison,
    /// The width below which two values are the same to the search (the
    /// bisection's own resolution).
    pub(crate) resolution: f64,
}

/// Searches (fail, pass), both finite, for a threshold on a decimal grid
/// that is ten times finer at each level. `at` tells whether the check
/// holds at a value.
pub(crate) fn search<E>(
    kind: MetricKind,
    (mut fail, mut pass): (f64, f64),
    sides: &Sides,
    at: &mut impl FnMut(f64) -> Result<bool, E>,
) -> Result<Searched, E> {
    let toward_pass = (pass - fail).signum();
    let magnitude = (pass - fail).abs().log10().floor() as i32;
    let counts = kind == MetricKind::Count;
    let first = if counts {
        magnitude.max(0)
    } else {
        magnitude - 1
    };
    let last = if counts { 0 } else { first - LEVELS + 1 };
    // An end already tried just short of (or past) needs no second try.
    let (mut tried_pass, mut tried_fail) = (f64::NAN, f64::NAN);
    for exponent in (last..=first).rev() {
        (fail, pass) = narrow(exponent, (fail, pass), at)?;
        if counts {
            continue;
        }
        if pass != tried_pass && on_grid(pass, exponent) {
            tried_pass = pass;
            if !at(pass - toward_pass * sides.resolution)? {
                let found = threshold(kind, sides.inclusive, pass, pass);
                return Ok(Searched::Found(found));
            }
        }
        let past = fail + toward_pass * sides.resolution;
        if fail != tried_fail && on_grid(fail, exponent) {
            tried_fail = fail;
            if at(past)? {
                return Ok(Searched::Found(threshold(kind, sides.strict, fail, past)));
            }
        }
    }
    // Whole numbers: down to units, the first that holds is the threshold.
    if counts {
        return Ok(Searched::Found(threshold(
            kind,
            sides.inclusive,
            pass,
            pass,
        )));
    }
    Ok(Searched::Narrowed(fail, pass))
}

fn threshold(kind: MetricKind, comparison: Comparison, value: f64, target: f64) -> Threshold {
    Threshold {
        comparison,
        value: number(kind, value),
        target: number(kind, target),
    }
}

/// Narrows (fail, pass) to neighbouring points of the grid of step
/// 10^`exponent` (or to a bracket end, when no grid point lies between it
/// and the boundary) by bisecting over the grid points strictly inside.
fn narrow<E>(
    exponent: i32,
    (fail, pass): (f64, f64),
    at: &mut impl FnMut(f64) -> Result<bool, E>,
) -> Result<(f64, f64), E> {
    let step = 10f64.powi(exponent);
    let (low, high) = (fail.min(pass), fail.max(pass));
    let (mut first, mut last) = (
        (low / step).floor() as i64 + 1,
        (high / step).ceil() as i64 - 1,
    );
    if grid(first, exponent) <= low {
        first += 1;
    }
    if grid(last, exponent) >= high {
        last -= 1;
    }
    if first > last {
        return Ok((fail, pass));
    }
    // Indices first - 1 and last + 1 stand for the bracket's own ends.
    let higher_holds = pass > fail;
    let (mut below, mut above) = (first - 1, last + 1);
    while above - below > 1 {
        let middle = below + (above - below) / 2;
        if at(grid(middle, exponent))? == higher_holds {
            above = middle;
        } else {
            below = middle;
        }
    }
    let value = |index: i64, end: f64| match (first..=last).contains(&index) {
        true => grid(index, exponent),
        false => end,
    };
    Ok(match higher_holds {
        true => (value(below, fail), value(above, pass)),
        false => (value(above, fail), value(below, pass)),
    })
}

/// The `index`th point of the grid of step 10^`exponent`, computed as the
/// threshold search rounds decimals (so the same decimal compares equal).
fn grid(index: i64, exponent: i32) -> f64 {
    match exponent >= 0 {
        true => index as f64 * 10f64.powi(exponent),
        false => index as f64 / 10f64.powi(-exponent),
    }
}

/// Whether `x` is a point of the grid of step 10^`exponent`.
fn on_grid(x: f64, exponent: i32) -> bool {
    let index = (x / 10f64.powi(exponent)).round() as i64;
    grid(index, exponent) == x
}
