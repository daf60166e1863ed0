//! A compare [`Corpus`] from the count tables of an analyze (or merge)
//! output folder (`compare --from DIR`), without the texts:
//!
//! * `manifest.json`: the analysis parameters, the theme keys (codebook
//!   order), each input's bytes and SHA-256, the files skipped;
//! * `documents.csv`: the documents in output order, `source`, `n_terms`
//!   (the total of the term and theme units) and the metadata columns;
//! * `themes_by_document.csv`: each document's theme counts;
//! * `term_forms.csv` (`--unit term`): each stem's count is the sum of its
//!   forms' counts, and the forms summed over the corpus give the display term;
//! * `ngram_forms.csv` (`--unit ngram`): the same per n-gram (keyed by its
//!   stems), and a document's total is the sum of its n-gram counts.
//!
//! Cells are read with the `csv` crate and the formula guard (a `'` before a
//! text starting with `=`, `+`, `-`, `@`, tab or CR) is taken off again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::compare::meta::Meta;
use crate::compare::{Corpus, Doc, Unit, Vocab};
use crate::error::{Error, Result};
use crate::input::Skipped;

/// An analyze output folder, opened and checked (see [`super::from`]).
pub struct Dir {
    pub path: PathBuf,
    pub manifest: serde_json::Value,
    /// The metadata fields as the compare run asks for them.
    pub meta: Meta,
    /// Fields of DIR's own --meta-pattern (recomputed by `meta`).
    pub pattern_fields: Vec<String>,
}

impl Dir {
    /// Opens table `name`, to be read whole: a row count other than the
    /// manifest's (`tables`) is refused at its end (a row deleted or added
    /// after analyze would change the counts silently).
    fn table(&self, name: &str) -> Result<Table> {
        let mut table = Table::open(&self.path, name)?;
        table.expected = self.manifest["tables"][format!("{name}.csv")].as_u64();
        Ok(table)
    }

    /// Reads every table `unit` needs into a Corpus; `say` prints a note.
    pub fn corpus(&self, unit: Unit, say: &dyn Fn(String)) -> Result<Corpus> {
        let theme_keys = self.theme_keys()?;
        let Documents {
            mut docs,
            index,
            misfits,
        } = self.documents()?;
        if !theme_keys.is_empty() {
            self.themes(&theme_keys, &index, &mut docs)?;
        }
        let mut vocab = match unit {
            Unit::Theme => Vocab::themes(&theme_keys),
            _ => Vocab::default(),
        };
        match unit {
            Unit::Term => self.forms("term_forms", &[1, 2, 3], &index, &mut docs, &mut vocab)?,
            Unit::Ngram => self.forms("ngram_forms", &[2, 3, 4], &index, &mut docs, &mut vocab)?,
            Unit::Theme => {
                for d in &mut docs {
                    d.bag = (d.themes.iter().enumerate())
                        .filter(|&(_, &n)| n > 0)
                        .map(|(t, &n)| (t as u32, n))
                        .collect();
                }
            }
        }
        if docs.is_empty() {
            let file = self.path.join("documents.csv");
            return Err(Error::input(file, "no document with text to compare"));
        }
        if let Some(note) = super::misfit_note(&misfits) {
            say(note);
        }
        let (keys, terms) = vocab.finish(&mut docs);
        Ok(Corpus {
            docs,
            fields: self.meta.fields(),
            keys,
            terms,
            skipped: self.skipped()?,
            theme_keys,
        })
    }

    /// A field of the manifest, or an error naming it.
    fn field(&self, name: &str) -> Result<&serde_json::Value> {
        self.manifest.get(name).ok_or_else(|| {
            Error::input(
                self.path.join("manifest.json"),
                format!(
                    "no `{name}`; --from takes the output folder of `themata analyze` or `merge`"
                ),
            )
        })
    }

    /// The theme keys in codebook order.
    fn theme_keys(&self) -> Result<Vec<String>> {
        let themes = self.field("themes")?.as_array().into_iter().flatten();
        let keys = themes.map(|t| t.get("theme").and_then(|k| k.as_str()).map(String::from));
        keys.collect::<Option<Vec<String>>>()
            .ok_or_else(|| Error::input(self.path.join("manifest.json"), "a theme without its key"))
    }

    /// The files the analysis skipped.
    fn skipped(&self) -> Result<Vec<Skipped>> {
        let list = self.field("skipped")?.as_array().into_iter().flatten();
        let text = |s: &serde_json::Value, k: &str| s.get(k)?.as_str().map(String::from);
        let skipped = list.map(|s| {
            Some(Skipped {
                path: text(s, "path")?,
                reason: text(s, "reason")?,
            })
        });
        skipped.collect::<Option<Vec<Skipped>>>().ok_or_else(|| {
            Error::input(
                self.path.join("manifest.json"),
                "a skipped file without path or reason",
            )
        })
    }

    /// Each input's (bytes, sha256) by doc_id.
    fn inputs(&self) -> Result<FxHashMap<String, (u64, String)>> {
        let mut out = FxHashMap::default();
        for i in self.field("inputs")?.as_array().into_iter().flatten() {
            let id = i.get("doc_id").and_then(|v| v.as_str());
            let bytes = i.get("bytes").and_then(|v| v.as_u64());
            let sha = i.get("sha256").and_then(|v| v.as_str());
            let (Some(id), Some(bytes), Some(sha)) = (id, bytes, sha) else {
                return Err(Error::input(
                    self.path.join("manifest.json"),
                    "an input without doc_id, bytes or sha256",
                ));
            };
            out.insert(id.to_string(), (bytes, sha.to_string()));
        }
        Ok(out)
    }

    /// documents.csv: the documents, with empty bags.
    fn documents(&self) -> Result<Documents> {
        let inputs = self.inputs()?;
        let mut table = self.table("documents")?;
        let header = table.header.clone();
        let col = |name: &str| table.column(name);
        let (id_col, source_col, n_col) = (col("doc_id")?, col("source")?, col("n_terms")?);
        // The metadata columns, but those of DIR's pattern (recomputed) and
        // folder (recomputed from the source).
        let fixed = crate::table::columns("documents");
        let extra: Vec<(usize, Arc<str>)> = (header.iter().enumerate())
            .filter(|(_, h)| !fixed.contains(&h.as_str()) && *h != "folder")
            .filter(|(_, h)| !self.pattern_fields.contains(h))
            .map(|(i, h)| (i, Arc::from(h.as_str())))
            .collect();
        let names: Vec<String> = extra.iter().map(|(_, h)| h.to_string()).collect();
        self.meta.set_table_fields(&names)?;
        let (mut docs, mut index, mut misfits) = (Vec::new(), FxHashMap::default(), Vec::new());
        while table.next()? {
            let doc_id = table.text(id_col).to_string();
            let Some((bytes, sha256)) = inputs.get(&doc_id) else {
                return Err(table.error(format!("doc_id `{doc_id}` is not in manifest.json")));
            };
            let source = table.text(source_col).to_string();
            let pairs: Vec<(Arc<str>, String)> = extra
                .iter()
                .map(|(i, h)| (h.clone(), table.text(*i).to_string()))
                .collect();
            let (meta, fits) = self.meta.row_values(&doc_id, &source, &pairs);
            if !fits {
                misfits.push(doc_id.clone());
            }
            if index.insert(doc_id.clone(), docs.len()).is_some() {
                return Err(table.error(format!("doc_id `{doc_id}` appears twice")));
            }
            let n_terms = table.count(n_col)?;
            docs.push(Doc {
                n_terms,
                total: n_terms,
                doc_id,
                source,
                bytes: *bytes,
                sha256: sha256.clone(),
                meta,
                bag: Vec::new(),
                themes: Vec::new(),
            });
        }
        Ok(Documents {
            docs,
            index,
            misfits,
        })
    }

    /// themes_by_document.csv: every document's count of every theme.
    fn themes(
        &self,
        keys: &[String],
        index: &FxHashMap<String, usize>,
        docs: &mut [Doc],
    ) -> Result<()> {
        let ids: FxHashMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        for d in docs.iter_mut() {
            d.themes = vec![0; keys.len()];
        }
        let mut table = self.table("themes_by_document")?;
        let cols = [
            table.column("doc_id")?,
            table.column("theme")?,
            table.column("count")?,
        ];
        while table.next()? {
            let doc = table.doc(index, table.text(cols[0]))?;
            let theme = table.text(cols[1]);
            let Some(&t) = ids.get(theme) else {
                return Err(table.error(format!("theme `{theme}` is not in manifest.json")));
            };
            docs[doc].themes[t] = table.count(cols[2])?;
        }
        Ok(())
    }

    /// A forms table (`term_forms` or `ngram_forms`): `cols` are the
    /// columns of the key, the form and the count. Adds each key's count to
    /// the bag of its document and each form to the vocabulary; for n-grams
    /// a document's total is the sum of its counts.
    fn forms(
        &self,
        name: &str,
        cols: &[usize; 3],
        index: &FxHashMap<String, usize>,
        docs: &mut [Doc],
        vocab: &mut Vocab,
    ) -> Result<()> {
        let mut table = self.table(name)?;
        let ngrams = name == "ngram_forms";
        if ngrams {
            docs.iter_mut().for_each(|d| d.total = 0);
        }
        let (mut last_id, mut last_doc) = (String::new(), usize::MAX);
        while table.next()? {
            let doc_id = table.text(0);
            if last_doc == usize::MAX || doc_id != last_id {
                last_doc = table.doc(index, doc_id)?;
                last_id = doc_id.to_string();
            }
            let count = table.count(cols[2])?;
            let id = vocab.id(table.text(cols[0]));
            vocab.add_form(id, table.text(cols[1]), count);
            let doc = &mut docs[last_doc];
            match doc.bag.last_mut() {
                Some(last) if last.0 == id => last.1 += count,
                _ => doc.bag.push((id, count)),
            }
            if ngrams {
                doc.total += count;
            }
        }
        for d in docs.iter_mut() {
            d.bag.sort_unstable();
            d.bag.dedup_by(|next, kept| {
                let same = next.0 == kept.0;
                if same {
                    kept.1 += next.1;
                }
                same
            });
        }
        Ok(())
    }
}

/// DIR/NAME.csv, or an error naming it and the `--tables` value that
/// writes it.
pub fn require(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(format!("{name}.csv"));
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(path),
        Ok(_) => Err(Error::input(&path, "not a regular file")),
        Err(_) => Err(Error::input(
            &path,
            format!("missing; run analyze with --tables …,{name} (and --format csv or both) to write it"),
        )),
    }
}

/// The documents of documents.csv, with empty bags.
struct Documents {
    docs: Vec<Doc>,
    /// Index in `docs` by doc_id.
    index: FxHashMap<String, usize>,
    /// The doc_ids that do not fit --meta-pattern.
    misfits: Vec<String>,
}

/// One CSV table of DIR, read row by row.
struct Table {
    path: PathBuf,
    reader: csv::Reader<std::io::BufReader<std::fs::File>>,
    header: Vec<String>,
    record: csv::StringRecord,
    /// Rows read, and those the manifest counts (checked at the end).
    rows: u64,
    expected: Option<u64>,
}

impl Table {
    /// Opens DIR/NAME.csv (see [`require`]).
    fn open(dir: &Path, name: &str) -> Result<Table> {
        let path = require(dir, name)?;
        let file = std::fs::File::open(&path).map_err(|e| Error::input(&path, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| Error::input(&path, e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let columns = crate::table::columns(name);
        if !columns.is_empty() && header.iter().take(columns.len()).ne(columns.iter()) {
            return Err(Error::input(
                &path,
                format!("header is not {}", columns.join(",")),
            ));
        }
        Ok(Table {
            path,
            reader,
            header,
            record: csv::StringRecord::new(),
            rows: 0,
            expected: None,
        })
    }

    /// The index of a column, or an error naming it.
    fn column(&self, name: &str) -> Result<usize> {
        let found = self.header.iter().position(|h| h == name);
        found.ok_or_else(|| Error::input(&self.path, format!("no `{name}` column")))
    }

    /// Reads the next row; false at the end (where the rows read must be
    /// as many as the manifest counts).
    fn next(&mut self) -> Result<bool> {
        let more =
            (self.reader.read_record(&mut self.record)).map_err(|e| Error::input(&self.path, e))?;
        self.rows += u64::from(more);
        match self.expected {
            Some(n) if !more && n != self.rows => Err(Error::input(
                &self.path,
                format!(
                    "{} rows, but manifest.json counts {n}; the count tables must be as analyze wrote them",
                    self.rows
                ),
            )),
            _ => Ok(more),
        }
    }

    /// An error at the current row.
    fn error(&self, message: String) -> Error {
        let line = self.record.position().map_or(0, |p| p.line());
        Error::input(&self.path, format!("line {line}: {message}"))
    }

    /// The index of a document named in this table.
    fn doc(&self, index: &FxHashMap<String, usize>, doc_id: &str) -> Result<usize> {
        let found = index.get(doc_id).copied();
        found.ok_or_else(|| self.error(format!("doc_id `{doc_id}` is not in documents.csv")))
    }
}

impl Table {
    /// A text cell of the current row, without the formula guard.
    fn text(&self, col: usize) -> &str {
        crate::write::parquet::unguard(self.record.get(col).unwrap_or(""))
    }

    /// A count cell of the current row.
    fn count(&self, col: usize) -> Result<u64> {
        let cell = self.record.get(col).unwrap_or("");
        cell.parse()
            .map_err(|_| self.error(format!("`{cell}` is not a count")))
    }
}
