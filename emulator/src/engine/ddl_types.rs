//! Parses column types as the vendors write them (`int(11)`, `DECIMAL(27, 9)`, `DATETIMEV2(3)`,
//! `ARRAY<INT>`, `MAP<STRING,INT>`, `STRUCT<a:INT>` ...) into [`ColumnType`].

use super::Flavor;
use super::lexer::Cursor;
use super::schema::ColumnType;
use super::txn_types::EngineError;

fn number_args(cur: &mut Cursor) -> Result<Vec<u32>, EngineError> {
    let mut args = Vec::new();
    if cur.eat_punct('(') {
        loop {
            let lit = cur.literal()?;
            args.push(
                lit.parse::<u32>()
                    .map_err(|_| EngineError::Parse(format!("bad type argument '{lit}'")))?,
            );
            if !cur.eat_punct(',') {
                break;
            }
        }
        cur.expect_punct(')')?;
    }
    Ok(args)
}

/// Parses one type at the cursor.
pub(crate) fn parse_type(cur: &mut Cursor, flavor: Flavor) -> Result<ColumnType, EngineError> {
    let name = cur.ident()?.to_ascii_uppercase();
    let ty = match name.as_str() {
        "ARRAY" => {
            cur.expect_punct('<')?;
            let inner = parse_type(cur, flavor)?;
            cur.expect_punct('>')?;
            return Ok(ColumnType::Array(Box::new(inner)));
        }
        "MAP" => {
            cur.expect_punct('<')?;
            let k = parse_type(cur, flavor)?;
            cur.expect_punct(',')?;
            let v = parse_type(cur, flavor)?;
            cur.expect_punct('>')?;
            return Ok(ColumnType::Map(Box::new(k), Box::new(v)));
        }
        "STRUCT" => {
            cur.expect_punct('<')?;
            let mut fields = Vec::new();
            loop {
                let fname = cur.ident()?;
                cur.expect_punct(':')?;
                fields.push((fname, parse_type(cur, flavor)?));
                if !cur.eat_punct(',') {
                    break;
                }
            }
            cur.expect_punct('>')?;
            return Ok(ColumnType::Struct(fields));
        }
        _ => {
            let args = number_args(cur)?;
            // MySQL-style display widths and UNSIGNED are accepted and ignored.
            cur.eat_kw("UNSIGNED");
            match name.as_str() {
                "BOOLEAN" | "BOOL" => ColumnType::Boolean,
                "TINYINT" => ColumnType::TinyInt,
                "SMALLINT" => ColumnType::SmallInt,
                "INT" | "INTEGER" => ColumnType::Int,
                "BIGINT" => ColumnType::BigInt,
                "LARGEINT" => ColumnType::LargeInt,
                "FLOAT" => ColumnType::Float,
                "DOUBLE" => ColumnType::Double,
                "DECIMAL" | "DECIMALV2" | "DECIMALV3" | "DECIMAL32" | "DECIMAL64"
                | "DECIMAL128" | "DECIMAL256" | "NUMERIC" => {
                    let default_precision = match flavor {
                        Flavor::Doris => 9,
                        Flavor::StarRocks => 10,
                    };
                    let precision = args.first().copied().unwrap_or(default_precision);
                    let scale = args.get(1).copied().unwrap_or(0);
                    if precision == 0 || precision > 76 || scale > precision {
                        return Err(EngineError::Invalid(format!(
                            "invalid decimal type decimal({precision},{scale})"
                        )));
                    }
                    ColumnType::Decimal {
                        precision: precision as u8,
                        scale: scale as u8,
                    }
                }
                "DATE" | "DATEV2" => ColumnType::Date,
                "DATETIME" | "DATETIMEV2" | "TIMESTAMP" => {
                    let precision = args.first().copied().unwrap_or(0);
                    if precision > 6 {
                        return Err(EngineError::Invalid(format!(
                            "invalid datetime precision {precision}"
                        )));
                    }
                    ColumnType::DateTime {
                        precision: precision as u8,
                    }
                }
                "CHAR" => ColumnType::Char(args.first().copied().unwrap_or(1)),
                "VARCHAR" => ColumnType::Varchar(args.first().copied().unwrap_or(65533)),
                "STRING" | "TEXT" => ColumnType::String,
                "JSON" | "JSONB" => ColumnType::Json,
                "BITMAP" => ColumnType::Bitmap,
                "HLL" => ColumnType::Hll,
                "VARBINARY" | "BINARY" => ColumnType::String,
                other => {
                    return Err(EngineError::Parse(format!("unknown column type '{other}'")));
                }
            }
        }
    };
    Ok(ty)
}
