//! Users beside the configured one, and the two privileges a Stream Load client meets: reading
//! a table (Doris `SELECT_PRIV`, StarRocks `SELECT`) and loading into it (Doris `LOAD_PRIV`,
//! StarRocks `INSERT`). `CREATE USER` / `GRANT` over the MySQL port fill this; the HTTP side
//! asks it before a load, 2PC call or transaction, and the MySQL side before a query, so a
//! client's authorization errors are tested against the servers' answers rather than only a
//! wrong password. The configured user keeps every privilege. Users live in memory only.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::Engine;

/// A privilege the emulator enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Privilege {
    /// Read a table: Doris `SELECT_PRIV`, StarRocks `SELECT`.
    Select,
    /// Load into a table (Stream Load, 2PC, transactions, INSERT): Doris `LOAD_PRIV`,
    /// StarRocks `INSERT`.
    Load,
}

/// What a grant covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `*.*`: every table of every database.
    Global,
    /// `db.*`: every table of one database.
    Database(String),
    /// `db.t`: one table.
    Table(String, String),
}

impl Scope {
    fn covers(&self, db: &str, table: &str) -> bool {
        match self {
            Scope::Global => true,
            Scope::Database(d) => d.eq_ignore_ascii_case(db),
            Scope::Table(d, t) => d.eq_ignore_ascii_case(db) && t.eq_ignore_ascii_case(table),
        }
    }
}

/// Why a user statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserError {
    /// CREATE USER of a user that exists (the configured one included).
    Exists,
    /// DROP USER / GRANT / REVOKE naming a user that does not exist.
    Missing,
}

#[derive(Debug, Default)]
struct Account {
    password: String,
    grants: Vec<(Scope, Privilege)>,
}

/// The created users, shared by every clone of an [`Engine`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Users(Arc<Mutex<BTreeMap<String, Account>>>);

impl Users {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Account>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Engine {
    /// True when `user` is the configured (all-privileged) user.
    pub fn is_admin(&self, user: &str) -> bool {
        self.user() == user
    }

    /// The password of the configured user or of a created one.
    pub(crate) fn password_of(&self, user: &str) -> Option<String> {
        if self.is_admin(user) {
            return Some(self.password());
        }
        self.users.lock().get(user).map(|a| a.password.clone())
    }

    /// `CREATE USER`: a user with `password` and no privileges.
    pub fn create_user(
        &self,
        user: &str,
        password: &str,
        if_not_exists: bool,
    ) -> Result<(), UserError> {
        let mut users = self.users.lock();
        if self.is_admin(user) || users.contains_key(user) {
            return if if_not_exists {
                Ok(())
            } else {
                Err(UserError::Exists)
            };
        }
        users.insert(
            user.to_string(),
            Account {
                password: password.to_string(),
                grants: Vec::new(),
            },
        );
        Ok(())
    }

    /// `DROP USER`.
    pub fn drop_user(&self, user: &str, if_exists: bool) -> Result<(), UserError> {
        match self.users.lock().remove(user) {
            Some(_) => Ok(()),
            None if if_exists => Ok(()),
            None => Err(UserError::Missing),
        }
    }

    /// `GRANT`: adds `privileges` on `scope`. Granting to the configured user changes nothing.
    pub fn grant(
        &self,
        user: &str,
        scope: &Scope,
        privileges: &[Privilege],
    ) -> Result<(), UserError> {
        if self.is_admin(user) {
            return Ok(());
        }
        let mut users = self.users.lock();
        let account = users.get_mut(user).ok_or(UserError::Missing)?;
        for p in privileges {
            let grant = (scope.clone(), *p);
            if !account.grants.contains(&grant) {
                account.grants.push(grant);
            }
        }
        Ok(())
    }

    /// `REVOKE`: removes `privileges` granted on exactly `scope`.
    pub fn revoke(
        &self,
        user: &str,
        scope: &Scope,
        privileges: &[Privilege],
    ) -> Result<(), UserError> {
        if self.is_admin(user) {
            return Ok(());
        }
        let mut users = self.users.lock();
        let account = users.get_mut(user).ok_or(UserError::Missing)?;
        account
            .grants
            .retain(|(s, p)| !(s == scope && privileges.contains(p)));
        Ok(())
    }

    /// True when `user` may use `privilege` on `db.table`: the configured user always, a
    /// created user through a grant on the table, its database or `*.*`.
    pub fn has_privilege(&self, user: &str, db: &str, table: &str, privilege: Privilege) -> bool {
        if self.is_admin(user) {
            return true;
        }
        self.users.lock().get(user).is_some_and(|a| {
            a.grants
                .iter()
                .any(|(s, p)| *p == privilege && s.covers(db, table))
        })
    }

    /// True when `user` / `password` name the configured user or a created one.
    pub(crate) fn check_created_user(&self, user: &str, password: &str) -> bool {
        self.users
            .lock()
            .get(user)
            .is_some_and(|a| a.password == password)
    }
}
