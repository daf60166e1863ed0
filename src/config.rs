//! Config: validated settings, built from the flags before any document is
//! read. Bad flags, an unreadable stopword list or a malformed codebook fail
//! here, so nothing is written.

use std::path::PathBuf;

use crate::analyze::{Analyzer, AnalyzerOptions, Stopwords};
use crate::cli::{AnalyzeArgs, SectionMode};
use crate::error::{Error, Result};
use crate::section::Mode;
use crate::table::ANALYZE_TABLES;
use crate::theme::{codebook, import, Codebook, Matcher};

/// Everything `analyze` needs, loaded and checked.
pub struct AnalyzeConfig {
    pub inputs: Vec<String>,
    pub output: PathBuf,
    pub mode: Mode,
    pub analyzer: Analyzer,
    pub codebook: Codebook,
    pub matcher: Matcher,
    pub max_ngram: usize,
    /// Names of the tables to write, in contract order.
    pub tables: Vec<&'static str>,
    /// The user named the tables with `--tables`.
    pub tables_named: bool,
    pub excel: bool,
    pub strict: bool,
    pub jobs: usize,
    pub quiet: bool,
    /// The options as recorded in manifest.json.
    pub parameters: serde_json::Value,
}

impl AnalyzeConfig {
    pub fn from_args(args: &AnalyzeArgs) -> Result<AnalyzeConfig> {
        let mode = match (args.sections, &args.heading) {
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
        };
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
        let codebook = match args.themes.as_deref() {
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
        };
        let matcher = Matcher::new(&codebook, &analyzer)?;
        let tables = select_tables(&args.tables)?;
        let parameters = serde_json::json!({
            "sections": match &mode {
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
            "excel": args.excel,
            "strict": args.strict,
        });
        Ok(AnalyzeConfig {
            inputs: args.inputs.clone(),
            output: args.output.clone(),
            mode,
            analyzer,
            codebook,
            matcher,
            max_ngram: usize::from(args.ngrams),
            tables,
            tables_named: !args.tables.is_empty(),
            excel: args.excel,
            strict: args.strict,
            jobs: args.jobs,
            quiet: args.quiet,
            parameters,
        })
    }

    pub fn wants(&self, table: &str) -> bool {
        self.tables.contains(&table)
    }
}

fn select_tables(requested: &[String]) -> Result<Vec<&'static str>> {
    let all: Vec<&'static str> = ANALYZE_TABLES.iter().map(|(n, _)| *n).collect();
    if requested.is_empty() {
        return Ok(all);
    }
    for r in requested {
        let name = r.trim().trim_end_matches(".csv");
        if !all.contains(&name) {
            return Err(Error::Usage(format!(
                "--tables: unknown table `{r}` (one of: {})",
                all.join(", ")
            )));
        }
    }
    Ok(all
        .into_iter()
        .filter(|a| {
            requested
                .iter()
                .any(|r| r.trim().trim_end_matches(".csv") == *a)
        })
        .collect())
}
