//! The CSV row writer: values straight into the chunk buffer, checked or enclosed.
//!
//! Connectors that do no quoting silently break rows whenever a value contains the separator;
//! here such a value is either enclosed (when an enclose character is configured) or a typed
//! error naming row and column. The common case — a short value with none of the special
//! bytes — is one pass that copies and scans together (`csv_scan.rs`); long values take a
//! `memchr` scan and a copy, and only values that may hold a special byte meet the exact rules.

use memchr::memmem;

use crate::error::{Error, ErrorKind, Result};
use crate::format::CsvFormat;

use super::append::append;
use super::csv_scan::SpecialScan;
use super::writer::{FloatText, RowWriter};

/// Text the servers read as NULL in CSV.
const NULL: &[u8] = b"\\N";

/// Precomputed CSV settings.
#[derive(Debug, Clone)]
pub(crate) struct CsvSettings {
    separator: Vec<u8>,
    delimiter: Vec<u8>,
    enclose: Option<u8>,
    escape: Option<u8>,
    /// Bytes that start something special (up to three, for `memchr3`).
    specials: Vec<u8>,
    scan: SpecialScan,
    /// None of the special bytes can occur in digits, signs and date punctuation, so dates,
    /// datetimes and decimals need no scan.
    numeric_text_is_safe: bool,
    /// The separator when it is one byte (the common case), written with one push.
    single_separator: Option<u8>,
    /// The delimiter when it is one byte.
    single_delimiter: Option<u8>,
}

impl CsvSettings {
    pub(crate) fn new(format: &CsvFormat) -> Result<Self> {
        if format.column_separator.is_empty() || format.line_delimiter.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "CSV column separator and line delimiter must not be empty",
            ));
        }
        if format.column_separator == format.line_delimiter {
            return Err(Error::new(
                ErrorKind::Config,
                "CSV column separator and line delimiter must differ",
            ));
        }
        let mut specials = vec![format.column_separator[0], format.line_delimiter[0]];
        specials.extend(format.enclose);
        specials.extend(format.escape);
        specials.sort_unstable();
        specials.dedup();
        let numeric_text_is_safe = !specials
            .iter()
            .chain(&format.column_separator)
            .chain(&format.line_delimiter)
            .any(|b| b"0123456789-+:. ".contains(b));
        let single = |token: &[u8]| match token {
            [b] => Some(*b),
            _ => None,
        };
        Ok(Self {
            numeric_text_is_safe,
            single_separator: single(&format.column_separator),
            single_delimiter: single(&format.line_delimiter),
            separator: format.column_separator.clone(),
            delimiter: format.line_delimiter.clone(),
            enclose: format.enclose,
            escape: format.escape,
            scan: SpecialScan::new(&specials),
            specials,
        })
    }

    /// Whether a long value contains a special byte (short ones take the fused path).
    fn has_special(&self, v: &[u8]) -> bool {
        match self.specials.as_slice() {
            [a] => memchr::memchr(*a, v).is_some(),
            [a, b] => memchr::memchr2(*a, *b, v).is_some(),
            [a, b, c] => memchr::memchr3(*a, *b, *c, v).is_some(),
            many => v.iter().any(|b| many.contains(b)),
        }
    }

    /// True when `v`, followed by a separator or delimiter, would not read back as `v`: it
    /// contains one, or ends with the start of a multi-byte one.
    fn breaks_row(&self, v: &[u8]) -> bool {
        [&self.separator, &self.delimiter].into_iter().any(|token| {
            memmem::find(v, token).is_some() || (1..token.len()).any(|n| v.ends_with(&token[..n]))
        })
    }
}

/// Writes one CSV row into `out`.
#[derive(Debug)]
pub(crate) struct CsvRow<'a> {
    settings: &'a CsvSettings,
    out: &'a mut Vec<u8>,
}

impl<'a> CsvRow<'a> {
    pub(crate) fn new(settings: &'a CsvSettings, out: &'a mut Vec<u8>) -> Self {
        Self { settings, out }
    }

    /// Long values, and short ones that may hold a special byte: the exact rules.
    #[inline(never)]
    fn text_checked(&mut self, v: &[u8]) -> std::result::Result<(), String> {
        if !self.settings.has_special(v) && v != NULL {
            self.out.extend_from_slice(v);
            return Ok(());
        }
        let breaks = self.settings.breaks_row(v);
        let quote_inside = self.settings.enclose.is_some_and(|q| v.contains(&q));
        match self.settings.enclose {
            Some(quote) if breaks || quote_inside || v == NULL => {
                self.enclosed(quote, v);
                Ok(())
            }
            None if breaks => Err(
                "the value contains the column separator or line delimiter; configure an \
                 enclose character or another separator"
                    .to_owned(),
            ),
            None if v == NULL => Err("the text \\N would be read as NULL".to_owned()),
            _ => {
                self.out.extend_from_slice(v);
                Ok(())
            }
        }
    }

    fn enclosed(&mut self, quote: u8, v: &[u8]) {
        self.out.push(quote);
        for &b in v {
            if b == quote {
                self.out.push(self.settings.escape.unwrap_or(quote));
            } else if Some(b) == self.settings.escape {
                self.out.push(b);
            }
            self.out.push(b);
        }
        self.out.push(quote);
    }
}

impl RowWriter for CsvRow<'_> {
    #[inline(always)]
    fn column(&mut self, index: usize, _name: &str) {
        if index != 0 {
            match self.settings.single_separator {
                Some(b) => self.out.push(b),
                None => self.out.extend_from_slice(&self.settings.separator),
            }
        }
    }

    #[inline(always)]
    fn null(&mut self) {
        self.out.extend_from_slice(NULL);
    }

    #[inline(always)]
    fn bool(&mut self, v: bool) {
        self.out.push(if v { b'1' } else { b'0' });
    }

    #[inline(always)]
    fn integer<I: itoa::Integer>(&mut self, v: I) {
        append(self.out, itoa::Buffer::new().format(v).as_bytes());
    }

    #[inline(always)]
    fn large_integer<I: itoa::Integer>(&mut self, v: I) {
        self.integer(v);
    }

    #[inline(always)]
    fn float(&mut self, v: FloatText<'_>) {
        append(self.out, v.0.as_bytes());
    }

    #[inline(always)]
    fn text(&mut self, v: &[u8]) -> std::result::Result<(), String> {
        if v.len() < SpecialScan::FUSED_MAX {
            let start = self.out.len();
            if !self.settings.scan.append_clean(self.out, v) && v != NULL {
                return Ok(());
            }
            self.out.truncate(start);
        }
        self.text_checked(v)
    }

    #[inline(always)]
    fn numeric_text(&mut self, v: &str) -> std::result::Result<(), String> {
        if self.settings.numeric_text_is_safe {
            append(self.out, v.as_bytes());
            Ok(())
        } else {
            self.text(v.as_bytes())
        }
    }

    fn nested_json(&mut self, json: &str) -> std::result::Result<(), String> {
        self.text(json.as_bytes())
    }

    #[inline]
    fn end_row(&mut self) {
        match self.settings.single_delimiter {
            Some(b) => self.out.push(b),
            None => self.out.extend_from_slice(&self.settings.delimiter),
        }
    }
}
