//! `CREATE USER`, `DROP USER`, `GRANT` and `REVOKE` in each vendor's words, and the servers'
//! answers to a query or INSERT by a user without the privilege.
//!
//! Doris names privileges `SELECT_PRIV` / `LOAD_PRIV` (`ALL` and `ADMIN_PRIV` hold both) on
//! `*.*`, `db.*`, `db.t` (optionally behind the `internal` catalog); StarRocks names them
//! `SELECT` / `INSERT` (`ALL [PRIVILEGES]` holds both) on `[TABLE] db.t`, `db.*`, `*.*`,
//! `ALL TABLES IN DATABASE db` or `ALL TABLES IN ALL DATABASES`, granted `TO [USER] u`. Other
//! privilege names of the vendor are accepted and change nothing here (the emulator enforces
//! only reading and loading).

use crate::engine::{Engine, Flavor, Privilege, Scope, UserError};

use super::reply::Reply;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Quoted(String),
    Punct(char),
}

pub(super) fn tokens(sql: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' | '"' | '`' => {
                let mut s = String::new();
                while let Some(d) = chars.next() {
                    if d == c {
                        if chars.peek() == Some(&c) {
                            chars.next();
                            s.push(c);
                            continue;
                        }
                        break;
                    }
                    if d == '\\' && c != '`' {
                        if let Some(e) = chars.next() {
                            s.push(e);
                        }
                        continue;
                    }
                    s.push(d);
                }
                out.push(Tok::Quoted(s));
            }
            c if c.is_alphanumeric() || c == '_' || c == '%' => {
                let mut s = c.to_string();
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '%' || d == '-' {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(s));
            }
            c => out.push(Tok::Punct(c)),
        }
    }
    out
}

pub(super) struct Parser {
    pub(super) toks: Vec<Tok>,
    pub(super) at: usize,
}

impl Parser {
    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.at), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    pub(super) fn kw(&mut self, kw: &str) -> bool {
        let hit = self.peek_kw(kw);
        self.at += usize::from(hit);
        hit
    }
    pub(super) fn punct(&mut self, p: char) -> bool {
        let hit = self.toks.get(self.at) == Some(&Tok::Punct(p));
        self.at += usize::from(hit);
        hit
    }
    /// A name, quoted or not.
    pub(super) fn name(&mut self) -> Option<String> {
        let t = match self.toks.get(self.at)? {
            Tok::Word(w) | Tok::Quoted(w) => w.clone(),
            Tok::Punct(_) => return None,
        };
        self.at += 1;
        Some(t)
    }
    /// `'u'@'host'`, `u@'%'`, `'u'` or `u`; the host is read and dropped.
    fn user(&mut self) -> Option<String> {
        let user = self.name()?;
        if self.punct('@') {
            self.name()?;
        }
        Some(user)
    }
}

fn syntax(sql: &str) -> Reply {
    Reply::Error {
        code: 1064,
        message: format!("Syntax error in: {sql}"),
    }
}

/// ER_CANNOT_USER (1396), as both servers answer a user that exists already (CREATE) or does
/// not exist (DROP, GRANT, REVOKE).
fn user_error(_: UserError, operation: &str, user: &str) -> Reply {
    Reply::Error {
        code: 1396,
        message: format!("Operation {operation} failed for '{user}'@'%'"),
    }
}

/// `CREATE USER [IF NOT EXISTS] u [IDENTIFIED BY [PASSWORD] 'pw'] ...`.
pub(crate) fn create_user(engine: &Engine, sql: &str) -> Reply {
    let mut p = Parser {
        toks: tokens(sql),
        at: 0,
    };
    if !(p.kw("CREATE") && p.kw("USER")) {
        return syntax(sql);
    }
    let if_not_exists = p.kw("IF") && p.kw("NOT") && p.kw("EXISTS");
    let Some(user) = p.user() else {
        return syntax(sql);
    };
    let mut password = String::new();
    if p.kw("IDENTIFIED") {
        p.kw("WITH");
        p.kw("mysql_native_password");
        if !p.kw("BY") {
            return syntax(sql);
        }
        p.kw("PASSWORD");
        match p.name() {
            Some(pw) => password = pw,
            None => return syntax(sql),
        }
    }
    match engine.create_user(&user, &password, if_not_exists) {
        Ok(()) => Reply::ok(),
        Err(e) => user_error(e, "CREATE USER", &user),
    }
}

/// `DROP USER [IF EXISTS] u`.
pub(crate) fn drop_user(engine: &Engine, sql: &str) -> Reply {
    let mut p = Parser {
        toks: tokens(sql),
        at: 0,
    };
    if !(p.kw("DROP") && p.kw("USER")) {
        return syntax(sql);
    }
    let if_exists = p.kw("IF") && p.kw("EXISTS");
    let Some(user) = p.user() else {
        return syntax(sql);
    };
    match engine.drop_user(&user, if_exists) {
        Ok(()) => Reply::ok(),
        Err(e) => user_error(e, "DROP USER", &user),
    }
}

/// The privileges a vendor's name grants here (`None`: not a privilege of that vendor).
fn privileges(flavor: Flavor, name: &str) -> Option<Vec<Privilege>> {
    let n = name.to_ascii_uppercase();
    let both = vec![Privilege::Select, Privilege::Load];
    Some(match (flavor, n.as_str()) {
        (_, "ALL") => both,
        (Flavor::Doris, "ALL_PRIV" | "ADMIN_PRIV") => both,
        (Flavor::Doris, "SELECT_PRIV") => vec![Privilege::Select],
        (Flavor::Doris, "LOAD_PRIV") => vec![Privilege::Load],
        (
            Flavor::Doris,
            "ALTER_PRIV" | "CREATE_PRIV" | "DROP_PRIV" | "USAGE_PRIV" | "GRANT_PRIV" | "NODE_PRIV"
            | "SHOW_VIEW_PRIV",
        ) => vec![],
        (Flavor::StarRocks, "SELECT") => vec![Privilege::Select],
        (Flavor::StarRocks, "INSERT") => vec![Privilege::Load],
        (
            Flavor::StarRocks,
            "UPDATE" | "DELETE" | "ALTER" | "DROP" | "EXPORT" | "CREATE" | "USAGE" | "GRANT"
            | "NODE" | "OPERATE" | "REFRESH",
        ) => vec![],
        _ => return None,
    })
}

/// `GRANT privs ON target TO [USER] u` / `REVOKE privs ON target FROM [USER] u`.
pub(crate) fn grant_or_revoke(engine: &Engine, current_db: Option<&str>, sql: &str) -> Reply {
    let flavor = engine.flavor();
    let mut p = Parser {
        toks: tokens(sql),
        at: 0,
    };
    let grant = p.kw("GRANT");
    if !grant && !p.kw("REVOKE") {
        return syntax(sql);
    }
    let mut privs = Vec::new();
    loop {
        let Some(name) = p.name() else {
            return syntax(sql);
        };
        // Multi-word names: ALL PRIVILEGES, CREATE TABLE / DATABASE / VIEW.
        if name.eq_ignore_ascii_case("ALL") {
            p.kw("PRIVILEGES");
        } else if name.eq_ignore_ascii_case("CREATE") {
            let _ = p.kw("TABLE") || p.kw("DATABASE") || p.kw("VIEW");
        }
        let Some(granted) = privileges(flavor, &name) else {
            return Reply::error(format!("Unknown privilege type {name}"));
        };
        privs.extend(granted);
        if !p.punct(',') {
            break;
        }
    }
    if !p.kw("ON") {
        return syntax(sql);
    }
    let Some(scope) = scope(&mut p, current_db) else {
        return syntax(sql);
    };
    if !(if grant { p.kw("TO") } else { p.kw("FROM") }) {
        return syntax(sql);
    }
    p.kw("USER");
    let Some(user) = p.user() else {
        return syntax(sql);
    };
    let done = if grant {
        engine.grant(&user, &scope, &privs)
    } else {
        engine.revoke(&user, &scope, &privs)
    };
    match done {
        Ok(()) => Reply::ok(),
        Err(e) => user_error(e, if grant { "GRANT" } else { "REVOKE" }, &user),
    }
}

/// `*.*`, `db.*`, `db.t`, `t`, `internal.db.t`, StarRocks' `TABLE db.t` and `ALL TABLES IN
/// [ALL DATABASES | DATABASE db]`, `DATABASE db`.
fn scope(p: &mut Parser, current_db: Option<&str>) -> Option<Scope> {
    if p.kw("ALL") {
        if !(p.kw("TABLES") && p.kw("IN")) {
            return None;
        }
        if p.kw("ALL") {
            return p.kw("DATABASES").then_some(Scope::Global);
        }
        p.kw("DATABASE");
        return p.name().map(Scope::Database);
    }
    if p.kw("DATABASE") {
        return p.name().map(Scope::Database);
    }
    p.kw("TABLE");
    let mut parts = Vec::new();
    loop {
        if p.punct('*') {
            parts.push(None);
        } else {
            parts.push(Some(p.name()?));
        }
        if !p.punct('.') {
            break;
        }
    }
    if parts.len() == 3 {
        parts.remove(0);
    }
    match parts.as_slice() {
        [None, None] => Some(Scope::Global),
        [Some(db), None] => Some(Scope::Database(db.clone())),
        [Some(db), Some(t)] => Some(Scope::Table(db.clone(), t.clone())),
        [Some(t)] => Some(Scope::Table(current_db?.to_string(), t.clone())),
        _ => None,
    }
}
