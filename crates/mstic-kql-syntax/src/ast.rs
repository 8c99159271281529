//! The syntax tree of a KQL query: `let` statements, then one tabular expression (a source and
//! its `|` operators). Every node the planner may report on carries its [`Span`] in the query
//! text, so errors can point at it.

/// A byte range in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest range that covers both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A name as written in the query (`Computer`, `['Event ID']`, `$left`), with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name without brackets or quotes.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A whole query: `let` statements (in order), then the tabular expression whose result is the
/// query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The `let` statements before the final expression.
    pub lets: Vec<Let>,
    /// The final tabular expression.
    pub body: Tabular,
}

/// `let name = value;`
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    /// The bound name.
    pub name: Ident,
    /// What it is bound to.
    pub value: LetValue,
}

/// The value of a `let`.
#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// A scalar expression (`let start = ago(1d);`). A bare name (`let t = SecurityEvent;`) is
    /// parsed as `Scalar(Expr::Column)`; the planner treats it as a table when it names one.
    Scalar(Expr),
    /// A tabular expression (anything with a `|`, or a tabular source such as `datatable`,
    /// `union`, `range`, `print`).
    Tabular(Tabular),
}

/// A source followed by `|` operators.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabular {
    /// Where the rows come from.
    pub source: Source,
    /// The operators, in order.
    pub ops: Vec<PipeOp>,
    /// The whole expression.
    pub span: Span,
}

/// Where a tabular expression's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table or tabular `let` name; may be a wildcard pattern (`Security*`) inside `union`.
    Table(Ident),
    /// `union [kind=…] [withsource=Col] T1, T2, …` used as the first operator.
    Union(Union),
    /// `datatable(Name:type, …) [v1, v2, …]` — values row by row.
    Datatable {
        /// Column names and Kusto type names (`string`, `long`, `datetime`, `dynamic` …).
        columns: Vec<(Ident, String)>,
        /// All values, row-major.
        values: Vec<Expr>,
    },
    /// `print [Name =] expr, …` — one row.
    Print(Vec<NamedExpr>),
    /// `range Col from start to stop step step`.
    Range {
        /// The column's name.
        column: Ident,
        /// First value.
        from: Expr,
        /// Last value (inclusive).
        to: Expr,
        /// Step.
        step: Expr,
    },
}

/// An expression with an optional output name: `Name = expr` or just `expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    /// The name given with `=`, if any. (`(A, B) = f(x)` is not supported.)
    pub name: Option<Ident>,
    /// The expression.
    pub expr: Expr,
}

/// One `| operator`, with the span of the whole operator.
#[derive(Debug, Clone, PartialEq)]
pub struct PipeOp {
    /// What it does.
    pub kind: Operator,
    /// From the operator's keyword to its end.
    pub span: Span,
}

/// The tabular operators.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `where` / `filter`.
    Where(Expr),
    /// `project`.
    Project(Vec<NamedExpr>),
    /// `project-away` (names may end or start with `*`).
    ProjectAway(Vec<Ident>),
    /// `project-keep`.
    ProjectKeep(Vec<Ident>),
    /// `project-rename New = Old, …` as (new, old).
    ProjectRename(Vec<(Ident, Ident)>),
    /// `project-reorder` (names may hold `*`; each with an optional `asc`/`desc`, ignored).
    ProjectReorder(Vec<Ident>),
    /// `extend`.
    Extend(Vec<NamedExpr>),
    /// `extend (A, B, …) = f(…)`: a function returning several columns (`series_decompose`,
    /// `series_decompose_anomalies` …), named in order. The parser accepts this form only as the
    /// sole item of its `extend`. (Added to the contract for the shipped query library.)
    ExtendColumns {
        /// The new columns, in order.
        names: Vec<Ident>,
        /// The expression producing them.
        expr: Expr,
    },
    /// `summarize aggs [by keys]`.
    Summarize {
        /// Aggregations (may be empty: `summarize by X`).
        aggregates: Vec<NamedExpr>,
        /// Group keys.
        by: Vec<NamedExpr>,
    },
    /// `sort by` / `order by`.
    Sort(Vec<SortKey>),
    /// `top N by key`.
    Top {
        /// How many rows.
        count: Expr,
        /// The order.
        by: SortKey,
    },
    /// `top-nested` levels, separated by commas.
    TopNested(Vec<TopNestedLevel>),
    /// `take` / `limit`.
    Take(Expr),
    /// `distinct *` (empty list) or `distinct A, B`.
    Distinct(Vec<NamedExpr>),
    /// `count`.
    Count,
    /// `join [kind=…] (right) on …`.
    Join {
        /// The join flavour (Kusto's default is `innerunique`).
        kind: JoinKind,
        /// The right side.
        right: Tabular,
        /// The `on` conditions.
        on: Vec<JoinCondition>,
    },
    /// `union` after a pipe: the input is the first table.
    Union(Union),
    /// `mv-expand [kind=bag|array] Col [to typeof(T)], … [limit N]`.
    MvExpand {
        /// The expanded columns.
        columns: Vec<MvExpandColumn>,
        /// `limit N`.
        limit: Option<Expr>,
    },
    /// `mv-apply Col [to typeof(T)], … on (ops)`.
    MvApply {
        /// The expanded columns.
        columns: Vec<MvExpandColumn>,
        /// The operators applied to each row's expansion (the first has no leading `|`).
        subquery: Vec<PipeOp>,
    },
    /// `parse [kind=simple|regex|relaxed] expr with parts`.
    Parse {
        /// `simple` (default), `regex` or `relaxed`.
        kind: ParseKind,
        /// The text parsed.
        expr: Expr,
        /// The pattern.
        parts: Vec<ParsePart>,
    },
    /// `make-series`.
    MakeSeries(MakeSeries),
    /// `serialize [Name = expr, …]`.
    Serialize(Vec<NamedExpr>),
    /// `render chart [with (prop = value, …)]`.
    Render {
        /// `timechart`, `barchart`, `columnchart`, `piechart`, `scatterchart`, `table` …
        chart: Ident,
        /// The `with (…)` properties.
        properties: Vec<(Ident, Expr)>,
    },
    /// `getschema`.
    GetSchema,
    /// `as Name` (names the input for later use in the query; a no-op on the rows).
    As(Ident),
    /// An operator the parser recognises but the language front end does not handle
    /// (`evaluate`, `lookup`, `invoke`, `fork`, `facet`, `sample` …): kept by name so the planner
    /// can say which operator is not supported.
    Unsupported(Ident),
}

/// A `union`'s options and tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `kind=inner` keeps only common columns; the default (`outer`) keeps all.
    pub inner: bool,
    /// `withsource=Col`: a column naming each row's table.
    pub with_source: Option<Ident>,
    /// The tables (names, wildcard patterns, or parenthesised expressions).
    pub tables: Vec<Tabular>,
}

/// A sort key: `expr [asc|desc] [nulls first|last]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// What is sorted on.
    pub expr: Expr,
    /// Kusto sorts descending unless `asc` is written.
    pub descending: bool,
    /// `nulls first` / `nulls last` when written; Kusto's default is nulls last for `desc`
    /// and nulls first for `asc`.
    pub nulls_first: Option<bool>,
}

/// One level of `top-nested [N] of Expr [with others = V] by [Name =] Agg [asc|desc]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    /// `N` (absent: all values).
    pub count: Option<Expr>,
    /// The grouped expression (`of Expr`), with its name.
    pub of: NamedExpr,
    /// `with others = V`.
    pub others: Option<Expr>,
    /// The aggregation ranking the values, with its name.
    pub by: NamedExpr,
    /// `asc` when written (default `desc`).
    pub ascending: bool,
}

/// The join kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// Kusto's default: the left side de-duplicated on the keys, then inner.
    InnerUnique,
    /// `inner`.
    Inner,
    /// `leftouter`.
    LeftOuter,
    /// `rightouter`.
    RightOuter,
    /// `fullouter`.
    FullOuter,
    /// `leftanti` (also `anti`, `leftantisemi`).
    LeftAnti,
    /// `rightanti` (also `rightantisemi`).
    RightAnti,
    /// `leftsemi`.
    LeftSemi,
    /// `rightsemi`.
    RightSemi,
}

/// One `on` condition of a join.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinCondition {
    /// `on Col`: the same column on both sides.
    Same(Ident),
    /// `$left.A == $right.B`.
    Equal {
        /// The left side's column.
        left: Ident,
        /// The right side's column.
        right: Ident,
    },
}

/// One column of `mv-expand` / `mv-apply`.
#[derive(Debug, Clone, PartialEq)]
pub struct MvExpandColumn {
    /// `Name = expr` or a column.
    pub column: NamedExpr,
    /// `to typeof(T)`: the Kusto type name of the expanded values.
    pub to_type: Option<String>,
}

/// The `parse` operator's flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseKind {
    /// `kind=simple` (default): literals must match exactly, columns take what is between.
    Simple,
    /// `kind=regex`: literals are regular expressions.
    Regex,
    /// `kind=relaxed`: like simple, but a value that does not convert becomes null.
    Relaxed,
}

/// A piece of a `parse` pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// A string literal to match.
    Literal(String),
    /// A column to extract, with an optional Kusto type (`Col:long`).
    Column {
        /// The new column.
        name: Ident,
        /// Its type (default string).
        ty: Option<String>,
    },
    /// `*`: skip any text.
    Wildcard,
}

/// `make-series aggs on TimeCol [from A] [to B] step S [by keys]` (or `in range(A, B, S)`).
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    /// The aggregations, each with an optional `default = v`.
    pub aggregates: Vec<(NamedExpr, Option<Expr>)>,
    /// The axis column.
    pub on: Expr,
    /// Start of the axis.
    pub from: Option<Expr>,
    /// End of the axis (exclusive).
    pub to: Option<Expr>,
    /// Step.
    pub step: Expr,
    /// Group keys.
    pub by: Vec<NamedExpr>,
}

/// A scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Literal(Literal, Span),
    /// A column or scalar `let` name.
    Column(Ident),
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// The operator's own span (for errors).
        span: Span,
    },
    /// `-x` (and `+x`).
    Negate(Box<Expr>, Span),
    /// `f(args)` — includes `not(x)`, `count()`, `ago(1d)`, `bin(x, 1h)` and aggregates; `*`
    /// as an argument (`count(*)`) is `Expr::Star`.
    Call {
        /// The function name.
        name: Ident,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `*` as a function argument.
    Star(Span),
    /// `base.name` (property access on dynamic values; also `$left.X` outside joins).
    Member {
        /// The object.
        base: Box<Expr>,
        /// The property.
        name: Ident,
    },
    /// `base[index]` (`d["key"]`, `arr[0]`).
    Index {
        /// The object or array.
        base: Box<Expr>,
        /// The key or position.
        index: Box<Expr>,
        /// The brackets.
        span: Span,
    },
    /// `x in (a, b)`, `x !in (…)`, `x in~ (…)`; the list may be one tabular expression
    /// (`x in (T | project y)`), parsed as `Expr::Tabular`.
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// The set.
        list: Vec<Expr>,
        /// `!in`.
        negated: bool,
        /// `in~` / `!in~`.
        case_insensitive: bool,
        /// The operator's span.
        span: Span,
    },
    /// `x has_any (…)` / `x has_all (…)`.
    HasAny {
        /// The searched text.
        expr: Box<Expr>,
        /// The terms.
        list: Vec<Expr>,
        /// `has_all`.
        all: bool,
        /// The operator's span.
        span: Span,
    },
    /// `x between (low .. high)`, `x !between (…)`.
    Between {
        /// The tested value.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
        /// `!between`.
        negated: bool,
        /// The operator's span.
        span: Span,
    },
    /// A parenthesised tabular expression used as a value (`toscalar(T | …)`, `in (T | …)`).
    Tabular(Box<Tabular>),
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null` (or a typed null such as `long(null)`: see `Typed`).
    Null,
    /// `true` / `false` / `bool(true)`.
    Bool(bool),
    /// Whole numbers (`42`, `long(42)`, `int(42)`).
    Long(i64),
    /// Numbers with a fraction or exponent (`1.5`, `real(1.5)`, `1e3`).
    Real(f64),
    /// `'text'`, `"text"`, `@'verbatim'`, `h'hidden'`, concatenated adjacent literals.
    String(String),
    /// `1d`, `2h`, `30m`, `10s`, `100ms`, `5microsecond`, `timespan(1.5d)`, `time(…)`: nanoseconds.
    Timespan(i64),
    /// `datetime(2024-01-02 03:04:05)` — the text between the parentheses, trimmed; `datetime(null)`
    /// is `Typed("datetime", Null)`.
    Datetime(String),
    /// `dynamic(…)` — the text between the parentheses (JSON-like), trimmed.
    Dynamic(String),
    /// `guid(…)` — the text between the parentheses.
    Guid(String),
    /// A typed null: `long(null)`, `string(null)` … with the Kusto type name.
    TypedNull(String),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==` (case-sensitive on strings)
    Eq,
    /// `!=` (and `<>`)
    NotEq,
    /// `=~` (case-insensitive equality)
    EqTilde,
    /// `!~`
    NotEqTilde,
    /// `and`
    And,
    /// `or`
    Or,
    /// A string predicate; `true` when negated (`!has`, `!contains` …).
    Str(StringPredicate, bool),
}

/// Kusto's string operators (each may be negated with a leading `!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringPredicate {
    /// `has`: a whole term, case-insensitive.
    Has,
    /// `has_cs`.
    HasCs,
    /// `hasprefix`.
    HasPrefix,
    /// `hasprefix_cs`.
    HasPrefixCs,
    /// `hassuffix`.
    HasSuffix,
    /// `hassuffix_cs`.
    HasSuffixCs,
    /// `contains`: a substring, case-insensitive.
    Contains,
    /// `contains_cs`.
    ContainsCs,
    /// `startswith`.
    StartsWith,
    /// `startswith_cs`.
    StartsWithCs,
    /// `endswith`.
    EndsWith,
    /// `endswith_cs`.
    EndsWithCs,
    /// `matches regex`.
    MatchesRegex,
}

impl Expr {
    /// Where the expression is written (the best span available).
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal(_, span) | Expr::Star(span) | Expr::Negate(_, span) => *span,
            Expr::Column(ident) => ident.span,
            Expr::Binary { left, right, .. } => left.span().to(right.span()),
            Expr::Call { name, args } => args.last().map_or(name.span, |a| name.span.to(a.span())),
            Expr::Member { base, name } => base.span().to(name.span),
            Expr::Index { base, span, .. } => base.span().to(*span),
            Expr::In { expr, span, .. }
            | Expr::HasAny { expr, span, .. }
            | Expr::Between { expr, span, .. } => expr.span().to(*span),
            Expr::Tabular(t) => t.span,
        }
    }
}
