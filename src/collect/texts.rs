//! A compare [`Corpus`] from the texts: every document is discovered,
//! loaded and counted by the pipeline with the analysis flags (as `analyze`
//! counts it), then reduced to its bag of counts of the unit, its totals,
//! theme counts and metadata; the texts are dropped as soon as counted.

use crate::compare::{Corpus, Doc, Unit, Vocab};
use crate::config::AnalyzeConfig;
use crate::count::DocCounts;
use crate::error::{Error, Result};
use crate::input::{self, Document, Skipped};

/// One loaded and counted document, or the file skipped.
type Loaded = std::result::Result<(Document, DocCounts), Skipped>;

/// Reads and counts every input of `cfg` into a Corpus of `unit`.
pub fn corpus(cfg: &AnalyzeConfig, unit: Unit) -> Result<Corpus> {
    let say = |line: String| {
        if !cfg.quiet {
            eprintln!("{line}");
        }
    };
    let discovery = input::discover(&cfg.inputs, &cfg.filter)?;
    cfg.meta.set_table_fields(&discovery.fields)?;
    for w in &discovery.warnings {
        say(format!("warning: {w}"));
    }
    let mut skipped = discovery.skipped.clone();
    if cfg.strict {
        if let Some(s) = skipped.first() {
            return Err(Error::input(&s.path, format!("{} (--strict)", s.reason)));
        }
    }
    for s in &skipped {
        say(format!("skipped: {}: {}", s.path, s.reason));
    }
    let (threads, note) = cfg.threads(discovery.sources.len());
    if let Some(note) = note {
        say(note);
    }
    let mut gather = Gather::new(cfg, unit);
    count_all(cfg, threads, &discovery.sources, |loaded| match loaded {
        Ok((doc, counts)) => {
            if let Some(w) = &doc.warning {
                say(format!("warning: {}: {w}", doc.source));
            }
            gather.add(doc, &counts);
            Ok(())
        }
        Err(s) => crate::pipeline::skip(cfg, s, &say, &mut skipped),
    })?;
    if gather.docs.is_empty() {
        let what = match cfg.inputs.is_empty() {
            true => "-".to_string(),
            false => cfg.inputs.join(" "),
        };
        return Err(Error::input(what, "no document with text to compare"));
    }
    if let Some(note) = super::misfit_note(&gather.misfits) {
        say(note);
    }
    let mut docs = gather.docs;
    let (keys, terms) = gather.vocab.finish(&mut docs);
    Ok(Corpus {
        docs,
        fields: cfg.meta.fields(),
        keys,
        terms,
        skipped,
        theme_keys: cfg.matcher.keys().to_vec(),
    })
}

/// Loads and counts `sources` on `threads` workers, handing each outcome to
/// `add` in input order ([`crate::parallel::in_order`]); the texts are
/// dropped on the workers.
fn count_all(
    cfg: &AnalyzeConfig,
    threads: usize,
    sources: &[input::Source],
    add: impl FnMut(Loaded) -> Result<()> + Send,
) -> Result<()> {
    let pool = crate::parallel::pool(threads)?;
    let load = |i: usize| -> Loaded {
        let (mut doc, counts) = crate::pipeline::load_and_count(cfg, &sources[i])?;
        doc.text = String::new();
        Ok((doc, counts))
    };
    crate::parallel::in_order(&pool, sources.len(), load, add)
}

/// The documents counted so far, and the key vocabulary.
struct Gather<'a> {
    cfg: &'a AnalyzeConfig,
    unit: Unit,
    vocab: Vocab,
    docs: Vec<Doc>,
    /// Documents that do not fit --meta-pattern.
    misfits: Vec<String>,
}

impl<'a> Gather<'a> {
    fn new(cfg: &'a AnalyzeConfig, unit: Unit) -> Gather<'a> {
        let vocab = match unit {
            Unit::Theme => Vocab::themes(cfg.matcher.keys()),
            _ => Vocab::default(),
        };
        Gather {
            cfg,
            unit,
            vocab,
            docs: Vec::new(),
            misfits: Vec::new(),
        }
    }

    /// Adds one document: its bag of the unit, with every surface form of
    /// each key (so that the corpus shows its most frequent one).
    fn add(&mut self, doc: Document, c: &DocCounts) {
        let themes: Vec<u64> = c
            .theme_totals(self.cfg.matcher.keys().len())
            .iter()
            .map(|&(n, _)| u64::from(n))
            .collect();
        let mut bag: Vec<(u32, u64)> = Vec::new();
        let mut total = c.n_terms;
        match self.unit {
            Unit::Term => self.add_terms(c, &mut bag),
            Unit::Ngram => total = self.add_ngrams(c, &mut bag),
            Unit::Theme => {
                bag = (themes.iter().enumerate())
                    .filter(|&(_, &n)| n > 0)
                    .map(|(t, &n)| (t as u32, n))
                    .collect();
            }
        }
        bag.sort_unstable();
        let (meta, fits) = self.cfg.meta.values(&doc);
        if !fits {
            self.misfits.push(doc.doc_id.clone());
        }
        self.docs.push(Doc {
            doc_id: doc.doc_id,
            source: doc.source,
            bytes: doc.bytes,
            sha256: doc.sha256,
            meta,
            bag,
            total,
            n_terms: c.n_terms,
            themes,
        });
    }

    /// Stems with their counts, and every surface form of each.
    fn add_terms(&mut self, c: &DocCounts, bag: &mut Vec<(u32, u64)>) {
        let mut ids = vec![u32::MAX; c.stems.len()];
        for &(stem, count, _) in &c.terms {
            let id = self.vocab.id(c.stem(stem));
            ids[stem as usize] = id;
            bag.push((id, u64::from(count)));
        }
        for (stem, surface, count) in c.surfaces() {
            let id = match ids[stem as usize] {
                u32::MAX => self.vocab.id(c.stem(stem)),
                id => id,
            };
            self.vocab.add_form(id, surface, u64::from(count));
        }
    }

    /// N-grams keyed by their stems, with every exact sequence of display
    /// forms; returns the number of n-grams counted (the document's total).
    fn add_ngrams(&mut self, c: &DocCounts, bag: &mut Vec<(u32, u64)>) -> u64 {
        let mut total = 0;
        for g in &c.ngrams {
            let key: Vec<&str> = g.stems().iter().map(|&s| c.stem(s)).collect();
            let id = self.vocab.id(&key.join(" "));
            bag.push((id, u64::from(g.count)));
            for (text, count) in c.ngram_sequences(g) {
                self.vocab.add_form(id, &text, u64::from(count));
            }
            total += u64::from(g.count);
        }
        total
    }
}
