//! The server version an emulator plays, and what that version changes on the wire.
//!
//! Clients decide what to send from the version they detect (`select current_version()`,
//! `@@version_comment`, `/api/fe_version_info`, a probing `POST /api/transaction/begin`), and
//! fall back to older request shapes on older servers. An emulator that always behaved like the
//! newest release would leave those fallbacks untested, so a version switches off, at the
//! release that brought it, every feature the emulator serves that appeared later:
//!
//! | feature | Doris | StarRocks |
//! |---|---|---|
//! | `_stream_load_2pc` by `label` (no `txn_id`) | 2.1 | — |
//! | group commit (`group_commit` header) | 2.1 | — |
//! | compressed JSON bodies | 2.1 | 3.2.7 |
//! | transaction Stream Load (`/api/transaction/*`) | — | 2.4 |
//! | merge commit (`enable_merge_commit`) | — | 3.4.0 |
//! | `prepared_timeout` | — | 3.5.4 |
//!
//! An older server does not know the newer request: a header it does not know is ignored (the
//! load runs as a plain load), an endpoint it does not have gets its "not found" answer. See
//! `http::version_gate` for where this is applied.

use std::fmt;

use crate::engine::Flavor;

/// A release as `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Patch number.
    pub patch: u32,
}

/// The patch release a `major.minor` without a patch stands for: a late release of that line,
/// so that `3.5` has what the 3.5 line ended up with.
const LINES: &[(Flavor, u32, u32, u32)] = &[
    (Flavor::Doris, 2, 0, 15),
    (Flavor::Doris, 2, 1, 8),
    (Flavor::Doris, 3, 0, 3),
    (Flavor::StarRocks, 2, 3, 18),
    (Flavor::StarRocks, 2, 5, 22),
    (Flavor::StarRocks, 3, 1, 17),
    (Flavor::StarRocks, 3, 2, 15),
    (Flavor::StarRocks, 3, 3, 9),
    (Flavor::StarRocks, 3, 4, 3),
    (Flavor::StarRocks, 3, 5, 4),
    (Flavor::StarRocks, 4, 0, 0),
];

impl ServerVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> ServerVersion {
        ServerVersion {
            major,
            minor,
            patch,
        }
    }

    /// The version an emulator of `flavor` plays unless told otherwise (Doris 2.1.8,
    /// StarRocks 3.5.4).
    pub const fn default_for(flavor: Flavor) -> ServerVersion {
        match flavor {
            Flavor::Doris => ServerVersion::new(2, 1, 8),
            Flavor::StarRocks => ServerVersion::new(3, 5, 4),
        }
    }

    /// Parses `MAJOR.MINOR[.PATCH]` for `flavor`; without a patch, the line's late release.
    pub fn parse(flavor: Flavor, text: &str) -> Result<ServerVersion, String> {
        let bad = || format!("version {text:?}: expected MAJOR.MINOR or MAJOR.MINOR.PATCH");
        let numbers: Vec<u32> = text
            .trim()
            .split('.')
            .map(|p| p.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match numbers.as_slice() {
            [major, minor] => {
                let patch = LINES
                    .iter()
                    .find(|(f, ma, mi, _)| *f == flavor && ma == major && mi == minor)
                    .map_or(0, |line| line.3);
                Ok(ServerVersion::new(*major, *minor, patch))
            }
            [major, minor, patch] => Ok(ServerVersion::new(*major, *minor, *patch)),
            _ => Err(bad()),
        }
    }

    /// True from `major.minor.patch` on.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// The product version string: `doris-2.1.8-rc01-emulator` (Doris' `doris-X.Y.Z-rcNN-hash`
    /// shape) or `3.5.4-emulator` (StarRocks' `X.Y.Z-hash`).
    pub fn product(&self, flavor: Flavor) -> String {
        match flavor {
            Flavor::Doris => format!("doris-{self}-rc01-emulator"),
            Flavor::StarRocks => format!("{self}-emulator"),
        }
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A flavor and the version it plays: the features that depend on the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// Doris or StarRocks.
    pub flavor: Flavor,
    /// Its version.
    pub version: ServerVersion,
}

impl Release {
    /// `flavor` at `version`.
    pub const fn new(flavor: Flavor, version: ServerVersion) -> Release {
        Release { flavor, version }
    }

    fn doris_since(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.flavor == Flavor::Doris && self.version.at_least(major, minor, patch)
    }

    fn starrocks_since(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.flavor == Flavor::StarRocks && self.version.at_least(major, minor, patch)
    }

    /// Doris `_stream_load_2pc` with a `label` instead of a `txn_id` (2.1).
    pub fn two_phase_by_label(&self) -> bool {
        self.doris_since(2, 1, 0)
    }

    /// Doris group commit (2.1).
    pub fn group_commit(&self) -> bool {
        self.doris_since(2, 1, 0)
    }

    /// Compressed JSON bodies: Doris `compress_type` with `format: json` (2.1), StarRocks
    /// `compression` / `Content-Encoding` on JSON (3.2.7).
    pub fn json_compression(&self) -> bool {
        self.doris_since(2, 1, 0) || self.starrocks_since(3, 2, 7)
    }

    /// StarRocks transaction Stream Load, `/api/transaction/*` (2.4).
    pub fn transactions(&self) -> bool {
        self.starrocks_since(2, 4, 0)
    }

    /// StarRocks merge commit (3.4.0).
    pub fn merge_commit(&self) -> bool {
        self.starrocks_since(3, 4, 0)
    }

    /// StarRocks `prepared_timeout` on `/api/transaction/prepare` (3.5.4).
    pub fn prepared_timeout(&self) -> bool {
        self.starrocks_since(3, 5, 4)
    }

    /// StarRocks multi-table transactions, `transaction_type: multi` on `/api/transaction/*`
    /// (4.0).
    pub fn multi_table_txn(&self) -> bool {
        self.starrocks_since(4, 0, 0)
    }

    /// `current_version()` / `@@version_comment` product string.
    pub fn product(&self) -> String {
        self.version.product(self.flavor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_stand_for_their_late_release() {
        let v = ServerVersion::parse(Flavor::StarRocks, "3.5").unwrap();
        assert_eq!(v, ServerVersion::new(3, 5, 4));
        assert_eq!(
            ServerVersion::parse(Flavor::StarRocks, "3.5.1").unwrap(),
            ServerVersion::new(3, 5, 1)
        );
        assert_eq!(
            ServerVersion::parse(Flavor::Doris, "3.1").unwrap(),
            ServerVersion::new(3, 1, 0)
        );
        assert!(ServerVersion::parse(Flavor::Doris, "2").is_err());
        assert!(ServerVersion::parse(Flavor::Doris, "2.x").is_err());
    }

    #[test]
    fn features_switch_at_their_release() {
        let sr = |t: &str| {
            Release::new(
                Flavor::StarRocks,
                ServerVersion::parse(Flavor::StarRocks, t).unwrap(),
            )
        };
        let doris = |t: &str| {
            Release::new(
                Flavor::Doris,
                ServerVersion::parse(Flavor::Doris, t).unwrap(),
            )
        };
        assert!(!sr("2.3").transactions() && sr("2.5").transactions());
        assert!(!sr("3.3").merge_commit() && sr("3.4").merge_commit());
        assert!(!sr("3.5.3").prepared_timeout() && sr("3.5").prepared_timeout());
        assert!(!sr("3.2.6").json_compression() && sr("3.2.7").json_compression());
        assert!(!sr("3.5").multi_table_txn() && sr("4.0").multi_table_txn());
        assert!(!doris("2.0").group_commit() && doris("2.1").group_commit());
        assert!(!doris("2.0").two_phase_by_label() && doris("3.0").two_phase_by_label());
        assert!(!doris("3.0").transactions() && !sr("4.0").group_commit());
        assert_eq!(doris("2.0").product(), "doris-2.0.15-rc01-emulator");
        assert_eq!(sr("3.4").product(), "3.4.3-emulator");
    }
}
