//! Value checks: converts a raw field (CSV text or a JSON scalar rendered as text) to a stored
//! [`Value`], or explains, in the servers' words, why the row is filtered.
//!
//! Without strict mode a value that cannot be converted becomes NULL (and then fails only on a
//! NOT NULL column), as both servers do; with strict mode it filters the row. A string longer
//! than its column filters the row (recent Doris without strict mode cuts it to the column's
//! length instead), and a NULL in a NOT NULL column filters it in both modes.

use super::Flavor;
use super::schema::{Column, ColumnType, Value};

fn null_reason(flavor: Flavor, col: &Column) -> String {
    match flavor {
        Flavor::Doris => format!(
            "column({}) values is null while columns is not nullable",
            col.name
        ),
        Flavor::StarRocks => format!("NULL value in non-nullable column '{}'", col.name),
    }
}

fn invalid_reason(flavor: Flavor, col: &Column, raw: &str) -> String {
    match flavor {
        // Doris names the column and the source value only (be/src/vec/exec/scan).
        Flavor::Doris => format!(
            "column({}) value is incorrect while strict mode is true, src value is {raw}",
            col.name
        ),
        // StarRocks' scanners: "Value '<v>' is out of range. The type of '<col>' is <TYPE>".
        Flavor::StarRocks => format!(
            "Value '{raw}' is out of range. The type of '{}' is {}",
            col.name,
            col.ty.sql_name().to_uppercase()
        ),
    }
}

fn too_long_reason(flavor: Flavor, col: &Column, raw: &str, limit: u32) -> String {
    match flavor {
        Flavor::Doris => {
            let mut end = raw.len().min(32);
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            format!(
                "column_name[{}], the length of input is too long than schema. first 32 bytes of input str: [{}] schema length: {limit}; actual length: {}; ",
                col.name,
                &raw[..end],
                raw.len()
            )
        }
        Flavor::StarRocks => format!(
            "Value length is beyond the capacity. column={}, capacity={limit}",
            col.name
        ),
    }
}

/// Converts one raw field for `column`.
pub(crate) fn convert(
    flavor: Flavor,
    column: &Column,
    raw: Option<&str>,
    strict_mode: bool,
) -> Result<Value, String> {
    let Some(raw) = raw else {
        return if column.nullable {
            Ok(Value::Null)
        } else {
            Err(null_reason(flavor, column))
        };
    };
    // Recent Doris plans a load like an INSERT: without strict mode (strict cast) the sink cuts
    // a longer string to the column's length (Nereids BindSink, `truncateString`), in bytes at a
    // UTF-8 character boundary (its suite test_utf8_varchar_truncation: `中1234567890` in
    // VARCHAR(10) is `中1234567`). StarRocks, and Doris in strict mode, filter the row.
    let raw = match column.ty {
        ColumnType::Char(n) | ColumnType::Varchar(n)
            if flavor == Flavor::Doris && !strict_mode && raw.len() > n as usize =>
        {
            let mut end = n as usize;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            &raw[..end]
        }
        _ => raw,
    };
    if let ColumnType::Char(n) | ColumnType::Varchar(n) = column.ty
        && raw.len() > n as usize
    {
        return Err(too_long_reason(flavor, column, raw, n));
    }
    match parse_value(flavor, &column.ty, raw) {
        Ok(v) => Ok(v),
        Err(_) if strict_mode => Err(invalid_reason(flavor, column, raw)),
        Err(_) if column.nullable => Ok(Value::Null),
        Err(_) => Err(null_reason(flavor, column)),
    }
}

fn int_range(ty: &ColumnType) -> (i128, i128) {
    match ty {
        ColumnType::TinyInt => (i8::MIN.into(), i8::MAX.into()),
        ColumnType::SmallInt => (i16::MIN.into(), i16::MAX.into()),
        ColumnType::Int => (i32::MIN.into(), i32::MAX.into()),
        ColumnType::BigInt => (i64::MIN.into(), i64::MAX.into()),
        _ => (i128::MIN, i128::MAX),
    }
}

/// Parses `raw` as a value of `ty`; `Err` says why not.
pub(crate) fn parse_value(flavor: Flavor, ty: &ColumnType, raw: &str) -> Result<Value, String> {
    match ty {
        ColumnType::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err("not a boolean".into()),
        },
        ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::Int
        | ColumnType::BigInt
        | ColumnType::LargeInt => {
            let t = raw.trim();
            let v: i128 = t
                .strip_prefix('+')
                .unwrap_or(t)
                .parse()
                .map_err(|_| "not an integer".to_string())?;
            let (lo, hi) = int_range(ty);
            if v < lo || v > hi {
                return Err(format!("out of range [{lo}, {hi}]"));
            }
            Ok(Value::Int(v))
        }
        ColumnType::Float | ColumnType::Double => {
            let v: f64 = raw.trim().parse().map_err(|_| "not a number".to_string())?;
            if !v.is_finite() || (*ty == ColumnType::Float && v.abs() > f64::from(f32::MAX)) {
                return Err("out of range".into());
            }
            Ok(Value::Float(v))
        }
        ColumnType::Decimal { precision, scale } => {
            decimal_canonical(raw.trim(), *precision, *scale).map(Value::Text)
        }
        ColumnType::Date => {
            let (y, m, d, _) = parse_datetime(raw.trim())?;
            Ok(Value::Text(format!("{y:04}-{m:02}-{d:02}")))
        }
        ColumnType::DateTime { precision } => {
            let (y, m, d, (hh, mm, ss, micros)) = parse_datetime(raw.trim())?;
            let mut s = format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}");
            if flavor == Flavor::StarRocks {
                // StarRocks' DATETIME has no precision: it keeps microseconds and prints all six
                // digits when there are any.
                if micros != 0 {
                    s.push_str(&format!(".{micros:06}"));
                }
            } else if *precision > 0 {
                let frac = format!("{micros:06}");
                s.push('.');
                s.push_str(&frac[..*precision as usize]);
            }
            Ok(Value::Text(s))
        }
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => {
            Ok(Value::Text(raw.to_string()))
        }
        ColumnType::Json | ColumnType::Array(_) | ColumnType::Map(..) | ColumnType::Struct(_) => {
            let v: serde_json::Value =
                serde_json::from_str(raw).map_err(|e| format!("invalid JSON: {e}"))?;
            let ok = match ty {
                ColumnType::Array(_) => v.is_array(),
                ColumnType::Map(..) | ColumnType::Struct(_) => v.is_object(),
                _ => true,
            };
            if !ok {
                return Err(format!("not a {}", ty.sql_name()));
            }
            Ok(Value::Text(v.to_string()))
        }
        ColumnType::Bitmap | ColumnType::Hll => Ok(Value::Text(raw.trim().to_string())),
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        _ => 28,
    }
}

type Time = (u32, u32, u32, u32);

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.ffffff]` (or `T` between), `YYYYMMDD`. Between
/// a `YYYY-MM-DD` date and its time any punctuation will do, as in Doris' `from_date_str`
/// (`2023-07-20:05:48:31` loads in its regression suite `test_csv_with_enclose_and_escape`).
fn parse_datetime(s: &str) -> Result<(u32, u32, u32, Time), String> {
    let bad = || format!("not a date/datetime '{s}'");
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None if s.len() > 10
            && s.as_bytes()[10].is_ascii_punctuation()
            && s.as_bytes()[4] == b'-' =>
        {
            (&s[..10], Some(s[11..].trim()))
        }
        None => (s, None),
    };
    let parts: Vec<&str> = if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
        vec![&date[..4], &date[4..6], &date[6..]]
    } else {
        date.split(['-', '/']).collect()
    };
    if parts.len() != 3 || parts[0].len() != 4 {
        return Err(bad());
    }
    let num = |p: &str| p.parse::<u32>().map_err(|_| bad());
    let (y, m, d) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(bad());
    }
    let mut t = (0, 0, 0, 0);
    if let Some(time) = time.filter(|t| !t.is_empty()) {
        let (hms, frac) = match time.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (time, None),
        };
        let hp: Vec<&str> = hms.split(':').collect();
        if hp.len() != 3 {
            return Err(bad());
        }
        let (hh, mm, ss) = (num(hp[0])?, num(hp[1])?, num(hp[2])?);
        if hh > 23 || mm > 59 || ss > 59 {
            return Err(bad());
        }
        let micros = match frac {
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
                let mut f6: String = f.chars().take(6).collect();
                while f6.len() < 6 {
                    f6.push('0');
                }
                num(&f6)?
            }
            Some(_) => return Err(bad()),
            None => 0,
        };
        t = (hh, mm, ss, micros);
    }
    Ok((y, m, d, t))
}

/// Checks a decimal against `decimal(precision, scale)` and renders it with exactly `scale`
/// fraction digits (extra digits rounded half away from zero, as the servers do).
pub(crate) fn decimal_canonical(s: &str, precision: u8, scale: u8) -> Result<String, String> {
    let scaled = decimal_scaled(s, scale).ok_or_else(|| format!("not a decimal '{s}'"))?;
    let limit = 10i128
        .checked_pow(u32::from(precision))
        .unwrap_or(i128::MAX);
    if scaled.abs() >= limit {
        return Err(format!(
            "decimal value is not valid for definition decimal({precision},{scale})"
        ));
    }
    Ok(scaled_text(scaled, scale))
}

/// Parses a decimal text into an integer scaled by 10^scale (rounding half away from zero).
pub(crate) fn decimal_scaled(s: &str, scale: u8) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    // Accept exponent forms through f64 only when short (e.g. JSON numbers like 1e3).
    if body.contains(['e', 'E']) {
        let f: f64 = s.parse().ok()?;
        return Some((f * 10f64.powi(i32::from(scale))).round() as i128);
    }
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let fb = frac.as_bytes();
    for i in 0..usize::from(scale) {
        let d = fb.get(i).map(|b| i128::from(b - b'0')).unwrap_or(0);
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    if fb.get(usize::from(scale)).is_some_and(|b| *b >= b'5') {
        v = v.checked_add(1)?;
    }
    Some(if neg { -v } else { v })
}

/// Renders a scaled integer as decimal text.
pub(crate) fn scaled_text(v: i128, scale: u8) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let s = usize::from(scale);
    let padded = format!("{digits:0>width$}", width = s + 1);
    let (i, f) = padded.split_at(padded.len() - s);
    format!("{sign}{i}.{f}")
}

/// Adds two canonical decimals of the same scale.
pub(crate) fn decimal_add(a: &str, b: &str, scale: u8) -> Option<String> {
    let sum = decimal_scaled(a, scale)?.checked_add(decimal_scaled(b, scale)?)?;
    Some(scaled_text(sum, scale))
}

/// Renders a Unix time in ms as `YYYY-MM-DD HH:MM:SS` (UTC), for `DEFAULT CURRENT_TIMESTAMP`.
pub(crate) fn datetime_text(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_text_renders_utc_civil_time() {
        assert_eq!(datetime_text(0), "1970-01-01 00:00:00");
        assert_eq!(datetime_text(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(datetime_text(1_700_000_000_123), "2023-11-14 22:13:20");
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        assert_eq!(decimal_canonical("1.005", 5, 2).as_deref(), Ok("1.01"));
        assert_eq!(decimal_canonical("-1.005", 5, 2).as_deref(), Ok("-1.01"));
        assert_eq!(decimal_canonical(".5", 3, 0).as_deref(), Ok("1"));
        assert!(decimal_canonical("abc", 5, 2).is_err());
        assert_eq!(decimal_add("1.50", "-2.25", 2).as_deref(), Some("-0.75"));
    }
}
