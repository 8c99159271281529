//! Whole queries: sources, every tabular operator, `let` statements and comments.

mod common;

use common::*;
use mstic_kql_syntax::ast::{BinaryOp::*, *};
use mstic_kql_syntax::parse;

#[track_caller]
fn parsed(query: &str) -> Query {
    parse(query).unwrap_or_else(|e| panic!("{}", e.render(query)))
}

#[test]
fn where_then_take() {
    let ops = ops_of("T | where x > 1 | take 10");
    assert_shape(
        &ops,
        &vec![Operator::Where(bin(Gt, col("x"), long(1))), Operator::Take(long(10))],
    );
    assert_shape(
        &ops_of("T | filter x | limit 5"),
        &vec![Operator::Where(col("x")), Operator::Take(long(5))],
    );
}

#[test]
fn project_and_extend() {
    let project = one_op("T | project a, b = c + 1, ['d e']");
    let expected = Operator::Project(vec![
        unnamed(col("a")),
        named("b", bin(Add, col("c"), long(1))),
        unnamed(col("d e")),
    ]);
    assert_shape(&project, &expected);
    let extend = one_op("T | extend x = 1, y, ['z z'] = a-b");
    let expected = Operator::Extend(vec![
        named("x", long(1)),
        unnamed(col("y")),
        named("z z", bin(Sub, col("a"), col("b"))),
    ]);
    assert_shape(&extend, &expected);
}

#[test]
fn project_away_keep_rename_reorder() {
    assert_shape(
        &one_op("T | project-away Src*, *Id, ['x y'], A"),
        &Operator::ProjectAway(vec![id("Src*"), id("*Id"), id("x y"), id("A")]),
    );
    assert_shape(
        &one_op("T | project-keep A*B, C"),
        &Operator::ProjectKeep(vec![id("A*B"), id("C")]),
    );
    assert_shape(
        &one_op("T | project-rename New = Old, ['N 2'] = ['o 2']"),
        &Operator::ProjectRename(vec![(id("New"), id("Old")), (id("N 2"), id("o 2"))]),
    );
    assert_shape(
        &one_op("T | project-reorder A, B* asc, C desc"),
        &Operator::ProjectReorder(vec![id("A"), id("B*"), id("C")]),
    );
}

#[test]
fn summarize_with_keys_hints_and_no_aggregates() {
    let expected = Operator::Summarize {
        aggregates: vec![unnamed(call("count", vec![])), named("m", call("max", vec![col("x")]))],
        by: vec![
            unnamed(call("bin", vec![col("TimeGenerated"), timespan(HOUR)])),
            named("K", call("tolower", vec![col("c")])),
        ],
    };
    assert_shape(
        &one_op("T | summarize count(), m = max(x) by bin(TimeGenerated, 1h), K = tolower(c)"),
        &expected,
    );
    let keys_only = Operator::Summarize { aggregates: vec![], by: vec![unnamed(col("X"))] };
    assert_shape(&one_op("T | summarize by X"), &keys_only);
    let hinted = Operator::Summarize {
        aggregates: vec![unnamed(call("dcount", vec![col("A")]))],
        by: vec![],
    };
    assert_shape(&one_op("T | summarize hint.strategy=shuffle dcount(A)"), &hinted);
    let star = Operator::Summarize {
        aggregates: vec![unnamed(call("arg_max", vec![col("T"), Expr::Star(Span::default())]))],
        by: vec![unnamed(col("K"))],
    };
    assert_shape(&one_op("T | summarize arg_max(T, *) by K"), &star);
}

#[test]
fn sort_and_top() {
    let sort = one_op("T | sort by a asc nulls last, b, c desc nulls first");
    let expected = Operator::Sort(vec![
        sort_key(col("a"), false, Some(false)),
        sort_key(col("b"), true, None),
        sort_key(col("c"), true, Some(true)),
    ]);
    assert_shape(&sort, &expected);
    assert_shape(&one_op("T | order by a"), &Operator::Sort(vec![sort_key(col("a"), true, None)]));
    let top = one_op("T | top 5 by x asc");
    assert_shape(&top, &Operator::Top { count: long(5), by: sort_key(col("x"), false, None) });
    let top = one_op("T | top 1 by TimeGenerated desc nulls last");
    assert_shape(
        &top,
        &Operator::Top { count: long(1), by: sort_key(col("TimeGenerated"), true, Some(false)) },
    );
}

#[test]
fn top_nested_levels() {
    let levels = one_op(
        "T | top-nested 3 of A with others = 0 by c = count() asc, top-nested of B by sum(x)",
    );
    let expected = Operator::TopNested(vec![
        TopNestedLevel {
            count: Some(long(3)),
            of: unnamed(col("A")),
            others: Some(long(0)),
            by: named("c", call("count", vec![])),
            ascending: true,
        },
        TopNestedLevel {
            count: None,
            of: unnamed(col("B")),
            others: None,
            by: unnamed(call("sum", vec![col("x")])),
            ascending: false,
        },
    ]);
    assert_shape(&levels, &expected);
}

#[test]
fn distinct_count_getschema_serialize_as() {
    assert_shape(&one_op("T | distinct *"), &Operator::Distinct(vec![]));
    assert_shape(
        &one_op("T | distinct A, B"),
        &Operator::Distinct(vec![unnamed(col("A")), unnamed(col("B"))]),
    );
    assert_shape(&one_op("T | count"), &Operator::Count);
    assert_shape(&one_op("T | getschema"), &Operator::GetSchema);
    assert_shape(&one_op("T | serialize"), &Operator::Serialize(vec![]));
    assert_shape(
        &one_op("T | serialize rn = row_number()"),
        &Operator::Serialize(vec![named("rn", call("row_number", vec![]))]),
    );
    assert_shape(&one_op("T | as hint.materialized=true X"), &Operator::As(id("X")));
}

#[test]
fn join_with_parenthesised_right_side_and_left_right_conditions() {
    let op = one_op("T | join kind=leftouter (U | where x) on $left.A == $right.B, C");
    let expected = Operator::Join {
        kind: JoinKind::LeftOuter,
        right: tabular(Source::Table(id("U")), vec![Operator::Where(col("x"))]),
        on: vec![
            JoinCondition::Equal { left: id("A"), right: id("B") },
            JoinCondition::Same(id("C")),
        ],
    };
    assert_shape(&op, &expected);
}

#[test]
fn join_conditions_either_way_round_and_default_kind() {
    let op = one_op("T | join U on $right.B == $left.A and K");
    let expected = Operator::Join {
        kind: JoinKind::InnerUnique,
        right: table("U"),
        on: vec![
            JoinCondition::Equal { left: id("A"), right: id("B") },
            JoinCondition::Same(id("K")),
        ],
    };
    assert_shape(&op, &expected);
}

#[test]
fn join_kinds_and_hints() {
    for (name, kind) in [
        ("innerunique", JoinKind::InnerUnique),
        ("inner", JoinKind::Inner),
        ("leftouter", JoinKind::LeftOuter),
        ("rightouter", JoinKind::RightOuter),
        ("fullouter", JoinKind::FullOuter),
        ("leftanti", JoinKind::LeftAnti),
        ("anti", JoinKind::LeftAnti),
        ("leftantisemi", JoinKind::LeftAnti),
        ("rightanti", JoinKind::RightAnti),
        ("rightantisemi", JoinKind::RightAnti),
        ("leftsemi", JoinKind::LeftSemi),
        ("rightsemi", JoinKind::RightSemi),
    ] {
        let op = one_op(&format!("T | join hint.strategy=broadcast kind={name} (U) on K"));
        let expected =
            Operator::Join { kind, right: table("U"), on: vec![JoinCondition::Same(id("K"))] };
        assert_shape(&op, &expected);
    }
}

#[test]
fn union_as_source_and_as_operator() {
    let query = parsed("union kind=inner withsource=Src isfuzzy=true T1, (T2 | where x), T3*");
    let expected = Source::Union(Union {
        inner: true,
        with_source: Some(id("Src")),
        tables: vec![
            table("T1"),
            tabular(Source::Table(id("T2")), vec![Operator::Where(col("x"))]),
            table("T3*"),
        ],
    });
    assert_shape(&query.body.source, &expected);
    assert!(query.body.ops.is_empty());
    let ops = ops_of("T | union U | where y");
    let expected = vec![
        Operator::Union(Union { inner: false, with_source: None, tables: vec![table("U")] }),
        Operator::Where(col("y")),
    ];
    assert_shape(&ops, &expected);
}

#[test]
fn mv_expand_with_kind_types_and_limit() {
    let op = one_op("T | mv-expand kind=array Name = Col to typeof(long), Other limit 10");
    let expected = Operator::MvExpand {
        columns: vec![
            MvExpandColumn { column: named("Name", col("Col")), to_type: Some("long".into()) },
            MvExpandColumn { column: unnamed(col("Other")), to_type: None },
        ],
        limit: Some(long(10)),
    };
    assert_shape(&op, &expected);
}

#[test]
fn mv_apply_with_a_subquery() {
    let apply = one_op("T | mv-apply x = Col to typeof(string) on (where x > 1 | take 1)");
    let expected = Operator::MvApply {
        columns: vec![MvExpandColumn {
            column: named("x", col("Col")),
            to_type: Some("string".into()),
        }],
        subquery: vec![
            op(Operator::Where(bin(Gt, col("x"), long(1)))),
            op(Operator::Take(long(1))),
        ],
    };
    assert_shape(&apply, &expected);
}

#[test]
fn parse_operator_patterns() {
    let op = one_op(r#"T | parse kind=regex Msg with * "user=" User "," Count:long "end""#);
    let expected = Operator::Parse {
        kind: ParseKind::Regex,
        expr: col("Msg"),
        parts: vec![
            ParsePart::Wildcard,
            ParsePart::Literal("user=".into()),
            ParsePart::Column { name: id("User"), ty: None },
            ParsePart::Literal(",".into()),
            ParsePart::Column { name: id("Count"), ty: Some("long".into()) },
            ParsePart::Literal("end".into()),
        ],
    };
    assert_shape(&op, &expected);
    let simple = one_op("T | parse tostring(d.msg) with 'a' A");
    let expected = Operator::Parse {
        kind: ParseKind::Simple,
        expr: call("tostring", vec![member(col("d"), "msg")]),
        parts: vec![ParsePart::Literal("a".into()), ParsePart::Column { name: id("A"), ty: None }],
    };
    assert_shape(&simple, &expected);
}

#[test]
fn make_series_with_from_to_step_and_by() {
    let op = one_op(
        "T | make-series c = count() default = 0, avg(x) on TimeGenerated from ago(1d) to now() step 1h by Computer",
    );
    let expected = Operator::MakeSeries(MakeSeries {
        aggregates: vec![
            (named("c", call("count", vec![])), Some(long(0))),
            (unnamed(call("avg", vec![col("x")])), None),
        ],
        on: col("TimeGenerated"),
        from: Some(call("ago", vec![timespan(DAY)])),
        to: Some(call("now", vec![])),
        step: timespan(HOUR),
        by: vec![unnamed(col("Computer"))],
    });
    assert_shape(&op, &expected);
}

#[test]
fn make_series_with_in_range() {
    let op = one_op(
        "T | make-series count() on Ts in range(datetime(2024-01-01), datetime(2024-01-02), 1h)",
    );
    let expected = Operator::MakeSeries(MakeSeries {
        aggregates: vec![(unnamed(call("count", vec![])), None)],
        on: col("Ts"),
        from: Some(lit(Literal::Datetime("2024-01-01".into()))),
        to: Some(lit(Literal::Datetime("2024-01-02".into()))),
        step: timespan(HOUR),
        by: vec![],
    });
    assert_shape(&op, &expected);
}

#[test]
fn render_with_properties() {
    let op = one_op(r#"T | render timechart with (title="x", xcolumn=Ts, ycolumns=A, B)"#);
    let expected = Operator::Render {
        chart: id("timechart"),
        properties: vec![
            (id("title"), string("x")),
            (id("xcolumn"), col("Ts")),
            (id("ycolumns"), col("A")),
            (id("ycolumns"), col("B")),
        ],
    };
    assert_shape(&op, &expected);
    assert_shape(
        &one_op("T | render piechart"),
        &Operator::Render { chart: id("piechart"), properties: vec![] },
    );
}

#[test]
fn extend_several_columns_from_one_call() {
    let op = one_op("T | extend (baseline, seasonal) = series_decompose(Total)");
    let expected = Operator::ExtendColumns {
        names: vec![id("baseline"), id("seasonal")],
        expr: call("series_decompose", vec![col("Total")]),
    };
    assert_shape(&op, &expected);
}

#[test]
fn unsupported_operators_are_kept_by_name() {
    let ops = ops_of("T | evaluate bag_unpack(x) | lookup (U | where a) on K | take 1");
    let expected = vec![
        Operator::Unsupported(id("evaluate")),
        Operator::Unsupported(id("lookup")),
        Operator::Take(long(1)),
    ];
    assert_shape(&ops, &expected);
    assert_shape(
        &ops_of("T | sample-distinct 5 of X"),
        &vec![Operator::Unsupported(id("sample-distinct"))],
    );
}

#[test]
fn datatable_print_and_range_sources() {
    let query = parsed("datatable(A:string, ['B b']:long) [ 'x', 1, 'y', -2, ]");
    let expected = Source::Datatable {
        columns: vec![(id("A"), "string".into()), (id("B b"), "long".into())],
        values: vec![string("x"), long(1), string("y"), long(-2)],
    };
    assert_shape(&query.body.source, &expected);
    let query = parsed("print x = 1, 2");
    assert_shape(&query.body.source, &Source::Print(vec![named("x", long(1)), unnamed(long(2))]));
    let query = parsed("range X from 1 to 10 step 2 | count");
    let expected = Source::Range { column: id("X"), from: long(1), to: long(10), step: long(2) };
    assert_shape(&query.body.source, &expected);
    assert_shape(&query.body.ops, &vec![op(Operator::Count)]);
}

#[test]
fn parenthesised_source_is_flattened_and_table_function_names_a_table() {
    let query = parsed("(T | where a) | take 1");
    assert_shape(
        &query.body,
        &tabular(Source::Table(id("T")), vec![Operator::Where(col("a")), Operator::Take(long(1))]),
    );
    let query = parsed("table('My Table') | count");
    assert_shape(&query.body.source, &Source::Table(id("My Table")));
    let query = parsed("Security* | take 1");
    assert_shape(&query.body.source, &Source::Table(id("Security*")));
}

#[test]
fn let_statements_scalar_and_tabular() {
    let query = parsed(
        "let start = ago(1d);\nlet t = SecurityEvent;\nlet s = T | where x;\nlet d = datatable(a:long)[1];\n\
         let p = (T | take 1);\nlet r = range(1, 3, 1);\ns | take 1;",
    );
    let names: Vec<&str> = query.lets.iter().map(|l| l.name.name.as_str()).collect();
    assert_eq!(names, ["start", "t", "s", "d", "p", "r"]);
    assert_shape(&query.lets[0].value, &LetValue::Scalar(call("ago", vec![timespan(DAY)])));
    assert_shape(&query.lets[1].value, &LetValue::Scalar(col("SecurityEvent")));
    assert_shape(
        &query.lets[2].value,
        &LetValue::Tabular(tabular(Source::Table(id("T")), vec![Operator::Where(col("x"))])),
    );
    assert!(
        matches!(&query.lets[3].value, LetValue::Tabular(t) if matches!(t.source, Source::Datatable { .. }))
    );
    assert_shape(
        &query.lets[4].value,
        &LetValue::Tabular(tabular(Source::Table(id("T")), vec![Operator::Take(long(1))])),
    );
    assert_shape(
        &query.lets[5].value,
        &LetValue::Scalar(call("range", vec![long(1), long(3), long(1)])),
    );
    assert_shape(&query.body, &tabular(Source::Table(id("s")), vec![Operator::Take(long(1))]));
}

#[test]
fn let_with_toscalar_is_scalar() {
    let query = parsed("let m = toscalar(T | summarize max(x));\nT | where x == m");
    let LetValue::Scalar(Expr::Call { name, args }) = &query.lets[0].value else {
        panic!("expected a scalar call: {:?}", query.lets[0].value);
    };
    assert_eq!(name.name, "toscalar");
    assert!(matches!(args.as_slice(), [Expr::Tabular(_)]));
}

#[test]
fn comments_are_skipped_everywhere() {
    let ops = ops_of(
        "// heading\nT // the table\n| where x == '//not a comment' // trailing\n// between\n| take 1 // end",
    );
    assert_shape(
        &ops,
        &vec![
            Operator::Where(bin(Eq, col("x"), string("//not a comment"))),
            Operator::Take(long(1)),
        ],
    );
}

#[test]
fn hyphenated_words_are_operators_only_after_a_pipe() {
    let ops = ops_of("T | extend d = project-away");
    assert_shape(
        &ops,
        &vec![Operator::Extend(vec![named("d", bin(Sub, col("project"), col("away")))])],
    );
    let ops = ops_of("T | mv-apply x = c on (mv-expand y = x | project-away y)");
    let Operator::MvApply { subquery, .. } = &ops[0] else { panic!("{ops:?}") };
    assert!(matches!(subquery[0].kind, Operator::MvExpand { .. }));
    assert!(matches!(subquery[1].kind, Operator::ProjectAway(_)));
}

#[test]
fn trailing_semicolon_is_allowed() {
    assert_shape(&parsed("T | count;").body.ops, &vec![op(Operator::Count)]);
}

#[test]
fn a_realistic_hunting_query() {
    let query = parsed(
        r#"let lookback = 7d;
let suspicious = dynamic(["-enc", "-encodedcommand"]);
SecurityEvent
| where TimeGenerated > ago(lookback) and EventID == 4688
| where NewProcessName endswith @"\powershell.exe" and CommandLine has_any (suspicious)
| extend Host = tolower(Computer)
| summarize Count = count(), First = min(TimeGenerated) by Host, Account
| where Count > 3
| order by Count desc"#,
    );
    assert_eq!(query.lets.len(), 2);
    let kinds: Vec<&str> = query
        .body
        .ops
        .iter()
        .map(|op| match op.kind {
            Operator::Where(_) => "where",
            Operator::Extend(_) => "extend",
            Operator::Summarize { .. } => "summarize",
            Operator::Sort(_) => "sort",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["where", "where", "extend", "summarize", "where", "sort"]);
}

#[test]
fn shape_comparison_sees_differences_but_not_spans() {
    assert_ne!(shape(&expr("a + b")), shape(&expr("a - b")));
    assert_ne!(shape(&expr("a + b")), shape(&expr("a + c")));
    assert_ne!(shape(&expr("1")), shape(&expr("1.0")));
    assert_eq!(shape(&expr("a+b")), shape(&expr("a  +   b")));
}

#[test]
fn common_hunting_idioms_parse() {
    let qs = [
        "T | where Computer in~ (hosts)",
        "T | extend a = iff(x > 1, \"a\", \"b\")",
        "T | where x between (ago(1d) .. now())",
        "T | join kind=inner (U) on $left.A == $right.B and $left.C == $right.D",
        "T | where x matches regex @\"\\d+\"",
        "let x = dynamic(['a']);\r\nT | where y in (x)",
        "T | extend x = case(a == 1, \"one\", a == 2, \"two\", \"other\")",
        "T | summarize countif(x > 1), percentiles(x, 50, 95)",
        "T | lookup kind=leftouter U on K",
        "T | where timestamp > datetime(2024-01-01T00:00:00.000Z)",
        "T | where t between (datetime(2024-01-01) .. 1d)",
        "T | summarize by bin(TimeGenerated, 1h)",
        "T | top 10 by count_ desc",
        "range x from 1 to 3 step 1 | extend y = x * 2",
        "datatable(a:int)[1,2,3] | where a > 1",
        "T | as X | join (X) on K",
        "T | where ['col.with.dots'] == 1 and x == true",
        "T | extend y = -x * 2",
        "T | summarize take_any(*)",
        "T | extend x = todynamic(y).a.b[0]",
        "T | parse-where x with * 'a' y",
        "T | where isnotempty(x) and x !in (\"\")",
        "T\n| where x == 1 // c\n;",
        "print now()",
        "T | extend x = 1.0 * a / b, z = 1e-3",
        "union withsource=TableName Sec*, (Event | take 1) | take 1",
        "T | where x in (datatable(a:string)['a'])",
        "T | project-away *_s",
        "T | where Url has_any (urls) and Url !has \"x\"",
        "T | summarize make_set(x, 10) by y | mv-expand set_x to typeof(string)",
        "T | extend x = strcat_array(split(y, '.'), '-')",
        "T | where Account !~ 'SYSTEM' and Account !startswith \"NT\"",
        "T | extend DaysAgo = datetime_diff('day', now(), TimeGenerated)",
        "T | where x == 1\n| sample 10\n| take 1",
        "T | fork (where x) (take 1)",
        "T | extend p = pack(\"a\", a), q = bag_pack(\"b\", b)",
        "T | where EventID == 4624 and LogonType in (2, 10) and not(Account endswith '$')",
        "T | make-series n = count() default = 0 on TimeGenerated from datetime(2024-01-01) to datetime(2024-01-02) step 1h by Computer | extend (a, s, b) = series_decompose_anomalies(n, 1.5, -1, 'linefit')",
        "T | where x has_cs 'A' or y hasprefix_cs 'b'",
        "T | summarize arg_max(TimeGenerated, *) by Computer | project-reorder Computer",
    ];
    let failures: Vec<String> =
        qs.iter().filter_map(|q| parse(q).err().map(|e| e.render(q))).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unary_minus_binds_tighter_than_multiplication() {
    let ops = ops_of("T | extend y = -x * 2");
    let negated = Expr::Negate(Box::new(col("x")), Span::default());
    assert_shape(&ops, &vec![Operator::Extend(vec![named("y", bin(Mul, negated, long(2)))])]);
}

#[test]
fn union_tables_do_not_take_the_following_operators() {
    let query = parsed("union withsource=TableName Sec*, (Event | take 1) | take 1");
    let Source::Union(union) = &query.body.source else { panic!("{query:?}") };
    assert_eq!(union.tables.len(), 2);
    assert_eq!(union.tables[1].ops.len(), 1);
    assert_shape(&query.body.ops, &vec![op(Operator::Take(long(1)))]);
}
