//! Nested column values (arrays, maps, structs, data-carrying enums): collected through
//! `serde_json::Value` and written as one JSON text, which is how both servers load ARRAY,
//! MAP, STRUCT and JSON columns from CSV and JSON bodies alike. Every element is first walked
//! by [`FiniteCheck`], because the detour would turn NaN into `null` without a word.

use serde::ser::{self, Serialize};

use super::finite::FiniteCheck;
use super::serializer::{EncodeFailure, ValueSerializer};
use super::writer::RowWriter;

type Res = Result<(), EncodeFailure>;

/// A nested value being collected as `serde_json::Value`, then written as JSON text.
pub(crate) struct Nested<'a, W, C> {
    parent: ValueSerializer<'a, W>,
    inner: C,
}

impl<'a, W: RowWriter, C> Nested<'a, W, C> {
    pub(crate) fn start(
        parent: ValueSerializer<'a, W>,
        inner: Result<C, serde_json::Error>,
    ) -> Result<Self, EncodeFailure> {
        let inner = inner.map_err(json_err)?;
        Ok(Self { parent, inner })
    }
}

fn json_err(e: serde_json::Error) -> EncodeFailure {
    EncodeFailure::new(None, e.to_string())
}

macro_rules! nested_impl {
    ($trait:ident, $method:ident $(, $key:ty)?) => {
        impl<W: RowWriter, C> ser::$trait for Nested<'_, W, C>
        where
            C: ser::$trait<Ok = serde_json::Value, Error = serde_json::Error>,
        {
            type Ok = ();
            type Error = EncodeFailure;
            fn $method<T: ?Sized + Serialize>(&mut self, $(key: $key,)? value: &T) -> Res {
                value.serialize(FiniteCheck)?;
                self.inner.$method($(nested_impl!(@key key $key),)? value).map_err(json_err)
            }
            fn end(self) -> Res {
                let json = self.inner.end().map_err(json_err)?;
                self.parent.nested(json)
            }
        }
    };
    (@key $k:ident $t:ty) => { $k };
}

nested_impl!(SerializeSeq, serialize_element);
nested_impl!(SerializeTuple, serialize_element);
nested_impl!(SerializeTupleStruct, serialize_field);
nested_impl!(SerializeTupleVariant, serialize_field);
nested_impl!(SerializeStruct, serialize_field, &'static str);
nested_impl!(SerializeStructVariant, serialize_field, &'static str);

impl<W: RowWriter, C> ser::SerializeMap for Nested<'_, W, C>
where
    C: ser::SerializeMap<Ok = serde_json::Value, Error = serde_json::Error>,
{
    type Ok = ();
    type Error = EncodeFailure;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Res {
        self.inner.serialize_key(key).map_err(json_err)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Res {
        value.serialize(FiniteCheck)?;
        self.inner.serialize_value(value).map_err(json_err)
    }
    fn end(self) -> Res {
        let json = self.inner.end().map_err(json_err)?;
        self.parent.nested(json)
    }
}
