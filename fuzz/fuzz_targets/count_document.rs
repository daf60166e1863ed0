//! Tokenizer pipeline: count_document with the default analyzer and codebook
//! must not panic; section counts sum to the document counts; every token
//! slices the text on char boundaries.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use themata::analyze::{Analyzer, AnalyzerOptions, Hyphens};
use themata::count::{count_document, StemCache};
use themata::section::{split, Mode};
use themata::theme::{Codebook, Matcher};
use themata::token::tokenize;

struct Setup {
    analyzers: Vec<Analyzer>,
    matchers: Vec<Matcher>,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let codebook = Codebook::default_codebook();
        let analyzers: Vec<Analyzer> = [Hyphens::Join, Hyphens::Split, Hyphens::Both]
            .into_iter()
            .map(|hyphens| {
                Analyzer::new(&AnalyzerOptions { hyphens, ..AnalyzerOptions::default() })
                    .expect("default analyzer")
            })
            .collect();
        let matchers = analyzers
            .iter()
            .map(|a| Matcher::new(&codebook, a).expect("default matcher"))
            .collect();
        Setup { analyzers, matchers }
    })
}

fuzz_target!(|text: &str| {
    let s = setup();
    let mut tokens = Vec::new();
    tokenize(text, 0..text.len(), &mut tokens);
    let mut end = 0;
    for t in &tokens {
        assert!(t.start >= end && t.start < t.end && t.end <= text.len());
        assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        end = t.end;
    }
    let mut cache = StemCache::default();
    for (analyzer, matcher) in s.analyzers.iter().zip(&s.matchers) {
        let c = count_document(text, &Mode::Auto, analyzer, matcher, 3, &mut cache);
        let tokens: u64 = c.sections.iter().map(|x| x.n_tokens).sum();
        let terms: u64 = c.sections.iter().map(|x| x.n_terms).sum();
        assert_eq!(tokens, c.n_tokens);
        assert_eq!(terms, c.n_terms);
        let ranges: Vec<_> = split(text, &Mode::Auto).into_iter().map(|x| x.range).collect();
        let counted: Vec<_> = c.sections.iter().map(|x| x.section.range.clone()).collect();
        assert_eq!(ranges, counted);
    }
});
