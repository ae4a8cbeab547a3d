//! The top level of a serde row: a struct whose fields are the columns.
//!
//! The first row of a table teaches the column names; every later row must present the same
//! fields in the same order (a `skip_serializing_if` that drops a field would shift every
//! following CSV column), which is checked field by field at the cost of a pointer compare.

use serde::ser::{self, Impossible, Serialize};

use super::EncodeOptions;
use super::serializer::{EncodeFailure, ValueSerializer, fail};
use super::writer::RowWriter;

type Res = Result<(), EncodeFailure>;

/// Column names of a serde row: learned from the first row, checked on the others.
#[derive(Debug, Default)]
pub(crate) struct StructColumns {
    pub(crate) names: Vec<&'static str>,
    pub(crate) learned: bool,
}

impl StructColumns {
    /// Learns `key` as column `index` of the first row, or checks it against what the first
    /// row had there (by text, for names that are equal but not the same pointer).
    #[cold]
    #[inline(never)]
    fn check_or_learn(&mut self, index: usize, key: &'static str) -> Res {
        if !self.learned {
            self.names.push(key);
            return Ok(());
        }
        let expected = self.names.get(index).copied();
        if expected == Some(key) {
            return Ok(());
        }
        Err(EncodeFailure::new(
            Some(key.to_owned()),
            format!(
                "field {key:?} is at position {index} but the first row had {expected:?} \
                 there (skipped or reordered fields break column order)"
            ),
        ))
    }
}

/// Serializes one row (a struct) into `writer`.
pub(crate) struct RowSerializer<'a, W> {
    pub(crate) writer: &'a mut W,
    pub(crate) columns: &'a mut StructColumns,
    pub(crate) options: &'a EncodeOptions,
}

/// The fields of the row being written.
pub(crate) struct RowFields<'a, W> {
    row: RowSerializer<'a, W>,
    index: usize,
}

macro_rules! not_a_row {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            Err(fail("a row must serialize as a struct whose fields are the columns"))
        })*
    };
}

impl<'a, W: RowWriter> ser::Serializer for RowSerializer<'a, W> {
    type Ok = ();
    type Error = EncodeFailure;
    type SerializeSeq = Impossible<(), EncodeFailure>;
    type SerializeTuple = Impossible<(), EncodeFailure>;
    type SerializeTupleStruct = Impossible<(), EncodeFailure>;
    type SerializeTupleVariant = Impossible<(), EncodeFailure>;
    type SerializeMap = Impossible<(), EncodeFailure>;
    type SerializeStruct = RowFields<'a, W>;
    type SerializeStructVariant = Impossible<(), EncodeFailure>;

    not_a_row!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Res {
        value.serialize(self)
    }
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Res {
        Err(fail("a row must be a struct, not an enum variant"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, EncodeFailure> {
        Err(fail("a row must be a struct, not a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, EncodeFailure> {
        Err(fail("a row must be a struct, not a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeFailure> {
        Err(fail("a row must be a struct with named fields"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeFailure> {
        Err(fail("a row must be a struct, not an enum variant"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, EncodeFailure> {
        Err(fail("a row must be a struct; use a dynamic row for maps"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, EncodeFailure> {
        Ok(RowFields {
            row: self,
            index: 0,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeFailure> {
        Err(fail("a row must be a struct, not an enum variant"))
    }
}

impl<W: RowWriter> ser::SerializeStruct for RowFields<'_, W> {
    type Ok = ();
    type Error = EncodeFailure;

    // Inlined into the row's derived `serialize`, so a row is one function, not one call
    // (and one frame) per column.
    #[inline(always)]
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Res {
        let index = self.index;
        let columns = &mut *self.row.columns;
        // The names of a struct's fields are the same `&'static str` on every row, so the
        // check is a pointer compare; anything else (a first row, a skipped field) goes to
        // the out-of-line path.
        let known = columns
            .names
            .get(index)
            .is_some_and(|name| std::ptr::eq(*name, key));
        if !(known && columns.learned) {
            columns.check_or_learn(index, key)?;
        }
        self.row.writer.column(index, key);
        self.index = index + 1;
        value
            .serialize(ValueSerializer {
                writer: &mut *self.row.writer,
                options: self.row.options,
                numeric_text: false,
            })
            .map_err(|e| e.in_column(key))
    }

    fn end(self) -> Res {
        let columns = self.row.columns;
        if columns.learned && self.index != columns.names.len() {
            return Err(fail(format!(
                "the row has {} fields but the first row had {}",
                self.index,
                columns.names.len()
            )));
        }
        columns.learned = true;
        Ok(())
    }
}
