//! Operators that build series and rankings from groups: `make-series` (one array per group over
//! a fixed axis, absent bins filled with the default) and `top-nested` (the top values of each
//! level within the kept values of the level above).

use crate::aggregate::{aggregate_call, group_keys};
use crate::plan::{Planner, names, natural_name, select_names};
use crate::scalar::{convert, to_text};
use crate::sources::constant;
use crate::{PResult, PlanError};
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, RecordBatchOptions, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::common::{JoinType, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, ExprSchemable, ident, lit};
use mstic_kql_syntax::ast::{Expr, MakeSeries, Span, TopNestedLevel};
use std::sync::Arc;

/// The most bins a series may have.
const MAX_BINS: i64 = 1_000_000;

/// `make-series Agg [default = v], … on Axis from A to B step S [by Keys]`.
pub(crate) fn make_series(planner: &mut Planner, frame: DataFrame, spec: &MakeSeries, span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    let (Some(from), Some(to)) = (&spec.from, &spec.to) else {
        return Err(PlanError::new("make-series needs `from` and `to` (or `in range(…)`) in local KQL", span));
    };
    let schema = frame.schema().clone();
    let axis_value = convert(planner, &spec.on, &schema)?;
    let axis_name = natural_name(&spec.on).unwrap_or_else(|| "Column1".to_string());
    let is_time = matches!(axis_value.get_type(&schema).map_err(df)?, DataType::Timestamp(_, _));
    let (start, stop, step) = (constant(planner, from)?, constant(planner, to)?, constant(planner, &spec.step)?);
    let bins = axis_points(&start, &stop, &step, span)?;
    let keys = group_keys(planner, &spec.by, &schema)?;

    // Aggregate each (keys, bin) present in the data.
    let (from_value, to_value, step_value) = (lit(start.clone()), lit(stop), lit(step.clone()));
    let bin = if is_time {
        datafusion::functions::expr_fn::date_bin(step_value, axis_value.clone(), from_value.clone())
    } else {
        let offset = axis_value.clone() - from_value.clone();
        from_value.clone() + (offset.clone() - (((offset % step_value.clone()) + step_value.clone()) % step_value))
    };
    let filtered = frame.filter(axis_value.clone().gt_eq(from_value).and(axis_value.lt(to_value))).map_err(df)?;
    let mut group: Vec<DfExpr> = keys.iter().enumerate().map(|(i, (_, v))| v.clone().alias(format!("__kql_key{i}"))).collect();
    group.push(bin.alias("__kql_bin"));
    let mut outputs = Vec::new();
    let mut series = Vec::new();
    let mut taken: Vec<String> = keys.iter().map(|(n, _)| n.clone()).collect();
    for (index, (item, default)) in spec.aggregates.iter().enumerate() {
        let Expr::Call { name, args } = &item.expr else {
            return Err(PlanError::new("make-series expects aggregations such as count() or avg(x)", item.expr.span()));
        };
        let produced = aggregate_call(planner, &name.name, args, &schema, name.span)?;
        let [(default_name, value)] = produced.as_slice() else {
            return Err(PlanError::new(format!("{}() cannot make a series", name.name), name.span));
        };
        let output = item.name.as_ref().map_or_else(|| default_name.clone(), |n| n.name.clone());
        let output = crate::plan::next_free(&output, &taken);
        taken.push(output.clone());
        let default = match default {
            Some(d) => convert(planner, d, &schema)?,
            None => lit(0i64),
        };
        outputs.push(value.clone().alias(format!("__kql_value{index}")));
        series.push((output, default));
    }
    let aggregated = filtered.aggregate(group, outputs).map_err(df)?;

    // Every group times every bin, with the aggregated values where present.
    let key_names: Vec<String> = (0..keys.len()).map(|i| format!("__kql_key{i}")).collect();
    let groups = if keys.is_empty() {
        one_row(planner, span)?
    } else {
        let exprs: Vec<DfExpr> = key_names.iter().map(|k| ident(k).alias(format!("{k}_g"))).collect();
        aggregated.clone().select(exprs).and_then(|f| f.distinct()).map_err(df)?
    };
    let axis = axis_frame(planner, bins, is_time, span)?;
    let grid = groups.join_on(axis, JoinType::Inner, vec![lit(true)]).map_err(df)?;
    let mut on: Vec<DfExpr> = key_names.iter().map(|k| ident(format!("{k}_g")).eq(ident(k))).collect();
    on.push(ident("__kql_axis").eq(ident("__kql_bin")));
    let filled = grid.join_on(aggregated, JoinType::Left, on).map_err(df)?;

    // One array per group, in axis order.
    let order = vec![ident("__kql_axis").sort(true, true)];
    let mut arrays = Vec::new();
    for (index, (output, default)) in series.iter().enumerate() {
        let value = datafusion::functions::expr_fn::coalesce(vec![ident(format!("__kql_value{index}")), default.clone()]);
        let list = agg::array_agg(value).order_by(order.clone()).build().map_err(df)?;
        arrays.push(planner.session.call("kql_list_json", vec![list], span)?.alias(output));
    }
    let axis_text = if is_time { to_text(ident("__kql_axis"), filled.schema()) } else { ident("__kql_axis") };
    let axis_list = agg::array_agg(axis_text).order_by(order).build().map_err(df)?;
    arrays.push(planner.session.call("kql_list_json", vec![axis_list], span)?.alias(&axis_name));
    let group_by: Vec<DfExpr> = keys.iter().enumerate().map(|(i, (n, _))| ident(format!("__kql_key{i}_g")).alias(n)).collect();
    let result = filled.aggregate(group_by, arrays).map_err(df)?;
    let mut columns: Vec<String> = keys.iter().map(|(n, _)| n.clone()).collect();
    columns.extend(series.iter().map(|(n, _)| n.clone()));
    columns.push(axis_name);
    select_names(result, &columns, span)
}

/// A frame of one row and no columns.
fn one_row(planner: &Planner, span: Span) -> PResult<DataFrame> {
    let batch = RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &RecordBatchOptions::new().with_row_count(Some(1)))
        .map_err(|e| PlanError::new(e.to_string(), span))?;
    planner.session.context.read_batch(batch).map_err(|e| PlanError::datafusion(e, span))
}

/// The bin starts from `start` (inclusive) to `stop` (exclusive).
fn axis_points(start: &ScalarValue, stop: &ScalarValue, step: &ScalarValue, span: Span) -> PResult<Vec<f64>> {
    let number = |v: &ScalarValue| -> Option<f64> {
        match v {
            ScalarValue::Int64(Some(n)) => Some(*n as f64),
            ScalarValue::Float64(Some(x)) => Some(*x),
            ScalarValue::TimestampNanosecond(Some(n), _) => Some(*n as f64),
            ScalarValue::IntervalMonthDayNano(Some(i)) if i.months == 0 => {
                Some(i.days as f64 * 86_400_000_000_000.0 + i.nanoseconds as f64)
            }
            _ => None,
        }
    };
    let (Some(a), Some(b), Some(s)) = (number(start), number(stop), number(step)) else {
        return Err(PlanError::new("make-series needs constant `from`, `to` and `step` values", span));
    };
    if s <= 0.0 || ((b - a) / s) > MAX_BINS as f64 {
        return Err(PlanError::new(format!("make-series would make more than {MAX_BINS} bins or never end"), span));
    }
    Ok((0..).map(|i| a + i as f64 * s).take_while(|v| *v < b).collect())
}

/// The axis as a one-column frame (`__kql_axis`).
fn axis_frame(planner: &Planner, points: Vec<f64>, is_time: bool, span: Span) -> PResult<DataFrame> {
    let (data_type, array): (DataType, ArrayRef) = if is_time {
        let values: Vec<i64> = points.iter().map(|p| *p as i64).collect();
        let t = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        (t, Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC")))
    } else if points.iter().all(|p| p.fract() == 0.0) {
        (DataType::Int64, Arc::new(Int64Array::from(points.iter().map(|p| *p as i64).collect::<Vec<_>>())))
    } else {
        (DataType::Float64, Arc::new(Float64Array::from(points)))
    };
    let batch = RecordBatch::try_new(Arc::new(Schema::new(vec![Field::new("__kql_axis", data_type, false)])), vec![array])
        .map_err(|e| PlanError::new(e.to_string(), span))?;
    planner.session.context.read_batch(batch).map_err(|e| PlanError::datafusion(e, span))
}

/// `top-nested N of Col by Agg, top-nested M of Col2 by Agg2 …`: each level keeps the N values
/// with the largest aggregate within each kept value of the level above; the aggregate columns
/// are named `aggregated_Col` unless named.
pub(crate) fn top_nested(planner: &mut Planner, frame: DataFrame, levels: &[TopNestedLevel], span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    let schema = frame.schema().clone();
    let mut key_names: Vec<String> = Vec::new();
    let mut key_values: Vec<DfExpr> = Vec::new();
    let mut output: Vec<String> = Vec::new();
    let mut kept: Option<DataFrame> = None;
    for (depth, level) in levels.iter().enumerate() {
        if let Some(others) = &level.others {
            return Err(PlanError::unsupported("top-nested … with others", others.span()));
        }
        let name = level.of.name.as_ref().map(|n| n.name.clone()).or_else(|| natural_name(&level.of.expr)).unwrap_or_else(|| format!("Column{}", depth + 1));
        key_names.push(name.clone());
        key_values.push(convert(planner, &level.of.expr, &schema)?);
        let Expr::Call { name: function, args } = &level.by.expr else {
            return Err(PlanError::new("top-nested ranks by an aggregation such as count()", level.by.expr.span()));
        };
        let produced = aggregate_call(planner, &function.name, args, &schema, function.span)?;
        let [(_, value)] = produced.as_slice() else {
            return Err(PlanError::new(format!("{}() cannot rank top-nested values", function.name), function.span));
        };
        let aggregate_name = level.by.name.as_ref().map_or_else(|| format!("aggregated_{name}"), |n| n.name.clone());
        let group: Vec<DfExpr> = key_names.iter().zip(&key_values).map(|(n, v)| v.clone().alias(n)).collect();
        let mut level_frame = frame.clone().aggregate(group, vec![value.clone().alias(&aggregate_name)]).map_err(df)?;
        // Keep only the values under the kept values of the level above.
        if let Some(above) = &kept {
            let parents = &key_names[..depth];
            let renamed: Vec<DfExpr> = names(above).iter().map(|c| ident(c).alias(format!("{c}__above"))).collect();
            let above = above.clone().select(renamed).map_err(df)?;
            let on: Vec<DfExpr> = parents.iter().map(|p| ident(p).eq(ident(format!("{p}__above")))).collect();
            level_frame = level_frame.join_on(above, JoinType::Inner, on).map_err(df)?;
            let mut carry: Vec<String> = key_names.clone();
            carry.push(aggregate_name.clone());
            let previous: Vec<DfExpr> = output.iter().filter(|c| !key_names.contains(c)).map(|c| ident(format!("{c}__above")).alias(c)).collect();
            let mut exprs: Vec<DfExpr> = carry.iter().map(|c| ident(c).alias(c)).collect();
            exprs.extend(previous);
            level_frame = level_frame.select(exprs).map_err(df)?;
        }
        let count = match &level.count {
            Some(c) => Some(crate::plan::constant_rows(planner, c)?),
            None => None,
        };
        if let Some(n) = count {
            let rank = datafusion::functions_window::expr_fn::row_number()
                .partition_by(key_names[..depth].iter().map(ident).collect())
                .order_by(vec![ident(&aggregate_name).sort(level.ascending, false)])
                .build()
                .map_err(df)?
                .alias("__kql_rank");
            level_frame = level_frame
                .window(vec![rank])
                .and_then(|f| f.filter(ident("__kql_rank").lt_eq(lit(ScalarValue::UInt64(Some(n as u64))))))
                .map_err(df)?;
        }
        output.push(name);
        output.push(aggregate_name);
        let mut order = output.clone();
        order.retain(|c| names(&level_frame).contains(c));
        kept = Some(select_names(level_frame, &order, span)?);
    }
    kept.ok_or_else(|| PlanError::new("top-nested needs at least one level", span))
}
