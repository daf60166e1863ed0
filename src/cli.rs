//! Command-line flags (clap derive). Flags only: validation and loading
//! happen in `config`. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::analyze::Hyphens;
use crate::compare::{SortBy, Unit};

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
    #[command(after_help = analyze_help())]
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
    #[command(after_help = COMPARE_HELP)]
    Compare(CompareArgs),
    /// Merge the outputs of `analyze --shard K/N` into the tables of one run.
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
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

/// `analyze --help` after the flags: the tables from their definitions
/// ([`crate::table::catalog`]), then charts and examples.
fn analyze_help() -> String {
    use crate::table::catalog;
    let tables: Vec<&catalog::TableDef> = catalog::tables().collect();
    format!(
        "Tables written to the output folder (CSV, one header row, long format):\n{}{ANALYZE_HELP_REST}",
        crate::table::help(&tables)
    )
}

const ANALYZE_HELP_REST: &str =
    "  manifest.json           version, parameters, inputs with size and SHA-256, row counts

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

/// `--help` text of `themata compare` after the flags.
pub const COMPARE_HELP: &str = "\
Selecting documents (EXPR): a doc_id, or FIELD=VALUE[,VALUE...] on metadata fields:
  doc_id, folder (the folder a file sits in), the fields of --meta-pattern
  (e.g. '{country}_{session}_{year}' on the file stem) and the columns of --meta FILE.

Tables written to the output folder:
  keyness.csv          target_field, target, reference_field, reference, stem, term,
                       count_target, count_reference, total_target, total_reference,
                       per_1000_target, per_1000_reference,
                       g2, p_value, log_ratio, chi2, log_odds, log_odds_z
                       (one row per comparison x term, sorted by --sort descending, then stem;
                       --top N keeps the N highest and N lowest, --max-p P rows with p_value <= P)
  tfidf.csv            doc_id, stem, term, count, tf, idf, tf_idf   (tidytext bind_tf_idf)
  similarity.csv       field, doc_a, doc_b, cosine   (groups with --by, else the documents compared)
  themes_by_group.csv  field, group, theme, count, n_terms, per_1000
  manifest.json        formulas, unit, comparisons with their documents and totals
  charts/keyness_<n>.svg   top 20 terms of each side of comparison n, by --sort (--charts)
  charts/theme_rates.svg   theme rates of the groups (up to 30 groups)
  Sides are plain values (2015, RUS, a doc_id) and *_field / field names their field
  (year, country, doc_id); the default reference is `rest`, with an empty field.

Measures for a term with counts a (target), b (reference) and totals N_T, N_R:
  g2          signed log-likelihood G2, no correction (AntConc; quanteda correction=\"none\")
  p_value     of g2, chi-square with 1 degree of freedom
  log_ratio   log2((a/N_T)/(b/N_R)), a zero count taken as 0.5 (Hardie 2014)
  chi2        chi-square with Yates' correction, signed like g2
  log_odds    weighted log-odds (Monroe, Colaresi & Quinn 2008, eq. 16) with the prior
              a_w = a + b, a_0 = N_T + N_R:
              ln[(a+a_w)/(N_T+a_0-a-a_w)] - ln[(b+a_w)/(N_R+a_0-b-a_w)]
              (eq. 16 has a_0 = sum of a_w, the same for terms and n-grams; for themes
              each count is taken against the rest of its side's terms)
  log_odds_z  log_odds / sqrt(1/(a+a_w) + 1/(b+a_w))
  A cell that cannot be computed is empty: g2, p_value, chi2 and log-odds when a count
  exceeds its side's total (a theme matching stopwords), log-odds when a term is all of
  both sides.

Examples:
  themata compare data/corpus data/ungdc-2022 --meta-pattern '{country}_{session}_{year}' \\
      --target folder=corpus --reference country=RUS --reference country=BLR -o out/compare
  themata compare ungdc/ --meta-pattern '{country}_{session}_{year}' \\
      --target country=RUS --reference country=USA
  themata compare ungdc/ --meta-pattern '{country}_{session}_{year}' --by year --min-count 5
  themata compare ungdc/ --meta-pattern '{country}_{session}_{year}' --by country --top 20
  themata analyze ungdc/ --tables documents,themes_by_document,term_forms,ngram_forms -o counts
  themata compare --from counts --meta-pattern '{country}_{session}_{year}' --by year";

/// Flags of `themata compare`: the analysis flags of `analyze`, plus what to compare.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The target: a doc_id, or FIELD=VALUE[,VALUE…] (e.g. country=RUS, year=2022).
    #[arg(
        long,
        value_name = "EXPR",
        required_unless_present = "by",
        conflicts_with = "by"
    )]
    pub target: Option<String>,

    /// The reference, selected like --target; repeat for several comparisons.
    /// Default: every document not in the target.
    #[arg(long, value_name = "EXPR", requires = "target")]
    pub reference: Vec<String>,

    /// Compare each value of this metadata field with all other documents.
    #[arg(long, value_name = "FIELD")]
    pub by: Option<String>,

    /// What is counted: stems (`term`), n-grams of 2..=--ngrams words, or themes.
    #[arg(long, value_enum, default_value_t = Unit::Term)]
    pub unit: Unit,

    /// Compare the counts of an `analyze` (or `merge`) output folder instead
    /// of reading texts: the analysis flags are those of DIR/manifest.json.
    /// Reads documents.csv, themes_by_document.csv and, for --unit term or
    /// ngram, term_forms.csv or ngram_forms.csv (`analyze --tables …,term_forms`).
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,

    /// Leave out terms seen fewer than N times in target and reference together.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_count: u64,

    /// The measure keyness.csv is sorted by (descending; ties by stem).
    #[arg(long, value_enum, default_value_t = SortBy::G2)]
    pub sort: SortBy,

    /// Keep, per comparison, the N rows with the highest and the N with the
    /// lowest --sort measure: the N terms most characteristic of each side.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub top: Option<u64>,

    /// Keep only rows whose p_value is at most P (0 to 1), e.g. 0.001.
    #[arg(long, value_name = "P", value_parser = parse_p)]
    pub max_p: Option<f64>,

    #[command(flatten)]
    pub analysis: AnalyzeArgs,

    /// The analysis flags given on the command line (their argument ids),
    /// set by [`parse`]: with --from, each must agree with DIR's analysis.
    #[arg(skip)]
    pub given: Vec<String>,
}

/// `--max-p`: a probability, 0 to 1.
fn parse_p(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a p-value between 0 and 1")),
    }
}

/// Parses the command line (exiting with clap's message on a bad one), and
/// notes which analysis flags `compare` was given, for `--from`.
pub fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let (Some(Command::Compare(args)), Some(("compare", sub))) =
        (&mut cli.command, matches.subcommand())
    {
        args.given = AnalyzeArgs::augment_args(clap::Command::new("analysis"))
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .filter(|id| sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
            .map(str::to_string)
            .collect();
    }
    cli
}

/// `themata merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The shard output folders (`analyze --shard K/N -o DIR`), all N of them,
    /// in any order.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,

    /// Output folder for the merged tables.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Table format: `csv`, `parquet` or `both` (as analyze's --format).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = crate::write::Format::Csv)]
    pub format: crate::write::Format,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--help` text after the flags.
const MERGE_HELP: &str = "\
Writes exactly the tables, charts and manifest that one `analyze` over the
whole corpus writes (manifest.json: `command` is `merge` and `shards` is
added). The shards must come from the same themata version, parameters and
codebook; each of 1..=N once. Shards are read as CSV (make them with
--format csv or both); the merged tables are written in --format.

Examples:
  themata analyze ungdc/ --shard 1/3 -o shards/1     (and 2/3, 3/3, anywhere)
  themata merge shards/1 shards/2 shards/3 -o out
  themata merge shards/* -o out --format parquet";
