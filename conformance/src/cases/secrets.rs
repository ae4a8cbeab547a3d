//! The password never appears: not in TRACE-level logs of every crate (ours, reqwest, hyper),
//! not in any error's `Display` or `Debug`, not in the `Debug` of protocols and sinks.
//!
//! Doris' FE even writes the credentials into its redirect `Location`, so a client that logs
//! redirects verbatim leaks them; this case drives a successful load, a refused one and a failed
//! one with everything captured.

use std::io;
use std::sync::{Arc, Mutex};

use streamload_core::{Op, Sink, Value};
use tracing_subscriber::fmt::MakeWriter;

use crate::ensure;
use crate::failure::Result;
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};

use super::support::deliver;

/// Log lines captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Ok(mut lines) = self.0.lock() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

/// With tracing at TRACE and every error and handle printed, the password never shows.
pub async fn password_never_in_trace_logs_or_errors(target: &dyn Target) -> Result {
    let password = target.password().to_owned();
    let wrong = "wrong-secret-0c4d";
    ensure!(!password.is_empty(), "the target needs a password to check");
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    // The runtime of a suite test is single-threaded, so the thread default sees every task.
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut printed = String::new();

    let table = target
        .create_table(&TableSpec::new(
            "secrets",
            Keys::Duplicate,
            &[("id", "INT"), ("v", "INT")],
        ))
        .await?;
    let columns = ["id", "v"];
    for (password_used, value) in [
        (None, Value::Int(1)),
        (None, Value::Text("not-a-number".into())),
        (Some(wrong.to_owned()), Value::Int(2)),
    ] {
        let setup = ProtocolSetup {
            label_prefix: Some("secrets".to_owned()),
            wrong_password: password_used,
            ..ProtocolSetup::default()
        };
        let protocol = target.protocol(&setup).await?;
        printed.push_str(&format!("{protocol:?}\n"));
        let mut sink = Sink::new(protocol, target.sink_config("secrets").build()?)?;
        printed.push_str(&format!("{sink:?}\n"));
        let outcome = match sink
            .write_values(&table, Op::Upsert, &columns, &[Value::Int(1), value])
            .await
        {
            Ok(()) => deliver(&mut sink, 1).await.map(drop),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = outcome {
            printed.push_str(&format!("{e}\n{e:?}\n"));
        }
        if let Err(e) = sink.close().await {
            printed.push_str(&format!("{e}\n{e:?}\n"));
        }
    }
    let logs = logs.text();
    ensure!(
        !logs.is_empty(),
        "nothing was logged at TRACE; the check would be empty"
    );
    for secret in [password.as_str(), wrong] {
        if let Some(at) = logs.find(secret) {
            let start = logs[..at].rfind('\n').map_or(0, |n| n + 1);
            let end = logs[at..].find('\n').map_or(logs.len(), |n| at + n);
            return Err(crate::Failure::new(format!(
                "a password appears in the TRACE log: {}",
                logs[start..end].replace(secret, "<PASSWORD>")
            )));
        }
        ensure!(
            !printed.contains(secret),
            "a password appears in printed errors or handles: {}",
            printed.replace(secret, "<PASSWORD>")
        );
    }
    Ok(())
}
