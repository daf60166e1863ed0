//! Integration tests: experience — charts, the XLSX workbook, KWIC,
//! completions and the closing summary.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use crate::util::{root, tempdir, themata, Table};

const STATEMENT: &str = "data/corpus/2022-12-02_belarus-russia_joint-statement_osce.txt";
const STATEMENT_ID: &str = "2022-12-02_belarus-russia_joint-statement_osce";

fn statement_text() -> String {
    std::fs::read_to_string(root().join(STATEMENT)).expect("statement")
}

/// Parses an SVG file as XML and counts elements whose class is `class`.
fn svg_count(path: &Path, element: &str, class: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.tag_name().name() == element && n.attribute("class") == Some(class))
        .count()
}

#[test]
fn statement_charts_are_valid_svg_with_one_cell_per_section_and_theme() {
    let dir = tempdir();
    themata(dir.path())
        .args(["analyze", "-q", "-o", "out"])
        .assert()
        .success();
    let out = dir.path().join("out");
    let sections = Table::read(&out.join("sections.csv")).rows.len();
    let themes = Table::read(&out.join("themes_by_document.csv")).rows.len();
    let docs = Table::read(&out.join("documents.csv"));
    let n_types: usize = docs.rows[0][docs.col("n_types")].parse().unwrap();
    let charts = out.join("charts");
    // Expected: sections × themes cells (18 × 14 for the statement with the
    // shipped codebook, from sections.csv and themes_by_document.csv).
    assert_eq!(
        svg_count(
            &charts.join(format!("heatmap_{STATEMENT_ID}.svg")),
            "rect",
            "cell"
        ),
        sections * themes
    );
    // Expected: min(20, n_types) bars (n_types from documents.csv).
    assert_eq!(
        svg_count(
            &charts.join(format!("top_terms_{STATEMENT_ID}.svg")),
            "rect",
            "bar"
        ),
        n_types.min(20)
    );
    // One document: the theme-rates chart is a dot per theme.
    assert_eq!(
        svg_count(&charts.join("theme_rates.svg"), "circle", "point"),
        themes
    );
}

#[test]
fn charts_are_byte_identical_on_reruns() {
    let dir = tempdir();
    for out in ["a", "b"] {
        themata(dir.path())
            .args(["analyze", "-q", "-o", out])
            .assert()
            .success();
    }
    let mut n = 0;
    for entry in std::fs::read_dir(dir.path().join("a/charts")).unwrap() {
        let name = entry.unwrap().file_name();
        let a = std::fs::read(dir.path().join("a/charts").join(&name)).unwrap();
        let b = std::fs::read(dir.path().join("b/charts").join(&name)).unwrap();
        assert!(a == b, "{name:?} differs between runs");
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn chart_file_names_are_sanitized_and_text_is_escaped() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("a b&<c>.txt"),
        "Security & <co-operation> \"first\".\n\nHuman rights.\n",
    )
    .unwrap();
    themata(dir.path())
        .args(["analyze", "a b&<c>.txt", "-q", "-o", "out"])
        .assert()
        .success();
    let charts = dir.path().join("out/charts");
    let mut names: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "heatmap_a_b_c.svg",
            "theme_rates.svg",
            "top_terms_a_b_c.svg"
        ]
    );
    for n in &names {
        // Parses as XML although the doc_id holds & < >.
        svg_count(&charts.join(n), "rect", "cell");
    }
}

#[test]
fn chart_policy_limits_per_document_charts() {
    let dir = tempdir();
    let input = dir.path().join("many");
    std::fs::create_dir(&input).unwrap();
    for i in 0..51 {
        std::fs::write(
            input.join(format!("d{i:02}.txt")),
            format!("Security and trade {i}.\n"),
        )
        .unwrap();
    }
    let run = themata(dir.path())
        .args(["analyze", "many", "-o", "out"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains("per-document charts not drawn for 51 documents"),
        "{stderr}"
    );
    assert!(stderr.contains("theme_rates.svg not drawn"), "{stderr}");
    assert!(!dir.path().join("out/charts").exists());

    themata(dir.path())
        .args(["analyze", "many", "-q", "-o", "all", "--charts", "all"])
        .assert()
        .success();
    // 51 heatmaps + 51 top-terms charts; no theme-rates chart above 30 documents.
    assert_eq!(
        std::fs::read_dir(dir.path().join("all/charts"))
            .unwrap()
            .count(),
        102
    );

    themata(dir.path())
        .args(["analyze", "many", "-q", "-o", "none", "--charts", "none"])
        .assert()
        .success();
    assert!(!dir.path().join("none/charts").exists());
}

#[test]
fn keyness_chart_has_one_bar_per_term_each_side() {
    let target: Vec<(String, f64)> = (0..25)
        .map(|i| (format!("t{i}"), 50.0 - i as f64))
        .collect();
    let reference: Vec<(String, f64)> = (0..3)
        .map(|i| (format!("r<{i}>"), -10.0 * (i + 1) as f64))
        .collect();
    let svg = themata::chart::keyness::keyness(
        "Belarus & Russia",
        "USA",
        ("", ""),
        &target,
        &reference,
        "G²",
    );
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    let bars = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .count();
    // min(20, 25) target bars + 3 reference bars.
    assert_eq!(bars, 23);
    assert!(svg.contains("Belarus &amp; Russia"));
}

#[test]
fn rates_chart_has_one_panel_per_theme_on_a_shared_x_axis() {
    // 14 themes (the default codebook's number) × 10 years.
    let themes: Vec<String> = (0..14).map(|t| format!("theme_{t}")).collect();
    let rows: Vec<(String, String, f64)> = (2015..2025)
        .flat_map(|y| {
            themes
                .iter()
                .enumerate()
                .map(move |(t, theme)| (y.to_string(), theme.clone(), (t + 1) as f64 * 2.0))
        })
        .collect();
    let svg = themata::chart::lines::theme_rates("Theme rates by year", "", &rows);
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    let count = |class: &str| {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    };
    // One panel, one line per theme; a dot per value.
    assert_eq!(count("panel"), 14);
    assert_eq!(count("series"), 14);
    assert_eq!(count("point"), 140);
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text())
        .collect();
    for theme in &themes {
        assert_eq!(texts.iter().filter(|t| *t == theme).count(), 1, "{theme}");
    }
    // The x axis is shared: its labels are written once per column of panels
    // (three columns for ten years), under the column's last panel.
    assert_eq!(texts.iter().filter(|t| **t == "2015").count(), 3);
    // Each panel has its own y scale: theme_13 (28 per 1,000) tops at 30,
    // theme_0 (2 per 1,000) at 2.
    assert!(texts.contains(&"30") && texts.contains(&"2"));
}

#[test]
fn rates_chart_takes_group_rows() {
    let rows: Vec<(String, String, f64)> = ["2020", "2021", "2022"]
        .iter()
        .flat_map(|g| {
            ["security", "economy"]
                .iter()
                .map(move |t| (g.to_string(), t.to_string(), 10.0))
        })
        .collect();
    let svg = themata::chart::lines::theme_rates("Theme rates by year", "", &rows);
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    let count = |class: &str| {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    };
    assert_eq!(count("series"), 2);
    assert_eq!(count("point"), 6);
}

#[test]
fn workbook_has_a_readme_and_one_sheet_per_table() {
    let dir = tempdir();
    let run = || {
        themata(dir.path())
            .args([
                "analyze",
                "-q",
                "-o",
                "out",
                "--kwic",
                "--xlsx",
                "tables.xlsx",
            ])
            .assert()
            .success();
    };
    run();
    let path = dir.path().join("tables.xlsx");
    let mut book = open_workbook_auto(&path).expect("workbook opens");
    let sheets = book.sheet_names().to_vec();
    assert_eq!(
        sheets,
        [
            "README",
            "documents",
            "sections",
            "terms_by_section",
            "terms_by_document",
            "themes_by_section",
            "themes_by_document",
            "theme_matches",
            "ngrams_by_document",
            "kwic",
            "term_matrix"
        ]
    );
    for sheet in &sheets[1..] {
        let csv = Table::read(&dir.path().join("out").join(format!("{sheet}.csv")));
        let range = book.worksheet_range(sheet).expect("sheet");
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, csv.header, "{sheet}: header row");
        assert_eq!(range.height(), csv.rows.len() + 1, "{sheet}: rows");
    }
    // Numbers are numbers: n_tokens of the statement (554, a hand-checked
    // total in tests/fixtures/statement_hand_counts.md) is a number cell.
    let docs = book.worksheet_range("documents").unwrap();
    let n_tokens = docs.get((1, 4)).unwrap();
    assert!(
        matches!(n_tokens, Data::Float(_) | Data::Int(_)),
        "{n_tokens:?}"
    );
    assert_eq!(n_tokens.to_string(), "554");
    assert_eq!(
        docs.get((1, 0)).unwrap(),
        &Data::String(STATEMENT_ID.into())
    );
    // README explains every column of every table.
    let readme = book.worksheet_range("README").unwrap();
    let explained: Vec<(String, String, String)> = readme
        .rows()
        .map(|r| {
            let cell = |i: usize| r.get(i).map(|c| c.to_string()).unwrap_or_default();
            (cell(0), cell(1), cell(2))
        })
        .collect();
    for sheet in &sheets[1..] {
        let csv = Table::read(&dir.path().join("out").join(format!("{sheet}.csv")));
        for column in &csv.header {
            assert!(
                explained
                    .iter()
                    .any(|(s, c, m)| s == sheet && c == column && !m.is_empty()),
                "README does not explain {sheet}.{column}"
            );
        }
    }
    // Reruns give the same bytes.
    let first = std::fs::read(&path).unwrap();
    run();
    assert_eq!(
        first,
        std::fs::read(&path).unwrap(),
        "xlsx is deterministic"
    );
}

#[test]
fn xlsx_in_a_missing_folder_fails_before_writing() {
    let dir = tempdir();
    let run = themata(dir.path())
        .args(["analyze", "-q", "-o", "out", "--xlsx", "nowhere/t.xlsx"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains("nowhere/t.xlsx") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(!dir.path().join("out/documents.csv").exists());
}

/// Checks that every KWIC row is the exact source text around its match.
fn assert_exact(rows: &Table, text: &str) {
    let (l, m, r) = (rows.col("left"), rows.col("match"), rows.col("right"));
    let (s, e) = (rows.col("start_byte"), rows.col("end_byte"));
    assert!(!rows.rows.is_empty());
    for row in &rows.rows {
        let start: usize = row[s].parse().unwrap();
        let end: usize = row[e].parse().unwrap();
        assert_eq!(&text[start..end], row[m], "match is the source slice");
        assert_eq!(&text[start - row[l].len()..start], row[l], "left context");
        assert_eq!(&text[end..end + row[r].len()], row[r], "right context");
    }
}

#[test]
fn kwic_reproduces_the_source_text() {
    let dir = tempdir();
    let text = statement_text();
    let run = themata(dir.path())
        .args([
            "kwic",
            "secur*",
            &root().join(STATEMENT).display().to_string(),
            "--window",
            "3",
        ])
        .assert()
        .success();
    let csv = dir.path().join("kwic.csv");
    std::fs::write(&csv, &run.get_output().stdout).unwrap();
    let rows = Table::read(&csv);
    assert_eq!(
        rows.header,
        [
            "doc_id",
            "section_id",
            "left",
            "match",
            "right",
            "theme",
            "start_byte",
            "end_byte"
        ]
    );
    assert_exact(&rows, &text);
    // Expected: one row per token matching secur* — counted in the text with
    // a case-insensitive regex \bsecur\w* (the statement has no hyphenated
    // or possessive secur- words).
    let expected = regex::Regex::new(r"(?i)\bsecur\w*")
        .unwrap()
        .find_iter(&text)
        .count();
    assert_eq!(rows.rows.len(), expected);
    // A window of 3 tokens: at most 3 words of context on each side.
    for row in &rows.rows {
        assert!(row[rows.col("left")].split_whitespace().count() <= 3 + 1);
    }

    // Phrases with -o DIR.
    themata(dir.path())
        .args([
            "kwic",
            "human rights",
            &root().join(STATEMENT).display().to_string(),
            "-q",
            "-o",
            "k",
        ])
        .assert()
        .success();
    let rows = Table::read(&dir.path().join("k/kwic.csv"));
    assert_exact(&rows, &text);
    assert!(rows
        .rows
        .iter()
        .all(|r| r[3].eq_ignore_ascii_case("human rights")));
}

#[test]
fn analyze_kwic_has_one_row_per_counted_theme_match() {
    let dir = tempdir();
    themata(dir.path())
        .args(["analyze", "-q", "-o", "out", "--kwic"])
        .assert()
        .success();
    let kwic = Table::read(&dir.path().join("out/kwic.csv"));
    assert_exact(&kwic, &statement_text());
    // Expected: the count of each theme in themes_by_document.csv (each KWIC
    // row is one counted match).
    let themes = Table::read(&dir.path().join("out/themes_by_document.csv"));
    for t in themes.records() {
        let rows = kwic.filter("theme", t["theme"]).len();
        assert_eq!(rows.to_string(), t["count"], "theme {}", t["theme"]);
    }
}

#[test]
fn completions_and_help_teach() {
    let dir = tempdir();
    for shell in ["bash", "zsh", "fish"] {
        let run = themata(dir.path())
            .args(["completions", shell])
            .assert()
            .success();
        let script = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
        assert!(
            script.contains("themata") && script.contains("kwic"),
            "{shell}"
        );
    }
    for sub in ["analyze", "kwic", "themes", "completions"] {
        let run = themata(dir.path()).args([sub, "--help"]).assert().success();
        let help = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
        assert!(help.contains("Examples:"), "{sub} --help has examples");
    }
}

#[test]
fn summary_paragraph_names_counts_time_and_place() {
    let dir = tempdir();
    let run = themata(dir.path())
        .args(["analyze", "-o", "out"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    // 18 sections and 554 tokens: tests/fixtures/statement_hand_counts.md.
    assert!(
        stderr.starts_with("themata: analyzed 1 document (18 sections, 554 tokens,"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Tables: 9 CSV files in out/ with manifest.json; 3 charts in out/charts/."),
        "{stderr}"
    );
    assert!(stderr.contains("No input file was skipped."), "{stderr}");
    // No progress bar when stderr is not a terminal.
    assert!(!stderr.contains("documents ["), "{stderr}");
}

#[test]
fn compare_draws_one_keyness_chart_per_comparison_and_a_workbook() {
    let dir = tempdir();
    let data = root().join("data");
    themata(dir.path())
        .args(["compare", "-q", "-o", "cmp", "--xlsx", "cmp.xlsx"])
        .arg(data.join("corpus"))
        .arg(data.join("ungdc-2022"))
        .args([
            "--meta-pattern",
            "{country}_{session}_{year}",
            "--target",
            "folder=corpus",
        ])
        .args(["--reference", "country=RUS", "--reference", "country=USA"])
        .assert()
        .success();
    let keyness = Table::read(&dir.path().join("cmp/keyness.csv"));
    for (i, reference) in ["RUS", "USA"].iter().enumerate() {
        let rows = keyness.filter("reference", reference);
        assert!(rows.iter().all(|r| r["reference_field"] == "country"));
        let g2 = |r: &std::collections::HashMap<&str, &str>| r["g2"].parse::<f64>().unwrap();
        // Expected: min(20, terms with g2 > 0) + min(20, terms with g2 < 0),
        // counted in keyness.csv (the default --sort is g2).
        let expected = rows.iter().filter(|r| g2(r) > 0.0).count().min(20)
            + rows.iter().filter(|r| g2(r) < 0.0).count().min(20);
        let svg = dir.path().join(format!("cmp/charts/keyness_{}.svg", i + 1));
        assert_eq!(svg_count(&svg, "rect", "bar"), expected, "{reference}");
        // Plain values in the chart; the fields named in its title.
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.contains(&format!(
                "Key terms — corpus (folder) vs {reference} (country)"
            )),
            "{reference}"
        );
        assert!(!text.contains("country="), "{reference}");
    }
    // themes_by_group.csv: 3 groups (target and two references) → 3 points per theme.
    let themes = Table::read(&dir.path().join("cmp/themes_by_group.csv"));
    assert_eq!(
        svg_count(
            &dir.path().join("cmp/charts/theme_rates.svg"),
            "circle",
            "point"
        ),
        themes.rows.len()
    );
    let book = open_workbook_auto(dir.path().join("cmp.xlsx")).expect("workbook");
    assert_eq!(
        book.sheet_names(),
        [
            "README",
            "keyness",
            "tfidf",
            "similarity",
            "themes_by_group"
        ]
    );
}

/// The table catalogue (`src/table/catalog.rs`) is what `--help`, the
/// workbook's README sheet and the Parquet column types read: every table a
/// run writes must have the catalogue's columns, and every column a meaning.
#[test]
fn tables_written_match_the_catalogue_and_help_names_every_column() {
    use themata::table::{self, catalog};
    let dir = tempdir();
    let all: Vec<&str> = catalog::ANALYZE
        .iter()
        .chain(catalog::INTERCHANGE)
        .map(|t| t.name)
        .collect();
    themata(dir.path())
        .args([
            "analyze", "-q", "--kwic", "--charts", "none", "-o", "out", "--tables",
        ])
        .arg(all.join(","))
        .assert()
        .success();
    themata(dir.path())
        .arg("compare")
        .args([root().join("data/corpus"), root().join("data/ungdc-2022")])
        .args(["-q", "--charts", "none"])
        .args(["--target", "folder=corpus", "-o", "cmp"])
        .assert()
        .success();
    let help = themata(dir.path())
        .args(["analyze", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for name in all.iter().chain(&["kwic"]) {
        let def = table::definition(name).unwrap();
        let header = Table::read(&dir.path().join("out").join(format!("{name}.csv"))).header;
        assert_eq!(&header[..def.columns.len()], def.columns, "{name}.csv");
        assert!(
            def.more.is_some() || header.len() == def.columns.len(),
            "{name}.csv has columns the catalogue does not declare: {header:?}"
        );
        let line = help
            .lines()
            .find(|l| l.starts_with(&format!("  {name}.csv")))
            .unwrap();
        assert!(line.contains(def.columns[0]), "--help: {line}");
        for column in def.columns {
            assert!(help.contains(column), "--help lacks {column}");
            assert!(
                !table::column(column).unwrap().meaning.is_empty(),
                "{column}"
            );
        }
    }
    for (name, _) in catalog::COMPARE {
        let header = Table::read(&dir.path().join("cmp").join(format!("{name}.csv"))).header;
        for column in &header {
            assert!(
                table::column(column).is_some(),
                "{name}.csv: {column} not in the catalogue"
            );
        }
    }
}
