//! CSV rows in memory: the worker-side writer of the render stage's rows.
//!
//! [`CsvRows`] renders rows of [`Cell`]s exactly as [`super::TableSink::row`]
//! writes them (same quoting, terminator, number formats and formula
//! guard), so that worker threads format rows in parallel and the sink only
//! appends bytes. It knows no table. What makes it fast is generic: a
//! group's leading cells ([`RowSink::lead`]) rendered once, a float equal
//! to the last one copied, and a word-at-a-time check of texts
//! ([`needs_quotes`], with its measured gain). docs/PERFORMANCE.md, "One
//! pipeline", has the figures.

use crate::table::{Cell, RowSink};

/// Rows rendered in memory exactly as [`super::TableSink::row`] writes them.
///
/// The dialect is the `csv` crate's default with CRLF line ends (a field is
/// quoted when it holds `,`, `"`, CR or LF; quotes inside are doubled; a
/// row of one empty field is `""`), written by hand because this is the
/// hottest loop of a large run. Measured against the `csv` crate's own
/// writer (`csv_core::Writer`, each cell's text made as here, byte-identical
/// output): `analyze` on 200 MB takes 37.8 % more user CPU with the crate
/// (`benches/pair.sh`, 7 rounds, 1.33-1.42). `csv_rows_equal_csv_crate`
/// checks it against `csv::Writer` on random fields.
pub struct CsvRows {
    bytes: Vec<u8>,
    rows: u64,
    /// The cells [`RowSink::lead`] set, rendered once, each followed by
    /// a comma.
    lead: Vec<u8>,
    /// How many cells the lead has.
    lead_cells: usize,
    /// The bits of the last float written and its bytes' span in `bytes`.
    float: (u64, usize, usize),
}

impl Default for CsvRows {
    fn default() -> Self {
        CsvRows {
            bytes: Vec::new(),
            rows: 0,
            lead: Vec::new(),
            lead_cells: 0,
            float: NO_FLOAT,
        }
    }
}

impl RowSink for CsvRows {
    fn lead(&mut self, cells: &[Cell]) {
        self.lead.clear();
        self.lead_cells = cells.len();
        for cell in cells {
            write_cell(cell, &mut self.lead);
            self.lead.push(b',');
        }
    }

    fn row(&mut self, cells: &[Cell]) {
        CsvRows::row(self, cells);
    }
}

impl CsvRows {
    /// Appends one row: the lead's bytes, then `cells`. A float equal to
    /// the last one written is copied from that one's bytes (rows sorted
    /// by count repeat their rates).
    pub fn row(&mut self, cells: &[Cell]) {
        self.rows += 1;
        let out = &mut self.bytes;
        let start = out.len();
        out.extend_from_slice(&self.lead);
        let last = &mut self.float;
        for cell in cells {
            match *cell {
                Cell::Float(f) if last.0 == f.to_bits() => out.extend_from_within(last.1..last.2),
                Cell::Float(f) => {
                    let at = out.len();
                    fixed6(f, out);
                    *last = (f.to_bits(), at, out.len());
                }
                _ => write_cell(cell, out),
            }
            out.push(b',');
        }
        // The last comma becomes the line end.
        if out.len() > start {
            out.pop();
        }
        if out.len() == start && self.lead_cells + cells.len() == 1 {
            // A row of one empty field.
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The rows rendered so far, as bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Rows rendered so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Empties the rows (and the lead), keeping at most `keep` bytes of
    /// capacity for the next ones.
    pub fn clear(&mut self, keep: usize) {
        self.bytes.clear();
        self.bytes.shrink_to(keep);
        self.rows = 0;
        self.lead.clear();
        self.lead_cells = 0;
        self.float = NO_FLOAT;
    }

    /// Bytes rendered so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The rendered bytes and the number of rows, leaving `self` empty
    /// (no lead).
    pub fn take(&mut self) -> (Vec<u8>, u64) {
        self.lead.clear();
        self.lead_cells = 0;
        self.float = NO_FLOAT;
        (
            std::mem::take(&mut self.bytes),
            std::mem::take(&mut self.rows),
        )
    }
}

/// No float yet: a NaN's bits, which would render as the empty span the
/// memo starts with.
const NO_FLOAT: (u64, usize, usize) = (u64::MAX, 0, 0);

/// Appends one cell.
#[inline(always)]
fn write_cell(cell: &Cell, out: &mut Vec<u8>) {
    match *cell {
        Cell::Str(s) => push_text(s.as_bytes(), out),
        Cell::Int(n) => push_u64(n, out),
        Cell::Float(f) => fixed6(f, out),
        Cell::Sci(f) => sci6(f, out),
    }
}

/// Appends the decimal digits of `n` (as `n.to_string()`).
fn push_u64(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Whether a spreadsheet would run text that starts with `first` as a
/// formula (such text gets a leading `'`).
pub fn is_formula_start(first: Option<&u8>) -> bool {
    matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

/// Whether a text gets a leading `'` in a CSV cell: it starts with a
/// formula character ([`is_formula_start`]), or with `'`s followed by one.
/// The second case keeps the guard reversible: `'=x` is written `''=x`,
/// so a reader can tell it from `=x` written `'=x`
/// ([`super::parquet::unguard`]).
pub fn needs_guard(text: &[u8]) -> bool {
    let quotes = text.iter().take_while(|&&b| b == b'\'').count();
    is_formula_start(text.get(quotes))
}

/// Whether a CSV field must be quoted (it holds `,`, `"`, CR or LF),
/// checked eight bytes at a time.
///
/// Hand-written because it is measured, on the default UN run (`analyze
/// --jobs 1 --charts none`): the plain byte loop (`field.iter().any(..)`)
/// takes 1.4 % more instructions in all (callgrind: 10.39 G against
/// 10.25 G) and, side by side with this check (`benches/pair.sh`, 15
/// rounds), 5.8 % more user CPU (median; rounds 0.96–1.21, so at the 5 %
/// bar within this machine's noise). A first test that no byte is below
/// `-` saved another 1.3 % of instructions and no measurable time, and was
/// taken out. The test `needs_quotes_equals_the_byte_loop` holds this
/// check to its definition.
#[inline(always)]
fn needs_quotes(field: &[u8]) -> bool {
    let n = field.len();
    match n {
        0..4 => field
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n')),
        // Two overlapping 4-byte halves.
        4..=8 => {
            let (lo, hi) = (word4(&field[..4]), word4(&field[n - 4..]));
            special(u64::from(lo) | u64::from(hi) << 32)
        }
        _ => {
            let mut words = field.chunks_exact(8);
            // The last word overlaps the one before unless `n` is a
            // multiple of 8.
            words.any(|w| special(word8(w))) || special(word8(&field[n - 8..]))
        }
    }
}

fn word4(b: &[u8]) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[..4]);
    u32::from_le_bytes(w)
}

fn word8(b: &[u8]) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

/// Whether any byte of `x` is `,`, `"`, CR or LF (a byte of `x ^ c·0x01…`
/// is zero where `x` has `c`: the classic exact zero-byte test).
#[inline]
fn special(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    (zero(b',') | zero(b'"') | zero(b'\r') | zero(b'\n')) != 0
}

/// Appends a text field, prefixed with the formula guard `'` if it needs
/// one and quoted if it must be (the guard inside the quotes).
#[inline(always)]
fn push_text(field: &[u8], out: &mut Vec<u8>) {
    let guard = needs_guard(field);
    if !guard && !needs_quotes(field) {
        out.extend_from_slice(field);
        return;
    }
    let prefix: &[u8] = match guard {
        true => b"'",
        false => b"",
    };
    if !needs_quotes(field) {
        out.extend_from_slice(prefix);
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    out.extend_from_slice(prefix);
    for part in field.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// `format!("{:.6}", f)` as [`Cell::render`] writes a float (`-0` as `0`,
/// nothing for NaN or infinity), without its cost in the common case: a
/// non-negative value below 10^9 whose 7th decimal is not within rounding
/// error of a tie is rounded from `f * 10^6` (error below 10^-3 of a unit);
/// anything else goes through `format!`.
///
/// Measured (this and [`sci6`]'s fast path against `format!` alone,
/// `benches/pair.sh`): `compare --by folder` on the UN corpus 27.6 % more
/// user CPU without them (5 rounds, 1.23-1.31), `analyze` on 200 MB 5.5 %
/// (7 rounds, 1.02-1.10). Tests: `fixed6_equals_format` and
/// `sci6_equals_format`.
pub fn fixed6(f: f64, out: &mut Vec<u8>) {
    if let Some(units) = fixed6_units(f) {
        push_u64(units / 1_000_000, out);
        out.extend_from_slice(&decimals(units % 1_000_000));
        return;
    }
    out.extend_from_slice(Cell::Float(f).render().as_bytes());
}

/// `f` in millionths as [`fixed6`] rounds it, when its fast path applies.
fn fixed6_units(f: f64) -> Option<u64> {
    if f.is_finite() && (0.0..1e9).contains(&f) {
        let scaled = f * 1e6;
        let floor = scaled.floor();
        let frac = scaled - floor;
        if (frac - 0.5).abs() > 1e-3 {
            return Some(floor as u64 + u64::from(frac > 0.5));
        }
    }
    None
}

/// The number [`fixed6`]'s text reads as (`None` for an empty one). In
/// the fast path the text is `units / 10^6`, and dividing two exact
/// doubles rounds correctly (IEEE 754), as parsing the text does.
pub fn fixed6_value(f: f64) -> Option<f64> {
    match fixed6_units(f) {
        Some(units) => Some(units as f64 / 1e6),
        None => Cell::Float(f).render().parse().ok(),
    }
}

/// `format!("{:.6e}", f)` as [`Cell::render`] writes a p-value or a tf
/// (nothing for NaN or infinity), without its cost in the common case: a
/// positive normal value whose mantissa, scaled to seven digits, is not
/// within 10^-3 of a unit of a rounding tie is rounded from
/// `f * 10^(6 - e)`; anything else (zero, negatives, ties, an exponent
/// estimate off by one) goes through `format!`.
pub fn sci6(f: f64, out: &mut Vec<u8>) {
    if let Some((units, e)) = sci6_parts(f) {
        push_u64(units / 1_000_000, out);
        out.extend_from_slice(&decimals(units % 1_000_000));
        out.push(b'e');
        if e < 0 {
            out.push(b'-');
        }
        push_u64(u64::from(e.unsigned_abs()), out);
        return;
    }
    out.extend_from_slice(Cell::Sci(f).render().as_bytes());
}

/// The seven digits and the exponent of [`sci6`]'s text (`units` ×
/// 10^(e − 6)), when its fast path applies.
fn sci6_parts(f: f64) -> Option<(u64, i32)> {
    if f.is_normal() && f > 0.0 {
        let e = f.log10().floor() as i32;
        let scaled = f * 10f64.powi(6 - e);
        if scaled.is_finite() && (1e6..1e7).contains(&scaled) {
            let whole = scaled as u64;
            let frac = scaled - whole as f64;
            let units = whole + u64::from(frac > 0.5);
            if (frac - 0.5).abs() > 1e-3 && units < 10_000_000 {
                return Some((units, e));
            }
        }
    }
    None
}

/// Powers of ten that doubles hold exactly (10^22 = 2^22 × 5^22, and
/// 5^22 < 2^53).
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The number [`sci6`]'s text reads as (`None` for an empty one): in the
/// fast path `units` times or divided by an exact power of ten, one
/// correctly rounded operation, as parsing the text is.
pub fn sci6_value(f: f64) -> Option<f64> {
    if let Some((units, e)) = sci6_parts(f) {
        let shift = e - 6;
        let pow = EXACT_POW10.get(shift.unsigned_abs() as usize);
        match pow {
            Some(p) if shift < 0 => return Some(units as f64 / p),
            Some(p) => return Some(units as f64 * p),
            None => {}
        }
    }
    Cell::Sci(f).render().parse().ok()
}

/// `.` and the six digits of `fraction` (below 10^6), written at once.
fn decimals(fraction: u64) -> [u8; 7] {
    let mut out = [b'.'; 7];
    for (digit, div) in out[1..]
        .iter_mut()
        .zip([100_000, 10_000, 1_000, 100, 10, 1])
    {
        *digit = b'0' + (fraction / div % 10) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::guard_formula;

    #[test]
    fn integers_equal_to_string() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::MAX - 1, u64::MAX] {
            let mut s = Vec::new();
            push_u64(n, &mut s);
            assert_eq!(s, n.to_string().as_bytes());
        }
    }

    /// The word-at-a-time check against its definition, on every length
    /// up to 20 with each special byte (and bytes just around `-`, the
    /// filter's edge) at every place, and on random texts.
    #[test]
    fn needs_quotes_equals_the_byte_loop() {
        let reference = |f: &[u8]| f.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
        for len in 0..=20 {
            for at in 0..len {
                for b in [
                    b',', b'"', b'\r', b'\n', b'-', b'+', b' ', b'\'', 0, 0x2C, 0x80, 0xFF,
                ] {
                    let mut f = vec![b'a'; len];
                    f[at] = b;
                    assert_eq!(needs_quotes(&f), reference(&f), "{f:?}");
                }
            }
        }
        let mut x = 0x853C_49E6_748F_EA9Bu64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f: Vec<u8> = (0..(x % 24) as usize)
                .map(|i| {
                    [b'a', b'-', b',', b'\n', b' ', b'z', 0xC3, b'"']
                        [((x >> (3 * i % 60)) & 7) as usize]
                })
                .collect();
            assert_eq!(needs_quotes(&f), reference(&f), "{f:?}");
        }
    }

    #[test]
    fn fixed6_equals_format() {
        // Reference: Rust's correctly rounded `{:.6}` (Cell::render).
        let check = |f: f64| {
            let mut s = Vec::new();
            fixed6(f, &mut s);
            assert_eq!(s, Cell::Float(f).render().as_bytes(), "{f:e}");
        };
        for f in [
            0.0,
            -0.0,
            0.5,
            1.0 / 3.0,
            2.0 / 3.0,
            0.9765625,
            0.0000005,
            999.9999995,
            1e9,
            1e12,
            -1.5,
            f64::NAN,
        ] {
            check(f);
        }
        for total in 1..2000u64 {
            for count in [1, 2, 3, 7, total / 2, total] {
                check(count as f64 * 1000.0 / total as f64);
                check(count as f64 / total as f64);
            }
        }
        let mut x = 0x2545F4914F6CDD1Du64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check((x >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((x % 12) as i32 - 3));
        }
    }

    /// The hand-written writer against the reference, `csv::Writer` (CRLF,
    /// default quoting) fed the guarded and rendered strings, on random rows
    /// mixing the bytes that matter (`,` `"` CR LF, formula starts, spaces,
    /// non-ASCII, texts longer than a word) with numbers and repeated
    /// floats (which the memo copies), some rows' first cells given as a
    /// lead that later rows share.
    #[test]
    fn csv_rows_equal_csv_crate() {
        use proptest::prelude::*;
        let text = "[a-c,\"\r\n=+@\t -é€]{0,6}|[a-c ]{0,18}[a-c,\"\r\n]?[a-c]{0,18}";
        let text = proptest::string::string_regex(text).unwrap();
        #[derive(Debug, Clone)]
        enum Made {
            Text(String),
            Int(u64),
            Float(f64),
            Sci(f64),
        }
        let cell = prop_oneof![
            text.prop_map(Made::Text),
            prop_oneof![Just("x,y"), Just("=a"), Just("ab"), Just("")]
                .prop_map(|s| Made::Text(s.to_string())),
            // Same lengths, one byte apart (at the start, the middle, the
            // end), for the memo's comparison of texts.
            prop_oneof![
                Just("abcde"),
                Just("abXde"),
                Just("GBR_1990_12"),
                Just("GBR_1991_12"),
                Just("GBR_1990_1X"),
                Just("XBR_1990_12"),
                Just("abcdefghijklmnopq"),
                Just("abcdefghijklmnopX"),
            ]
            .prop_map(|s| Made::Text(s.to_string())),
            // Floats one bit apart (the same text or not).
            (0u64..3).prop_map(|n| Made::Float(f64::from_bits((0.5f64).to_bits() + n))),
            any::<u64>().prop_map(Made::Int),
            (0u64..3).prop_map(Made::Int),
            (0u32..3).prop_map(|n| Made::Float(f64::from(n) / 3.0)),
            (0u32..3).prop_map(|n| Made::Sci(f64::from(n) / 7.0)),
        ];
        // Each row with how many of its cells go into a lead (the cells
        // of a lead are the same on several rows, like a section's key).
        let row = (
            proptest::collection::vec(cell, 1..5),
            0usize..3,
            any::<bool>(),
        );
        let rows = proptest::collection::vec(row, 1..8);
        proptest!(ProptestConfig::with_cases(5000), |(rows in rows)| {
            let mut reference = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(Vec::new());
            let mut ours = CsvRows::default();
            fn cells(made: &[Made]) -> Vec<Cell<'_>> {
                made.iter()
                    .map(|c| match c {
                        Made::Text(s) => Cell::Str(s),
                        Made::Int(n) => Cell::Int(*n),
                        Made::Float(f) => Cell::Float(*f),
                        Made::Sci(f) => Cell::Sci(*f),
                    })
                    .collect()
            }
            let mut lead: Vec<Made> = Vec::new();
            for (made, k, new_lead) in &rows {
                let k = (*k).min(made.len() - 1);
                if *new_lead {
                    lead = made[..k].to_vec();
                    ours.lead(&cells(&lead));
                }
                let row = cells(&made[k..]);
                let strings: Vec<String> = (cells(&lead).iter().chain(&row))
                    .map(|c| match c {
                        Cell::Str(s) => guard_formula(s),
                        other => other.render(),
                    })
                    .collect();
                reference.write_record(&strings).unwrap();
                ours.row(&row);
            }
            let reference = reference.into_inner().unwrap();
            prop_assert_eq!(ours.take().0, reference);
        });
    }

    #[test]
    fn sci6_equals_format() {
        // Reference: Rust's correctly rounded `{:.6e}` (Cell::render).
        let check = |f: f64| {
            let mut s = Vec::new();
            sci6(f, &mut s);
            assert_eq!(s, Cell::Sci(f).render().as_bytes(), "{f:e}");
        };
        for f in [
            0.0,
            -0.0,
            1.0,
            9.9999995,
            9.99999949,
            1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            1e300,
            f64::MAX,
            -1.5e-3,
            f64::NAN,
            f64::INFINITY,
            0.125,
            1.0000005,
        ] {
            check(f);
        }
        for total in 1..3000u64 {
            for count in [1, 2, 3, 7, total / 2, total] {
                check(count as f64 / total as f64);
                check(count as f64 / total as f64 * (total as f64).ln());
            }
        }
        let mut x = 0x9E3779B97F4A7C15u64;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(f64::from_bits(x >> 1));
            check((x >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((x % 40) as i32 - 30));
        }
    }
}
