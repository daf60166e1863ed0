//! The table catalogue: every table's name, columns and meaning, and every
//! column's type and meaning, declared once. Writers, `--help` and the
//! workbook's README sheet read them from here, so they cannot drift apart.

use super::Kind;

/// One table: its name (the file is `<name>.csv`), its fixed columns, and
/// what it holds.
#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    /// Columns a run adds after the fixed ones, as `--help` describes them.
    pub more: Option<&'static str>,
    /// When the table is written, if not always.
    pub when: Option<&'static str>,
    /// One sentence: one row per what.
    pub about: &'static str,
}

/// One column name, with the same type and meaning in every table.
#[derive(Debug)]
pub struct ColumnDef {
    pub name: &'static str,
    pub kind: Kind,
    pub meaning: &'static str,
}

/// The tables `analyze` writes by default, in contract order (PRODUCT.md).
pub const ANALYZE: &[TableDef] = &[
    TableDef {
        name: "documents",
        columns: &["doc_id", "source", "title", "n_sections", "n_tokens", "n_terms", "n_types", "coverage", "encoding", "bytes"],
        more: Some("metadata columns (--meta, --meta-pattern, table columns)"),
        when: None,
        about: "One row per document: its size and title.",
    },
    TableDef {
        name: "sections",
        columns: &["doc_id", "section_id", "kind", "label", "n_tokens", "n_terms", "n_types", "coverage", "start_byte", "end_byte"],
        more: None,
        when: None,
        about: "One row per section of a document, in document order.",
    },
    TableDef {
        name: "terms_by_section",
        columns: &["doc_id", "section_id", "stem", "term", "count", "per_1000"],
        more: None,
        when: None,
        about: "One row per section × term (stem): how often the term occurs in the section.",
    },
    TableDef {
        name: "terms_by_document",
        columns: &["doc_id", "stem", "term", "count", "per_1000", "n_sections"],
        more: None,
        when: None,
        about: "One row per document × term (stem), most frequent first.",
    },
    TableDef {
        name: "themes_by_section",
        columns: &["doc_id", "section_id", "theme", "count", "per_1000"],
        more: None,
        when: None,
        about: "One row per section × theme, zeros included, so a pivot table has no holes.",
    },
    TableDef {
        name: "themes_by_document",
        columns: &["doc_id", "theme", "count", "per_1000", "n_sections"],
        more: None,
        when: None,
        about: "One row per document × theme, zeros included.",
    },
    TableDef {
        name: "theme_matches",
        columns: &["doc_id", "section_id", "theme", "pattern", "matched", "count", "excluded"],
        more: None,
        when: None,
        about: "One row per section × theme × pattern × matched text: the evidence behind the theme counts (rows with excluded = true are exclusion matches, counted nowhere).",
    },
    TableDef {
        name: "ngrams_by_document",
        columns: &["doc_id", "n", "ngram", "count", "per_1000"],
        more: None,
        when: None,
        about: "One row per document × n-gram (runs of consecutive terms).",
    },
    TableDef {
        name: "term_matrix",
        columns: &["stem", "term", "total"],
        more: Some("one column per doc_id (wide)"),
        when: None,
        about: "Wide: one row per term (stem), one column per document with its count.",
    },
];

/// The count-interchange tables: written only when `--tables` names them
/// (or with `--shard`), so the default output stays as it is. They hold
/// every display form with its count, which `merge` and `compare --from`
/// add up across documents: the corpus-level term of a stem is its most
/// frequent form over the corpus, which no per-document table tells.
pub const INTERCHANGE: &[TableDef] = &[
    TableDef {
        name: "term_forms",
        columns: &["doc_id", "stem", "term", "count"],
        more: None,
        when: Some("only when --tables names it"),
        about: "One row per document × stem × display form, with its count (interchange: merge, compare --from).",
    },
    TableDef {
        name: "ngram_forms",
        columns: &["doc_id", "n", "stems", "ngram", "count"],
        more: None,
        when: Some("only when --tables names it"),
        about: "One row per document × n-gram × exact sequence of forms, with its count (interchange).",
    },
];

/// Tables `analyze` writes only when `--tables` names them, for analysis
/// (not part of the default set, so the default output stays as it is).
pub const EXTRA: &[TableDef] = &[
    TableDef {
        name: "theme_spread",
        columns: &["doc_id", "theme", "n_sections", "first_section_id", "last_section_id"],
        more: None,
        when: Some("only when --tables names it"),
        about: "One row per document × theme that occurs in it: in how many sections, and the first and last of them.",
    },
    TableDef {
        name: "theme_cooccurrence",
        columns: &["doc_id", "theme_a", "theme_b", "n_sections_both"],
        more: None,
        when: Some("only when --tables names it"),
        about: "One row per document × pair of themes that occur in the same section: in how many sections both occur.",
    },
];

/// Every table `analyze` can write, in contract order: the default set,
/// the extra tables, the interchange tables, kwic.
pub fn tables() -> impl Iterator<Item = &'static TableDef> {
    ANALYZE
        .iter()
        .chain(EXTRA)
        .chain(INTERCHANGE)
        .chain([&KWIC])
}

/// `kwic.csv`: `analyze --kwic` and `themata kwic -o DIR`.
pub const KWIC: TableDef = TableDef {
    name: "kwic",
    columns: &[
        "doc_id",
        "section_id",
        "left",
        "match",
        "right",
        "theme",
        "start_byte",
        "end_byte",
    ],
    more: None,
    when: Some("with --kwic"),
    about: "One row per theme match, with the words around it (keyword in context).",
};

/// What each `compare` table holds (their columns are written by
/// [`crate::compare`]).
pub const COMPARE: &[(&str, &str)] = &[
    (
        "keyness",
        "compare: one row per comparison × term, sorted by the --sort measure, descending.",
    ),
    (
        "tfidf",
        "compare: one row per document × term, with tf-idf as tidytext defines it.",
    ),
    (
        "similarity",
        "compare: one row per pair of documents or groups, with their cosine similarity.",
    ),
    (
        "themes_by_group",
        "compare: one row per group × theme, zeros included.",
    ),
];

/// Every column name of every table.
pub const COLUMNS: &[ColumnDef] = &[
    ColumnDef {
        name: "doc_id",
        kind: Kind::Text,
        meaning: "Document id: the file name without extension (made unique when two files share it).",
    },
    ColumnDef {
        name: "source",
        kind: Kind::Text,
        meaning: "The input path the document was read from.",
    },
    ColumnDef {
        name: "title",
        kind: Kind::Text,
        meaning: "Text of the title section (first short line without end punctuation), if any.",
    },
    ColumnDef {
        name: "n_sections",
        kind: Kind::Int,
        meaning: "Sections in the document (or, in theme/term tables, sections containing the theme or term).",
    },
    ColumnDef {
        name: "n_tokens",
        kind: Kind::Int,
        meaning: "Tokens: Unicode (UAX #29) words containing a letter or digit.",
    },
    ColumnDef {
        name: "n_terms",
        kind: Kind::Int,
        meaning: "Terms: tokens minus stopwords and numbers; the denominator of per_1000.",
    },
    ColumnDef {
        name: "n_types",
        kind: Kind::Int,
        meaning: "Distinct terms (stems).",
    },
    ColumnDef {
        name: "coverage",
        kind: Kind::Float,
        meaning: "Share (0–1) of the terms that at least one theme pattern matched.",
    },
    ColumnDef {
        name: "encoding",
        kind: Kind::Text,
        meaning: "Text encoding the file was decoded from.",
    },
    ColumnDef {
        name: "bytes",
        kind: Kind::Int,
        meaning: "Size of the input file in bytes.",
    },
    ColumnDef {
        name: "section_id",
        kind: Kind::Int,
        meaning: "Section number, 1-based, in document order.",
    },
    ColumnDef {
        name: "kind",
        kind: Kind::Text,
        meaning: "Section kind: title, date, paragraph, list_item, signature, …",
    },
    ColumnDef {
        name: "label",
        kind: Kind::Text,
        meaning: "The first words of the section.",
    },
    ColumnDef {
        name: "start_byte",
        kind: Kind::Int,
        meaning: "Byte offset where the section (or match) starts in the decoded text.",
    },
    ColumnDef {
        name: "end_byte",
        kind: Kind::Int,
        meaning: "Byte offset just past the section (or match).",
    },
    ColumnDef {
        name: "stem",
        kind: Kind::Text,
        meaning: "The Snowball stem: the unit that is counted.",
    },
    ColumnDef {
        name: "term",
        kind: Kind::Text,
        meaning: "The stem's most frequent surface form, for reading.",
    },
    ColumnDef {
        name: "count",
        kind: Kind::Int,
        meaning: "Occurrences in the row's document or section.",
    },
    ColumnDef {
        name: "per_1000",
        kind: Kind::Float,
        meaning: "count × 1000 / n_terms of the same document or section.",
    },
    ColumnDef {
        name: "theme_a",
        kind: Kind::Text,
        meaning: "The first theme of the pair (the earlier in the codebook).",
    },
    ColumnDef {
        name: "theme_b",
        kind: Kind::Text,
        meaning: "The second theme of the pair (the later in the codebook).",
    },
    ColumnDef {
        name: "n_sections_both",
        kind: Kind::Int,
        meaning: "Sections of the document in which both themes occur (count > 0 in themes_by_section).",
    },
    ColumnDef {
        name: "first_section_id",
        kind: Kind::Int,
        meaning: "The first section (section_id) in which the theme occurs.",
    },
    ColumnDef {
        name: "last_section_id",
        kind: Kind::Int,
        meaning: "The last section (section_id) in which the theme occurs.",
    },
    ColumnDef {
        name: "theme",
        kind: Kind::Text,
        meaning: "Theme key from the codebook (a parent theme counts its children too).",
    },
    ColumnDef {
        name: "pattern",
        kind: Kind::Text,
        meaning: "The codebook pattern that matched.",
    },
    ColumnDef {
        name: "matched",
        kind: Kind::Text,
        meaning: "The text it matched, lowercased.",
    },
    ColumnDef {
        name: "excluded",
        kind: Kind::Bool,
        meaning: "true for an exclusion match (pattern is the codebook's exclusion), counted nowhere; the counts of the false rows sum to the theme tables.",
    },
    ColumnDef {
        name: "n",
        kind: Kind::Int,
        meaning: "Length of the n-gram in terms.",
    },
    ColumnDef {
        name: "ngram",
        kind: Kind::Text,
        meaning: "The n-gram, shown as its most frequent exact word sequence in the document.",
    },
    ColumnDef {
        name: "stems",
        kind: Kind::Text,
        meaning: "The n-gram's stems joined by a space: the unit that is counted.",
    },
    ColumnDef {
        name: "total",
        kind: Kind::Int,
        meaning: "Occurrences in all documents.",
    },
    ColumnDef {
        name: "left",
        kind: Kind::Text,
        meaning: "Up to --window tokens of source text before the match, in the same section.",
    },
    ColumnDef {
        name: "match",
        kind: Kind::Text,
        meaning: "The exact source text that matched.",
    },
    ColumnDef {
        name: "right",
        kind: Kind::Text,
        meaning: "Up to --window tokens of source text after the match, in the same section.",
    },
    ColumnDef {
        name: "target_field",
        kind: Kind::Text,
        meaning: "The field the target is a value of (doc_id, year, country, …).",
    },
    ColumnDef {
        name: "target",
        kind: Kind::Text,
        meaning: "The target side of the comparison: its value of target_field (2015, RUS, a doc_id).",
    },
    ColumnDef {
        name: "reference_field",
        kind: Kind::Text,
        meaning: "The field the reference is a value of; empty for `rest`.",
    },
    ColumnDef {
        name: "reference",
        kind: Kind::Text,
        meaning: "The reference side: its value of reference_field, or `rest` (every other document).",
    },
    ColumnDef {
        name: "count_target",
        kind: Kind::Int,
        meaning: "Occurrences in the target (a).",
    },
    ColumnDef {
        name: "count_reference",
        kind: Kind::Int,
        meaning: "Occurrences in the reference (b).",
    },
    ColumnDef {
        name: "total_target",
        kind: Kind::Int,
        meaning: "Terms in the target (N_T).",
    },
    ColumnDef {
        name: "total_reference",
        kind: Kind::Int,
        meaning: "Terms in the reference (N_R).",
    },
    ColumnDef {
        name: "per_1000_target",
        kind: Kind::Float,
        meaning: "a × 1000 / N_T.",
    },
    ColumnDef {
        name: "per_1000_reference",
        kind: Kind::Float,
        meaning: "b × 1000 / N_R.",
    },
    ColumnDef {
        name: "g2",
        kind: Kind::Float,
        meaning: "Signed log-likelihood G², positive when the term is relatively more frequent in the target.",
    },
    ColumnDef {
        name: "p_value",
        kind: Kind::Float,
        meaning: "p-value of G², chi-square with 1 degree of freedom.",
    },
    ColumnDef {
        name: "log_ratio",
        kind: Kind::Float,
        meaning: "log2((a/N_T)/(b/N_R)), a zero count taken as 0.5 (Hardie 2014).",
    },
    ColumnDef {
        name: "chi2",
        kind: Kind::Float,
        meaning: "Chi-square with Yates' correction, signed like g2.",
    },
    ColumnDef {
        name: "log_odds",
        kind: Kind::Float,
        meaning: "Weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008).",
    },
    ColumnDef {
        name: "log_odds_z",
        kind: Kind::Float,
        meaning: "log_odds divided by its standard error.",
    },
    ColumnDef {
        name: "tf",
        kind: Kind::Float,
        meaning: "Term frequency: count / terms in the document.",
    },
    ColumnDef {
        name: "idf",
        kind: Kind::Float,
        meaning: "Inverse document frequency: ln(documents / documents containing the term).",
    },
    ColumnDef {
        name: "tf_idf",
        kind: Kind::Float,
        meaning: "tf × idf.",
    },
    ColumnDef {
        name: "doc_a",
        kind: Kind::Text,
        meaning: "First document (or group) of the pair.",
    },
    ColumnDef {
        name: "doc_b",
        kind: Kind::Text,
        meaning: "Second document (or group) of the pair.",
    },
    ColumnDef {
        name: "cosine",
        kind: Kind::Float,
        meaning: "Cosine similarity of the two term-count vectors (0–1).",
    },
    ColumnDef {
        name: "field",
        kind: Kind::Text,
        meaning: "The field the group (or doc_a, doc_b) values are of; empty for `rest`.",
    },
    ColumnDef {
        name: "group",
        kind: Kind::Text,
        meaning: "The group: a value of field (a comparison side, or a value of --by).",
    },
];
