//! Horizontal bar chart: one bar per item, largest on top, the value printed
//! at the bar's end. Used for the top terms of a document
//! (`top_terms_<doc>.svg`, at most [`TOP`] bars). Every bar is a
//! `<rect class="bar">` with a tooltip.

use super::{fit_labels, tick_label, ticks, Svg};

/// Bars in a top-terms chart.
pub const TOP: usize = 20;

const LABEL_MAX: f64 = 180.0;
const PLOT_W: f64 = 420.0;
const ROW: f64 = 20.0;
const COLOUR: &str = "#0072B2";

/// Top terms of one document: `terms` are (term, count), already sorted by
/// count descending; only the first [`TOP`] are drawn.
pub fn top_terms(doc_id: &str, terms: &[(String, u64)], n_terms: u64) -> String {
    let items: Vec<(String, f64)> = terms
        .iter()
        .take(TOP)
        .map(|(t, c)| (t.clone(), *c as f64))
        .collect();
    bars(
        &format!("Top terms — {doc_id}"),
        &format!(
            "The {} most frequent terms (stems, shown by their most frequent form) among {} terms.",
            items.len(),
            tick_label(n_terms as f64)
        ),
        &items,
        "count",
    )
}

/// A horizontal bar chart of non-negative values, drawn in the given order.
pub fn bars(title: &str, subtitle: &str, items: &[(String, f64)], axis: &str) -> String {
    let names: Vec<&str> = items.iter().map(|(l, _)| l.as_str()).collect();
    let (labels, label_w) = fit_labels(&names, LABEL_MAX, 12.0, 40.0);
    let left = 16.0 + label_w + 10.0;
    let top = 64.0;
    let max = items
        .iter()
        .map(|i| i.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let ticks = ticks(max, 6);
    let scale_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let plot_h = ROW * items.len().max(1) as f64;
    let width = (left + PLOT_W + 40.0).max(560.0);
    let height = top + plot_h + 44.0;
    let x_of = |v: f64| left + v / scale_max * PLOT_W;

    let mut svg = Svg::new(width, height);
    svg.heading(title, subtitle);
    for &t in &ticks {
        svg.x_tick(x_of(t), top, top + plot_h, t);
    }
    svg.text(
        left + PLOT_W / 2.0,
        top + plot_h + 32.0,
        11.0,
        "middle",
        "#333",
        axis,
        "",
    );
    for (i, ((raw, v), label)) in items.iter().zip(&labels).enumerate() {
        let y = top + ROW * i as f64;
        let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
        svg.text(
            left - 8.0,
            y + ROW / 2.0 + 4.0,
            12.0,
            "end",
            "#222",
            label,
            "",
        );
        svg.rect(
            "bar",
            left,
            y + 3.0,
            x_of(v) - left,
            ROW - 6.0,
            COLOUR,
            &format!("{raw}: {}", tick_label(v)),
        );
        svg.text(
            x_of(v) + 4.0,
            y + ROW / 2.0 + 4.0,
            11.0,
            "start",
            "#222",
            &tick_label(v),
            "",
        );
    }
    svg.line(left, top, left, top + plot_h, "#555", 1.0);
    svg.finish()
}
