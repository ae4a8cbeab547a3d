//! The seam between "what a value is" and "how a format writes it".
//!
//! The serde serializer, the dynamic [`super::Value`] rows and the delete column all speak to a
//! [`RowWriter`]; CSV and JSON implement it. Keeping the type policy on one side and the byte
//! layout on the other means each type rule is written (and tested) once for both formats.

/// Float text that was already checked to be finite and plain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FloatText<'a>(pub(crate) &'a str);

/// Writes the values of one row, column by column.
pub(crate) trait RowWriter {
    /// Starts column number `index` (CSV: separator; JSON: `,"name":`). Callers guarantee
    /// that an index always carries the same name within one encoder.
    fn column(&mut self, index: usize, name: &str);
    /// NULL.
    fn null(&mut self);
    /// A boolean (`1`/`0` in CSV, `true`/`false` in JSON).
    fn bool(&mut self, v: bool);
    /// An integer that fits JSON numbers safely.
    fn integer<I: itoa::Integer>(&mut self, v: I);
    /// A 128-bit integer (LARGEINT): a string in JSON so no reader rounds it.
    fn large_integer<I: itoa::Integer>(&mut self, v: I);
    /// A finite float.
    fn float(&mut self, v: FloatText<'_>);
    /// Bytes; `Err` carries the reason the value cannot be written.
    fn text(&mut self, v: &[u8]) -> Result<(), String>;
    /// Text; `Err` carries the reason the value cannot be written.
    #[inline(always)]
    fn str(&mut self, v: &str) -> Result<(), String> {
        self.text(v.as_bytes())
    }
    /// Text made only of digits, signs and date punctuation (`0-9 - + : .` and space): dates,
    /// datetimes and decimals, which the policy formats itself.
    fn numeric_text(&mut self, v: &str) -> Result<(), String>;
    /// An array, map or struct value as JSON text.
    fn nested_json(&mut self, json: &str) -> Result<(), String>;
    /// Ends the row.
    fn end_row(&mut self);
}

/// Formats a float as plain text, or says why it cannot be loaded.
pub(crate) fn float_text(v: f64, buf: &mut zmij::Buffer) -> Result<FloatTextOwned<'_>, String> {
    if !v.is_finite() {
        return Err(format!(
            "{v} is not a finite number; NaN and infinity are rejected"
        ));
    }
    let short = buf.format_finite(v);
    if needs_plain_form(v.abs(), short) {
        Ok(FloatTextOwned::Owned(format!("{v}")))
    } else {
        Ok(FloatTextOwned::Borrowed(short))
    }
}

/// Magnitudes whose shortest text never has an exponent, for `f64` (fixed notation for decimal
/// exponents -5..=15) and `f32` (-6..=12) alike, with a margin: most floats skip the scan.
const FIXED_NOTATION: std::ops::Range<f64> = 1e-3..1e11;

/// Whether `short`, the shortest text of a float of magnitude `abs`, has an exponent and so
/// must be replaced by the plain form.
#[inline]
pub(crate) fn needs_plain_form(abs: f64, short: &str) -> bool {
    !FIXED_NOTATION.contains(&abs) && short.bytes().any(|b| b == b'e' || b == b'E')
}

/// Float text from [`float_text`]: the shortest form, or the plain (exponent-free) form.
#[derive(Debug)]
pub(crate) enum FloatTextOwned<'a> {
    /// The shortest round-trip form.
    Borrowed(&'a str),
    /// The plain form for very large or small magnitudes.
    Owned(String),
}

impl FloatTextOwned<'_> {
    pub(crate) fn as_text(&self) -> FloatText<'_> {
        match self {
            FloatTextOwned::Borrowed(s) => FloatText(s),
            FloatTextOwned::Owned(s) => FloatText(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_in_the_fixed_range_never_have_an_exponent() {
        let mut checked = 0;
        for exp in -4..=12 {
            let edge = 10f64.powi(exp);
            for v in [
                edge,
                edge.next_down(),
                edge.next_up(),
                edge * 1.5,
                edge * 9.999_999,
            ] {
                for v in [v, -v] {
                    if FIXED_NOTATION.contains(&v.abs()) {
                        let wide = zmij::Buffer::new().format_finite(v).to_owned();
                        let narrow = zmij::Buffer::new().format_finite(v as f32).to_owned();
                        assert!(!wide.contains('e'), "{wide}");
                        assert!(!narrow.contains('e'), "{narrow}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100);
        assert!(needs_plain_form(1e20, "1e20"));
        assert!(!needs_plain_form(1e20, "100000000000000000000"));
    }
}
