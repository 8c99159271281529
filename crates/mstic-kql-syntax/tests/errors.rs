//! Error messages, carets and spans.

mod common;

use common::*;
use mstic_kql_syntax::ast::*;
use mstic_kql_syntax::{SyntaxError, caret, parse, parse_expr};

#[track_caller]
fn error(query: &str) -> SyntaxError {
    match parse(query) {
        Ok(parsed) => panic!("expected an error for {query:?}, got {parsed:?}"),
        Err(error) => error,
    }
}

/// The text under the error's span.
fn under<'a>(query: &'a str, error: &SyntaxError) -> &'a str {
    &query[error.span.start..error.span.end]
}

#[test]
fn empty_queries() {
    for query in ["", "   \n ", "// only a comment\n"] {
        let e = error(query);
        assert_eq!(e.message, "the query is empty");
        assert_eq!(e.span, Span::new(0, 0));
    }
    assert_eq!(parse_expr("").unwrap_err().message, "the expression is empty");
}

#[test]
fn missing_right_operand_points_just_after_the_operator() {
    let query = "SecurityEvent\n| where EventID ==";
    let e = error(query);
    assert_eq!(e.message, "expected an expression after `==`");
    assert_eq!(e.span, Span::new(query.len(), query.len()));
    assert_eq!(
        e.render(query),
        "KQL syntax error at line 2, column 19: expected an expression after `==`\n\
         | | where EventID ==\n\
         |                   ^"
    );
}

#[test]
fn unknown_operator_lists_the_known_ones() {
    let query = "T | wher x";
    let e = error(query);
    assert_eq!(e.message, "unknown tabular operator `wher`");
    assert_eq!(under(query, &e), "wher");
    assert!(e.expected.contains(&"`where`".to_string()));
    assert!(e.expected.contains(&"`mv-expand`".to_string()));
    assert!(e.expected.contains(&"`evaluate`".to_string()));
    assert!(
        e.to_string()
            .starts_with("unknown tabular operator `wher`; expected one of: `where`, `filter`,")
    );
    assert!(e.render(query).ends_with("\n| T | wher x\n|     ^^^^"));
}

#[test]
fn unclosed_parenthesis_points_at_it() {
    let query = "T | where (a or b";
    let e = error(query);
    assert_eq!(e.message, "this `(` is never closed");
    assert_eq!(e.span, Span::new(10, 11));
    let e = error("T | where f(a, b");
    assert_eq!(e.message, "this `(` of `f` is never closed");
}

#[test]
fn user_defined_functions_are_refused_with_a_span() {
    let query = "let f = (x:long) { x + 1 };\nT | extend y = f(1)";
    let e = error(query);
    assert_eq!(e.message, "user-defined functions (`let f = (…) { … }`) are not supported");
    assert_eq!(under(query, &e), "let f = (x:long) {");
}

#[test]
fn unknown_join_kind() {
    let query = "T | join kind=sideways U on K";
    let e = error(query);
    assert_eq!(e.message, "unknown join kind `sideways`");
    assert_eq!(under(query, &e), "sideways");
    assert!(e.expected.contains(&"`leftouter`".to_string()));
}

#[test]
fn unterminated_string() {
    let query = "T | where x == 'abc\n| take 1";
    let e = error(query);
    assert_eq!(e.message, "the string is not closed");
    assert_eq!(under(query, &e), "'abc");
}

#[test]
fn trailing_text_after_an_operator() {
    let query = "T | take 1 1";
    let e = error(query);
    assert_eq!(e.message, "expected `|` or the end of the query, found a number");
    assert_eq!(e.span, Span::new(11, 12));
    let e = error("T | where x = 1");
    assert_eq!(e.message, "expected `|` or the end of the query, found `=`");
}

#[test]
fn let_statement_errors() {
    let e = error("let x = 1");
    assert_eq!(e.message, "expected `;` after the `let` statement, found the end of the query");
    assert_eq!(e.span, Span::new(9, 9));
    let e = error("let x = 1;");
    assert_eq!(e.message, "the query has no tabular expression after its `let` statements");
    let e = error("let = 1; T");
    assert_eq!(e.message, "expected a name after `let`, found `=`");
}

#[test]
fn in_needs_a_parenthesised_list() {
    let e = error("T | where x in 1");
    assert_eq!(e.message, "expected `(` after `in`, found a number");
    let e = error("T | where x !in~ 1");
    assert_eq!(e.message, "expected `(` after `!in~`, found a number");
}

#[test]
fn bad_typed_literals() {
    let query = "T | where t > datetime()";
    let e = error(query);
    assert_eq!(e.message, "expected a value inside `datetime(…)`");
    let query = "print long(abc)";
    let e = error(query);
    assert_eq!(e.message, "`abc` is not a valid long value");
    assert_eq!(under(query, &e), "abc");
    assert_eq!(error("print timespan(25:99)").message, "`25:99` is not a valid timespan value");
}

#[test]
fn operators_missing_their_arguments() {
    assert_eq!(error("T | where").message, "expected an expression after `where`");
    assert_eq!(error("T | project").message, "expected an expression after `project`");
    assert_eq!(error("T | sort x").message, "expected `by` after `sort`, found `x`");
    assert_eq!(error("T | summarize count() by").message, "expected an expression after `by`");
    assert_eq!(
        error("T | join U").message,
        "expected `on` after the right side of the join, found the end of the query"
    );
    assert_eq!(error("T |").message, "expected a tabular operator, found the end of the query");
}

#[test]
fn several_column_names_only_in_extend() {
    let e = error("T | project (a, b) = f(x)");
    assert_eq!(e.message, "naming several columns at once (`(A, B) = …`) is not supported here");
    let e = error("T | extend (a, b) = f(x), c = 1");
    assert_eq!(
        e.message,
        "`extend (A, B, …) = …` must be the only column of its `extend`; add another `| extend`"
    );
}

#[test]
fn caret_counts_characters_not_bytes() {
    let query = "T\n| where Nom == 'é' and ==";
    let e = error(query);
    assert_eq!(e.message, "expected an expression after `and`");
    assert_eq!(
        e.render(query),
        "KQL syntax error at line 2, column 24: expected an expression after `and`\n\
         | | where Nom == 'é' and ==\n\
         |                        ^^"
    );
}

#[test]
fn caret_on_spans_past_the_end_or_across_lines() {
    assert_eq!(
        caret("ab", Span::new(10, 20), "m"),
        "KQL syntax error at line 1, column 3: m\n| ab\n|   ^"
    );
    assert_eq!(
        caret("ab\ncd", Span::new(1, 4), "m"),
        "KQL syntax error at line 1, column 2: m\n| ab\n|  ^"
    );
    assert_eq!(
        caret("a\té", Span::new(2, 4), "m"),
        "KQL syntax error at line 1, column 3: m\n| a\té\n|  \t^"
    );
}

#[test]
fn operator_and_tabular_spans() {
    let query = "T | where x == 1 | take 10";
    let parsed = parse(query).unwrap();
    assert_eq!(parsed.body.span, Span::new(0, query.len()));
    assert_eq!(&query[parsed.body.ops[0].span.start..parsed.body.ops[0].span.end], "where x == 1");
    assert_eq!(&query[parsed.body.ops[1].span.start..parsed.body.ops[1].span.end], "take 10");
    let Operator::Where(Expr::Binary { span, left, right, .. }) = &parsed.body.ops[0].kind else {
        panic!()
    };
    assert_eq!(&query[span.start..span.end], "==");
    assert_eq!(left.span(), Span::new(10, 11));
    assert_eq!(right.span(), Span::new(15, 16));
}

#[test]
fn hyphenated_operator_and_pattern_spans() {
    let query = "T | project-away Src* , ['a b']";
    let parsed = parse(query).unwrap();
    let op = &parsed.body.ops[0];
    assert_eq!(&query[op.span.start..op.span.end], "project-away Src* , ['a b']");
    let Operator::ProjectAway(names) = &op.kind else { panic!() };
    assert_eq!(&query[names[0].span.start..names[0].span.end], "Src*");
    assert_eq!(&query[names[1].span.start..names[1].span.end], "['a b']");
}

#[test]
fn literal_spans() {
    for (text, covered) in [
        ("x == 'a' 'b'", "'a' 'b'"),
        ("x == -5", "-5"),
        ("x == datetime(2024-01-01 )", "datetime(2024-01-01 )"),
        ("x == dynamic([1, 2])", "dynamic([1, 2])"),
        ("x == @'c:\\'", "@'c:\\'"),
    ] {
        let Expr::Binary { right, .. } = expr(text) else { panic!("{text}") };
        let span = right.span();
        assert_eq!(&text[span.start..span.end], covered);
    }
}

#[test]
fn expression_spans_of_calls_members_and_sets() {
    let text = "tolower(a.b) in ('x')";
    let parsed = expr(text);
    let Expr::In { expr: inner, span, .. } = &parsed else { panic!() };
    assert_eq!(&text[span.start..span.end], "in");
    assert_eq!(&text[inner.span().start..inner.span().end], "tolower(a.b");
    assert_eq!(parsed.span(), Span::new(0, 15));
    let text = "-x";
    assert_eq!(expr(text).span(), Span::new(0, 2));
}

#[test]
fn nested_tabular_spans() {
    let query = "T | where x in (U | project y) | join (V | take 1) on K";
    let parsed = parse(query).unwrap();
    let Operator::Where(Expr::In { list, .. }) = &parsed.body.ops[0].kind else { panic!() };
    let [Expr::Tabular(inner)] = list.as_slice() else { panic!() };
    assert_eq!(&query[inner.span.start..inner.span.end], "U | project y");
    assert_eq!(&query[inner.ops[0].span.start..inner.ops[0].span.end], "project y");
    let Operator::Join { right, .. } = &parsed.body.ops[1].kind else { panic!() };
    assert_eq!(&query[right.span.start..right.span.end], "V | take 1");
}

#[test]
fn let_name_and_bracketed_identifier_spans() {
    let query = "let x = 1;\nT | where ['Event ID'] == x";
    let parsed = parse(query).unwrap();
    assert_eq!(parsed.lets[0].name.span, Span::new(4, 5));
    let Operator::Where(Expr::Binary { left, .. }) = &parsed.body.ops[0].kind else { panic!() };
    assert_eq!(&query[left.span().start..left.span().end], "['Event ID']");
}
