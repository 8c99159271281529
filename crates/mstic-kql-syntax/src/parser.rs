//! A recursive-descent parser from tokens to the [`crate::ast`] tree.
//!
//! Statements: `let name = value;` (any number), then one tabular expression, then an optional
//! `;`. Every recursion passes through a depth guard, so hostile nesting is an error, never a
//! stack overflow.

mod expr;
mod literals;
mod tabular;

use crate::ast::*;
use crate::error::SyntaxError;
use crate::lexer::{Token, TokenKind, tokenize};

/// How deeply expressions, operators and tabular expressions may nest.
const MAX_DEPTH: usize = 200;

/// The nesting a parse on the caller's own stack may reach; deeper queries are parsed again on
/// a thread with a large stack (see [`on_parser_stack`]).
const INLINE_DEPTH: usize = 24;

/// The error for nesting beyond [`MAX_DEPTH`].
const TOO_DEEP: &str = "the query nests too deeply";

/// The tabular operators this parser reads into their own AST nodes.
const SUPPORTED_OPERATORS: &[&str] = &[
    "where",
    "filter",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "extend",
    "summarize",
    "sort",
    "order",
    "top",
    "top-nested",
    "take",
    "limit",
    "distinct",
    "count",
    "join",
    "union",
    "mv-expand",
    "mv-apply",
    "parse",
    "make-series",
    "serialize",
    "render",
    "getschema",
    "as",
];

/// Operators recognised by name and kept as [`Operator::Unsupported`].
const UNSUPPORTED_OPERATORS: &[&str] = &[
    "evaluate",
    "lookup",
    "invoke",
    "fork",
    "facet",
    "sample",
    "sample-distinct",
    "reduce",
    "scan",
    "partition",
    "find",
    "search",
    "top-hitters",
    "make-graph",
    "consume",
    "externaldata",
    "parse-where",
    "parse-kv",
    "graph-match",
];

/// Operator names written with a hyphen (`project-away`); only read as one word after `|`.
const HYPHENATED: &[&str] = &[
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "mv-expand",
    "mv-apply",
    "make-series",
    "top-nested",
    "top-hitters",
    "sample-distinct",
    "make-graph",
    "parse-where",
    "parse-kv",
    "graph-match",
];

/// Words that start a tabular expression other than a table name.
const TABULAR_SOURCES: &[&str] = &["datatable", "union", "print", "range"];

/// Kusto's string predicates by name.
const STRING_PREDICATES: &[(&str, StringPredicate)] = &[
    ("has", StringPredicate::Has),
    ("has_cs", StringPredicate::HasCs),
    ("hasprefix", StringPredicate::HasPrefix),
    ("hasprefix_cs", StringPredicate::HasPrefixCs),
    ("hassuffix", StringPredicate::HasSuffix),
    ("hassuffix_cs", StringPredicate::HasSuffixCs),
    ("contains", StringPredicate::Contains),
    ("contains_cs", StringPredicate::ContainsCs),
    ("containscs", StringPredicate::ContainsCs),
    ("startswith", StringPredicate::StartsWith),
    ("startswith_cs", StringPredicate::StartsWithCs),
    ("endswith", StringPredicate::EndsWith),
    ("endswith_cs", StringPredicate::EndsWithCs),
];

/// The join kinds by name.
const JOIN_KINDS: &[(&str, JoinKind)] = &[
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
];

/// Type names written as `name(value)` literals.
const TYPED_LITERALS: &[&str] = &[
    "datetime", "date", "dynamic", "guid", "uuid", "uniqueid", "timespan", "time", "long", "int",
    "int64", "int32", "real", "double", "decimal", "bool", "boolean", "string",
];

/// Parses a whole query: `let` statements, then one tabular expression.
///
/// ```
/// use mstic_kql_syntax::{ast::Operator, parse};
/// let query = parse("SecurityEvent | where EventID == 4624 | take 10").unwrap();
/// assert_eq!(query.body.ops.len(), 2);
/// assert!(matches!(query.body.ops[1].kind, Operator::Take(_)));
/// ```
pub fn parse(query: &str) -> Result<Query, SyntaxError> {
    with_enough_stack(|max_depth| {
        let mut parser = Parser::new(query, max_depth);
        if parser.at_eof() {
            return Err(SyntaxError::new("the query is empty", Span::new(0, 0)));
        }
        parser.query()
    })
}

/// Parses one scalar expression (the whole text).
///
/// ```
/// use mstic_kql_syntax::{ast::{BinaryOp, Expr}, parse_expr};
/// let expr = parse_expr("a + 1").unwrap();
/// assert!(matches!(expr, Expr::Binary { op: BinaryOp::Add, .. }));
/// ```
pub fn parse_expr(text: &str) -> Result<Expr, SyntaxError> {
    with_enough_stack(|max_depth| {
        let mut parser = Parser::new(text, max_depth);
        if parser.at_eof() {
            return Err(SyntaxError::new("the expression is empty", Span::new(0, 0)));
        }
        let expr = parser.expr()?;
        if !parser.at_eof() {
            return Err(parser.unexpected("the end of the expression"));
        }
        Ok(expr)
    })
}

/// Runs `parse` with the depth limit as argument: first here with [`INLINE_DEPTH`], and only
/// if that is too shallow, again with [`MAX_DEPTH`] on a thread with a large stack.
fn with_enough_stack<T: Send>(
    parse: impl Fn(usize) -> Result<T, SyntaxError> + Sync,
) -> Result<T, SyntaxError> {
    match parse(INLINE_DEPTH) {
        Err(error) if error.message == TOO_DEEP => {
            on_parser_stack(|| parse(MAX_DEPTH)).unwrap_or(Err(error))
        }
        result => result,
    }
}

/// Stack for the deep-query thread: [`MAX_DEPTH`] levels of nesting need a few megabytes in an
/// unoptimised build, more than a test or runtime worker thread may have left. Only the pages
/// actually used are committed.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// Runs `parse` on a scoped thread with [`PARSER_STACK`] bytes of stack, so that the depth limit,
/// not the caller's stack, bounds nesting; `None` if no thread can be started.
fn on_parser_stack<T: Send>(parse: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("kql-parser".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, parse)
            .ok()?;
        match handle.join() {
            Ok(result) => Some(result),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// What a comparison-level operator turned out to be.
enum Comparison {
    Binary(BinaryOp),
    In { negated: bool, case_insensitive: bool },
    HasAny { all: bool },
    Between { negated: bool },
}

/// The parser's state: the tokens and a cursor into them.
struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    max_depth: usize,
}

type PResult<T> = Result<T, SyntaxError>;

/// How a token is named in messages.
fn describe(token: &Token) -> String {
    match &token.kind {
        TokenKind::Ident(name) => format!("`{name}`"),
        TokenKind::String(_) => "a string".into(),
        TokenKind::Long(_) | TokenKind::Real(_) => "a number".into(),
        TokenKind::Timespan(_) => "a timespan".into(),
        TokenKind::Punct(p) => format!("`{p}`"),
        TokenKind::Error(message) => message.clone(),
        TokenKind::Eof => "the end of the query".into(),
    }
}

/// Quotes names for an `expected` list.
fn quoted(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("`{n}`")).collect()
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, max_depth: usize) -> Parser<'a> {
        Parser { text, tokens: tokenize(text), pos: 0, depth: 0, max_depth }
    }

    // ----- cursor -----

    fn token_at(&self, index: usize) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[index.min(last)]
    }

    fn peek(&self) -> &Token {
        self.token_at(self.pos)
    }

    fn peek_at(&self, offset: usize) -> &Token {
        self.token_at(self.pos + offset)
    }

    fn at_eof(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    /// The end of the last consumed token.
    fn prev_end(&self) -> usize {
        if self.pos == 0 { 0 } else { self.token_at(self.pos - 1).span.end }
    }

    fn at_word(&self, word: &str) -> bool {
        self.peek().is_word(word)
    }

    fn at_punct(&self, mark: &str) -> bool {
        self.peek().is_punct(mark)
    }

    fn eat_word(&mut self, word: &str) -> Option<Span> {
        if self.at_word(word) { Some(self.bump().span) } else { None }
    }

    fn eat_punct(&mut self, mark: &str) -> Option<Span> {
        if self.at_punct(mark) { Some(self.bump().span) } else { None }
    }

    /// Whether token `offset` ahead directly follows the one before it (no space).
    fn adjacent(&self, offset: usize) -> bool {
        offset > 0 && self.peek_at(offset).span.start == self.peek_at(offset - 1).span.end
    }

    /// Where to point when the current token is wrong: the token, or just after the last
    /// token at the end of the query.
    fn here(&self) -> Span {
        if self.at_eof() {
            let end = self.prev_end();
            Span::new(end, end)
        } else {
            self.peek().span
        }
    }

    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(message, self.here())
    }

    /// "expected X, found Y" at the current token (or the lexer's own message).
    fn unexpected(&self, expected: &str) -> SyntaxError {
        if let TokenKind::Error(message) = &self.peek().kind {
            return SyntaxError::new(message.clone(), self.peek().span);
        }
        self.error_here(format!("expected {expected}, found {}", describe(self.peek())))
    }

    fn expect_punct(&mut self, mark: &str, context: &str) -> PResult<Span> {
        match self.eat_punct(mark) {
            Some(span) => Ok(span),
            None => Err(self.unexpected(&format!("`{mark}` {context}"))),
        }
    }

    fn expect_word(&mut self, word: &str, context: &str) -> PResult<Span> {
        match self.eat_word(word) {
            Some(span) => Ok(span),
            None => Err(self.unexpected(&format!("`{word}` {context}"))),
        }
    }

    /// Runs `f` one level deeper, failing beyond the depth limit.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= self.max_depth {
            return Err(self.error_here(TOO_DEEP));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    // ----- look-ahead over brackets -----

    /// The index of the bracket closing the one at `open`, if any.
    fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for index in open..self.tokens.len() {
            let token = &self.tokens[index];
            match token.kind {
                TokenKind::Punct("(" | "[" | "{") => depth += 1,
                TokenKind::Punct(")" | "]" | "}") => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(index);
                    }
                }
                TokenKind::Eof => return None,
                _ => {}
            }
        }
        None
    }

    /// Whether a `|` appears from `from` at bracket depth 0, before a `;`, an unmatched closing
    /// bracket, the end, or (when `stop_at_comma`) a `,` at depth 0.
    fn pipe_ahead(&self, from: usize, stop_at_comma: bool) -> bool {
        let mut depth = 0usize;
        for token in &self.tokens[from.min(self.tokens.len())..] {
            match token.kind {
                TokenKind::Punct("(" | "[" | "{") => depth += 1,
                TokenKind::Punct(")" | "]" | "}") => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return false,
                },
                TokenKind::Punct("|") if depth == 0 => return true,
                TokenKind::Punct(";") if depth == 0 => return false,
                TokenKind::Punct(",") if depth == 0 && stop_at_comma => return false,
                TokenKind::Eof => return false,
                _ => {}
            }
        }
        false
    }

    /// Whether the token at `index` starts a tabular source (`datatable`, `union`, `print`,
    /// `range X from …`, but not the function `range(…)`).
    fn source_keyword_at(&self, index: usize) -> bool {
        let next = self.token_at(index + 1);
        match self.token_at(index).ident() {
            Some("range") => next.ident().is_some() && self.token_at(index + 2).is_word("from"),
            Some("datatable") => next.is_punct("("),
            Some(word) => TABULAR_SOURCES.contains(&word),
            None => false,
        }
    }

    /// Whether the parenthesis at `open` holds a tabular expression: a tabular source keyword
    /// first, or a `|` enclosed only by the leading parentheses (`((T | x) | y)`).
    fn tabular_paren(&self, open: usize) -> bool {
        let leading = self.tokens[open.min(self.tokens.len())..]
            .iter()
            .take_while(|t| t.is_punct("("))
            .count();
        if leading == 0 {
            return false;
        }
        if self.source_keyword_at(open + leading) {
            return true;
        }
        let mut depth = 0usize;
        let mut leading_open = leading;
        for token in &self.tokens[open..] {
            match token.kind {
                TokenKind::Punct("(" | "[" | "{") => depth += 1,
                TokenKind::Punct(")" | "]" | "}") => {
                    depth -= 1;
                    leading_open = leading_open.min(depth);
                    if depth == 0 {
                        return false;
                    }
                }
                TokenKind::Punct("|") if depth == leading_open => return true,
                TokenKind::Eof => return false,
                _ => {}
            }
        }
        false
    }

    /// Whether the text at the cursor is a tabular expression (for `let` values).
    fn tabular_ahead(&self, stop_at_comma: bool) -> bool {
        self.source_keyword_at(self.pos)
            || self.pipe_ahead(self.pos, stop_at_comma)
            || self.tabular_paren(self.pos)
    }

    // ----- statements -----

    fn query(&mut self) -> PResult<Query> {
        let mut lets = Vec::new();
        loop {
            while self.eat_punct(";").is_some() {}
            if self.at_word("let") {
                lets.push(self.let_statement()?);
                continue;
            }
            if self.at_eof() {
                return Err(self
                    .error_here("the query has no tabular expression after its `let` statements"));
            }
            let body = self.tabular()?;
            while self.eat_punct(";").is_some() {}
            if !self.at_eof() {
                return Err(self.unexpected("`|` or the end of the query"));
            }
            return Ok(Query { lets, body });
        }
    }

    fn let_statement(&mut self) -> PResult<Let> {
        let let_span = self.bump().span;
        if !self.name_ahead() {
            return Err(self.unexpected("a name after `let`"));
        }
        let name = self.name()?;
        self.expect_punct("=", "after the name of the `let` statement")?;
        if let Some(end) = self.function_definition_end() {
            return Err(SyntaxError::new(
                "user-defined functions (`let f = (…) { … }`) are not supported",
                let_span.to(end),
            ));
        }
        if self.at_punct(";") || self.at_eof() {
            return Err(self.unexpected(&format!("a value for `{}`", name.name)));
        }
        let value = if self.tabular_ahead(false) {
            LetValue::Tabular(self.tabular()?)
        } else {
            LetValue::Scalar(self.expr()?)
        };
        if self.eat_punct(";").is_none() {
            return Err(self.unexpected("`;` after the `let` statement"));
        }
        Ok(Let { name, value })
    }

    /// If a function definition (`(params) {` or `view (params) {`) starts here, the span of
    /// its opening brace.
    fn function_definition_end(&self) -> Option<Span> {
        let open = if self.at_word("view") { self.pos + 1 } else { self.pos };
        if !self.token_at(open).is_punct("(") {
            return None;
        }
        let close = self.matching_close(open)?;
        let brace = self.token_at(close + 1);
        brace.is_punct("{").then_some(brace.span)
    }

    // ----- names -----

    /// Whether a name (`Col` or `['Col']`) starts here.
    fn name_ahead(&self) -> bool {
        self.peek().ident().is_some() || self.bracket_name_ahead()
    }

    fn bracket_name_ahead(&self) -> bool {
        self.at_punct("[")
            && matches!(self.peek_at(1).kind, TokenKind::String(_))
            && self.peek_at(2).is_punct("]")
    }

    /// A name: an identifier or `['bracketed name']`.
    fn name(&mut self) -> PResult<Ident> {
        if self.bracket_name_ahead() {
            let open = self.bump().span;
            let TokenKind::String(name) = self.bump().kind else {
                return Err(self.unexpected("a name"));
            };
            let close = self.bump().span;
            return Ok(Ident { name, span: open.to(close) });
        }
        match self.peek().ident() {
            Some(name) => {
                let name = name.to_string();
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            None => Err(self.unexpected("a name")),
        }
    }

    /// A name that may hold `*` wildcards (`Src*`, `*Id`, `Security*`).
    fn name_pattern(&mut self) -> PResult<Ident> {
        if self.bracket_name_ahead() {
            return self.name();
        }
        let first = self.peek().clone();
        if first.ident().is_none() && !first.is_punct("*") {
            return Err(self.unexpected("a name"));
        }
        let mut name = String::new();
        let mut span = first.span;
        loop {
            let token = self.peek();
            let piece = match &token.kind {
                TokenKind::Ident(word) => word.clone(),
                TokenKind::Punct("*") => "*".to_string(),
                TokenKind::Long(_) if !name.is_empty() => {
                    self.text[token.span.start..token.span.end].to_string()
                }
                _ => break,
            };
            if !name.is_empty() && token.span.start != span.end {
                break;
            }
            span = span.to(token.span);
            name.push_str(&piece);
            self.bump();
        }
        Ok(Ident { name, span })
    }

    /// A comma-separated list of names with wildcards.
    fn name_pattern_list(&mut self, after: &str) -> PResult<Vec<Ident>> {
        if !self.name_ahead() && !self.at_punct("*") {
            return Err(self.unexpected(&format!("a column name after `{after}`")));
        }
        let mut names = vec![self.name_pattern()?];
        while self.eat_punct(",").is_some() {
            names.push(self.name_pattern()?);
        }
        Ok(names)
    }

    /// Whether `Name =` (not `==`) starts here.
    fn assignment_ahead(&self) -> bool {
        if self.bracket_name_ahead() {
            return self.peek_at(3).is_punct("=");
        }
        self.peek().ident().is_some() && self.peek_at(1).is_punct("=")
    }
}
