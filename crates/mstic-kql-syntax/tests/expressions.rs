//! Scalar expressions: precedence, operators, literals, calls and member access.

mod common;

use common::*;
use mstic_kql_syntax::ast::{BinaryOp::*, Expr, Literal, StringPredicate::*};

#[test]
fn multiplication_binds_tighter_than_addition() {
    assert_shape(&expr("a + b * c"), &bin(Add, col("a"), bin(Mul, col("b"), col("c"))));
    assert_shape(&expr("(a + b) * c"), &bin(Mul, bin(Add, col("a"), col("b")), col("c")));
    assert_shape(&expr("a / b % c"), &bin(Mod, bin(Div, col("a"), col("b")), col("c")));
}

#[test]
fn subtraction_is_left_associative() {
    assert_shape(&expr("a - b - c"), &bin(Sub, bin(Sub, col("a"), col("b")), col("c")));
    assert_shape(&expr("a-b"), &bin(Sub, col("a"), col("b")));
}

#[test]
fn and_binds_tighter_than_or_and_comparisons_tighter_than_and() {
    let expected =
        bin(Or, bin(And, bin(Eq, col("x"), long(1)), bin(NotEq, col("y"), string("z"))), col("w"));
    assert_shape(&expr("x == 1 and y != 'z' or w"), &expected);
    assert_shape(
        &expr("a + 1 > b * 2"),
        &bin(Gt, bin(Add, col("a"), long(1)), bin(Mul, col("b"), long(2))),
    );
}

#[test]
fn every_comparison_operator() {
    for (text, op) in [
        ("a == b", Eq),
        ("a != b", NotEq),
        ("a <> b", NotEq),
        ("a =~ b", EqTilde),
        ("a !~ b", NotEqTilde),
        ("a < b", Lt),
        ("a <= b", Le),
        ("a > b", Gt),
        ("a >= b", Ge),
    ] {
        assert_shape(&expr(text), &bin(op, col("a"), col("b")));
    }
}

#[test]
fn string_predicates_and_their_negations() {
    for (text, predicate, negated) in [
        ("a has 'x'", Has, false),
        ("a !has 'x'", Has, true),
        ("a has_cs 'x'", HasCs, false),
        ("a !has_cs 'x'", HasCs, true),
        ("a hasprefix 'x'", HasPrefix, false),
        ("a !hassuffix_cs 'x'", HasSuffixCs, true),
        ("a contains 'x'", Contains, false),
        ("a !contains 'x'", Contains, true),
        ("a notcontains 'x'", Contains, true),
        ("a contains_cs 'x'", ContainsCs, false),
        ("a startswith 'x'", StartsWith, false),
        ("a !startswith_cs 'x'", StartsWithCs, true),
        ("a endswith 'x'", EndsWith, false),
        ("a !endswith 'x'", EndsWith, true),
        ("a matches regex 'x'", MatchesRegex, false),
    ] {
        assert_shape(&expr(text), &bin(Str(predicate, negated), col("a"), string("x")));
    }
}

fn in_expr(list: Vec<Expr>, negated: bool, case_insensitive: bool) -> Expr {
    Expr::In { expr: Box::new(col("x")), list, negated, case_insensitive, span: Default::default() }
}

#[test]
fn in_and_its_variants() {
    assert_shape(&expr("x in (1, 2)"), &in_expr(vec![long(1), long(2)], false, false));
    assert_shape(&expr("x !in ('a')"), &in_expr(vec![string("a")], true, false));
    assert_shape(&expr("x in~ ('a', 'b')"), &in_expr(vec![string("a"), string("b")], false, true));
    assert_shape(&expr("x !in~ ('a')"), &in_expr(vec![string("a")], true, true));
    let dynamic = lit(Literal::Dynamic("['a', 'b']".into()));
    assert_shape(&expr("x in (dynamic(['a', 'b']))"), &in_expr(vec![dynamic], false, false));
}

#[test]
fn in_a_tabular_expression() {
    let inner = tabular(
        mstic_kql_syntax::ast::Source::Table(id("T")),
        vec![
            mstic_kql_syntax::ast::Operator::Where(bin(Gt, col("y"), long(1))),
            mstic_kql_syntax::ast::Operator::Project(vec![unnamed(col("y"))]),
        ],
    );
    let expected = in_expr(vec![Expr::Tabular(Box::new(inner))], false, false);
    assert_shape(&expr("x in (T | where y > 1 | project y)"), &expected);
}

#[test]
fn has_any_and_has_all() {
    let any = Expr::HasAny {
        expr: Box::new(col("x")),
        list: vec![string("a"), string("b")],
        all: false,
        span: Default::default(),
    };
    assert_shape(&expr("x has_any ('a', 'b')"), &any);
    let all = Expr::HasAny {
        expr: Box::new(col("x")),
        list: vec![lit(Literal::Dynamic("[\"a\"]".into()))],
        all: true,
        span: Default::default(),
    };
    assert_shape(&expr("x has_all (dynamic([\"a\"]))"), &all);
}

#[test]
fn between_and_not_between() {
    let between = |negated, low, high| Expr::Between {
        expr: Box::new(col("x")),
        low: Box::new(low),
        high: Box::new(high),
        negated,
        span: Default::default(),
    };
    assert_shape(&expr("x between (1 .. 5)"), &between(false, long(1), long(5)));
    assert_shape(&expr("x !between(1..5)"), &between(true, long(1), long(5)));
    let dates = between(
        false,
        lit(Literal::Datetime("2024-01-01".into())),
        bin(Add, lit(Literal::Datetime("2024-01-01".into())), timespan(DAY)),
    );
    assert_shape(&expr("x between (datetime(2024-01-01) .. datetime(2024-01-01) + 1d)"), &dates);
}

#[test]
fn unary_minus_folds_into_number_literals() {
    assert_shape(&expr("-5"), &long(-5));
    assert_shape(&expr("-1.5"), &real(-1.5));
    assert_shape(&expr("-1d"), &timespan(-DAY));
    assert_shape(&expr("-x"), &Expr::Negate(Box::new(col("x")), Default::default()));
    assert_shape(&expr("+x"), &col("x"));
    assert_shape(&expr("a - -1"), &bin(Sub, col("a"), long(-1)));
}

#[test]
fn calls_members_and_indexes() {
    assert_shape(&expr("count(*)"), &call("count", vec![Expr::Star(Default::default())]));
    assert_shape(&expr("not(x)"), &call("not", vec![col("x")]));
    assert_shape(
        &expr("bin(TimeGenerated, 1h)"),
        &call("bin", vec![col("TimeGenerated"), timespan(HOUR)]),
    );
    assert_shape(&expr("now()"), &call("now", vec![]));
    assert_shape(&expr("parse_url(u).Host"), &member(call("parse_url", vec![col("u")]), "Host"));
    assert_shape(&expr("a.b.c"), &member(member(col("a"), "b"), "c"));
    assert_shape(&expr("d.['odd key']"), &member(col("d"), "odd key"));
    let index = |base, index| Expr::Index {
        base: Box::new(base),
        index: Box::new(index),
        span: Default::default(),
    };
    assert_shape(&expr("d['key']"), &index(col("d"), string("key")));
    assert_shape(&expr("arr[0].name"), &member(index(col("arr"), long(0)), "name"));
    assert_shape(&expr("$left.Account"), &member(col("$left"), "Account"));
    assert_shape(&expr("['Event ID'] == 4624"), &bin(Eq, col("Event ID"), long(4624)));
}

#[test]
fn a_call_argument_with_a_pipe_is_tabular() {
    use mstic_kql_syntax::ast::{Operator, Source};
    let inner = tabular(
        Source::Table(id("T")),
        vec![Operator::Summarize {
            aggregates: vec![unnamed(call("max", vec![col("x")]))],
            by: vec![],
        }],
    );
    assert_shape(
        &expr("toscalar(T | summarize max(x))"),
        &call("toscalar", vec![Expr::Tabular(Box::new(inner))]),
    );
    let printed = tabular(Source::Print(vec![unnamed(long(1))]), vec![]);
    assert_shape(
        &expr("toscalar(print 1)"),
        &call("toscalar", vec![Expr::Tabular(Box::new(printed))]),
    );
}

#[test]
fn number_literals() {
    assert_shape(&expr("42"), &long(42));
    assert_shape(&expr("1.5"), &real(1.5));
    assert_shape(&expr("1e3"), &real(1000.0));
    assert_shape(&expr("2.5E-1"), &real(0.25));
    assert_shape(&expr("0x1F"), &long(31));
    assert_shape(&expr("true"), &lit(Literal::Bool(true)));
    assert_shape(&expr("false"), &lit(Literal::Bool(false)));
    assert_shape(&expr("null"), &lit(Literal::Null));
}

#[test]
fn timespan_literals() {
    for (text, nanos) in [
        ("1d", DAY),
        ("2days", 2 * DAY),
        ("2h", 2 * HOUR),
        ("1.5h", 3 * HOUR / 2),
        ("3hrs", 3 * HOUR),
        ("30m", 30 * 60_000_000_000),
        ("5min", 5 * 60_000_000_000),
        ("10s", 10_000_000_000),
        ("2seconds", 2_000_000_000),
        ("100ms", 100_000_000),
        ("7milliseconds", 7_000_000),
        ("5microsecond", 5_000),
        ("1tick", 100),
        ("3ticks", 300),
    ] {
        assert_shape(&expr(text), &timespan(nanos));
    }
}

#[test]
fn string_literals_and_escapes() {
    for (text, value) in [
        (r"'it\'s'", "it's"),
        (r#""tab\there""#, "tab\there"),
        (r#""line\nbreak \\ \"q\"""#, "line\nbreak \\ \"q\""),
        (r#""\u0041\u00e9""#, "Aé"),
        (r"@'c:\temp\x'", r"c:\temp\x"),
        (r#"@"say ""hi""""#, r#"say "hi""#),
        (r"@'it''s'", "it's"),
        ("h'secret'", "secret"),
        ("h@'c:\\s'", "c:\\s"),
        ("```multi\nline```", "multi\nline"),
        ("'a' \"b\" @'c'", "abc"),
        ("'né'", "né"),
    ] {
        assert_shape(&expr(text), &string(value));
    }
}

#[test]
fn typed_literals() {
    for (text, literal) in [
        (
            "datetime(2024-01-02 03:04:05.123Z)",
            Literal::Datetime("2024-01-02 03:04:05.123Z".into()),
        ),
        ("datetime( 2024-01-02T03:04:05Z )", Literal::Datetime("2024-01-02T03:04:05Z".into())),
        ("datetime(null)", Literal::TypedNull("datetime".into())),
        ("timespan(1d)", Literal::Timespan(DAY)),
        ("time(1.5h)", Literal::Timespan(3 * HOUR / 2)),
        ("timespan(2)", Literal::Timespan(2 * DAY)),
        ("timespan(01:30:00)", Literal::Timespan(90 * 60_000_000_000)),
        ("timespan(2.01:00:00.5)", Literal::Timespan(2 * DAY + HOUR + 500_000_000)),
        ("timespan(null)", Literal::TypedNull("timespan".into())),
        ("dynamic([1, \"a\"])", Literal::Dynamic("[1, \"a\"]".into())),
        (
            "dynamic({\"a\": 1, \"b\": [\")\"]})",
            Literal::Dynamic("{\"a\": 1, \"b\": [\")\"]}".into()),
        ),
        ("dynamic(null)", Literal::Dynamic("null".into())),
        (
            "guid(74be27de-1e4e-49d9-b579-fe0b331d3642)",
            Literal::Guid("74be27de-1e4e-49d9-b579-fe0b331d3642".into()),
        ),
        ("long(5)", Literal::Long(5)),
        ("int(-3)", Literal::Long(-3)),
        ("real(1.5)", Literal::Real(1.5)),
        ("real(-2)", Literal::Real(-2.0)),
        ("real(+inf)", Literal::Real(f64::INFINITY)),
        ("bool(true)", Literal::Bool(true)),
        ("string('s')", Literal::String("s".into())),
        ("string(null)", Literal::TypedNull("string".into())),
        ("long(null)", Literal::TypedNull("long".into())),
    ] {
        assert_shape(&expr(text), &lit(literal));
    }
    assert!(matches!(expr("real(nan)"), Expr::Literal(Literal::Real(x), _) if x.is_nan()));
}

#[test]
fn range_with_parentheses_is_a_function() {
    assert_shape(&expr("range(1, 10, 2)"), &call("range", vec![long(1), long(10), long(2)]));
}
