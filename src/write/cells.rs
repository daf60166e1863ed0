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

use super::rows::{fixed6, fixed6_value, needs_guard, sci6, sci6_value, CsvRows};

/// One item of [`CellRows`]: a cell (a text is the next `len` bytes of
/// `text`), a new lead of the next `n` cells, or the end of a row.
#[derive(Debug, Clone, Copy)]
enum Held {
    Str(usize),
    Int(u64),
    Float(f64),
    Sci(f64),
    Lead(usize),
    End,
}

/// Rows of cells held with their types, for a typed writer to take one
/// row at a time ([`CellRows::each`]), the lead's cells first. Items are
/// read in the order they were written, so a text needs only its length
/// (16 bytes an item) and a lead is held once, not per row.
#[derive(Debug, Default)]
pub struct CellRows {
    text: String,
    items: Vec<Held>,
    rows: u64,
}

impl CellRows {
    fn hold(&mut self, cell: &Cell) {
        let held = match *cell {
            Cell::Str(s) => {
                self.text.push_str(s);
                Held::Str(s.len())
            }
            Cell::Int(n) => Held::Int(n),
            Cell::Float(f) => Held::Float(f),
            Cell::Sci(f) => Held::Sci(f),
        };
        self.items.push(held);
    }

    /// Rows held.
    pub fn len(&self) -> u64 {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Empties the rows (and the lead), keeping about `keep` bytes of
    /// capacity in each buffer for the next ones.
    pub fn clear(&mut self, keep: usize) {
        self.text.clear();
        self.text.shrink_to(keep);
        self.items.clear();
        self.items.shrink_to(keep / std::mem::size_of::<Held>());
        self.rows = 0;
    }

    /// Calls `f` with each row's cells (the lead's, then the row's own),
    /// in order.
    pub fn each<E>(&self, mut f: impl FnMut(&[Cell]) -> Result<(), E>) -> Result<(), E> {
        let mut row: Vec<Cell> = Vec::new();
        // The lead's cells stay at the start of `row`.
        let (mut lead, mut at) = (0, 0);
        for &held in &self.items {
            let cell = match held {
                Held::Str(len) => {
                    at += len;
                    Cell::Str(&self.text[at - len..at])
                }
                Held::Int(n) => Cell::Int(n),
                Held::Float(x) => Cell::Float(x),
                Held::Sci(x) => Cell::Sci(x),
                Held::Lead(n) => {
                    row.clear();
                    lead = n;
                    continue;
                }
                Held::End => {
                    f(&row)?;
                    row.truncate(lead);
                    continue;
                }
            };
            row.push(cell);
        }
        Ok(())
    }
}

impl RowSink for CellRows {
    fn lead(&mut self, cells: &[Cell]) {
        self.items.push(Held::Lead(cells.len()));
        for cell in cells {
            self.hold(cell);
        }
    }

    fn row(&mut self, cells: &[Cell]) {
        for cell in cells {
            self.hold(cell);
        }
        self.items.push(Held::End);
        self.rows += 1;
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
    /// Empty rows of this shape.
    pub fn rows(self) -> Rows {
        Rows {
            csv: self.csv.then(CsvRows::default),
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

impl Rows {
    /// Empties the rows, keeping about `keep` bytes of capacity per buffer
    /// for the next document's (so that a buffer kept for reuse never
    /// holds the largest table it ever had).
    pub fn clear(&mut self, keep: usize) {
        if let Some(csv) = &mut self.csv {
            csv.clear(keep);
        }
        if let Some(typed) = &mut self.typed {
            typed.clear(keep);
        }
    }
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
    match *cell {
        Cell::Str(s) if !needs_guard(s.as_bytes()) => s.into(),
        _ => {
            let mut buf = Vec::new();
            shown_in(cell, &mut buf).to_string().into()
        }
    }
}

/// [`shown`], written into `buf` (cleared) unless it is the cell's own text.
pub fn shown_in<'a>(cell: &Cell<'a>, buf: &'a mut Vec<u8>) -> &'a str {
    buf.clear();
    match *cell {
        Cell::Str(s) if !needs_guard(s.as_bytes()) => return s,
        Cell::Str(s) => {
            buf.push(b'\'');
            buf.extend_from_slice(s.as_bytes());
        }
        Cell::Int(n) => buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Cell::Float(f) => fixed6(f, buf),
        Cell::Sci(f) => sci6(f, buf),
    }
    // A text with `'` before it, or ASCII digits.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// The number a float cell stores: what its CSV text reads as (6 decimals,
/// or 6 significant digits for [`Cell::Sci`]); `None` when the CSV cell is
/// empty (NaN or infinity) or the cell is not a float.
pub fn value(cell: &Cell) -> Option<f64> {
    match *cell {
        Cell::Float(f) => fixed6_value(f),
        Cell::Sci(f) => sci6_value(f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of a float cell is its CSV text parsed (the definition),
    /// on values of every magnitude, signs, ties, and random bits.
    #[test]
    fn values_equal_the_csv_text_parsed() {
        let parsed = |c: &Cell| shown(c).parse::<f64>().ok();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            1.0 / 3.0,
            2.5e-7,
            0.0000005,
            123.4565,
            1e300,
        ];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            values.push(unit * 10f64.powi((x % 40) as i32 - 20));
            values.push(f64::from_bits(x));
            // Near a tie of the sixth decimal.
            values.push((x % 1_000_000_000) as f64 / 1e7 + 5e-8);
        }
        for v in values {
            for cell in [Cell::Float(v), Cell::Sci(v)] {
                let (a, b) = (value(&cell), parsed(&cell));
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{cell:?}");
            }
        }
    }

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
        assert_eq!(value(&Cell::Float(-2.5)), Some(-2.5));
        assert_eq!(shown(&Cell::Str("-x")), "'-x");
        assert_eq!(shown(&Cell::Float(-0.0)), "0.000000");
        assert_eq!(shown(&Cell::Float(f64::INFINITY)), "");
    }
}
