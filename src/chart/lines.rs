//! Theme rates across documents or groups (`theme_rates.svg`): x is the
//! document (or group) in the order given, y the matches per 1,000 terms,
//! one line per theme with a dot at each value. With a single document it
//! is a dot chart, one row per theme. Lines use the Okabe–Ito colours; past
//! eight themes the colours repeat with a dashed line, and the legend says
//! which is which. The caller caps the number of x values
//! ([`super::RATES_MAX`]).

use super::{fit_labels, tick_label, ticks, Svg, OKABE_ITO};

const DASHES: [&str; 3] = ["", "6 3", "2 3"];
const X_LABEL_MAX: f64 = 140.0;
const LEGEND_MAX: f64 = 260.0;

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
    let max = rows
        .iter()
        .map(|r| r.2)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let ticks = ticks(max, 5);
    let scale_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    if xs.len() <= 1 {
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

    let (x_labels, x_label_w) = fit_labels(&xs, X_LABEL_MAX, 11.0, 0.0);
    let (legend, legend_w) = fit_labels(&themes, LEGEND_MAX, 11.0, 0.0);
    // Rotated x labels run left of their tick by w/√2.
    let left = (x_label_w * std::f64::consts::FRAC_1_SQRT_2 + 16.0).max(60.0);
    let top = 64.0;
    let step = (560.0 / (xs.len() - 1) as f64).clamp(28.0, 200.0);
    let plot_w = step * (xs.len() - 1) as f64;
    let plot_h = 320.0;
    let drop = x_label_w * std::f64::consts::FRAC_1_SQRT_2 + 16.0;
    let legend_x = left + plot_w + 40.0;
    let width = legend_x + 34.0 + legend_w + 16.0;
    let height = (top + plot_h + drop + 36.0).max(top + 18.0 * themes.len() as f64 + 20.0);
    let x_of = |i: usize| left + step * i as f64;
    let y_of = |v: f64| top + plot_h - v / scale_max * plot_h;

    let mut svg = Svg::new(width, height);
    svg.heading(title, subtitle);
    for &t in &ticks {
        let y = y_of(t);
        svg.line(left, y, left + plot_w, y, "#e3e3e3", 1.0);
        svg.text(left - 6.0, y + 4.0, 10.0, "end", "#555", &tick_label(t), "");
    }
    let (yx, yy) = (16.0, top + plot_h / 2.0);
    svg.text(
        yx,
        yy,
        11.0,
        "middle",
        "#333",
        "per 1,000 terms",
        &format!(r#" transform="rotate(-90 {yx:.1} {yy:.1})""#),
    );
    for (i, label) in x_labels.iter().enumerate() {
        let x = x_of(i);
        let y = top + plot_h + 12.0;
        svg.line(x, top + plot_h, x, top + plot_h + 4.0, "#555", 1.0);
        svg.text(
            x,
            y,
            11.0,
            "end",
            "#222",
            label,
            &format!(r#" transform="rotate(-45 {x:.1} {y:.1})""#),
        );
    }
    for (k, theme) in themes.iter().enumerate() {
        let colour = OKABE_ITO[k % OKABE_ITO.len()];
        let dash = DASHES[(k / OKABE_ITO.len()) % DASHES.len()];
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let points: Vec<(f64, f64)> = xs
            .iter()
            .enumerate()
            .filter_map(|(i, x)| value(x, theme).map(|v| (x_of(i), y_of(v))))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        svg.raw(&format!(
            r#"<polyline class="series" points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>"#,
            path.join(" ")
        ));
        for (i, x) in xs.iter().enumerate() {
            if let Some(v) = value(x, theme) {
                svg.raw(&format!(
                    r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{}</title></circle>"#,
                    x_of(i),
                    y_of(v),
                    super::escape(&format!("{x} · {theme}: {v:.2} per 1,000 terms"))
                ));
            }
        }
        let ly = top + 18.0 * k as f64;
        svg.raw(&format!(
            r#"<line x1="{legend_x:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash_attr}/>"#,
            legend_x + 24.0
        ));
        svg.text(
            legend_x + 30.0,
            ly + 4.0,
            11.0,
            "start",
            "#222",
            &legend[k],
            "",
        );
    }
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, "#555", 1.0);
    svg.finish()
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
