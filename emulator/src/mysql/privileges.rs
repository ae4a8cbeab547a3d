//! Privilege checks of the MySQL port: which tables a statement reads or loads into, and the
//! servers' refusal when the session's user lacks the privilege (Doris' Nereids
//! `ERR_TABLEACCESS_DENIED_ERROR` text, StarRocks' `ERR_ACCESS_DENIED`, which the HTTP side
//! also uses for a load without INSERT).

use crate::engine::{Flavor, Privilege};

use super::reply::Reply;
use super::users::{Parser, Tok, tokens};

/// The tables a SELECT reads: each name after FROM / JOIN (and after a comma in a FROM
/// list), qualified with the current database; subqueries and `information_schema` skipped.
pub(crate) fn tables_read(sql: &str, current_db: Option<&str>) -> Vec<(String, String)> {
    let toks = tokens(sql);
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_from = false;
    while i < toks.len() {
        let starts = match &toks[i] {
            Tok::Word(w) if w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("join") => {
                in_from = true;
                true
            }
            Tok::Punct(',') => in_from,
            Tok::Word(w)
                if [
                    "where", "group", "order", "limit", "having", "on", "union", "set",
                ]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                in_from = false;
                false
            }
            _ => false,
        };
        i += 1;
        if !starts {
            continue;
        }
        let name = |t: Option<&Tok>| match t {
            Some(Tok::Word(w) | Tok::Quoted(w)) => Some(w.clone()),
            _ => None,
        };
        let Some(first) = name(toks.get(i)) else {
            continue;
        };
        let (db, table) = if toks.get(i + 1) == Some(&Tok::Punct('.')) {
            match name(toks.get(i + 2)) {
                Some(t) => (Some(first), t),
                None => continue,
            }
        } else {
            (current_db.map(str::to_string), first)
        };
        if let Some(db) = db
            && !db.eq_ignore_ascii_case("information_schema")
        {
            out.push((db, table));
        }
    }
    out
}

/// The table an `INSERT INTO [db.]t` loads into.
pub(crate) fn insert_target(sql: &str, current_db: Option<&str>) -> Vec<(String, String)> {
    let mut p = Parser {
        toks: tokens(sql),
        at: 0,
    };
    if !p.kw("INSERT") {
        return Vec::new();
    }
    let _ = p.kw("INTO") || p.kw("OVERWRITE");
    p.kw("TABLE");
    let Some(first) = p.name() else {
        return Vec::new();
    };
    let target = if p.punct('.') {
        p.name().map(|t| (first, t))
    } else {
        current_db.map(|db| (db.to_string(), first))
    };
    target.into_iter().collect()
}

/// The servers' refusal of `privilege` on `db.table` to `user` connected from `host`: Doris
/// `ERR_TABLEACCESS_DENIED_ERROR` (the Nereids wording, catalog `internal`), StarRocks
/// `ERR_ACCESS_DENIED` (5203) with its role hint.
pub(crate) fn denied(
    flavor: Flavor,
    privilege: Privilege,
    user: &str,
    host: &str,
    db: &str,
    table: &str,
) -> Reply {
    match flavor {
        Flavor::Doris => {
            let command = match privilege {
                Privilege::Select => "SELECT",
                Privilege::Load => "LOAD",
            };
            Reply::Error {
                // The Nereids analysis error is not a UserException: the FE answers it as
                // ER_UNKNOWN_ERROR with ERR_TABLEACCESS_DENIED_ERROR's text.
                code: 1105,
                message: format!(
                    "{command} command denied to user '{user}'@'{host}' for table 'internal: {db}: {table}'"
                ),
            }
        }
        Flavor::StarRocks => Reply::Error {
            code: 5203,
            message: starrocks_denied(privilege, table),
        },
    }
}

/// StarRocks' `ERR_ACCESS_DENIED` text for a table privilege (also the HTTP load answer).
pub(crate) fn starrocks_denied(privilege: Privilege, table: &str) -> String {
    let name = match privilege {
        Privilege::Select => "SELECT",
        Privilege::Load => "INSERT",
    };
    format!(
        "Access denied; you need (at least one of) the {name} privilege(s) on TABLE {table} for \
         this operation. Please ask the admin to grant permission(s) or try activating existing \
         roles using <set [default] role>. Current role(s): NONE. Inactivated role(s): NONE."
    )
}
