//! Turning a Stream Load body into rows: separators, CSV and JSON readers, decompression, the
//! `columns` / `where` expression language, load parameters, and the row mapper.

pub mod columns;
pub mod csv;
pub mod decompress;
pub mod expr;
pub mod expr_parse;
pub mod json;
pub mod json_debezium;
mod json_salvage;
pub mod params;
pub mod params_starrocks;
pub mod plan;
pub mod rows;
pub mod separator;
