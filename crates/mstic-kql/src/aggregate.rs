//! `summarize`: Kusto's aggregation functions as DataFusion aggregates, with Kusto's output
//! names (`count_`, `dcount_Account`, `max_TimeGenerated`, `set_Host` …) and `arg_max`/`arg_min`
//! as "the row with the largest value per group".

use crate::plan::{Planner, names, natural_name, next_free, select_names};
use crate::scalar::{convert, is_text, to_text};
use crate::{PResult, PlanError};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, ident, lit, when};
use datafusion::prelude::col;
use mstic_kql_syntax::ast::{Expr, Literal, NamedExpr, Span};

/// Whether `name` is an aggregation function.
pub(crate) fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count" | "countif" | "dcount" | "dcountif" | "sum" | "sumif" | "avg" | "avgif" | "min" | "max" | "minif"
            | "maxif" | "make_set" | "make_list" | "make_set_if" | "make_list_if" | "make_bag" | "arg_max"
            | "arg_min" | "percentile" | "percentiles" | "stdev" | "variance" | "any" | "take_any"
    )
}

/// The group key's output name: a column keeps its name, `bin(Col, …)`/`floor(Col, …)` too.
fn key_name(item: &NamedExpr) -> Option<String> {
    if let Some(name) = &item.name {
        return Some(name.name.clone());
    }
    match &item.expr {
        Expr::Call { name, args } if matches!(name.name.as_str(), "bin" | "floor") => {
            args.first().and_then(natural_name)
        }
        other => natural_name(other),
    }
}

/// The group keys of a `by` list with their output names (see [`key_name`]).
pub(crate) fn group_keys(planner: &mut Planner, by: &[NamedExpr], schema: &datafusion::common::DFSchema) -> PResult<Vec<(String, DfExpr)>> {
    let mut taken: Vec<String> = Vec::new();
    let mut counter = 0;
    let mut keys = Vec::new();
    for item in by {
        let value = convert(planner, &item.expr, schema)?;
        let name = key_name(item).unwrap_or_else(|| loop {
            counter += 1;
            let candidate = format!("Column{counter}");
            if !taken.contains(&candidate) {
                break candidate;
            }
        });
        let name = next_free(&name, &taken);
        taken.push(name.clone());
        keys.push((name, value));
    }
    Ok(keys)
}

/// Plans `summarize aggregates by keys`.
pub(crate) fn summarize(planner: &mut Planner, frame: DataFrame, aggregates: &[NamedExpr], by: &[NamedExpr], span: Span) -> PResult<DataFrame> {
    let schema = frame.schema().clone();
    let keys = group_keys(planner, by, &schema)?;
    let mut taken: Vec<String> = keys.iter().map(|(n, _)| n.clone()).collect();
    if let [single] = aggregates
        && let Expr::Call { name, args } = &single.expr
        && matches!(name.name.as_str(), "arg_max" | "arg_min")
    {
        return arg_extreme(planner, frame, name.name == "arg_max", args, &keys, span);
    }
    let mut outputs = Vec::new();
    for item in aggregates {
        let Expr::Call { name, args } = &item.expr else {
            return Err(PlanError::new("summarize expects aggregations such as count() or dcount(Account)", item.expr.span()));
        };
        let produced = aggregate_call(planner, &name.name, args, &schema, name.span)?;
        for (default_name, value) in produced {
            let wanted = match &item.name {
                Some(n) => n.name.clone(),
                None => default_name,
            };
            let output = next_free(&wanted, &taken);
            taken.push(output.clone());
            outputs.push(value.alias(output));
        }
    }
    let group: Vec<DfExpr> = keys.into_iter().map(|(n, v)| v.alias(n)).collect();
    frame.aggregate(group, outputs).map_err(|e| PlanError::datafusion(e, span))
}

/// The column name part of an aggregate's default name (`dcount_Account`), empty for
/// expressions.
fn arg_name(args: &[Expr]) -> String {
    args.first().and_then(natural_name).unwrap_or_default()
}

fn predicate_count(expr: DfExpr) -> DfExpr {
    agg::sum(when(expr, lit(1i64)).otherwise(lit(0i64)).unwrap_or(lit(0i64)))
}

fn only_if(value: DfExpr, predicate: DfExpr) -> DfExpr {
    when(predicate, value).end().unwrap_or(lit(ScalarValue::Null))
}

/// One aggregation call: its default output name(s) and expression(s).
pub(crate) fn aggregate_call(planner: &mut Planner, name: &str, args: &[Expr], schema: &datafusion::common::DFSchema, span: Span) -> PResult<Vec<(String, DfExpr)>> {
    let mut values = Vec::new();
    for arg in args {
        values.push(match arg {
            Expr::Star(_) => lit(1i64),
            other => convert(planner, other, schema)?,
        });
    }
    let need = |n: usize| {
        if values.len() < n {
            Err(PlanError::new(format!("{name}() needs {n} argument{}", if n == 1 { "" } else { "s" }), span))
        } else {
            Ok(())
        }
    };
    let column = arg_name(args);
    let v = |i: usize| values[i].clone();
    Ok(match name {
        "count" => {
            let counted = if values.is_empty() { agg::count(lit(1i64)) } else { agg::count(v(0)) };
            vec![("count_".to_string(), counted)]
        }
        "countif" => {
            need(1)?;
            vec![("countif_".to_string(), predicate_count(v(0)))]
        }
        "dcount" => {
            need(1)?;
            vec![(format!("dcount_{column}"), agg::count_distinct(v(0)))]
        }
        "dcountif" => {
            need(2)?;
            vec![(format!("dcountif_{column}"), agg::count_distinct(only_if(v(0), v(1))))]
        }
        "sum" => {
            need(1)?;
            vec![(format!("sum_{column}"), agg::sum(v(0)))]
        }
        "sumif" => {
            need(2)?;
            vec![(format!("sumif_{column}"), agg::sum(only_if(v(0), v(1))))]
        }
        "avg" => {
            need(1)?;
            vec![(format!("avg_{column}"), agg::avg(v(0)))]
        }
        "avgif" => {
            need(2)?;
            vec![(format!("avgif_{column}"), agg::avg(only_if(v(0), v(1))))]
        }
        "min" | "max" => {
            need(1)?;
            let value = if name == "min" { agg::min(v(0)) } else { agg::max(v(0)) };
            vec![(format!("{name}_{column}"), value)]
        }
        "minif" | "maxif" => {
            need(2)?;
            let value = only_if(v(0), v(1));
            let value = if name == "minif" { agg::min(value) } else { agg::max(value) };
            vec![(format!("{name}_{column}"), value)]
        }
        "stdev" => {
            need(1)?;
            vec![(format!("stdev_{column}"), agg::stddev(v(0)))]
        }
        "variance" => {
            need(1)?;
            vec![(format!("variance_{column}"), agg::var_sample(v(0)))]
        }
        "any" | "take_any" => {
            need(1)?;
            if args.iter().any(|a| matches!(a, Expr::Star(_))) {
                return Err(PlanError::new(format!("{name}(*) is not supported by local KQL: list the columns"), span));
            }
            // take_any names its column after the expression (any, deprecated, adds `any_`).
            let label = |i: usize, column: &str| match (name, column.is_empty()) {
                ("any", _) => format!("any_{column}"),
                (_, false) => column.to_string(),
                (_, true) => format!("take_any_{i}"),
            };
            if let [single] = args
                && natural_name(single).is_some()
            {
                // A single column: a non-null, non-empty value when the group has one.
                let value = v(0);
                let text = datafusion::logical_expr::ExprSchemable::get_type(&value, schema).is_ok_and(|t| is_text(&t));
                let present = if text { value.clone().is_not_null().and(value.clone().not_eq(lit(""))) } else { value.clone().is_not_null() };
                let chosen = agg::first_value(value.clone(), vec![]).filter(present).build().map_err(|e| PlanError::datafusion(e, span))?;
                let chosen = if text { datafusion::functions::expr_fn::coalesce(vec![chosen, lit("")]) } else { chosen };
                vec![(label(1, &column), chosen)]
            } else {
                args.iter()
                    .enumerate()
                    .map(|(i, arg)| (label(i + 1, &natural_name(arg).unwrap_or_default()), agg::first_value(v(i), vec![])))
                    .collect()
            }
        }
        "make_set" | "make_list" | "make_set_if" | "make_list_if" => {
            need(1)?;
            let conditional = name.ends_with("_if");
            if conditional {
                need(2)?;
            }
            let value = v(0);
            let value = if conditional { only_if(value, v(1)) } else { value };
            let distinct = name.starts_with("make_set");
            let collected = agg::array_agg(value);
            let collected = if distinct {
                collected.distinct().build().map_err(|e| PlanError::datafusion(e, span))?
            } else {
                collected
            };
            let json = planner.session.call("kql_list_json", vec![collected], span)?;
            let prefix = if distinct { "set" } else { "list" };
            let prefix = if conditional { format!("{prefix}_if") } else { prefix.to_string() };
            vec![(format!("{prefix}_{column}"), json)]
        }
        "make_bag" => {
            need(1)?;
            let collected = agg::array_agg(to_text(v(0), schema));
            let json = planner.session.call("kql_merge_bags", vec![collected], span)?;
            vec![(format!("bag_{column}"), json)]
        }
        "percentile" | "percentiles" => {
            need(2)?;
            let mut out = Vec::new();
            for arg in args.iter().skip(1) {
                let percent = match arg {
                    Expr::Literal(Literal::Long(n), _) => *n as f64,
                    Expr::Literal(Literal::Real(x), _) => *x,
                    other => return Err(PlanError::new("a percentile must be a number", other.span())),
                };
                let value = planner.session.aggregate("kql_percentile", vec![datafusion::logical_expr::cast(v(0), arrow::datatypes::DataType::Float64), lit(percent)], span)?;
                let label = if percent.fract() == 0.0 { format!("{}", percent as i64) } else { percent.to_string().replace('.', "_") };
                out.push((format!("percentile_{column}_{label}"), value));
            }
            out
        }
        "arg_max" | "arg_min" => {
            return Err(PlanError::new(format!("{name}() is supported as the only aggregation of a summarize"), span));
        }
        other => return Err(PlanError::new(format!("aggregation `{other}` is not supported by local KQL"), span)),
    })
}

/// `summarize arg_max(X, cols…) by keys`: per group, the row with the largest (or smallest) X;
/// `*` keeps every column.
fn arg_extreme(planner: &mut Planner, frame: DataFrame, largest: bool, args: &[Expr], keys: &[(String, DfExpr)], span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    let Some(target) = args.first() else {
        return Err(PlanError::new("arg_max()/arg_min() needs the value to maximise", span));
    };
    let schema = frame.schema().clone();
    let target_value = convert(planner, target, &schema)?;
    let target_name = natural_name(target).unwrap_or_else(|| if largest { "max_".to_string() } else { "min_".to_string() });
    let all = names(&frame);
    let key_names: Vec<String> = keys.iter().map(|(n, _)| n.clone()).collect();
    let mut rest: Vec<String> = Vec::new();
    for arg in &args[1..] {
        match arg {
            Expr::Star(_) => rest.extend(all.iter().filter(|c| !key_names.contains(c) && **c != target_name).cloned()),
            other => match natural_name(other) {
                Some(n) if all.contains(&n) => rest.push(n),
                _ => return Err(PlanError::new("arg_max()/arg_min() takes column names or *", other.span())),
            },
        }
    }
    let marker = "__kql_arg_rank";
    let mut frame = frame;
    for (name, value) in keys {
        frame = crate::plan::replace_or_append(frame, name, value.clone(), span)?;
    }
    frame = crate::plan::replace_or_append(frame, &target_name, target_value, span)?;
    let rank = datafusion::functions_window::expr_fn::row_number()
        .partition_by(key_names.iter().map(ident).collect())
        .order_by(vec![ident(&target_name).sort(!largest, false)])
        .build()
        .map_err(df)?
        .alias(marker);
    let frame = frame.window(vec![rank]).and_then(|f| f.filter(col(marker).eq(lit(ScalarValue::UInt64(Some(1)))))).map_err(df)?;
    let mut output = key_names;
    output.push(target_name);
    output.extend(rest);
    let mut seen = Vec::new();
    output.retain(|c| {
        let fresh = !seen.contains(c);
        seen.push(c.clone());
        fresh
    });
    select_names(frame, &output, span)
}
