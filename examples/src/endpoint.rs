//! Where the examples send their rows: a real cluster named by environment variables, or an
//! emulator started in-process when none is named.
//!
//! Every example runs on a fresh machine with no configuration (the emulator starts in
//! milliseconds) and against a real Doris or StarRocks by setting a few variables; this file is
//! the one place that makes that choice, so the examples themselves only see an [`Endpoint`].

use std::fmt;

use streamload_core::{Error, ErrorKind, Result};
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

/// Which server an endpoint speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// Apache Doris.
    Doris,
    /// StarRocks.
    StarRocks,
}

impl Vendor {
    /// The prefix of this vendor's environment variables (`DORIS`, `STARROCKS`).
    pub fn env_prefix(self) -> &'static str {
        match self {
            Vendor::Doris => "DORIS",
            Vendor::StarRocks => "STARROCKS",
        }
    }

    /// A display name.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Doris => "Doris",
            Vendor::StarRocks => "StarRocks",
        }
    }

    fn flavor(self) -> Flavor {
        match self {
            Vendor::Doris => Flavor::Doris,
            Vendor::StarRocks => Flavor::StarRocks,
        }
    }
}

impl std::str::FromStr for Vendor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Vendor> {
        match s.to_ascii_lowercase().as_str() {
            "doris" => Ok(Vendor::Doris),
            "starrocks" => Ok(Vendor::StarRocks),
            other => Err(Error::new(
                ErrorKind::Config,
                format!("unknown vendor {other:?}: doris or starrocks"),
            )),
        }
    }
}

/// One cluster: FE HTTP address, MySQL address and credentials, and the emulator behind them
/// when it was started here. `Debug` never shows the password.
pub struct Endpoint {
    /// The vendor.
    pub vendor: Vendor,
    /// `http://host:port` of an FE.
    pub fe_url: String,
    /// Host of the MySQL port.
    pub mysql_host: String,
    /// The MySQL port.
    pub mysql_port: u16,
    /// User name (for HTTP and MySQL).
    pub user: String,
    password: String,
    emulator: Option<EmulatorHandle>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("vendor", &self.vendor)
            .field("fe_url", &self.fe_url)
            .field("mysql_host", &self.mysql_host)
            .field("mysql_port", &self.mysql_port)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("emulated", &self.emulator.is_some())
            .finish()
    }
}

impl Endpoint {
    /// The cluster named by `{VENDOR}_FE_URL` (with `{VENDOR}_MYSQL_URL`, default the FE host
    /// on port 9030, `{VENDOR}_USER`, default `root`, and `{VENDOR}_PASSWORD`, default empty),
    /// or a new in-process emulator when `{VENDOR}_FE_URL` is unset.
    pub async fn from_env_or_emulator(vendor: Vendor) -> Result<Endpoint> {
        let prefix = vendor.env_prefix();
        let var = |name: &str| std::env::var(format!("{prefix}_{name}")).ok();
        match var("FE_URL") {
            Some(fe) => Endpoint::remote(
                vendor,
                &fe,
                var("MYSQL_URL").as_deref(),
                var("USER").unwrap_or_else(|| "root".into()),
                var("PASSWORD").unwrap_or_default(),
            ),
            None => Endpoint::emulated(vendor).await,
        }
    }

    /// A real cluster. `mysql_url` is `mysql://host:port` or `host:port` (credentials in it are
    /// ignored: pass them as `user` / `password`); by default the FE's host on port 9030.
    pub fn remote(
        vendor: Vendor,
        fe_url: &str,
        mysql_url: Option<&str>,
        user: String,
        password: String,
    ) -> Result<Endpoint> {
        let fe_url = if fe_url.contains("://") {
            fe_url.trim_end_matches('/').to_owned()
        } else {
            format!("http://{}", fe_url.trim_end_matches('/'))
        };
        let fe_host = host_port(&fe_url)
            .map(|(h, _)| h)
            .ok_or_else(|| bad_url("FE_URL", vendor))?;
        let (mysql_host, mysql_port) = match mysql_url {
            Some(url) => host_port(url).ok_or_else(|| bad_url("MYSQL_URL", vendor))?,
            None => (fe_host, 9030),
        };
        Ok(Endpoint {
            vendor,
            fe_url,
            mysql_host,
            mysql_port,
            user,
            password,
            emulator: None,
        })
    }

    /// A new in-process emulator of `vendor` (user `root`, empty password).
    pub async fn emulated(vendor: Vendor) -> Result<Endpoint> {
        Endpoint::emulated_with(EmulatorConfig::new(vendor.flavor())).await
    }

    /// A new in-process emulator with this configuration.
    pub async fn emulated_with(config: EmulatorConfig) -> Result<Endpoint> {
        let vendor = match config.flavor {
            Flavor::Doris => Vendor::Doris,
            Flavor::StarRocks => Vendor::StarRocks,
        };
        let password = config.password.clone();
        let emulator = Emulator::start(config).await.map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("the emulator did not start: {e}"),
            )
            .set_source(e)
        })?;
        let mysql = emulator.mysql_url();
        let (user, address) = mysql
            .trim_start_matches("mysql://")
            .split_once('@')
            .map(|(u, a)| (u.to_owned(), a.to_owned()))
            .ok_or_else(|| bad_url("MYSQL_URL", vendor))?;
        let (mysql_host, mysql_port) =
            host_port(&address).ok_or_else(|| bad_url("MYSQL_URL", vendor))?;
        Ok(Endpoint {
            vendor,
            fe_url: emulator.fe_url(),
            mysql_host,
            mysql_port,
            user,
            password,
            emulator: Some(emulator),
        })
    }

    /// The password (for building a protocol; never print it).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The emulator, when this endpoint runs one.
    pub fn emulator(&self) -> Option<&EmulatorHandle> {
        self.emulator.as_ref()
    }

    /// `jdbc:mysql://host:port`, as the StarRocks connector's `jdbc-url` wants it.
    pub fn jdbc_url(&self) -> String {
        format!("jdbc:mysql://{}:{}", self.mysql_host, self.mysql_port)
    }

    /// Where it is, for people: the FE address and whether it is emulated.
    pub fn describe(&self) -> String {
        match self.emulator {
            Some(_) => format!("{} emulator at {}", self.vendor.name(), self.fe_url),
            None => format!("{} cluster at {}", self.vendor.name(), self.fe_url),
        }
    }

    /// Stops the emulator, if any.
    pub async fn shutdown(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

fn bad_url(name: &str, vendor: Vendor) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("{}_{name} is not host:port or a URL", vendor.env_prefix()),
    )
}

/// `(host, port)` of `scheme://user:pass@host:port/path` or `host:port`.
fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let (host, port) = authority.rsplit_once(':')?;
    Some((host.to_owned(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_endpoints_parse_urls_and_hide_the_password() {
        let e = Endpoint::remote(
            Vendor::Doris,
            "fe1:8030",
            Some("mysql://u:hidden@fe1:9030/db"),
            "u".into(),
            "s3cr3t".into(),
        )
        .unwrap();
        assert_eq!(e.fe_url, "http://fe1:8030");
        assert_eq!((e.mysql_host.as_str(), e.mysql_port), ("fe1", 9030));
        assert!(!format!("{e:?}").contains("s3cr3t"));
        let e = Endpoint::remote(
            Vendor::StarRocks,
            "http://fe2:8030/",
            None,
            "root".into(),
            String::new(),
        )
        .unwrap();
        assert_eq!(e.jdbc_url(), "jdbc:mysql://fe2:9030");
        let err =
            Endpoint::remote(Vendor::Doris, "fe", None, "r".into(), String::new()).unwrap_err();
        assert!(err.message().contains("DORIS_FE_URL"), "{err}");
    }
}
