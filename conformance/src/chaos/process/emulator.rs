//! The emulator as a child process, killed with SIGKILL and restarted on the same data
//! directory and ports (the proxies keep pointing at them).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{Tail, drain_into};

/// How long a start may take before it counts as a failure.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Starts attempted when a port is still held by the killed process's sockets.
const START_ATTEMPTS: u32 = 5;

/// The addresses an emulator listens on.
#[derive(Debug, Clone, Copy)]
pub struct EmulatorPorts {
    /// FE HTTP.
    pub fe: SocketAddr,
    /// The one BE's HTTP.
    pub be: SocketAddr,
    /// MySQL.
    pub mysql: SocketAddr,
}

/// A running (or killed) emulator child.
#[derive(Debug)]
pub struct EmulatorProcess {
    program: PathBuf,
    flavor: &'static str,
    data_dir: PathBuf,
    ports: EmulatorPorts,
    child: Option<Child>,
    stderr: Tail,
}

impl EmulatorProcess {
    /// Starts `program` (the `chaos_emulator` binary) on ephemeral ports.
    pub async fn start(
        program: &Path,
        flavor: &'static str,
        data_dir: &Path,
    ) -> Result<EmulatorProcess, String> {
        let stderr = Tail::default();
        let (child, ports) = spawn(program, flavor, data_dir, None, &stderr).await?;
        Ok(EmulatorProcess {
            program: program.to_owned(),
            flavor,
            data_dir: data_dir.to_owned(),
            ports,
            child: Some(child),
            stderr,
        })
    }

    /// Its addresses (the same across restarts).
    pub fn ports(&self) -> EmulatorPorts {
        self.ports
    }

    /// SIGKILL, and wait for the process to be gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(READY_TIMEOUT, child.wait()).await;
        }
    }

    /// Starts it again on the same data directory and ports; the error carries its stderr.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.kill().await;
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match spawn(
                &self.program,
                self.flavor,
                &self.data_dir,
                Some(self.ports),
                &self.stderr,
            )
            .await
            {
                Ok((child, _)) => {
                    self.child = Some(child);
                    return Ok(());
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Err(last)
    }
}

async fn spawn(
    program: &Path,
    flavor: &str,
    data_dir: &Path,
    ports: Option<EmulatorPorts>,
    stderr_tail: &Tail,
) -> Result<(Child, EmulatorPorts), String> {
    let port = |f: fn(&EmulatorPorts) -> SocketAddr| ports.as_ref().map_or(0, |p| f(p).port());
    let mut child = Command::new(program)
        .arg(format!("--flavor={flavor}"))
        .arg(format!("--data-dir={}", data_dir.display()))
        .arg(format!("--fe-http-port={}", port(|p| p.fe)))
        .arg(format!("--be-http-port={}", port(|p| p.be)))
        .arg(format!("--mysql-port={}", port(|p| p.mysql)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot spawn the emulator: {e}"))?;
    let stdout = child.stdout.take().ok_or("no emulator stdout")?;
    let stderr = child.stderr.take().ok_or("no emulator stderr")?;
    drain_into(stderr, stderr_tail.clone());
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(READY_TIMEOUT, lines.next_line()).await;
    let line = match ready {
        Ok(Ok(Some(line))) => line,
        Ok(_) => {
            let status = child
                .wait()
                .await
                .map(|s| s.to_string())
                .unwrap_or_default();
            // Give the stderr task a moment to read what the emulator said before it died.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(format!(
                "the emulator exited ({status}) before ready: {}",
                stderr_tail.text()
            ));
        }
        Err(_) => {
            return Err(format!(
                "the emulator was not ready within {READY_TIMEOUT:?}: {}",
                stderr_tail.text()
            ));
        }
    };
    let parsed = parse_ready(&line).ok_or_else(|| format!("unexpected emulator line {line:?}"))?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, parsed))
}

/// `ready fe_http=http://H:P be_http=http://H:P mysql=mysql://root@H:P`.
fn parse_ready(line: &str) -> Option<EmulatorPorts> {
    let field = |name: &str| -> Option<SocketAddr> {
        let value = line.split_whitespace().find_map(|w| w.strip_prefix(name))?;
        let authority = value.rsplit_once("//").map_or(value, |(_, a)| a);
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        authority
            .split(',')
            .next()?
            .trim_end_matches('/')
            .parse()
            .ok()
    };
    Some(EmulatorPorts {
        fe: field("fe_http=")?,
        be: field("be_http=")?,
        mysql: field("mysql=")?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ready_line_gives_every_address() {
        let ports = super::parse_ready(
            "ready fe_http=http://127.0.0.1:1001 be_http=http://127.0.0.1:1002 mysql=mysql://root@127.0.0.1:1003",
        )
        .unwrap();
        assert_eq!(
            (ports.fe.port(), ports.be.port(), ports.mysql.port()),
            (1001, 1002, 1003)
        );
    }
}
