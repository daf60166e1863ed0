//! themata: thematic text analysis, from documents to tidy CSV tables.
//!
//! Data flows one way; each stage is one module, declared here in flow order:
//!
//! ```text
//! input ─► section ─► token ─► analyze ─► theme ─► count ─► table ─► write
//! (files,   (title,    (UAX#29,  (lowercase, (codebook,  (per section,  (rows)   (CSV, atomic,
//!  decode)   list…)     offsets)  stopwords,  matcher)    per document)           formula guard)
//!                                 stems)
//! ```
//!
//! `cli` holds the flags, `config` validates them into an [`config::AnalyzeConfig`],
//! and `pipeline` is the only module that calls every stage.

pub mod analyze;
pub mod chart;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod count;
pub mod error;
pub mod input;
pub mod kwic;
pub mod pipeline;
pub mod progress;
pub mod section;
pub mod table;
pub mod theme;
pub mod token;
pub mod words;
pub mod write;
