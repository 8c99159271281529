//! Shared helpers: AST constructors with placeholder spans, and a span-blind comparison.

#![allow(dead_code)]

use std::fmt::Debug;

use mstic_kql_syntax::ast::*;

/// The value's `Debug` text with every span replaced by `_`, so trees can be compared by shape.
pub fn shape<T: Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find('}').map_or(tail.len(), |e| e + 1);
        out.push('_');
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Asserts two trees are equal apart from spans.
#[track_caller]
pub fn assert_shape<T: Debug>(actual: &T, expected: &T) {
    assert_eq!(shape(actual), shape(expected));
}

pub fn id(name: &str) -> Ident {
    Ident { name: name.to_string(), span: Span::default() }
}

pub fn col(name: &str) -> Expr {
    Expr::Column(id(name))
}

pub fn lit(literal: Literal) -> Expr {
    Expr::Literal(literal, Span::default())
}

pub fn long(n: i64) -> Expr {
    lit(Literal::Long(n))
}

pub fn real(x: f64) -> Expr {
    lit(Literal::Real(x))
}

pub fn string(s: &str) -> Expr {
    lit(Literal::String(s.to_string()))
}

pub fn timespan(nanos: i64) -> Expr {
    lit(Literal::Timespan(nanos))
}

pub const HOUR: i64 = 3_600_000_000_000;
pub const DAY: i64 = 24 * HOUR;

pub fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary { op, left: Box::new(left), right: Box::new(right), span: Span::default() }
}

pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call { name: id(name), args }
}

pub fn member(base: Expr, name: &str) -> Expr {
    Expr::Member { base: Box::new(base), name: id(name) }
}

pub fn named(name: &str, expr: Expr) -> NamedExpr {
    NamedExpr { name: Some(id(name)), expr }
}

pub fn unnamed(expr: Expr) -> NamedExpr {
    NamedExpr { name: None, expr }
}

pub fn table(name: &str) -> Tabular {
    Tabular { source: Source::Table(id(name)), ops: Vec::new(), span: Span::default() }
}

pub fn op(kind: Operator) -> PipeOp {
    PipeOp { kind, span: Span::default() }
}

pub fn tabular(source: Source, ops: Vec<Operator>) -> Tabular {
    Tabular { source, ops: ops.into_iter().map(op).collect(), span: Span::default() }
}

pub fn sort_key(expr: Expr, descending: bool, nulls_first: Option<bool>) -> SortKey {
    SortKey { expr, descending, nulls_first }
}

/// The operators of `T | …` (the source must be the table `T`).
#[track_caller]
pub fn ops_of(query: &str) -> Vec<Operator> {
    let parsed = mstic_kql_syntax::parse(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    assert_shape(&parsed.body.source, &Source::Table(id("T")));
    parsed.body.ops.into_iter().map(|op| op.kind).collect()
}

/// The single operator of `T | op`.
#[track_caller]
pub fn one_op(query: &str) -> Operator {
    let mut ops = ops_of(query);
    assert_eq!(ops.len(), 1, "{query}");
    ops.remove(0)
}

/// The expression, which must parse.
#[track_caller]
pub fn expr(text: &str) -> Expr {
    mstic_kql_syntax::parse_expr(text).unwrap_or_else(|e| panic!("{}", e.render(text)))
}
