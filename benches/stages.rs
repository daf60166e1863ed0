//! Micro-benchmarks of the hot stages on real text: tokenize, classify +
//! stem, theme match, and `count_document` (all of them, per document).
//! Texts: the shipped statement (data/corpus/) and a UN speech from
//! ../shared/corpora/ungdc (skipped with a message when absent).
//!
//! run: cargo bench --bench stages

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use themata::analyze::{Analyzer, AnalyzerOptions, Role};
use themata::count::{count_document, Vocabulary};
use themata::section::Mode;
use themata::theme::{Codebook, Matcher, Word};
use themata::token::{tokenize, Token};

fn texts() -> Vec<(&'static str, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    let statement = root.join("data/corpus/2022-12-02_belarus-russia_joint-statement_osce.txt");
    match std::fs::read_to_string(&statement) {
        Ok(t) => texts.push(("statement", t)),
        Err(e) => eprintln!("SKIP statement: {}: {e}", statement.display()),
    }
    let speech = root.join("../shared/corpora/ungdc/2022/USA_77_2022.txt");
    match std::fs::read_to_string(&speech) {
        Ok(t) => texts.push(("un_speech", t)),
        Err(e) => eprintln!("SKIP un_speech: {}: {e}", speech.display()),
    }
    texts
}

fn stages(c: &mut Criterion) {
    let analyzer = Analyzer::new(&AnalyzerOptions::default()).expect("english analyzer");
    let matcher = Matcher::new(&Codebook::default_codebook(), &analyzer).expect("default codebook");
    for (name, text) in texts() {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let mut tokens: Vec<Token> = Vec::new();
        tokenize(&text, 0..text.len(), &mut tokens);

        group.bench_function("tokenize", |b| {
            let mut out = Vec::with_capacity(tokens.len());
            b.iter(|| {
                out.clear();
                tokenize(black_box(&text), 0..text.len(), &mut out);
                out.len()
            })
        });

        // Every token classified and every term stemmed (no caching).
        group.bench_function("classify_stem", |b| {
            b.iter(|| {
                let mut terms = 0usize;
                for t in &tokens {
                    let (form, role) = analyzer.classify(&text[t.range()]);
                    if role == Role::Term {
                        terms += analyzer.stem(&form).len();
                    }
                }
                terms
            })
        });

        // Theme matching over the whole text as one run of words.
        let forms: Vec<(String, String)> = tokens
            .iter()
            .map(|t| analyzer.form_and_stem(&text[t.range()]))
            .collect();
        let words = Word::from_tokens(&tokens, &forms, analyzer.hyphens);
        group.bench_function("theme_match", |b| {
            let mut out = Vec::new();
            b.iter(|| {
                matcher.find(black_box(&words), &mut out);
                out.len()
            })
        });

        // The whole per-document work with a warm per-worker cache, as in a
        // long run.
        group.bench_function("count_document", |b| {
            let mut cache = Vocabulary::default();
            b.iter(|| {
                let counts = count_document(
                    black_box(&text),
                    &Mode::Auto,
                    &analyzer,
                    &matcher,
                    2,
                    &mut cache,
                );
                counts.n_terms
            })
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
