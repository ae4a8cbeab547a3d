//! A serde walker that rejects NaN and infinity anywhere inside a nested value.
//!
//! Nested values are collected through `serde_json::Value`, which silently turns a non-finite
//! float into `null`. The type policy rejects them instead, at any depth, so each nested
//! element is walked by [`FiniteCheck`] before it is collected.

use serde::ser::{self, Serialize};

use super::serializer::EncodeFailure;

type Res = Result<(), EncodeFailure>;

/// Walks a value and fails on the first non-finite float.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FiniteCheck;

fn check(finite: bool, v: impl std::fmt::Display) -> Res {
    if finite {
        Ok(())
    } else {
        Err(EncodeFailure::new(
            None,
            format!(
                "{v} inside a nested value is not a finite number; NaN and infinity are rejected"
            ),
        ))
    }
}

macro_rules! accept {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Res { Ok(()) })*
    };
}

impl ser::Serializer for FiniteCheck {
    type Ok = ();
    type Error = EncodeFailure;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    accept!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_f32(self, v: f32) -> Res {
        check(v.is_finite(), v)
    }
    fn serialize_f64(self, v: f64) -> Res {
        check(v.is_finite(), v)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        v: &T,
    ) -> Res {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, EncodeFailure> {
        Ok(self)
    }
}

macro_rules! walk {
    ($trait:ident, $method:ident $(, $key:ty)?) => {
        impl ser::$trait for FiniteCheck {
            type Ok = ();
            type Error = EncodeFailure;
            fn $method<T: ?Sized + Serialize>(&mut self, $(_: $key,)? value: &T) -> Res {
                value.serialize(FiniteCheck)
            }
            fn end(self) -> Res {
                Ok(())
            }
        }
    };
}

walk!(SerializeSeq, serialize_element);
walk!(SerializeTuple, serialize_element);
walk!(SerializeTupleStruct, serialize_field);
walk!(SerializeTupleVariant, serialize_field);
walk!(SerializeStruct, serialize_field, &'static str);
walk!(SerializeStructVariant, serialize_field, &'static str);

impl ser::SerializeMap for FiniteCheck {
    type Ok = ();
    type Error = EncodeFailure;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Res {
        key.serialize(FiniteCheck)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Res {
        value.serialize(FiniteCheck)
    }
    fn end(self) -> Res {
        Ok(())
    }
}
