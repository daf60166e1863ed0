//! quanteda YAML dictionaries (`.yml`, `.yaml`), as written by quanteda's
//! `as.yaml()` and read by `dictionary(file = "x.yml")`:
//!
//! ```yaml
//! economy:
//!   trade: [trade*, tariff*]
//!   jobs:
//!     - job*
//!     - unemploy*
//! security: [secur*, "armed forces"]
//! ```
//!
//! A mapping key is a category; its value is a list of patterns, a single
//! pattern, a mapping of subcategories (dotted keys: `economy.trade`), or a
//! list mixing patterns and subcategory mappings. The key `__` holds the
//! parent's own patterns when it also has subcategories (quanteda's
//! `as.yaml()` writes it so). An empty value (`key:`) is a category with no
//! patterns. Patterns are globs (`*`, `?`) and phrases (spaces).
//!
//! Positions come from the `saphyr-parser` event stream, which marks where
//! every key and value starts, so semantic errors (bad pattern, duplicate
//! key) point at the offending value, and syntax errors (an unclosed quote,
//! bad indentation) at the place the parser gave up. Aliases (`*name`) and
//! several documents in one file are errors. Lines are counted as in the
//! other formats, ending at `\n` only (YAML also ends a line at a lone
//! `\r`), from the parser's character index.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, StrInput};

use super::Builder;
use crate::error::{Error, Result};

pub(super) fn parse(text: &str, b: &mut Builder) -> Result<()> {
    let mut events = Events {
        parser: Parser::new_from_str(text),
        last: (1, 1),
        line_starts: std::iter::once(0)
            .chain(
                text.chars()
                    .enumerate()
                    .filter(|&(_, c)| c == '\n')
                    .map(|(i, _)| i + 1),
            )
            .collect(),
        n_chars: text.chars().count(),
    };
    let file = b.file_name();
    events.next(b)?; // StreamStart
    match events.next(b)? {
        (Event::DocumentStart(_), _) => {}
        _ => {
            return Err(b.error(
                1,
                1,
                "empty YAML file: expected a mapping of categories to patterns",
            ))
        }
    }
    match events.next(b)? {
        (Event::MappingStart(..), _) => mapping(&mut events, None, b, &file)?,
        (_, (line, col)) => {
            return Err(b.error(
                line,
                col,
                "a quanteda dictionary is a mapping of categories to lists of patterns",
            ));
        }
    }
    events.next(b)?; // DocumentEnd
    match events.next(b)? {
        (Event::StreamEnd, _) => Ok(()),
        (_, (line, col)) => Err(b.error(
            line,
            col,
            "only one YAML document is allowed in a dictionary",
        )),
    }
}

struct Events<'i> {
    parser: Parser<'i, StrInput<'i>>,
    last: (usize, usize),
    /// Character index of each line's start.
    line_starts: Vec<usize>,
    n_chars: usize,
}

impl<'i> Events<'i> {
    /// The next event and the 1-based line and column where it starts; a
    /// syntax error or an early end is an error at its position.
    fn next(&mut self, b: &Builder) -> Result<(Event<'i>, (usize, usize))> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => {
                self.last = self.at(&span.start);
                Ok((event, self.last))
            }
            Some(Err(e)) => {
                let (line, column) = self.at(e.marker());
                Err(b.error(line, column, format!("YAML syntax error: {}", e.info())))
            }
            None => Err(b.error(self.last.0, self.last.1, "unexpected end of the YAML file")),
        }
    }
}

impl Events<'_> {
    /// 1-based line and column (in characters) of a parser position; the
    /// parser may place an error at the end of the input one or two
    /// characters past it (its look-ahead), which is the end here.
    fn at(&self, marker: &Marker) -> (usize, usize) {
        let index = marker.index().min(self.n_chars);
        let line = self.line_starts.partition_point(|&s| s <= index);
        (line, index - self.line_starts[line - 1] + 1)
    }
}

fn mapping(events: &mut Events, parent: Option<usize>, b: &mut Builder, file: &str) -> Result<()> {
    loop {
        let (event, (line, col)) = events.next(b)?;
        let key = match event {
            Event::MappingEnd => return Ok(()),
            Event::Scalar(key, ..) => key,
            Event::Alias(_) => return Err(alias(b, line, col)),
            _ => return Err(b.error(line, col, "a category name must be a plain text key")),
        };
        let theme = match parent {
            Some(p) if key == "__" => p,
            _ => {
                let definition = format!("quanteda dictionary key `{key}` in {file}.");
                b.category(parent, &key, &key, definition, line, col)?
            }
        };
        value(events, theme, b, file)?;
    }
}

/// The value of category `theme`: patterns and/or subcategories.
fn value(events: &mut Events, theme: usize, b: &mut Builder, file: &str) -> Result<()> {
    let (event, (line, col)) = events.next(b)?;
    match event {
        Event::Scalar(v, ScalarStyle::Plain, ..)
            if matches!(&*v, "" | "~" | "null" | "Null" | "NULL") =>
        {
            Ok(())
        }
        Event::Scalar(v, ..) => {
            b.pattern(theme, &v, line, col);
            Ok(())
        }
        Event::MappingStart(..) => mapping(events, Some(theme), b, file),
        Event::SequenceStart(..) => loop {
            let (event, (line, col)) = events.next(b)?;
            match event {
                Event::SequenceEnd => return Ok(()),
                Event::Scalar(v, ..) => b.pattern(theme, &v, line, col),
                Event::MappingStart(..) => mapping(events, Some(theme), b, file)?,
                Event::Alias(_) => b.problems.push(alias(b, line, col)),
                _ => {
                    return Err(b.error(
                        line,
                        col,
                        "a list of patterns cannot contain another list",
                    ))
                }
            }
        },
        Event::Alias(_) => {
            b.problems.push(alias(b, line, col));
            Ok(())
        }
        _ => Err(b.error(
            line,
            col,
            "expected a list of patterns or a mapping of subcategories",
        )),
    }
}

fn alias(b: &Builder, line: usize, col: usize) -> Error {
    b.error(
        line,
        col,
        "YAML aliases (`*name`) are not supported; write the patterns out",
    )
}

#[cfg(test)]
mod tests {
    use crate::theme::import::{parse, summary, Format, Imported};

    fn read(text: &str) -> Imported {
        parse("t.yml", text, Format::QuantedaYaml, Vec::new()).unwrap()
    }
    fn err(text: &str) -> String {
        parse("t.yml", text, Format::QuantedaYaml, Vec::new())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_nested_keys_lists_and_scalars() {
        let i = read("economy:\n  trade: [Trade*, tariff*]\n  jobs:\n    - job*\n    - unemploy*\n  __: [economy]\nsecurity: \"armed forces\"\nempty:\nmixed:\n  - a\n  - sub: [b]\n");
        assert_eq!(
            summary(&i),
            [
                "economy=economy",
                "economy.trade=trade*|tariff*",
                "economy.jobs=job*|unemploy*",
                "security=armed forces",
                "empty=",
                "mixed=a",
                "mixed.sub=b",
            ]
        );
        // `  trade: [Trade*, tariff*]`: `tariff*` starts at character 19 of line 2.
        let p = &i.codebook.themes[1].patterns[1];
        assert_eq!((p.line, p.column), (2, 19));
    }

    #[test]
    fn problems_have_line_and_column() {
        // Unclosed quote: the scanner reports where the file ends inside it.
        // Unclosed quote: reported at the opening quote, line 1 column 5.
        assert_eq!(
            err("a: [\"x]\n"),
            "t.yml:1:5: YAML syntax error: while scanning a quoted scalar, found unexpected end of stream"
        );
        assert_eq!(err("a: [x, \"\"]\n"), "t.yml:1:8: theme `a`: empty pattern");
        assert!(err("a: [x]\nb:\n  - \"*\"\n")
            .starts_with("t.yml:3:5: theme `b`: pattern `*`: `*` matches every word"));
        assert!(err("a: [x]\na: [y]\n").starts_with("t.yml:2:1: duplicate category `a`"));
        assert_eq!(
            err("- a\n- b\n"),
            "t.yml:1:1: a quanteda dictionary is a mapping of categories to lists of patterns"
        );
        assert_eq!(
            err("a: &x [y]\nb: *x\n"),
            "t.yml:2:4: YAML aliases (`*name`) are not supported; write the patterns out"
        );
        assert_eq!(
            err("a: [[x]]\n"),
            "t.yml:1:5: a list of patterns cannot contain another list"
        );
        assert_eq!(
            err(""),
            "t.yml:1:1: empty YAML file: expected a mapping of categories to patterns"
        );
        assert_eq!(
            err("a: [x]\n---\nb: [y]\n"),
            "t.yml:2:1: only one YAML document is allowed in a dictionary"
        );
    }
}
