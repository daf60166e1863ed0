//! Commands: dispatches a parsed command line to the pipeline or to the
//! small codebook utilities, and prints what a user reads on the terminal.

use std::io::Write;

use crate::cli::{Cli, Command, ThemesCommand};
use crate::config::AnalyzeConfig;
use crate::error::{Error, Result};
use crate::pipeline;
use crate::theme::{codebook, import, Codebook};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => analyze(&cli.analyze),
        Some(Command::Analyze(args)) => analyze(&args),
        Some(Command::Themes(cmd)) => themes(cmd),
        Some(Command::Compare(args)) => crate::compare::command(&args),
    }
}

fn analyze(args: &crate::cli::AnalyzeArgs) -> Result<()> {
    let cfg = AnalyzeConfig::from_args(args)?;
    let s = pipeline::analyze(&cfg)?;
    if !cfg.quiet {
        let skipped = match (s.skipped, s.ignored) {
            (0, 0) => String::new(),
            (k, i) => format!("; {k} skipped, {i} ignored (hidden, or not --ext; see manifest.json)"),
        };
        eprintln!(
            "themata: analyzed {} document{} ({} sections, {} tokens, {} terms) in {:.2} s{skipped}; tables in {}/",
            s.documents,
            if s.documents == 1 { "" } else { "s" },
            s.sections,
            s.tokens,
            s.terms,
            s.seconds,
            s.output.trim_end_matches('/'),
        );
    }
    Ok(())
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
            std::fs::write(&output, toml).map_err(|e| Error::output(&output, e))
        }
    }
}
