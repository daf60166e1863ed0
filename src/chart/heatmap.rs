//! Heatmap of one document: sections (rows, in document order, labelled
//! `section_id label`) × themes (columns). A cell's colour is the theme's
//! matches per 1,000 terms of the section (viridis on a square-root scale,
//! light = low, dark = high; grey = no match); the number in it is the match
//! count.
//!
//! Rows are 18 px high (14 px above 40 sections), so a 60-paragraph UN
//! speech stays readable on one page; row labels are cut with `…` to 260 px.
//! Every cell is a `<rect class="cell">` with a tooltip.

use super::{tick_label, truncate, viridis, viridis_dark, Svg};

/// One cell: (match count, per_1000).
pub type Value = (u64, f64);

const LABEL_MAX: f64 = 260.0;
const THEME_LABEL_MAX: f64 = 200.0;
const COLUMN: f64 = 40.0;
const NO_MATCH: &str = "#ececec";

/// The heatmap SVG. `cells[s][t]` is section `s`, theme `t`.
pub fn heatmap(
    doc_id: &str,
    sections: &[String],
    themes: &[String],
    cells: &[Vec<Value>],
) -> String {
    let many = sections.len() > 40;
    let row = if many { 14.0 } else { 18.0 };
    let font = if many { 10.0 } else { 11.0 };
    let labels: Vec<String> = sections
        .iter()
        .map(|l| truncate(l, LABEL_MAX, font))
        .collect();
    let theme_labels: Vec<String> = themes
        .iter()
        .map(|t| truncate(t, THEME_LABEL_MAX, 11.0))
        .collect();
    let label_w = labels
        .iter()
        .map(|l| super::text_width(l, font))
        .fold(60.0, f64::max);
    let theme_w = theme_labels
        .iter()
        .map(|l| super::text_width(l, 11.0))
        .fold(0.0, f64::max);
    // Theme labels are rotated 45°: they rise and run right by w/√2.
    let rise = theme_w * std::f64::consts::FRAC_1_SQRT_2;
    let left = 16.0 + label_w + 8.0;
    let top = 60.0 + rise + 12.0;
    let grid_w = COLUMN * themes.len() as f64;
    let grid_h = row * sections.len() as f64;
    let legend_x = left + grid_w + rise.max(24.0) + 8.0;
    let width = (legend_x + 110.0).max(520.0);
    let height = top + grid_h.max(150.0) + 40.0;

    let max = cells
        .iter()
        .flatten()
        .map(|v| v.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    // Square-root scale: one short section with a high rate does not wash
    // out the rest (the legend's ticks sit at their square-root positions).
    let shade = |v: f64| {
        if max > 0.0 {
            1.0 - (v / max).sqrt()
        } else {
            1.0
        }
    };

    let mut svg = Svg::new(width, height);
    svg.heading(
        &format!("Themes by section — {doc_id}"),
        "Colour: theme matches per 1,000 terms of the section (square-root scale; grey: none). Number: matches.",
    );
    for (t, label) in theme_labels.iter().enumerate() {
        let x = left + COLUMN * (t as f64 + 0.5) + 3.0;
        let y = top - 6.0;
        svg.text(
            x,
            y,
            11.0,
            "start",
            "#222",
            label,
            &format!(r#" transform="rotate(-45 {x:.1} {y:.1})""#),
        );
    }
    for (s, label) in labels.iter().enumerate() {
        let y = top + row * s as f64;
        svg.text(
            left - 8.0,
            y + row / 2.0 + font * 0.35,
            font,
            "end",
            "#222",
            label,
            "",
        );
        for (t, theme) in themes.iter().enumerate() {
            let (count, rate) = cells
                .get(s)
                .and_then(|r| r.get(t))
                .copied()
                .unwrap_or((0, 0.0));
            let tip = format!(
                "{} · {theme}: {count} match{}, {:.1} per 1,000 terms",
                sections[s],
                if count == 1 { "" } else { "es" },
                rate
            );
            let at = (left + COLUMN * t as f64, y, row, font);
            cell(&mut svg, at, (count, shade(rate)), &tip);
        }
    }
    legend(&mut svg, legend_x, top, max);
    svg.finish()
}

/// One cell of the grid at `(x, y)`, `row` high, with its number in `font`
/// size: grey without matches, else coloured by `shade` (0 dark … 1 light).
fn cell(svg: &mut Svg, (x, y, row, font): (f64, f64, f64, f64), value: Value, tip: &str) {
    let (count, shade) = value;
    let fill = match count {
        0 => NO_MATCH.to_string(),
        _ => viridis(shade),
    };
    svg.rect(
        "cell",
        x + 0.5,
        y + 0.5,
        COLUMN - 1.0,
        row - 1.0,
        &fill,
        tip,
    );
    if count > 0 {
        let ink = match viridis_dark(shade) {
            true => "#ffffff",
            false => "#222222",
        };
        let (cx, cy) = (x + COLUMN / 2.0, y + row / 2.0 + font * 0.35);
        svg.text(cx, cy, font, "middle", ink, &count.to_string(), "");
    }
}

/// A vertical colour bar: per_1000 from 0 (bottom) to `max` (top).
fn legend(svg: &mut Svg, x: f64, top: f64, max: f64) {
    let h = 120.0;
    svg.text(x, top - 22.0, 11.0, "start", "#222", "per 1,000", "");
    svg.text(x, top - 9.0, 11.0, "start", "#222", "terms", "");
    let mut stops = String::new();
    for i in 0..=10 {
        let t = f64::from(i) / 10.0;
        stops.push_str(&format!(
            r#"<stop offset="{t:.1}" stop-color="{}"/>"#,
            viridis(t)
        ));
    }
    svg.raw(&format!(
        r#"<defs><linearGradient id="scale" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs>"#
    ));
    svg.raw(&format!(
        r#"<rect x="{x:.1}" y="{top:.1}" width="14" height="{h}" fill="url(#scale)"/>"#
    ));
    let ticks = if max > 0.0 {
        vec![0.0, max / 16.0, max / 4.0, max]
    } else {
        vec![0.0]
    };
    for v in ticks {
        let y = top + h - if max > 0.0 { (v / max).sqrt() * h } else { 0.0 };
        svg.line(x + 14.0, y, x + 18.0, y, "#222", 1.0);
        let label = if v >= 10.0 {
            tick_label(v.round())
        } else {
            tick_label((v * 10.0).round() / 10.0)
        };
        svg.text(x + 21.0, y + 4.0, 10.0, "start", "#222", &label, "");
    }
    let y = top + h + 14.0;
    svg.raw(&format!(
        r##"<rect x="{x:.1}" y="{y:.1}" width="14" height="12" fill="{NO_MATCH}" stroke="#bbbbbb" stroke-width="0.5"/>"##
    ));
    svg.text(x + 21.0, y + 10.0, 10.0, "start", "#222", "no match", "");
}
