//! Typed rows for the writers that store values rather than text (Parquet,
//! XLSX), and the per-document buffer that the render stage fills on a
//! worker thread ([`Rows`]): CSV bytes, typed cells, or both, as the run's
//! formats ask ([`Shape`]).
//!
//! A typed writer stores what the CSV file shows: a float is the number
//! its fixed-precision text reads as ([`value`]), so a notebook reading
//! the CSV, the Parquet file or the workbook sees the same numbers.

use std::borrow::Cow;

use crate::table::{Cell, RowSink};

use super::rows::{fixed6, is_formula_start, sci6, CsvRows};

/// One cell held by [`CellRows`]: a text is a span of its `text`.
#[derive(Debug, Clone, Copy)]
enum Held {
    Str(usize, usize),
    Int(u64),
    Float(f64),
    Sci(f64),
}

/// Rows of cells held with their types (the lead's cells repeated in each
/// row), for a typed writer to take one row at a time
/// ([`CellRows::each`]).
#[derive(Debug, Default)]
pub struct CellRows {
    text: String,
    cells: Vec<Held>,
    lead: Vec<Held>,
    /// Where each row ends in `cells`.
    ends: Vec<usize>,
}

impl CellRows {
    fn hold(&mut self, cell: &Cell) -> Held {
        match *cell {
            Cell::Str(s) => {
                let start = self.text.len();
                self.text.push_str(s);
                Held::Str(start, self.text.len())
            }
            Cell::Int(n) => Held::Int(n),
            Cell::Float(f) => Held::Float(f),
            Cell::Sci(f) => Held::Sci(f),
        }
    }

    fn cell(&self, held: Held) -> Cell<'_> {
        match held {
            Held::Str(start, end) => Cell::Str(&self.text[start..end]),
            Held::Int(n) => Cell::Int(n),
            Held::Float(f) => Cell::Float(f),
            Held::Sci(f) => Cell::Sci(f),
        }
    }

    /// Rows held.
    pub fn len(&self) -> u64 {
        self.ends.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Calls `f` with each row's cells, in order.
    pub fn each<E>(&self, mut f: impl FnMut(&[Cell]) -> Result<(), E>) -> Result<(), E> {
        let mut row: Vec<Cell> = Vec::new();
        let mut start = 0;
        for &end in &self.ends {
            row.clear();
            row.extend(self.cells[start..end].iter().map(|&h| self.cell(h)));
            f(&row)?;
            start = end;
        }
        Ok(())
    }
}

impl RowSink for CellRows {
    fn lead(&mut self, cells: &[Cell]) {
        let lead: Vec<Held> = cells.iter().map(|c| self.hold(c)).collect();
        self.lead = lead;
    }

    fn row(&mut self, cells: &[Cell]) {
        self.cells.extend_from_slice(&self.lead);
        for cell in cells {
            let held = self.hold(cell);
            self.cells.push(held);
        }
        self.ends.push(self.cells.len());
    }
}

/// What a run's per-document [`Rows`] hold: CSV bytes when the run writes
/// CSV files, typed cells when it writes Parquet or a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub csv: bool,
    pub typed: bool,
}

impl Shape {
    /// Empty rows of this shape, the CSV bytes in `buffer` (cleared).
    pub fn rows(self, buffer: Vec<u8>) -> Rows {
        Rows {
            csv: self.csv.then(|| CsvRows::with_buffer(buffer)),
            typed: self.typed.then(CellRows::default),
        }
    }
}

/// One table's rows of one document, as the render stage leaves them for
/// the writer thread ([`super::TableSink::append_rows`]).
#[derive(Default)]
pub struct Rows {
    pub(super) csv: Option<CsvRows>,
    pub(super) typed: Option<CellRows>,
}

impl RowSink for Rows {
    fn lead(&mut self, cells: &[Cell]) {
        if let Some(csv) = &mut self.csv {
            csv.lead(cells);
        }
        if let Some(typed) = &mut self.typed {
            typed.lead(cells);
        }
    }

    fn row(&mut self, cells: &[Cell]) {
        if let Some(csv) = &mut self.csv {
            csv.row(cells);
        }
        if let Some(typed) = &mut self.typed {
            typed.row(cells);
        }
    }
}

/// The text a cell shows in the CSV file: a text with the formula guard,
/// a number in its fixed format, nothing for a non-finite float.
pub fn shown<'a>(cell: &Cell<'a>) -> Cow<'a, str> {
    let mut bytes = Vec::new();
    match *cell {
        Cell::Str(s) if is_formula_start(s.as_bytes().first()) => return format!("'{s}").into(),
        Cell::Str(s) => return s.into(),
        Cell::Int(n) => return n.to_string().into(),
        Cell::Float(f) => fixed6(f, &mut bytes),
        Cell::Sci(f) => sci6(f, &mut bytes),
    }
    // fixed6 and sci6 write ASCII.
    String::from_utf8(bytes).unwrap_or_default().into()
}

/// The number a float cell stores: what its CSV text reads as (6 decimals,
/// or 6 significant digits for [`Cell::Sci`]); `None` when the CSV cell is
/// empty (NaN or infinity) or the cell is not a float.
pub fn value(cell: &Cell) -> Option<f64> {
    let mut bytes = Vec::with_capacity(24);
    match *cell {
        Cell::Float(f) => fixed6(f, &mut bytes),
        Cell::Sci(f) => sci6(f, &mut bytes),
        _ => return None,
    }
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_rows_repeat_the_lead_and_keep_types() {
        let mut rows = CellRows::default();
        rows.lead(&[Cell::Str("d1"), Cell::Int(2)]);
        rows.row(&[Cell::Str("a"), Cell::Float(0.5)]);
        rows.row(&[Cell::Sci(1e-5)]);
        rows.lead(&[]);
        rows.row(&[Cell::Str("")]);
        let mut seen = Vec::new();
        rows.each(|cells| {
            seen.push(cells.iter().map(Cell::render).collect::<Vec<_>>());
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                vec!["d1", "2", "a", "0.500000"],
                vec!["d1", "2", "1.000000e-5"],
                vec![""],
            ]
        );
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn values_are_what_the_csv_text_reads_as() {
        // 1/3 with 6 decimals is 0.333333 (hand count).
        assert_eq!(value(&Cell::Float(1.0 / 3.0)), Some(0.333333));
        assert_eq!(value(&Cell::Sci(1.0 / 3.0)), Some(3.333333e-1));
        assert_eq!(value(&Cell::Float(f64::NAN)), None);
        assert_eq!(value(&Cell::Int(3)), None);
        assert_eq!(shown(&Cell::Str("-x")), "'-x");
        assert_eq!(shown(&Cell::Float(-0.0)), "0.000000");
        assert_eq!(shown(&Cell::Float(f64::INFINITY)), "");
    }
}
