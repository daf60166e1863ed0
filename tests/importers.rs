//! Integration tests: codebook importers (quanteda YAML, LIWC `.dic`,
//! WordStat `.cat`, Lexicoder `.lc3`). Fixtures in
//! tests/fixtures/codebooks/ are hand-written in each tool's exact format,
//! modelled on published dictionaries (quanteda's YAML example, the LIWC2007
//! category numbering and its conditional `like` entry, a LIWC-22 export,
//! the Laver-Garry WordStat dictionary, the Lexicoder Sentiment Dictionary
//! 2015). Every expected number below is a hand count of the fixture.

use std::path::{Path, PathBuf};

use themata::theme::import::{self, Imported};

use crate::util::{root, tempdir, themata, Table};

fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures").join("codebooks")
}

fn read(name: &str) -> Imported {
    let path = fixtures().join(name);
    import::read(&path.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"))
}

/// `key=pattern|pattern` per theme, in codebook order.
fn summary(i: &Imported) -> Vec<String> {
    i.codebook
        .themes
        .iter()
        .map(|t| {
            let p: Vec<&str> = t.patterns.iter().map(|p| p.text.as_str()).collect();
            format!("{}={}", t.key, p.join("|"))
        })
        .collect()
}

#[test]
fn quanteda_yaml_nests_keys() {
    let i = read("quanteda.yml");
    assert_eq!(
        summary(&i),
        [
            "security=secur*",
            "security.threats=terrorism|organized crime|weapons of mass destruction",
            "security.stability=stabil*|peace",
            "cooperation=co-operation|cooperat*",
            "un=united nations",
        ]
    );
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    // `    - "weapons of mass destruction"`: the value starts at line 9, column 7.
    let p = &i.codebook.themes[1].patterns[2];
    assert_eq!((p.line, p.column), (9, 7));
}

#[test]
fn liwc2007_dic_skips_conditional_categories_with_a_warning() {
    let i = read("liwc2007.dic");
    assert_eq!(
        summary(&i),
        [
            "funct=a|shall|their|will",
            "pronoun=their",
            "affect=abandon*|benefi*",
            "posemo=benefi*",
            "negemo=abandon*",
            "cogmech=need",
            "discrep=need|shall",
            "achieve=strength*",
            "filler=like",
        ]
    );
    assert_eq!(
        i.codebook.themes[3].definition,
        "LIWC category 126 in liwc2007.dic."
    );
    // Line 15 is `like	(02 134)125/464	(02 134)126	464`: two conditional items.
    assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
    assert!(i.warnings[0]
        .contains("liwc2007.dic:15:6: `like`: conditional category `(02 134)125/464` skipped"));
    assert!(i.warnings[1]
        .contains("liwc2007.dic:15:22: `like`: conditional category `(02 134)126` skipped"));
}

#[test]
fn liwc22_dic_with_bom_crlf_spaces_and_labels() {
    let i = read("liwc22.dic");
    assert_eq!(
        summary(&i),
        [
            "security=secur*|stabil*",
            "cooperation=co-operation|mutually beneficial"
        ]
    );
    assert_eq!(i.codebook.themes[0].label, "Security and stability");
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

#[test]
fn latin1_dic_is_read_as_windows_1252_with_a_warning() {
    let i = read("latin1.dic");
    assert_eq!(summary(&i), ["securite=sécurité|security"]);
    // The first byte that is not UTF-8 is the é (0xE9) after `s` on line 4.
    assert_eq!(i.warnings.len(), 1);
    assert!(
        i.warnings[0]
            .ends_with("latin1.dic:4:2: not valid UTF-8; read the file as Windows-1252 (Latin-1)"),
        "{:?}",
        i.warnings
    );
}

#[test]
fn wordstat_cat_nests_categories_and_joins_underscores() {
    let i = read("lavergarry.cat");
    assert_eq!(
        summary(&i),
        [
            "culture=",
            "culture.culture-high=art|artistic",
            "culture.sport=angler*",
            "economy=",
            "economy.state=public ownership|subsidi*",
            "economy.state_2=mutually beneficial",
            "economy.state_3=privati*",
            "security=secur*|terrorism",
        ]
    );
    let labels: Vec<&str> = i.codebook.themes[4..7]
        .iter()
        .map(|t| t.label.as_str())
        .collect();
    assert_eq!(labels, ["+STATE+", "=STATE=", "-STATE-"]);
    // `=STATE=` and `-STATE-` both sanitise to `state`, which `+STATE+` took.
    assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
}

#[test]
fn lexicoder_lc3_drops_colours() {
    let i = read("lsd2015.lc3");
    assert_eq!(
        summary(&i),
        [
            "negative=a lie|abandon*|terroris*|threat*",
            "positive=benefi*|friendly|mutually beneficial",
            "neg_positive=not benefi*",
        ]
    );
}

#[test]
fn themes_check_reports_counts() {
    // (file, themes, patterns), counted by hand from the fixtures.
    let cases = [
        ("quanteda.yml", 5, 9),
        ("liwc2007.dic", 9, 14),
        ("liwc22.dic", 2, 4),
        ("latin1.dic", 1, 2),
        ("lavergarry.cat", 8, 9),
        ("lsd2015.lc3", 3, 8),
    ];
    for (file, themes, patterns) in cases {
        themata(&fixtures())
            .args(["themes", "check", file])
            .assert()
            .success()
            .stdout(format!(
                "{file}: ok, {themes} themes, {patterns} patterns\n"
            ));
    }
}

#[test]
fn themes_list_shows_imported_keys_and_labels() {
    let out = themata(&fixtures())
        .args(["themes", "list", "liwc22.dic"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "theme\tpatterns\tlabel\tdefinition\n\
         security\t2\tSecurity and stability\tLIWC category 1 in liwc22.dic.\n\
         cooperation\t2\tCooperation\tLIWC category 2 in liwc22.dic.\n"
    );
}

#[test]
fn converted_codebooks_reload_to_the_same_themes() {
    let dir = tempdir();
    for file in [
        "quanteda.yml",
        "liwc2007.dic",
        "liwc22.dic",
        "latin1.dic",
        "lavergarry.cat",
        "lsd2015.lc3",
    ] {
        let out = dir.path().join(format!("{file}.toml"));
        themata(&fixtures())
            .args(["themes", "convert", file])
            .arg(&out)
            .assert()
            .success();
        let before = read(file);
        let after = import::read(&out.to_string_lossy()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let strip = |i: &Imported| -> Vec<(String, String, String, Vec<String>)> {
            i.codebook
                .themes
                .iter()
                .map(|t| {
                    let p = t.patterns.iter().map(|p| p.text.clone()).collect();
                    (t.key.clone(), t.label.clone(), t.definition.clone(), p)
                })
                .collect()
        };
        assert_eq!(strip(&before), strip(&after), "{file}");
    }
}

#[test]
fn analyze_with_a_liwc_dictionary_counts_its_themes() {
    let dir = tempdir();
    let statement = root().join("data").join("corpus");
    themata(dir.path())
        .arg("analyze")
        .arg(&statement)
        .arg("--themes")
        .arg(fixtures().join("liwc22.dic"))
        .args(["-o", "out", "--quiet"])
        .assert()
        .success();
    let t = Table::read(&dir.path().join("out").join("themes_by_document.csv"));
    let security = t.filter("theme", "security");
    // Reference: `grep -oiE '\bsecur[a-z]*|\bstabil[a-z]*' data/corpus/*.txt | wc -l` = 12
    // (8 `security`, 2 `Security`, 1 `secure`, 1 `stability`; distinct tokens).
    assert_eq!(security.len(), 1);
    assert_eq!(security[0]["count"], "12");
}

/// Runs `themes check` on a malformed fixture: exit 2, one stderr line.
fn check_fails(file: &str) -> String {
    let out = themata(&fixtures())
        .args(["themes", "check", file])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{file}");
    assert!(out.stdout.is_empty(), "{file}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn malformed_codebooks_name_file_line_and_column() {
    // (file, "line:column", message fragment); positions counted by hand.
    let cases = [
        ("bad/unknown_key.toml", "3:1", "unknown field `labels`"),
        ("bad/duplicate_theme.toml", "6:7", "duplicate theme `a`"),
        // `threats: ["terror*, crime]`: the quote that never closes is column 11.
        (
            "bad/unclosed_quote.yml",
            "2:11",
            "YAML syntax error: while scanning a quoted scalar",
        ),
        (
            "bad/empty_pattern.yml",
            "1:20",
            "theme `security`: empty pattern",
        ),
        // `security: [s` is 12 characters; the é byte (0xE9) is the 13th.
        ("bad/not_utf8.yml", "1:13", "not valid UTF-8"),
        // `cooperat*	2	3`: the id 3 is character 13.
        (
            "bad/unknown_id.dic",
            "6:13",
            "`cooperat*`: category id 3 is not in the category list",
        ),
        ("bad/bad_glob.dic", "5:1", "`[` never occurs inside a word"),
        ("bad/bad_glob.cat", "3:2", "`*` matches every word"),
        (
            "bad/duplicate.lc3",
            "5:2",
            "duplicate category `negative` (first defined on line 1)",
        ),
    ];
    for (file, at, fragment) in cases {
        let err = check_fails(file);
        let prefix = format!("themata: error: {file}:{at}: ");
        assert!(
            err.starts_with(&prefix),
            "{file}: expected {prefix:?}, got {err:?}"
        );
        assert!(
            err.contains(fragment),
            "{file}: expected {fragment:?} in {err:?}"
        );
    }
}

#[test]
fn convert_of_a_malformed_codebook_writes_nothing() {
    let dir = tempdir();
    let out = dir.path().join("out.toml");
    themata(&fixtures())
        .args(["themes", "convert", "bad/unknown_id.dic"])
        .arg(&out)
        .assert()
        .code(2);
    assert!(!Path::new(&out).exists());
}

#[test]
fn analyze_with_a_malformed_dictionary_fails_before_writing() {
    let dir = tempdir();
    let out = themata(dir.path())
        .arg("analyze")
        .arg(root().join("data").join("corpus"))
        .arg("--themes")
        .arg(fixtures().join("bad").join("duplicate.lc3"))
        .args(["-o", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("duplicate.lc3:5:2: duplicate category `negative`"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn every_problem_is_reported_one_per_line_in_every_format() {
    // Each file holds several problems; positions counted by hand (columns
    // in characters, 1-based). `themes check` and `analyze --themes` list
    // them all, in file order, one line each, and exit 2.
    // (file name, text, [(line:column, message fragment)]).
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "book.toml",
            "[[theme]]\nkey = \"a\"\nlabels = \"x\"\npatterns = [\"x\", \"\"]\nexclude = [\"**\"]\n\n[[theme]]\nkey = \"a\"\ncolour = \"red\"\n",
            &[
                ("3:1", "unknown field `labels`"),
                // `patterns = ["x", ""]`: the empty string's content, column 19.
                ("4:19", "theme `a`: empty pattern"),
                // `exclude = ["**"]`: the content starts at column 13.
                ("5:13", "theme `a`: exclude: pattern `**`: `**` matches every word"),
                ("8:7", "duplicate theme `a`"),
                ("9:1", "unknown field `colour`"),
            ],
        ),
        (
            "t.yml",
            "a: [x, \"\"]\nb:\n  - \"*\"\n  - ok\na: [y]\n",
            &[
                ("1:8", "theme `a`: empty pattern"),
                ("3:5", "theme `b`: pattern `*`: `*` matches every word"),
                ("5:1", "duplicate category `a` (first defined on line 1)"),
            ],
        ),
        (
            "t.dic",
            "%\n1\ta\n1\tb\n%\nx\t1\t7\ny\t1\tb\n:)\t1\n",
            &[
                ("3:1", "category id 1 is defined twice (first on line 2)"),
                // `x<TAB>1<TAB>7`: the 7 is character 5.
                ("5:5", "`x`: category id 7 is not in the category list"),
                ("6:5", "`y`: category id `b` is not a number"),
                ("7:1", "theme `a`: pattern `:)`: `:` never occurs inside a word"),
            ],
        ),
        (
            "t.cat",
            "ART (1)\nA\n\tX (1)\n\t** (1)\nA\n",
            &[
                ("1:1", "entry `ART (1)` is not indented under a category"),
                ("4:2", "theme `a`: pattern `**`: `**` matches every word"),
                ("5:1", "duplicate category `A` (first defined on line 2)"),
            ],
        ),
        (
            "t.lc3",
            "abandon*\n+neg\n  *\n+\norphan\n+neg\n",
            &[
                ("1:1", "entry `abandon*` comes before the first category"),
                ("3:3", "theme `neg`: pattern `*`: `*` matches every word"),
                // The entry `orphan` under the nameless category is skipped.
                ("4:1", "`+` must be followed by a category name"),
                ("6:2", "duplicate category `neg` (first defined on line 2)"),
            ],
        ),
    ];
    for (file, text, expected) in cases {
        let dir = tempdir();
        std::fs::write(dir.path().join(file), text).unwrap();
        let check = themata(dir.path())
            .args(["themes", "check", file])
            .output()
            .unwrap();
        let analyze = themata(dir.path())
            .args(["analyze", "--quiet", "--themes", file, "-o", "out"])
            .arg(root().join("data/corpus"))
            .output()
            .unwrap();
        assert!(!dir.path().join("out").exists(), "{file}: output written");
        for out in [check, analyze] {
            assert_eq!(out.status.code(), Some(2), "{file}");
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), expected.len(), "{file}: {err}");
            for (line, (at, fragment)) in lines.iter().zip(expected.iter()) {
                let prefix = format!("themata: error: {file}:{at}: ");
                assert!(
                    line.starts_with(&prefix) && line.contains(fragment),
                    "{file}: expected {prefix}…{fragment}…, got {line:?}"
                );
            }
        }
    }
}
