//! KQL scalar function calls (`ago`, `bin`, `iff`, `strcat`, `tostring`, `parse_json` …) as
//! DataFusion expressions. A function that is not here is named in the error, never guessed.

use crate::plan::Planner;
use crate::scalar::{self, convert, to_text};
use crate::{PResult, PlanError};
use arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable, cast, lit, not, try_cast};
use mstic_kql_syntax::ast::{Expr, Ident, Literal};
use std::sync::Arc;

/// The scalar functions this front end knows (for "did you mean" in errors).
pub(crate) const FUNCTIONS: &[&str] = &[
    "ago", "now", "bin", "floor", "startofday", "startofweek", "startofmonth", "startofyear", "endofday",
    "format_datetime", "datetime_part", "hourofday", "dayofmonth", "dayofweek", "monthofyear", "getyear",
    "tolower", "toupper", "strcat", "strcat_delim", "split", "substring", "strlen", "replace_string",
    "replace_regex", "trim", "trim_start", "trim_end", "reverse", "indexof", "iff", "iif", "case",
    "coalesce", "isempty", "isnotempty", "isnull", "isnotnull", "tostring", "toint", "tolong", "todouble",
    "toreal", "tobool", "toboolean", "todatetime", "totimespan", "parse_json", "todynamic", "array_length",
    "bag_keys", "pack", "bag_pack", "pack_array", "parse_url", "parse_path", "ipv4_is_private",
    "ipv4_is_in_range", "hash_sha256", "base64_decode_tostring", "base64_encode_tostring", "extract",
    "extract_all", "not", "abs", "round", "log", "log10", "exp", "sqrt", "pow", "toscalar", "prev",
    "next", "row_number", "array_concat", "set_union", "set_intersect", "set_difference", "set_has_element", "unixtime_seconds_todatetime", "unixtime_milliseconds_todatetime",
    "unixtime_microseconds_todatetime", "unixtime_nanoseconds_todatetime",
];

fn arity(name: &Ident, args: &[Expr], min: usize, max: usize) -> PResult<()> {
    if args.len() < min || args.len() > max {
        let expected = if min == max { format!("{min}") } else { format!("{min} to {max}") };
        return Err(PlanError::new(
            format!("{}() takes {expected} argument{}, not {}", name.name, if max == 1 { "" } else { "s" }, args.len()),
            name.span,
        ));
    }
    Ok(())
}

/// A constant whole number argument (`extract(re, 1, s)`, `round(x, 2)`).
fn constant_long(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(Literal::Long(n), _) => Some(*n),
        Expr::Negate(inner, _) => constant_long(inner).map(|n| -n),
        _ => None,
    }
}

/// The Kusto type named by `typeof(long)`.
fn typeof_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Call { name, args } if name.name == "typeof" => match args.as_slice() {
            [Expr::Column(t)] => Some(t.name.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Converts a call; aggregate functions are handled by `summarize` and are an error here.
pub(crate) fn call(planner: &mut Planner, name: &Ident, args: &[Expr], schema: &DFSchema) -> PResult<DfExpr> {
    let span = name.span;
    if crate::aggregate::is_aggregate(&name.name) {
        return Err(PlanError::new(
            format!("{}() is an aggregation: use it in `summarize`", name.name),
            span,
        ));
    }
    // Arguments that are not plain values.
    match name.name.as_str() {
        "toscalar" => {
            arity(name, args, 1, 1)?;
            let sub = match &args[0] {
                Expr::Tabular(query) => planner.tabular(query)?,
                Expr::Column(table) if !planner.scope.scalars.contains_key(&table.name) && planner.is_table(&table.name) => {
                    planner.table(table)?
                }
                other => return convert(planner, other, schema),
            };
            // The first column of the first row.
            let first = sub.schema().fields().first().map(|f| f.name().clone()).ok_or_else(|| PlanError::new("toscalar() of a query with no columns", span))?;
            let sub = sub
                .select(vec![datafusion::logical_expr::ident(first.clone()).alias(first)])
                .and_then(|f| f.limit(0, Some(1)))
                .map_err(|e| PlanError::datafusion(e, span))?;
            return Ok(datafusion::logical_expr::expr_fn::scalar_subquery(Arc::new(sub.into_unoptimized_plan())));
        }
        "extract" => {
            arity(name, args, 3, 4)?;
            let group = constant_long(&args[1]).ok_or_else(|| PlanError::new("extract()'s capture group must be a number", args[1].span()))?;
            let pattern = convert(planner, &args[0], schema)?;
            let text = to_text(convert(planner, &args[2], schema)?, schema);
            let value = planner.session.call("kql_extract", vec![pattern, lit(group), text], span)?;
            return match args.get(3).and_then(typeof_name) {
                Some(t) => scalar::convert_to_kusto_type(value, &t, args[3].span()),
                None => Ok(value),
            };
        }
        "row_number" => {
            arity(name, args, 0, 1)?;
            let start = args.first().and_then(constant_long).unwrap_or(1);
            let number = datafusion::functions_window::expr_fn::row_number();
            return Ok(cast(number, DataType::Int64) + lit(start - 1));
        }
        "prev" | "next" => {
            arity(name, args, 1, 3)?;
            let value = convert(planner, &args[0], schema)?;
            let offset = args.get(1).map(|a| constant_long(a).ok_or_else(|| PlanError::new("the offset must be a number", a.span()))).transpose()?.unwrap_or(1);
            let default = args.get(2).map(|a| convert(planner, a, schema)).transpose()?;
            let default = default.map(|d| match d {
                DfExpr::Literal(v, _) => Some(v),
                _ => None,
            });
            let default = default.flatten();
            return Ok(if name.name == "prev" {
                datafusion::functions_window::expr_fn::lag(value, Some(offset), default)
            } else {
                datafusion::functions_window::expr_fn::lead(value, Some(offset), default)
            });
        }
        _ => {}
    }
    const ONE_ARGUMENT: &[&str] = &[
        "tolower", "toupper", "strlen", "reverse", "tostring", "toint", "tolong", "todouble", "toreal", "tobool",
        "toboolean", "todatetime", "totimespan", "parse_json", "todynamic", "array_length", "bag_keys", "parse_url",
        "parse_path", "ipv4_is_private", "hash_sha256", "base64_decode_tostring", "base64_encode_tostring", "abs",
        "log", "log10", "exp", "sqrt", "isnull", "isnotnull", "isempty", "isnotempty",
    ];
    if ONE_ARGUMENT.contains(&name.name.as_str()) {
        arity(name, args, 1, 1)?;
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(convert(planner, arg, schema)?);
    }
    let type_of = |v: &DfExpr| v.get_type(schema).unwrap_or(DataType::Null);
    let text = |v: DfExpr| to_text(v, schema);
    let session = planner.session;
    let udf = |udf: &str, args: Vec<DfExpr>| session.call(udf, args, span);
    let v = |i: usize| values[i].clone();
    Ok(match name.name.as_str() {
        "ago" => {
            arity(name, args, 1, 1)?;
            f::now() - v(0)
        }
        "now" => {
            arity(name, args, 0, 1)?;
            if values.is_empty() { f::now() } else { f::now() + v(0) }
        }
        "bin" | "floor" => {
            arity(name, args, 2, 2)?;
            if matches!(type_of(&values[0]), DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64) {
                let origin = lit(ScalarValue::TimestampNanosecond(Some(0), Some("UTC".into())));
                f::date_bin(v(1), v(0), origin)
            } else {
                // Floor to a multiple of the size, for negative values too.
                let (x, size) = (v(0), v(1));
                x.clone() - (((x % size.clone()) + size.clone()) % size)
            }
        }
        "startofday" | "startofmonth" | "startofyear" => {
            arity(name, args, 1, 1)?;
            let unit = &name.name["startof".len()..];
            f::date_trunc(lit(unit), v(0))
        }
        "startofweek" => {
            arity(name, args, 1, 1)?;
            // Kusto's weeks start on Sunday; 1970-01-04 was one.
            let sunday = lit(ScalarValue::TimestampNanosecond(Some(3 * 86_400_000_000_000), Some("UTC".into())));
            f::date_bin(scalar::timespan(7 * 86_400_000_000_000), v(0), sunday)
        }
        "endofday" => {
            arity(name, args, 1, 1)?;
            f::date_trunc(lit("day"), v(0)) + scalar::timespan(86_400_000_000_000 - 100)
        }
        "hourofday" | "dayofmonth" | "monthofyear" | "getyear" | "datetime_part" => {
            let (part, value) = if name.name == "datetime_part" {
                arity(name, args, 2, 2)?;
                let part = match &args[0] {
                    Expr::Literal(Literal::String(p), _) => p.to_lowercase(),
                    other => return Err(PlanError::new("datetime_part()'s part must be a string", other.span())),
                };
                (part, v(1))
            } else {
                arity(name, args, 1, 1)?;
                let part = match name.name.as_str() {
                    "hourofday" => "hour",
                    "dayofmonth" => "day",
                    "monthofyear" => "month",
                    _ => "year",
                };
                (part.to_string(), v(0))
            };
            cast(f::date_part(lit(part), value), DataType::Int64)
        }
        "dayofweek" => {
            arity(name, args, 1, 1)?;
            let days = cast(f::date_part(lit("dow"), v(0)), DataType::Int64);
            cast(days * lit(86_400_000_000_000i64), DataType::Duration(arrow::datatypes::TimeUnit::Nanosecond))
        }
        "format_datetime" => {
            arity(name, args, 2, 2)?;
            let format = match &args[1] {
                Expr::Literal(Literal::String(p), _) => kusto_datetime_format(p),
                other => return Err(PlanError::new("format_datetime()'s format must be a string", other.span())),
            };
            f::to_char(v(0), lit(format))
        }
        "tolower" => f::lower(text(v(0))),
        "toupper" => f::upper(text(v(0))),
        "strlen" => cast(f::character_length(text(v(0))), DataType::Int64),
        "reverse" => f::reverse(text(v(0))),
        "strcat" => f::concat(values.into_iter().map(text).collect()),
        "strcat_delim" => {
            arity(name, args, 2, 64)?;
            let mut values = values.into_iter().map(text);
            let delimiter = values.next().unwrap_or(lit(""));
            f::concat_ws(delimiter, values.collect())
        }
        "split" => {
            arity(name, args, 2, 3)?;
            let parts = udf("kql_split", vec![text(v(0)), text(v(1))])?;
            match values.get(2) {
                Some(index) => udf("kql_json_get", vec![parts, text(index.clone())])?,
                None => parts,
            }
        }
        "substring" => {
            arity(name, args, 2, 3)?;
            let start = cast(v(1), DataType::Int64) + lit(1i64);
            match values.get(2) {
                Some(length) => f::substring(text(v(0)), start, cast(length.clone(), DataType::Int64)),
                None => f::substr(text(v(0)), start),
            }
        }
        "indexof" => {
            arity(name, args, 2, 2)?;
            cast(f::strpos(text(v(0)), text(v(1))), DataType::Int64) - lit(1i64)
        }
        "replace_string" => {
            arity(name, args, 3, 3)?;
            f::replace(text(v(0)), text(v(1)), text(v(2)))
        }
        "replace_regex" => {
            arity(name, args, 3, 3)?;
            f::regexp_replace(text(v(0)), text(v(1)), text(v(2)), Some(lit("g")))
        }
        "trim" | "trim_start" | "trim_end" => {
            arity(name, args, 2, 2)?;
            udf(&format!("kql_{}", name.name), vec![text(v(0)), text(v(1))])?
        }
        "iff" | "iif" => {
            arity(name, args, 3, 3)?;
            scalar::iff(v(0), v(1), v(2), span)?
        }
        "case" => {
            if args.len() < 3 || args.len() % 2 == 0 {
                return Err(PlanError::new("case() takes condition/value pairs and a final else value", span));
            }
            let mut builder: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
            for pair in values[..values.len() - 1].chunks(2) {
                builder = Some(match builder {
                    None => datafusion::logical_expr::when(pair[0].clone(), pair[1].clone()),
                    Some(mut b) => b.when(pair[0].clone(), pair[1].clone()),
                });
            }
            let otherwise = values[values.len() - 1].clone();
            builder.map_or(Ok(otherwise.clone()), |mut b| b.otherwise(otherwise)).map_err(|e| PlanError::datafusion(e, span))?
        }
        "coalesce" => {
            arity(name, args, 1, 64)?;
            // Kusto skips empty strings as well as nulls.
            if values.iter().any(|v| scalar::is_text(&type_of(v))) {
                f::coalesce(values.into_iter().map(|v| f::nullif(text(v), lit(""))).collect())
            } else {
                f::coalesce(values)
            }
        }
        "isempty" | "isnotempty" => {
            arity(name, args, 1, 1)?;
            let value = v(0);
            let empty = if scalar::is_text(&type_of(&value)) {
                value.clone().is_null().or(value.eq(lit("")))
            } else {
                value.is_null()
            };
            if name.name == "isempty" { empty } else { not(empty) }
        }
        "isnull" => v(0).is_null(),
        "isnotnull" => v(0).is_not_null(),
        "not" => {
            arity(name, args, 1, 1)?;
            not(v(0))
        }
        "tostring" => {
            arity(name, args, 1, 1)?;
            text(v(0))
        }
        "toint" => numeric(v(0), DataType::Int32, &type_of(&values[0])),
        "tolong" => numeric(v(0), DataType::Int64, &type_of(&values[0])),
        "todouble" | "toreal" => try_cast(v(0), DataType::Float64),
        "tobool" | "toboolean" => try_cast(v(0), DataType::Boolean),
        "todatetime" => try_cast(v(0), DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some("UTC".into()))),
        "totimespan" => try_cast(v(0), DataType::Duration(arrow::datatypes::TimeUnit::Nanosecond)),
        "parse_json" | "todynamic" => udf("kql_json_normalize", vec![text(v(0))])?,
        "array_length" => udf("kql_array_length", vec![text(v(0))])?,
        "bag_keys" => udf("kql_bag_keys", vec![text(v(0))])?,
        "pack" | "bag_pack" => {
            if args.len() % 2 != 0 {
                return Err(PlanError::new(format!("{}() takes key/value pairs", name.name), span));
            }
            udf("kql_pack", values)?
        }
        "pack_array" => udf("kql_pack_array", values)?,
        "parse_url" => udf("kql_parse_url", vec![text(v(0))])?,
        "parse_path" => udf("kql_parse_path", vec![text(v(0))])?,
        "ipv4_is_private" => udf("kql_ipv4_is_private", vec![text(v(0))])?,
        "ipv4_is_in_range" => {
            arity(name, args, 2, 2)?;
            udf("kql_ipv4_is_in_range", vec![text(v(0)), text(v(1))])?
        }
        "hash_sha256" => udf("kql_hash_sha256", vec![text(v(0))])?,
        "base64_decode_tostring" => udf("kql_base64_decode", vec![text(v(0))])?,
        "base64_encode_tostring" => udf("kql_base64_encode", vec![text(v(0))])?,
        "extract_all" => {
            arity(name, args, 2, 2)?;
            udf("kql_extract_all", vec![text(v(0)), text(v(1))])?
        }
        "array_concat" => udf("kql_array_concat", values.into_iter().map(text).collect())?,
        "set_union" | "set_intersect" | "set_difference" => {
            arity(name, args, 2, 64)?;
            udf(&format!("kql_{}", name.name), values.into_iter().map(text).collect())?
        }
        "set_has_element" => {
            arity(name, args, 2, 2)?;
            udf("kql_set_has_element", vec![text(v(0)), text(v(1))])?
        }
        "unixtime_seconds_todatetime" | "unixtime_milliseconds_todatetime" | "unixtime_microseconds_todatetime" | "unixtime_nanoseconds_todatetime" => {
            arity(name, args, 1, 1)?;
            let per_second: i64 = match name.name.as_str() {
                "unixtime_seconds_todatetime" => 1_000_000_000,
                "unixtime_milliseconds_todatetime" => 1_000_000,
                "unixtime_microseconds_todatetime" => 1_000,
                _ => 1,
            };
            let nanos = cast(cast(v(0), DataType::Float64) * lit(per_second as f64), DataType::Int64);
            cast(nanos, DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some("UTC".into())))
        }
        "abs" => f::abs(v(0)),
        "round" => {
            arity(name, args, 1, 2)?;
            f::round(values)
        }
        "log" => f::ln(v(0)),
        "log10" => f::log10(v(0)),
        "exp" => f::exp(v(0)),
        "sqrt" => f::sqrt(v(0)),
        "pow" => {
            arity(name, args, 2, 2)?;
            f::power(cast(v(0), DataType::Float64), cast(v(1), DataType::Float64))
        }
        other => {
            let known: Vec<String> = FUNCTIONS.iter().map(|s| s.to_string()).collect();
            let suggestions = crate::closest(other, &known);
            let hint = if suggestions.is_empty() { String::new() } else { format!(" (did you mean {}?)", suggestions.join(", ")) };
            return Err(PlanError::new(format!("function `{other}` is not supported by local KQL{hint}"), span));
        }
    })
}

/// `toint`/`tolong`: numbers truncate; text parses (null when it does not).
fn numeric(value: DfExpr, target: DataType, source: &DataType) -> DfExpr {
    if matches!(source, DataType::Float64 | DataType::Float32) {
        try_cast(f::trunc(vec![value]), target)
    } else {
        try_cast(value, target)
    }
}

/// Kusto's `format_datetime` specifiers as chrono's.
fn kusto_datetime_format(format: &str) -> String {
    let tokens = [
        ("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("M", "%-m"), ("dd", "%d"), ("d", "%-d"), ("HH", "%H"),
        ("H", "%-H"), ("hh", "%I"), ("h", "%-I"), ("mm", "%M"), ("m", "%-M"), ("ss", "%S"), ("s", "%-S"),
        ("fffffff", "%7f"), ("ffffff", "%6f"), ("fffff", "%5f"), ("ffff", "%4f"), ("fff", "%3f"), ("ff", "%2f"),
        ("f", "%1f"), ("tt", "%p"),
    ];
    let mut out = String::new();
    let mut rest = format;
    'outer: while !rest.is_empty() {
        for (kusto, chrono) in tokens {
            if let Some(after) = rest.strip_prefix(kusto) {
                out.push_str(chrono);
                rest = after;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.replace("%7f", "%f").replace("%5f", "%6f").replace("%4f", "%6f").replace("%2f", "%3f").replace("%1f", "%3f")
}
