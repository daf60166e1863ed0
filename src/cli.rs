//! Command-line flags (clap derive). Flags only: validation and loading
//! happen in `config`. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::analyze::Hyphens;

const AFTER_HELP: &str = "\
Examples:
  themata                                  analyze the shipped statement into output/
  themata analyze speeches/ -o out/        every file under speeches/, recursively
  themata analyze 'ungdc/2022/*.txt' --themes my_codebook.toml
  themata themes check data/themes.toml    validate a codebook

Exit codes: 0 success (skipped files are named on stderr and in manifest.json),
2 usage or fatal error (nothing is written), 1 is never used.";

/// Thematic text analysis: sections, terms, n-grams and themes, written as
/// tidy CSV tables for spreadsheets and notebooks.
#[derive(Debug, Parser)]
#[command(name = "themata", version, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, themata runs `analyze` with these options.
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze documents: sections, terms, n-grams and themes (the default).
    #[command(after_help = ANALYZE_HELP)]
    Analyze(AnalyzeArgs),
    /// Validate, list or convert codebooks.
    #[command(subcommand)]
    Themes(ThemesCommand),
    /// Compare documents or groups: keyness (G², log ratio, χ², weighted
    /// log-odds), tf-idf, cosine similarity and theme rates.
    #[command(after_help = crate::compare::HELP)]
    Compare(crate::compare::CompareArgs),
}

const ANALYZE_HELP: &str = "\
Tables written to the output folder (CSV, one header row, long format):
  documents.csv           doc_id, source, title, n_sections, n_tokens, n_terms, n_types, coverage, encoding, bytes
  sections.csv            doc_id, section_id, kind, label, n_tokens, n_terms, n_types, coverage, start_byte, end_byte
  terms_by_section.csv    doc_id, section_id, stem, term, count, per_1000
  terms_by_document.csv   doc_id, stem, term, count, per_1000, n_sections
  themes_by_section.csv   doc_id, section_id, theme, count, per_1000   (every theme in every section)
  themes_by_document.csv  doc_id, theme, count, per_1000, n_sections
  theme_matches.csv       doc_id, section_id, theme, pattern, matched, count
  ngrams_by_document.csv  doc_id, n, ngram, count, per_1000
  term_matrix.csv         stem, term, total, <one column per doc_id>   (wide)
  manifest.json           version, parameters, inputs with size and SHA-256, row counts

Examples:
  themata analyze
  themata analyze data/ungdc-2022 -o out --ngrams 3
  themata analyze speech.txt --hyphens split --no-stem --stopwords none";

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// Files, folders (read recursively) or globs; `-` reads stdin. With none,
    /// the shipped statement (data/corpus/) is analyzed.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Output folder for the tables [default: output; compare: output/compare].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// File extensions read from folders (comma-separated; `*` reads every
    /// file). Files named directly or by a glob are always read.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "txt",
        value_delimiter = ','
    )]
    pub ext: Vec<String>,

    /// How to split documents into sections.
    #[arg(long, value_enum, default_value_t = SectionMode::Auto)]
    pub sections: SectionMode,

    /// Start a section at every line matching this regex (sets --sections heading).
    #[arg(long, value_name = "REGEX")]
    pub heading: Option<String>,

    /// Language of the stemmer and the default stopword list.
    #[arg(long, value_name = "LANG", default_value = "english")]
    pub lang: String,

    /// Stopwords: `default` (the Snowball list of --lang), `none`, or a file
    /// with one word per line.
    #[arg(long, value_name = "default|none|FILE", default_value = "default")]
    pub stopwords: String,

    /// Do not stem: terms are the lowercased words.
    #[arg(long)]
    pub no_stem: bool,

    /// Keep a possessive 's on words (one's stays one's), as tidytext does.
    #[arg(long)]
    pub keep_possessives: bool,

    /// Count numbers (tokens without a letter) as terms.
    #[arg(long)]
    pub keep_numbers: bool,

    /// Hyphenated compounds: `join` counts co-operation as one term equal to
    /// cooperation; `split` counts its parts; `both` counts both.
    #[arg(long, value_enum, default_value_t = Hyphens::Join)]
    pub hyphens: Hyphens,

    /// Longest n-gram counted (2..=N are written; 1 writes none).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub ngrams: u8,

    /// Codebook for themes (native TOML); `none` counts no themes.
    #[arg(long, value_name = "FILE|none")]
    pub themes: Option<String>,

    /// Only these tables (comma-separated names, e.g. documents,terms_by_document).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub tables: Vec<String>,

    /// Start every CSV with a UTF-8 byte-order mark, so Excel shows non-ASCII text.
    #[arg(long)]
    pub excel: bool,

    /// Treat any skipped input file as a fatal error.
    #[arg(long)]
    pub strict: bool,

    /// Worker threads (0: one per core).
    #[arg(short, long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Metadata fields parsed from each doc_id, e.g. '{country}_{session}_{year}'
    /// (a doc_id that does not fit gets empty fields).
    #[arg(long, value_name = "PATTERN")]
    pub meta_pattern: Option<String>,

    /// Metadata from a CSV file with a `doc_id` column; its other columns become fields.
    #[arg(long, value_name = "FILE")]
    pub meta: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SectionMode {
    /// Title, date, paragraphs, list items and signature, detected.
    Auto,
    /// Blocks separated by blank lines.
    Paragraphs,
    /// One section per non-blank line.
    Lines,
    /// The whole document is one section.
    None,
    /// Sections start at lines matching --heading.
    Heading,
}

#[derive(Debug, Subcommand)]
pub enum ThemesCommand {
    /// Validate a codebook; report every problem with line and column.
    Check {
        /// Codebook file.
        file: String,
    },
    /// List themes with their labels and pattern counts.
    List {
        /// Codebook file (default: the shipped data/themes.toml).
        file: Option<String>,
    },
    /// Convert a codebook (quanteda YAML, LIWC .dic, WordStat .cat, Lexicoder .lc3) to native TOML.
    Convert {
        /// Input codebook.
        input: String,
        /// Output TOML file (`-` for stdout).
        output: String,
    },
}
