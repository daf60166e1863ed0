//! themata: thematic text analysis, from documents to tidy CSV tables.
//!
//! Data flows one way; each stage is one module, declared here in flow order:
//!
//! ```text
//! input ─► section ─► token ─► analyze ─► theme ─► count ─► render ─► write
//! (files,   (title,    (UAX#29,  (lowercase, (codebook,  (per section,  (rows of   (CSV, Parquet,
//!  decode)   list…)     offsets)  stopwords,  matcher)    per document)  a Table)   XLSX; atomic)
//!                                 stems)
//! ```
//!
//! `cli` holds the flags, `config` validates them into an [`config::AnalyzeConfig`],
//! and `pipeline` is the only module that calls every stage. `compare` works on
//! counts only; `collect` (the compare command) builds them from the texts
//! through the pipeline, or reads them from an analyze output folder.

// Foundations every stage may use: errors, the ordered parallel map and
// thread pools, progress, the staging folders' name, the table catalogue
// and cells (no file format).
pub mod error;
pub mod parallel;
pub mod progress;
pub mod staging;
pub mod table;

// The stages, in flow order.
pub mod input;
pub mod section;
pub mod token;
pub mod analyze;
pub mod theme;
pub mod words;
pub mod count;
pub mod kwic;
pub mod chart;
pub mod render;
pub mod write;
pub mod manifest;

// Compare works on counts only (no texts, flags or pipeline).
pub mod compare;

// Flags, validated settings, the driver that calls every stage, the
// builders of compare's counts, merge, and the commands.
pub mod cli;
pub mod config;
pub mod pipeline;
pub mod collect;
pub mod merge;
pub mod commands;
