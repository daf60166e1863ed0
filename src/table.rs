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

/// The count-interchange tables: written only when `--tables` names them
/// (or with `--shard`), so the default output stays as it is. They hold
/// every display form with its count, which `merge` and `compare --from`
/// add up across documents: the corpus-level term of a stem is its most
/// frequent form over the corpus, which no per-document table tells.
pub const INTERCHANGE_TABLES: &[(&str, &[&str])] = &[
    ("term_forms", &["doc_id", "stem", "term", "count"]),
    ("ngram_forms", &["doc_id", "n", "stems", "ngram", "count"]),
];

/// Columns of an analyze table.
pub fn columns(name: &str) -> &'static [&'static str] {
    ANALYZE_TABLES
        .iter()
        .chain(INTERCHANGE_TABLES)
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .unwrap_or(&[])
}

/// The type of a column in a typed format (Parquet). CSV holds every cell
/// as text; Parquet holds these types, with an empty CSV cell as null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (Parquet `Utf8`).
    Text,
    /// A count, total, id or byte offset (Parquet `Int64`).
    Int,
    /// A rate, share or score (Parquet `Float64`), with the CSV's fixed
    /// precision: the value is the CSV cell's text parsed.
    Float,
    /// `true` / `false` (Parquet `Boolean`).
    Bool,
}

/// The type of column `index` (named `column`) of table `table`: the column
/// types of every table, analyze's, compare's and kwic's, declared once.
/// A column name means one thing in every table (`count` is always an
/// integer, `per_1000` always a rate); the columns a run adds after the
/// fixed ones are metadata text in `documents` and counts per document in
/// `term_matrix`.
pub fn kind(table: &str, index: usize, column: &str) -> Kind {
    match table {
        "term_matrix" if index >= 2 => return Kind::Int,
        "documents" if index >= columns("documents").len() => return Kind::Text,
        _ => {}
    }
    match column {
        "section_id" | "n" | "count" | "n_sections" | "n_tokens" | "n_terms" | "n_types"
        | "bytes" | "start_byte" | "end_byte" | "total" | "count_target" | "count_reference"
        | "total_target" | "total_reference" => Kind::Int,
        "per_1000" | "coverage" | "per_1000_target" | "per_1000_reference" | "g2" | "p_value"
        | "log_ratio" | "chi2" | "log_odds" | "log_odds_z" | "tf" | "idf" | "tf_idf" | "cosine" => {
            Kind::Float
        }
        "excluded" => Kind::Bool,
        _ => Kind::Text,
    }
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
