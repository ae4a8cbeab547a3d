//! Query rewrites the servers' planners do and SQLite cannot: `COUNT(DISTINCT c)` over a BITMAP
//! or HLL column counts the members of the union of its values (StarRocks and Doris rewrite it
//! to `bitmap_union_count(c)` / `hll_union_agg(c)`), which is how the vendors' UV examples query
//! a `page_uv` table. SQLite would count distinct stored texts instead.
//!
//! The rewrite is textual: `COUNT(DISTINCT <column>)` whose column is a BITMAP / HLL column of a
//! table the statement names becomes the union count, aliased with the text as written so the
//! result column keeps its name.

use super::catalog::Catalog;
use super::lexer::{Token, tokenize};
use super::schema::ColumnType;

/// What the matched column is.
enum Sketch {
    Bitmap,
    Hll,
}

/// The sketch type of `column` in a table the statement names (`words`: its words and quoted
/// identifiers).
fn sketch_of(
    catalog: &Catalog,
    current_db: Option<&str>,
    words: &[String],
    column: &str,
) -> Option<Sketch> {
    for db in catalog.database_names() {
        for table in catalog.table_names(&db).unwrap_or_default() {
            let named = words.iter().any(|w| w.eq_ignore_ascii_case(&table));
            let visible = current_db.is_none_or(|c| c.eq_ignore_ascii_case(&db))
                || words.iter().any(|w| w.eq_ignore_ascii_case(&db));
            if !named || !visible {
                continue;
            }
            let Some(schema) = catalog.table(&db, &table) else {
                continue;
            };
            let col = schema
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(column));
            match col.map(|c| &c.ty) {
                Some(ColumnType::Bitmap) => return Some(Sketch::Bitmap),
                Some(ColumnType::Hll) => return Some(Sketch::Hll),
                _ => {}
            }
        }
    }
    None
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn word_at(b: &[u8], i: usize, word: &str) -> bool {
    b.len() >= i + word.len()
        && b[i..i + word.len()].eq_ignore_ascii_case(word.as_bytes())
        && !b
            .get(i + word.len())
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
}

/// `COUNT ( DISTINCT [t.]col )` starting at `i`: the column name and the end of the match.
fn count_distinct_at(b: &[u8], i: usize) -> Option<(String, usize)> {
    if !word_at(b, i, "count") {
        return None;
    }
    let mut j = skip_ws(b, i + 5);
    if b.get(j) != Some(&b'(') {
        return None;
    }
    j = skip_ws(b, j + 1);
    if !word_at(b, j, "distinct") {
        return None;
    }
    j = skip_ws(b, j + 8);
    let mut name;
    loop {
        if b.get(j) == Some(&b'`') {
            let end = b[j + 1..].iter().position(|&c| c == b'`')? + j + 1;
            name = String::from_utf8_lossy(&b[j + 1..end]).into_owned();
            j = end + 1;
        } else {
            let start = j;
            while b
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                j += 1;
            }
            if j == start {
                return None;
            }
            name = String::from_utf8_lossy(&b[start..j]).into_owned();
        }
        if b.get(j) == Some(&b'.') {
            j += 1;
            continue;
        }
        break;
    }
    j = skip_ws(b, j);
    (b.get(j) == Some(&b')')).then_some((name, j + 1))
}

/// The statement with every `COUNT(DISTINCT sketch_column)` rewritten, or `None` when there is
/// none.
pub(crate) fn count_distinct_sketches(
    sql: &str,
    catalog: &Catalog,
    current_db: Option<&str>,
) -> Option<String> {
    if !sql.to_ascii_lowercase().contains("distinct") {
        return None;
    }
    let words: Vec<String> = tokenize(sql)
        .ok()?
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        })
        .collect();
    let b = sql.as_bytes();
    let first_from = (0..b.len())
        .find(|&i| word_at(b, i, "from"))
        .unwrap_or(b.len());
    let mut out = String::with_capacity(sql.len() + 32);
    let (mut copied, mut i, mut changed) = (0, 0, false);
    while i < b.len() {
        if let Some((column, end)) = count_distinct_at(b, i)
            && let Some(kind) = sketch_of(catalog, current_db, &words, &column)
        {
            let function = match kind {
                Sketch::Bitmap => "bitmap_union_count",
                Sketch::Hll => "hll_union_agg",
            };
            let written = &sql[i..end];
            out.push_str(&sql[copied..i]);
            // An item of the select list without an alias of its own keeps its written text
            // as its name.
            let next = skip_ws(b, end);
            let aliased = i < first_from && (b.get(next) == Some(&b',') || next == first_from);
            out.push_str(&format!("{function}(\"{}\")", column.replace('"', "\"\"")));
            if aliased {
                out.push_str(&format!(" AS \"{}\"", written.replace('"', "\"\"")));
            }
            copied = end;
            i = end;
            changed = true;
            continue;
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    changed.then_some(out)
}
