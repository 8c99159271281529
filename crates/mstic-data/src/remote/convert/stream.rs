//! Streaming read of a Log Analytics response: rows go straight from the JSON text into the
//! column builders (strings borrowed from the body where they have no escapes), without first
//! building a JSON value tree — the converter's hot path for large results. An interrupt of the
//! cell stops the read between rows.

use super::table::{Cell, ColumnSpec, TableBuilder};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// One table of the response.
pub struct StreamedTable {
    /// `name` (e.g. `PrimaryResult`).
    pub name: String,
    /// The rows, converted.
    pub builder: TableBuilder,
}

/// The response: its tables and top-level `error` object.
pub struct StreamedResponse {
    /// The tables in order.
    pub tables: Vec<StreamedTable>,
    /// The `error` object (`PartialError`), if any.
    pub error: Option<Value>,
}

/// Parses a Log Analytics response body.
pub fn read_log_analytics(body: &[u8]) -> serde_json::Result<StreamedResponse> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let response = deserializer.deserialize_map(ResponseVisitor)?;
    deserializer.end()?;
    Ok(response)
}

struct ResponseVisitor;

impl<'de> Visitor<'de> for ResponseVisitor {
    type Value = StreamedResponse;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Log Analytics response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StreamedResponse, A::Error> {
        let mut response = StreamedResponse { tables: Vec::new(), error: None };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "tables" => response.tables = map.next_value_seed(TablesSeed)?,
                "error" => response.error = map.next_value::<Option<Value>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(response)
    }
}

struct TablesSeed;

impl<'de> DeserializeSeed<'de> for TablesSeed {
    type Value = Vec<StreamedTable>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TablesSeed {
    type Value = Vec<StreamedTable>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut tables = Vec::new();
        while let Some(table) = seq.next_element_seed(TableSeed)? {
            tables.push(table);
        }
        Ok(tables)
    }
}

#[derive(Deserialize)]
struct Column {
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
}

struct TableSeed;

impl<'de> DeserializeSeed<'de> for TableSeed {
    type Value = StreamedTable;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed {
    type Value = StreamedTable;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table with columns and rows")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StreamedTable, A::Error> {
        let mut name = String::new();
        let mut builder: Option<TableBuilder> = None;
        let mut early_rows: Option<Vec<Vec<Value>>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "name" => name = map.next_value()?,
                "columns" => {
                    let columns: Vec<Column> = map.next_value()?;
                    let specs: Vec<ColumnSpec> = columns.into_iter().map(|c| ColumnSpec::new(c.name, &c.kind)).collect();
                    builder = Some(TableBuilder::new(specs, 1024));
                }
                "rows" => match builder.as_mut() {
                    Some(builder) => map.next_value_seed(RowsSeed(builder))?,
                    None => early_rows = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let mut builder = builder.ok_or_else(|| serde::de::Error::missing_field("columns"))?;
        for row in early_rows.unwrap_or_default() {
            builder.push_array(&row);
        }
        Ok(StreamedTable { name, builder })
    }
}

struct RowsSeed<'b>(&'b mut TableBuilder);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut rows = 0usize;
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {
            rows += 1;
            if rows.is_multiple_of(super::INTERRUPT_CHECK_ROWS) && mstic_core::interrupt::is_requested() {
                return Err(serde::de::Error::custom("interrupted"));
            }
        }
        Ok(())
    }
}

struct RowSeed<'b>(&'b mut TableBuilder);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (list of values)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let columns = self.0.num_columns();
        let mut given = 0;
        loop {
            if given < columns {
                if seq.next_element_seed(CellSeed { builder: &mut *self.0, column: given })?.is_none() {
                    break;
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            given += 1;
        }
        self.0.end_row(given);
        Ok(())
    }
}

struct CellSeed<'b> {
    builder: &'b mut TableBuilder,
    column: usize,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.builder.push_cell(self.column, Cell::Null);
        Ok(())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.builder.push_cell(self.column, Cell::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.builder.push_cell(self.column, Cell::Int(v));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        let cell = i64::try_from(v).map(Cell::Int).unwrap_or(Cell::UInt(v));
        self.builder.push_cell(self.column, cell);
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.builder.push_cell(self.column, Cell::Float(v));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.builder.push_cell(self.column, Cell::Str(v));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        self.builder.push_cell(self.column, Cell::Json(value.to_string()));
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.builder.push_cell(self.column, Cell::Json(value.to_string()));
        Ok(())
    }
}
