//! Failures the user must be able to act on: wrong credentials, a table that does not exist,
//! rows the server rejects. Each must be a typed error (not a retry loop, not a silent success),
//! and a data-quality failure must carry the server's reason for the rejected rows.

use streamload_core::{Delivery, Error, ErrorKind, LoadProtocol, Op, Sink, Table, Value};

use crate::failure::{Failure, Result};
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq};

/// Writes `rows`, then flushes (batched) or prepares (checkpointed); returns the first error
/// of any step, or fails the case when every step succeeded.
async fn error_of<P: LoadProtocol + 'static>(
    sink: &mut Sink<P>,
    table: &Table,
    rows: &[[Value; 2]],
) -> Result<Error> {
    for values in rows {
        if let Err(e) = sink
            .write_values(table, Op::Upsert, &["id", "v"], values)
            .await
        {
            return Ok(e);
        }
    }
    let outcome = match sink.config().delivery {
        Delivery::Checkpointed => sink.prepare(1).await.map(drop),
        Delivery::Batched => sink.flush().await,
    };
    outcome
        .err()
        .ok_or_else(|| Failure::new("every step succeeded; an error was expected"))
}

fn id_v_table(name: &str) -> TableSpec {
    TableSpec::new(name, Keys::Duplicate, &[("id", "INT"), ("v", "INT")])
}

/// A wrong password is an `Unauthorized` error that never shows the password.
pub async fn wrong_password_is_unauthorized(target: &dyn Target) -> Result {
    let table = target.create_table(&id_v_table("auth")).await?;
    let wrong = "wrong-password-5b1e";
    let setup = ProtocolSetup {
        label_prefix: Some("auth".to_owned()),
        wrong_password: Some(wrong.to_owned()),
        ..ProtocolSetup::default()
    };
    let protocol = match target.protocol(&setup).await {
        Ok(p) => p,
        Err(f) => return Err(f.context("building a protocol with a wrong password")),
    };
    let mut sink = Sink::new(protocol, target.sink_config("auth").build()?)?;
    let err = error_of(&mut sink, &table, &[[Value::Int(1), Value::Int(1)]]).await?;
    let text = format!("{err} {err:?}");
    ensure!(!text.contains(wrong), "the password leaked: {text}");
    ensure_eq!(err.kind(), ErrorKind::Unauthorized, "error kind: {err}");
    ensure!(!err.is_retryable(), "an auth failure is permanent: {err}");
    ensure!(!text.contains(wrong), "the password leaked: {text}");
    ensure_eq!(target.count(&table).await?, 0, "rows after an auth failure");
    Ok(())
}

/// A table that does not exist is a `NotFound` error naming it.
pub async fn unknown_table_is_not_found(target: &dyn Target) -> Result {
    let table = Table::new(target.database(), "no_such_table");
    let mut sink = target.sink("unknown").await?;
    let err = error_of(&mut sink, &table, &[[Value::Int(1), Value::Int(1)]]).await?;
    ensure_eq!(err.kind(), ErrorKind::NotFound, "error kind: {err}");
    ensure!(
        err.to_string().contains("no_such_table"),
        "the error names the table: {err}"
    );
    Ok(())
}

/// Rows the server rejects fail the load with `DataQuality`, and the error carries the
/// server's reason (the rejected value), not only a count.
pub async fn rejected_rows_carry_the_server_reason(target: &dyn Target) -> Result {
    let table = target.create_table(&id_v_table("quality")).await?;
    let mut sink = target.sink("quality").await?;
    // Written into the NOT NULL key column: no conversion mode turns it into a NULL there.
    let rows = [
        [Value::Int(1), Value::Int(1)],
        [Value::Text("not-a-number-xyz".into()), Value::Int(2)],
    ];
    let err = error_of(&mut sink, &table, &rows).await?;
    ensure_eq!(err.kind(), ErrorKind::DataQuality, "error kind: {err}");
    ensure!(
        err.to_string().contains("not-a-number-xyz"),
        "the error carries the rejected row or the server's reason: {err}"
    );
    ensure_eq!(
        target.count(&table).await?,
        0,
        "a failed load loads nothing"
    );
    Ok(())
}
