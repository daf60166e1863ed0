//! Tables: the format-agnostic shape of every output. A table has a name,
//! fixed column names and rows of [`Cell`]s; writers decide the bytes.
//!
//! Floats are written with a fixed precision so reruns are byte-identical:
//! [`Cell::Float`] with 6 decimals, [`Cell::Sci`] (p-values) in scientific
//! notation with 6 decimals. A non-finite float is a bug upstream; writers
//! write it as an empty cell rather than `NaN` or `inf`.

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text. Writers neutralise text that a spreadsheet would run as a formula.
    Str(&'a str),
    Int(u64),
    Float(f64),
    Sci(f64),
}

impl Cell<'_> {
    /// The cell as text, without formula neutralisation.
    pub fn render(&self) -> String {
        match *self {
            Cell::Str(s) => s.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) if f.is_finite() => format!("{:.6}", if f == 0.0 { 0.0 } else { f }),
            Cell::Sci(f) if f.is_finite() => format!("{f:.6e}"),
            Cell::Float(_) | Cell::Sci(_) => String::new(),
        }
    }
}

/// The tables `analyze` can write, in the order they are listed in README.
pub const ANALYZE_TABLES: &[(&str, &[&str])] = &[
    (
        "documents",
        &[
            "doc_id",
            "source",
            "title",
            "n_sections",
            "n_tokens",
            "n_terms",
            "n_types",
            "coverage",
            "encoding",
            "bytes",
        ],
    ),
    (
        "sections",
        &[
            "doc_id",
            "section_id",
            "kind",
            "label",
            "n_tokens",
            "n_terms",
            "n_types",
            "coverage",
            "start_byte",
            "end_byte",
        ],
    ),
    (
        "terms_by_section",
        &["doc_id", "section_id", "stem", "term", "count", "per_1000"],
    ),
    (
        "terms_by_document",
        &["doc_id", "stem", "term", "count", "per_1000", "n_sections"],
    ),
    (
        "themes_by_section",
        &["doc_id", "section_id", "theme", "count", "per_1000"],
    ),
    (
        "themes_by_document",
        &["doc_id", "theme", "count", "per_1000", "n_sections"],
    ),
    (
        "theme_matches",
        &[
            "doc_id",
            "section_id",
            "theme",
            "pattern",
            "matched",
            "count",
            "excluded",
        ],
    ),
    (
        "ngrams_by_document",
        &["doc_id", "n", "ngram", "count", "per_1000"],
    ),
    ("term_matrix", &["stem", "term", "total"]),
];

/// Columns of an analyze table.
pub fn columns(name: &str) -> &'static [&'static str] {
    ANALYZE_TABLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .unwrap_or(&[])
}

/// `count × 1000 / total`, 0 when the total is 0.
pub fn per_1000(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 * 1000.0 / total as f64
    }
}

/// `part / total`, 0 when the total is 0.
pub fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_precision_and_no_nan() {
        assert_eq!(Cell::Float(1.0 / 3.0).render(), "0.333333");
        assert_eq!(Cell::Float(-0.0).render(), "0.000000");
        assert_eq!(Cell::Sci(0.000012345).render(), "1.234500e-5");
        assert_eq!(Cell::Float(f64::NAN).render(), "");
        assert_eq!(Cell::Float(f64::INFINITY).render(), "");
        assert_eq!(per_1000(3, 0), 0.0);
        assert_eq!(per_1000(3, 12), 250.0);
    }
}
