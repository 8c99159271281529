//! Kusto's scalar functions that DataFusion has no equivalent for, as DataFusion UDFs: term
//! matching (`has` and friends), dynamic values (kept as JSON text), URLs and paths, IPv4
//! ranges, hashing, base64, `extract`, `split` and regex `trim`.
//!
//! Dynamic values travel as JSON text. Reading a property or an element gives the value's text
//! for strings and scalars (so `d.Name == "x"` compares as Kusto does) and JSON text for objects
//! and arrays.

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, ListBuilder, StringArray, StringBuilder};
use arrow::datatypes::Field;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Accumulator, AggregateUDF, create_udaf};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use base64::Engine;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use regex::Regex;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, OnceLock};

/// Every function of this module, for registration in a session.
pub fn all() -> Vec<ScalarUDF> {
    let mut udfs = vec![
        text_predicate("kql_has", |h, n| term_match(h, n, false, true, true)),
        text_predicate("kql_has_cs", |h, n| term_match(h, n, true, true, true)),
        text_predicate("kql_hasprefix", |h, n| term_match(h, n, false, true, false)),
        text_predicate("kql_hasprefix_cs", |h, n| term_match(h, n, true, true, false)),
        text_predicate("kql_hassuffix", |h, n| term_match(h, n, false, false, true)),
        text_predicate("kql_hassuffix_cs", |h, n| term_match(h, n, true, false, true)),
        text_predicate("kql_contains", |h, n| lower(h).contains(&lower(n))),
        text_predicate("kql_contains_cs", |h, n| h.contains(n)),
        text_predicate("kql_startswith", |h, n| lower(h).starts_with(&lower(n))),
        text_predicate("kql_startswith_cs", |h, n| h.starts_with(n)),
        text_predicate("kql_endswith", |h, n| lower(h).ends_with(&lower(n))),
        text_predicate("kql_endswith_cs", |h, n| h.ends_with(n)),
        text_predicate("kql_matches_regex", |h, n| cached_regex(n).is_some_and(|r| r.is_match(h))),
        text_predicate("kql_ipv4_is_in_range", |ip, range| ipv4_in_range(ip, range).unwrap_or(false)),
        text_map("kql_json_normalize", |t| Some(normalize_json(t))),
        text_map("kql_json_text", |t| json_text(t)),
        text_map("kql_hash_sha256", |t| Some(hex::encode(Sha256::digest(t.as_bytes())))),
        text_map("kql_base64_decode", |t| {
            base64::engine::general_purpose::STANDARD.decode(t.trim()).ok().and_then(|b| String::from_utf8(b).ok())
        }),
        text_map("kql_base64_encode", |t| Some(base64::engine::general_purpose::STANDARD.encode(t.as_bytes()))),
        text_map("kql_parse_url", |t| parse_url(t)),
        text_map("kql_parse_path", |t| Some(parse_path(t))),
        text_map("kql_bag_keys", |t| match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(map)) => Some(Value::Array(map.keys().cloned().map(Value::String).collect()).to_string()),
            _ => None,
        }),
        text_map("kql_json_array_items", |t| Some(array_items(t).to_string())),
        text_pair_map("kql_json_get", |t, key| json_get(t, key)),
        text_pair_map("kql_split", |t, sep| {
            let parts: Vec<Value> = if sep.is_empty() {
                vec![Value::String(t.to_string())]
            } else {
                t.split(sep).map(|p| Value::String(p.to_string())).collect()
            };
            Some(Value::Array(parts).to_string())
        }),
        text_pair_map("kql_trim", |pattern, t| Some(trim_regex(pattern, t, true, true))),
        text_pair_map("kql_trim_start", |pattern, t| Some(trim_regex(pattern, t, true, false))),
        text_pair_map("kql_trim_end", |pattern, t| Some(trim_regex(pattern, t, false, true))),
        text_pair_map("kql_extract_all", |pattern, t| extract_all(pattern, t)),
        text_pair_map("kql_regex_groups", |pattern, t| regex_groups(pattern, t)),
    ];
    udfs.push(array_udf(
        "kql_ipv4_is_private",
        vec![DataType::Utf8],
        DataType::Boolean,
        move |arrays: &[ArrayRef]| {
            let texts = utf8(&arrays[0])?;
            let out: BooleanArray = texts.iter().map(|t| t.map(|t| ipv4_is_private(t).unwrap_or(false))).collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    ));
    udfs.push(array_udf(
        "kql_array_length",
        vec![DataType::Utf8],
        DataType::Int64,
        move |arrays: &[ArrayRef]| {
            let texts = utf8(&arrays[0])?;
            let out: Int64Array = texts
                .iter()
                .map(|t| match t.map(serde_json::from_str::<Value>) {
                    Some(Ok(Value::Array(items))) => Some(items.len() as i64),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    ));
    udfs.push(array_udf(
        "kql_extract",
        vec![DataType::Utf8, DataType::Int64, DataType::Utf8],
        DataType::Utf8,
        move |arrays: &[ArrayRef]| {
            let (patterns, groups, texts) = (utf8(&arrays[0])?, int64(&arrays[1])?, utf8(&arrays[2])?);
            let out: StringArray = (0..texts.len())
                .map(|i| {
                    if patterns.is_null(i) || groups.is_null(i) || texts.is_null(i) {
                        return None;
                    }
                    let regex = cached_regex(patterns.value(i))?;
                    let captures = regex.captures(texts.value(i))?;
                    captures.get(usize::try_from(groups.value(i)).ok()?).map(|m| m.as_str().to_string())
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    ));
    udfs.push(ScalarUDF::from(ListJson { signature: datafusion::logical_expr::Signature::any(1, Volatility::Immutable) }));
    udfs.push(list_to_text("kql_merge_bags", |items| {
        let mut bag = Map::new();
        for item in items.iter().flatten() {
            if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(item) {
                bag.extend(map);
            }
        }
        Some(Value::Object(bag).to_string())
    }));
    udfs.push(array_udf(
        "kql_dynamic_items",
        vec![DataType::Utf8],
        text_list_type(),
        move |arrays: &[ArrayRef]| {
            let texts = utf8(&arrays[0])?;
            let mut builder = ListBuilder::new(StringBuilder::new());
            for text in texts.iter() {
                match text {
                    None => builder.append_null(),
                    Some(t) => {
                        if let Value::Array(items) = array_items(t) {
                            for item in items {
                                builder.values().append_option(value_text(&item));
                            }
                        }
                        builder.append(true);
                    }
                }
            }
            Ok(Arc::new(builder.finish()) as ArrayRef)
        },
    ));
    udfs.push(variadic_json("kql_pack", |values| {
        let mut map = Map::new();
        for pair in values.chunks(2) {
            if let [Some(key), value] = pair {
                let key = value_text(key).unwrap_or_default();
                map.insert(key, value.clone().unwrap_or(Value::Null));
            }
        }
        Some(Value::Object(map).to_string())
    }));
    udfs.push(variadic_json("kql_array_concat", |values| {
        let mut items = Vec::new();
        for value in values.iter().flatten() {
            match value {
                Value::Array(a) => items.extend(a.iter().cloned()),
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(Value::Array(a)) => items.extend(a),
                    _ => return None,
                },
                _ => return None,
            }
        }
        Some(Value::Array(items).to_string())
    }));
    udfs.push(variadic_json("kql_set_union", |values| set_combine(values, SetOp::Union)));
    udfs.push(variadic_json("kql_set_intersect", |values| set_combine(values, SetOp::Intersect)));
    udfs.push(variadic_json("kql_set_difference", |values| set_combine(values, SetOp::Difference)));
    udfs.push(text_predicate("kql_set_has_element", |set, element| match serde_json::from_str::<Value>(set) {
        Ok(Value::Array(items)) => items.iter().any(|item| value_text(item).as_deref() == Some(element)),
        _ => false,
    }));
    udfs.push(variadic_json("kql_pack_array", |values| {
        Some(Value::Array(values.iter().map(|v| v.clone().unwrap_or(Value::Null)).collect()).to_string())
    }));
    udfs
}

/// A scalar function over whole arrays: `body` gets the arguments as arrays of one length (the
/// inputs already coerced to `inputs`) and returns the result array.
pub(crate) fn array_udf(
    name: &str,
    inputs: Vec<DataType>,
    output: DataType,
    body: impl Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync + 'static,
) -> ScalarUDF {
    create_udf(
        name,
        inputs,
        output,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| Ok(ColumnarValue::Array(body(&ColumnarValue::values_to_arrays(args)?)?))),
    )
}

/// The list type `array_agg` makes of text values.
fn text_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// A function of a list of texts (an `array_agg` result) returning text.
fn list_to_text(name: &str, make: fn(&[Option<String>]) -> Option<String>) -> ScalarUDF {
    array_udf(name, vec![text_list_type()], DataType::Utf8, move |arrays: &[ArrayRef]| {
        map_lists(&arrays[0], |items| {
            let items: Vec<Option<String>> = utf8(items)?.iter().map(|t| t.map(str::to_string)).collect();
            Ok(make(&items))
        })
    })
}

/// Text made from each list of a list array (null lists stay null).
fn map_lists(array: &ArrayRef, make: impl Fn(&ArrayRef) -> Result<Option<String>>) -> Result<ArrayRef> {
    let lists = array.as_any().downcast_ref::<ListArray>().ok_or_else(|| DataFusionError::Internal("expected a list".into()))?;
    let mut out = Vec::with_capacity(lists.len());
    for i in 0..lists.len() {
        out.push(if lists.is_null(i) { None } else { make(&lists.value(i))? });
    }
    Ok(Arc::new(StringArray::from(out)))
}

/// `make_set`/`make_list`: a list (of any element type) as a JSON array, numbers and booleans
/// as JSON numbers and booleans, texts holding JSON objects or arrays as those, other texts as
/// strings; nulls are left out, as Kusto does.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ListJson {
    signature: datafusion::logical_expr::Signature,
}

impl datafusion::logical_expr::ScalarUDFImpl for ListJson {
    fn name(&self) -> &str {
        "kql_list_json"
    }
    fn signature(&self) -> &datafusion::logical_expr::Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: datafusion::logical_expr::ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let json = map_lists(&arrays[0], |items| Ok(Some(Value::Array(json_values(items)?.into_iter().flatten().collect()).to_string())))?;
        Ok(ColumnarValue::Array(json))
    }
}

/// The values of an array as JSON values, by type.
fn json_values(array: &ArrayRef) -> Result<Vec<Option<Value>>> {
    Ok(match array.data_type() {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            int64(array)?.iter().map(|v| v.map(Value::from)).collect()
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => float64(array)?.iter().map(|v| v.map(Value::from)).collect(),
        DataType::Boolean => {
            let cast = cast(array, &DataType::Boolean)?;
            let values = cast.as_any().downcast_ref::<BooleanArray>().cloned().ok_or_else(|| DataFusionError::Internal("expected booleans".into()))?;
            values.iter().map(|v| v.map(Value::Bool)).collect()
        }
        _ => utf8(array)?.iter().map(|v| v.map(dynamic_value)).collect(),
    })
}

/// Kusto's `percentile(x, p)` on exact values: the nearest-rank value (the smallest value with
/// at least p% of the values at or below it).
pub fn percentile_udaf() -> AggregateUDF {
    create_udaf(
        "kql_percentile",
        vec![DataType::Float64, DataType::Float64],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(NearestRank::default()))),
        Arc::new(vec![DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true))), DataType::Float64]),
    )
}

#[derive(Debug, Default)]
struct NearestRank {
    values: Vec<f64>,
    percent: f64,
}

impl Accumulator for NearestRank {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (data, percents) = (float64(&values[0])?, float64(&values[1])?);
        self.values.extend(data.iter().flatten());
        if let Some(p) = percents.iter().flatten().next() {
            self.percent = p;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.values.is_empty() {
            return Ok(ScalarValue::Float64(None));
        }
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((self.percent / 100.0) * sorted.len() as f64).ceil() as usize;
        Ok(ScalarValue::Float64(Some(sorted[rank.clamp(1, sorted.len()) - 1])))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * 8
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self.values.iter().map(|v| ScalarValue::Float64(Some(*v))).collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list(&values, &DataType::Float64, true)),
            ScalarValue::Float64(Some(self.percent)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0]
            .as_any()
            .downcast_ref::<ListArray>()
            .ok_or_else(|| DataFusionError::Internal("expected a list".into()))?;
        for i in 0..lists.len() {
            if !lists.is_null(i) {
                self.values.extend(float64(&lists.value(i))?.iter().flatten());
            }
        }
        if let Some(p) = float64(&states[1])?.iter().flatten().next() {
            self.percent = p;
        }
        Ok(())
    }
}

fn float64(array: &ArrayRef) -> Result<Float64Array> {
    let cast = cast(array, &DataType::Float64)?;
    cast.as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("expected a float array".into()))
}

fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// The argument as a string array (other types are cast to text first).
pub(crate) fn utf8(array: &ArrayRef) -> Result<StringArray> {
    let cast = cast(array, &DataType::Utf8)?;
    cast.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("expected a string array".into()))
}

fn int64(array: &ArrayRef) -> Result<Int64Array> {
    let cast = cast(array, &DataType::Int64)?;
    cast.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("expected an integer array".into()))
}

/// A two-argument string predicate. Kusto strings are never null: a null side counts as the
/// empty string, so the result is never null.
fn text_predicate(name: &str, test: fn(&str, &str) -> bool) -> ScalarUDF {
    array_udf(
        name,
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Boolean,
        move |arrays: &[ArrayRef]| {
            let (left, right) = (utf8(&arrays[0])?, utf8(&arrays[1])?);
            let out: BooleanArray = (0..left.len())
                .map(|i| {
                    let l = if left.is_null(i) { "" } else { left.value(i) };
                    let r = if right.is_null(i) { "" } else { right.value(i) };
                    Some(test(l, r))
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    )
}

/// A one-argument text function; null in, null out.
fn text_map(name: &str, map: fn(&str) -> Option<String>) -> ScalarUDF {
    array_udf(
        name,
        vec![DataType::Utf8],
        DataType::Utf8,
        move |arrays: &[ArrayRef]| {
            let texts = utf8(&arrays[0])?;
            let out: StringArray = texts.iter().map(|t| t.and_then(map)).collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    )
}

/// A two-argument text function; null in, null out.
fn text_pair_map(name: &str, map: fn(&str, &str) -> Option<String>) -> ScalarUDF {
    array_udf(
        name,
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        move |arrays: &[ArrayRef]| {
            let (first, second) = (utf8(&arrays[0])?, utf8(&arrays[1])?);
            let out: StringArray = (0..first.len())
                .map(|i| {
                    if first.is_null(i) || second.is_null(i) {
                        return None;
                    }
                    map(first.value(i), second.value(i))
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        },
    )
}

/// A function of any number of arguments of any type, each seen as a JSON value (see
/// [`json_values`]), returning text.
fn variadic_json(name: &'static str, make: fn(&[Option<Value>]) -> Option<String>) -> ScalarUDF {
    ScalarUDF::from(VariadicJson { name, make: JsonMaker(make), signature: datafusion::logical_expr::Signature::variadic_any(Volatility::Immutable) })
}

/// A function pointer compared by name only (the UDF's name identifies it).
#[derive(Debug, Clone, Copy)]
struct JsonMaker(fn(&[Option<Value>]) -> Option<String>);

impl PartialEq for JsonMaker {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}
impl Eq for JsonMaker {}
impl std::hash::Hash for JsonMaker {
    fn hash<H: std::hash::Hasher>(&self, _state: &mut H) {}
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct VariadicJson {
    name: &'static str,
    make: JsonMaker,
    signature: datafusion::logical_expr::Signature,
}

impl datafusion::logical_expr::ScalarUDFImpl for VariadicJson {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &datafusion::logical_expr::Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: datafusion::logical_expr::ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let columns = arrays.iter().map(json_values).collect::<Result<Vec<_>>>()?;
        let rows = args.number_rows;
        let out: StringArray = (0..rows)
            .map(|i| {
                let values: Vec<Option<Value>> = columns.iter().map(|c| c.get(i).cloned().flatten()).collect();
                (self.make.0)(&values)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Whether `needle` occurs in `haystack` on term boundaries: a term is a maximal run of ASCII
/// letters and digits. `at_start`/`at_end` require the boundary before/after the match
/// (`has` both, `hasprefix` start, `hassuffix` end).
pub fn term_match(haystack: &str, needle: &str, case_sensitive: bool, at_start: bool, at_end: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (hay, need) = if case_sensitive { (haystack.to_string(), needle.to_string()) } else { (lower(haystack), lower(needle)) };
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(found) = hay[from..].find(&need) {
        let start = from + found;
        let end = start + need.len();
        let open = !at_start || start == 0 || !bytes[start - 1].is_ascii_alphanumeric() || !need.as_bytes()[0].is_ascii_alphanumeric();
        let close = !at_end
            || end == bytes.len()
            || !bytes[end].is_ascii_alphanumeric()
            || !need.as_bytes()[need.len() - 1].is_ascii_alphanumeric();
        if open && close {
            return true;
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// A compiled regex, cached by pattern (patterns are usually constants of the query).
fn cached_regex(pattern: &str) -> Option<Arc<Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() > 1000 {
        cache.clear();
    }
    cache.entry(pattern.to_string()).or_insert_with(|| Regex::new(pattern).ok().map(Arc::new)).clone()
}

/// `trim(regex, text)`: removes matches of `pattern` at the start and/or end.
fn trim_regex(pattern: &str, text: &str, start: bool, end: bool) -> String {
    let mut out = text;
    if start && let Some(regex) = cached_regex(&format!("^(?:{pattern})+")) {
        out = regex.find(out).map_or(out, |m| &out[m.end()..]);
    }
    if end && let Some(regex) = cached_regex(&format!("(?:{pattern})+$")) {
        out = regex.find(out).map_or(out, |m| &out[..m.start()]);
    }
    out.to_string()
}

/// `extract_all(regex, text)`: with no or one capture group, the array of matches (or of the
/// group); with several, an array of arrays of the groups.
fn extract_all(pattern: &str, text: &str) -> Option<String> {
    let regex = cached_regex(pattern)?;
    let groups = regex.captures_len() - 1;
    let items: Vec<Value> = regex
        .captures_iter(text)
        .map(|c| match groups {
            0 => Value::String(c[0].to_string()),
            1 => c.get(1).map_or(Value::Null, |m| Value::String(m.as_str().to_string())),
            _ => Value::Array((1..=groups).map(|g| c.get(g).map_or(Value::Null, |m| Value::String(m.as_str().to_string()))).collect()),
        })
        .collect();
    if items.is_empty() { None } else { Some(Value::Array(items).to_string()) }
}

/// The capture groups of the first match of `pattern` as a JSON array (null when it does not
/// match): the `parse` operator's extraction.
fn regex_groups(pattern: &str, text: &str) -> Option<String> {
    let regex = cached_regex(pattern)?;
    let captures = regex.captures(text)?;
    let groups: Vec<Value> =
        (1..captures.len()).map(|g| captures.get(g).map_or(Value::Null, |m| Value::String(m.as_str().to_string()))).collect();
    Some(Value::Array(groups).to_string())
}

/// Text as a dynamic value: JSON when it parses as an object or array, else the string itself.
fn dynamic_value(text: &str) -> Value {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        return value;
    }
    Value::String(text.to_string())
}

/// `parse_json`: the value as compact JSON text; text that is not JSON becomes a JSON string.
fn normalize_json(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => value.to_string(),
        Err(_) => Value::String(text.to_string()).to_string(),
    }
}

/// The text form of a dynamic value: strings without quotes, scalars as written, objects and
/// arrays as JSON; JSON null is null.
/// A dynamic argument as an array: a JSON array, or text holding one; `None` otherwise.
fn as_array(value: &Option<Value>) -> Option<Vec<Value>> {
    match value {
        Some(Value::Array(items)) => Some(items.clone()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// Which set function [`set_combine`] computes.
#[derive(Clone, Copy)]
enum SetOp {
    Union,
    Intersect,
    Difference,
}

/// `set_union` (distinct items of all arrays), `set_intersect` (of the first array, those in
/// every other) and `set_difference` (of the first array, those in no other), in order of
/// appearance. Null when an argument is not an array.
fn set_combine(values: &[Option<Value>], op: SetOp) -> Option<String> {
    let sets: Vec<Vec<Value>> = values.iter().map(as_array).collect::<Option<_>>()?;
    let (first, rest) = sets.split_first()?;
    let candidates: Vec<&Value> = match op {
        SetOp::Union => sets.iter().flatten().collect(),
        SetOp::Intersect | SetOp::Difference => first.iter().collect(),
    };
    let mut out: Vec<Value> = Vec::new();
    for item in candidates {
        let keep = match op {
            SetOp::Union => true,
            SetOp::Intersect => rest.iter().all(|set| set.contains(item)),
            SetOp::Difference => !rest.iter().any(|set| set.contains(item)),
        };
        if keep && !out.contains(item) {
            out.push(item.clone());
        }
    }
    Some(Value::Array(out).to_string())
}

pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `tostring(dynamic)`: the JSON text's value as text.
fn json_text(text: &str) -> Option<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => value_text(&value),
        Err(_) => Some(text.to_string()),
    }
}

/// `d.key` / `d["key"]` / `d[0]`: the property or element as text (see [`value_text`]).
fn json_get(text: &str, key: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let found = match &value {
        Value::Object(map) => map.get(key),
        Value::Array(items) => {
            let index: i64 = key.parse().ok()?;
            let index = if index < 0 { items.len() as i64 + index } else { index };
            usize::try_from(index).ok().and_then(|i| items.get(i))
        }
        _ => None,
    }?;
    value_text(found)
}

/// The elements of a JSON array as a JSON array of their texts (for `mv-expand`); a value that is
/// not an array expands to itself; a bag expands to one `{"key": value}` bag per property.
fn array_items(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Value::Array(items.iter().map(|v| value_text(v).map_or(Value::Null, Value::String)).collect()),
        Ok(Value::Object(map)) => Value::Array(
            map.into_iter()
                .map(|(k, v)| {
                    let mut one = Map::new();
                    one.insert(k, v);
                    Value::String(Value::Object(one).to_string())
                })
                .collect(),
        ),
        Ok(Value::Null) => Value::Array(vec![]),
        Ok(other) => Value::Array(vec![value_text(&other).map_or(Value::Null, Value::String)]),
        Err(_) => Value::Array(vec![Value::String(text.to_string())]),
    }
}

/// `parse_url`: Kusto's property bag of a URL's parts; null when it is not an absolute URL.
fn parse_url(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let mut query = Map::new();
    for (k, v) in url.query_pairs() {
        query.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    let mut bag = Map::new();
    bag.insert("Scheme".into(), Value::String(url.scheme().to_string()));
    bag.insert("Host".into(), Value::String(url.host_str().unwrap_or_default().to_string()));
    bag.insert("Port".into(), Value::String(url.port().map(|p| p.to_string()).unwrap_or_default()));
    bag.insert("Path".into(), Value::String(url.path().to_string()));
    bag.insert("Username".into(), Value::String(url.username().to_string()));
    bag.insert("Password".into(), Value::String(url.password().unwrap_or_default().to_string()));
    bag.insert("Query Parameters".into(), Value::Object(query));
    bag.insert("Fragment".into(), Value::String(url.fragment().unwrap_or_default().to_string()));
    Some(Value::Object(bag).to_string())
}

/// `parse_path`: Kusto's property bag of a file path's parts (Windows or Unix separators).
fn parse_path(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => (&text[..i], &text[i + 3..]),
        None => ("", text),
    };
    let split = rest.rfind(['\\', '/']);
    let (directory, file) = match split {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let (file, stream) = match file.find(':') {
        Some(i) => (&file[..i], &file[i + 1..]),
        None => (file, ""),
    };
    let extension = file.rfind('.').map_or("", |i| &file[i + 1..]);
    let root = if rest.len() >= 2 && rest.as_bytes()[1] == b':' {
        &rest[..2]
    } else if rest.starts_with("\\\\") {
        rest[2..].find('\\').map_or(rest, |i| &rest[..i + 2])
    } else if rest.starts_with('/') {
        "/"
    } else {
        ""
    };
    let directory_name = directory.rsplit(['\\', '/']).next().unwrap_or_default();
    let mut bag = Map::new();
    bag.insert("Scheme".into(), Value::String(scheme.to_string()));
    bag.insert("RootPath".into(), Value::String(root.to_string()));
    bag.insert("DirectoryPath".into(), Value::String(directory.to_string()));
    bag.insert("DirectoryName".into(), Value::String(directory_name.to_string()));
    bag.insert("Filename".into(), Value::String(file.to_string()));
    bag.insert("Extension".into(), Value::String(extension.to_string()));
    bag.insert("AlternateDataStreamName".into(), Value::String(stream.to_string()));
    Value::Object(bag).to_string()
}

/// RFC 1918 private ranges (10/8, 172.16/12, 192.168/16).
fn ipv4_is_private(text: &str) -> Option<bool> {
    let ip: Ipv4Addr = text.trim().parse().ok()?;
    Some(ip.is_private())
}

/// `ipv4_is_in_range(ip, "10.0.0.0/8")` (a range without `/` is one address).
fn ipv4_in_range(ip: &str, range: &str) -> Option<bool> {
    let ip: Ipv4Addr = ip.trim().parse().ok()?;
    let (base, bits) = match range.split_once('/') {
        Some((b, n)) => (b, n.trim().parse::<u32>().ok().filter(|n| *n <= 32)?),
        None => (range, 32),
    };
    let base: Ipv4Addr = base.trim().parse().ok()?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    Some(u32::from(ip) & mask == u32::from(base) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_matches_whole_terms_only() {
        assert!(term_match("North America", "america", false, true, true));
        assert!(!term_match("North America", "amer", false, true, true));
        assert!(term_match("ad67d136-c1db-4f9f", "c1db", false, true, true));
        assert!(!term_match("KustoExplorerQueryRun", "Query", false, true, true));
        assert!(term_match("cmd.exe /c whoami", "cmd.exe", false, true, true));
        assert!(!term_match("North America", "america", true, true, true));
        assert!(term_match("North America", "Amer", false, true, false));
        assert!(term_match("Fabrikam", "kam", false, false, false));
        assert!(term_match("North America", "ica", false, false, true));
    }

    #[test]
    fn ipv4_ranges_and_private_addresses() {
        assert_eq!(ipv4_in_range("192.168.1.7", "192.168.1.0/24"), Some(true));
        assert_eq!(ipv4_in_range("192.168.2.7", "192.168.1.0/24"), Some(false));
        assert_eq!(ipv4_in_range("10.1.1.1", "10.1.1.1"), Some(true));
        assert_eq!(ipv4_in_range("nonsense", "10.0.0.0/8"), None);
        assert_eq!(ipv4_is_private("172.20.0.1"), Some(true));
        assert_eq!(ipv4_is_private("8.8.8.8"), Some(false));
    }

    #[test]
    fn paths_split_as_kusto_documents() {
        let bag: Value = serde_json::from_str(&parse_path(r"C:\temp\file.txt")).unwrap();
        assert_eq!(bag["RootPath"], "C:");
        assert_eq!(bag["DirectoryPath"], r"C:\temp");
        assert_eq!(bag["DirectoryName"], "temp");
        assert_eq!(bag["Filename"], "file.txt");
        assert_eq!(bag["Extension"], "txt");
        let bag: Value = serde_json::from_str(&parse_path("/usr/lib/libc.so:stream")).unwrap();
        assert_eq!(bag["Filename"], "libc.so");
        assert_eq!(bag["AlternateDataStreamName"], "stream");
    }

    #[test]
    fn dynamic_access_gives_text() {
        assert_eq!(json_get(r#"{"a":{"b":1}}"#, "a").as_deref(), Some(r#"{"b":1}"#));
        assert_eq!(json_get(r#"{"a":"x"}"#, "a").as_deref(), Some("x"));
        assert_eq!(json_get("[1,2,3]", "-1").as_deref(), Some("3"));
        assert_eq!(json_get("[1,2,3]", "9"), None);
        assert_eq!(trim_regex(r"\s", "  a b  ", true, true), "a b");
        assert_eq!(extract_all(r"(\d+)", "a1b22").as_deref(), Some(r#"["1","22"]"#));
    }
}
