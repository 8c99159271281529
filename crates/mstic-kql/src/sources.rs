//! Rows that do not come from a table: `datatable`, `print`, `range`, and the operators that
//! reshape rows (`mv-expand`, `getschema`).

use crate::plan::{Planner, names, output_name, replace_or_append};
use crate::scalar::{convert, kusto_type, to_text};
use crate::{PResult, PlanError};
use arrow::array::{ArrayRef, Int64Array, RecordBatch, RecordBatchOptions, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{DFSchema, JoinType, ScalarValue, UnnestOptions};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, ident, try_cast};
use mstic_kql_syntax::ast::{Expr, Ident, MvExpandColumn, NamedExpr, Operator, PipeOp, SortKey, Span};
use std::sync::Arc;

/// The most rows `range` makes.
const RANGE_LIMIT: i64 = 100_000_000;

fn frame_of(planner: &Planner, batch: RecordBatch, span: Span) -> PResult<DataFrame> {
    planner.session.context.read_batch(batch).map_err(|e| PlanError::datafusion(e, span))
}

/// A constant: the literal value an expression folds to (literals, negated numbers, typed
/// literals), or an error naming the expression.
pub(crate) fn constant(planner: &mut Planner, expr: &Expr) -> PResult<ScalarValue> {
    let value = convert(planner, expr, &DFSchema::empty())?;
    let value = match value {
        DfExpr::Negative(inner) => match *inner {
            DfExpr::Literal(v, _) => v.arithmetic_negate().map_err(|e| PlanError::datafusion(e, expr.span()))?,
            _ => return Err(PlanError::new("expected a constant value", expr.span())),
        },
        DfExpr::Literal(v, _) => v,
        _ => return Err(PlanError::new("expected a constant value", expr.span())),
    };
    Ok(value)
}

/// `datatable(A:string, B:long) [ … ]`.
pub(crate) fn datatable(planner: &mut Planner, columns: &[(Ident, String)], values: &[Expr], span: Span) -> PResult<DataFrame> {
    if columns.is_empty() {
        return Err(PlanError::new("datatable needs at least one column", span));
    }
    if values.len() % columns.len() != 0 {
        return Err(PlanError::new(
            format!("datatable has {} values, not a multiple of its {} columns", values.len(), columns.len()),
            span,
        ));
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (index, (name, type_name)) in columns.iter().enumerate() {
        let data_type = kusto_type(type_name).ok_or_else(|| PlanError::new(format!("unknown type `{type_name}`"), name.span))?;
        let mut cells = Vec::new();
        for value in values.iter().skip(index).step_by(columns.len()) {
            let scalar = constant(planner, value)?;
            let scalar = if scalar.is_null() {
                ScalarValue::try_from(&data_type).map_err(|e| PlanError::datafusion(e, value.span()))?
            } else if type_name == "dynamic" {
                ScalarValue::Utf8(Some(match &scalar {
                    ScalarValue::Utf8(Some(s)) => s.clone(),
                    other => other.to_string(),
                }))
            } else {
                scalar.cast_to(&data_type).map_err(|_| {
                    PlanError::new(format!("`{scalar}` is not a {type_name} (column {})", name.name), value.span())
                })?
            };
            cells.push(scalar);
        }
        let array = if cells.is_empty() {
            arrow::array::new_empty_array(&data_type)
        } else {
            ScalarValue::iter_to_array(cells).map_err(|e| PlanError::datafusion(e, span))?
        };
        fields.push(Field::new(&name.name, data_type, true));
        arrays.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| PlanError::new(e.to_string(), span))?;
    frame_of(planner, batch, span)
}

/// `print a = 1, 2`: one row (unnamed values are `print_0`, `print_1` …).
pub(crate) fn print(planner: &mut Planner, items: &[NamedExpr], span: Span) -> PResult<DataFrame> {
    let one_row = RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &RecordBatchOptions::new().with_row_count(Some(1)))
        .map_err(|e| PlanError::new(e.to_string(), span))?;
    let frame = frame_of(planner, one_row, span)?;
    let mut exprs = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let value = convert(planner, &item.expr, frame.schema())?;
        let name = item.name.as_ref().map_or_else(|| format!("print_{index}"), |n| n.name.clone());
        exprs.push(value.alias(name));
    }
    frame.select(exprs).map_err(|e| PlanError::datafusion(e, span))
}

/// `range X from a to b step s` over whole numbers or datetimes (inclusive of `b`).
pub(crate) fn range(planner: &mut Planner, column: &Ident, from: &Expr, to: &Expr, step: &Expr) -> PResult<DataFrame> {
    let span = column.span.to(step.span());
    let (start, stop, by) = (constant(planner, from)?, constant(planner, to)?, constant(planner, step)?);
    let as_long = |v: &ScalarValue, e: &Expr| -> PResult<i64> {
        match v {
            ScalarValue::Int64(Some(n)) => Ok(*n),
            ScalarValue::TimestampNanosecond(Some(n), _) => Ok(*n),
            ScalarValue::IntervalMonthDayNano(Some(i)) if i.months == 0 => Ok(i.days as i64 * 86_400_000_000_000 + i.nanoseconds),
            other => Err(PlanError::new(format!("range needs whole numbers or datetimes, not `{other}`"), e.span())),
        }
    };
    let (a, b, s) = (as_long(&start, from)?, as_long(&stop, to)?, as_long(&by, step)?);
    if s == 0 || (b - a) / s > RANGE_LIMIT {
        return Err(PlanError::new(format!("range would make more than {RANGE_LIMIT} rows or never end"), step.span()));
    }
    let values: Vec<i64> = if s > 0 {
        (0..).map(|i| a + i * s).take_while(|v| *v <= b).collect()
    } else {
        (0..).map(|i| a + i * s).take_while(|v| *v >= b).collect()
    };
    let (data_type, array): (DataType, ArrayRef) = match start {
        ScalarValue::TimestampNanosecond(_, _) => {
            let t = DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some("UTC".into()));
            (t, Arc::new(arrow::array::TimestampNanosecondArray::from(values).with_timezone("UTC")))
        }
        _ => (DataType::Int64, Arc::new(Int64Array::from(values))),
    };
    let batch = RecordBatch::try_new(Arc::new(Schema::new(vec![Field::new(&column.name, data_type, true)])), vec![array])
        .map_err(|e| PlanError::new(e.to_string(), span))?;
    frame_of(planner, batch, span)
}

/// `mv-expand`: each array (or bag) value becomes one row per element; several columns expand
/// side by side.
pub(crate) fn mv_expand(planner: &mut Planner, frame: DataFrame, columns: &[MvExpandColumn], span: Span) -> PResult<DataFrame> {
    let mut frame = frame;
    let mut expanded = Vec::new();
    let mut counter = 0;
    for column in columns {
        let value = convert(planner, &column.column.expr, frame.schema())?;
        let items = planner.session.call("kql_dynamic_items", vec![to_text(value, frame.schema())], span)?;
        let name = output_name(&column.column, &names(&frame), &mut counter);
        frame = replace_or_append(frame, &name, items, span)?;
        expanded.push((name, column.to_type.clone()));
    }
    // Columns by exact name: DataFrame::unnest_columns would read `Step` as SQL and fold it to `step`.
    let list: Vec<datafusion::common::Column> = expanded.iter().map(|(n, _)| datafusion::common::Column::new_unqualified(n)).collect();
    let (state, plan) = frame.into_parts();
    let plan = datafusion::logical_expr::LogicalPlanBuilder::from(plan)
        .unnest_columns_with_options(list, UnnestOptions::new().with_preserve_nulls(true))
        .and_then(|builder| builder.build())
        .map_err(|e| PlanError::datafusion(e, span))?;
    frame = DataFrame::new(state, plan);
    for (name, to_type) in expanded {
        if let Some(t) = to_type {
            let data_type = kusto_type(&t).ok_or_else(|| PlanError::new(format!("unknown type `{t}`"), span))?;
            frame = replace_or_append(frame, &name, try_cast(datafusion::logical_expr::ident(&name), data_type), span)?;
        }
    }
    Ok(frame)
}

/// `getschema`: one row per column with its name, position and Kusto type.
pub(crate) fn get_schema(planner: &mut Planner, frame: &DataFrame, span: Span) -> PResult<DataFrame> {
    let fields = frame.schema().fields();
    let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let ordinals: Vec<i64> = (0..fields.len() as i64).collect();
    let kusto: Vec<String> = fields.iter().map(|f| kusto_type_name(f.data_type()).to_string()).collect();
    let system: Vec<String> = fields.iter().map(|f| system_type_name(f.data_type()).to_string()).collect();
    let schema = Schema::new(vec![
        Field::new("ColumnName", DataType::Utf8, false),
        Field::new("ColumnOrdinal", DataType::Int64, false),
        Field::new("DataType", DataType::Utf8, false),
        Field::new("ColumnType", DataType::Utf8, false),
    ]);
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from(names)),
            Arc::new(Int64Array::from(ordinals)),
            Arc::new(StringArray::from(system)),
            Arc::new(StringArray::from(kusto)),
        ],
    )
    .map_err(|e| PlanError::new(e.to_string(), span))?;
    frame_of(planner, batch, span)
}

/// The Kusto type name of an Arrow type.
pub(crate) fn kusto_type_name(t: &DataType) -> &'static str {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string",
        DataType::Int64 | DataType::UInt64 | DataType::UInt32 => "long",
        DataType::Int32 | DataType::Int16 | DataType::Int8 | DataType::UInt16 | DataType::UInt8 => "int",
        DataType::Float64 | DataType::Float32 | DataType::Float16 => "real",
        DataType::Boolean => "bool",
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => "datetime",
        DataType::Duration(_) | DataType::Interval(_) => "timespan",
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => "decimal",
        _ => "dynamic",
    }
}

fn system_type_name(t: &DataType) -> &'static str {
    match kusto_type_name(t) {
        "string" => "System.String",
        "long" => "System.Int64",
        "int" => "System.Int32",
        "real" => "System.Double",
        "bool" => "System.Boolean",
        "datetime" => "System.DateTime",
        "timespan" => "System.TimeSpan",
        "decimal" => "System.Data.SqlTypes.SqlDecimal",
        _ => "System.Object",
    }
}

/// `mv-apply Col on (ops)`: each row's array is expanded and the operators run on that row's
/// elements alone (a `summarize` or `top` per row); the results join the row's other columns,
/// and a row whose subquery returns nothing is dropped. Inside, `where`, `extend`, `project`,
/// `summarize`, `take`, `top` and `sort` are supported.
pub(crate) fn mv_apply(planner: &mut Planner, frame: DataFrame, columns: &[MvExpandColumn], subquery: &[PipeOp], span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    const ROW: &str = "__kql_row";
    let number = datafusion::functions_window::expr_fn::row_number().alias(ROW);
    let base = frame.window(vec![number]).map_err(df)?;
    // The expanded columns, each with its row number.
    let mut counter = 0;
    let mut expanded_names = Vec::new();
    let mut exprs = vec![ident(ROW)];
    for column in columns {
        let value = convert(planner, &column.column.expr, base.schema())?;
        let name = output_name(&column.column, &names(&base), &mut counter);
        exprs.push(value.alias(&name));
        expanded_names.push(name);
    }
    let items = base.clone().select(exprs).map_err(df)?;
    let renamed: Vec<MvExpandColumn> = columns
        .iter()
        .zip(&expanded_names)
        .map(|(c, n)| MvExpandColumn {
            column: NamedExpr { name: None, expr: Expr::Column(Ident { name: n.clone(), span: c.column.expr.span() }) },
            to_type: c.to_type.clone(),
        })
        .collect();
    let mut applied = mv_expand(planner, items, &renamed, span)?;
    let row_key = NamedExpr { name: None, expr: Expr::Column(Ident { name: ROW.into(), span }) };
    for op in subquery {
        applied = match &op.kind {
            Operator::Where(_) | Operator::Extend(_) | Operator::Serialize(_) | Operator::Sort(_) => planner.operator(applied, op)?,
            Operator::Project(items) => {
                let mut items = items.clone();
                items.push(row_key.clone());
                planner.operator(applied, &PipeOp { kind: Operator::Project(items), span: op.span })?
            }
            Operator::Summarize { aggregates, by } => {
                let mut by = by.clone();
                by.push(row_key.clone());
                crate::aggregate::summarize(planner, applied, aggregates, &by, op.span)?
            }
            Operator::Take(count) => per_row_first(planner, applied, count, None, op.span)?,
            Operator::Top { count, by } => per_row_first(planner, applied, count, Some(by), op.span)?,
            _ => return Err(PlanError::unsupported("this operator inside mv-apply", op.span)),
        };
    }
    // Back to the rows' other columns.
    let rest: Vec<String> = names(&base).into_iter().filter(|c| !expanded_names.contains(c)).collect();
    let applied_names: Vec<String> = names(&applied).into_iter().filter(|c| c != ROW).collect();
    let applied_exprs: Vec<DfExpr> = names(&applied).iter().map(|c| if c == ROW { ident(c).alias("__kql_row_applied") } else { ident(c).alias(c) }).collect();
    let applied = applied.select(applied_exprs).map_err(df)?;
    let kept_rest: Vec<DfExpr> = rest.iter().filter(|c| !applied_names.contains(c)).map(|c| ident(c).alias(c)).collect();
    let base = base.select(kept_rest).map_err(df)?;
    let joined = base.join_on(applied, JoinType::Inner, vec![ident(ROW).eq(ident("__kql_row_applied"))]).map_err(df)?;
    let mut output: Vec<String> = rest.into_iter().filter(|c| c != ROW && !applied_names.contains(c)).collect();
    output.extend(applied_names);
    crate::plan::select_names(joined.sort(vec![ident(ROW).sort(true, false)]).map_err(df)?, &output, span)
}

/// `take N` / `top N by k` within each row of an `mv-apply`.
fn per_row_first(planner: &mut Planner, frame: DataFrame, count: &Expr, by: Option<&SortKey>, span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    let n = crate::plan::constant_rows(planner, count)?;
    let mut rank = datafusion::functions_window::expr_fn::row_number().partition_by(vec![ident("__kql_row")]);
    if let Some(key) = by {
        let value = convert(planner, &key.expr, frame.schema())?;
        rank = rank.order_by(vec![value.sort(!key.descending, key.nulls_first.unwrap_or(!key.descending))]);
    }
    let rank = rank.build().map_err(df)?.alias("__kql_rank");
    let columns = names(&frame);
    let ranked = frame
        .window(vec![rank])
        .and_then(|f| f.filter(ident("__kql_rank").lt_eq(datafusion::logical_expr::lit(ScalarValue::UInt64(Some(n as u64))))))
        .map_err(df)?;
    crate::plan::select_names(ranked, &columns, span)
}
