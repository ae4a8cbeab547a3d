//! Recent StarRocks' `envelope: debezium` JSON input: every JSON document (or array element) is
//! a Debezium change event instead of a row, as a Kafka Connect pipeline writes them.
//!
//! The event is the document itself or its `payload` (the JsonConverter's `schemas.enable`
//! shape); a `null` payload is a Kafka tombstone and yields nothing. `op` `c` (create), `r`
//! (snapshot read) and `u` (update) write the `after` image, `d` deletes the row of the `before`
//! image; a missing or unknown `op`, or a missing image, rejects the event. As StarRocks' suite
//! `test_stream_load_debezium_json` records, the images are then read like plain rows
//! (`jsonpaths` apply to the image), a delete being the `__op` = delete of a primary-key load.

use serde_json::{Map, Value as Json};

use super::rows::OP_COLUMN;

/// What one event asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Write this image.
    Upsert(Map<String, Json>),
    /// Delete the row this image names.
    Delete(Map<String, Json>),
    /// A tombstone: nothing to do.
    Nothing,
}

impl Change {
    /// The image as a row object, with the operation in `__op`.
    pub fn into_row(self) -> Option<Map<String, Json>> {
        let (mut image, op) = match self {
            Change::Upsert(image) => (image, "upsert"),
            Change::Delete(image) => (image, "delete"),
            Change::Nothing => return None,
        };
        image.insert(OP_COLUMN.to_string(), Json::String(op.to_string()));
        Some(image)
    }
}

/// Reads one event; `Err` says why it is rejected.
pub fn change(document: Json) -> Result<Change, String> {
    let event = match document {
        Json::Object(mut outer) if outer.contains_key("payload") => {
            outer.remove("payload").unwrap_or(Json::Null)
        }
        other => other,
    };
    let mut event = match event {
        Json::Null => return Ok(Change::Nothing),
        Json::Object(event) => event,
        other => return Err(format!("Debezium event is not a JSON object: {other}")),
    };
    let op = match event.get("op") {
        Some(Json::String(op)) => op.clone(),
        _ => return Err("Debezium event has no op field".into()),
    };
    let image = |name: &str, event: &mut Map<String, Json>| match event.remove(name) {
        Some(Json::Object(image)) => Ok(image),
        _ => Err(format!("Debezium event with op '{op}' has no {name} image")),
    };
    match op.as_str() {
        "c" | "r" | "u" => image("after", &mut event).map(Change::Upsert),
        "d" => image("before", &mut event).map(Change::Delete),
        other => Err(format!("unknown Debezium op '{other}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_with_and_without_payload() {
        let upsert = change(json!({"payload": {"before": null, "after": {"id": 1}, "op": "c"}}));
        assert_eq!(
            upsert.unwrap().into_row(),
            Some(
                json!({"id": 1, "__op": "upsert"})
                    .as_object()
                    .unwrap()
                    .clone()
            )
        );
        let delete = change(json!({"before": {"id": 2}, "after": null, "op": "d"})).unwrap();
        assert_eq!(
            delete,
            Change::Delete(json!({"id": 2}).as_object().unwrap().clone())
        );
        assert_eq!(change(json!({"payload": null})), Ok(Change::Nothing));
    }

    #[test]
    fn broken_events_are_rejected() {
        for bad in [
            json!({"payload": {"after": {"id": 1}}}),
            json!({"payload": {"after": {"id": 1}, "op": "x"}}),
            json!({"payload": {"before": null, "after": null, "op": "c"}}),
            json!({"payload": {"before": null, "after": null, "op": "d"}}),
            json!([1]),
        ] {
            assert!(change(bad.clone()).is_err(), "{bad}");
        }
    }
}
