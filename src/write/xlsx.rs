//! XLSX: one workbook with every table of a run (`analyze --xlsx FILE`).
//!
//! The workbook ([`Book`]) takes the same rows as the CSV tables, from the
//! render stage through [`super::TableSink`], and stores what the CSV files
//! show (numbers as the fixed-precision text reads): the first sheet, `README`, explains every table and column; then one
//! sheet per table, named after it, with the header row bold, frozen and
//! autofiltered, numeric columns stored as numbers, and column widths fitted
//! (at most 300 px). Text cells keep the CSV's formula guard (a leading `'`
//! before `=`, `+`, `-`, `@`); XLSX stores them as text either way.
//!
//! A sheet holds at most 1,048,575 data rows (Excel's limit); a longer table
//! is cut and the README sheet says so. A cell holds at most 32,767
//! characters (Excel's limit, counted in UTF-16 units as Excel does); a
//! longer text is cut to end in `… [cut: N characters]` within the limit,
//! with a note per sheet, rather than failing the run ([`fit_cell`]). The
//! creation date is fixed, so reruns give identical bytes. The custom
//! property `Generator = themata` marks the workbook as themata's
//! ([`is_themata_workbook`]), so that a rerun replaces it but never a
//! workbook of the user's. The file is staged by [`super::Output`] (in the
//! output folder, or beside its target) and lands in the same step as the
//! tables.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use super::cells::{shown, shown_in, value};
use crate::error::{Error, Result};
use crate::table::Cell;

/// Data rows per sheet at most (Excel: 1,048,576 rows including the header).
pub const MAX_ROWS: usize = 1_048_575;

/// What one row of table `name` is (from [`crate::table::catalog`]).
fn about(name: &str) -> &'static str {
    crate::table::definition(name)
        .map(|t| t.about)
        .or_else(|| {
            let compare = crate::table::catalog::COMPARE.iter();
            compare.clone().find(|(t, _)| *t == name).map(|(_, a)| *a)
        })
        .unwrap_or("")
}

/// Whether a column holds numbers (a column the catalogue does not know,
/// such as a metadata column, is numeric where its cells parse as numbers).
fn is_numeric(column: &str) -> bool {
    use crate::table::Kind;
    crate::table::column(column).is_none_or(|c| matches!(c.kind, Kind::Int | Kind::Float))
}

/// A workbook being written, one sheet per table, from the rows the
/// tables get ([`super::TableSink`]): the README sheet first, then the
/// sheets in the order the tables were started.
///
/// Data sheets use rust_xlsxwriter's constant-memory mode (rows go to a
/// temporary file as they are written), so memory stays flat however long
/// the tables are; column widths are therefore measured here, from the
/// longest cell of each column, rather than by `autofit`.
pub struct Book {
    book: Workbook,
    /// The format of the table files beside the workbook ("CSV",
    /// "Parquet"), which its notes point to.
    kind: &'static str,
    sheets: Vec<Sheet>,
    bold: Format,
    /// Where a cell's CSV text is written when it is not its own text.
    scratch: Vec<u8>,
}

/// One data sheet: its table, what its columns hold, and how far it got.
struct Sheet {
    name: String,
    header: Vec<String>,
    /// Per column: numbers are stored as numbers.
    numeric: Vec<bool>,
    /// Per column: the widest cell so far, in characters.
    widths: Vec<usize>,
    columns: u16,
    /// Data rows written.
    rows: usize,
    /// Whether rows were left out (past [`MAX_ROWS`]).
    full: bool,
    /// Cells cut to fit Excel's limit.
    cut: usize,
}

impl Book {
    /// A workbook beside tables written as `kind` ("CSV", "Parquet"),
    /// which its notes point to for what does not fit.
    pub fn new(kind: &'static str) -> Result<Book> {
        // rust_xlsxwriter keeps each sheet's rows in a file in the
        // temporary folder and panics when it cannot create one: check
        // first, for a one-line error before anything is read.
        let tmp = std::env::temp_dir();
        tempfile::tempfile_in(&tmp).map_err(|e| {
            let hint = "set TMPDIR to a folder where files can be created";
            Error::output(
                &tmp,
                format!("cannot create the workbook's temporary files ({e}); {hint}"),
            )
        })?;
        let mut book = Workbook::new();
        let fixed = ExcelDateTime::from_ymd(2000, 1, 1).map_err(|e| Error::Usage(e.to_string()))?;
        book.set_properties(
            &DocProperties::new()
                .set_creation_datetime(&fixed)
                .set_title("themata tables")
                .set_custom_property(GENERATOR.0, GENERATOR.1),
        );
        // The README sheet comes first; it is filled in at the end.
        book.add_worksheet()
            .set_name("README")
            .map_err(|err| Error::Usage(format!("README sheet: {err}")))?;
        Ok(Book {
            book,
            kind,
            sheets: Vec::new(),
            bold: Format::new().set_bold(),
            scratch: Vec::new(),
        })
    }

    /// Starts the sheet of table `name`; returns its number for
    /// [`Book::row`].
    pub fn sheet(&mut self, name: &str, header: &[&str]) -> Result<usize> {
        // As the CSV file's header shows them.
        let header: Vec<String> = (header.iter())
            .map(|h| shown(&Cell::Str(h)).into_owned())
            .collect();
        let columns = header.len().min(16_384) as u16;
        let numeric = (header.iter().enumerate())
            .map(|(i, h)| match name {
                "term_matrix" => i >= 2,
                _ => is_numeric(h),
            })
            .collect();
        // Room for the autofilter button beside the header.
        let widths = header.iter().map(|h| h.chars().count() + 3).collect();
        let sheet = self.book.add_worksheet_with_constant_memory();
        sheet.set_name(sheet_name(name)).map_err(fail(name))?;
        for (c, h) in header.iter().enumerate().take(columns as usize) {
            (sheet.write_string_with_format(0, c as u16, fit_cell(h), &self.bold))
                .map_err(fail(name))?;
        }
        self.sheets.push(Sheet {
            name: name.to_string(),
            header,
            numeric,
            widths,
            columns,
            rows: 0,
            full: false,
            cut: 0,
        });
        Ok(self.sheets.len() - 1)
    }

    /// Appends one row to sheet `n`: numbers in numeric columns as
    /// numbers, every other cell as the text the CSV file shows.
    pub fn row(&mut self, n: usize, cells: &[Cell]) -> Result<()> {
        let s = &mut self.sheets[n];
        if s.rows == MAX_ROWS {
            s.full = true;
            return Ok(());
        }
        s.rows += 1;
        let sheet = self
            .book
            .worksheet_from_index(n + 1)
            .map_err(fail(&s.name))?;
        let buf = &mut self.scratch;
        for (c, cell) in cells.iter().enumerate().take(s.columns as usize) {
            let (row, col) = (s.rows as u32, c as u16);
            let text = shown_in(cell, buf);
            if let Some(w) = s.widths.get_mut(c) {
                *w = (*w).max(text.chars().count().min(MAX_WIDTH));
            }
            let number = match cell {
                _ if !s.numeric[c] => None,
                Cell::Int(i) => Some(*i as f64),
                Cell::Float(_) | Cell::Sci(_) => value(cell),
                Cell::Str(_) => text.parse::<f64>().ok().filter(|v| v.is_finite()),
            };
            match number {
                Some(v) => {
                    sheet.write_number(row, col, v).map_err(fail(&s.name))?;
                }
                None if text.is_empty() => {}
                None => {
                    let fitted = fit_cell(text);
                    s.cut += usize::from(fitted.len() != text.len());
                    sheet
                        .write_string(row, col, fitted)
                        .map_err(fail(&s.name))?;
                }
            }
        }
        Ok(())
    }

    /// Ends sheet `n`: header frozen and autofiltered, widths set.
    pub fn end(&mut self, n: usize) -> Result<()> {
        let s = &self.sheets[n];
        let sheet = self
            .book
            .worksheet_from_index(n + 1)
            .map_err(fail(&s.name))?;
        if s.columns > 0 {
            sheet.set_freeze_panes(1, 0).map_err(fail(&s.name))?;
            (sheet.autofilter(0, 0, s.rows as u32, s.columns - 1)).map_err(fail(&s.name))?;
        }
        for (c, w) in s.widths.iter().enumerate().take(s.columns as usize) {
            let width = (*w).clamp(6, MAX_WIDTH) as f64 + 1.0;
            sheet
                .set_column_width(c as u16, width)
                .map_err(fail(&s.name))?;
        }
        print_setup(sheet);
        Ok(())
    }

    /// The workbook's bytes, with its README sheet, and one note per table
    /// that was cut to fit a sheet.
    pub fn finish(mut self) -> Result<(Vec<u8>, Vec<String>)> {
        let kind = self.kind;
        let notes: Vec<String> = (self.sheets.iter()).flat_map(|s| s.notes(kind)).collect();
        let readme_sheet = self
            .book
            .worksheet_from_index(0)
            .map_err(|err| Error::Usage(format!("README sheet: {err}")))?;
        readme(readme_sheet, (&self.sheets, self.kind), &notes, &self.bold)?;
        let bytes = (self.book.save_to_buffer())
            .map_err(|err| Error::Usage(format!("cannot build the workbook: {err}")))?;
        Ok((bytes, notes))
    }
}

impl Sheet {
    /// What the README sheet says about rows or cells left out.
    fn notes(&self, kind: &str) -> Vec<String> {
        let name = &self.name;
        let mut notes = Vec::new();
        if self.full {
            notes.push(format!(
                "{name}: only the first {MAX_ROWS} rows fit in a sheet; the {kind} file has them all"
            ));
        }
        if self.cut > 0 {
            notes.push(format!(
                "{name}: {} cell(s) longer than Excel's {MAX_CELL} characters cut to end in \"… [cut: N characters]\"; the {kind} file has them in full",
                self.cut
            ));
        }
        notes
    }
}

/// An error of the workbook, naming the sheet.
fn fail(sheet: &str) -> impl Fn(rust_xlsxwriter::XlsxError) -> Error + '_ {
    move |err| Error::Usage(format!("workbook, sheet {sheet}: {err}"))
}

/// Longest text in a cell (Excel's limit, in UTF-16 units).
pub const MAX_CELL: usize = 32_767;

/// A cell's text as it fits in Excel: unchanged when it is at most
/// [`MAX_CELL`] UTF-16 units long, else its first characters followed by
/// `… [cut: N characters]` (N characters left out), all within the limit.
pub fn fit_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    // A UTF-8 byte is at most one UTF-16 unit: short cells need no count.
    if cell.len() <= MAX_CELL || cell.encode_utf16().count() <= MAX_CELL {
        return cell.into();
    }
    let total = cell.chars().count();
    // The longest marker (all characters cut) bounds the room for text.
    let room = MAX_CELL - marker(total).encode_utf16().count();
    let (mut units, mut end, mut kept) = (0, 0, 0);
    for c in cell.chars() {
        if units + c.len_utf16() > room {
            break;
        }
        units += c.len_utf16();
        end += c.len_utf8();
        kept += 1;
    }
    format!("{}{}", &cell[..end], marker(total - kept)).into()
}

/// The end of a cut cell.
fn marker(cut: usize) -> String {
    format!("… [cut: {cut} characters]")
}

/// Widest column, in characters.
const MAX_WIDTH: usize = 50;

/// The README sheet: one row per table, then one row per table × column.
fn readme(
    sheet: &mut Worksheet,
    (tables, kind): (&[Sheet], &str),
    notes: &[String],
    bold: &Format,
) -> Result<()> {
    let e = |err: rust_xlsxwriter::XlsxError| Error::Usage(format!("README sheet: {err}"));
    let mut r = 0u32;
    let mut line = |sheet: &mut Worksheet, cells: &[&str], header: bool| -> Result<()> {
        for (c, text) in cells.iter().enumerate() {
            if header {
                sheet
                    .write_string_with_format(r, c as u16, *text, bold)
                    .map_err(e)?;
            } else {
                sheet.write_string(r, c as u16, *text).map_err(e)?;
            }
        }
        r += 1;
        Ok(())
    };
    line(
        sheet,
        &[
            "themata tables",
            "",
            &format!("written by themata {}", env!("CARGO_PKG_VERSION")),
        ],
        true,
    )?;
    let intro = format!("Each sheet is one {kind} table of the run, in long (tidy) format; the {kind} files beside this workbook hold the same rows.");
    line(sheet, &[&intro], false)?;
    for note in notes {
        line(sheet, &["Note", note], false)?;
    }
    line(sheet, &[], false)?;
    line(sheet, &["sheet", "column", "meaning"], true)?;
    for table in tables {
        let name = &table.name;
        line(sheet, &[name, "", about(name)], false)?;
        for (i, column) in table.header.iter().enumerate() {
            let meaning = crate::table::column(column).map(|c| c.meaning).unwrap_or(
                if name == "term_matrix" && i >= 3 {
                    "Count of the term in this document (the column is the doc_id)."
                } else {
                    ""
                },
            );
            line(sheet, &[name, column, meaning], false)?;
        }
    }
    sheet.set_column_width(0, 20).map_err(e)?;
    sheet.set_column_width(1, 14).map_err(e)?;
    sheet.set_column_width(2, 100).map_err(e)?;
    print_setup(sheet);
    Ok(())
}

/// Printed (or exported to PDF): landscape, all columns on one page width,
/// the header row repeated on every page.
fn print_setup(sheet: &mut Worksheet) {
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    let _ = sheet.set_repeat_rows(0, 0);
}

/// A valid sheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

/// The custom document property that marks a workbook themata wrote
/// (`docProps/custom.xml`), so that a rerun may replace it and nothing else.
const GENERATOR: (&str, &str) = ("Generator", "themata");

/// Whether `path` is a workbook themata wrote: it has the [`GENERATOR`]
/// property, or (before that property) the title "themata tables". Reads at
/// most 64 KiB of either part, so a hostile archive cannot make it slow.
pub fn is_themata_workbook(path: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(mut zip) = zip::ZipArchive::new(file) else {
        return false;
    };
    let mut part = |name: &str| {
        let mut text = String::new();
        if let Ok(entry) = zip.by_name(name) {
            let _ = entry.take(1 << 16).read_to_string(&mut text);
        }
        text
    };
    let custom = part("docProps/custom.xml");
    let marked = format!(
        "name=\"{}\"><vt:lpwstr>{}</vt:lpwstr>",
        GENERATOR.0, GENERATOR.1
    );
    custom.contains(&marked)
        || part("docProps/core.xml").contains("<dc:title>themata tables</dc:title>")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Length in UTF-16 units, as Excel counts.
    fn units(s: &str) -> usize {
        s.encode_utf16().count()
    }

    #[test]
    fn cells_within_the_limit_are_unchanged() {
        let full = "x".repeat(MAX_CELL);
        assert_eq!(fit_cell(&full), full.as_str());
        // 32,767 characters of 3 bytes each: 98,301 bytes, still one unit each.
        let cjk = "和".repeat(MAX_CELL);
        assert_eq!(fit_cell(&cjk), cjk.as_str());
    }

    #[test]
    fn long_cells_end_in_a_marker_within_the_limit() {
        let cell = "和".repeat(40_000);
        let fitted = fit_cell(&cell);
        // Room is reserved for the longest marker, "… [cut: 40000
        // characters]" (25 units): 32,767 - 25 = 32,742 characters kept,
        // 40,000 - 32,742 = 7,258 cut, and the marker actually written is
        // 24 units, so the cell is 32,766 units long.
        assert!(fitted.ends_with("… [cut: 7258 characters]"));
        assert!(fitted.starts_with(&"和".repeat(32_742)));
        assert_eq!(units(&fitted), 32_766);
        // Characters outside the BMP are two units each: never split.
        let emoji = "😀".repeat(20_000);
        let fitted = fit_cell(&emoji);
        assert!(units(&fitted) <= MAX_CELL);
        let kept = fitted.chars().filter(|&c| c == '😀').count();
        assert!(fitted.ends_with(&format!("… [cut: {} characters]", 20_000 - kept)));
    }
}
