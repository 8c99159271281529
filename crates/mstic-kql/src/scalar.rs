//! Scalar expressions: KQL operators and functions as DataFusion expressions, with Kusto's
//! semantics — `==` case-sensitive and `=~` not, `has` on whole terms, strings never null (a
//! missing string is the empty string), timespans and datetimes as Kusto writes them.

use crate::plan::Planner;
use crate::{PResult, PlanError};
use arrow::datatypes::{DataType, IntervalMonthDayNano, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable, cast, ident, in_list, lit, not, try_cast, when};
use mstic_kql_syntax::ast::{BinaryOp, Expr, Ident, Literal, Span, StringPredicate};
use std::collections::HashMap;
use std::sync::Arc;

/// What `let` bound: tabular values (plans) and scalar values (with their syntax, so a
/// `dynamic([...])` list can be expanded by `in`).
#[derive(Default)]
pub(crate) struct Scope {
    pub(crate) tables: HashMap<String, datafusion::dataframe::DataFrame>,
    pub(crate) scalars: HashMap<String, (DfExpr, Expr)>,
}

/// The UTC timestamp type every datetime uses.
fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// A timespan literal as a DataFusion interval of nanoseconds only (no months or days, so it
/// converts to a duration for comparisons with datetime differences).
pub(crate) fn timespan(nanos: i64) -> DfExpr {
    lit(ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 0, nanos))))
}

/// Parses the text of `datetime(…)`.
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return t.timestamp_nanos_opt();
    }
    let trimmed = text.trim_end_matches('Z');
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, format) {
            return Utc.from_utc_datetime(&t).timestamp_nanos_opt();
        }
    }
    for format in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(trimmed, format) {
            return Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?).timestamp_nanos_opt();
        }
    }
    None
}

/// The Arrow type of a Kusto type name.
pub(crate) fn kusto_type(name: &str) -> Option<DataType> {
    Some(match name {
        "string" | "dynamic" | "guid" | "uniqueid" => DataType::Utf8,
        "long" | "int64" => DataType::Int64,
        "int" | "int32" => DataType::Int32,
        "real" | "double" | "decimal" => DataType::Float64,
        "bool" | "boolean" => DataType::Boolean,
        "datetime" | "date" => timestamp_type(),
        "timespan" | "time" => DataType::Duration(TimeUnit::Nanosecond),
        _ => return None,
    })
}

/// `value` converted to a Kusto type (null when it does not convert).
pub(crate) fn convert_to_kusto_type(value: DfExpr, type_name: &str, span: Span) -> PResult<DfExpr> {
    match kusto_type(type_name) {
        Some(t) => Ok(try_cast(value, t)),
        None => Err(PlanError::new(format!("unknown type `{type_name}`"), span)),
    }
}

/// Whether `t` is one of Arrow's text types.
pub(crate) fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_time(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64)
}

fn type_of(value: &DfExpr, schema: &DFSchema) -> DataType {
    value.get_type(schema).unwrap_or(DataType::Null)
}

/// `value` as text: strings as they are, datetimes in Kusto's ISO form, anything else cast.
pub(crate) fn to_text(value: DfExpr, schema: &DFSchema) -> DfExpr {
    let t = type_of(&value, schema);
    if is_text(&t) {
        value
    } else if is_time(&t) {
        DfExpr::ScalarFunction(ScalarFunction::new_udf(
            datafusion::functions::datetime::to_char(),
            vec![value, lit("%Y-%m-%dT%H:%M:%S%.fZ")],
        ))
    } else {
        cast(value, DataType::Utf8)
    }
}

/// A string operand as Kusto sees it: never null (null is the empty string).
fn text_operand(value: DfExpr, schema: &DFSchema) -> DfExpr {
    let text = to_text(value, schema);
    datafusion::functions::expr_fn::coalesce(vec![text, lit("")])
}

/// Converts one scalar expression against the input's schema.
pub(crate) fn convert(planner: &mut Planner, expr: &Expr, schema: &DFSchema) -> PResult<DfExpr> {
    match expr {
        Expr::Literal(literal, span) => literal_value(literal, *span),
        Expr::Column(name) => column(planner, name, schema),
        Expr::Negate(inner, _) => Ok(DfExpr::Negative(Box::new(convert(planner, inner, schema)?))),
        Expr::Binary { op, left, right, span } => binary(planner, *op, left, right, *span, schema),
        Expr::Call { name, args } => crate::calls::call(planner, name, args, schema),
        Expr::Star(span) => Err(PlanError::new("`*` is only allowed as a function argument such as count(*)", *span)),
        Expr::Member { base, name } => {
            let base = to_text(convert(planner, base, schema)?, schema);
            planner.session.call("kql_json_get", vec![base, lit(name.name.clone())], name.span)
        }
        Expr::Index { base, index, span } => {
            let base = to_text(convert(planner, base, schema)?, schema);
            let index = to_text(convert(planner, index, schema)?, schema);
            planner.session.call("kql_json_get", vec![base, index], *span)
        }
        Expr::In { expr, list, negated, case_insensitive, span } => {
            let value = convert(planner, expr, schema)?;
            let subquery = match list.as_slice() {
                [Expr::Tabular(query)] => Some(planner.tabular(query)?),
                [Expr::Column(name)] if !planner.scope.scalars.contains_key(&name.name) && planner.is_table(&name.name) => {
                    Some(planner.table(name)?)
                }
                _ => None,
            };
            if let Some(sub) = subquery {
                let first = sub.schema().fields().first().map(|f| f.name().clone()).ok_or_else(|| PlanError::new("the subquery has no columns", *span))?;
                let sub = sub.select(vec![ident(first.clone()).alias(first)]).map_err(|e| PlanError::datafusion(e, *span))?;
                let plan = Arc::new(sub.into_unoptimized_plan());
                let test = datafusion::logical_expr::expr_fn::in_subquery(value, plan);
                return Ok(if *negated { not(test) } else { test });
            }
            let items = list_items(planner, list, schema)?;
            let value_type = type_of(&value, schema);
            if value_type.is_numeric()
                && let Some(text) = items.iter().find(|i| matches!(i, DfExpr::Literal(ScalarValue::Utf8(Some(_)), _)))
            {
                return Err(PlanError::new(
                    format!("`in` compares a number with the string {text}; write the numbers without quotes"),
                    *span,
                ));
            }
            let (value, items) = if *case_insensitive || is_text(&value_type) {
                let lower = |v: DfExpr| datafusion::functions::expr_fn::lower(v);
                let value = text_operand(value, schema);
                let items = items.into_iter().map(|i| to_text(i, schema)).collect::<Vec<_>>();
                if *case_insensitive {
                    (lower(value), items.into_iter().map(lower).collect())
                } else {
                    (value, items)
                }
            } else {
                (value, items)
            };
            Ok(in_list(value, items, *negated))
        }
        Expr::HasAny { expr, list, all, span } => {
            let value = text_operand(convert(planner, expr, schema)?, schema);
            let items = list_items(planner, list, schema)?;
            if items.is_empty() {
                return Ok(lit(false));
            }
            let mut tests = Vec::new();
            for item in items {
                tests.push(planner.session.call("kql_has", vec![value.clone(), text_operand(item, schema)], *span)?);
            }
            let combine = |a: DfExpr, b: DfExpr| if *all { a.and(b) } else { a.or(b) };
            Ok(tests.into_iter().reduce(combine).unwrap_or(lit(false)))
        }
        Expr::Between { expr, low, high, negated, .. } => {
            let value = convert(planner, expr, schema)?;
            let low = convert(planner, low, schema)?;
            let mut high_value = convert(planner, high, schema)?;
            // `datetime .. timespan` means start .. start + span.
            if is_time(&type_of(&value, schema)) && matches!(high.as_ref(), Expr::Literal(Literal::Timespan(_), _)) {
                high_value = low.clone() + high_value;
            }
            Ok(if *negated { value.not_between(low, high_value) } else { value.between(low, high_value) })
        }
        Expr::Tabular(query) => Err(PlanError::new(
            "a tabular expression is not a value here (use toscalar(…) or `in (…)`)",
            query.span,
        )),
    }
}

/// The values of an `in`/`has_any` list: literals, expressions, and `dynamic([...])` arrays
/// (written there or bound by `let`) spread into their elements.
fn list_items(planner: &mut Planner, list: &[Expr], schema: &DFSchema) -> PResult<Vec<DfExpr>> {
    let mut items = Vec::new();
    for item in list {
        let dynamic = match item {
            Expr::Literal(Literal::Dynamic(text), span) => Some((text.clone(), *span)),
            Expr::Column(name) => match planner.scope.scalars.get(&name.name) {
                Some((_, Expr::Literal(Literal::Dynamic(text), span))) => Some((text.clone(), *span)),
                _ => None,
            },
            _ => None,
        };
        match dynamic {
            Some((text, span)) => match parse_dynamic(&text, span)? {
                serde_json::Value::Array(values) => items.extend(values.iter().map(json_literal)),
                other => items.push(json_literal(&other)),
            },
            None => items.push(convert(planner, item, schema)?),
        }
    }
    Ok(items)
}

fn json_literal(value: &serde_json::Value) -> DfExpr {
    match value {
        serde_json::Value::Null => lit(ScalarValue::Utf8(None)),
        serde_json::Value::Bool(b) => lit(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => lit(i),
            None => lit(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => lit(s.clone()),
        other => lit(other.to_string()),
    }
}

/// The JSON of a `dynamic(…)` literal (single-quoted strings allowed, as Kusto does).
pub(crate) fn parse_dynamic(text: &str, span: Span) -> PResult<serde_json::Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let requoted = requote(text);
    serde_json::from_str(&requoted).map_err(|e| PlanError::new(format!("dynamic literal is not valid: {e}"), span))
}

/// Single-quoted strings as double-quoted JSON strings.
fn requote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_single = false;
    let mut in_double = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '\'' if !in_double => {
                in_single = !in_single;
                out.push('"');
            }
            '"' if in_single => out.push_str("\\\""),
            '"' => {
                in_double = !in_double;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn literal_value(literal: &Literal, span: Span) -> PResult<DfExpr> {
    Ok(match literal {
        Literal::Null => lit(ScalarValue::Null),
        Literal::Bool(b) => lit(*b),
        Literal::Long(n) => lit(*n),
        Literal::Real(x) => lit(*x),
        Literal::String(s) => lit(s.clone()),
        Literal::Timespan(nanos) => timespan(*nanos),
        Literal::Datetime(text) => {
            let nanos = parse_datetime(text)
                .ok_or_else(|| PlanError::new(format!("`{text}` is not a datetime Kusto can read"), span))?;
            lit(ScalarValue::TimestampNanosecond(Some(nanos), Some("UTC".into())))
        }
        Literal::Dynamic(text) => lit(parse_dynamic(text, span)?.to_string()),
        Literal::Guid(text) => lit(text.trim().to_string()),
        Literal::TypedNull(t) => {
            let data_type = kusto_type(t).ok_or_else(|| PlanError::new(format!("unknown type `{t}`"), span))?;
            lit(ScalarValue::try_from(&data_type).map_err(|e| PlanError::datafusion(e, span))?)
        }
    })
}

fn column(planner: &Planner, name: &Ident, schema: &DFSchema) -> PResult<DfExpr> {
    if schema.fields().iter().any(|f| f.name() == &name.name) {
        return Ok(ident(name.name.clone()));
    }
    if let Some((value, _)) = planner.scope.scalars.get(&name.name) {
        return Ok(value.clone());
    }
    let known: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    Err(PlanError::unknown("column", &name.name, &known, name.span))
}

fn binary(planner: &mut Planner, op: BinaryOp, left: &Expr, right: &Expr, span: Span, schema: &DFSchema) -> PResult<DfExpr> {
    let l = convert(planner, left, schema)?;
    let r = convert(planner, right, schema)?;
    let (lt, rt) = (type_of(&l, schema), type_of(&r, schema));
    let text = is_text(&lt) || is_text(&rt);
    // Timespans compare as durations (a datetime difference against `1d`).
    let span_like = |t: &DataType| matches!(t, DataType::Interval(_) | DataType::Duration(_));
    let comparison = matches!(op, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge);
    let (l, r) = if comparison && span_like(&lt) && span_like(&rt) {
        let duration = DataType::Duration(TimeUnit::Nanosecond);
        (cast(l, duration.clone()), cast(r, duration))
    } else {
        (l, r)
    };
    Ok(match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div => l / r,
        BinaryOp::Mod => l % r,
        BinaryOp::Lt => l.lt(r),
        BinaryOp::Le => l.lt_eq(r),
        BinaryOp::Gt => l.gt(r),
        BinaryOp::Ge => l.gt_eq(r),
        BinaryOp::Eq if text => text_operand(l, schema).eq(text_operand(r, schema)),
        BinaryOp::NotEq if text => text_operand(l, schema).not_eq(text_operand(r, schema)),
        BinaryOp::Eq => l.eq(r),
        BinaryOp::NotEq => l.not_eq(r),
        BinaryOp::EqTilde | BinaryOp::NotEqTilde => {
            let lower = |v| datafusion::functions::expr_fn::lower(text_operand(v, schema));
            let test = lower(l).eq(lower(r));
            if op == BinaryOp::NotEqTilde { not(test) } else { test }
        }
        BinaryOp::And => l.and(r),
        BinaryOp::Or => l.or(r),
        BinaryOp::Str(predicate, negated) => {
            let name = match predicate {
                StringPredicate::Has => "kql_has",
                StringPredicate::HasCs => "kql_has_cs",
                StringPredicate::HasPrefix => "kql_hasprefix",
                StringPredicate::HasPrefixCs => "kql_hasprefix_cs",
                StringPredicate::HasSuffix => "kql_hassuffix",
                StringPredicate::HasSuffixCs => "kql_hassuffix_cs",
                StringPredicate::Contains => "kql_contains",
                StringPredicate::ContainsCs => "kql_contains_cs",
                StringPredicate::StartsWith => "kql_startswith",
                StringPredicate::StartsWithCs => "kql_startswith_cs",
                StringPredicate::EndsWith => "kql_endswith",
                StringPredicate::EndsWithCs => "kql_endswith_cs",
                StringPredicate::MatchesRegex => "kql_matches_regex",
            };
            let test = planner.session.call(name, vec![to_text(l, schema), to_text(r, schema)], span)?;
            if negated { not(test) } else { test }
        }
    })
}

/// `iff(condition, then, else)`.
pub(crate) fn iff(condition: DfExpr, then: DfExpr, otherwise: DfExpr, span: Span) -> PResult<DfExpr> {
    when(condition, then).otherwise(otherwise).map_err(|e| PlanError::datafusion(e, span))
}
