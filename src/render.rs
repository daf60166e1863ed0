//! Render: one document's counts → the rows of each per-document table.
//!
//! One short function per [`Table`], each turning the counts (and the
//! document, the theme keys, the KWIC spans) into rows of [`Cell`]s for a
//! [`RowSink`]. Rendering knows no file format: quoting, number formats and
//! the formula guard are the writers' business (`write::CsvRows` on the
//! worker thread today), so a new table is a catalogue entry, a [`Table`]
//! value and one function here.

use crate::count::{DocCounts, KwicSpan};
use crate::input::Document;
use crate::kwic;
use crate::table::{per_1000, share, Cell, RowSink, Table};
use crate::theme::Matcher;

/// One document as the render stage sees it.
pub struct Doc<'a> {
    pub doc: &'a Document,
    pub counts: &'a DocCounts,
    /// The places of its theme matches, for `kwic`.
    pub kwic: &'a [KwicSpan],
    pub matcher: &'a Matcher,
    /// The values of the metadata columns of `documents` (after `doc_id`),
    /// when the run has metadata.
    pub meta: Option<&'a [String]>,
}

/// Renders the rows of `tables` for one document, table `i` into
/// `sinks[i]` (on a worker thread; the writer appends them in input order).
pub fn document<S: RowSink>(d: &Doc, tables: &[Table], sinks: &mut [S]) {
    let wants_terms =
        (tables.iter()).any(|t| matches!(t, Table::TermsBySection | Table::TermsByDocument));
    let gathered = match wants_terms {
        true => term_texts(d.counts),
        false => Gathered::default(),
    };
    let terms = TermTexts(gathered.strs());
    for (&table, sink) in tables.iter().zip(sinks) {
        match table {
            Table::Documents => documents(d, sink),
            Table::Sections => sections(d, sink),
            Table::TermsBySection => terms_by_section(d, &terms, sink),
            Table::TermsByDocument => terms_by_document(d, &terms, sink),
            Table::ThemesBySection => themes_by_section(d, sink),
            Table::ThemesByDocument => themes_by_document(d, sink),
            Table::ThemeMatches => theme_matches(d, sink),
            Table::ThemeSpread => theme_spread(d, sink),
            Table::ThemeCooccurrence => theme_cooccurrence(d, sink),
            Table::NgramsByDocument => ngrams_by_document(d, sink),
            Table::TermForms => term_forms(d, sink),
            Table::NgramForms => ngram_forms(d, sink),
            Table::Kwic => kwic_rows(d, sink),
            // Corpus level: `pipeline::Matrix` writes it after the last document.
            Table::TermMatrix => {}
        }
    }
}

/// Texts of one document copied into one buffer that its rows read.
/// Each is copied from the document's sort keys when they hold it (a text
/// of under 15 bytes: [`DocCounts::stem_bytes`]), which counting has just
/// used, rather than from the vocabulary, where each text is a cache miss
/// away: read row by row from there, the stems' and terms' first bytes
/// took a third of the CSV writer's time (`perf annotate`), and joining
/// the n-grams' forms was the largest caller of `memcpy` (`perf report`).
#[derive(Default)]
struct Gathered {
    texts: String,
    /// Where text `i` ends.
    ends: Vec<usize>,
}

impl Gathered {
    fn new<'a>(texts: impl Iterator<Item = &'a [u8]>) -> Gathered {
        let mut bytes = Vec::new();
        let ends = texts
            .map(|t| {
                bytes.extend_from_slice(t);
                bytes.len()
            })
            .collect();
        // Whole texts one after another: UTF-8, each end a boundary.
        let texts = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Gathered { texts, ends }
    }

    /// The texts, in the order given.
    fn strs(&self) -> Vec<&str> {
        let mut start = 0;
        (self.ends.iter())
            .map(|&end| {
                let text = &self.texts[start..end];
                start = end;
                text
            })
            .collect()
    }
}

/// The stem and display term of each of the document's stem ids, gathered
/// once (rows of both term tables repeat them): stem `s`'s are texts `2 s`
/// and `2 s + 1`.
fn term_texts(c: &DocCounts) -> Gathered {
    let pairs = (0..c.stems.len() as u32).map(|s| [c.stem_bytes(s), c.surface_bytes(s)]);
    Gathered::new(pairs.flatten())
}

struct TermTexts<'a>(Vec<&'a str>);

impl TermTexts<'_> {
    fn get(&self, stem: u32) -> (&str, &str) {
        let i = 2 * stem as usize;
        (self.0[i], self.0[i + 1])
    }
}

fn documents(d: &Doc, sink: &mut impl RowSink) {
    let (doc, c) = (d.doc, d.counts);
    let mut cells = vec![
        Cell::Str(&doc.doc_id),
        Cell::Str(&doc.source),
        Cell::Str(&c.title),
        Cell::Int(c.sections.len() as u64),
        Cell::Int(c.n_tokens),
        Cell::Int(c.n_terms),
        Cell::Int(c.n_types()),
        Cell::Float(share(c.n_covered(), c.n_terms)),
        Cell::Str(doc.encoding),
        Cell::Int(doc.bytes),
    ];
    if let Some(meta) = d.meta {
        cells.extend(meta.iter().map(|v| Cell::Str(v)));
    }
    sink.row(&cells);
}

fn sections(d: &Doc, sink: &mut impl RowSink) {
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for s in &d.counts.sections {
        sink.row(&[
            Cell::Int(u64::from(s.section.id)),
            Cell::Str(s.section.kind),
            Cell::Str(&s.section.label),
            Cell::Int(s.n_tokens),
            Cell::Int(s.n_terms),
            Cell::Int(s.n_types),
            Cell::Float(share(s.n_covered, s.n_terms)),
            Cell::Int(s.section.range.start as u64),
            Cell::Int(s.section.range.end as u64),
        ]);
    }
    sink.lead(&[]);
}

fn terms_by_section(d: &Doc, terms: &TermTexts, sink: &mut impl RowSink) {
    for s in &d.counts.sections {
        sink.lead(&[Cell::Str(&d.doc.doc_id), Cell::Int(u64::from(s.section.id))]);
        for &(stem, count) in &s.terms {
            let (stem, term) = terms.get(stem);
            sink.row(&[
                Cell::Str(stem),
                Cell::Str(term),
                Cell::Int(u64::from(count)),
                Cell::Float(per_1000(u64::from(count), s.n_terms)),
            ]);
        }
    }
    sink.lead(&[]);
}

fn terms_by_document(d: &Doc, terms: &TermTexts, sink: &mut impl RowSink) {
    let c = d.counts;
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for &(stem, count, n_sections) in &c.terms {
        let (stem, term) = terms.get(stem);
        sink.row(&[
            Cell::Str(stem),
            Cell::Str(term),
            Cell::Int(u64::from(count)),
            Cell::Float(per_1000(u64::from(count), c.n_terms)),
            Cell::Int(u64::from(n_sections)),
        ]);
    }
    sink.lead(&[]);
}

fn themes_by_section(d: &Doc, sink: &mut impl RowSink) {
    for s in &d.counts.sections {
        sink.lead(&[Cell::Str(&d.doc.doc_id), Cell::Int(u64::from(s.section.id))]);
        for (key, &count) in d.matcher.keys().iter().zip(&s.themes) {
            sink.row(&[
                Cell::Str(key),
                Cell::Int(u64::from(count)),
                Cell::Float(per_1000(u64::from(count), s.n_terms)),
            ]);
        }
    }
    sink.lead(&[]);
}

fn themes_by_document(d: &Doc, sink: &mut impl RowSink) {
    let (c, keys) = (d.counts, d.matcher.keys());
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for (key, (count, n_sections)) in keys.iter().zip(c.theme_totals(keys.len())) {
        sink.row(&[
            Cell::Str(key),
            Cell::Int(u64::from(count)),
            Cell::Float(per_1000(u64::from(count), c.n_terms)),
            Cell::Int(u64::from(n_sections)),
        ]);
    }
    sink.lead(&[]);
}

/// Each theme that occurs: in how many sections, the first and the last.
fn theme_spread(d: &Doc, sink: &mut impl RowSink) {
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for (t, key) in d.matcher.keys().iter().enumerate() {
        let mut with = d.counts.sections.iter().filter(|s| s.themes[t] > 0);
        let Some(first) = with.next() else { continue };
        let (n, last) = with.fold((1, first), |(n, _), s| (n + 1, s));
        sink.row(&[
            Cell::Str(key),
            Cell::Int(n),
            Cell::Int(u64::from(first.section.id)),
            Cell::Int(u64::from(last.section.id)),
        ]);
    }
    sink.lead(&[]);
}

/// Each pair of themes (in codebook order) that occur in the same section:
/// in how many sections both do. Counted from the themes each section
/// holds, so the work is the number of pairs found, not the square of the
/// codebook.
fn theme_cooccurrence(d: &Doc, sink: &mut impl RowSink) {
    let mut pairs: std::collections::BTreeMap<(usize, usize), u64> = Default::default();
    let mut present = Vec::new();
    for s in &d.counts.sections {
        present.clear();
        present.extend(
            (s.themes.iter().enumerate())
                .filter(|(_, &c)| c > 0)
                .map(|(t, _)| t),
        );
        for (i, &a) in present.iter().enumerate() {
            for &b in &present[i + 1..] {
                *pairs.entry((a, b)).or_insert(0) += 1;
            }
        }
    }
    let keys = d.matcher.keys();
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for ((a, b), both) in pairs {
        sink.row(&[Cell::Str(&keys[a]), Cell::Str(&keys[b]), Cell::Int(both)]);
    }
    sink.lead(&[]);
}

fn theme_matches(d: &Doc, sink: &mut impl RowSink) {
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for m in &d.counts.matches {
        sink.row(&[
            Cell::Int(u64::from(m.section_id)),
            Cell::Str(&d.matcher.keys()[m.theme as usize]),
            Cell::Str(d.matcher.pattern_text(m.pattern)),
            Cell::Str(&m.matched),
            Cell::Int(u64::from(m.count)),
            Cell::Str(if m.excluded { "true" } else { "false" }),
        ]);
    }
    sink.lead(&[]);
}

/// The text of an n-gram is its most frequent exact sequence of display
/// forms in the document.
fn ngrams_by_document(d: &Doc, sink: &mut impl RowSink) {
    let c = d.counts;
    let forms = (0..c.ngram_forms.len() as u32).map(|i| c.ngram_form_bytes(i));
    let forms = Gathered::new(forms);
    let forms = forms.strs();
    let mut text = String::new();
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for g in &c.ngrams {
        text.clear();
        c.push_ngram_text_with(g, |i| forms[i as usize], &mut text);
        sink.row(&[
            Cell::Int(u64::from(g.n)),
            Cell::Str(&text),
            Cell::Int(u64::from(g.count)),
            Cell::Float(per_1000(u64::from(g.count), c.n_terms)),
        ]);
    }
    sink.lead(&[]);
}

/// (stem, display form, count), by stem, then form (byte order); forms of
/// one text are added up.
fn term_forms(d: &Doc, sink: &mut impl RowSink) {
    let c = d.counts;
    let mut rows: Vec<(&str, &str, u32)> = c
        .surfaces()
        .map(|(stem, form, count)| (c.stem(stem), form, count))
        .collect();
    rows.sort_unstable();
    rows.dedup_by(|b, a| {
        let same = (a.0, a.1) == (b.0, b.1);
        if same {
            a.2 += b.2;
        }
        same
    });
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for (stem, term, count) in rows {
        sink.row(&[
            Cell::Str(stem),
            Cell::Str(term),
            Cell::Int(u64::from(count)),
        ]);
    }
    sink.lead(&[]);
}

/// (n, stems joined by a space, exact sequence of display forms, count),
/// by n, stems, then sequence (byte order); sequences of one text are
/// added up.
fn ngram_forms(d: &Doc, sink: &mut impl RowSink) {
    let c = d.counts;
    let mut rows = Vec::new();
    for g in &c.ngrams {
        let stems: Vec<&str> = g.stems().iter().map(|&s| c.stem(s)).collect();
        let stems = stems.join(" ");
        for (ngram, count) in c.ngram_sequences(g) {
            rows.push((g.n, stems.clone(), ngram, count));
        }
    }
    rows.sort_unstable();
    rows.dedup_by(|b, a| {
        let same = (a.0, &a.1, &a.2) == (b.0, &b.1, &b.2);
        if same {
            a.3 += b.3;
        }
        same
    });
    sink.lead(&[Cell::Str(&d.doc.doc_id)]);
    for (n, stems, ngram, count) in rows {
        sink.row(&[
            Cell::Int(u64::from(n)),
            Cell::Str(&stems),
            Cell::Str(&ngram),
            Cell::Int(u64::from(count)),
        ]);
    }
    sink.lead(&[]);
}

fn kwic_rows(d: &Doc, sink: &mut impl RowSink) {
    let keys = d.matcher.keys();
    for s in d.kwic {
        sink.row(&kwic::cells(&d.doc.text, s, &d.doc.doc_id, keys));
    }
}
