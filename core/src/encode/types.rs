//! The value types whose text form the servers are picky about: dates, datetimes, instants and
//! decimals.
//!
//! Doris and StarRocks `DATETIME` columns carry no time zone, and the connectors' history is full
//! of silent +8 h shifts (an instant formatted in whatever zone the JVM had). So an instant is its
//! own type here, [`Timestamp`], and only the encoder turns it into wall-clock text, in the zone
//! of [`EncodeOptions::time_zone`]. A civil [`DateTime`] is written as given. Decimals are plain
//! digit strings, never floats and never with an exponent.
//!
//! Inside a serde row these types serialize as newtype structs with reserved names that the
//! encoders recognise; through plain `serde_json` they serialize as their text (the timestamp as
//! RFC 3339 text in UTC).

use std::fmt;

use jiff::tz::TimeZone;
use serde::{Serialize, Serializer};

use crate::error::{Error, ErrorKind, Result};

/// Reserved newtype name of [`Date`] (inner value: `YYYY-MM-DD` text).
pub(crate) const DATE_TOKEN: &str = "$streamload::Date";
/// Reserved newtype name of [`DateTime`] (inner value: its text).
pub(crate) const DATETIME_TOKEN: &str = "$streamload::DateTime";
/// Reserved newtype name of [`Timestamp`] (inner value: microseconds since the Unix epoch).
pub(crate) const TIMESTAMP_TOKEN: &str = "$streamload::Timestamp";
/// Reserved newtype name of [`Decimal`] (inner value: its text).
pub(crate) const DECIMAL_TOKEN: &str = "$streamload::Decimal";

/// Options of the type policy shared by every encoder.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    /// Zone in which [`Timestamp`] values are written as `DATETIME` text. Default: UTC.
    pub time_zone: TimeZone,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self {
            time_zone: TimeZone::UTC,
        }
    }
}

/// A calendar date, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl Date {
    /// A date from year, month (1–12) and day; a typed `Encode` error when it does not exist.
    pub fn new(year: i16, month: i8, day: i8) -> Result<Self> {
        jiff::civil::Date::new(year, month, day)
            .map(Date)
            .map_err(|e| Error::new(ErrorKind::Encode, format!("invalid date: {e}")))
    }

    pub(crate) fn text(&self) -> ShortText {
        let mut out = ShortText::default();
        out.len = write_date(&mut out.buf, self.0);
        out
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DATE_TOKEN, &self.text())
    }
}

/// A wall-clock date and time without zone, written `YYYY-MM-DD HH:MM:SS[.ffffff]`
/// (microsecond precision, the fraction only when it is not zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub jiff::civil::DateTime);

impl DateTime {
    pub(crate) fn text(&self) -> ShortText {
        civil_text(self.0)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DATETIME_TOKEN, &self.text())
    }
}

/// An instant. The encoder writes it as `DATETIME` text in the configured time zone
/// ([`EncodeOptions::time_zone`]), at microsecond precision (nanoseconds are truncated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub jiff::Timestamp);

impl Timestamp {
    /// An instant from microseconds since the Unix epoch.
    pub fn from_micros(micros: i64) -> Result<Self> {
        jiff::Timestamp::from_microsecond(micros)
            .map(Timestamp)
            .map_err(|e| Error::new(ErrorKind::Encode, format!("invalid timestamp: {e}")))
    }

    /// Microseconds since the Unix epoch (truncated).
    pub fn as_micros(&self) -> i64 {
        self.0.as_microsecond()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(TIMESTAMP_TOKEN, &self.as_micros())
    }
}

/// Writes `micros` (since the epoch) as `DATETIME` text in `zone`.
pub(crate) fn timestamp_text(micros: i64, zone: &TimeZone) -> Result<ShortText> {
    let ts = jiff::Timestamp::from_microsecond(micros)
        .map_err(|e| Error::new(ErrorKind::Encode, format!("invalid timestamp: {e}")))?;
    Ok(civil_text(ts.to_zoned(zone.clone()).datetime()))
}

fn civil_text(dt: jiff::civil::DateTime) -> ShortText {
    let mut out = ShortText::default();
    let at = write_date(&mut out.buf, dt.date());
    let [h1, h2] = pair(dt.hour());
    let [m1, m2] = pair(dt.minute());
    let [s1, s2] = pair(dt.second());
    let time = [b' ', h1, h2, b':', m1, m2, b':', s1, s2];
    out.buf[at..at + time.len()].copy_from_slice(&time);
    out.len = at + time.len();
    let micros = dt.subsec_nanosecond().unsigned_abs() / 1000;
    if micros != 0 {
        let [a1, a2] = PAIRS[(micros / 10_000 % 100) as usize];
        let [b1, b2] = PAIRS[(micros / 100 % 100) as usize];
        let [c1, c2] = PAIRS[(micros % 100) as usize];
        let fraction = [b'.', a1, a2, b1, b2, c1, c2];
        out.buf[out.len..out.len + fraction.len()].copy_from_slice(&fraction);
        out.len += fraction.len();
    }
    out
}

/// Writes `YYYY-MM-DD` at the start of `buf` (a year before 0 gets a sign, as ISO 8601 has
/// it) and returns its length. Every byte goes to a fixed place: no per-byte length updates.
fn write_date(buf: &mut [u8; SHORT_TEXT], date: jiff::civil::Date) -> usize {
    let year = date.year();
    let sign = usize::from(year < 0);
    buf[0] = b'-';
    // jiff years are within ±9999: four digits.
    let [y1, y2] = PAIRS[usize::from(year.unsigned_abs() / 100 % 100)];
    let [y3, y4] = PAIRS[usize::from(year.unsigned_abs() % 100)];
    let [m1, m2] = pair(date.month());
    let [d1, d2] = pair(date.day());
    let text = [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2];
    buf[sign..sign + text.len()].copy_from_slice(&text);
    sign + text.len()
}

/// The two digits of every number below 100, so a date field is one table load.
const PAIRS: [[u8; 2]; 100] = {
    let mut table = [[0; 2]; 100];
    let mut i = 0;
    while i < 100 {
        table[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    table
};

/// A date or time field (below 100) as two digits.
#[inline]
fn pair(v: i8) -> [u8; 2] {
    PAIRS[usize::from(v.unsigned_abs() % 100)]
}

const SHORT_TEXT: usize = 32;

/// ASCII text of at most 32 bytes kept on the stack, so writing a date costs no allocation.
#[derive(Clone, Copy, Default)]
pub(crate) struct ShortText {
    buf: [u8; SHORT_TEXT],
    len: usize,
}

impl ShortText {
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever pushed.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl fmt::Display for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ShortText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A decimal number as plain text: `-?[0-9]+(\.[0-9]+)?`, never an exponent, never a float.
///
/// `DECIMAL(38+)` values do not fit any float, and servers parse a plain digit string exactly.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    /// Validates a plain decimal string such as `-12.340`.
    pub fn parse(text: &str) -> Result<Self> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if all_digits(int) && frac.is_none_or(all_digits) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::new(
                ErrorKind::Encode,
                format!("invalid decimal {text:?}: expected -?[0-9]+(.[0-9]+)?"),
            ))
        }
    }

    /// The decimal `mantissa × 10^-scale`, for example `(12345, 2)` is `123.45`.
    pub fn from_parts(mantissa: i128, scale: u32) -> Self {
        let digits = mantissa.unsigned_abs().to_string();
        let sign = if mantissa < 0 { "-" } else { "" };
        let scale = scale as usize;
        if scale == 0 {
            return Self(format!("{sign}{digits}"));
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        Self(format!("{sign}{int}.{frac}"))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DECIMAL_TOKEN, self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_keep_microseconds_and_omit_a_zero_fraction() {
        let dt = jiff::civil::date(2024, 2, 29).at(23, 59, 58, 123_456_789);
        assert_eq!(DateTime(dt).text().as_str(), "2024-02-29 23:59:58.123456");
        let whole = jiff::civil::date(2024, 1, 2).at(3, 4, 5, 0);
        assert_eq!(DateTime(whole).text().as_str(), "2024-01-02 03:04:05");
        assert_eq!(Date::new(2024, 1, 2).unwrap().text().as_str(), "2024-01-02");
        assert_eq!(
            Date::new(-44, 3, 15).unwrap().text().as_str(),
            "-0044-03-15"
        );
        assert_eq!(
            Date::new(9999, 12, 31).unwrap().text().as_str(),
            "9999-12-31"
        );
        let early = jiff::civil::date(7, 8, 9).at(0, 0, 0, 1000);
        assert_eq!(
            DateTime(early).text().as_str(),
            "0007-08-09 00:00:00.000001"
        );
        let late = jiff::civil::date(-9999, 1, 1).at(23, 59, 59, 999_999_999);
        assert_eq!(
            DateTime(late).text().as_str(),
            "-9999-01-01 23:59:59.999999"
        );
        assert_eq!(
            Date::new(2023, 2, 29).unwrap_err().kind(),
            ErrorKind::Encode
        );
    }

    #[test]
    fn timestamps_use_the_configured_zone_not_a_default() {
        // 2024-01-01T00:00:00Z
        let micros = 1_704_067_200_000_000;
        assert_eq!(
            timestamp_text(micros, &TimeZone::UTC).unwrap().as_str(),
            "2024-01-01 00:00:00"
        );
        let shanghai = TimeZone::fixed(jiff::tz::offset(8));
        assert_eq!(
            timestamp_text(micros + 1, &shanghai).unwrap().as_str(),
            "2024-01-01 08:00:00.000001"
        );
    }

    #[test]
    fn decimals_are_plain_digit_strings() {
        assert_eq!(Decimal::parse("-12.340").unwrap().as_str(), "-12.340");
        assert!(Decimal::parse("1e5").is_err());
        assert!(Decimal::parse("1.").is_err());
        assert!(Decimal::parse("").is_err());
        assert_eq!(Decimal::from_parts(12345, 2).as_str(), "123.45");
        assert_eq!(Decimal::from_parts(-5, 3).as_str(), "-0.005");
        assert_eq!(Decimal::from_parts(7, 0).as_str(), "7");
        let big = Decimal::from_parts(i128::MAX, 10);
        assert_eq!(big.as_str(), "17014118346046923173168730371.5884105727");
    }
}
