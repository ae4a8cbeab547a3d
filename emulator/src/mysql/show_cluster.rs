//! The cluster's own SHOW statements: `SHOW BACKENDS` (and `SHOW PROC '/backends'`, which the
//! servers answer with the same rows), `SHOW FRONTENDS`, `SHOW TABLE STATUS` and
//! `ADMIN SHOW FRONTEND CONFIG`, in each vendor's column layout. Tools probe these to learn
//! the cluster (the StarRocks SQLAlchemy dialect reads `run_mode` from the FE config on
//! connect; admin UIs and the mariadb CLI list the nodes), so they answer result sets, not OKs.

use crate::engine::{Engine, Flavor, Value};

use super::reply::{Reply, text};
use super::router::like;

/// Where the cluster's nodes listen, as SHOW BACKENDS / FRONTENDS report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The host every node advertises.
    pub host: String,
    /// FE HTTP ports, the leader first.
    pub fe_http_ports: Vec<u16>,
    /// BE HTTP ports.
    pub be_http_ports: Vec<u16>,
    /// The MySQL (query) port.
    pub query_port: u16,
}

impl Default for Topology {
    /// One FE and one BE on the servers' default ports.
    fn default() -> Topology {
        Topology {
            host: "127.0.0.1".into(),
            fe_http_ports: vec![8030],
            be_http_ports: vec![8040],
            query_port: 9030,
        }
    }
}

const STARTED: &str = "2024-01-01 00:00:00";

/// `SHOW BACKENDS` / `SHOW PROC '/backends'`.
pub(crate) fn backends(flavor: Flavor, topology: &Topology, version: &str) -> Reply {
    let columns: &[&str] = match flavor {
        Flavor::StarRocks => &[
            "BackendId",
            "IP",
            "HeartbeatPort",
            "BePort",
            "HttpPort",
            "BrpcPort",
            "LastStartTime",
            "LastHeartbeat",
            "Alive",
            "SystemDecommissioned",
            "ClusterDecommissioned",
            "TabletNum",
            "DataUsedCapacity",
            "AvailCapacity",
            "TotalCapacity",
            "UsedPct",
            "MaxDiskUsedPct",
            "ErrMsg",
            "Version",
            "Status",
            "DataTotalCapacity",
            "DataUsedPct",
            "CpuCores",
            "MemLimit",
            "NumRunningQueries",
            "MemUsedPct",
            "CpuUsedPct",
            "DataCacheMetrics",
            "Location",
            "StatusCode",
        ],
        Flavor::Doris => &[
            "BackendId",
            "Host",
            "HeartbeatPort",
            "BePort",
            "HttpPort",
            "BrpcPort",
            "ArrowFlightSqlPort",
            "LastStartTime",
            "LastHeartbeat",
            "Alive",
            "SystemDecommissioned",
            "TabletNum",
            "DataUsedCapacity",
            "TrashUsedCapacity",
            "AvailCapacity",
            "TotalCapacity",
            "UsedPct",
            "MaxDiskUsedPct",
            "RemoteUsedCapacity",
            "Tag",
            "ErrMsg",
            "Version",
            "Status",
            "HeartbeatFailureCounter",
            "NodeRole",
            "CpuCores",
            "Memory",
        ],
    };
    let rows = topology
        .be_http_ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let id = (10001 + i).to_string();
            let port = port.to_string();
            let host = topology.host.as_str();
            let values: Vec<&str> = match flavor {
                Flavor::StarRocks => vec![
                    &id, host, "9050", "9060", &port, "8060", STARTED, STARTED, "true", "false",
                    "false", "0", "0.000 B", "1.000 TB", "1.000 TB", "0.00 %", "0.00 %", "",
                    version, "{}", "0.000 B", "0.00 %", "2", "1.000GB", "0", "0.00 %", "0.0 %",
                    "N/A", "", "OK",
                ],
                Flavor::Doris => vec![
                    &id,
                    host,
                    "9050",
                    "9060",
                    &port,
                    "8060",
                    "-1",
                    STARTED,
                    STARTED,
                    "true",
                    "false",
                    "0",
                    "0.000",
                    "0.000",
                    "1.000 TB",
                    "1.000 TB",
                    "0.00 %",
                    "0.00 %",
                    "0.000",
                    r#"{"location" : "default"}"#,
                    "",
                    version,
                    "{}",
                    "0",
                    "mix",
                    "2",
                    "1.00 GB",
                ],
            };
            values.into_iter().map(text).collect()
        })
        .collect();
    Reply::rows(columns, rows)
}

/// `SHOW FRONTENDS`: FE 0 is the leader.
pub(crate) fn frontends(flavor: Flavor, topology: &Topology, version: &str) -> Reply {
    let columns: &[&str] = match flavor {
        Flavor::StarRocks => &[
            "Name",
            "IP",
            "EditLogPort",
            "HttpPort",
            "QueryPort",
            "RpcPort",
            "Role",
            "ClusterId",
            "Join",
            "Alive",
            "ReplayedJournalId",
            "LastHeartbeat",
            "IsHelper",
            "ErrMsg",
            "StartTime",
            "Version",
        ],
        Flavor::Doris => &[
            "Name",
            "Host",
            "EditLogPort",
            "HttpPort",
            "QueryPort",
            "RpcPort",
            "ArrowFlightSqlPort",
            "Role",
            "IsMaster",
            "ClusterId",
            "Join",
            "Alive",
            "ReplayedJournalId",
            "LastStartTime",
            "LastHeartbeat",
            "IsHelper",
            "ErrMsg",
            "Version",
            "CurrentConnected",
        ],
    };
    let query = topology.query_port.to_string();
    let rows = topology
        .fe_http_ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let name = format!("{}_9010_{}", topology.host, 1_700_000_000_000u64 + i as u64);
            let port = port.to_string();
            let host = topology.host.as_str();
            let leader = i == 0;
            let values: Vec<&str> = match flavor {
                Flavor::StarRocks => vec![
                    &name,
                    host,
                    "9010",
                    &port,
                    &query,
                    "9020",
                    if leader { "LEADER" } else { "FOLLOWER" },
                    "1",
                    "true",
                    "true",
                    "1",
                    STARTED,
                    "true",
                    "",
                    STARTED,
                    version,
                ],
                Flavor::Doris => vec![
                    &name,
                    host,
                    "9010",
                    &port,
                    &query,
                    "9020",
                    "-1",
                    "FOLLOWER",
                    if leader { "true" } else { "false" },
                    "1",
                    "true",
                    "true",
                    "1",
                    STARTED,
                    STARTED,
                    "true",
                    "",
                    version,
                    if leader { "Yes" } else { "No" },
                ],
            };
            values.into_iter().map(text).collect()
        })
        .collect();
    Reply::rows(columns, rows)
}

/// `SHOW TABLE STATUS [FROM db] [LIKE 'p']`: MySQL's eighteen columns, as both servers answer.
pub(crate) fn table_status(
    engine: &Engine,
    db: &str,
    pattern: Option<&str>,
) -> Result<Reply, Reply> {
    let Some(tables) = engine.tables(db) else {
        return Err(Reply::Error {
            code: 1049,
            message: format!("Unknown database '{db}'"),
        });
    };
    let rows = tables
        .into_iter()
        .filter(|t| pattern.is_none_or(|p| like(p, t)))
        .map(|t| {
            vec![
                text(t),
                text("OLAP"),
                Value::Null,
                Value::Null,
                Value::Int(0),
                Value::Int(0),
                Value::Int(0),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                text(STARTED),
                text(STARTED),
                Value::Null,
                text("utf8mb4_0900_bin"),
                Value::Null,
                text(""),
                text(""),
            ]
        })
        .collect();
    Ok(Reply::rows(
        &[
            "Name",
            "Engine",
            "Version",
            "Row_format",
            "Rows",
            "Avg_row_length",
            "Data_length",
            "Max_data_length",
            "Index_length",
            "Data_free",
            "Auto_increment",
            "Create_time",
            "Update_time",
            "Check_time",
            "Collation",
            "Checksum",
            "Create_options",
            "Comment",
        ],
        rows,
    ))
}

/// `ADMIN SHOW FRONTEND CONFIG [LIKE 'p']`: StarRocks answers Key, AliasNames, Value, Type,
/// IsMutable, Comment; Doris Key, Value, Type, IsMutable, MasterOnly, Comment.
pub(crate) fn frontend_config(engine: &Engine, pattern: Option<&str>) -> Reply {
    let flavor = engine.flavor();
    let rows = engine
        .fe_config()
        .into_iter()
        .filter(|(k, _)| pattern.is_none_or(|p| like(p, k)))
        .map(|(key, value)| {
            let ty = if value.parse::<i64>().is_ok() {
                "long"
            } else {
                "String"
            };
            let mutable = if key == "run_mode" { "false" } else { "true" };
            match flavor {
                Flavor::StarRocks => vec![
                    text(key),
                    text("[]"),
                    text(value),
                    text(ty),
                    text(mutable),
                    text(""),
                ],
                Flavor::Doris => vec![
                    text(key),
                    text(value),
                    text(ty),
                    text(mutable),
                    text("true"),
                    text(""),
                ],
            }
        })
        .collect();
    match flavor {
        Flavor::StarRocks => Reply::rows(
            &["Key", "AliasNames", "Value", "Type", "IsMutable", "Comment"],
            rows,
        ),
        Flavor::Doris => Reply::rows(
            &["Key", "Value", "Type", "IsMutable", "MasterOnly", "Comment"],
            rows,
        ),
    }
}
