//! tf-idf as tidytext's `bind_tf_idf` defines it: tf = n / (terms in the
//! document), idf = ln(D / df) with D the number of documents and df the
//! documents containing the term (natural log, no smoothing), tf_idf = tf·idf.
//! A term in every document has idf 0.

/// The variant, as named in manifest.json.
pub const VARIANT: &str =
    "tidytext bind_tf_idf: tf = n / terms in document, idf = ln(D / df), tf_idf = tf * idf";

/// (tf, idf, tf_idf) of a term with count `n` in a document of `total` terms,
/// found in `df` of `docs` documents. Zeros when a count is zero.
pub fn tf_idf(n: u64, total: u64, df: u64, docs: u64) -> (f64, f64, f64) {
    if n == 0 || total == 0 || df == 0 || docs == 0 {
        return (0.0, 0.0, 0.0);
    }
    let tf = n as f64 / total as f64;
    let idf = (docs as f64 / df as f64).ln();
    (tf, idf, tf * idf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // n = 3 in a 60-term document, in 2 of 6 documents:
        // tf = 3/60 = 0.05, idf = ln(6/2) = ln 3 = 1.0986123, tf_idf = 0.05493061.
        let (tf, idf, x) = tf_idf(3, 60, 2, 6);
        assert!((tf - 0.05).abs() < 1e-15);
        assert!((idf - 1.098_612_289).abs() < 1e-9);
        assert!((x - 0.054_930_614).abs() < 1e-9);
        // In every document: idf = ln 1 = 0.
        assert_eq!(tf_idf(3, 60, 6, 6).2, 0.0);
        assert_eq!(tf_idf(0, 0, 0, 0), (0.0, 0.0, 0.0));
    }
}
