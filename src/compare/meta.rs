//! Document metadata: named fields for selecting and grouping documents.
//!
//! Three sources, in this column order:
//! * `--meta-pattern '{country}_{session}_{year}'`: fields parsed from the
//!   doc_id (the file stem). Literal text between fields must match exactly,
//!   and a field never contains a character of that literal text (so `_`
//!   separates `{country}_{session}_{year}`). A doc_id that does not fit gets
//!   empty fields (and is counted in a note).
//! * `--meta FILE`: a CSV file with a `doc_id` column, joined on doc_id; its
//!   other columns become fields. Documents missing from the file get empty
//!   fields.
//! * `folder`: the name of the folder the file sits in (its immediate parent,
//!   so `ungdc/2022/RUS_77_2022.txt` has folder `2022`), empty for stdin.
//!   The immediate parent, not the folder named on the command line, because
//!   that is the folder a corpus's layout gives meaning to.
//! * the columns of tables read as corpora (`analyze corpus.csv`), other
//!   than the text and id columns, after the `--meta` fields; a document
//!   from a plain file (or a table without that column) gets empty fields.
//!   They are known only after discovery, so they are set then, once
//!   ([`Meta::set_table_fields`]).
//!
//! `doc_id` is always a field too, so `--target doc_id=X` works.

use std::path::Path;

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};

/// The fields every document has, whatever the flags.
pub const BUILTIN: &[&str] = &["doc_id", "folder"];

/// Compiled metadata sources.
#[derive(Debug, Default)]
pub struct Meta {
    pattern: Option<(regex::Regex, Vec<String>)>,
    sidecar: Option<Sidecar>,
    /// Metadata columns of the input tables (set after discovery).
    table: OnceLock<Vec<String>>,
}

#[derive(Debug)]
struct Sidecar {
    fields: Vec<String>,
    rows: FxHashMap<String, Vec<String>>,
}

impl Meta {
    /// Compiles the pattern and reads the sidecar CSV. Errors name the flag or the file.
    pub fn new(pattern: Option<&str>, sidecar: Option<&str>) -> Result<Meta> {
        let pattern = pattern.map(compile_pattern).transpose()?;
        let sidecar = sidecar.map(read_sidecar).transpose()?;
        let meta = Meta {
            pattern,
            sidecar,
            table: OnceLock::new(),
        };
        let mut seen: Vec<&str> = BUILTIN.to_vec();
        for f in meta.extra_fields() {
            if seen.contains(&f.as_str()) {
                return Err(Error::Usage(format!(
                    "metadata field `{f}` is named twice (doc_id and folder are built in)"
                )));
            }
            if crate::table::columns("documents").contains(&f.as_str()) {
                return Err(Error::Usage(format!(
                    "metadata field `{f}` has the name of a documents.csv column; rename it"
                )));
            }
            seen.push(f);
        }
        Ok(meta)
    }

    /// Sets the metadata columns of the input tables, found by discovery;
    /// an error when one has the name of another field or of a
    /// documents.csv column. Set once (a second call must agree).
    pub fn set_table_fields(&self, fields: &[String]) -> Result<()> {
        if let Some(set) = self.table.get() {
            if set.as_slice() != fields {
                return Err(Error::Usage(
                    "the input tables changed while they were read".into(),
                ));
            }
            return Ok(());
        }
        let mut seen: Vec<&str> = BUILTIN.to_vec();
        seen.extend(self.extra_fields().iter().map(|f| f.as_str()));
        for f in fields {
            if seen.contains(&f.as_str())
                || crate::table::columns("documents").contains(&f.as_str())
            {
                return Err(Error::Usage(format!(
                    "table column `{f}` has the name of another metadata field or of a documents.csv column; rename it"
                )));
            }
        }
        let _ = self.table.set(fields.to_vec());
        Ok(())
    }

    /// True when --meta-pattern or --meta was given, or a table has
    /// metadata columns.
    pub fn is_given(&self) -> bool {
        self.pattern.is_some()
            || self.sidecar.is_some()
            || self.table.get().is_some_and(|t| !t.is_empty())
    }

    /// The fields from the pattern and the sidecar, in column order.
    pub fn extra_fields(&self) -> Vec<&String> {
        let mut out: Vec<&String> = Vec::new();
        if let Some((_, names)) = &self.pattern {
            out.extend(names);
        }
        if let Some(s) = &self.sidecar {
            out.extend(&s.fields);
        }
        if let Some(t) = self.table.get() {
            out.extend(t);
        }
        out
    }

    /// Every field name: `doc_id`, the extra fields, then `folder`.
    pub fn fields(&self) -> Vec<String> {
        let mut out = vec!["doc_id".to_string()];
        out.extend(self.extra_fields().into_iter().cloned());
        out.push("folder".to_string());
        out
    }

    /// Values of [`Meta::fields`] for one document, and whether the pattern fit.
    pub fn values(&self, doc: &crate::input::Document) -> (Vec<String>, bool) {
        self.row_values(&doc.doc_id, &doc.source, &doc.meta)
    }

    /// Values of [`Meta::fields`] for a document known by its doc_id,
    /// source and table columns (name, value), and whether the pattern fit.
    pub fn row_values(
        &self,
        doc_id: &str,
        source: &str,
        table: &[(Arc<str>, String)],
    ) -> (Vec<String>, bool) {
        let mut out = vec![doc_id.to_string()];
        let mut fits = true;
        if let Some((re, names)) = &self.pattern {
            match re.captures(doc_id) {
                Some(c) => out.extend(
                    names
                        .iter()
                        .map(|n| c.name(n).map_or("", |m| m.as_str()).to_string()),
                ),
                None => {
                    fits = false;
                    out.extend(names.iter().map(|_| String::new()));
                }
            }
        }
        if let Some(s) = &self.sidecar {
            match s.rows.get(doc_id) {
                Some(row) => out.extend(row.iter().cloned()),
                None => out.extend(s.fields.iter().map(|_| String::new())),
            }
        }
        for field in self.table.get().into_iter().flatten() {
            let value = table.iter().find(|(name, _)| **name == **field);
            out.push(value.map_or_else(String::new, |(_, v)| v.clone()));
        }
        out.push(parent_folder(source));
        (out, fits)
    }
}

/// The name of the folder a file sits in ("" for stdin or a bare file name).
pub fn parent_folder(source: &str) -> String {
    if source == "-" {
        return String::new();
    }
    Path::new(source)
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `{a}_{b}` → `^(?P<a>[^_]+)_(?P<b>[^_]+)$`: a field never contains a
/// character of the pattern's literal text, so `{country}_{session}_{year}`
/// does not fit `2022-12-02_belarus-russia_joint-statement_osce`.
fn compile_pattern(pattern: &str) -> Result<(regex::Regex, Vec<String>)> {
    let bad = |m: &str| Error::Usage(format!("--meta-pattern '{pattern}': {m}"));
    // The characters of the text outside {…}, each once.
    let mut literal: Vec<char> = Vec::new();
    let mut inside = false;
    for c in pattern.chars() {
        match c {
            '{' => inside = true,
            '}' => inside = false,
            _ if !inside && !literal.contains(&c) => literal.push(c),
            _ => {}
        }
    }
    let field = if literal.is_empty() {
        ".+?".to_string()
    } else {
        let class: String = literal
            .iter()
            .map(|c| format!("\\x{{{:x}}}", u32::from(*c)))
            .collect();
        format!("[^{class}]+")
    };
    let mut re = String::from("^");
    let mut names = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        re.push_str(&regex::escape(&rest[..open]));
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| bad("a `{` is not closed"))?
            + open;
        let name = &rest[open + 1..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad(&format!(
                "field name `{name}` must be letters, digits or _"
            )));
        }
        if names.iter().any(|n| n == name) {
            return Err(bad(&format!("field `{name}` appears twice")));
        }
        re.push_str(&format!("(?P<{name}>{field})"));
        names.push(name.to_string());
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(bad("a `}` has no `{`"));
    }
    re.push_str(&regex::escape(rest));
    re.push('$');
    if names.is_empty() {
        return Err(bad("no {field} in the pattern"));
    }
    let re = regex::Regex::new(&re).map_err(|e| bad(&e.to_string()))?;
    Ok((re, names))
}

fn read_sidecar(path: &str) -> Result<Sidecar> {
    let bytes = crate::input::read_side_file(path, "--meta file")?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::input(path, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let id_col = header
        .iter()
        .position(|h| h == "doc_id")
        .ok_or_else(|| Error::input(path, "no `doc_id` column in the header"))?;
    if let Some(h) = header.iter().find(|h| h.is_empty()) {
        return Err(Error::input(
            path,
            format!("empty column name `{h}` in the header"),
        ));
    }
    let fields: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != id_col)
        .map(|(_, h)| h.clone())
        .collect();
    let mut rows = FxHashMap::default();
    for record in reader.records() {
        let record = record.map_err(|e| Error::input(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let id = record.get(id_col).unwrap_or("").to_string();
        let values: Vec<String> = (0..header.len())
            .filter(|&i| i != id_col)
            .map(|i| record.get(i).unwrap_or("").to_string())
            .collect();
        if rows.insert(id.clone(), values).is_some() {
            return Err(Error::input(
                path,
                format!("line {line}: doc_id `{id}` appears twice"),
            ));
        }
    }
    Ok(Sidecar { fields, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_fields_from_doc_id() {
        let m = Meta::new(Some("{country}_{session}_{year}"), None).unwrap();
        assert_eq!(
            m.fields(),
            ["doc_id", "country", "session", "year", "folder"]
        );
        let (v, fits) = m.row_values("RUS_77_2022", "ungdc/2022/RUS_77_2022.txt", &[]);
        assert!(fits);
        assert_eq!(v, ["RUS_77_2022", "RUS", "77", "2022", "2022"]);
        let (v, fits) = m.row_values("statement", "data/corpus/statement.txt", &[]);
        assert!(!fits);
        assert_eq!(v, ["statement", "", "", "", "corpus"]);
        // A field never takes a separator: four parts do not fit three fields.
        let (_, fits) = m.row_values("2022-12-02_belarus-russia_joint-statement_osce", "x", &[]);
        assert!(!fits);
        let m = Meta::new(Some("{date} {who}"), None).unwrap();
        assert_eq!(
            m.row_values("2022-12-02 RUS", "", &[]).0[1..3],
            ["2022-12-02", "RUS"]
        );
    }

    #[test]
    fn bad_patterns_are_usage_errors() {
        for p in ["{country", "plain", "{a}_{a}", "{a b}", "x}"] {
            assert!(Meta::new(Some(p), None).is_err(), "{p}");
        }
        assert!(Meta::new(Some("{folder}"), None).is_err());
    }

    #[test]
    fn sidecar_joins_on_doc_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.csv");
        std::fs::write(&path, "region,doc_id\nEurope,RUS_77_2022\n").unwrap();
        let m = Meta::new(None, Some(path.to_str().unwrap())).unwrap();
        assert_eq!(
            m.row_values("RUS_77_2022", "RUS_77_2022.txt", &[]).0,
            ["RUS_77_2022", "Europe", ""]
        );
        assert_eq!(
            m.row_values("USA_77_2022", "x/USA_77_2022.txt", &[]).0,
            ["USA_77_2022", "", "x"]
        );
        std::fs::write(&path, "region\nEurope\n").unwrap();
        let e = Meta::new(None, Some(path.to_str().unwrap())).unwrap_err();
        assert!(e.to_string().contains("doc_id"), "{e}");
    }
}
