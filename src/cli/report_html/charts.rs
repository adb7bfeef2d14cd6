//! The report's charts, drawn as inline SVG: the ladder of levels with the
//! proven level and the ceiling marked, and a radar of the dimensions (bars
//! when there are fewer than three).

use std::fmt::Write;

use super::escape;
use crate::engine::{Assessment, DimensionResult, Level};

/// The ladder: one rung per level, the proven ones filled, those up to the
/// ceiling hatched as possible.
pub(super) fn ladder(a: &Assessment, levels: &[Level]) -> String {
    let (width, rung, gap) = (360.0, 34.0, 8.0);
    let height = levels.len() as f64 * (rung + gap) + gap;
    let mut svg = format!(
        r##"<svg class="chart ladder" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="Levels: proven {} of {}, could be {}">"##,
        a.level.rank,
        levels.len(),
        a.ceiling.rank
    );
    svg.push_str(
        r##"<defs><pattern id="possible" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#eef3fb"/><line x1="0" y1="0" x2="0" y2="8" stroke="#9db4dc" stroke-width="3"/></pattern></defs>"##,
    );
    // Highest level on top.
    for (i, level) in levels.iter().rev().enumerate() {
        let y = gap + i as f64 * (rung + gap);
        let (fill, note) = if level.rank <= a.level.rank {
            ("#2f6fb2", "proven")
        } else if level.rank <= a.ceiling.rank {
            ("url(#possible)", "possible")
        } else {
            ("#f2f2f2", "")
        };
        let text = if level.rank <= a.level.rank {
            "#ffffff"
        } else {
            "#222222"
        };
        let _ = write!(
            svg,
            r##"<rect x="4" y="{y}" width="{w}" height="{rung}" rx="5" fill="{fill}" stroke="#2f6fb2"/><text x="16" y="{ty}" fill="{text}" font-size="14">{} {}</text><text x="{nx}" y="{ty}" fill="{text}" font-size="12" text-anchor="end">{note}</text>"##,
            level.rank,
            escape(&level.name),
            w = width - 8.0,
            ty = y + rung / 2.0 + 5.0,
            nx = width - 16.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A radar of the dimensions' scores, or bars when there are too few axes
/// for a radar to mean anything.
pub(super) fn dimensions(dims: &[DimensionResult]) -> String {
    if dims.len() < 3 {
        return bars(dims);
    }
    // Wide enough for the labels either side of the web, "(44%, up to 56%)"
    // included.
    let (width, height, radius) = (720.0, 360.0, 120.0);
    let (cx, cy) = (width / 2.0, height / 2.0);
    let point = |i: usize, r: f64| {
        let angle =
            std::f64::consts::TAU * i as f64 / dims.len() as f64 - std::f64::consts::FRAC_PI_2;
        (cx + r * angle.cos(), cy + r * angle.sin())
    };
    let mut svg = format!(
        r##"<svg class="chart radar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="Dimensions">"##
    );
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let ring_points: Vec<String> = (0..dims.len())
            .map(|i| {
                let (x, y) = point(i, radius * ring);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            r##"<polygon points="{}" fill="none" stroke="#d0d7e2"/>"##,
            ring_points.join(" ")
        );
    }
    for (i, d) in dims.iter().enumerate() {
        let (x, y) = point(i, radius);
        let (lx, ly) = point(i, radius + 14.0);
        let anchor = if (lx - cx).abs() < 1.0 {
            "middle"
        } else if lx < cx {
            "end"
        } else {
            "start"
        };
        let _ = write!(
            svg,
            r##"<line x1="{cx}" y1="{cy}" x2="{x:.1}" y2="{y:.1}" stroke="#d0d7e2"/><text x="{lx:.1}" y="{ly:.1}" font-size="12" text-anchor="{anchor}" dominant-baseline="middle">{} ({})</text>"##,
            escape(&d.name),
            share_words(d)
        );
    }
    let shape = |share: fn(&DimensionResult) -> f64| -> String {
        let points: Vec<String> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (x, y) = point(i, radius * share(d).clamp(0.0, 1.0));
                format!("{x:.1},{y:.1}")
            })
            .collect();
        points.join(" ")
    };
    // What is unknown for want of data is drawn as possible, dashed, never
    // as failed.
    let _ = write!(
        svg,
        r##"<polygon points="{}" fill="none" stroke="#2f6fb2" stroke-width="1.5" stroke-dasharray="5 4"/><polygon points="{}" fill="#2f6fb2" fill-opacity="0.35" stroke="#2f6fb2" stroke-width="2"/></svg>"##,
        shape(DimensionResult::possible),
        shape(|d| d.score)
    );
    svg
}

/// A dimension's share passed, and how far it could go on what is unknown.
fn share_words(d: &DimensionResult) -> String {
    let percent = |share: f64| format!("{:.0}%", share * 100.0);
    match (d.unknown, d.passed) {
        (0, _) => percent(d.score),
        (unknown, 0) if unknown == d.total => "no data".into(),
        _ => format!("{}, up to {}", percent(d.score), percent(d.possible())),
    }
}

fn bars(dims: &[DimensionResult]) -> String {
    let (width, bar) = (420.0, 26.0);
    let height = dims.len() as f64 * (bar + 10.0) + 10.0;
    let mut svg = format!(
        r##"<svg class="chart bars" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="Dimensions">"##
    );
    for (i, d) in dims.iter().enumerate() {
        let y = 10.0 + i as f64 * (bar + 10.0);
        let _ = write!(
            svg,
            r##"<text x="0" y="{ty}" font-size="12">{} ({})</text><rect x="170" y="{y}" width="240" height="{bar}" fill="#f2f2f2"/><rect x="170" y="{y}" width="{possible:.1}" height="{bar}" fill="none" stroke="#2f6fb2" stroke-dasharray="5 4"/><rect x="170" y="{y}" width="{w:.1}" height="{bar}" fill="#2f6fb2"/>"##,
            escape(&d.name),
            share_words(d),
            ty = y + bar / 2.0 + 4.0,
            possible = 240.0 * d.possible().clamp(0.0, 1.0),
            w = 240.0 * d.score.clamp(0.0, 1.0)
        );
    }
    svg.push_str("</svg>");
    svg
}
