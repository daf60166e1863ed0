//! `compare --from DIR`: opens an analyze (or merge) output folder and
//! checks it against the command line before anything is written.
//!
//! * The analysis is DIR's: the analysis flags of `compare` (`--ngrams`,
//!   `--lang`, `--themes`, …) may be left out; one given with a value other
//!   than DIR/manifest.json's is refused with one line. INPUTs are refused.
//! * Metadata: the fields of documents.csv (DIR's `--meta-pattern`, `--meta`
//!   and table columns) are used as they are. `--meta-pattern` may name a
//!   new pattern (applied to each doc_id, replacing DIR's pattern fields),
//!   and `--meta FILE` may add a file when DIR had none; a `--meta` other
//!   than DIR's is refused (its columns cannot be told apart from the rest).
//! * The tables the unit needs must be there (see [`super::tables`]).
//! * The output folder must not be DIR, inside it, or hold it.

use std::path::{Path, PathBuf};

use super::tables::{self, Dir};
use crate::cli::CompareArgs;
use crate::compare::meta::Meta;
use crate::compare::Unit;
use crate::config::AnalyzeConfig;
use crate::error::{Error, Result};

/// The manifest parameters of the analysis, with the compare flags (arg
/// ids) that set them.
const ANALYSIS: &[(&str, &[&str])] = &[
    ("sections", &["sections", "heading"]),
    ("lang", &["lang"]),
    ("stopwords", &["stopwords"]),
    ("n_stopwords", &[]),
    ("stem", &["no_stem"]),
    ("keep_possessives", &["keep_possessives"]),
    ("keep_numbers", &["keep_numbers"]),
    ("hyphens", &["hyphens"]),
    ("ngrams", &["ngrams"]),
    ("themes", &["themes"]),
    ("n_themes", &[]),
    ("ext", &["ext"]),
    ("follow", &["follow"]),
    ("strict", &["strict"]),
    ("text_column", &["text_column"]),
    ("id_column", &["id_column"]),
];

/// What the compare manifest records of the analysis.
pub struct Analysis {
    /// DIR's analysis parameters with the compare run's output flags.
    pub parameters: serde_json::Value,
    /// The metadata sources in effect (`--meta-pattern`, `--meta`).
    pub meta: (Option<String>, Option<String>),
}

/// Opens DIR for `compare --from`, refusing what contradicts it.
pub fn open(dir: &Path, cfg: &AnalyzeConfig, args: &CompareArgs) -> Result<(Dir, Analysis)> {
    if let Some(input) = args.analysis.inputs.first() {
        return Err(Error::Usage(format!(
            "--from reads the counts of {}; give no INPUT (found `{input}`)",
            dir.display()
        )));
    }
    let manifest = read_manifest(dir)?;
    check_output(dir, &cfg.output)?;
    let theirs = &manifest["parameters"];
    check_flags(dir, cfg, args, theirs)?;
    let (meta, pattern_fields, sources) = metadata(dir, args, theirs)?;
    let mut parameters = cfg.parameters.clone();
    for (key, _) in ANALYSIS {
        match theirs.get(key) {
            Some(v) => parameters[key] = v.clone(),
            None => _ = parameters.as_object_mut().map(|p| p.remove(*key)),
        }
    }
    parameters["meta_pattern"] = sources.0.clone().into();
    parameters["meta"] = sources.1.clone().into();
    let needed = match args.unit {
        Unit::Term => Some("term_forms"),
        Unit::Ngram => Some("ngram_forms"),
        Unit::Theme => None,
    };
    let themes = theirs["n_themes"].as_u64() != Some(0);
    let names = ["documents"]
        .into_iter()
        .chain(themes.then_some("themes_by_document"));
    for name in names.chain(needed) {
        tables::require(dir, name)?;
    }
    let dir = Dir {
        path: dir.to_path_buf(),
        manifest,
        meta,
        pattern_fields,
    };
    Ok((
        dir,
        Analysis {
            parameters,
            meta: sources,
        },
    ))
}

/// DIR/manifest.json, of an analyze or merge run. It lists every input
/// (about 270 bytes each), so it may be as large as the corpus is long:
/// its size is capped at 64 MiB plus 8 times the size of documents.csv
/// (about 120 bytes a document), not at a fixed size.
fn read_manifest(dir: &Path) -> Result<serde_json::Value> {
    if !dir.is_dir() {
        return Err(Error::input(dir, "--from: not a folder"));
    }
    let path = dir.join("manifest.json");
    let size = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    };
    let Some(len) = size(&path) else {
        return Err(Error::input(&path, "--from: no manifest.json (or not a regular file); --from takes the output folder of `themata analyze` or `merge`"));
    };
    let cap = (64 << 20) + 8 * size(&dir.join("documents.csv")).unwrap_or(0);
    if len > cap {
        return Err(Error::input(&path, format!("--from: {len} bytes, more than a manifest of documents.csv's documents can be ({cap})")));
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::input(&path, e))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::input(&path, e))?;
    // One shard of several holds part of the corpus: comparing it would
    // silently compare that part (its keyness, tf-idf and groups).
    let (k, n) = (&manifest["shard"]["k"], &manifest["shard"]["n"]);
    if n.as_u64().is_some_and(|n| n > 1) {
        return Err(Error::input(&path, format!("--from: shard {k}/{n} of a corpus, not all of it; merge the shards first (themata merge DIR... -o OUT) and compare --from OUT")));
    }
    match manifest["command"].as_str() {
        Some("analyze" | "merge") if manifest["parameters"].is_object() => Ok(manifest),
        _ => Err(Error::input(
            &path,
            "not the manifest of `themata analyze` or `merge`; --from takes their output folder",
        )),
    }
}

/// The output folder may not be DIR, lie inside it, or hold it (it is
/// replaced as a whole).
fn check_output(dir: &Path, output: &Path) -> Result<()> {
    let real = |p: &Path| -> Option<PathBuf> {
        match std::fs::canonicalize(p) {
            Ok(r) => Some(r),
            Err(_) => {
                let parent = p.parent().filter(|p| !p.as_os_str().is_empty());
                let parent = std::fs::canonicalize(parent.unwrap_or(Path::new("."))).ok()?;
                Some(parent.join(p.file_name()?))
            }
        }
    };
    let (Some(d), Some(o)) = (real(dir), real(output)) else {
        return Ok(()); // Output::create names what is wrong with it
    };
    if o.starts_with(&d) || d.starts_with(&o) {
        return Err(Error::output(
            output,
            format!(
                "the output folder overlaps --from {}; choose another with -o",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// Each analysis flag given must agree with DIR's parameter.
fn check_flags(
    dir: &Path,
    cfg: &AnalyzeConfig,
    args: &CompareArgs,
    theirs: &serde_json::Value,
) -> Result<()> {
    for (key, ids) in ANALYSIS {
        let Some(id) = ids.iter().find(|id| args.given.iter().any(|g| g == *id)) else {
            continue;
        };
        let ours = cfg.parameters.get(key).unwrap_or(&serde_json::Value::Null);
        let recorded = theirs.get(key).unwrap_or(&serde_json::Value::Null);
        if ours != recorded {
            return Err(Error::Usage(format!(
                "--{} contradicts {}: the counts were made with {key} = {recorded}; with --from, leave the analysis flags out",
                id.replace('_', "-"),
                dir.join("manifest.json").display(),
            )));
        }
    }
    Ok(())
}

/// The metadata fields for the compare run, DIR's own pattern fields (to
/// be recomputed), and the sources in effect (pattern, file).
type Metadata = (Meta, Vec<String>, (Option<String>, Option<String>));

/// See the module doc: DIR's metadata, with a new pattern or file.
fn metadata(dir: &Path, args: &CompareArgs, theirs: &serde_json::Value) -> Result<Metadata> {
    let their_pattern = theirs["meta_pattern"].as_str().map(String::from);
    let their_file = theirs["meta"].as_str().map(String::from);
    let (pattern, file) = (&args.analysis.meta_pattern, &args.analysis.meta);
    if let (Some(ours), Some(recorded)) = (file, &their_file) {
        if ours != recorded {
            return Err(Error::Usage(format!(
                "--meta {ours}: the documents of {} have the fields of --meta {recorded}; give that file or none",
                dir.display()
            )));
        }
    }
    let new_file = their_file.is_none().then(|| file.clone()).flatten();
    let pattern = pattern.clone().or(their_pattern.clone());
    let meta = Meta::new(pattern.as_deref(), new_file.as_deref())?;
    let pattern_fields = match &their_pattern {
        Some(p) => Meta::new(Some(p), None)?
            .extra_fields()
            .into_iter()
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    Ok((meta, pattern_fields, (pattern, file.clone().or(their_file))))
}
