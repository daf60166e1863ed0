//! The counts `compare` works on, and nothing else: documents with their
//! metadata, one bag of counts per document over one key vocabulary, the
//! display term of each key, and the totals the counts are a share of.
//!
//! Two builders make a [`Corpus`]: from the texts (`collect::texts`, through
//! the pipeline) and from the count tables of an analyze output folder
//! (`collect::tables`). Both add keys and surface forms through a [`Vocab`],
//! whose [`Vocab::finish`] numbers the keys in an order that does not depend
//! on the order they were met in (byte order of the keys; themes keep the
//! codebook's order). So the two builders give equal corpora, and every
//! table and chart written from them is byte-identical.

use rustc_hash::FxHashMap;

use crate::input::Skipped;

/// One counted document.
pub struct Doc {
    pub doc_id: String,
    pub source: String,
    pub bytes: u64,
    pub sha256: String,
    /// Values of the metadata fields, in `Corpus::fields` order.
    pub meta: Vec<String>,
    /// (key id, count), sorted by key id.
    pub bag: Vec<(u32, u64)>,
    /// The total the counts are a share of (terms, or n-grams).
    pub total: u64,
    pub n_terms: u64,
    /// Matches per theme, in `Corpus::theme_keys` order.
    pub themes: Vec<u64>,
}

/// Every document, counted, with one key vocabulary.
pub struct Corpus {
    pub docs: Vec<Doc>,
    /// `doc_id`, the metadata fields, then `folder`.
    pub fields: Vec<String>,
    /// Key text by id (stem, n-gram stems, or theme key).
    pub keys: Vec<String>,
    /// The most frequent surface form of each key in the corpus (ties: the
    /// smallest).
    pub terms: Vec<String>,
    /// Files that could not be read (for the manifest).
    pub skipped: Vec<Skipped>,
    pub theme_keys: Vec<String>,
}

/// The key vocabulary while documents are added: ids in the order keys are
/// met, and the surface forms of each key with their counts.
#[derive(Default)]
pub struct Vocab {
    ids: FxHashMap<String, u32>,
    keys: Vec<String>,
    forms: Vec<FxHashMap<String, u64>>,
    /// Keys keep the order they were added in (themes).
    fixed: bool,
}

impl Vocab {
    /// The theme keys, in codebook order; each is its own display term.
    pub fn themes(keys: &[String]) -> Vocab {
        let mut vocab = Vocab {
            fixed: true,
            ..Vocab::default()
        };
        for k in keys {
            let id = vocab.id(k);
            vocab.add_form(id, k, 1);
        }
        vocab
    }

    /// The id of `key`, added when new.
    pub fn id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.ids.insert(key.to_string(), id);
        self.keys.push(key.to_string());
        self.forms.push(FxHashMap::default());
        id
    }

    /// Adds `count` occurrences of the surface form `form` of key `id`
    /// (allocating only for a new form).
    pub fn add_form(&mut self, id: u32, form: &str, count: u64) {
        let forms = &mut self.forms[id as usize];
        match forms.get_mut(form) {
            Some(n) => *n += count,
            None => {
                forms.insert(form.to_string(), count);
            }
        }
    }

    /// Numbers the keys in byte order (themes: as added), keeping only keys
    /// that some bag counts, renumbers and sorts the bags of `docs`, and
    /// returns (keys, display terms) by the new ids.
    pub fn finish(self, docs: &mut [Doc]) -> (Vec<String>, Vec<String>) {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        if !self.fixed {
            let mut used = vec![false; self.keys.len()];
            for d in docs.iter() {
                for &(k, _) in &d.bag {
                    used[k as usize] = true;
                }
            }
            order.retain(|&k| used[k]);
            order.sort_unstable_by(|&a, &b| self.keys[a].cmp(&self.keys[b]));
        }
        let mut new_id = vec![u32::MAX; self.keys.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = new as u32;
        }
        for d in docs.iter_mut() {
            for entry in d.bag.iter_mut() {
                entry.0 = new_id[entry.0 as usize];
            }
            d.bag.sort_unstable();
        }
        let terms = order
            .iter()
            .map(|&k| display(&self.forms[k], &self.keys[k]));
        let terms = terms.collect();
        let mut keys = self.keys;
        let keys = order
            .iter()
            .map(|&k| std::mem::take(&mut keys[k]))
            .collect();
        (keys, terms)
    }
}

/// The most frequent form (ties: the smallest), or the key when it has none.
fn display(forms: &FxHashMap<String, u64>, key: &str) -> String {
    forms
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map_or_else(|| key.to_string(), |(t, _)| t.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(bag: Vec<(u32, u64)>) -> Doc {
        Doc {
            doc_id: String::new(),
            source: String::new(),
            bytes: 0,
            sha256: String::new(),
            meta: Vec::new(),
            bag,
            total: 0,
            n_terms: 0,
            themes: Vec::new(),
        }
    }

    #[test]
    fn keys_in_byte_order_whatever_the_order_met() {
        let mut v = Vocab::default();
        let (b, a, unused) = (v.id("b"), v.id("a"), v.id("z"));
        assert_eq!((b, a, unused), (0, 1, 2));
        v.add_form(b, "B", 2);
        v.add_form(b, "Bb", 2);
        v.add_form(unused, "Z", 9);
        let mut docs = vec![doc(vec![(b, 3), (a, 1)])];
        let (keys, terms) = v.finish(&mut docs);
        assert_eq!(keys, ["a", "b"]); // z is in no bag
                                      // a has no form: its key; b's forms tie at 2: the smaller, "B".
        assert_eq!(terms, ["a", "B"]);
        assert_eq!(docs[0].bag, [(0, 1), (1, 3)]);
    }

    #[test]
    fn themes_keep_codebook_order() {
        let v = Vocab::themes(&["war".to_string(), "peace".to_string()]);
        let mut docs = vec![doc(vec![(1, 2)])];
        let (keys, terms) = v.finish(&mut docs);
        assert_eq!(keys, ["war", "peace"]);
        assert_eq!(terms, keys);
        assert_eq!(docs[0].bag, [(1, 2)]);
    }
}
