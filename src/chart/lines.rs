//! Theme rates across documents or groups (`theme_rates.svg`): small
//! multiples, one panel per theme in codebook order, every panel with the
//! same x axis (the documents or groups in the order given) and its own y
//! axis from 0 to a "nice" value above the theme's largest rate. One chart
//! with a line per theme was unreadable with the 14 default themes (eight
//! colours, then dashes; lines of 2 and of 30 per 1,000 on one scale):
//! panels need no legend, and a theme's ups and downs show whatever its
//! level. With a single document it is a dot chart, one row per theme.
//! The caller caps the number of x values ([`super::RATES_MAX`]).
//!
//! Each panel is a `<g class="panel">` holding a `<polyline class="series">`
//! and one `<circle class="point">` per value, with a tooltip.

use super::{fit_labels, tick_label, ticks, truncate, Svg};

const X_LABEL_MAX: f64 = 140.0;
const LEGEND_MAX: f64 = 260.0;
const LINE: &str = "#0072B2";
/// Width of the panels of one row together, in pixels.
const ROW_W: f64 = 840.0;
const PANEL_H: f64 = 80.0;
/// Room above a panel for its title.
const PANEL_HEAD: f64 = 22.0;
/// Room left of a panel for its y tick labels.
const PANEL_LEFT: f64 = 40.0;
const GAP_X: f64 = 20.0;
const GAP_Y: f64 = 18.0;

/// The chart from rows of (x, theme, rate), e.g. (doc_id, theme, per_1000)
/// or (group, theme, rate); x values and themes keep their first-seen order.
pub fn theme_rates(title: &str, subtitle: &str, rows: &[(String, String, f64)]) -> String {
    let mut xs: Vec<&str> = Vec::new();
    let mut themes: Vec<&str> = Vec::new();
    for (x, t, _) in rows {
        if !xs.contains(&x.as_str()) {
            xs.push(x);
        }
        if !themes.contains(&t.as_str()) {
            themes.push(t);
        }
    }
    let value = |x: &str, t: &str| {
        rows.iter()
            .find(|r| r.0 == x && r.1 == t)
            .map(|r| r.2)
            .filter(|v| v.is_finite())
    };
    if xs.len() <= 1 {
        let max = rows
            .iter()
            .map(|r| r.2)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let ticks = ticks(max, 5);
        let scale_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        return dots(
            title,
            subtitle,
            xs.first().copied().unwrap_or(""),
            &themes,
            &ticks,
            scale_max,
            &value,
        );
    }
    panels(title, subtitle, &xs, &themes, &value)
}

/// Small multiples: one panel per theme, in rows of up to three.
fn panels(
    title: &str,
    subtitle: &str,
    xs: &[&str],
    themes: &[&str],
    value: &dyn Fn(&str, &str) -> Option<f64>,
) -> String {
    // Three panels a row while the x labels fit side by side, else two.
    let columns = if xs.len() <= 12 { 3 } else { 2 }.min(themes.len().max(1));
    let rows = themes.len().div_ceil(columns).max(1);
    let panel_w = (ROW_W - (PANEL_LEFT + GAP_X) * columns as f64) / columns as f64;
    let step = panel_w / (xs.len() - 1) as f64;
    // Labels run straight down when the ticks are closer than a short label.
    let (angle, size) = if step < 24.0 {
        (-90.0, 9.0)
    } else {
        (-45.0, 10.0)
    };
    let (x_labels, x_label_w) = fit_labels(xs, X_LABEL_MAX, size, 0.0);
    let drop = if angle < -60.0 {
        x_label_w + 10.0
    } else {
        x_label_w * std::f64::consts::FRAC_1_SQRT_2 + 12.0
    };
    let top = 78.0;
    let cell_h = PANEL_HEAD + PANEL_H + GAP_Y;
    // The x labels sit under the last panel of each column.
    let height = top + cell_h * rows as f64 + drop + 16.0;
    let left0 = 16.0 + PANEL_LEFT;
    let width = left0 + (panel_w + PANEL_LEFT + GAP_X) * columns as f64;
    let mut svg = Svg::new(width, height);
    svg.heading(title, subtitle);
    svg.text(
        16.0,
        62.0,
        11.0,
        "start",
        "#555",
        "One panel per theme, all with the same x axis; each y axis runs from 0 per 1,000 terms to its own top.",
        "",
    );
    for (k, theme) in themes.iter().enumerate() {
        let (row, col) = (k / columns, k % columns);
        let left = left0 + (panel_w + PANEL_LEFT + GAP_X) * col as f64;
        let panel_top = top + cell_h * row as f64 + PANEL_HEAD;
        let last_in_column = k + columns >= themes.len();
        let labels = if last_in_column {
            Some((&x_labels[..], angle, size))
        } else {
            None
        };
        let frame = Frame {
            left,
            top: panel_top,
            width: panel_w,
            step,
        };
        panel(&mut svg, &frame, xs, theme, value, labels);
    }
    svg.finish()
}

/// Where a panel's plot area is.
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    /// Distance between two x values.
    step: f64,
}

/// One theme's panel: title, y ticks at 0 and the top, the line and dots;
/// `labels` (text, angle, size) are drawn under the panel when given.
fn panel(
    svg: &mut Svg,
    f: &Frame,
    xs: &[&str],
    theme: &str,
    value: &dyn Fn(&str, &str) -> Option<f64>,
    labels: Option<(&[String], f64, f64)>,
) {
    let max = xs
        .iter()
        .filter_map(|x| value(x, theme))
        .fold(0.0, f64::max);
    let ticks = ticks(max, 3);
    let scale_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let x_of = |i: usize| f.left + f.step * i as f64;
    let y_of = |v: f64| f.top + PANEL_H - v / scale_max * PANEL_H;
    let bottom = f.top + PANEL_H;
    svg.raw(r#"<g class="panel">"#);
    svg.text(
        f.left,
        f.top - 8.0,
        12.0,
        "start",
        "#222",
        &truncate(theme, f.width, 12.0),
        r#" font-weight="600""#,
    );
    for &t in &ticks {
        let y = y_of(t);
        svg.line(f.left, y, f.left + f.width, y, "#ececec", 1.0);
        svg.text(
            f.left - 5.0,
            y + 3.5,
            9.0,
            "end",
            "#666",
            &tick_label(t),
            "",
        );
    }
    for i in 0..xs.len() {
        svg.line(x_of(i), bottom, x_of(i), bottom + 3.0, "#999", 1.0);
    }
    svg.line(f.left, bottom, f.left + f.width, bottom, "#777", 1.0);
    let points: Vec<String> = xs
        .iter()
        .enumerate()
        .filter_map(|(i, x)| value(x, theme).map(|v| format!("{:.1},{:.1}", x_of(i), y_of(v))))
        .collect();
    svg.raw(&format!(
        r#"<polyline class="series" points="{}" fill="none" stroke="{LINE}" stroke-width="1.8"/>"#,
        points.join(" ")
    ));
    for (i, x) in xs.iter().enumerate() {
        if let Some(v) = value(x, theme) {
            svg.raw(&format!(
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="2.6" fill="{LINE}"><title>{}</title></circle>"#,
                x_of(i),
                y_of(v),
                super::escape(&format!("{x} · {theme}: {v:.2} per 1,000 terms"))
            ));
        }
    }
    if let Some((labels, angle, size)) = labels {
        for (i, label) in labels.iter().enumerate() {
            let (x, y) = (x_of(i) + size * 0.35, bottom + 8.0);
            let (x, y) = if angle < -60.0 {
                (x, y)
            } else {
                (x_of(i), y + 2.0)
            };
            svg.text(
                x,
                y,
                size,
                "end",
                "#222",
                label,
                &format!(r#" transform="rotate({angle} {x:.1} {y:.1})""#),
            );
        }
    }
    svg.raw("</g>");
}

/// One document: a dot per theme, themes as rows.
fn dots(
    title: &str,
    subtitle: &str,
    x: &str,
    themes: &[&str],
    ticks: &[f64],
    scale_max: f64,
    value: &dyn Fn(&str, &str) -> Option<f64>,
) -> String {
    let (labels, label_w) = fit_labels(themes, LEGEND_MAX, 12.0, 40.0);
    let left = 16.0 + label_w + 10.0;
    let top = 64.0;
    let row = 20.0;
    let plot_w = 420.0;
    let plot_h = row * themes.len().max(1) as f64;
    let mut svg = Svg::new((left + plot_w + 60.0).max(560.0), top + plot_h + 44.0);
    svg.heading(title, subtitle);
    let x_of = |v: f64| left + v / scale_max * plot_w;
    for &t in ticks {
        svg.x_tick(x_of(t), top, top + plot_h, t);
    }
    svg.text(
        left + plot_w / 2.0,
        top + plot_h + 32.0,
        11.0,
        "middle",
        "#333",
        "per 1,000 terms",
        "",
    );
    for (k, (theme, label)) in themes.iter().zip(&labels).enumerate() {
        let y = top + row * (k as f64 + 0.5);
        svg.text(left - 8.0, y + 4.0, 12.0, "end", "#222", label, "");
        svg.line(left, y, left + plot_w, y, "#f3f3f3", 1.0);
        if let Some(v) = value(x, theme) {
            svg.raw(&format!(
                r##"<circle class="point" cx="{:.1}" cy="{y:.1}" r="4.5" fill="#0072B2"><title>{}</title></circle>"##,
                x_of(v),
                super::escape(&format!("{theme}: {v:.2} per 1,000 terms"))
            ));
            svg.text(
                x_of(v) + 8.0,
                y + 4.0,
                10.0,
                "start",
                "#333",
                &format!("{v:.1}"),
                "",
            );
        }
    }
    svg.finish()
}
