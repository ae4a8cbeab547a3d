//! `SHOW TRANSACTION [FROM db] WHERE id = N | label = 'L'` (Doris): a transaction's state over
//! the MySQL port, in the server's column layout, from the engine's transaction table.

use crate::engine::lexer::{Cursor, Token};
use crate::engine::{Engine, Flavor, TxnInfo, Value, datetime_text};

use super::reply::{Reply, text};

const COLUMNS: [&str; 9] = [
    "TransactionId",
    "Label",
    "Coordinator",
    "TransactionStatus",
    "LoadJobSourceType",
    "PrepareTime",
    "PreCommitTime",
    "FinishTime",
    "Reason",
];

fn time(ms: Option<i64>) -> Value {
    ms.map(|m| text(datetime_text(m))).unwrap_or(text("NULL"))
}

fn row(engine: &Engine, t: &TxnInfo) -> Vec<Value> {
    let state = match engine.flavor() {
        Flavor::Doris => t.state.doris_name(),
        Flavor::StarRocks => t.state.starrocks_name(),
    };
    vec![
        Value::Int(i128::from(t.id)),
        text(t.label.clone()),
        text(format!("BE: 127.0.0.1 (#{})", t.coordinator_be)),
        text(state),
        text("BACKEND_STREAMING"),
        time(Some(t.created_ms)),
        time(t.precommitted_ms),
        time(t.finished_ms),
        text(t.abort_reason.clone().unwrap_or_default()),
    ]
}

/// Answers the statement (the cursor is after `SHOW TRANSACTION`).
pub(crate) fn show_transaction(engine: &Engine, current_db: Option<&str>, sql: &str) -> Reply {
    match run(engine, current_db, sql) {
        Ok(r) => r,
        Err(m) => Reply::Error {
            code: 1064,
            message: m,
        },
    }
}

fn run(engine: &Engine, current_db: Option<&str>, sql: &str) -> Result<Reply, String> {
    let mut cur = Cursor::new(sql).map_err(|e| e.to_string())?;
    cur.expect_kw("SHOW").map_err(|e| e.to_string())?;
    cur.expect_kw("TRANSACTION").map_err(|e| e.to_string())?;
    let db = if cur.eat_kw("FROM") || cur.eat_kw("IN") {
        Some(cur.ident().map_err(|e| e.to_string())?)
    } else {
        current_db.map(str::to_string)
    };
    let db = db.ok_or("No database selected")?;
    if engine.database_id(&db).is_none() {
        return Err(format!("Unknown database '{db}'"));
    }
    cur.expect_kw("WHERE").map_err(|e| e.to_string())?;
    let key = cur.ident().map_err(|e| e.to_string())?.to_ascii_lowercase();
    cur.expect_punct('=').map_err(|e| e.to_string())?;
    let value = match cur.next() {
        Some(Token::Str(s)) | Some(Token::Number(s)) | Some(Token::Word(s)) => s,
        _ => return Err("expected a value after '='".into()),
    };
    let txn = match key.as_str() {
        "id" => {
            let id: i64 = value
                .parse()
                .map_err(|_| format!("transaction id '{value}' is not a number"))?;
            engine.txn(&db, id)
        }
        "label" => engine.txn_by_label(&db, &value),
        other => {
            return Err(format!(
                "Where clause should looks like one of them: id = 123 or label = 'label' (got {other})"
            ));
        }
    };
    let rows = txn.iter().map(|t| row(engine, t)).collect();
    Ok(Reply::rows(&COLUMNS, rows))
}
