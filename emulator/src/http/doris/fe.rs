//! The Doris FE listener: `_stream_load` and `_stream_load_2pc` redirects (never reading the
//! body), `get_load_state`, `/api/backends`, `/api/health`, `/api/bootstrap`,
//! `/api/fe_version_info`, `_schema`, `/`. Every FE of a cluster answers alike: a Doris FE,
//! follower or master, redirects a load straight to a BE (the BE then calls the master).

use http::{Method, Response, StatusCode};

use crate::engine::{ColumnType, KeysModel, Privilege};

use crate::http::auth::{Credentials, basic_auth};
use crate::http::reply::{Body, Obj, doris_fe_body, doris_fe_failed, redirect, respond};
use crate::http::server::Req;
use crate::http::state::HttpState;
use crate::http::texts;

/// Routes one FE request.
pub(crate) async fn handle(state: &HttpState, req: &mut Req) -> Response<Body> {
    let segments = req.segments();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.parts.method.clone();
    match (method, seg.as_slice()) {
        (Method::PUT, ["api", db, table, "_stream_load"]) => stream_load(state, req, db, table),
        (Method::PUT, ["api", db, "_stream_load_2pc"] | ["api", db, _, "_stream_load_2pc"]) => {
            two_phase(state, req, db)
        }
        (Method::GET, ["api", db, "get_load_state"]) => {
            with_auth(state, req, |_| load_state(state, req, db))
        }
        (Method::GET, ["api", "backends"]) => with_auth(state, req, |_| backends(state, req)),
        (Method::GET, ["api", "health"]) => {
            let n = state.be_ports.len();
            doris_fe_body(
                "success",
                0,
                Obj::new()
                    .with("total_backend_num", n)
                    .with("online_backend_num", n),
            )
        }
        (Method::GET, ["api", "bootstrap"]) => {
            let data = Obj::new()
                .with("replayedJournalId", 0)
                .with("queryPort", 0)
                .with("rpcPort", 0)
                .with("version", state.release.product())
                .with("startTime", -1);
            doris_fe_body("success", 0, data)
        }
        (Method::GET, ["api", "fe_version_info"]) => fe_version_info(state),
        (Method::GET, ["api", db, table, "_schema"]) => {
            with_auth(state, req, |_| schema(state, db, table))
        }
        (Method::GET, []) => respond(StatusCode::OK, Some("text/html"), "Doris FE emulator"),
        _ => respond(StatusCode::NOT_FOUND, Some("text/plain"), "Not Found"),
    }
}

/// Checks the password; answers the FE's `Unauthorized` envelope (HTTP 200) on failure.
fn check(state: &HttpState, req: &Req) -> Result<Credentials, Response<Body>> {
    let Some(creds) = basic_auth(&req.parts.headers) else {
        return Err(doris_fe_body("Unauthorized", 401, "Need auth information."));
    };
    if !state.engine.check_password(&creds.user, &creds.password) {
        let denied = texts::doris_access_denied(&creds.user, &req.remote_ip, &creds.password);
        return Err(doris_fe_body("Unauthorized", 401, denied));
    }
    Ok(creds)
}

fn with_auth(
    state: &HttpState,
    req: &Req,
    f: impl FnOnce(Credentials) -> Response<Body>,
) -> Response<Body> {
    match check(state, req) {
        Ok(c) => f(c),
        Err(r) => r,
    }
}

fn encode_userinfo(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(state: &HttpState, req: &Req, creds: &Credentials, be: usize) -> String {
    format!(
        "{}://{}:{}@{}{}?{}",
        state.scheme,
        encode_userinfo(&creds.user),
        encode_userinfo(&creds.password),
        state.be_authority(be),
        req.parts.uri.path(),
        req.parts.uri.query().unwrap_or_default()
    )
}

fn stream_load(state: &HttpState, req: &Req, db: &str, table: &str) -> Response<Body> {
    let group_commit = req.header("group_commit").map(str::to_ascii_lowercase);
    if let Some(mode) = &group_commit
        && !["sync_mode", "async_mode", "off_mode"].contains(&mode.as_str())
    {
        return doris_fe_failed(
            "Header `group_commit` can only be `sync_mode`, `async_mode` or `off_mode`.",
        );
    }
    let creds = match check(state, req) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if req.parts.headers.get(http::header::EXPECT).is_none() {
        return doris_fe_failed("There is no 100-continue header");
    }
    if db.is_empty() {
        return doris_fe_failed("No database selected.");
    }
    if table.is_empty() {
        return doris_fe_failed("No table selected.");
    }
    if !state
        .engine
        .has_privilege(&creds.user, db, table, Privilege::Load)
    {
        return doris_fe_failed(texts::DORIS_FE_LOAD_DENIED);
    }
    if group_commit.as_deref().is_some_and(|m| m != "off_mode") {
        if state.engine.database_id(db).is_none() {
            return doris_fe_failed("Database not found.");
        }
        if state.engine.table(db, table).is_none() {
            return doris_fe_failed("OlapTable not found.");
        }
    }
    let be = state.pick_be();
    redirect(&location(state, req, &creds, be), false)
}

fn two_phase(state: &HttpState, req: &Req, db: &str) -> Response<Body> {
    let creds = match check(state, req) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if db.is_empty() {
        return doris_fe_failed("No database selected.");
    }
    let has = |name: &str| req.header(name).is_some_and(|v| !v.is_empty());
    if !has("txn_id") && !has("label") {
        return doris_fe_failed("No transaction id or label selected.");
    }
    if !has("txn_operation") {
        return doris_fe_failed("No transaction operation('commit' or 'abort') selected.");
    }
    let be = state.pick_be();
    redirect(&location(state, req, &creds, be), false)
}

fn load_state(state: &HttpState, req: &Req, db: &str) -> Response<Body> {
    let Some(label) = req.query("label").filter(|l| !l.is_empty()) else {
        return doris_fe_body("Bad Request", 403, "No label selected");
    };
    if state.engine.database_id(db).is_none() {
        return doris_fe_body("Error", 1, format!("Database[{db}] does not exist"));
    }
    let txn_state = state
        .engine
        .txn_by_label(db, &label)
        .map_or("UNKNOWN", |t| t.state.doris_name());
    doris_fe_body("success", 0, txn_state)
}

fn backends(state: &HttpState, _req: &Req) -> Response<Body> {
    let list: Vec<Obj> = state
        .be_ports
        .iter()
        .map(|port| {
            Obj::new()
                .with("ip", state.host.as_str())
                .with("http_port", *port)
                .with("is_alive", true)
        })
        .collect();
    doris_fe_body("success", 0, Obj::new().with("backends", list))
}

/// `GET /api/fe_version_info` (no authentication, like the server's `FeVersionInfoAction`).
fn fe_version_info(state: &HttpState) -> Response<Body> {
    let v = state.release.version;
    let build = format!("doris-{v}-rc01");
    let info = Obj::new()
        .with("dorisBuildVersionPrefix", "doris")
        .with("dorisBuildVersionMajor", u64::from(v.major))
        .with("dorisBuildVersionMinor", u64::from(v.minor))
        .with("dorisBuildVersionPatch", u64::from(v.patch))
        .with("dorisBuildVersionRcVersion", "rc01")
        .with("dorisBuildVersion", build)
        .with("dorisBuildHash", "emulator")
        .with("dorisBuildShortHash", "emulator")
        .with("dorisBuildTime", "")
        .with("dorisBuildInfo", "streamload-emulator")
        .with("dorisJavaCompileVersion", "");
    doris_fe_body("success", 0, Obj::new().with("feVersionInfo", info))
}

fn type_name(ty: &ColumnType) -> String {
    let name = ty.sql_name();
    let base = name
        .split(['(', '<'])
        .next()
        .unwrap_or(&name)
        .to_ascii_uppercase();
    match base.as_str() {
        "TEXT" => "STRING".into(),
        "DECIMAL" => "DECIMALV3".into(),
        "DATE" => "DATEV2".into(),
        "DATETIME" => "DATETIMEV2".into(),
        _ => base,
    }
}

fn schema(state: &HttpState, db: &str, table: &str) -> Response<Body> {
    if state.engine.database_id(db).is_none() {
        return doris_fe_body("Error", 1, format!("Database[{db}] does not exist"));
    }
    let Some(schema) = state.engine.table(db, table) else {
        return doris_fe_body("Error", 1, format!("Table[{table}] does not exist"));
    };
    let keys_type = match schema.model {
        KeysModel::Duplicate => "DUP_KEYS",
        KeysModel::Unique | KeysModel::Primary => "UNIQUE_KEYS",
        KeysModel::Aggregate => "AGG_KEYS",
    };
    let properties: Vec<Obj> = schema
        .columns
        .iter()
        .map(|c| {
            let mut p = Obj::new()
                .with("name", c.name.as_str())
                .with("type", type_name(&c.ty))
                .with("comment", c.comment.clone().unwrap_or_default())
                .with(
                    "aggregation_type",
                    c.aggregation.map(|a| a.sql_name()).unwrap_or(""),
                );
            if let ColumnType::Decimal { precision, scale } = c.ty {
                p.push("precision", precision.to_string());
                p.push("scale", scale.to_string());
            }
            p
        })
        .collect();
    let data = Obj::new()
        .with("status", 200)
        .with("tableType", "OLAP")
        .with("keysType", keys_type)
        .with("properties", properties);
    doris_fe_body("success", 0, data)
}

#[cfg(test)]
mod tests {
    use super::encode_userinfo;

    #[test]
    fn userinfo_is_percent_encoded() {
        assert_eq!(encode_userinfo("root"), "root");
        assert_eq!(encode_userinfo("p@ss:w/d"), "p%40ss%3Aw%2Fd");
    }
}
