//! The vendors' words for load outcomes: Doris wraps messages as `[CODE]TStatus: errCode = n,
//! detailMessage = ...` when they come from the FE, StarRocks V1 sends the bare text.

use crate::engine::{BeginError, Flavor, TxnError, TxnState};

use super::load::params::ParamError;
use super::load_report::LoadStatus;

/// Doris' `ExistingJobStatus` for the state of the txn holding a label.
pub(crate) fn doris_existing(state: TxnState) -> &'static str {
    match state {
        TxnState::Prepare | TxnState::Aborted => "RUNNING",
        TxnState::Precommitted => "PRECOMMITTED",
        TxnState::Committed | TxnState::Visible => "FINISHED",
    }
}

/// StarRocks' `ExistingJobStatus`.
pub(crate) fn starrocks_existing(state: TxnState) -> &'static str {
    match state {
        TxnState::Committed | TxnState::Visible => "FINISHED",
        _ => "RUNNING",
    }
}

/// Status, `ExistingJobStatus` and message of a failed begin.
pub(crate) fn begin_error(
    flavor: Flavor,
    e: &BeginError,
    db: &str,
    table: &str,
    label: &str,
) -> (LoadStatus, Option<&'static str>, String) {
    match (flavor, e) {
        (Flavor::Doris, BeginError::UnknownDatabase) => (
            LoadStatus::Fail,
            None,
            format!(
                "[NOT_FOUND]TStatus: errCode = 7, detailMessage = unknown database, database={db}"
            ),
        ),
        (Flavor::Doris, BeginError::UnknownTable) => (
            LoadStatus::Fail,
            None,
            format!(
                "[NOT_FOUND]TStatus: errCode = 7, detailMessage = table not found, tableName={table}"
            ),
        ),
        (Flavor::Doris, BeginError::LabelAlreadyExists { txn_id, state }) => (
            LoadStatus::LabelAlreadyExists,
            Some(doris_existing(*state)),
            format!(
                "[LABEL_ALREADY_EXISTS]TStatus: errCode = 2, detailMessage = Label [{label}] has already been used, relate to txn [{txn_id}]"
            ),
        ),
        (Flavor::Doris, BeginError::TooManyRunningTxns { .. }) => (
            LoadStatus::Fail,
            None,
            format!("[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {e}"),
        ),
        (Flavor::StarRocks, BeginError::UnknownDatabase) => (
            LoadStatus::Fail,
            None,
            format!("unknown database, database={db}"),
        ),
        (Flavor::StarRocks, BeginError::UnknownTable) => (
            LoadStatus::Fail,
            None,
            format!("unknown table \"{db}.{table}\""),
        ),
        (Flavor::StarRocks, BeginError::LabelAlreadyExists { state, .. }) => (
            LoadStatus::LabelAlreadyExists,
            Some(starrocks_existing(*state)),
            format!("Label [{label}] has already been used."),
        ),
        (Flavor::StarRocks, BeginError::TooManyRunningTxns { .. }) => {
            (LoadStatus::Fail, None, e.to_string())
        }
    }
}

/// A planner error after begin.
pub(crate) fn plan_error(flavor: Flavor, e: &ParamError) -> String {
    match flavor {
        Flavor::Doris => format!(
            "[{}]TStatus: errCode = 2, detailMessage = {}",
            e.code, e.message
        ),
        Flavor::StarRocks => e.message.clone(),
    }
}

/// A header-phase error (before begin).
pub(crate) fn header_error(flavor: Flavor, e: &ParamError) -> String {
    match flavor {
        Flavor::Doris => format!("[{}]{}", e.code, e.message),
        Flavor::StarRocks => e.message.clone(),
    }
}

/// The body could not be received.
pub(crate) fn network_error(flavor: Flavor, e: &str) -> String {
    match flavor {
        Flavor::Doris => format!("[NETWORK_ERROR]{e}"),
        Flavor::StarRocks => e.to_string(),
    }
}

/// The body could not be decoded.
pub(crate) fn data_error(flavor: Flavor, e: &str) -> String {
    match flavor {
        Flavor::Doris => format!("[DATA_QUALITY_ERROR]{e}"),
        Flavor::StarRocks => e.to_string(),
    }
}

/// The frozen data-quality text.
pub(crate) fn too_many_filtered(flavor: Flavor) -> String {
    match flavor {
        Flavor::Doris => "[DATA_QUALITY_ERROR]too many filtered rows".into(),
        Flavor::StarRocks => "too many filtered rows".into(),
    }
}

/// A staging or commit failure.
pub(crate) fn txn_error(flavor: Flavor, e: &TxnError) -> String {
    match flavor {
        Flavor::Doris => format!("[INTERNAL_ERROR]{e}"),
        Flavor::StarRocks => e.to_string(),
    }
}

/// Doris FE `LoadAction`'s refusal of a user without `LOAD_PRIV` on the table
/// (`checkTblAuth` with `PrivPredicate.LOAD`, which `ADMIN_PRIV` also satisfies).
pub(crate) const DORIS_FE_LOAD_DENIED: &str = "Access denied; you need (at least one of) the Admin_priv,Load_priv privilege(s) for this operation";

/// The Doris FE's refusal when a BE asks on a user's behalf (`loadTxnBegin`, `loadTxn2PC`:
/// `checkPasswordAndPrivs` with `PrivPredicate.LOAD`).
pub(crate) const DORIS_LOAD_DENIED: &str =
    "Access denied; you need (at least one of) the LOAD privilege(s) for this operation";

/// Doris' `Access denied` text for a wrong password.
pub(crate) fn doris_access_denied(user: &str, ip: &str, password: &str) -> String {
    let using = if password.is_empty() { "NO" } else { "YES" };
    format!("Access denied for user '{user}@{ip}' (using password: {using})")
}

/// True when a Doris label matches `^[-_A-Za-z0-9:]{1,128}$`.
pub(crate) fn doris_label_ok(label: &str) -> bool {
    (1..=128).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b))
}

/// True when a StarRocks label matches `^[-\w]{1,128}$`.
pub(crate) fn starrocks_label_ok(label: &str) -> bool {
    (1..=128).contains(&label.chars().count())
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_rules() {
        assert!(doris_label_ok("a-b_c:1"));
        assert!(!doris_label_ok("a b"));
        assert!(!doris_label_ok(&"x".repeat(129)));
        assert!(starrocks_label_ok("a-b_c"));
        assert!(!starrocks_label_ok("a:b"));
    }

    #[test]
    fn doris_label_exists_text() {
        let e = BeginError::LabelAlreadyExists {
            txn_id: 5,
            state: TxnState::Visible,
        };
        let (status, existing, msg) = begin_error(Flavor::Doris, &e, "d", "t", "l1");
        assert_eq!(status, LoadStatus::LabelAlreadyExists);
        assert_eq!(existing, Some("FINISHED"));
        assert_eq!(
            msg,
            "[LABEL_ALREADY_EXISTS]TStatus: errCode = 2, detailMessage = Label [l1] has already been used, relate to txn [5]"
        );
    }
}
