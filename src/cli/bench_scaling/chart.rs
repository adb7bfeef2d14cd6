//! A line chart as SVG, written by hand so the bench needs no plotting
//! crate: measured points on log-log axes with a dashed line of slope one
//! through the first point, so "linear or better" reads as "on or under the
//! dashed line".

use std::fmt::Write;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// One chart: a title, axis labels and the measured points (x, y > 0).
#[derive(Debug, Clone)]
pub(super) struct Chart {
    pub(super) title: String,
    pub(super) x_label: String,
    pub(super) y_label: String,
    pub(super) points: Vec<(f64, f64)>,
}

impl Chart {
    /// The chart as an SVG document.
    pub(super) fn svg(&self) -> String {
        let points: Vec<(f64, f64)> = self
            .points
            .iter()
            .copied()
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
            .collect();
        let linear: Vec<(f64, f64)> = match (points.first(), points.last()) {
            (Some(&(x0, y0)), Some(&(x1, _))) => vec![(x0, y0), (x1, y0 * x1 / x0)],
            _ => Vec::new(),
        };
        let all = points.iter().chain(&linear);
        let (xs, ys): (Vec<f64>, Vec<f64>) = all.map(|(x, y)| (x.log10(), y.log10())).unzip();
        let span = |v: &[f64]| {
            let low = v.iter().copied().fold(f64::INFINITY, f64::min).floor();
            let high = v.iter().copied().fold(f64::NEG_INFINITY, f64::max).ceil();
            if low.is_finite() {
                (low, high.max(low + 1.0))
            } else {
                (0.0, 1.0)
            }
        };
        let ((x_low, x_high), (y_low, y_high)) = (span(&xs), span(&ys));
        let at = |(x, y): (f64, f64)| {
            let px = LEFT + (x.log10() - x_low) / (x_high - x_low) * (WIDTH - LEFT - RIGHT);
            let py =
                HEIGHT - BOTTOM - (y.log10() - y_low) / (y_high - y_low) * (HEIGHT - TOP - BOTTOM);
            (px, py)
        };
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
             font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
            WIDTH / 2.0,
            escape(&self.title)
        );
        axes(&mut svg, (x_low, x_high), (y_low, y_high), &at);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n\
             <text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            (LEFT + WIDTH - RIGHT) / 2.0,
            HEIGHT - 10.0,
            escape(&self.x_label),
            (TOP + HEIGHT - BOTTOM) / 2.0,
            escape(&self.y_label)
        );
        let _ = writeln!(
            svg,
            "<polyline class=\"linear\" fill=\"none\" stroke=\"#999\" stroke-dasharray=\"5 4\" points=\"{}\"/>",
            polyline(&linear, &at)
        );
        let _ = writeln!(
            svg,
            "<polyline class=\"measured\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\" points=\"{}\"/>",
            polyline(&points, &at)
        );
        for &point in &points {
            let (px, py) = at(point);
            let _ = writeln!(
                svg,
                "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"3.5\" fill=\"#1f5fa8\"/>"
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" fill=\"#777\">dashed: linear growth from the first point</text>",
            LEFT + 8.0,
            TOP + 12.0
        );
        svg + "</svg>\n"
    }
}

/// Grid lines and labels at each power of ten.
fn axes(svg: &mut String, x: (f64, f64), y: (f64, f64), at: &dyn Fn((f64, f64)) -> (f64, f64)) {
    let mut e = x.0;
    while e <= x.1 {
        let (px, _) = at((10f64.powf(e), 10f64.powf(y.0)));
        let _ = writeln!(
            svg,
            "<line x1=\"{px:.1}\" y1=\"{TOP}\" x2=\"{px:.1}\" y2=\"{}\" stroke=\"#eee\"/>\
             <text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 16.0,
            power(e)
        );
        e += 1.0;
    }
    let mut e = y.0;
    while e <= y.1 {
        let (_, py) = at((10f64.powf(x.0), 10f64.powf(e)));
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{py:.1}\" x2=\"{}\" y2=\"{py:.1}\" stroke=\"#eee\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            py + 4.0,
            power(e)
        );
        e += 1.0;
    }
}

fn power(exponent: f64) -> String {
    let value = 10f64.powf(exponent);
    if (1e-3..1e6).contains(&value) {
        format!("{}", (value * 1000.0).round() / 1000.0)
    } else {
        format!("1e{exponent}")
    }
}

fn polyline(points: &[(f64, f64)], at: &dyn Fn((f64, f64)) -> (f64, f64)) -> String {
    let coordinates: Vec<String> = points
        .iter()
        .map(|&p| {
            let (px, py) = at(p);
            format!("{px:.1},{py:.1}")
        })
        .collect();
    coordinates.join(" ")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
