//! The scored rows of one comparison: the bags of each side summed, every
//! measure of [`keyness`] per key, and the rows kept (`--min-count`,
//! `--max-p`, `--top`) in output order.

use super::keyness::{self, Table2};
use super::plan::Side;
use super::{Corpus, Settings, SortBy};

/// Sums the bags of some documents into dense counts.
pub fn sum_counts(corpus: &Corpus, docs: &[usize], counts: &mut [u64]) -> u64 {
    counts.iter_mut().for_each(|c| *c = 0);
    let mut total = 0;
    for &i in docs {
        for &(k, c) in &corpus.docs[i].bag {
            counts[k as usize] += c;
        }
        total += corpus.docs[i].total;
    }
    total
}

/// The sparse bag of a group of documents.
pub fn group_bag(corpus: &Corpus, docs: &[usize]) -> Vec<(u32, u64)> {
    let mut dense = vec![0u64; corpus.keys.len()];
    sum_counts(corpus, docs, &mut dense);
    dense
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(k, &c)| (k as u32, c))
        .collect()
}

/// A term's scores in one comparison.
pub struct Scored {
    pub key: u32,
    pub a: u64,
    pub b: u64,
    pub g2: f64,
    pub p_value: f64,
    pub log_ratio: f64,
    pub chi2: f64,
    pub log_odds: f64,
    pub log_odds_z: f64,
}

impl Scored {
    pub fn measure(&self, sort: SortBy) -> f64 {
        match sort {
            SortBy::G2 => self.g2,
            SortBy::LogRatio => self.log_ratio,
            SortBy::Chi2 => self.chi2,
            SortBy::LogOddsZ => self.log_odds_z,
        }
    }
}

/// Which rows of a comparison are kept, and their order.
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    min_count: u64,
    sort: SortBy,
    max_p: Option<f64>,
    top: Option<usize>,
}

impl Keep {
    /// Every row (with the count floor): what the charts rank.
    pub fn all(args: &Settings) -> Keep {
        Keep {
            min_count: args.min_count,
            sort: args.sort,
            max_p: None,
            top: None,
        }
    }

    /// The rows keyness.csv writes (`--max-p`, `--top`).
    pub fn table(args: &Settings) -> Keep {
        Keep {
            max_p: args.max_p,
            top: args.top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            ..Keep::all(args)
        }
    }
}

/// Descending by value, undefined (NaN) values last.
fn descending(x: f64, y: f64) -> std::cmp::Ordering {
    x.is_nan().cmp(&y.is_nan()).then_with(|| y.total_cmp(&x))
}

/// Scores every term of one comparison, sorted for output: by the measure
/// descending (undefined values last), ties by key. `--max-p` keeps rows
/// whose p_value is at most P; `--top N` then keeps the first N and the last
/// N rows with a defined measure (the N most characteristic of each side).
pub fn score(corpus: &Corpus, t: &Side, r: &Side, keep: Keep) -> (Vec<Scored>, u64, u64) {
    let mut ct = vec![0u64; corpus.keys.len()];
    let mut cr = vec![0u64; corpus.keys.len()];
    let nt = sum_counts(corpus, &t.docs, &mut ct);
    let nr = sum_counts(corpus, &r.docs, &mut cr);
    let mut rows: Vec<Scored> = (0..corpus.keys.len())
        .filter(|&k| ct[k] + cr[k] >= keep.min_count.max(1))
        .map(|k| {
            let (a, b) = (ct[k], cr[k]);
            let table = Table2::new(a, b, nt, nr);
            let (log_odds, log_odds_z) = table.log_odds();
            let g2 = table.g2();
            Scored {
                key: k as u32,
                a,
                b,
                g2,
                p_value: keyness::chi2_1df_p(g2),
                log_ratio: table.log_ratio(),
                chi2: table.chi2_yates(),
                log_odds,
                log_odds_z,
            }
        })
        .filter(|s| keep.max_p.is_none_or(|p| s.p_value <= p))
        .collect();
    rows.sort_by(|x, y| {
        descending(x.measure(keep.sort), y.measure(keep.sort))
            .then_with(|| corpus.keys[x.key as usize].cmp(&corpus.keys[y.key as usize]))
    });
    if let Some(n) = keep.top {
        rows.retain(|s| !s.measure(keep.sort).is_nan());
        if rows.len() > 2 * n {
            rows.drain(n..rows.len() - n);
        }
    }
    (rows, nt, nr)
}
