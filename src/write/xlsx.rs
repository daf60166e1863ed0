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
//! is cut and the README sheet says so. The creation date is fixed, so
//! reruns give identical bytes. The file is written to a temporary file
//! beside the target and renamed into place after the tables ([`stage`]).

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::error::{Error, Result};

/// Data rows per sheet at most (Excel: 1,048,576 rows including the header).
pub const MAX_ROWS: usize = 1_048_575;

/// What each table holds, one row per what.
const TABLES: &[(&str, &str)] = &[
    ("documents", "One row per document: its size and title."),
    (
        "sections",
        "One row per section of a document, in document order.",
    ),
    (
        "terms_by_section",
        "One row per section × term (stem): how often the term occurs in the section.",
    ),
    (
        "terms_by_document",
        "One row per document × term (stem), most frequent first.",
    ),
    (
        "themes_by_section",
        "One row per section × theme, zeros included, so a pivot table has no holes.",
    ),
    (
        "themes_by_document",
        "One row per document × theme, zeros included.",
    ),
    (
        "theme_matches",
        "One row per section × theme × matched text: the evidence behind the theme counts.",
    ),
    (
        "ngrams_by_document",
        "One row per document × n-gram (runs of consecutive terms).",
    ),
    (
        "term_matrix",
        "Wide: one row per term (stem), one column per document with its count.",
    ),
    (
        "kwic",
        "One row per theme match, with the words around it (keyword in context).",
    ),
    (
        "keyness",
        "compare: one row per comparison × term, sorted by the --sort measure, descending.",
    ),
    (
        "tfidf",
        "compare: one row per document × term, with tf-idf as tidytext defines it.",
    ),
    (
        "similarity",
        "compare: one row per pair of documents or groups, with their cosine similarity.",
    ),
    (
        "themes_by_group",
        "compare: one row per group × theme, zeros included.",
    ),
];

/// What each column means (the same name means the same thing everywhere).
const COLUMNS: &[(&str, &str)] = &[
    ("doc_id", "Document id: the file name without extension (made unique when two files share it)."),
    ("source", "The input path the document was read from."),
    ("title", "Text of the title section (first short line without end punctuation), if any."),
    ("n_sections", "Sections in the document (or, in theme/term tables, sections containing the theme or term)."),
    ("n_tokens", "Tokens: Unicode (UAX #29) words containing a letter or digit."),
    ("n_terms", "Terms: tokens minus stopwords and numbers; the denominator of per_1000."),
    ("n_types", "Distinct terms (stems)."),
    ("coverage", "Share (0–1) of the terms that at least one theme pattern matched."),
    ("encoding", "Text encoding the file was decoded from."),
    ("bytes", "Size of the input file in bytes."),
    ("section_id", "Section number, 1-based, in document order."),
    ("kind", "Section kind: title, date, paragraph, list_item, signature, …"),
    ("label", "The first words of the section."),
    ("start_byte", "Byte offset where the section (or match) starts in the decoded text."),
    ("end_byte", "Byte offset just past the section (or match)."),
    ("stem", "The Snowball stem: the unit that is counted."),
    ("term", "The stem's most frequent surface form, for reading."),
    ("count", "Occurrences in the row's document or section."),
    ("per_1000", "count × 1000 / n_terms of the same document or section."),
    ("theme", "Theme key from the codebook (a parent theme counts its children too)."),
    ("pattern", "The codebook pattern that matched."),
    ("matched", "The text it matched, lowercased."),
    ("n", "Length of the n-gram in terms."),
    ("ngram", "The n-gram, shown as its most frequent exact word sequence in the document."),
    ("total", "Occurrences in all documents."),
    ("left", "Up to --window tokens of source text before the match, in the same section."),
    ("match", "The exact source text that matched."),
    ("right", "Up to --window tokens of source text after the match, in the same section."),
    ("target", "The target side of the comparison (a doc_id or FIELD=VALUE)."),
    ("reference", "The reference side (`rest`: every other document)."),
    ("count_target", "Occurrences in the target (a)."),
    ("count_reference", "Occurrences in the reference (b)."),
    ("total_target", "Terms in the target (N_T)."),
    ("total_reference", "Terms in the reference (N_R)."),
    ("per_1000_target", "a × 1000 / N_T."),
    ("per_1000_reference", "b × 1000 / N_R."),
    ("g2", "Signed log-likelihood G², positive when the term is relatively more frequent in the target."),
    ("p_value", "p-value of G², chi-square with 1 degree of freedom."),
    ("log_ratio", "log2((a/N_T)/(b/N_R)), a zero count taken as 0.5 (Hardie 2014)."),
    ("chi2", "Chi-square with Yates' correction, signed like g2."),
    ("log_odds", "Weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008)."),
    ("log_odds_z", "log_odds divided by its standard error."),
    ("tf", "Term frequency: count / terms in the document."),
    ("idf", "Inverse document frequency: ln(documents / documents containing the term)."),
    ("tf_idf", "tf × idf."),
    ("doc_a", "First document (or group) of the pair."),
    ("doc_b", "Second document (or group) of the pair."),
    ("cosine", "Cosine similarity of the two term-count vectors (0–1)."),
    ("group", "The group (a comparison side, or a value of --by)."),
];

/// Columns stored as text; every other column is numeric.
const TEXT_COLUMNS: &[&str] = &[
    "doc_id",
    "source",
    "title",
    "encoding",
    "kind",
    "label",
    "stem",
    "term",
    "theme",
    "pattern",
    "matched",
    "ngram",
    "left",
    "match",
    "right",
    "target",
    "reference",
    "group",
    "doc_a",
    "doc_b",
];

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
            .set_title("themata tables"),
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
                            !TEXT_COLUMNS.contains(&h)
                        }
                    })
                    .collect();
                // Room for the autofilter button beside the header.
                widths = record.iter().map(|h| h.chars().count() + 3).collect();
                for (c, h) in record.iter().enumerate().take(columns as usize) {
                    sheet
                        .write_string_with_format(0, c as u16, h, &bold)
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
                            sheet.write_string(row, col, cell).map_err(e)?;
                        }
                    }
                } else if !cell.is_empty() {
                    sheet.write_string(row, col, cell).map_err(e)?;
                }
            }
            r += 1;
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
        let what = TABLES
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, w)| *w)
            .unwrap_or("");
        line(sheet, &[name, "", what], false)?;
        let header = csv_header(path)?;
        for (i, column) in header.iter().enumerate() {
            let meaning = COLUMNS
                .iter()
                .find(|(c, _)| c == column)
                .map(|(_, m)| *m)
                .unwrap_or(if name == "term_matrix" && i >= 3 {
                    "Count of the term in this document (the column is the doc_id)."
                } else {
                    ""
                });
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

/// A file written to a temporary name beside its target, renamed into
/// place by [`Staged::commit`]; dropped without commit, it is removed.
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

/// Writes `bytes` to a temporary file in `path`'s folder (so the final
/// rename is atomic): `path` is then either the old file or the whole new one.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".themata-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::output(path, e))?;
    tmp.write_all(bytes).map_err(|e| Error::output(path, e))?;
    // A temporary file is private (0600); the workbook is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::output(path, e))?;
    }
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

impl Staged {
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| Error::output(&path, e.error))?;
        Ok(())
    }
}
