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
  themata analyze --xlsx tables.xlsx       also write one spreadsheet workbook
  themata kwic 'human rights'              every match in context, as CSV on stdout
  themata analyze ungdc/ --shard 2/7 -o shards/2   one of 7 parts (on any machine)
  themata merge shards/* -o out            the 7 parts as the tables of one run
  themata completions bash > ~/.local/share/bash-completion/completions/themata

Exit codes: 0 success (skipped files are named on stderr and in manifest.json),
2 usage or fatal error (nothing is written), 130 interrupted (Ctrl-C; the
message says whether the output folder was left as it was); 1 is never used.
The output folder holds one run: it is replaced as a whole, so it must hold
only files themata wrote (listed in its manifest.json).";

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
    #[command(subcommand, after_help = THEMES_HELP)]
    Themes(ThemesCommand),
    /// Keyword in context: every match of a pattern with the words around it.
    #[command(after_help = KWIC_HELP)]
    Kwic(KwicArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Compare documents or groups: keyness (G², log ratio, χ², weighted
    /// log-odds), tf-idf, cosine similarity and theme rates.
    #[command(after_help = crate::compare::HELP)]
    Compare(crate::compare::CompareArgs),
    /// Merge the outputs of `analyze --shard K/N` into the tables of one run.
    #[command(after_help = crate::merge::HELP)]
    Merge(crate::merge::MergeArgs),
}

const THEMES_HELP: &str = "\
Examples:
  themata themes check my_codebook.toml    problems with line:column, exit 2 if any
  themata themes list                      the shipped codebook (data/themes.toml)
  themata themes convert dict.yml -        a quanteda YAML dictionary as TOML";

const KWIC_HELP: &str = "\
PATTERN uses the codebook syntax: words, globs (secur*), phrases (human rights),
stem:secur. Output columns (CSV):
  doc_id, section_id, left, match, right, theme, start_byte, end_byte
`match` is the exact source text (bytes start_byte..end_byte of the decoded
document); left/right are up to --window tokens of source text in the section.

Examples:
  themata kwic 'secur*'                     the shipped statement, CSV on stdout
  themata kwic 'human rights' speeches/ --window 8 -o out/    writes out/kwic.csv
  themata kwic 'weapon* of mass destruction' ungdc/2022/ | column -s, -t | less -S";

const COMPLETIONS_HELP: &str = "\
Examples:
  themata completions bash > ~/.local/share/bash-completion/completions/themata
  themata completions zsh  > ~/.zfunc/_themata       # with fpath+=~/.zfunc in .zshrc
  themata completions fish > ~/.config/fish/completions/themata.fish";

const ANALYZE_HELP: &str = "\
Tables written to the output folder (CSV, one header row, long format):
  documents.csv           doc_id, source, title, n_sections, n_tokens, n_terms, n_types, coverage, encoding, bytes
  sections.csv            doc_id, section_id, kind, label, n_tokens, n_terms, n_types, coverage, start_byte, end_byte
  terms_by_section.csv    doc_id, section_id, stem, term, count, per_1000
  terms_by_document.csv   doc_id, stem, term, count, per_1000, n_sections
  themes_by_section.csv   doc_id, section_id, theme, count, per_1000   (every theme in every section)
  themes_by_document.csv  doc_id, theme, count, per_1000, n_sections
  theme_matches.csv       doc_id, section_id, theme, pattern, matched, count, excluded
                          (excluded=true rows: exclusion matches, counted nowhere;
                          counts of excluded=false rows sum to the theme counts)
  ngrams_by_document.csv  doc_id, n, ngram, count, per_1000
  term_matrix.csv         stem, term, total, <one column per doc_id>   (wide)
  term_forms.csv          only when --tables names it: doc_id, stem, term, count
                          (every display form of every stem, by stem, then term)
  ngram_forms.csv         only when --tables names it: doc_id, n, stems, ngram, count
                          (every exact sequence of every n-gram, by n, stems, ngram)
  kwic.csv                with --kwic: doc_id, section_id, left, match, right, theme,
                          start_byte, end_byte
  manifest.json           version, parameters, inputs with size and SHA-256, row counts

Charts (SVG, in <output>/charts/, see --charts):
  theme_rates.svg         theme matches per 1,000 terms per document (up to 30 documents)
  heatmap_<doc>.svg       themes × sections of one document   (per document, up to 50 documents)
  top_terms_<doc>.svg     the 20 most frequent terms of one document

Examples:
  themata analyze
  themata analyze data/ungdc-2022 -o out --ngrams 3
  themata analyze speech.txt --hyphens split --no-stem --stopwords none
  themata analyze --xlsx tables.xlsx --kwic --window 8
  themata analyze ungdc/ --charts none -o out   1,938 speeches, tables only";

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// Files, folders (read recursively) or globs; `-` reads stdin. With none,
    /// the shipped statement (data/corpus/) is analyzed.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Output folder for the tables [default: output; compare: output-compare].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// File extensions read from folders (comma-separated; `*` reads every
    /// file). Files named directly or by a glob are always read. A table
    /// extension (csv, tsv, jsonl, ndjson, parquet, csv.gz, csv.zst, …) reads
    /// those files as tables, one document per row.
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

    /// Only these tables (comma-separated names, e.g. documents,terms_by_document);
    /// term_forms and ngram_forms are written only when named here.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub tables: Vec<String>,

    /// Start every CSV with a UTF-8 byte-order mark, so Excel shows non-ASCII text.
    #[arg(long)]
    pub excel: bool,

    /// Table format: `csv`, `parquet` (typed columns, zstd; the same tables,
    /// columns and rows) or `both`.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = crate::write::Format::Csv)]
    pub format: crate::write::Format,

    /// Treat any skipped input file as a fatal error.
    #[arg(long)]
    pub strict: bool,

    /// Analyze only shard K of N (1 <= K <= N): the documents whose name
    /// hashes to K, so that N runs partition the corpus; `themata merge`
    /// combines their outputs into the tables of one run. Adds the tables
    /// merge needs (documents, themes_by_document, term_forms, ngram_forms).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Worker threads (0: one per core; at most the number of documents and
    /// 4 per core, with a note when capped).
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

    /// Tables read as corpora (.csv, .tsv, .jsonl, .parquet, .csv.gz, …):
    /// the column holding each row's text [default: text].
    #[arg(long, value_name = "NAME")]
    pub text_column: Option<String>,

    /// Tables read as corpora: the column holding each row's doc_id
    /// [default: doc_id, else the row number].
    #[arg(long, value_name = "NAME")]
    pub id_column: Option<String>,

    /// Print every skipped or ignored file and the time each stage took.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Charts written to OUTPUT/charts/: `auto` (theme rates, plus a heatmap
    /// and top-terms chart per document when there are at most 50 documents),
    /// `all`, `summary` (theme rates only) or `none`.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = crate::chart::Policy::Auto)]
    pub charts: crate::chart::Policy,

    /// Also write every table into one XLSX workbook (a README sheet first).
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,

    /// Also write kwic.csv: every theme match with its context.
    #[arg(long)]
    pub kwic: bool,

    /// Context of --kwic, in tokens on each side (at most 1000).
    #[arg(long, value_name = "N", default_value_t = crate::kwic::DEFAULT_WINDOW, value_parser = window_range())]
    pub window: usize,

    /// Follow symbolic links inside folders (each real file is read once).
    /// Without it, links found in a folder are ignored and listed in
    /// manifest.json; a path named here is read even when it is a link.
    #[arg(long)]
    pub follow: bool,
}

/// `--window`: 0..=[`crate::kwic::MAX_WINDOW`] tokens.
fn window_range() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(0..=crate::kwic::MAX_WINDOW as u64)
}

#[derive(Debug, Clone, Args)]
pub struct KwicArgs {
    /// A pattern in codebook syntax: word, glob (secur*), phrase, stem:STEM.
    pub pattern: String,

    /// Files, folders or globs; `-` reads stdin. With none, the shipped statement.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Context in tokens on each side (at most 1000).
    #[arg(short, long, value_name = "N", default_value_t = crate::kwic::DEFAULT_WINDOW, value_parser = window_range())]
    pub window: usize,

    /// Follow symbolic links inside folders (as in analyze).
    #[arg(long)]
    pub follow: bool,

    /// File extensions read from folders (`*`: every file).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "txt",
        value_delimiter = ','
    )]
    pub ext: Vec<String>,

    /// Write DIR/kwic.csv instead of printing to stdout.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// How to split documents into sections (context stays inside a section).
    #[arg(long, value_enum, default_value_t = SectionMode::Auto)]
    pub sections: SectionMode,

    /// Language of the stemmer (for stem: patterns).
    #[arg(long, value_name = "LANG", default_value = "english")]
    pub lang: String,

    /// Hyphenated compounds (as in analyze).
    #[arg(long, value_enum, default_value_t = Hyphens::Join)]
    pub hyphens: Hyphens,

    /// Start the CSV with a UTF-8 byte-order mark (for Excel).
    #[arg(long)]
    pub excel: bool,

    /// With -o: `csv`, `parquet` (DIR/kwic.parquet, typed, zstd) or `both`.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = crate::write::Format::Csv, requires = "output")]
    pub format: crate::write::Format,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
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
