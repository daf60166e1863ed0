//! Keyness chart: the terms most characteristic of each side of a
//! comparison, as diverging bars around zero (as quanteda's
//! `textplot_keyness` draws them). Target terms run right (blue), reference
//! terms left (vermillion), each side largest first; the term sits by the
//! zero line and its score at the bar's end. Plain data in, so `compare`
//! can call it with any score (G², log ratio, z). Bars are
//! `<rect class="bar">` with a tooltip.

use super::{text_width, ticks, truncate, Svg};

/// The chart's title, naming the field(s) of the two sides.
fn title(target: &str, reference: &str, fields: (&str, &str)) -> String {
    match fields {
        ("", "") => format!("Key terms — {target} vs {reference}"),
        (f, "") | ("", f) => format!("Key terms by {f} — {target} vs {reference}"),
        (f, g) if f == g => format!("Key terms by {f} — {target} vs {reference}"),
        (f, g) => format!("Key terms — {target} ({f}) vs {reference} ({g})"),
    }
}

/// Bars per side at most.
pub const TOP: usize = 20;

const TARGET: &str = "#0072B2";
const REFERENCE: &str = "#D55E00";
const ROW: f64 = 18.0;
const LABEL_MAX: f64 = 150.0;
/// Width of each side's half of the plot.
const HALF: f64 = 300.0;

/// The chart. `target` and `reference` are (term, score); each side is
/// drawn largest magnitude first, at most [`TOP`] bars, and a negative
/// score is drawn by its magnitude on its own side. `score` names the measure (e.g. `G²`).
/// The side names are plain values (`2015`, `rest`); `fields` name what
/// they are values of (`year`, or empty), shown in the title: "Key terms by
/// year — 2015 vs rest" when one field serves both, else "Key terms —
/// corpus (folder) vs USA (country)".
pub fn keyness(
    target_name: &str,
    reference_name: &str,
    fields: (&str, &str),
    target: &[(String, f64)],
    reference: &[(String, f64)],
    score: &str,
) -> String {
    let magnitude = |v: f64| if v.is_finite() { v.abs() } else { 0.0 };
    let top_of = |side: &[(String, f64)]| {
        let mut side = side.to_vec();
        side.sort_by(|a, b| magnitude(b.1).total_cmp(&magnitude(a.1)));
        side.truncate(TOP);
        side
    };
    let (target, reference) = (&top_of(target), &top_of(reference));
    let max = target
        .iter()
        .chain(reference)
        .map(|t| magnitude(t.1))
        .fold(0.0, f64::max);
    let ticks = ticks(max, 4);
    let scale_max = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let half = HALF;
    // Room for the score printed beyond the longest bar.
    let left = 64.0;
    let zero = left + half;
    let top = 84.0;
    let gap = if target.is_empty() || reference.is_empty() {
        0.0
    } else {
        10.0
    };
    let rows = (target.len() + reference.len()).max(1) as f64;
    let plot_h = ROW * rows + gap;
    let width = zero + half + 64.0;
    let height = top + plot_h + 44.0;
    let dx = |v: f64| magnitude(v) / scale_max * half;

    let mut svg = Svg::new(width, height);
    svg.heading(
        &title(target_name, reference_name, fields),
        &format!("Bar length: {score}. Right: more frequent in {target_name}; left: in {reference_name}."),
    );
    legend(&mut svg, target_name, reference_name);
    for &t in &ticks {
        for x in [zero + t / scale_max * half, zero - t / scale_max * half] {
            svg.x_tick(x, top, top + plot_h, t);
        }
    }
    svg.text(zero, top + plot_h + 32.0, 11.0, "middle", "#333", score, "");
    let y = bars(&mut svg, target, Side::Target, top, zero, &dx);
    bars(&mut svg, reference, Side::Reference, y + gap, zero, &dx);
    svg.line(zero, top, zero, top + plot_h, "#555", 1.0);
    svg.finish()
}

/// The legend: a swatch and the name of each side.
fn legend(svg: &mut Svg, target_name: &str, reference_name: &str) {
    let legend_y = 64.0;
    svg.rect("", 16.0, legend_y - 9.0, 12.0, 10.0, TARGET, "");
    let t_label = truncate(target_name, 220.0, 11.0);
    svg.text(32.0, legend_y, 11.0, "start", "#222", &t_label, "");
    let rx = 32.0 + text_width(&t_label, 11.0) + 20.0;
    svg.rect("", rx, legend_y - 9.0, 12.0, 10.0, REFERENCE, "");
    svg.text(
        rx + 16.0,
        legend_y,
        11.0,
        "start",
        "#222",
        &truncate(reference_name, 220.0, 11.0),
        "",
    );
}

/// The side a bar is drawn on.
#[derive(Clone, Copy)]
enum Side {
    /// Right of the zero line, the term left of it.
    Target,
    /// Left of the zero line, the term right of it.
    Reference,
}

/// One side's bars from `y` down, each with its term by the zero line and
/// its score at the bar's end; returns the `y` below the last.
fn bars(
    svg: &mut Svg,
    side_bars: &[(String, f64)],
    side: Side,
    mut y: f64,
    zero: f64,
    dx: &dyn Fn(f64) -> f64,
) -> f64 {
    for (term, v) in side_bars {
        let w = dx(*v);
        // (bar's left edge, colour, term's x and anchor, score's x and anchor)
        let (x, colour, term_x, term_anchor, score_x, score_anchor) = match side {
            Side::Target => (zero, TARGET, zero - 6.0, "end", zero + w + 4.0, "start"),
            Side::Reference => (
                zero - w,
                REFERENCE,
                zero + 6.0,
                "start",
                zero - w - 4.0,
                "end",
            ),
        };
        let tip = format!("{term}: {v:.2}");
        svg.rect("bar", x, y + 2.0, w, ROW - 4.0, colour, &tip);
        let label = truncate(term, LABEL_MAX.min(HALF - 8.0), 11.0);
        let text_y = y + ROW / 2.0 + 4.0;
        svg.text(term_x, text_y, 11.0, term_anchor, "#222", &label, "");
        let score = format!("{v:.1}");
        svg.text(score_x, text_y, 10.0, score_anchor, "#444", &score, "");
        y += ROW;
    }
    y
}
