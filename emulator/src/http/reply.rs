//! Response bodies with the servers' exact framing: JSON objects whose keys keep the order the
//! servers emit them in, pretty-printed the way rapidjson's PrettyWriter does (4 spaces,
//! `"Key": value`) or compact the way the Java FEs do.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;

/// The body type of every emulator response.
pub(crate) type Body = Full<Bytes>;

/// A value inside an [`Obj`]: plain JSON, or nested ordered objects.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Json(Json),
    Obj(Obj),
    List(Vec<Obj>),
}

macro_rules! item_from_json {
    ($($t:ty),*) => {$(
        impl From<$t> for Item {
            fn from(v: $t) -> Item {
                Item::Json(Json::from(v))
            }
        }
    )*};
}

item_from_json!(&str, String, i64, u64, i32, usize, u16, bool, Json);

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Json(j) => j.serialize(serializer),
            Item::Obj(o) => o.serialize(serializer),
            Item::List(list) => list.serialize(serializer),
        }
    }
}

/// A JSON object that keeps insertion order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Obj(pub(crate) Vec<(String, Item)>);

impl Obj {
    pub(crate) fn new() -> Obj {
        Obj(Vec::new())
    }

    /// Appends a key.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Item>) -> Obj {
        self.0.push((key.to_string(), value.into()));
        self
    }

    /// Appends a key in place.
    pub(crate) fn push(&mut self, key: &str, value: impl Into<Item>) {
        self.0.push((key.to_string(), value.into()));
    }

    /// rapidjson PrettyWriter output (4-space indent).
    pub(crate) fn pretty(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.serialize(&mut ser)
            .expect("serializing JSON to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Compact output (Jackson / Gson).
    pub(crate) fn compact(&self) -> String {
        serde_json::to_string(self).expect("serializing JSON to memory cannot fail")
    }
}

impl From<Obj> for Item {
    fn from(o: Obj) -> Item {
        Item::Obj(o)
    }
}

impl From<Vec<Obj>> for Item {
    fn from(list: Vec<Obj>) -> Item {
        Item::List(list)
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A response with a body and optional content type.
pub(crate) fn respond(
    status: StatusCode,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut builder = Response::builder().status(status);
    if let Some(ct) = content_type {
        builder = builder.header(http::header::CONTENT_TYPE, ct);
    }
    builder
        .body(Full::new(body.into()))
        .expect("static response parts are valid")
}

/// HTTP 200 with a JSON body.
pub(crate) fn json_200(body: String) -> Response<Body> {
    respond(StatusCode::OK, Some("application/json"), body)
}

/// Doris FE `ResponseBody`: `{"msg":..,"code":..,"data":..,"count":0}`.
pub(crate) fn doris_fe_body(msg: &str, code: i64, data: impl Into<Item>) -> Response<Body> {
    json_200(
        Obj::new()
            .with("msg", msg)
            .with("code", code)
            .with("data", data)
            .with("count", 0)
            .compact(),
    )
}

/// Doris FE `{"status":"FAILED","msg":..}` (RestBaseResult of LoadAction).
pub(crate) fn doris_fe_failed(msg: &str) -> Response<Body> {
    json_200(
        Obj::new()
            .with("status", "FAILED")
            .with("msg", msg)
            .compact(),
    )
}

/// StarRocks FE `RestBaseResult` fields.
pub(crate) fn starrocks_rest_result(status: &str, code: &str, msg: &str, message: &str) -> Obj {
    Obj::new()
        .with("status", status)
        .with("code", code)
        .with("msg", msg)
        .with("message", message)
}

/// A 307 to `location` with an empty body.
pub(crate) fn redirect(location: &str, close: bool) -> Response<Body> {
    let mut builder = Response::builder()
        .status(StatusCode::TEMPORARY_REDIRECT)
        .header(http::header::LOCATION, location)
        .header(http::header::CONTENT_TYPE, "text/html;charset=utf-8");
    if close {
        builder = builder.header(http::header::CONNECTION, "close");
    }
    builder
        .body(Full::new(Bytes::new()))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_keeps_order_and_rapidjson_spacing() {
        let body = Obj::new()
            .with("TxnId", 7)
            .with("Label", "l")
            .with("Comment", "")
            .pretty();
        assert_eq!(
            body,
            "{\n    \"TxnId\": 7,\n    \"Label\": \"l\",\n    \"Comment\": \"\"\n}"
        );
    }

    #[test]
    fn compact_fe_body() {
        let o = Obj::new()
            .with("msg", "success")
            .with("code", 0)
            .with("data", "VISIBLE")
            .with("count", 0);
        assert_eq!(
            o.compact(),
            r#"{"msg":"success","code":0,"data":"VISIBLE","count":0}"#
        );
    }
}
