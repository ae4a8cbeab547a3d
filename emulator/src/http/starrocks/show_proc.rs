//! `GET /api/show_proc?path=/backends` and `…/frontends` (the FE's `ShowProcAction`): the proc
//! result as a JSON array with one object per row, keyed by the proc's column names. Clients
//! read them to learn which hosts are the cluster's (and so may receive credentials). Other
//! paths answer `[]`, as the server does for a path it cannot open.

use http::Response;

use super::super::reply::{Body, json_200};
use super::super::server::Req;
use super::super::state::HttpState;

pub(crate) fn show_proc(state: &HttpState, req: &Req) -> Response<Body> {
    let path = req
        .parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("path="))
        .unwrap_or("/");
    let path = path.replace("%2F", "/").replace("%2f", "/");
    match path.trim_end_matches('/') {
        "/backends" => backends(state),
        "/frontends" => frontends(state),
        _ => json_200("[]".to_owned()),
    }
}

fn backends(state: &HttpState) -> Response<Body> {
    let rows: Vec<serde_json::Value> = state
        .be_ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            serde_json::json!({
                "BackendId": (10001 + i).to_string(),
                "IP": state.host,
                "HeartbeatPort": "9050",
                "BePort": "9060",
                "HttpPort": port.to_string(),
                "BrpcPort": "8060",
                "Alive": "true",
            })
        })
        .collect();
    json_200(serde_json::Value::Array(rows).to_string())
}

fn frontends(state: &HttpState) -> Response<Body> {
    let leader = state.switches.leader();
    let rows: Vec<serde_json::Value> = state
        .fe_ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            serde_json::json!({
                "Name": format!("fe{}", i + 1),
                "IP": state.host,
                "EditLogPort": "9010",
                "HttpPort": port.to_string(),
                "QueryPort": "9030",
                "RpcPort": "9020",
                "Role": if i == leader { "LEADER" } else { "FOLLOWER" },
                "Alive": "true",
            })
        })
        .collect();
    json_200(serde_json::Value::Array(rows).to_string())
}
