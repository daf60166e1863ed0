//! Typed errors that carry the file (and, for codebooks, the line and column)
//! they are about. `main` prints them as one line and maps them to exit code 2.

use std::fmt;
use std::path::Path;

/// Every fatal error themata reports. The `Display` form is the one-line
/// message a user sees on stderr, always starting with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with an input file or folder.
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    /// A problem in a codebook, pinned to a line and column (1-based).
    #[error("{path}:{line}:{column}: {message}")]
    Codebook {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The output folder or a table in it could not be written.
    #[error("{path}: {message}")]
    Output { path: String, message: String },
    /// Flags or options that do not fit together.
    #[error("{0}")]
    Usage(String),
    /// Every problem found in one codebook (each an [`Error::Codebook`]),
    /// in file order; shown one per line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Problems(Vec<Error>),
}

impl Error {
    pub fn input(path: impl AsRef<Path>, message: impl fmt::Display) -> Self {
        Error::Input {
            path: path.as_ref().display().to_string(),
            message: message.to_string(),
        }
    }

    pub fn output(path: impl AsRef<Path>, message: impl fmt::Display) -> Self {
        Error::Output {
            path: path.as_ref().display().to_string(),
            message: message.to_string(),
        }
    }

    pub fn codebook(
        path: impl AsRef<Path>,
        line: usize,
        column: usize,
        message: impl fmt::Display,
    ) -> Self {
        Error::Codebook {
            path: path.as_ref().display().to_string(),
            line,
            column,
            message: message.to_string(),
        }
    }

    /// One error for a list of problems: the problem itself when there is
    /// one, [`Error::Problems`] when there are several.
    pub fn all(mut problems: Vec<Error>) -> Self {
        if problems.len() == 1 {
            problems.remove(0)
        } else {
            Error::Problems(problems)
        }
    }

    /// The lines a user reads: one per problem, each with its control
    /// characters escaped by [`one_line`].
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Problems(list) => list.iter().flat_map(Error::lines).collect(),
            e => vec![one_line(&e.to_string())],
        }
    }

    /// Locates a byte offset of `text` as a 1-based (line, column) pair,
    /// counting columns in characters.
    pub fn codebook_at(
        path: impl AsRef<Path>,
        text: &str,
        offset: usize,
        message: impl fmt::Display,
    ) -> Self {
        let (line, column) = line_column(text, offset);
        Error::codebook(path, line, column, message)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Line starts of a text, for many [`line_column`] look-ups in O(log n) each.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

/// A message stays one line on the terminal even when a file name has a
/// newline or another control character in it (shown escaped, `\n`).
pub fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        // "a\nbé\nc": byte 4 is 'é'+1 → line 2, after 'b' and 'é' → column 3.
        assert_eq!(line_column("a\nbé\nc", 0), (1, 1));
        assert_eq!(line_column("a\nbé\nc", 2), (2, 1));
        assert_eq!(line_column("a\nbé\nc", 5), (2, 3));
        assert_eq!(line_column("a\nbé\nc", 6), (3, 1));
        let index = LineIndex::new("a\nbé\nc");
        for offset in [0, 2, 5, 6, 99] {
            assert_eq!(index.locate(offset), line_column("a\nbé\nc", offset));
        }
    }
}
