//! Commands: dispatches a parsed command line to the pipeline or to the
//! small codebook utilities, and prints what a user reads on the terminal.

use std::io::Write;

use crate::chart::thousands;
use crate::cli::{Cli, Command, ThemesCommand};
use crate::config::AnalyzeConfig;
use crate::error::{Error, Result};
use crate::pipeline;
use crate::theme::{codebook, import, Codebook};
use crate::write::Format;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => analyze(&cli.analyze),
        Some(Command::Analyze(args)) => analyze(&args),
        Some(Command::Themes(cmd)) => themes(cmd),
        Some(Command::Kwic(args)) => kwic(&args),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "themata", &mut script);
            print(&String::from_utf8_lossy(&script))
        }
        Some(Command::Compare(args)) => crate::collect::command(&args),
        Some(Command::Merge(args)) => crate::merge::command(&args),
    }
}

fn analyze(args: &crate::cli::AnalyzeArgs) -> Result<()> {
    let cfg = AnalyzeConfig::from_args(args)?;
    let s = pipeline::analyze(&cfg)?;
    if !cfg.quiet {
        eprintln!("{}", summary_paragraph(&s));
    }
    Ok(())
}

/// The closing paragraph of a run: what was read, how long it took, where
/// the results are, and what was left out.
pub fn summary_paragraph(s: &pipeline::Summary) -> String {
    let plural =
        |n: u64, word: &str| format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" });
    let dir = s.output.trim_end_matches('/');
    let mut text = format!(
        "themata: analyzed {} ({}, {}, {}) in {:.2} s.\nTables: {} in {dir}/ with manifest.json",
        plural(s.documents as u64, "document"),
        plural(s.sections, "section"),
        plural(s.tokens, "token"),
        plural(s.terms, "term"),
        s.seconds,
        match s.format {
            Format::Csv => plural(s.tables as u64, "CSV file"),
            Format::Parquet => plural(s.tables as u64, "Parquet file"),
            Format::Both => plural(s.tables as u64, "table") + " as CSV and Parquet",
        },
    );
    if s.charts > 0 {
        text.push_str(&format!(
            "; {} in {dir}/charts/",
            plural(s.charts as u64, "chart")
        ));
    }
    if let Some(x) = &s.xlsx {
        text.push_str(&format!("; workbook {x}"));
    }
    text.push_str(".\n");
    text.push_str(&match (s.skipped, s.ignored) {
        (0, 0) => "No input file was skipped.".to_string(),
        (k, i) => format!(
            "{} skipped and {} ignored (reasons in manifest.json; --verbose lists them).",
            plural(k as u64, "file"),
            thousands(i as u64),
        ),
    });
    text
}

/// `themata kwic`: one pattern, compiled as a one-theme codebook.
fn kwic(args: &crate::cli::KwicArgs) -> Result<()> {
    use crate::table::Cell;
    let (mode, analyzer, matcher) = kwic_matcher(args)?;
    let out = match &args.output {
        Some(dir) => Some(crate::write::Output::create(dir, args.excel)?),
        None => None,
    };
    let filter = crate::input::Filter::new(args.output.clone(), &args.ext, args.follow);
    let discovery = crate::input::discover(&args.inputs, &filter)?;
    let say = |line: String| {
        if !args.quiet {
            eprintln!("{line}");
        }
    };
    for s in &discovery.skipped {
        say(format!("skipped: {}: {}", s.path, s.reason));
    }
    let mut found: Vec<(String, Vec<crate::kwic::KwicRow>)> = Vec::new();
    for source in &discovery.sources {
        match crate::input::load(source) {
            Ok(doc) => {
                let rows = crate::kwic::find(&doc.text, &mode, &analyzer, &matcher, args.window);
                found.push((doc.doc_id, rows));
            }
            Err(reason) => say(format!("skipped: {}: {reason}", source.source)),
        }
    }
    let keys = matcher.keys();
    let rows: Vec<Vec<Cell>> = found
        .iter()
        .flat_map(|(id, rows)| rows.iter().map(move |r| r.cells(id, keys).to_vec()))
        .collect();
    match out {
        Some(out) => {
            let dir = kwic_folder(args, out, &rows)?;
            say(format!(
                "themata: {} match{} of `{}` in {} document{}; written to {}/kwic.{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "es" },
                args.pattern,
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                dir.trim_end_matches('/'),
                match args.format {
                    Format::Csv => "csv",
                    Format::Parquet => "parquet",
                    Format::Both => "csv and kwic.parquet",
                },
            ));
            Ok(())
        }
        None => {
            let bytes = crate::write::csv_bytes(crate::kwic::COLUMNS, &rows, args.excel);
            print(&String::from_utf8_lossy(&bytes))
        }
    }
}

/// The sectioning, analyzer and one-theme matcher of `themata kwic`.
fn kwic_matcher(
    args: &crate::cli::KwicArgs,
) -> Result<(
    crate::section::Mode,
    crate::analyze::Analyzer,
    crate::theme::Matcher,
)> {
    use crate::analyze::{Analyzer, AnalyzerOptions, Stopwords};
    use crate::cli::SectionMode;
    use crate::section::Mode;
    use crate::theme::{codebook::PatternDef, Matcher, Theme};

    codebook::check_pattern(&args.pattern)
        .map_err(|e| Error::Usage(format!("pattern `{}`: {e}", args.pattern)))?;
    let mode = match args.sections {
        SectionMode::Auto => Mode::Auto,
        SectionMode::Paragraphs => Mode::Paragraphs,
        SectionMode::Lines => Mode::Lines,
        SectionMode::None => Mode::None,
        SectionMode::Heading => {
            return Err(Error::Usage(
                "kwic: --sections heading is not supported; use analyze --kwic".into(),
            ))
        }
    };
    let analyzer = Analyzer::new(&AnalyzerOptions {
        language: args.lang.clone(),
        stopwords: Stopwords::Default,
        stem: true,
        keep_possessives: false,
        keep_numbers: false,
        hyphens: args.hyphens,
    })?;
    let codebook = Codebook {
        path: String::new(),
        themes: vec![Theme {
            key: args.pattern.clone(),
            label: String::new(),
            definition: String::new(),
            patterns: vec![PatternDef {
                text: args.pattern.clone(),
                line: 0,
                column: 0,
            }],
            exclude: Vec::new(),
            line: 0,
            column: 0,
        }],
    };
    let matcher = Matcher::new(&codebook, &analyzer)?;
    Ok((mode, analyzer, matcher))
}

/// Writes `kwic -o DIR`: the table (and its Parquet file), a manifest so a
/// later run knows the folder as themata's, then the commit. Returns the
/// folder's path.
fn kwic_folder(
    args: &crate::cli::KwicArgs,
    mut out: crate::write::Output,
    rows: &[Vec<crate::table::Cell>],
) -> Result<String> {
    out.set_format(args.format);
    let mut sink = out.table("kwic", crate::kwic::COLUMNS)?;
    for row in rows {
        sink.row(row)?;
    }
    out.finish(sink)?;
    let manifest = serde_json::json!({
        "tool": "themata",
        "version": env!("CARGO_PKG_VERSION"),
        "command": "kwic",
        "pattern": args.pattern,
        "window": args.window,
        "tables": out.row_counts().into_iter().map(|(n, r)| (n, serde_json::Value::from(r))).collect::<serde_json::Map<_, _>>(),
        "files": out.manifest_files(None),
    });
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::output(out.dir().join("manifest.json"), e))?;
    out.file("manifest.json", format!("{json}\n").as_bytes())?;
    let dir = out.dir().display().to_string();
    out.commit()?;
    Ok(dir)
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::output("stdout", e)),
        _ => Ok(()),
    }
}

fn themes(cmd: ThemesCommand) -> Result<()> {
    match cmd {
        ThemesCommand::Check { file } => {
            let c = import::load(&file)?;
            print(&format!(
                "{file}: ok, {} themes, {} patterns\n",
                c.themes.len(),
                c.n_patterns()
            ))
        }
        ThemesCommand::List { file } => {
            let c = match &file {
                Some(f) => import::load(f)?,
                None => Codebook::default_codebook(),
            };
            let mut text = String::from("theme\tpatterns\tlabel\tdefinition\n");
            for t in &c.themes {
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    t.key,
                    t.patterns.len(),
                    t.label,
                    t.definition
                ));
            }
            print(&text)
        }
        ThemesCommand::Convert { input, output } => {
            let c = import::load(&input)?;
            let toml = c.to_toml();
            if output == "-" {
                return print(&toml);
            }
            codebook::Codebook::parse(&output, &toml)
                .map_err(|p| Error::codebook(&output, p[0].line, p[0].column, &p[0].message))?;
            let target = std::path::Path::new(&output);
            crate::config::check_file_target(target, "themes convert", &[input])?;
            crate::config::check_not_foreign(target, "themes convert", is_converted_codebook)?;
            write_replacing(target, toml.as_bytes())
        }
    }
}

/// A codebook `themes convert` wrote: it starts with the header line of
/// [`Codebook::to_toml`].
fn is_converted_codebook(path: &std::path::Path) -> bool {
    use std::io::Read;
    let header = Codebook::default().to_toml();
    let mut start = vec![0; header.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok_and(|()| start == header.as_bytes())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it onto
/// `path`: the file is the old one or the whole new one, never half.
fn write_replacing(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".themata-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::output(path, e))?;
    tmp.write_all(bytes).map_err(|e| Error::output(path, e))?;
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::output(path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::output(path, e.error))?;
    Ok(())
}
