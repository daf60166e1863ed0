//! Tables: the format-agnostic shape of every output. A table has a name,
//! fixed column names and rows of [`Cell`]s; writers decide the bytes.
//!
//! Floats are written with a fixed precision so reruns are byte-identical:
//! [`Cell::Float`] with 6 decimals, [`Cell::Sci`] (p-values) in scientific
//! notation with 6 decimals. A non-finite float is a bug upstream; writers
//! write it as an empty cell rather than `NaN` or `inf`.

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text. Writers neutralise text that a spreadsheet would run as a formula.
    Str(&'a str),
    Int(u64),
    Float(f64),
    Sci(f64),
}

impl Cell<'_> {
    /// The cell as text, without formula neutralisation.
    pub fn render(&self) -> String {
        match *self {
            Cell::Str(s) => s.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) if f.is_finite() => format!("{:.6}", if f == 0.0 { 0.0 } else { f }),
            Cell::Sci(f) if f.is_finite() => format!("{f:.6e}"),
            Cell::Float(_) | Cell::Sci(_) => String::new(),
        }
    }
}

pub mod catalog;

use catalog::TableDef;

/// Every table a run of `analyze` (or `themata kwic -o`) writes, one value
/// each: the render stage and the writers pick a table by this, never by
/// its name. [`Table::def`] ties each to its catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Documents,
    Sections,
    TermsBySection,
    TermsByDocument,
    ThemesBySection,
    ThemesByDocument,
    ThemeMatches,
    NgramsByDocument,
    TermMatrix,
    ThemeSpread,
    ThemeCooccurrence,
    TermForms,
    NgramForms,
    Kwic,
}

impl Table {
    /// Every table, in catalogue order (analyze's, the interchange tables,
    /// kwic).
    pub const ALL: [Table; 14] = [
        Table::Documents,
        Table::Sections,
        Table::TermsBySection,
        Table::TermsByDocument,
        Table::ThemesBySection,
        Table::ThemesByDocument,
        Table::ThemeMatches,
        Table::NgramsByDocument,
        Table::TermMatrix,
        Table::ThemeSpread,
        Table::ThemeCooccurrence,
        Table::TermForms,
        Table::NgramForms,
        Table::Kwic,
    ];

    /// The table's catalogue entry (`table_enum_follows_the_catalogue`
    /// checks that the places agree).
    pub fn def(self) -> &'static TableDef {
        use catalog::{ANALYZE, EXTRA, INTERCHANGE, KWIC};
        match self {
            Table::Documents => &ANALYZE[0],
            Table::Sections => &ANALYZE[1],
            Table::TermsBySection => &ANALYZE[2],
            Table::TermsByDocument => &ANALYZE[3],
            Table::ThemesBySection => &ANALYZE[4],
            Table::ThemesByDocument => &ANALYZE[5],
            Table::ThemeMatches => &ANALYZE[6],
            Table::NgramsByDocument => &ANALYZE[7],
            Table::TermMatrix => &ANALYZE[8],
            Table::ThemeSpread => &EXTRA[0],
            Table::ThemeCooccurrence => &EXTRA[1],
            Table::TermForms => &INTERCHANGE[0],
            Table::NgramForms => &INTERCHANGE[1],
            Table::Kwic => &KWIC,
        }
    }

    /// The file name without its extension (`terms_by_section`).
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The fixed columns.
    pub fn columns(self) -> &'static [&'static str] {
        self.def().columns
    }

    /// The table named `name` (as `--tables` and the files name it).
    pub fn named(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A table serializes (in the manifest's parameters) as its name.
impl serde::Serialize for Table {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Where the render stage puts a table's rows: a writer's per-document
/// buffer (CSV bytes today). Cells are format-agnostic; quoting, number
/// formats and the formula guard are the writer's business.
pub trait RowSink {
    /// Sets the cells that begin every row that follows, until the next
    /// call (`lead(&[])` for none): the key of a group of rows, such as a
    /// section's `doc_id, section_id`, which a writer may render once.
    fn lead(&mut self, cells: &[Cell]);

    /// Appends one row: the lead's cells, then `cells`.
    fn row(&mut self, cells: &[Cell]);
}

/// The definition of table `name` (analyze's, the extra and interchange
/// tables, kwic).
pub fn definition(name: &str) -> Option<&'static TableDef> {
    catalog::tables().find(|t| t.name == name)
}

/// Fixed columns of an analyze table (none for an unknown name).
pub fn columns(name: &str) -> &'static [&'static str] {
    definition(name).map(|t| t.columns).unwrap_or(&[])
}

/// The meaning of a column, if the catalogue has it.
pub fn column(name: &str) -> Option<&'static catalog::ColumnDef> {
    catalog::COLUMNS.iter().find(|c| c.name == name)
}

/// The `--help` lines for `tables`: name, columns (wrapped), then when
/// the table is written and what one row is.
pub fn help(tables: &[&TableDef]) -> String {
    const INDENT: usize = 26;
    const WIDTH: usize = 96;
    let mut out = String::new();
    for t in tables {
        let file = format!("  {}.csv", t.name);
        out.push_str(&format!("{file:<INDENT$}"));
        let mut cells: Vec<String> = t.columns.iter().map(|c| c.to_string()).collect();
        if let Some(more) = t.more {
            cells.push(format!("<{more}>"));
        }
        let last = cells.len().saturating_sub(1);
        let mut at = INDENT;
        for (i, cell) in cells.iter().enumerate() {
            let piece = if i < last {
                format!("{cell},")
            } else {
                cell.clone()
            };
            if i > 0 && at + 1 + piece.len() > WIDTH {
                out.push_str(&format!("\n{:INDENT$}", ""));
                at = INDENT;
            } else if i > 0 {
                out.push(' ');
                at += 1;
            }
            out.push_str(&piece);
            at += piece.len();
        }
        let about = match t.when {
            Some(when) => format!("({when}) {}", t.about),
            None => t.about.to_string(),
        };
        out.push_str(&format!("\n{:INDENT$}{about}\n", ""));
    }
    out
}

/// The type of a column in a typed format (Parquet). CSV holds every cell
/// as text; Parquet holds these types, with an empty CSV cell as null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (Parquet `Utf8`).
    Text,
    /// A count, total, id or byte offset (Parquet `Int64`).
    Int,
    /// A rate, share or score (Parquet `Float64`), with the CSV's fixed
    /// precision: the value is the CSV cell's text parsed.
    Float,
    /// `true` / `false` (Parquet `Boolean`).
    Bool,
}

impl Kind {
    /// The name a shard's manifest records the type under.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
        }
    }

    /// The type named `name` (text for a name it does not know).
    pub fn from_name(name: &str) -> Kind {
        [Kind::Int, Kind::Float, Kind::Bool]
            .into_iter()
            .find(|k| k.name() == name)
            .unwrap_or(Kind::Text)
    }

    /// The type that holds the values of both: an integer column joined
    /// with a float column is a float column; any other mix is text.
    pub fn or(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
            _ => Kind::Text,
        }
    }
}

/// The type of column `index` (named `column`) of table `table`: the column
/// types of every table, analyze's, compare's and kwic's, declared once.
/// A column name means one thing in every table (`count` is always an
/// integer, `per_1000` always a rate); the columns a run adds after the
/// fixed ones are metadata in `documents` (typed as `meta` says, else
/// text) and counts per document in `term_matrix`.
pub fn kind(table: &str, index: usize, column: &str, meta: &[(String, Kind)]) -> Kind {
    match table {
        "term_matrix" if index >= 2 => return Kind::Int,
        "documents" if is_meta(table, index) => {
            let typed = meta.iter().find(|(name, _)| name == column);
            return typed.map_or(Kind::Text, |(_, k)| *k);
        }
        _ => {}
    }
    self::column(column).map(|c| c.kind).unwrap_or(Kind::Text)
}

/// Whether column `index` of `table` holds document metadata (the columns
/// of `documents` after its fixed ones): an empty cell there is a missing
/// value, null in a typed format.
pub fn is_meta(table: &str, index: usize) -> bool {
    table == "documents" && index >= columns("documents").len()
}

/// `count × 1000 / total`, 0 when the total is 0.
pub fn per_1000(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 * 1000.0 / total as f64
    }
}

/// `part / total`, 0 when the total is 0.
pub fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_precision_and_no_nan() {
        assert_eq!(Cell::Float(1.0 / 3.0).render(), "0.333333");
        assert_eq!(Cell::Float(-0.0).render(), "0.000000");
        assert_eq!(Cell::Sci(0.000012345).render(), "1.234500e-5");
        assert_eq!(Cell::Float(f64::NAN).render(), "");
        assert_eq!(Cell::Float(f64::INFINITY).render(), "");
        assert_eq!(per_1000(3, 0), 0.0);
        assert_eq!(per_1000(3, 12), 250.0);
    }

    /// Each `Table` names its own catalogue entry, every catalogue table
    /// has one, and names parse back.
    #[test]
    fn table_enum_follows_the_catalogue() {
        let names: Vec<&str> = catalog::tables().map(|t| t.name).collect();
        let ours: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(ours, names);
        for t in Table::ALL {
            assert_eq!(Table::named(t.name()), Some(t));
            assert_eq!(definition(t.name()).map(|d| d.columns), Some(t.columns()));
        }
        assert_eq!(Table::named("nope"), None);
    }

    #[test]
    fn metadata_columns_typed_as_given() {
        let meta = [("year".to_string(), Kind::Int)];
        assert_eq!(kind("documents", 10, "year", &meta), Kind::Int);
        assert_eq!(kind("documents", 11, "folder", &meta), Kind::Text);
        // A fixed column keeps its type whatever the metadata says.
        assert_eq!(kind("documents", 3, "n_sections", &meta), Kind::Int);
        assert_eq!(Kind::Int.or(Kind::Float), Kind::Float);
        assert_eq!(Kind::Bool.or(Kind::Bool), Kind::Bool);
        assert_eq!(Kind::Bool.or(Kind::Int), Kind::Text);
        assert_eq!(Kind::Float.or(Kind::Text), Kind::Text);
    }
}
