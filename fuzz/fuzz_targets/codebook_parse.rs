//! Codebook parser: never panics; a rejected codebook reports problems with
//! 1-based line and column inside the text; an accepted one round-trips
//! through to_toml and compiles into a matcher.
#![no_main]

use libfuzzer_sys::fuzz_target;
use themata::analyze::{Analyzer, AnalyzerOptions};
use themata::theme::{Codebook, Matcher};

fuzz_target!(|text: &str| {
    match Codebook::parse("fuzz.toml", text) {
        Ok(c) => {
            let again = Codebook::parse("again.toml", &c.to_toml()).expect("to_toml output parses");
            assert_eq!(again.themes.len(), c.themes.len());
            let analyzer = Analyzer::new(&AnalyzerOptions::default()).expect("analyzer");
            let _ = Matcher::new(&c, &analyzer);
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            let lines = text.split('\n').count();
            for p in problems {
                assert!(p.line >= 1 && p.line <= lines, "line {} of {lines}", p.line);
                assert!(p.column >= 1);
            }
        }
    }
});
