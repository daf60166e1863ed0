//! The output folder's life cycle: one folder is one run.
//!
//! A run stages every file in `.themata-staging.<NAME>.<random>`, a folder
//! beside the output folder `NAME` (in its parent, so both are on one file
//! system), and [`exchange`] swaps the two in one step: Linux's
//! `renameat2(RENAME_EXCHANGE)`, after which the old tree sits at the staging
//! path and is removed. A reader (or a crash) therefore sees either the whole
//! old run or the whole new one, never a mix, and files an earlier run wrote
//! but this one did not go away with the old tree. Where the exchange is not
//! supported (some file systems, other systems) two renames are used, `NAME`
//! to `<staging>.old` then the staging folder to `NAME`; a crash between
//! them leaves no `NAME` (the old tree is in `<staging>.old`, removed by the
//! next run).
//!
//! Locks are `flock`s, which the kernel drops when the process dies, so a
//! lock is never stale:
//! - the output folder itself is locked by the run writing it, so a second
//!   run into the same folder fails at once. (A lock file beside it would
//!   stay behind in the user's folder forever; the folder itself is ours.)
//!   The folder is created empty first if missing, which also means the
//!   switch is always an exchange.
//! - each staging folder is locked by its run, so the next run can tell a
//!   dead run's staging folder (lock free) from a live one and removes it.
//!   After an exchange the staging path holds the old tree, which is still
//!   locked by the run (through its lock on the output folder's inode).
//!
//! Because the folder is replaced as a whole, it must hold only files a
//! themata run wrote: [`check_ours`] refuses any other file by name.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use crate::staging::PREFIX as STAGING_PREFIX;

/// The output folder, locked, with its staging folder beside it.
pub struct Folder {
    /// Its canonical path (a symbolic link to a folder is followed).
    pub target: PathBuf,
    pub staging: PathBuf,
    /// `flock` on `target` and on `staging`, held until the process ends.
    _locks: (File, File),
}

/// Creates (if missing), checks and locks the output folder `dir`, removes
/// staging folders of dead runs beside it and makes this run's.
pub fn prepare(dir: &Path) -> Result<Folder> {
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::output(dir, "exists and is not a folder"));
        }
        Ok(_) => {}
        Err(_) => fs::create_dir_all(dir)
            .map_err(|e| Error::output(dir, format!("cannot create output folder: {e}")))?,
    }
    let target = fs::canonicalize(dir).map_err(|e| Error::output(dir, e))?;
    let parent = check_replaceable(dir, &target)?;
    let folder_lock = lock_current(&target).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock => Error::output(
            dir,
            "another themata run is writing into this folder; wait for it or choose another folder",
        ),
        _ => Error::output(dir, format!("cannot lock the output folder: {e}")),
    })?;
    check_ours(dir, &target)?;
    let name = file_name(&target);
    remove_stale(&parent, &name);
    let staging = tempfile::Builder::new()
        .prefix(&format!("{STAGING_PREFIX}{name}."))
        .rand_bytes(8)
        .tempdir_in(&parent)
        .map_err(|e| {
            Error::output(
                dir,
                format!("cannot write beside the output folder (in its parent): {e}"),
            )
        })?
        .keep();
    let staged = (|| {
        // The staging folder becomes the output folder: give it its mode.
        fs::set_permissions(&staging, fs::metadata(&target)?.permissions())?;
        lock(&staging)
    })();
    let staging_lock = staged.map_err(|e| {
        let _ = fs::remove_dir_all(&staging);
        Error::output(dir, format!("cannot prepare the staging folder: {e}"))
    })?;
    Ok(Folder {
        target,
        staging,
        _locks: (folder_lock, staging_lock),
    })
}

/// The folder can be swapped with one beside it: not the root, not a mount
/// point, not the current folder (or one holding it). Returns its parent.
fn check_replaceable(dir: &Path, target: &Path) -> Result<PathBuf> {
    let refuse = |why: &str| {
        Err(Error::output(
            dir,
            format!("{why}; themata replaces its output folder as a whole, so choose a folder inside it"),
        ))
    };
    let Some(parent) = target.parent() else {
        return refuse("is the root folder");
    };
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
        if cwd.starts_with(target) {
            return refuse("is (or holds) the current folder");
        }
    }
    let dev = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
    if dev(target) != dev(parent) {
        return refuse("is a mount point");
    }
    Ok(parent.to_path_buf())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `flock(LOCK_EX | LOCK_NB)` on a file or folder, held while the `File` is.
fn lock(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)?;
    Ok(file)
}

/// [`lock`] on the folder now at `path`: a run that opened the folder just
/// before another run swapped it out would hold a lock on the old tree, so
/// the lock is taken again until it is on the folder at `path`.
fn lock_current(path: &Path) -> io::Result<File> {
    let same = |f: &File| -> io::Result<bool> {
        let (a, b) = (f.metadata()?, fs::metadata(path)?);
        Ok((a.dev(), a.ino()) == (b.dev(), b.ino()))
    };
    for _ in 0..100 {
        let file = lock(path)?;
        if same(&file)? {
            return Ok(file);
        }
    }
    Err(io::Error::from(io::ErrorKind::WouldBlock))
}

/// Removes the staging folders of `name` whose run is gone (nobody holds
/// their lock). Best effort: what cannot be removed stays for a later run.
fn remove_stale(parent: &Path, name: &str) {
    let prefix = format!("{STAGING_PREFIX}{name}.");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry.file_name().to_string_lossy().starts_with(&prefix);
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if ours && is_dir && lock(&path).is_ok() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// How the switch went: where the old tree is now.
pub fn exchange(staging: &Path, target: &Path) -> Result<PathBuf> {
    let failed =
        |e: io::Error| Error::output(target, format!("cannot replace the output folder: {e}"));
    match exchange_atomic(staging, target) {
        Ok(()) => Ok(staging.to_path_buf()),
        Err(e) if unsupported(&e) => exchange_by_renames(staging, target).map_err(failed),
        Err(e) => Err(failed(e)),
    }
}

/// The fallback: `target` to `<staging>.old`, then `staging` to `target`
/// (between the two, `target` does not exist). Returns the old tree's path.
fn exchange_by_renames(staging: &Path, target: &Path) -> io::Result<PathBuf> {
    let mut old = staging.as_os_str().to_owned();
    old.push(".old");
    let old = PathBuf::from(old);
    fs::rename(target, &old)?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(&old, target);
        return Err(e);
    }
    Ok(old)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange_atomic(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange_atomic(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// The file system or kernel has no `RENAME_EXCHANGE`.
fn unsupported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    let errno = e.raw_os_error().map(Errno::from_raw_os_error);
    e.kind() == io::ErrorKind::Unsupported
        || matches!(errno, Some(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP))
}

/// Refuses a folder holding a file that no themata run wrote, naming one.
///
/// What a run wrote is the `files` list of its `manifest.json`. Manifests
/// of versions before that list (`"tool": "themata"` without `files`) vouch
/// for what those versions wrote: `*.csv`, `manifest.json`, `charts/*.svg`,
/// themata workbooks (`*.xlsx`) and their `.themata-staging-*` folders. A
/// folder of `themata kwic -o` from before its manifest holds `kwic.csv`.
pub fn check_ours(dir: &Path, target: &Path) -> Result<()> {
    let mut found = Vec::new();
    walk(target, Path::new(""), &mut found).map_err(|e| Error::output(dir, e))?;
    if found.is_empty() {
        return Ok(());
    }
    let listed = manifest_files(target);
    let foreign = found.iter().find(|(rel, is_dir)| match &listed {
        Listed::Files(files) => !(*is_dir && is_prefix(rel, files) || files.contains(rel)),
        Listed::Legacy => !legacy_ours(target, rel, *is_dir),
        Listed::Nothing => !(found.len() == 1 && rel == "kwic.csv"),
    });
    match foreign {
        None => Ok(()),
        Some((rel, _)) => match nested_run(target, rel) {
            Some(run) => Err(Error::output(
                dir.join(run),
                "output folder holds another themata run's output; runs are not nested, so choose another folder for one of them",
            )),
            None => Err(Error::output(
                dir.join(rel),
                "output folder holds files themata did not write; choose an empty or new folder",
            )),
        },
    }
}

/// The folder of `rel`'s ancestors (relative to `target`) that holds a
/// themata manifest of its own: the output of another run written inside
/// this one (e.g. `-o output/rus-usa` before a run into `output/`).
fn nested_run(target: &Path, rel: &str) -> Option<String> {
    let mut path = Path::new(rel);
    while let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let text = fs::read_to_string(target.join(parent).join("manifest.json")).ok();
        if text.is_some_and(|t| t.contains("\"tool\": \"themata\"")) {
            return Some(format!("{}/", parent.display()));
        }
        path = parent;
    }
    None
}

/// Entries under `root` (relative, `/`-separated, sorted): files, links
/// and empty folders; `true` marks a folder.
fn walk(root: &Path, rel: &Path, found: &mut Vec<(String, bool)>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(root.join(rel))?.collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let child = rel.join(e.file_name());
        let shown = child.to_string_lossy().replace('\\', "/");
        if e.file_type()?.is_dir() {
            let before = found.len();
            if !shown.starts_with(".themata-staging-") {
                walk(root, &child, found)?;
            }
            if found.len() == before {
                found.push((shown, true));
            }
        } else {
            found.push((shown, false));
        }
    }
    Ok(())
}

fn is_prefix(dir: &str, files: &BTreeSet<String>) -> bool {
    files.iter().any(|f| f.starts_with(&format!("{dir}/")))
}

enum Listed {
    /// A manifest with `files`.
    Files(BTreeSet<String>),
    /// A themata manifest of a version before `files`.
    Legacy,
    /// No themata manifest.
    Nothing,
}

fn manifest_files(target: &Path) -> Listed {
    let Ok(text) = fs::read(target.join("manifest.json")) else {
        return Listed::Nothing;
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Listed::Nothing;
    };
    if json.get("tool").and_then(|t| t.as_str()) != Some("themata") {
        return Listed::Nothing;
    }
    match json.get("files").and_then(|f| f.as_array()) {
        Some(files) => Listed::Files(
            files
                .iter()
                .filter_map(|f| f.as_str().map(String::from))
                .chain(["manifest.json".to_string()])
                .collect(),
        ),
        None => Listed::Legacy,
    }
}

fn legacy_ours(target: &Path, rel: &str, is_dir: bool) -> bool {
    let top = !rel.contains('/');
    (top && is_dir && rel.starts_with(".themata-staging-"))
        || (top && rel.ends_with(".csv"))
        || rel == "manifest.json"
        || rel == "charts"
        || (rel.starts_with("charts/") && rel.ends_with(".svg") && rel.matches('/').count() == 1)
        || (top && rel.ends_with(".xlsx") && super::xlsx::is_themata_workbook(&target.join(rel)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::is_staging;

    /// Both ways of switching leave the new tree at the target and the
    /// old one where they say.
    #[test]
    fn exchange_and_fallback_swap_the_trees() {
        let dir = tempfile::tempdir().unwrap();
        let (staging, target) = (
            dir.path().join(".themata-staging.out.x"),
            dir.path().join("out"),
        );
        for (round, atomic) in [(0, true), (1, false)] {
            fs::create_dir_all(&staging).unwrap();
            fs::create_dir_all(&target).unwrap();
            fs::write(staging.join("new"), round.to_string()).unwrap();
            fs::write(target.join("old"), "").unwrap();
            let old = match atomic {
                true => exchange(&staging, &target).unwrap(),
                false => exchange_by_renames(&staging, &target).unwrap(),
            };
            assert_eq!(
                fs::read_to_string(target.join("new")).unwrap(),
                round.to_string()
            );
            assert!(!target.join("old").exists());
            assert!(old.join("old").exists());
            assert!(is_staging(&old), "{}", old.display());
            fs::remove_dir_all(&old).unwrap();
            fs::remove_dir_all(&target).unwrap();
        }
    }

    #[test]
    fn files_listed_in_the_manifest_are_ours_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("charts")).unwrap();
        fs::write(d.join("charts/a.svg"), "").unwrap();
        fs::write(d.join("documents.csv"), "").unwrap();
        fs::write(
            d.join("manifest.json"),
            r#"{"tool": "themata", "files": ["charts/a.svg", "documents.csv", "manifest.json"]}"#,
        )
        .unwrap();
        check_ours(d, d).unwrap();
        fs::write(d.join("charts/notes.md"), "").unwrap();
        let e = check_ours(d, d).unwrap_err().to_string();
        assert!(e.contains("charts/notes.md"), "{e}");
    }

    #[test]
    fn legacy_manifest_vouches_for_tables_and_charts_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("charts")).unwrap();
        fs::write(d.join("charts/a.svg"), "").unwrap();
        fs::write(d.join("kwic.csv"), "").unwrap();
        fs::write(d.join("manifest.json"), r#"{"tool": "themata"}"#).unwrap();
        check_ours(d, d).unwrap();
        fs::write(d.join("book.xlsx"), "not a zip").unwrap();
        assert!(check_ours(d, d)
            .unwrap_err()
            .to_string()
            .contains("book.xlsx"));
    }

    #[test]
    fn a_foreign_manifest_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("manifest.json"), r#"{"tool": "other"}"#).unwrap();
        assert!(check_ours(d, d)
            .unwrap_err()
            .to_string()
            .contains("manifest.json"));
        fs::remove_file(d.join("manifest.json")).unwrap();
        fs::write(d.join("kwic.csv"), "").unwrap();
        check_ours(d, d).unwrap();
    }
}
