//! Charts: small, self-contained SVG files written beside the tables.
//!
//! The SVG is written by hand. `plotters`, the usual Rust plotting crate,
//! has had no release since 2024; the charts here are rectangles, lines and
//! text, which a hundred lines of string formatting draw exactly, with no
//! fonts to embed and byte-identical output on every run.
//!
//! * [`heatmap`]: themes × sections of one document (`heatmap_<doc>.svg`);
//! * [`bars`]: the top terms of one document (`top_terms_<doc>.svg`);
//! * [`lines`]: theme rates across documents or groups (`theme_rates.svg`);
//! * [`keyness`]: the key terms of two sides, as diverging bars (for `compare`).
//!
//! Every chart function takes plain data and returns the SVG text; which
//! charts a run writes is decided by [`Policy`]. Colours are colour-blind
//! safe: viridis for sequential scales, Okabe–Ito for categories. Text is
//! XML-escaped, its width is estimated from per-character widths of a
//! sans-serif font, and labels too long for their space end in `…`.

pub mod bars;
pub mod heatmap;
pub mod keyness;
pub mod lines;

use std::collections::HashSet;
use std::fmt::Write as _;

/// Which charts `analyze` writes (`--charts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Summary chart, plus per-document charts when there are at most 50 documents.
    #[default]
    Auto,
    /// Summary chart and per-document charts for every document.
    All,
    /// Only the summary chart (theme rates across documents).
    Summary,
    /// No charts.
    None,
}

/// Above this many documents, `auto` writes no per-document charts.
pub const PER_DOCUMENT_MAX: usize = 50;
/// Above this many documents (or groups) the theme-rates chart is not drawn:
/// its x axis would be unreadable.
pub const RATES_MAX: usize = 30;

impl Policy {
    /// Whether per-document charts are written for a corpus of `n` documents.
    pub fn per_document(self, n: usize) -> bool {
        match self {
            Policy::All => true,
            Policy::Auto => n <= PER_DOCUMENT_MAX,
            Policy::Summary | Policy::None => false,
        }
    }

    pub fn summary(self) -> bool {
        self != Policy::None
    }
}

/// Okabe & Ito (2008), the categorical palette safe for every kind of
/// colour blindness. Yellow and black come last: yellow is the hardest to
/// see as a thin line on white.
pub const OKABE_ITO: [&str; 8] = [
    "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#000000",
];

/// Font used in every chart (a generic family: no font file is needed).
pub const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/// Viridis (matplotlib), 9 stops from t = 0 (dark purple) to 1 (yellow).
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2c, 0x7a),
    (0x3b, 0x51, 0x8b),
    (0x2c, 0x71, 0x8e),
    (0x21, 0x90, 0x8d),
    (0x27, 0xad, 0x81),
    (0x5c, 0xc8, 0x63),
    (0xaa, 0xdc, 0x32),
    (0xfd, 0xe7, 0x25),
];

/// The viridis colour at `t` in 0..=1 (clamped), linearly interpolated.
pub fn viridis(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Whether text on the viridis colour at `t` should be white (dark end).
pub fn viridis_dark(t: f64) -> bool {
    t < 0.55
}

/// Escapes text for an SVG text node or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Estimated width of `s` in pixels at font size `size`, from typical
/// advance widths of a sans-serif font (in em), set against DejaVu Sans,
/// the widest common fallback (rsvg-convert draws with it). Errs wide.
pub fn text_width(s: &str, size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | '\'' | '’' | ':' | ';' | '|' | '!' => 0.28,
            'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '[' | ']' | '-' => 0.36,
            'm' | 'w' => 0.86,
            'M' | 'W' | '@' | '%' => 0.95,
            c if c.is_ascii_uppercase() => 0.72,
            c if c.is_ascii_digit() => 0.64,
            c if c.is_ascii() => 0.61,
            // CJK and other wide scripts take a full em.
            c if ('\u{1100}'..='\u{FFEF}').contains(&c) && !c.is_alphabetic() => 1.0,
            c if ('\u{2E80}'..='\u{FFEF}').contains(&c) => 1.0,
            _ => 0.62,
        })
        .sum();
    em * size
}

/// `s` cut to fit `max` pixels at font size `size`, ending in `…` when cut.
pub fn truncate(s: &str, max: f64, size: f64) -> String {
    if text_width(s, size) <= max {
        return s.to_string();
    }
    let budget = max - text_width("…", size);
    let mut out = String::new();
    let mut width = 0.0;
    for c in s.chars() {
        let w = text_width(c.encode_utf8(&mut [0; 4]), size);
        if width + w > budget {
            break;
        }
        width += w;
        out.push(c);
    }
    let trimmed = out.trim_end();
    format!("{trimmed}…")
}

/// Labels cut to `max` pixels at font size `size`, and the width of the
/// widest (at least `min`).
pub fn fit_labels<S: AsRef<str>>(texts: &[S], max: f64, size: f64, min: f64) -> (Vec<String>, f64) {
    let labels: Vec<String> = texts
        .iter()
        .map(|t| truncate(t.as_ref(), max, size))
        .collect();
    let width = labels
        .iter()
        .map(|l| text_width(l, size))
        .fold(min, f64::max);
    (labels, width)
}

/// "Nice" tick values from 0 to at least `max` (about `n` ticks).
pub fn ticks(max: f64, n: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / n.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let count = (max / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A tick value as short text (`0`, `2.5`, `1,200`).
pub fn tick_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let n = v.round() as i64;
        let grouped = thousands(n.unsigned_abs());
        if n < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A file-name-safe form of a doc_id: letters and digits (any script),
/// `-` and `.` kept; any other run of characters (space, `/`, `\\`, `:`, …)
/// becomes one `_`; no leading dot or `_`; at most 80 characters. The
/// result never leaves the charts folder.
pub fn file_stem(doc_id: &str) -> String {
    let mut s = String::new();
    for c in doc_id.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '.') {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s: String = s
        .trim_start_matches(['.', '_'])
        .trim_end_matches('_')
        .chars()
        .take(80)
        .collect();
    if s.is_empty() {
        "doc".to_string()
    } else {
        s
    }
}

/// Hands out distinct file stems for doc_ids (`a_b`, `a_b-2`, …).
#[derive(Debug, Default)]
pub struct Names {
    used: HashSet<String>,
}

impl Names {
    pub fn unique(&mut self, doc_id: &str) -> String {
        let base = file_stem(doc_id);
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert(name.to_ascii_lowercase()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }
}

/// Collects the charts of one `analyze` run: per-document charts are drawn
/// as each document is counted (nothing of it is kept); the theme rates of
/// the first [`RATES_MAX`] + 1 documents are kept for the summary chart.
pub struct Collector {
    policy: Policy,
    per_document: bool,
    names: Names,
    rates: Vec<(String, String, f64)>,
    documents: usize,
}

impl Collector {
    /// `n_sources`: documents found (skipped files may make it fewer).
    pub fn new(policy: Policy, n_sources: usize) -> Collector {
        Collector {
            policy,
            per_document: policy.per_document(n_sources),
            names: Names::default(),
            rates: Vec::new(),
            documents: 0,
        }
    }

    /// The charts of one document: (path under the output folder, SVG).
    pub fn document(
        &mut self,
        doc_id: &str,
        c: &crate::count::DocCounts,
        themes: &[String],
    ) -> Vec<(String, String)> {
        let totals = c.theme_totals(themes.len());
        let counts: Vec<u64> = totals.iter().map(|&(n, _)| u64::from(n)).collect();
        self.add(doc_id, themes, &counts, c.n_terms);
        if !self.per_document {
            return Vec::new();
        }
        let name = self.names.unique(doc_id);
        let mut files = Vec::new();
        if !themes.is_empty() {
            let sections: Vec<String> = c
                .sections
                .iter()
                .map(|s| format!("{} {}", s.section.id, s.section.label))
                .collect();
            let cells: Vec<Vec<heatmap::Value>> = c
                .sections
                .iter()
                .map(|s| {
                    s.themes
                        .iter()
                        .map(|&n| {
                            (
                                u64::from(n),
                                crate::table::per_1000(u64::from(n), s.n_terms),
                            )
                        })
                        .collect()
                })
                .collect();
            files.push((
                format!("charts/heatmap_{name}.svg"),
                heatmap::heatmap(doc_id, &sections, themes, &cells),
            ));
        }
        let terms: Vec<(String, u64)> = c
            .terms
            .iter()
            .take(bars::TOP)
            .map(|&(stem, count, _)| (c.surface(stem).to_string(), u64::from(count)))
            .collect();
        files.push((
            format!("charts/top_terms_{name}.svg"),
            bars::top_terms(doc_id, &terms, c.n_terms),
        ));
        files
    }

    /// Counts one document for the summary chart: its matches per theme
    /// (`counts`, in the order of `themes`) and its terms.
    pub fn add(&mut self, doc_id: &str, themes: &[String], counts: &[u64], n_terms: u64) {
        self.documents += 1;
        if self.policy.summary() && self.documents <= RATES_MAX + 1 {
            for (theme, &count) in themes.iter().zip(counts) {
                let rate = crate::table::per_1000(count, n_terms);
                self.rates.push((doc_id.to_string(), theme.clone(), rate));
            }
        }
    }

    /// The file stem of a document's charts, or `None` when per-document
    /// charts are not drawn (for `merge`, which copies them from shards:
    /// as [`Collector::document`] names them, in document order).
    pub fn name(&mut self, doc_id: &str) -> Option<String> {
        self.per_document.then(|| self.names.unique(doc_id))
    }

    /// The summary chart, and notes on what was not drawn and why.
    pub fn finish(self, themes: &[String]) -> (Vec<(String, String)>, Vec<String>) {
        let mut files = Vec::new();
        let mut notes = Vec::new();
        if self.policy == Policy::None {
            return (files, notes);
        }
        if !self.per_document && self.policy == Policy::Auto {
            notes.push(format!(
                "per-document charts not drawn for {} documents (more than {PER_DOCUMENT_MAX}); ask with --charts all",
                self.documents
            ));
        }
        if themes.is_empty() {
            return (files, notes);
        }
        if self.documents > RATES_MAX {
            notes.push(format!(
                "charts/theme_rates.svg not drawn: {} documents (more than {RATES_MAX}) would not fit one axis; compare groups instead",
                self.documents
            ));
        } else {
            let subtitle = if self.documents == 1 {
                "Theme matches per 1,000 terms of the document."
            } else {
                "Theme matches per 1,000 terms of each document, documents in input order."
            };
            files.push((
                "charts/theme_rates.svg".to_string(),
                lines::theme_rates("Theme rates", subtitle, &self.rates),
            ));
        }
        (files, notes)
    }
}

/// Widest title or subtitle, in pixels.
pub const HEADING_MAX: f64 = 900.0;

/// An SVG document being written.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

impl Svg {
    pub fn new(width: f64, height: f64) -> Svg {
        Svg {
            body: String::new(),
            width: width.ceil(),
            height: height.ceil(),
        }
    }

    /// A raw element (the caller escapes its text).
    pub fn raw(&mut self, element: &str) {
        self.body.push_str(element);
        self.body.push('\n');
    }

    #[allow(clippy::too_many_arguments)]
    pub fn rect(&mut self, class: &str, x: f64, y: f64, w: f64, h: f64, fill: &str, title: &str) {
        let _ = write!(
            self.body,
            r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}">"#,
            w.max(0.0),
            h.max(0.0)
        );
        if !title.is_empty() {
            let _ = write!(self.body, "<title>{}</title>", escape(title));
        }
        self.body.push_str("</rect>\n");
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    /// Text; `anchor` is `start`, `middle` or `end`; `extra` is added to the
    /// element's attributes (e.g. a transform).
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        anchor: &str,
        fill: &str,
        s: &str,
        extra: &str,
    ) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{extra}>{}</text>"#,
            escape(s)
        );
    }

    /// Title and subtitle at the top left. The canvas widens to fit them
    /// (up to [`HEADING_MAX`] px, beyond which they are cut with `…`).
    /// A vertical grid line from `top` to `bottom` at `x`, with the tick's
    /// value written under it.
    pub fn x_tick(&mut self, x: f64, top: f64, bottom: f64, value: f64) {
        self.line(x, top, x, bottom, "#e3e3e3", 1.0);
        self.text(
            x,
            bottom + 15.0,
            10.0,
            "middle",
            "#555",
            &tick_label(value),
            "",
        );
    }

    pub fn heading(&mut self, title: &str, subtitle: &str) {
        // Bold text runs about 10 % wider.
        let t = truncate(title, HEADING_MAX / 1.1, 16.0);
        let s = truncate(subtitle, HEADING_MAX, 12.0);
        let need = 32.0 + (text_width(&t, 16.0) * 1.1).max(text_width(&s, 12.0));
        self.width = self.width.max(need.ceil());
        let bold = r#" font-weight="600""#;
        self.text(16.0, 26.0, 16.0, "start", "#222", &t, bold);
        if !s.is_empty() {
            self.text(16.0, 45.0, 12.0, "start", "#555", &s, "");
        }
    }

    pub fn finish(self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n{body}</svg>\n",
            w = self.width,
            h = self.height,
            body = self.body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_names() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(file_stem("../etc/passwd"), "etc_passwd");
        assert_eq!(file_stem("..\\..\\x"), "x");
        assert_eq!(file_stem("Åland speech"), "Åland_speech");
        assert_eq!(file_stem("a  b&<c>"), "a_b_c");
        assert_eq!(file_stem("???"), "doc");
        assert_eq!(file_stem(""), "doc");
        let mut n = Names::default();
        assert_eq!(n.unique("a b"), "a_b");
        assert_eq!(n.unique("a/b"), "a_b-2");
    }

    #[test]
    fn truncation_and_ticks() {
        let long = "Convinced of the need to strengthen";
        let t = truncate(long, 80.0, 11.0);
        assert!(t.ends_with('…') && text_width(&t, 11.0) <= 80.0, "{t}");
        assert_eq!(truncate("short", 80.0, 11.0), "short");
        assert_eq!(ticks(9.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(11.0, 6), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        assert_eq!(tick_label(1200.0), "1,200");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
    }
}
