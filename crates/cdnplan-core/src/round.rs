//! Rounding for output: ms and km to 3 decimals, shares and gaps to 6.
//!
//! Rounded values print short and parse back to the same `f64`, so a plan survives a JSON round
//! trip unchanged and its bytes do not depend on the last bits of a sum. Each type that is
//! rounded for output implements [`Round`] beside its definition.

/// Rounds `x` to `decimals` places; non-finite values pass through.
pub(crate) fn round_to(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let f = 10f64.powi(decimals);
    let r = (x * f).round() / f;
    // Avoid "-0.0" in the output.
    if r == 0.0 { 0.0 } else { r }
}

/// ms and km: 3 decimals (µs, metres).
pub(crate) fn ms(x: f64) -> f64 {
    round_to(x, 3)
}

/// Shares and gaps: 6 decimals.
pub(crate) fn share(x: f64) -> f64 {
    round_to(x, 6)
}

/// A value whose floats can be rounded for output.
pub(crate) trait Round: Sized {
    fn rounded(self) -> Self;
}

impl<T: Round> Round for Vec<T> {
    fn rounded(self) -> Self {
        self.into_iter().map(Round::rounded).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_and_is_idempotent() {
        for x in [84.123_456_7, 0.000_000_4, -0.000_1, 1e6 / 3.0, 51.0] {
            let r = ms(x);
            assert_eq!(ms(r), r);
            assert!((r - x).abs() <= 0.000_5 + 1e-12, "{x} → {r}");
        }
        assert_eq!(ms(84.123_456_7), 84.123);
        assert_eq!(share(0.123_456_789), 0.123_457);
        assert!(ms(-0.000_1).is_sign_positive());
        assert!(ms(f64::NAN).is_nan());
    }

    #[test]
    fn rounded_values_survive_json() {
        for i in 0..10_000 {
            let x = ms(f64::from(i) * 0.017_31 + 3.0);
            let j = serde_json::to_string(&x).unwrap();
            assert_eq!(serde_json::from_str::<f64>(&j).unwrap(), x, "{j}");
        }
    }
}
