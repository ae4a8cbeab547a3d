//! Table descriptions from the FE's `GET /api/{db}/{table}/_schema`.
//!
//! The key model decides whether deletes are possible (`__DORIS_DELETE_SIGN__` exists only on
//! UNIQUE_KEYS tables), exactly as the Flink connector decides it.

use serde::Deserialize;
use serde_json::Value;
use streamload_core::{DeleteColumn, Error, ErrorKind, KeysModel, Result, TableDescription};

/// The hidden delete-sign column of UNIQUE_KEYS tables.
pub const DELETE_SIGN: &str = "__DORIS_DELETE_SIGN__";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schema {
    #[serde(default)]
    keys_type: String,
    #[serde(default)]
    properties: Vec<Column>,
}

#[derive(Debug, Deserialize)]
struct Column {
    name: String,
}

/// The delete column Doris understands.
pub fn delete_column() -> DeleteColumn {
    DeleteColumn {
        name: DELETE_SIGN.to_owned(),
        upsert: "0".to_owned(),
        delete: "1".to_owned(),
    }
}

/// Reads the `data` of a `_schema` answer. `enable_delete` adds the delete column to UNIQUE tables.
pub(crate) fn parse_schema(data: Value, enable_delete: bool) -> Result<TableDescription> {
    let schema: Schema = serde_json::from_value(data)
        .map_err(|e| Error::new(ErrorKind::Protocol, "unexpected _schema answer").set_source(e))?;
    let keys = match schema.keys_type.as_str() {
        "UNIQUE_KEYS" => KeysModel::Unique,
        "DUP_KEYS" => KeysModel::Duplicate,
        "AGG_KEYS" => KeysModel::Aggregate,
        _ => KeysModel::Unknown,
    };
    Ok(TableDescription {
        keys,
        // Hidden columns (`__DORIS_…__`) are never part of the default column list.
        columns: schema
            .properties
            .into_iter()
            .map(|c| c.name)
            .filter(|name| !name.starts_with("__DORIS_"))
            .collect(),
        delete_column: (enable_delete && keys == KeysModel::Unique).then(delete_column),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_tables_get_the_delete_sign() {
        let data = serde_json::json!({"status": 200, "tableType": "OLAP", "keysType": "UNIQUE_KEYS",
            "properties": [{"name": "id", "type": "INT", "comment": "", "aggregation_type": ""},
                           {"name": "v", "type": "VARCHAR", "comment": "", "aggregation_type": ""}]});
        let d = parse_schema(data.clone(), true).unwrap();
        assert_eq!(d.keys, KeysModel::Unique);
        assert_eq!(d.columns, ["id", "v"]);
        assert_eq!(d.delete_column.unwrap().name, DELETE_SIGN);
        assert!(parse_schema(data, false).unwrap().delete_column.is_none());
        let dup = serde_json::json!({"keysType": "DUP_KEYS", "properties": []});
        let d = parse_schema(dup, true).unwrap();
        assert_eq!(d.keys, KeysModel::Duplicate);
        assert!(d.delete_column.is_none());
    }
}
