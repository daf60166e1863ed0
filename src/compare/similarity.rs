//! Cosine similarity between two count vectors: Σ xᵢyᵢ / (‖x‖ ‖y‖), on raw
//! counts (no weighting). 0 when either vector is empty.

/// Cosine of two sparse vectors, each sorted by key.
pub fn cosine(x: &[(u32, u64)], y: &[(u32, u64)]) -> f64 {
    let norm = |v: &[(u32, u64)]| {
        v.iter()
            .map(|&(_, c)| (c as f64) * (c as f64))
            .sum::<f64>()
            .sqrt()
    };
    let (nx, ny) = (norm(x), norm(y));
    if nx == 0.0 || ny == 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < x.len() && j < y.len() {
        match x[i].0.cmp(&y[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += x[i].1 as f64 * y[j].1 as f64;
                i += 1;
                j += 1;
            }
        }
    }
    (dot / (nx * ny)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // x = (1, 2, 0), y = (2, 0, 1): dot = 2, ‖x‖ = √5, ‖y‖ = √5 → 2/5 = 0.4
        let x = [(0, 1), (1, 2)];
        let y = [(0, 2), (2, 1)];
        assert!((cosine(&x, &y) - 0.4).abs() < 1e-15);
        assert!((cosine(&x, &x) - 1.0).abs() < 1e-15);
        assert_eq!(cosine(&x, &[]), 0.0);
        assert_eq!(cosine(&[(0, 1)], &[(1, 1)]), 0.0);
    }
}
