//! Section splitter: no panic; sections ordered, disjoint, non-blank, on
//! char boundaries, numbered from 1; every mode.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use themata::section::{split, Mode};

fn modes() -> &'static [Mode] {
    static MODES: OnceLock<Vec<Mode>> = OnceLock::new();
    MODES.get_or_init(|| {
        let heading = regex::Regex::new(r"^(?:[A-Z]{2,}|\d+\.)").expect("static regex");
        vec![Mode::Auto, Mode::Paragraphs, Mode::Lines, Mode::None, Mode::Heading(heading)]
    })
}

fuzz_target!(|text: &str| {
    for mode in modes() {
        let mut end = 0;
        for (i, s) in split(text, mode).iter().enumerate() {
            assert_eq!(s.id as usize, i + 1);
            assert!(s.range.start >= end, "sections overlap");
            assert!(s.range.start < s.range.end && s.range.end <= text.len());
            assert!(text.is_char_boundary(s.range.start) && text.is_char_boundary(s.range.end));
            assert!(!text[s.range.clone()].trim().is_empty(), "blank section");
            end = s.range.end;
        }
    }
});
