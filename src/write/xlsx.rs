//! XLSX: one workbook with every table of a run (`analyze --xlsx FILE`).
//!
//! The workbook is built from the CSV tables already staged by
//! [`super::Output`], so the sheets hold exactly what the CSV files hold:
//! the first sheet, `README`, explains every table and column; then one
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

use crate::error::{Error, Result};

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

/// Builds the workbook from staged CSV tables: (table name, CSV path).
/// Returns the bytes and one note per table that was cut to fit a sheet.
///
/// Data sheets use rust_xlsxwriter's constant-memory mode (rows go to a
/// temporary file as they are written), so memory stays flat however long
/// the tables are; column widths are therefore measured here, from the
/// longest cell of each column, rather than by `autofit`.
pub fn workbook(tables: &[(String, std::path::PathBuf)]) -> Result<(Vec<u8>, Vec<String>)> {
    let mut book = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1).map_err(|e| Error::Usage(e.to_string()))?;
    book.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&fixed)
            .set_title("themata tables")
            .set_custom_property(GENERATOR.0, GENERATOR.1),
    );
    let bold = Format::new().set_bold();
    let mut notes = Vec::new();
    // The README sheet comes first; it is filled in at the end.
    book.add_worksheet()
        .set_name("README")
        .map_err(|err| Error::Usage(format!("README sheet: {err}")))?;
    for (name, path) in tables {
        let sheet = book.add_worksheet_with_constant_memory();
        let e = |err: rust_xlsxwriter::XlsxError| Error::output(path, err);
        sheet.set_name(sheet_name(name)).map_err(e)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv_file(path)?);
        let mut numeric: Vec<bool> = Vec::new();
        let mut widths: Vec<usize> = Vec::new();
        let mut rows = 0usize;
        let mut columns = 0u16;
        let mut record = csv::StringRecord::new();
        let mut r = 0usize;
        // Cells cut to fit Excel's limit.
        let mut cut = 0usize;
        while reader
            .read_record(&mut record)
            .map_err(|err| Error::output(path, err))?
        {
            if r == 0 {
                columns = record.len().min(16_384) as u16;
                numeric = record
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        if name == "term_matrix" {
                            i >= 2
                        } else {
                            is_numeric(h)
                        }
                    })
                    .collect();
                // Room for the autofilter button beside the header.
                widths = record.iter().map(|h| h.chars().count() + 3).collect();
                for (c, h) in record.iter().enumerate().take(columns as usize) {
                    sheet
                        .write_string_with_format(0, c as u16, fit_cell(h), &bold)
                        .map_err(e)?;
                }
                r += 1;
                continue;
            }
            if r > MAX_ROWS {
                notes.push(format!(
                    "{name}: only the first {MAX_ROWS} rows fit in a sheet; the CSV file has them all"
                ));
                break;
            }
            rows = r;
            for (c, cell) in record.iter().enumerate().take(columns as usize) {
                let (row, col) = (r as u32, c as u16);
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(cell.chars().count().min(MAX_WIDTH));
                }
                if numeric.get(c).copied().unwrap_or(false) {
                    match cell.parse::<f64>() {
                        Ok(v) if v.is_finite() => {
                            sheet.write_number(row, col, v).map_err(e)?;
                        }
                        _ if cell.is_empty() => {}
                        _ => {
                            let fitted = fit_cell(cell);
                            cut += usize::from(fitted.len() != cell.len());
                            sheet.write_string(row, col, fitted).map_err(e)?;
                        }
                    }
                } else if !cell.is_empty() {
                    let fitted = fit_cell(cell);
                    cut += usize::from(fitted.len() != cell.len());
                    sheet.write_string(row, col, fitted).map_err(e)?;
                }
            }
            r += 1;
        }
        if cut > 0 {
            notes.push(format!(
                "{name}: {cut} cell(s) longer than Excel's {MAX_CELL} characters cut to end in \"… [cut: N characters]\"; the CSV file has them in full"
            ));
        }
        if columns > 0 {
            sheet.set_freeze_panes(1, 0).map_err(e)?;
            sheet
                .autofilter(0, 0, rows as u32, columns - 1)
                .map_err(e)?;
        }
        for (c, w) in widths.iter().enumerate().take(columns as usize) {
            let width = (*w).clamp(6, MAX_WIDTH) as f64 + 1.0;
            sheet.set_column_width(c as u16, width).map_err(e)?;
        }
        print_setup(sheet);
    }
    let readme_sheet = book
        .worksheet_from_index(0)
        .map_err(|err| Error::Usage(format!("README sheet: {err}")))?;
    readme(readme_sheet, tables, &notes, &bold)?;
    let bytes = book
        .save_to_buffer()
        .map_err(|err| Error::Usage(format!("cannot build the workbook: {err}")))?;
    Ok((bytes, notes))
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

/// A staged CSV file, buffered, without its UTF-8 BOM (under `--excel`).
fn csv_file(path: &Path) -> Result<std::io::BufReader<std::fs::File>> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|err| Error::output(path, err))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let has_bom = reader
        .fill_buf()
        .map_err(|err| Error::output(path, err))?
        .starts_with(b"\xEF\xBB\xBF");
    if has_bom {
        reader.consume(3);
    }
    Ok(reader)
}

/// The README sheet: one row per table, then one row per table × column.
fn readme(
    sheet: &mut Worksheet,
    tables: &[(String, std::path::PathBuf)],
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
    line(sheet, &["Each sheet is one CSV table of the run, in long (tidy) format; the CSV files beside this workbook hold the same rows."], false)?;
    for note in notes {
        line(sheet, &["Note", note], false)?;
    }
    line(sheet, &[], false)?;
    line(sheet, &["sheet", "column", "meaning"], true)?;
    for (name, path) in tables {
        line(sheet, &[name, "", about(name)], false)?;
        let header = csv_header(path)?;
        for (i, column) in header.iter().enumerate() {
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

fn csv_header(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|err| Error::output(path, err))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().map_err(|err| Error::output(path, err))?;
    Ok(header.iter().map(String::from).collect())
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
