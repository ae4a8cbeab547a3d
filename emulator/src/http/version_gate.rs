//! The played version at the HTTP surface: what an older server answers to a request made for a
//! newer one (see `crate::version` for the releases).
//!
//! Two kinds of difference, both before the vendor handlers run:
//!
//! * an endpoint the release does not have gets the server's answer for an unknown endpoint —
//!   StarRocks before 2.4 answers `/api/transaction/*` from its `NotFoundAction`
//!   (HTTP 501, `{"status":"FAILED","msg":"Not implemented"}`), which is exactly what the
//!   clients' transaction probe looks for;
//! * a header the release does not know is ignored, as the servers ignore any unknown header:
//!   the load runs as a plain load (group commit on Doris 2.0, merge commit before StarRocks
//!   3.4), `prepared_timeout` falls back to the server default, `transaction_type: multi` (before
//!   4.0) leaves a one-table transaction. The handlers see the request without it; the request
//!   log keeps what the client sent.
//!
//! Some old behaviour is a refusal rather than an omission: Doris 2.0 settles a 2PC
//! transaction by `txn_id` only, and reads no compressed JSON (its format parser leaves a
//! `format: json` load with a `compress_type` unknown). The texts of those two refusals are
//! the emulator's rendering of the 2.0 answers, not taken from a recorded 2.0 response; the
//! StarRocks `Not implemented` answer is the FE's `BaseAction` default.

use http::header::HeaderMap;
use http::{Response, StatusCode};

use crate::engine::Flavor;
use crate::version::Release;

use super::load_report::LoadReport;
use super::reply::{Body, Obj, doris_fe_failed, json_200, respond};
use super::request_log::Listener;
use super::server::Req;
use super::state::HttpState;

/// What the gate decided for one request.
pub(crate) enum Gate {
    /// Answer this instead of running the handler.
    Answer(Response<Body>),
    /// Run the handler; when headers were hidden from it, these are the ones the client sent
    /// (to put back for the request log).
    Pass(Option<HeaderMap>),
}

/// Applies the played version to `req`.
pub(crate) fn gate(state: &HttpState, which: Listener, req: &mut Req) -> Gate {
    let on_fe = which.fe_index().is_some();
    let release = state.release;
    let path = req.parts.uri.path().to_string();
    let refused = match state.flavor {
        Flavor::Doris => doris_refusal(release, on_fe, req, &path),
        Flavor::StarRocks => starrocks_refusal(release, on_fe, &path),
    };
    if let Some(answer) = refused {
        return Gate::Answer(answer);
    }
    let unknown = unknown_headers(release, req);
    if unknown.is_empty() {
        return Gate::Pass(None);
    }
    let sent = req.parts.headers.clone();
    for name in unknown {
        req.parts.headers.remove(name);
    }
    Gate::Pass(Some(sent))
}

fn is_json(req: &Req) -> bool {
    req.header("format")
        .is_some_and(|f| f.eq_ignore_ascii_case("json"))
}

fn doris_refusal(release: Release, on_fe: bool, req: &Req, path: &str) -> Option<Response<Body>> {
    let has = |name: &str| req.header(name).is_some_and(|v| !v.is_empty());
    if path.ends_with("/_stream_load_2pc") && !release.two_phase_by_label() && !has("txn_id") {
        return Some(if on_fe {
            doris_fe_failed("No transaction id selected.")
        } else {
            let body = Obj::new()
                .with("status", "INTERNAL_ERROR")
                .with("msg", "no valid transaction id")
                .pretty();
            json_200(body)
        });
    }
    let load = path.ends_with("/_stream_load") || path.ends_with("/_load");
    if load && !on_fe && !release.json_compression() && is_json(req) && has("compress_type") {
        let label = req.header("label").unwrap_or_default().to_string();
        let report =
            LoadReport::new(label).fail("[INTERNAL_ERROR]unknown data format, format=json");
        return Some(json_200(report.doris_json()));
    }
    None
}

fn not_implemented() -> Response<Body> {
    let body = Obj::new()
        .with("status", "FAILED")
        .with("msg", "Not implemented")
        .compact();
    respond(StatusCode::NOT_IMPLEMENTED, Some("application/json"), body)
}

fn starrocks_refusal(release: Release, on_fe: bool, path: &str) -> Option<Response<Body>> {
    let missing = (path.starts_with("/api/transaction/") && !release.transactions())
        || (path.ends_with("/_stream_load_meta") && !release.merge_commit());
    if !missing {
        return None;
    }
    Some(if on_fe {
        not_implemented()
    } else {
        respond(StatusCode::NOT_FOUND, Some("text/plain"), "Not Found")
    })
}

/// Headers of `req` that `release` does not know.
fn unknown_headers(release: Release, req: &Req) -> Vec<&'static str> {
    let mut names = Vec::new();
    match release.flavor {
        Flavor::Doris => {
            if !release.group_commit() {
                names.push("group_commit");
            }
        }
        Flavor::StarRocks => {
            if !release.merge_commit() {
                names.extend([
                    "enable_merge_commit",
                    "merge_commit_interval_ms",
                    "merge_commit_parallel",
                    "merge_commit_async",
                ]);
            }
            if !release.prepared_timeout() {
                names.push("prepared_timeout");
            }
            if !release.multi_table_txn() {
                names.push("transaction_type");
            }
            if !release.json_compression() && is_json(req) {
                names.extend(["compression", "content-encoding"]);
            }
        }
    }
    names.retain(|name| req.parts.headers.contains_key(*name));
    names
}
