//! The throughput floor themata is measured against: read every `.txt` file
//! under the given folders, segment each line with `unicode-segmentation`
//! (`split_word_bounds`), and count the word segments that contain a letter
//! or digit in one `FxHashMap<&str, u64>` per file, on ONE thread. No
//! lowercasing, stopwords, stems, themes or output: the cost of reading plus
//! the tokenizer itself.
//!
//! usage: cargo run --release --example floor -- DIR...
//! prints: files, bytes, tokens, distinct segments (summed per file), seconds, MB/s

use std::path::{Path, PathBuf};
use std::time::Instant;

use rustc_hash::FxHashMap;
use unicode_segmentation::UnicodeSegmentation;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "txt") {
            out.push(path);
        }
    }
}

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: floor DIR...");
        std::process::exit(2);
    }
    let mut files = Vec::new();
    for d in &dirs {
        walk(Path::new(d), &mut files);
    }
    files.sort();
    let started = Instant::now();
    let (mut bytes, mut tokens, mut types) = (0u64, 0u64, 0u64);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        bytes += text.len() as u64;
        let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
        for line in text.lines() {
            for segment in line.split_word_bounds() {
                if segment.chars().any(char::is_alphanumeric) {
                    *counts.entry(segment).or_insert(0) += 1;
                    tokens += 1;
                }
            }
        }
        types += counts.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "files={} bytes={bytes} tokens={tokens} types={types} seconds={seconds:.3} mb_per_s={:.2}",
        files.len(),
        bytes as f64 / 1e6 / seconds
    );
}
