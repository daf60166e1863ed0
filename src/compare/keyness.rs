//! Keyness: how much more (or less) often a term occurs in a target than in
//! a reference, from the 2×2 table of its count and the side totals.
//!
//! ```text
//!               target    reference
//!   this term     a           b
//!   other terms   c = N_T−a   d = N_R−b        N = N_T + N_R
//! ```
//!
//! Every measure is a pure function of (a, b, N_T, N_R). A value a formula
//! leaves undefined is NaN, which the writers leave as an empty cell (never
//! `NaN`, `inf` or a made-up 0): the measures on the 2×2 table when a count
//! exceeds its side's total (possible for themes, whose patterns may match
//! stopwords and numbers, which the term totals leave out), and the
//! weighted log-odds when a term is the whole of both sides.

/// One term's 2×2 table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Table2 {
    /// Count in the target.
    pub a: f64,
    /// Count in the reference.
    pub b: f64,
    /// Total of the target (N_T).
    pub nt: f64,
    /// Total of the reference (N_R).
    pub nr: f64,
}

impl Table2 {
    pub fn new(a: u64, b: u64, nt: u64, nr: u64) -> Table2 {
        Table2 {
            a: a as f64,
            b: b as f64,
            nt: nt as f64,
            nr: nr as f64,
        }
    }

    /// Whether the four cells are counts (c = N_T − a and d = N_R − b are not
    /// negative), so that the 2×2 measures are defined.
    fn is_table(&self) -> bool {
        self.a <= self.nt && self.b <= self.nr
    }

    /// +1 when the term is relatively more frequent in the target
    /// (a/N_T > b/N_R, i.e. ad > bc), −1 when less, 0 when equal.
    fn sign(&self) -> f64 {
        let (c, d) = (self.nt - self.a, self.nr - self.b);
        let diff = self.a * d - self.b * c;
        if diff > 0.0 {
            1.0
        } else if diff < 0.0 {
            -1.0
        } else {
            0.0
        }
    }

    /// Signed log-likelihood G² = 2 Σ O·ln(O/E) over the four cells, with
    /// 0·ln 0 = 0 and no continuity correction: the statistic of AntConc and
    /// of quanteda's `textstat_keyness(measure = "lr", correction = "none")`
    /// (quanteda's *default* for "lr" applies Williams' correction).
    /// Negative when the term is relatively rarer in the target; NaN when
    /// a count exceeds its side's total.
    pub fn g2(&self) -> f64 {
        if !self.is_table() {
            return f64::NAN;
        }
        let Table2 { a, b, nt, nr } = *self;
        let (c, d) = (nt - a, nr - b);
        let n = nt + nr;
        if n <= 0.0 {
            return 0.0;
        }
        let cell = |o: f64, row: f64, col: f64| {
            let e = row * col / n;
            if o > 0.0 && e > 0.0 {
                o * (o / e).ln()
            } else {
                0.0
            }
        };
        let g = 2.0
            * (cell(a, a + b, nt) + cell(b, a + b, nr) + cell(c, c + d, nt) + cell(d, c + d, nr));
        // Rounding can leave a tiny negative sum when the table is balanced.
        self.sign() * g.max(0.0)
    }

    /// Log ratio (Hardie 2014): log2((a/N_T)/(b/N_R)), a zero count replaced
    /// by 0.5 so a term on one side only gets a finite value. 0 when a side is empty.
    pub fn log_ratio(&self) -> f64 {
        let Table2 { a, b, nt, nr } = *self;
        if nt <= 0.0 || nr <= 0.0 {
            return 0.0;
        }
        let a = if a == 0.0 { 0.5 } else { a };
        let b = if b == 0.0 { 0.5 } else { b };
        ((a / nt) / (b / nr)).log2()
    }

    /// χ² with Yates' correction, N(|ad − bc| − N/2)² / ((a+b)(c+d)(a+c)(b+d)),
    /// signed like G². When |ad − bc| ≤ N/2 the correction would overshoot,
    /// and the value is 0 (as R's `chisq.test`, which caps the correction
    /// at |O − E|). 0 when a margin is 0; NaN when a count exceeds its
    /// side's total.
    pub fn chi2_yates(&self) -> f64 {
        if !self.is_table() {
            return f64::NAN;
        }
        let Table2 { a, b, nt, nr } = *self;
        let (c, d) = (nt - a, nr - b);
        let n = nt + nr;
        let denom = (a + b) * (c + d) * (a + c) * (b + d);
        let diff = (a * d - b * c).abs() - n / 2.0;
        if denom <= 0.0 || diff <= 0.0 {
            return 0.0;
        }
        self.sign() * n * diff * diff / denom
    }

    /// Weighted log-odds with an informative Dirichlet prior (Monroe,
    /// Colaresi & Quinn 2008, eqs. 16 and 20), target against reference:
    /// δ = ln[(a+α_w)/(N_T+α₀−a−α_w)] − ln[(b+α_w)/(N_R+α₀−b−α_w)],
    /// σ² ≈ 1/(a+α_w) + 1/(b+α_w), z = δ/σ, with the prior α_w = a + b (the
    /// pooled count) and α₀ = N_T + N_R (the pooled total the counts are a
    /// share of). Each odds is the term's count against its complement
    /// within the side's total, so the formula needs the units to be shares
    /// of the totals only, not to partition them: for stems and n-grams
    /// α₀ = Σ α_w (eq. 16 as printed); for themes, which overlap and do not
    /// cover every term, α₀ is still the pooled term total. This is the
    /// empirical-Bayes prior tidylo uses (`bind_log_odds`: "pseudo-counts
    /// alpha will be the overall word counts"); tidylo then compares each
    /// set with the pooled total, where this compares target with reference
    /// directly. Returns (δ, z); NaN for both when an odds is undefined (the
    /// term is all of both sides, or a count exceeds its side's total).
    pub fn log_odds(&self) -> (f64, f64) {
        let Table2 { a, b, nt, nr } = *self;
        let (alpha_w, alpha_0) = (a + b, nt + nr);
        let (yt, yr) = (a + alpha_w, b + alpha_w);
        let (rest_t, rest_r) = (nt + alpha_0 - yt, nr + alpha_0 - yr);
        if !self.is_table() || yt <= 0.0 || yr <= 0.0 || rest_t <= 0.0 || rest_r <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        let delta = (yt / rest_t).ln() - (yr / rest_r).ln();
        let sigma = (1.0 / yt + 1.0 / yr).sqrt();
        (delta, delta / sigma)
    }
}

/// P(X ≥ x) for X ~ χ² with 1 degree of freedom: erfc(√(x/2)). The sign of
/// a signed statistic is ignored; NaN (an undefined statistic) gives NaN.
pub fn chi2_1df_p(x: f64) -> f64 {
    let x = x.abs();
    if x.is_nan() {
        return f64::NAN;
    }
    if x.is_infinite() {
        return 0.0;
    }
    erfc((x / 2.0).sqrt())
}

/// The complementary error function for x ≥ 0, to about 1e-14 relative:
/// the Maclaurin series of erf below 2, Lentz's continued fraction above.
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -x2 / n;
            sum += term / (2.0 * n + 1.0);
        }
        return 1.0 - sum * std::f64::consts::FRAC_2_SQRT_PI;
    }
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
    // evaluated as the continued fraction K(a_k / x) with a_k = k/2 (modified Lentz).
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let ak = f64::from(k) / 2.0;
        d = x + ak * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + ak / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!(
            (got - want).abs() <= tol * want.abs().max(1e-300),
            "got {got}, want {want}"
        );
    }

    #[test]
    fn erfc_and_p_values_match_tables() {
        // erfc values from Abramowitz & Stegun table 7.1 / any CAS.
        close(erfc(0.5), 0.479_500_122_186_953_5, 1e-13);
        close(erfc(1.0), 0.157_299_207_050_285_1, 1e-13);
        close(erfc(2.0), 0.004_677_734_981_047_266, 1e-13);
        close(erfc(3.0), 2.209_049_699_858_544e-5, 1e-12);
        close(erfc(6.0), 2.151_973_671_249_891_3e-17, 1e-11);
        // χ²(1) critical values: 3.841459 ↔ p = 0.05, 6.634897 ↔ 0.01, 10.827566 ↔ 0.001.
        close(chi2_1df_p(3.841_458_820_694_124), 0.05, 1e-9);
        close(chi2_1df_p(6.634_896_601_021_214), 0.01, 1e-9);
        close(chi2_1df_p(10.827_566_170_662_733), 0.001, 1e-9);
        assert_eq!(chi2_1df_p(0.0), 1.0);
        assert_eq!(chi2_1df_p(1e6), 0.0);
    }

    // Hand example: a = 10, b = 5, N_T = 1000, N_R = 2000 (N = 3000).
    // c = 990, d = 1995; row totals 15 and 2985; E_a = 15·1000/3000 = 5,
    // E_b = 10, E_c = 2985·1000/3000 = 995, E_d = 1990.
    const T: Table2 = Table2 {
        a: 10.0,
        b: 5.0,
        nt: 1000.0,
        nr: 2000.0,
    };

    #[test]
    fn g2_by_hand() {
        // G² = 2[10 ln(10/5) + 5 ln(5/10) + 990 ln(990/995) + 1995 ln(1995/1990)]
        //    = 2[6.931471806 − 3.465735903 − 4.987416090 + 5.006276153]   (each term to 9 d.p.)
        //    = 2 × 3.484595966 = 6.969191932 (positive: 10/1000 > 5/2000)
        close(T.g2(), 6.969_191_932, 1e-9);
        // p = erfc(√(6.969191932/2)) = 0.008292494 (R: pchisq(6.969192, 1, lower = FALSE)).
        close(chi2_1df_p(T.g2()), 0.008_292_494, 1e-6);
        // Swapping the sides flips the sign only.
        let swapped = Table2 {
            a: 5.0,
            b: 10.0,
            nt: 2000.0,
            nr: 1000.0,
        };
        close(swapped.g2(), -6.969_191_932, 1e-9);
    }

    #[test]
    fn log_ratio_by_hand() {
        // log2((10/1000)/(5/2000)) = log2(0.01/0.0025) = log2(4) = 2
        close(T.log_ratio(), 2.0, 1e-12);
        // b = 0 becomes 0.5: log2((10/1000)/(0.5/2000)) = log2(40) = 5.321928095
        close(Table2 { b: 0.0, ..T }.log_ratio(), 5.321_928_095, 1e-9);
    }

    #[test]
    fn chi2_yates_by_hand() {
        // ad − bc = 10·1995 − 5·990 = 19950 − 4950 = 15000; |15000| − 3000/2 = 13500
        // (a+b)(c+d)(a+c)(b+d) = 15 · 2985 · 1000 · 2000 = 8.955e10
        // χ² = 3000 · 13500² / 8.955e10 = 5.4675e11 / 8.955e10 = 6.105527638
        close(T.chi2_yates(), 6.105_527_638, 1e-9);
        // quanteda's test table matrix(c(3, 2, 14, 10), ncol = 2): a=3, b=14, c=2, d=10,
        // N = 29, |ad − bc| = |30 − 28| = 2 < 14.5, so the corrected value is 0
        // (R's chisq.test gives 1.6e-31, i.e. 0, for the same table).
        assert_eq!(Table2::new(3, 14, 5, 24).chi2_yates(), 0.0);
    }

    #[test]
    fn chi2_matches_quanteda_test_example() {
        // quanteda tests/testthat/test-textstat_keyness.R: d1 = "b b b b b b b a a a",
        // d2 = "a a a a a a a b b"; feature a with d1 as target: a=3, b=7, N_T=10, N_R=9.
        // chisq.test(correct = TRUE): N=19, ad − bc = 3·2 − 7·7 = −43, |−43| − 9.5 = 33.5,
        // margins (a+b)(c+d)(a+c)(b+d) = 10·9·10·9 = 8100; χ² = 19·33.5²/8100 = 2.632438.
        close(Table2::new(3, 7, 10, 9).chi2_yates(), -2.632_438_272, 1e-9);
        // The same table's G² (Deducer likelihood.test in that file, no correction):
        // 2[3 ln(3/(10·10/19)) + 7 ln(7/(10·9/19)) + 7 ln(7/(9·10/19)) + 2 ln(2/(9·9/19))]
        // = 2[−1.686357 + 2.733776 + 2.733776 − 1.513726] = 2 × 2.267470 = 4.534939,
        // negative because 3/10 < 7/9.
        close(Table2::new(3, 7, 10, 9).g2(), -4.534_939, 1e-6);
    }

    #[test]
    fn log_odds_by_hand() {
        // α_w = a + b = 15, α₀ = N_T + N_R = 3000.
        // δ = ln[(10+15)/(1000+3000−10−15)] − ln[(5+15)/(2000+3000−5−15)]
        //   = ln(25/3975) − ln(20/4980) = ln(0.006289308) − ln(0.004016064)
        //   = −5.068904 − (−5.517453) = 0.448549
        // σ² = 1/25 + 1/20 = 0.09, σ = 0.3; z = 0.448549/0.3 = 1.495162
        let (delta, z) = T.log_odds();
        close(delta, 0.448_548_694, 1e-8);
        close(z, 1.495_162_314, 1e-8);
    }

    #[test]
    fn log_odds_signs_match_tidylo_test() {
        // tidylo tests/testthat/test-bind-log-odds.R: doc 1 = the quick brown fox jumped×2,
        // doc 2 = over the lazy brown dog×2 (6 words each); words only in one document
        // get a positive log-odds for that document (quick, fox, jumped / over, lazy, dog),
        // shared words (the, brown) none.
        let (nt, nr) = (6, 6);
        for (a, b, sign) in [(1u64, 0u64, 1.0), (2, 0, 1.0), (0, 2, -1.0), (1, 1, 0.0)] {
            let (_, z) = Table2::new(a, b, nt, nr).log_odds();
            let got = if z == 0.0 { 0.0 } else { z.signum() };
            assert_eq!(got, sign, "{a} {b}");
        }
    }

    #[test]
    fn degenerate_tables_stay_finite() {
        for t in [
            Table2::new(0, 0, 0, 0),
            Table2::new(5, 0, 5, 0),
            Table2::new(0, 3, 10, 3),
            Table2::new(5, 0, 10, 10),
        ] {
            for v in [t.g2(), t.log_ratio(), t.chi2_yates(), chi2_1df_p(t.g2())] {
                assert!(v.is_finite(), "{t:?}");
            }
        }
        // A term in one side only is maximally key but finite.
        assert!(Table2::new(4, 0, 100, 100).g2() > 0.0);
        assert!(Table2::new(0, 4, 100, 100).g2() < 0.0);
    }

    #[test]
    fn undefined_values_are_nan_not_zero() {
        // A one-term vocabulary (a = N_T = 5, b = N_R = 5): α_w = 10, α₀ = 10, so
        // N_T + α₀ − a − α_w = 5 + 10 − 5 − 10 = 0 on both sides and
        // δ = ln(15/0) − ln(15/0) = ∞ − ∞. The old code wrote 0.000000 here.
        let (d, z) = Table2::new(5, 5, 5, 5).log_odds();
        assert!(d.is_nan() && z.is_nan());
        // A theme matched 7 times in a side of 5 terms (its patterns matched
        // stopwords): c = 5 − 7 < 0 is no count, so the 2×2 measures are
        // undefined; the log ratio, a ratio of rates, is not.
        let over = Table2::new(7, 1, 5, 20);
        assert!(over.g2().is_nan() && over.chi2_yates().is_nan());
        assert!(chi2_1df_p(over.g2()).is_nan());
        assert!(over.log_odds().0.is_nan());
        // log2((7/5)/(1/20)) = log2(28) = 4.807355
        close(over.log_ratio(), 4.807_354_922, 1e-9);
        assert_eq!(chi2_1df_p(f64::INFINITY), 0.0);
    }

    #[test]
    fn theme_log_odds_by_hand() {
        // A theme is not a partition of the terms: 30 matches among 1,000 terms
        // of the target and 20 among 2,000 of the reference. α_w = 30 + 20 = 50,
        // α₀ = 1000 + 2000 = 3000 (the pooled term total, not the theme total).
        // δ = ln[(30+50)/(1000+3000−30−50)] − ln[(20+50)/(2000+3000−20−50)]
        //   = ln(80/3920) − ln(70/4930) = −3.891820 − (−4.254599) = 0.362779
        // σ = √(1/80 + 1/70) = √0.026786 = 0.163663; z = 0.362779 / 0.163663 = 2.216615
        let (d, z) = Table2::new(30, 20, 1000, 2000).log_odds();
        close(d, 0.362_778_7, 1e-6);
        close(z, 2.216_614_6, 1e-6);
        // Same sign as log2((30/1000)/(20/2000)) = log2 3 > 0.
    }
}
