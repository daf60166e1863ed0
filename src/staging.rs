//! The name of themata's staging folders, known to two stages: the writers
//! make them beside the output folder (`write::folder`), and discovery
//! passes over them when an input folder holds an output (`input`). Kept
//! here so neither stage reaches into the other.

use std::path::Path;

/// Prefix of staging folders in the output folder's parent.
pub const PREFIX: &str = ".themata-staging.";

/// Whether `path` names a staging folder (or the old tree after a switch).
pub fn is_staging(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(PREFIX))
}
