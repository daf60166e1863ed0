//! Codebook importers: reads other tools' dictionary formats into a
//! [`Codebook`]. The format is chosen by the file extension.

use crate::error::Result;
use crate::theme::Codebook;

/// Loads a codebook in any supported format.
pub fn load(path: &str) -> Result<Codebook> {
    Codebook::load(path)
}
