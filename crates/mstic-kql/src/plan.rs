//! Tabular operators: a parsed query becomes a DataFusion [`DataFrame`] (a logical plan), one
//! operator at a time, with Kusto's output names and semantics.

use crate::scalar::{self, Scope};
use crate::{KqlSession, PlanError, PResult};
use datafusion::common::{JoinType, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, SortExpr, ident, lit};
use datafusion::prelude::{Column, col};
use mstic_kql_syntax::ast::{
    Expr, Ident, JoinCondition, JoinKind, Literal, NamedExpr, Operator, ParseKind, ParsePart, PipeOp, Query, Source, Span,
    Tabular, Union,
};
use std::collections::HashMap;

/// How a `render` operator asked to show the result.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSpec {
    /// `timechart`, `barchart`, `columnchart`, `piechart`, `scatterchart`, `areachart`, `table`…
    pub chart: String,
    /// The `with (…)` properties as text (`title`, `xcolumn`, `ycolumns`, `series` …).
    pub properties: Vec<(String, String)>,
}

/// Plans whole queries for one session.
pub(crate) struct Planner<'a> {
    pub(crate) session: &'a KqlSession,
    pub(crate) scope: Scope,
    pub(crate) render: Option<RenderSpec>,
}

impl<'a> Planner<'a> {
    pub(crate) fn new(session: &'a KqlSession) -> Self {
        Planner { session, scope: Scope::default(), render: None }
    }

    /// Plans `let` statements then the body.
    pub(crate) fn query(&mut self, query: &Query) -> PResult<DataFrame> {
        for statement in &query.lets {
            match &statement.value {
                mstic_kql_syntax::ast::LetValue::Tabular(t) => {
                    let frame = self.tabular(t)?;
                    self.scope.tables.insert(statement.name.name.clone(), frame);
                }
                mstic_kql_syntax::ast::LetValue::Scalar(Expr::Column(name)) if self.is_table(&name.name) => {
                    let frame = self.table(name)?;
                    self.scope.tables.insert(statement.name.name.clone(), frame);
                }
                mstic_kql_syntax::ast::LetValue::Scalar(Expr::Call { name, args }) if name.name == "materialize" && args.len() == 1 => {
                    // `materialize(T | …)` caches a tabular value; here it is the value itself.
                    let frame = match &args[0] {
                        Expr::Tabular(query) => self.tabular(query)?,
                        Expr::Column(table) => self.table(table)?,
                        other => return Err(PlanError::new("materialize() takes a tabular expression", other.span())),
                    };
                    self.scope.tables.insert(statement.name.name.clone(), frame);
                }
                mstic_kql_syntax::ast::LetValue::Scalar(e) => {
                    let empty = datafusion::common::DFSchema::empty();
                    let value = scalar::convert(self, e, &empty)?;
                    self.scope.scalars.insert(statement.name.name.clone(), (value, e.clone()));
                }
            }
        }
        self.tabular(&query.body)
    }

    pub(crate) fn is_table(&self, name: &str) -> bool {
        self.scope.tables.contains_key(name) || self.session.tables.contains_key(name)
    }

    /// A table or tabular `let` by name.
    pub(crate) fn table(&self, name: &Ident) -> PResult<DataFrame> {
        if let Some(frame) = self.scope.tables.get(&name.name) {
            return Ok(frame.clone());
        }
        if let Some(provider) = self.session.tables.get(&name.name) {
            return self.session.context.read_table(provider.clone()).map_err(|e| PlanError::datafusion(e, name.span));
        }
        let mut known: Vec<String> = self.scope.tables.keys().chain(self.session.tables.keys()).cloned().collect();
        known.sort();
        Err(PlanError::unknown("table", &name.name, &known, name.span))
    }

    /// Tables whose names match a wildcard pattern (`Security*`), sorted by name.
    fn tables_matching(&self, pattern: &Ident) -> PResult<Vec<(String, DataFrame)>> {
        if !pattern.name.contains('*') {
            return Ok(vec![(pattern.name.clone(), self.table(pattern)?)]);
        }
        let mut names: Vec<String> = self.scope.tables.keys().chain(self.session.tables.keys()).filter(|n| wildcard(&pattern.name, n)).cloned().collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let frame = self.table(&Ident { name: n.clone(), span: pattern.span })?;
                Ok((n, frame))
            })
            .collect()
    }

    /// A source and its operators.
    pub(crate) fn tabular(&mut self, tabular: &Tabular) -> PResult<DataFrame> {
        let mut frame = self.source(&tabular.source, tabular.span)?;
        for op in &tabular.ops {
            frame = self.operator(frame, op)?;
        }
        Ok(frame)
    }

    fn source(&mut self, source: &Source, span: Span) -> PResult<DataFrame> {
        match source {
            Source::Table(name) => {
                let mut tables = self.tables_matching(name)?;
                if tables.len() == 1 && !name.name.contains('*') {
                    return Ok(tables.remove(0).1);
                }
                self.union_frames(tables, &Union { inner: false, with_source: None, tables: vec![] }, name.span)
            }
            Source::Union(union) => {
                let tables = self.union_inputs(union)?;
                self.union_frames(tables, union, span)
            }
            Source::Datatable { columns, values } => crate::sources::datatable(self, columns, values, span),
            Source::Print(items) => crate::sources::print(self, items, span),
            Source::Range { column, from, to, step } => crate::sources::range(self, column, from, to, step),
        }
    }

    fn union_inputs(&mut self, union: &Union) -> PResult<Vec<(String, DataFrame)>> {
        let mut inputs = Vec::new();
        for table in &union.tables {
            match (&table.source, table.ops.is_empty()) {
                (Source::Table(name), true) => inputs.extend(self.tables_matching(name)?),
                _ => {
                    let frame = self.tabular(table)?;
                    inputs.push(("union_arg".to_string(), frame));
                }
            }
        }
        Ok(inputs)
    }

    fn union_frames(&self, inputs: Vec<(String, DataFrame)>, union: &Union, span: Span) -> PResult<DataFrame> {
        if inputs.is_empty() {
            return Err(PlanError::new("union has no tables (no table matches the pattern)", span));
        }
        let common: Vec<String> = if union.inner {
            let first = names(&inputs[0].1);
            first.into_iter().filter(|c| inputs.iter().all(|(_, f)| names(f).contains(c))).collect()
        } else {
            vec![]
        };
        let mut result: Option<DataFrame> = None;
        for (name, frame) in inputs {
            let mut frame = if union.inner { select_names(frame, &common, span)? } else { frame };
            if let Some(source) = &union.with_source {
                let mut exprs = vec![lit(name).alias(&source.name)];
                exprs.extend(names(&frame).into_iter().map(|c| ident(c)));
                frame = frame.select(exprs).map_err(|e| PlanError::datafusion(e, span))?;
            }
            result = Some(match result {
                None => frame,
                Some(acc) => acc.union_by_name(frame).map_err(|e| PlanError::datafusion(e, span))?,
            });
        }
        result.ok_or_else(|| PlanError::new("union has no tables", span))
    }

    pub(crate) fn operator(&mut self, frame: DataFrame, op: &PipeOp) -> PResult<DataFrame> {
        let span = op.span;
        let df = |e| PlanError::datafusion(e, span);
        match &op.kind {
            Operator::Where(predicate) => {
                let predicate = scalar::convert(self, predicate, frame.schema())?;
                frame.filter(predicate).map_err(df)
            }
            Operator::Project(items) => {
                let exprs = self.named(items, &frame)?;
                frame.select(exprs).map_err(df)
            }
            Operator::Extend(items) | Operator::Serialize(items) => {
                let mut frame = frame;
                let mut counter = 0;
                for item in items {
                    let value = scalar::convert(self, &item.expr, frame.schema())?;
                    let name = output_name(item, &names(&frame), &mut counter);
                    frame = replace_or_append(frame, &name, value, span)?;
                }
                Ok(frame)
            }
            Operator::ProjectAway(patterns) => {
                let keep: Vec<String> = {
                    let matched = match_patterns(patterns, &names(&frame))?;
                    names(&frame).into_iter().filter(|c| !matched.contains(c)).collect()
                };
                select_names(frame, &keep, span)
            }
            Operator::ProjectKeep(patterns) => {
                let matched = match_patterns(patterns, &names(&frame))?;
                let keep: Vec<String> = names(&frame).into_iter().filter(|c| matched.contains(c)).collect();
                select_names(frame, &keep, span)
            }
            Operator::ProjectReorder(patterns) => {
                let all = names(&frame);
                let mut order = match_patterns(patterns, &all)?;
                order.extend(all.into_iter().filter(|c| !order.contains(c)).collect::<Vec<_>>());
                select_names(frame, &order, span)
            }
            Operator::ProjectRename(pairs) => {
                let mut frame = frame;
                for (new, old) in pairs {
                    let existing = names(&frame);
                    if !existing.contains(&old.name) {
                        return Err(PlanError::unknown("column", &old.name, &existing, old.span));
                    }
                    let exprs: Vec<DfExpr> = existing
                        .iter()
                        .map(|c| if *c == old.name { ident(c).alias(&new.name) } else { ident(c) })
                        .collect();
                    frame = frame.select(exprs).map_err(df)?;
                }
                Ok(frame)
            }
            Operator::Summarize { aggregates, by } => crate::aggregate::summarize(self, frame, aggregates, by, span),
            Operator::Sort(keys) => {
                let sort = self.sort_keys(keys, &frame)?;
                frame.sort(sort).map_err(df)
            }
            Operator::Top { count, by } => {
                let n = self.constant_count(count)?;
                let sort = self.sort_keys(std::slice::from_ref(by), &frame)?;
                frame.sort(sort).and_then(|f| f.limit(0, Some(n))).map_err(df)
            }
            Operator::Take(count) => {
                let n = self.constant_count(count)?;
                frame.limit(0, Some(n)).map_err(df)
            }
            Operator::Distinct(items) => {
                if items.is_empty() {
                    frame.distinct().map_err(df)
                } else {
                    let exprs = self.named(items, &frame)?;
                    frame.select(exprs).and_then(|f| f.distinct()).map_err(df)
                }
            }
            Operator::Count => frame.aggregate(vec![], vec![count(lit(1i64)).alias("Count")]).map_err(df),
            Operator::Join { kind, right, on } => {
                let right = self.tabular(right)?;
                join(frame, right, *kind, on, span)
            }
            Operator::Union(union) => {
                let mut inputs = vec![("union_arg".to_string(), frame)];
                inputs.extend(self.union_inputs(union)?);
                self.union_frames(inputs, union, span)
            }
            Operator::MvExpand { columns, limit } => {
                if let Some(limit) = limit {
                    return Err(PlanError::unsupported("mv-expand … limit", limit.span()));
                }
                crate::sources::mv_expand(self, frame, columns, span)
            }
            Operator::Parse { kind, expr, parts } => self.parse_operator(frame, *kind, expr, parts, span),
            Operator::Render { chart, properties } => {
                let properties = properties.iter().map(|(k, v)| (k.name.clone(), render_value(v))).collect();
                self.render = Some(RenderSpec { chart: chart.name.clone(), properties });
                Ok(frame)
            }
            Operator::GetSchema => crate::sources::get_schema(self, &frame, span),
            Operator::As(name) => {
                self.scope.tables.insert(name.name.clone(), frame.clone());
                Ok(frame)
            }
            Operator::ExtendColumns { expr, .. } => Err(PlanError::unsupported("extend (A, B) = …", expr.span())),
            Operator::TopNested(levels) => crate::series::top_nested(self, frame, levels, span),
            Operator::MvApply { columns, subquery } => crate::sources::mv_apply(self, frame, columns, subquery, span),
            Operator::MakeSeries(spec) => crate::series::make_series(self, frame, spec, span),
            Operator::Unsupported(name) => Err(PlanError::unsupported(&name.name, name.span)),
        }
    }

    /// `Name = expr` items as aliased expressions (project, distinct).
    fn named(&mut self, items: &[NamedExpr], frame: &DataFrame) -> PResult<Vec<DfExpr>> {
        let existing = names(frame);
        let mut counter = 0;
        let mut out = Vec::with_capacity(items.len());
        let mut taken: Vec<String> = Vec::new();
        for item in items {
            let value = scalar::convert(self, &item.expr, frame.schema())?;
            let mut name = output_name(item, &existing, &mut counter);
            if taken.contains(&name) && item.name.is_none() {
                name = next_free(&name, &taken);
            }
            taken.push(name.clone());
            out.push(value.alias(name));
        }
        Ok(out)
    }

    fn sort_keys(&mut self, keys: &[mstic_kql_syntax::ast::SortKey], frame: &DataFrame) -> PResult<Vec<SortExpr>> {
        keys.iter()
            .map(|key| {
                let value = scalar::convert(self, &key.expr, frame.schema())?;
                let nulls_first = key.nulls_first.unwrap_or(!key.descending);
                Ok(value.sort(!key.descending, nulls_first))
            })
            .collect()
    }

    fn constant_count(&self, expr: &Expr) -> PResult<usize> {
        constant_rows(self, expr)
    }

    /// `parse`: a regular expression built from the pattern; each column takes its group
    /// (null when the text does not match), converted to the column's type.
    fn parse_operator(&mut self, frame: DataFrame, kind: ParseKind, expr: &Expr, parts: &[ParsePart], span: Span) -> PResult<DataFrame> {
        let mut pattern = String::from("^");
        let mut columns: Vec<(Ident, Option<String>)> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            match part {
                ParsePart::Literal(text) => {
                    if kind == ParseKind::Regex {
                        pattern.push_str(&format!("(?:{text})"));
                    } else {
                        pattern.push_str(&regex::escape(text));
                    }
                }
                ParsePart::Wildcard => pattern.push_str(if i + 1 == parts.len() { ".*" } else { ".*?" }),
                ParsePart::Column { name, ty } => {
                    pattern.push_str(if i + 1 == parts.len() { "(.*)" } else { "(.*?)" });
                    columns.push((name.clone(), ty.clone()));
                }
            }
        }
        if kind == ParseKind::Simple && matches!(parts.last(), Some(ParsePart::Literal(_))) {
            pattern.push('$');
        }
        let text = scalar::to_text(scalar::convert(self, expr, frame.schema())?, frame.schema());
        let groups = self.session.call("kql_regex_groups", vec![lit(pattern), text], span)?;
        let mut frame = frame;
        for (index, (name, ty)) in columns.iter().enumerate() {
            let value = self.session.call("kql_json_get", vec![groups.clone(), lit(index.to_string())], span)?;
            let value = match ty {
                Some(t) => scalar::convert_to_kusto_type(value, t, name.span)?,
                None => value,
            };
            frame = replace_or_append(frame, &name.name, value, span)?;
        }
        Ok(frame)
    }
}


/// A row count written as a constant (`take 10`, `top 5 by …`, or a scalar `let`).
pub(crate) fn constant_rows(planner: &Planner, expr: &Expr) -> PResult<usize> {
    let value = match expr {
        Expr::Literal(Literal::Long(n), _) => Some(*n),
        Expr::Column(name) => match planner.scope.scalars.get(&name.name) {
            Some((_, Expr::Literal(Literal::Long(n), _))) => Some(*n),
            _ => None,
        },
        _ => None,
    };
    value
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| PlanError::new("expected a non-negative whole number of rows", expr.span()))
}

/// The column names of a frame, in order.
pub(crate) fn names(frame: &DataFrame) -> Vec<String> {
    frame.schema().fields().iter().map(|f| f.name().clone()).collect()
}

/// Keeps the named columns, in the given order (dropping qualifiers).
pub(crate) fn select_names(frame: DataFrame, columns: &[String], span: Span) -> PResult<DataFrame> {
    let exprs: Vec<DfExpr> = columns.iter().map(|c| ident(c).alias(c)).collect();
    frame.select(exprs).map_err(|e| PlanError::datafusion(e, span))
}

/// `extend`: a new column at the end, or an existing one replaced in place.
pub(crate) fn replace_or_append(frame: DataFrame, name: &str, value: DfExpr, span: Span) -> PResult<DataFrame> {
    let existing = names(&frame);
    let mut exprs: Vec<DfExpr> =
        existing.iter().map(|c| if c == name { value.clone().alias(name) } else { ident(c).alias(c) }).collect();
    if !existing.iter().any(|c| c == name) {
        exprs.push(value.alias(name));
    }
    frame.select(exprs).map_err(|e| PlanError::datafusion(e, span))
}

/// The output name of `Name = expr` or of an unnamed expression: a column keeps its name, a
/// property access `d.a.b` becomes `d_a_b`, anything else `Column1`, `Column2` … (skipping names
/// in use).
pub(crate) fn output_name(item: &NamedExpr, existing: &[String], counter: &mut usize) -> String {
    if let Some(name) = &item.name {
        return name.name.clone();
    }
    if let Some(name) = natural_name(&item.expr) {
        return name;
    }
    loop {
        *counter += 1;
        let candidate = format!("Column{counter}");
        if !existing.contains(&candidate) {
            return candidate;
        }
    }
}

/// The name Kusto gives a column reference or property path.
pub(crate) fn natural_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::Member { base, name } => natural_name(base).map(|b| format!("{b}_{}", name.name)),
        Expr::Index { base, index, .. } => match index.as_ref() {
            Expr::Literal(Literal::String(key), _) => natural_name(base).map(|b| format!("{b}_{key}")),
            _ => None,
        },
        _ => None,
    }
}

/// `name`, `name1`, `name2` … the first not in `taken`.
pub(crate) fn next_free(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_string();
    }
    (1..).map(|i| format!("{name}{i}")).find(|c| !taken.contains(c)).unwrap_or_else(|| name.to_string())
}

/// Whether `name` matches a pattern with `*` wildcards.
fn wildcard(pattern: &str, name: &str) -> bool {
    let regex = format!("^{}$", pattern.split('*').map(regex::escape).collect::<Vec<_>>().join(".*"));
    regex::Regex::new(&regex).is_ok_and(|r| r.is_match(name))
}

/// The columns matched by `project-away`/`project-keep`/`project-reorder` names, in the order of
/// the patterns; a plain name that is not a column is an error.
fn match_patterns(patterns: &[Ident], columns: &[String]) -> PResult<Vec<String>> {
    let mut out = Vec::new();
    for pattern in patterns {
        if pattern.name.contains('*') {
            out.extend(columns.iter().filter(|c| wildcard(&pattern.name, c) && !out.contains(*c)).cloned().collect::<Vec<_>>());
        } else if columns.contains(&pattern.name) {
            if !out.contains(&pattern.name) {
                out.push(pattern.name.clone());
            }
        } else {
            return Err(PlanError::unknown("column", &pattern.name, columns, pattern.span));
        }
    }
    Ok(out)
}

fn render_value(expr: &Expr) -> String {
    match expr {
        Expr::Literal(Literal::String(s), _) => s.clone(),
        Expr::Literal(Literal::Long(n), _) => n.to_string(),
        Expr::Literal(Literal::Real(n), _) => n.to_string(),
        Expr::Literal(Literal::Bool(b), _) => b.to_string(),
        Expr::Column(c) => c.name.clone(),
        Expr::Call { name, args } if name.name == "dynamic" || name.name == "pack_array" => {
            args.iter().map(render_value).collect::<Vec<_>>().join(",")
        }
        _ => String::new(),
    }
}

/// `join`: right columns whose names the left has get a `1` suffix (Kusto's naming);
/// `innerunique` keeps one left row per key first.
fn join(left: DataFrame, right: DataFrame, kind: JoinKind, on: &[JoinCondition], span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    if on.is_empty() {
        return Err(PlanError::new("join needs `on` columns", span));
    }
    let left_names = names(&left);
    let right_names = names(&right);
    let mut keys: Vec<(String, String)> = Vec::new();
    for condition in on {
        let (l, r) = match condition {
            JoinCondition::Same(c) => (c, c),
            JoinCondition::Equal { left, right } => (left, right),
        };
        if !left_names.contains(&l.name) {
            return Err(PlanError::unknown("column of the join's left side", &l.name, &left_names, l.span));
        }
        if !right_names.contains(&r.name) {
            return Err(PlanError::unknown("column of the join's right side", &r.name, &right_names, r.span));
        }
        keys.push((l.name.clone(), r.name.clone()));
    }
    // Rename right columns that collide with left ones.
    let mut taken = left_names.clone();
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut right_exprs = Vec::new();
    for c in &right_names {
        let new = next_free(c, &taken);
        taken.push(new.clone());
        renamed.insert(c.clone(), new.clone());
        right_exprs.push(ident(c).alias(new));
    }
    let right = right.select(right_exprs).map_err(df)?;
    let left = select_names(left, &left_names, span)?;
    let left = if kind == JoinKind::InnerUnique { first_per_key(left, &keys, span)? } else { left };
    let condition: Vec<DfExpr> = keys.iter().map(|(l, r)| ident(l).eq(ident(&renamed[r]))).collect();
    let join_type = match kind {
        JoinKind::InnerUnique | JoinKind::Inner => JoinType::Inner,
        JoinKind::LeftOuter => JoinType::Left,
        JoinKind::RightOuter => JoinType::Right,
        JoinKind::FullOuter => JoinType::Full,
        JoinKind::LeftAnti => JoinType::LeftAnti,
        JoinKind::RightAnti => JoinType::RightAnti,
        JoinKind::LeftSemi => JoinType::LeftSemi,
        JoinKind::RightSemi => JoinType::RightSemi,
    };
    let joined = left.join_on(right, join_type, condition).map_err(df)?;
    // Back to the original names: the right side's renamed columns keep their new names.
    let mut out: Vec<String> = Vec::new();
    if !matches!(kind, JoinKind::RightAnti | JoinKind::RightSemi) {
        out.extend(left_names);
    }
    // A right-only result keeps the right side's own names.
    let right_only = matches!(kind, JoinKind::RightAnti | JoinKind::RightSemi);
    let mut exprs: Vec<DfExpr> = out.iter().map(|c| DfExpr::Column(Column::from_name(c.clone())).alias(c)).collect();
    if !matches!(kind, JoinKind::LeftAnti | JoinKind::LeftSemi) {
        for c in &right_names {
            let output = if right_only { c } else { &renamed[c] };
            exprs.push(DfExpr::Column(Column::from_name(renamed[c].clone())).alias(output));
        }
    }
    joined.select(exprs).map_err(df)
}

/// One row per distinct left key (the first in input order): `innerunique`'s de-duplication.
fn first_per_key(frame: DataFrame, keys: &[(String, String)], span: Span) -> PResult<DataFrame> {
    let df = |e| PlanError::datafusion(e, span);
    let columns = names(&frame);
    let partition: Vec<DfExpr> = keys.iter().map(|(l, _)| ident(l)).collect();
    let marker = "__kql_first_per_key";
    let number = datafusion::functions_window::expr_fn::row_number()
        .partition_by(partition)
        .build()
        .map_err(df)?
        .alias(marker);
    frame
        .window(vec![number])
        .and_then(|f| f.filter(col(marker).eq(lit(ScalarValue::UInt64(Some(1))))))
        .map_err(df)
        .and_then(|f| select_names(f, &columns, span))
}

