//! Config: validated settings, built from the flags before any document is
//! read. Bad flags, an unreadable stopword list or a malformed codebook fail
//! here, so nothing is written.

use std::path::{Path, PathBuf};

use crate::analyze::{Analyzer, AnalyzerOptions, Stopwords};
use crate::cli::{AnalyzeArgs, SectionMode};
use crate::count::Counting;
use crate::error::{Error, Result};
use crate::input::shard::Shard;
use crate::input::Filter;
use crate::section::Mode;
use crate::table::{catalog, Table};
use crate::theme::{codebook, import, Codebook, Matcher};

/// Everything `analyze` needs, loaded and checked.
pub struct AnalyzeConfig {
    pub inputs: Vec<String>,
    pub output: PathBuf,
    /// Which files folder walks take; excludes the output folder.
    pub filter: Filter,
    pub mode: Mode,
    pub analyzer: Analyzer,
    pub codebook: Codebook,
    pub matcher: Matcher,
    /// What the counting stage counts: only what the tables, charts and
    /// KWIC asked for need (see [`counting`]).
    pub counting: Counting,
    /// The tables to write, in contract order.
    pub tables: Vec<Table>,
    /// The user named the tables with `--tables`.
    pub tables_named: bool,
    pub excel: bool,
    /// `--format`: CSV, Parquet or both.
    pub format: crate::write::Format,
    pub strict: bool,
    pub jobs: usize,
    pub quiet: bool,
    pub verbose: bool,
    pub charts: crate::chart::Policy,
    /// `--xlsx FILE`: its folder exists (checked here).
    pub xlsx: Option<PathBuf>,
    /// `--kwic`, with `window` tokens of context.
    pub kwic: bool,
    pub window: usize,
    /// The options as recorded in manifest.json.
    pub parameters: serde_json::Value,
    /// Metadata fields (--meta-pattern, --meta), extra columns of documents.csv.
    pub meta: crate::compare::meta::Meta,
    /// `--shard K/N`.
    pub shard: Option<crate::input::shard::Shard>,
}

impl AnalyzeConfig {
    pub fn from_args(args: &AnalyzeArgs) -> Result<AnalyzeConfig> {
        let mode = section_mode(args)?;
        let stopwords = match args.stopwords.as_str() {
            "default" => Stopwords::Default,
            "none" => Stopwords::None,
            file => Stopwords::File(file.to_string()),
        };
        let analyzer = Analyzer::new(&AnalyzerOptions {
            language: args.lang.clone(),
            stopwords,
            stem: !args.no_stem,
            keep_possessives: args.keep_possessives,
            keep_numbers: args.keep_numbers,
            hyphens: args.hyphens,
        })?;
        let codebook = codebook(args)?;
        let matcher = Matcher::new(&codebook, &analyzer)?;
        let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
        let tables = select_tables(&args.tables)?;
        // A shard also writes what merge needs; the manifest keeps the user's tables.
        let written = match shard {
            Some(_) => with_shard_tables(&tables),
            None => tables.clone(),
        };
        let output = args
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from("output"));
        if let Some(path) = &args.xlsx {
            check_xlsx(path, &output, &args.inputs)?;
        }
        let meta =
            crate::compare::meta::Meta::new(args.meta_pattern.as_deref(), args.meta.as_deref())?;
        let parameters = parameters(args, &mode, &analyzer, &codebook, &tables);
        let columns = table_columns(args)?;
        Ok(AnalyzeConfig {
            inputs: args.inputs.clone(),
            output: output.clone(),
            filter: Filter::new(Some(output), &args.ext, args.follow)
                .with_columns(columns)
                .with_shard(shard),
            mode,
            analyzer,
            codebook,
            matcher,
            counting: counting(&written, usize::from(args.ngrams), args),
            tables: written,
            tables_named: !args.tables.is_empty(),
            excel: args.excel,
            format: args.format,
            strict: args.strict,
            jobs: args.jobs,
            quiet: args.quiet,
            verbose: args.verbose,
            charts: args.charts,
            xlsx: args.xlsx.clone(),
            kwic: args.kwic,
            window: args.window,
            parameters,
            meta,
            shard,
        })
    }

    pub fn wants(&self, table: Table) -> bool {
        self.tables.contains(&table)
    }

    /// Worker threads for `n_docs` documents: `--jobs` (0: one per core),
    /// at most the number of documents and [`THREADS_PER_CORE`] per core, so
    /// that `--jobs 10000` does not start 10,000 threads. The second value
    /// is the note to print when an explicit `--jobs` was lowered.
    pub fn threads(&self, n_docs: usize) -> (usize, Option<String>) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let cap = n_docs.max(1).min(cores.saturating_mul(THREADS_PER_CORE));
        let wanted = if self.jobs == 0 { cores } else { self.jobs };
        let note = (self.jobs > cap).then(|| {
            format!(
                "note: --jobs {} lowered to {cap} (at most one per document and {THREADS_PER_CORE} per core; {cores} cores)",
                self.jobs
            )
        });
        (wanted.min(cap), note)
    }
}

/// `--sections` with `--heading`.
fn section_mode(args: &AnalyzeArgs) -> Result<Mode> {
    Ok(match (args.sections, &args.heading) {
        (SectionMode::Heading | SectionMode::Auto, Some(re)) => Mode::Heading(
            regex::Regex::new(re)
                .map_err(|e| Error::Usage(format!("--heading: invalid regex: {e}")))?,
        ),
        (SectionMode::Heading, None) => {
            return Err(Error::Usage(
                "--sections heading needs --heading REGEX".into(),
            ))
        }
        (_, Some(_)) => {
            return Err(Error::Usage(
                "--heading goes with --sections heading".into(),
            ))
        }
        (SectionMode::Auto, None) => Mode::Auto,
        (SectionMode::Paragraphs, None) => Mode::Paragraphs,
        (SectionMode::Lines, None) => Mode::Lines,
        (SectionMode::None, None) => Mode::None,
    })
}

/// `--themes`: the built-in codebook, none, or one read from a file (its
/// warnings said unless `--quiet`).
fn codebook(args: &AnalyzeArgs) -> Result<Codebook> {
    Ok(match args.themes.as_deref() {
        None => Codebook::default_codebook(),
        Some("none") => Codebook::default(),
        Some(path) => {
            let imported = import::read(path)?;
            if !args.quiet {
                for w in &imported.warnings {
                    eprintln!("themata: warning: {w}");
                }
            }
            imported.codebook
        }
    })
}

/// `--xlsx FILE`: not an input, not a folder, and in the output folder
/// only as `*.xlsx` (directly, not in a subfolder); elsewhere it must not
/// replace a file themata did not write.
fn check_xlsx(path: &Path, output: &Path, inputs: &[String]) -> Result<()> {
    // A workbook directly in the output folder is replaced with the
    // folder (which holds only themata's files, see write::folder).
    let in_output = path.parent() == Some(output) || same_folder(path.parent(), output);
    check_file_target(path, "--xlsx", inputs)?;
    let xlsx_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if in_output && !xlsx_name {
        return Err(Error::output(
            path,
            "--xlsx: a workbook in the output folder must end in .xlsx (its other files are the tables)",
        ));
    }
    if !in_output && below(path, output) {
        return Err(Error::output(
            path,
            "--xlsx: inside a subfolder of the output folder; put it in the output folder itself or outside it",
        ));
    }
    if !in_output {
        check_not_foreign(path, "--xlsx", crate::write::xlsx::is_themata_workbook)?;
    }
    Ok(())
}

/// The options as recorded in manifest.json (`tables`: as the user chose
/// them).
fn parameters(
    args: &AnalyzeArgs,
    mode: &Mode,
    analyzer: &Analyzer,
    codebook: &Codebook,
    tables: &[Table],
) -> serde_json::Value {
    let parameters = serde_json::json!({
        "sections": match mode {
            Mode::Auto => "auto".to_string(),
            Mode::Paragraphs => "paragraphs".into(),
            Mode::Lines => "lines".into(),
            Mode::None => "none".into(),
            Mode::Heading(re) => format!("heading:{}", re.as_str()),
        },
        "lang": analyzer.language,
        "stopwords": args.stopwords,
        "n_stopwords": analyzer.n_stopwords,
        "stem": analyzer.is_stemming(),
        "keep_possessives": args.keep_possessives,
        "keep_numbers": args.keep_numbers,
        "hyphens": args.hyphens,
        "ngrams": args.ngrams,
        "themes": if codebook.themes.is_empty() && args.themes.is_some() { "none".to_string() } else { args.themes.clone().unwrap_or_else(|| codebook::DEFAULT_PATH.to_string()) },
        "n_themes": codebook.themes.len(),
        "tables": tables,
        "ext": args.ext,
        "follow": args.follow,
        "excel": args.excel,
        "format": args.format,
        "strict": args.strict,
        "charts": args.charts,
        "xlsx": args.xlsx.as_ref().map(|p| p.display().to_string()),
        "kwic": args.kwic,
        "window": args.window,
        "meta_pattern": args.meta_pattern,
        "meta": args.meta,
    });
    let mut parameters = parameters;
    // Recorded only when given, so the manifests of other runs stay as they were.
    for (key, value) in [
        ("text_column", &args.text_column),
        ("id_column", &args.id_column),
    ] {
        if let Some(value) = value {
            parameters[key] = value.as_str().into();
        }
    }
    parameters
}

/// `--text-column` and `--id-column`: named, and not the same column.
fn table_columns(args: &AnalyzeArgs) -> Result<crate::input::table::Columns> {
    let columns = crate::input::table::Columns {
        text: args.text_column.clone().unwrap_or_else(|| "text".into()),
        id: args.id_column.clone(),
    };
    if columns.text.is_empty() || columns.id.as_deref() == Some("") {
        return Err(Error::Usage(
            "--text-column and --id-column need a column name".into(),
        ));
    }
    if columns.id.as_deref() == Some(columns.text.as_str()) {
        return Err(Error::Usage(
            "--text-column and --id-column name the same column".into(),
        ));
    }
    Ok(columns)
}

/// Most worker threads per core that `--jobs` may start.
pub const THREADS_PER_CORE: usize = 4;

/// A file to be written: its folder must exist, it must not be a folder,
/// and it must not be one of the `inputs` or lie inside an input folder
/// (compared by real location, so `./in/../in/a.txt` or a link to the
/// folder holding an input is caught too).
pub fn check_file_target(path: &Path, flag: &str, inputs: &[String]) -> Result<()> {
    if path.is_dir() {
        return Err(Error::output(
            path,
            format!("{flag}: is a folder, expected a file name"),
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::output(
            path,
            format!("{flag}: folder {} does not exist", dir.display()),
        ));
    }
    let (Ok(real_dir), Some(name)) = (std::fs::canonicalize(dir), path.file_name()) else {
        return Err(Error::output(path, format!("{flag}: expected a file name")));
    };
    let real = real_dir.join(name);
    // A link at `path` is replaced, not followed; its target is checked too.
    let linked = std::fs::canonicalize(path).ok();
    let inputs = input_paths(inputs);
    let is = |input: &PathBuf| real == *input || linked.as_ref() == Some(input);
    let within = |input: &PathBuf| {
        real.starts_with(input) || linked.as_ref().is_some_and(|l| l.starts_with(input))
    };
    let what = match (
        inputs.iter().find(|i| is(i)),
        inputs.iter().find(|i| within(i)),
    ) {
        (Some(_), _) => "is an input file".to_string(),
        (None, Some(folder)) => format!("lies inside the input folder {}", folder.display()),
        (None, None) => return Ok(()),
    };
    Err(Error::output(
        path,
        format!("{flag}: {what}; choose a file outside the inputs"),
    ))
}

/// An existing file at `path` must be one themata wrote (`ours`).
pub fn check_not_foreign(path: &Path, flag: &str, ours: impl Fn(&Path) -> bool) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.is_file() || !ours(path) => Err(Error::output(
            path,
            format!("{flag}: file exists and themata did not write it; choose a new file name or remove it"),
        )),
        _ => Ok(()),
    }
}

/// Whether `a` and `b` name the same existing folder.
fn same_folder(a: Option<&Path>, b: &Path) -> bool {
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    a.and_then(real).is_some_and(|a| Some(a) == real(b))
}

/// Whether the folder of `path` lies inside the existing folder `dir`.
fn below(path: &Path, dir: &Path) -> bool {
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    match (parent.and_then(real), real(dir)) {
        (Some(p), Some(d)) => p.starts_with(d),
        _ => false,
    }
}

/// The real paths of the inputs that exist (globs expanded); `-` (stdin)
/// and paths that do not exist name nothing to protect.
fn input_paths(inputs: &[String]) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for input in inputs.iter().filter(|i| *i != "-") {
        match std::fs::canonicalize(input) {
            Ok(p) => paths.push(p),
            Err(_) => paths.extend(
                glob::glob(input)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|p| std::fs::canonicalize(p).ok()),
            ),
        }
    }
    paths
}

/// `tables` and the tables every shard writes ([`crate::input::shard::SHARD_TABLES`]),
/// in contract order.
fn with_shard_tables(tables: &[Table]) -> Vec<Table> {
    (Table::ALL.into_iter())
        .filter(|t| *t != Table::Kwic)
        .filter(|t| tables.contains(t) || crate::input::shard::SHARD_TABLES.contains(&t.name()))
        .collect()
}

/// What to count for `tables` (and the charts and KWIC that `args` ask
/// for): n-grams only for an n-gram table, every exact sequence of each
/// only for `ngram_forms` (else the most frequent one); themes only for a
/// table with theme counts or coverage, charts (theme rates, heatmaps) or
/// KWIC; theme evidence only for `theme_matches`.
fn counting(tables: &[Table], max_ngram: usize, args: &AnalyzeArgs) -> Counting {
    let wants = |these: &[Table]| tables.iter().any(|t| these.contains(t));
    Counting {
        max_ngram: match wants(&[Table::NgramsByDocument, Table::NgramForms]) {
            true => max_ngram,
            false => 0,
        },
        all_sequences: wants(&[Table::NgramForms]),
        themes: args.kwic
            || args.charts.summary()
            || wants(&[
                Table::Documents,
                Table::Sections,
                Table::ThemesBySection,
                Table::ThemesByDocument,
                Table::ThemeMatches,
                Table::ThemeSpread,
                Table::ThemeCooccurrence,
            ]),
        match_rows: wants(&[Table::ThemeMatches]),
        kwic: args.kwic.then_some(args.window),
    }
}

/// The tables `--tables` names, in contract order (the default set, then
/// the interchange tables); with none named, the default set.
fn select_tables(requested: &[String]) -> Result<Vec<Table>> {
    let default = |t: &Table| catalog::ANALYZE.iter().any(|d| d.name == t.name());
    if requested.is_empty() {
        return Ok(Table::ALL.into_iter().filter(default).collect());
    }
    // The tables `--tables` may name: analyze's and the interchange tables.
    let all: Vec<Table> = Table::ALL
        .into_iter()
        .filter(|t| *t != Table::Kwic)
        .collect();
    let mut asked = Vec::new();
    for r in requested {
        match Table::named(r.trim().trim_end_matches(".csv")) {
            Some(t) if all.contains(&t) => asked.push(t),
            _ => {
                let names: Vec<&str> = all.iter().map(|t| t.name()).collect();
                return Err(Error::Usage(format!(
                    "--tables: unknown table `{r}` (one of: {})",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(all.into_iter().filter(|t| asked.contains(t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// What `themata analyze FLAGS` counts.
    fn counting_for(flags: &[&str]) -> Counting {
        let argv = ["themata", "analyze"].iter().chain(flags);
        let cli = crate::cli::Cli::try_parse_from(argv).expect("flags parse");
        let Some(crate::cli::Command::Analyze(args)) = cli.command else {
            panic!("not analyze");
        };
        let tables = select_tables(&args.tables).expect("tables");
        counting(&tables, usize::from(args.ngrams), &args)
    }

    /// Work is skipped for tables not asked for: n-grams only for
    /// ngrams_by_document and ngram_forms (every sequence only for
    /// ngram_forms), themes only for a table with theme counts or
    /// coverage, charts or KWIC, evidence rows only for theme_matches;
    /// one sequence per n-gram.
    #[test]
    fn counting_follows_the_tables_asked_for() {
        let all = counting_for(&["--ngrams", "3"]);
        assert_eq!(
            all,
            Counting {
                max_ngram: 3,
                all_sequences: false,
                themes: true,
                match_rows: true,
                kwic: None,
            }
        );
        let terms = counting_for(&["--tables", "terms_by_document", "--charts", "none"]);
        assert_eq!(
            (terms.max_ngram, terms.themes, terms.match_rows),
            (0, false, false)
        );
        // documents.csv has a coverage column.
        let docs = counting_for(&[
            "--tables",
            "documents,terms_by_document",
            "--charts",
            "none",
        ]);
        assert_eq!(
            (docs.max_ngram, docs.themes, docs.match_rows),
            (0, true, false)
        );
        // The theme-rates chart needs themes.
        let charts = counting_for(&["--tables", "terms_by_document"]);
        assert!(charts.themes && !charts.match_rows);
        let grams = counting_for(&["--tables", "ngrams_by_document", "--charts", "none"]);
        assert_eq!((grams.max_ngram, grams.themes), (2, false));
        let kwic = counting_for(&[
            "--tables",
            "terms_by_document",
            "--charts",
            "none",
            "--kwic",
        ]);
        assert_eq!(
            (kwic.themes, kwic.kwic),
            (true, Some(crate::kwic::DEFAULT_WINDOW))
        );
        let forms = counting_for(&["--tables", "ngram_forms", "--charts", "none"]);
        assert_eq!((forms.max_ngram, forms.all_sequences), (2, true));
        let terms = counting_for(&["--tables", "term_forms", "--charts", "none"]);
        assert_eq!((terms.max_ngram, terms.themes), (0, false));
        let evidence = counting_for(&["--tables", "theme_matches", "--charts", "none"]);
        assert!(evidence.themes && evidence.match_rows);
    }
}
