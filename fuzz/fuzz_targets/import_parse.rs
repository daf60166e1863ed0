//! Codebook importers (quanteda YAML, LIWC, WordStat, Lexicoder): never
//! panic; an error names a line and column inside the text; an imported
//! codebook round-trips through the native format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use themata::error::Error;
use themata::theme::import::{parse, Format};
use themata::theme::Codebook;

fuzz_target!(|text: &str| {
    // Lines as an editor counts them: LF, CRLF or a lone CR (YAML treats a
    // lone CR as a line break, so its positions do too).
    let lines = text.split('\n').count() + text.replace("\r\n", "").matches('\r').count();
    for format in [Format::QuantedaYaml, Format::Liwc, Format::WordStat, Format::Lexicoder] {
        match parse("fuzz", text, format, Vec::new()) {
            // A dictionary with no category has nothing to convert (the
            // native reader rejects a codebook without themes).
            Ok(imported) if imported.codebook.themes.is_empty() => {}
            Ok(imported) => {
                let toml = imported.codebook.to_toml();
                if let Err(problems) = Codebook::parse("again.toml", &toml) {
                    panic!("imported codebook is not valid TOML: {problems:?}");
                }
            }
            Err(Error::Codebook { line, column, .. }) => {
                assert!(line >= 1 && line <= lines + 1 && column >= 1, "{line}:{column}");
            }
            Err(e) => panic!("unexpected error kind: {e}"),
        }
    }
});
