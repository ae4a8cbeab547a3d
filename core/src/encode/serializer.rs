//! The serde `Serializer` of one column value, writing straight into a [`RowWriter`].
//!
//! No intermediate `serde_json::Value` or `String` per value: each scalar goes through the
//! type policy to the writer (the row level is in `fields.rs`). Only nested values (arrays,
//! maps, structs inside a column) take the detour through `serde_json::Value` (`nested.rs`),
//! because they are written as JSON text in either format.

use std::fmt;

use serde::ser::{self, Serialize};

use super::EncodeOptions;
use super::finite::FiniteCheck;
use super::nested::Nested;
use super::types::{DATE_TOKEN, DATETIME_TOKEN, DECIMAL_TOKEN, TIMESTAMP_TOKEN, timestamp_text};
use super::writer::{FloatText, RowWriter, float_text, needs_plain_form};

/// Why a row could not be encoded, and in which column. Boxed, so the `Result` of every
/// value on the hot path stays one word.
#[derive(Debug)]
pub(crate) struct EncodeFailure(Box<FailureParts>);

#[derive(Debug)]
pub(crate) struct FailureParts {
    pub(crate) column: Option<String>,
    pub(crate) message: String,
}

impl EncodeFailure {
    pub(crate) fn new(column: Option<String>, message: String) -> Self {
        Self(Box::new(FailureParts { column, message }))
    }

    /// Names the column, unless a deeper level already did.
    pub(crate) fn in_column(mut self, column: &str) -> Self {
        self.0.column.get_or_insert_with(|| column.to_owned());
        self
    }

    pub(crate) fn into_parts(self) -> FailureParts {
        *self.0
    }
}

impl fmt::Display for EncodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for EncodeFailure {}

impl ser::Error for EncodeFailure {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(None, msg.to_string())
    }
}

pub(crate) fn fail(message: impl Into<String>) -> EncodeFailure {
    EncodeFailure::new(None, message.into())
}

type Res = Result<(), EncodeFailure>;

/// Serializes one column value.
pub(crate) struct ValueSerializer<'a, W> {
    pub(crate) writer: &'a mut W,
    pub(crate) options: &'a EncodeOptions,
    /// The value is the text of one of the policy's own types (date, datetime, decimal).
    pub(crate) numeric_text: bool,
}

impl<W: RowWriter> ValueSerializer<'_, W> {
    /// A finite float in the shortest form; anything else goes to [`Self::float_slow`].
    #[inline(always)]
    fn float(self, v: f64) -> Res {
        if v.is_finite() {
            let mut buf = zmij::Buffer::new();
            let short = buf.format_finite(v);
            if !needs_plain_form(v.abs(), short) {
                self.writer.float(FloatText(short));
                return Ok(());
            }
        }
        self.float_slow(v)
    }

    /// The plain form of a very large or small float, or the error of a non-finite one.
    #[cold]
    #[inline(never)]
    fn float_slow(self, v: f64) -> Res {
        let mut buf = zmij::Buffer::new();
        let text = float_text(v, &mut buf).map_err(fail)?;
        self.writer.float(text.as_text());
        Ok(())
    }

    /// The plain form of a very large or small `f32`, or the error of a non-finite one.
    #[cold]
    #[inline(never)]
    fn f32_slow(self, v: f32) -> Res {
        if !v.is_finite() {
            return Err(fail(format!(
                "{v} is not a finite number; NaN and infinity are rejected"
            )));
        }
        let plain = format!("{v}");
        self.writer.float(FloatText(&plain));
        Ok(())
    }

    pub(crate) fn nested(self, value: serde_json::Value) -> Res {
        let json = serde_json::to_string(&value).map_err(|e| fail(e.to_string()))?;
        self.writer.nested_json(&json).map_err(fail)
    }
}

use serde_json::value::Serializer as JsonSer;

impl<'a, W: RowWriter> ser::Serializer for ValueSerializer<'a, W> {
    type Ok = ();
    type Error = EncodeFailure;
    type SerializeSeq = Nested<'a, W, <JsonSer as ser::Serializer>::SerializeSeq>;
    type SerializeTuple = Nested<'a, W, <JsonSer as ser::Serializer>::SerializeTuple>;
    type SerializeTupleStruct = Nested<'a, W, <JsonSer as ser::Serializer>::SerializeTupleStruct>;
    type SerializeTupleVariant = Nested<'a, W, <JsonSer as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = Nested<'a, W, <JsonSer as ser::Serializer>::SerializeMap>;
    type SerializeStruct = Nested<'a, W, <JsonSer as ser::Serializer>::SerializeStruct>;
    type SerializeStructVariant =
        Nested<'a, W, <JsonSer as ser::Serializer>::SerializeStructVariant>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Res {
        self.writer.bool(v);
        Ok(())
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_i128(self, v: i128) -> Res {
        // 64-bit formatting is several times faster than 128-bit; the text is the same.
        match i64::try_from(v) {
            Ok(small) => self.writer.large_integer(small),
            Err(_) => self.writer.large_integer(v),
        }
        Ok(())
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Res {
        self.writer.integer(v);
        Ok(())
    }
    #[inline]
    fn serialize_u128(self, v: u128) -> Res {
        match u64::try_from(v) {
            Ok(small) => self.writer.large_integer(small),
            Err(_) => self.writer.large_integer(v),
        }
        Ok(())
    }
    #[inline]
    fn serialize_f32(self, v: f32) -> Res {
        if v.is_finite() {
            // The shortest f32 text is what the user wrote (widening to f64 would add digits).
            let mut buf = zmij::Buffer::new();
            let short = buf.format_finite(v);
            if !needs_plain_form(f64::from(v).abs(), short) {
                self.writer.float(FloatText(short));
                return Ok(());
            }
        }
        self.f32_slow(v)
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Res {
        self.float(v)
    }
    #[inline]
    fn serialize_char(self, v: char) -> Res {
        self.writer.str(v.encode_utf8(&mut [0; 4])).map_err(fail)
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Res {
        if self.numeric_text {
            self.writer.numeric_text(v).map_err(fail)
        } else {
            self.writer.str(v).map_err(fail)
        }
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Res {
        self.writer.text(v).map_err(fail)
    }
    #[inline]
    fn serialize_none(self) -> Res {
        self.writer.null();
        Ok(())
    }
    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Res {
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Res {
        self.writer.null();
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Res {
        self.writer.null();
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Res {
        self.writer.str(variant).map_err(fail)
    }
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Res {
        // Every reserved name starts with `$`, which user types' names cannot: one byte
        // compare keeps ordinary newtypes off the token compares.
        if name.starts_with('$') {
            match name {
                TIMESTAMP_TOKEN => {
                    let micros = serde_json::to_value(value)
                        .ok()
                        .and_then(|v| v.as_i64())
                        .ok_or_else(|| fail("timestamp without microseconds"))?;
                    let text = timestamp_text(micros, &self.options.time_zone)
                        .map_err(|e| fail(e.message().to_owned()))?;
                    return self.writer.numeric_text(text.as_str()).map_err(fail);
                }
                DATE_TOKEN | DATETIME_TOKEN | DECIMAL_TOKEN => {
                    return value.serialize(ValueSerializer {
                        numeric_text: true,
                        ..self
                    });
                }
                _ => {}
            }
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        value.serialize(FiniteCheck)?;
        let json = JsonSer
            .serialize_newtype_variant(name, index, variant, value)
            .map_err(|e| fail(e.to_string()))?;
        self.nested(json)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, EncodeFailure> {
        Nested::start(self, JsonSer.serialize_seq(len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, EncodeFailure> {
        Nested::start(self, JsonSer.serialize_tuple(len))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeFailure> {
        Nested::start(self, JsonSer.serialize_tuple_struct(name, len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeFailure> {
        Nested::start(
            self,
            JsonSer.serialize_tuple_variant(name, index, variant, len),
        )
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, EncodeFailure> {
        Nested::start(self, JsonSer.serialize_map(len))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, EncodeFailure> {
        Nested::start(self, JsonSer.serialize_struct(name, len))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeFailure> {
        Nested::start(
            self,
            JsonSer.serialize_struct_variant(name, index, variant, len),
        )
    }
}
