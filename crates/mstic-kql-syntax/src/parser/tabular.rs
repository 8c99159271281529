//! Tabular expressions: sources, the `|` operators and their `Name = expr` lists.

use super::*;

impl Parser<'_> {
    /// A source followed by `|` operators.
    pub(super) fn tabular(&mut self) -> PResult<Tabular> {
        self.nested(|p| {
            let start = p.peek().span.start;
            let (source, mut ops) = p.source()?;
            while p.eat_punct("|").is_some() {
                ops.push(p.operator()?);
            }
            Ok(Tabular { source, ops, span: Span::new(start, p.prev_end()) })
        })
    }

    /// `( tabular )`, returning the inner expression.
    pub(super) fn parenthesised_tabular(&mut self) -> PResult<Tabular> {
        let open = self.expect_punct("(", "to start a tabular expression")?;
        let inner = self.tabular()?;
        if self.eat_punct(")").is_none() {
            return Err(self.unclosed(open));
        }
        Ok(inner)
    }

    pub(super) fn unclosed(&self, open: Span) -> SyntaxError {
        if self.at_eof() {
            SyntaxError::new("this `(` is never closed", open)
        } else {
            self.unexpected("`)`")
        }
    }

    /// A tabular source; a parenthesised expression brings its operators along.
    pub(super) fn source(&mut self) -> PResult<(Source, Vec<PipeOp>)> {
        if self.at_punct("(") {
            let inner = self.parenthesised_tabular()?;
            return Ok((inner.source, inner.ops));
        }
        let source = match self.peek().ident() {
            Some("union") => {
                self.bump();
                Source::Union(self.union_body()?)
            }
            Some("datatable") => self.datatable()?,
            Some("print") => self.print()?,
            Some("range") if !self.peek_at(1).is_punct("(") => self.range()?,
            Some("table") if self.peek_at(1).is_punct("(") => self.table_function()?,
            _ if self.name_ahead() || self.at_punct("*") => Source::Table(self.name_pattern()?),
            _ => return Err(self.unexpected("a table name or a tabular expression")),
        };
        Ok((source, Vec::new()))
    }

    /// `table("Name")`.
    pub(super) fn table_function(&mut self) -> PResult<Source> {
        self.bump();
        self.bump();
        let TokenKind::String(name) = self.peek().kind.clone() else {
            return Err(self.unexpected("a table name in quotes inside `table(…)`"));
        };
        let span = self.bump().span;
        self.expect_punct(")", "after the table name")?;
        Ok(Source::Table(Ident { name, span }))
    }

    /// A table of `union` or the right side of `join`: a name or `( tabular )`.
    pub(super) fn table_operand(&mut self) -> PResult<Tabular> {
        if self.at_punct("(") {
            return self.nested(|p| p.parenthesised_tabular());
        }
        if !self.name_ahead() && !self.at_punct("*") {
            return Err(self.unexpected("a table name or `(`"));
        }
        let name = self.name_pattern()?;
        let span = name.span;
        Ok(Tabular { source: Source::Table(name), ops: Vec::new(), span })
    }

    pub(super) fn datatable(&mut self) -> PResult<Source> {
        self.bump();
        let open = self.expect_punct("(", "after `datatable`")?;
        let mut columns = Vec::new();
        loop {
            let name = self.name()?;
            self.expect_punct(":", "and a type after the column name")?;
            let ty = self.type_name()?;
            columns.push((name, ty));
            if self.eat_punct(",").is_none() {
                break;
            }
        }
        if self.eat_punct(")").is_none() {
            return Err(self.unclosed(open));
        }
        self.expect_punct("[", "with the values after the `datatable` columns")?;
        let mut values = Vec::new();
        while !self.at_punct("]") {
            values.push(self.expr()?);
            if self.eat_punct(",").is_none() {
                break;
            }
        }
        self.expect_punct("]", "to close the `datatable` values")?;
        Ok(Source::Datatable { columns, values })
    }

    /// A Kusto type name (`string`, `long` …).
    pub(super) fn type_name(&mut self) -> PResult<String> {
        match self.peek().ident() {
            Some(name) => {
                let name = name.to_string();
                self.bump();
                Ok(name)
            }
            None => Err(self.unexpected("a type name")),
        }
    }

    pub(super) fn print(&mut self) -> PResult<Source> {
        self.bump();
        Ok(Source::Print(self.named_list("print")?))
    }

    pub(super) fn range(&mut self) -> PResult<Source> {
        self.bump();
        let column = self.name()?;
        self.expect_word("from", "after the `range` column")?;
        let from = self.expr()?;
        self.expect_word("to", "after the start of the range")?;
        let to = self.expr()?;
        self.expect_word("step", "after the end of the range")?;
        let step = self.expr()?;
        Ok(Source::Range { column, from, to, step })
    }

    /// `[kind=…] [withsource=…] [isfuzzy=…] tables` (after the `union` keyword).
    pub(super) fn union_body(&mut self) -> PResult<Union> {
        let mut union = Union { inner: false, with_source: None, tables: Vec::new() };
        while let Some(option) = self.option_ahead(&["kind", "withsource", "isfuzzy"]) {
            match option.as_str() {
                "kind" => {
                    let value = self.name()?;
                    union.inner = match value.name.as_str() {
                        "inner" => true,
                        "outer" => false,
                        _ => {
                            return Err(SyntaxError {
                                message: format!("unknown union kind `{}`", value.name),
                                span: value.span,
                                expected: quoted(&["inner", "outer"]),
                            });
                        }
                    };
                }
                "withsource" => union.with_source = Some(self.name()?),
                _ => {
                    self.bump();
                }
            }
        }
        loop {
            union.tables.push(self.table_operand()?);
            if self.eat_punct(",").is_none() {
                return Ok(union);
            }
        }
    }

    /// Skips `hint.name = value` options.
    pub(super) fn skip_hints(&mut self) {
        while self.at_word("hint")
            && self.peek_at(1).is_punct(".")
            && self.peek_at(2).ident().is_some()
            && self.peek_at(3).is_punct("=")
        {
            for _ in 0..4 {
                self.bump();
            }
            self.bump_value();
        }
    }

    /// Skips any hints; then, if `name =` for one of `names` starts here, consumes it and
    /// returns the option's name (its value is left for the caller).
    pub(super) fn option_ahead(&mut self, names: &[&str]) -> Option<String> {
        self.skip_hints();
        let word = self.peek().ident()?.to_string();
        if names.contains(&word.as_str()) && self.peek_at(1).is_punct("=") {
            self.bump();
            self.bump();
            return Some(word);
        }
        None
    }

    /// Skips one option value (a name, number, string or `-`-joined word).
    pub(super) fn bump_value(&mut self) {
        if !self.at_punct("|") && !self.at_eof() {
            self.bump();
        }
    }

    // ----- operators -----

    /// An operator's keyword, joining hyphenated names (`project-away`).
    pub(super) fn operator_name(&mut self) -> PResult<Ident> {
        let Some(first) = self.peek().ident().map(str::to_string) else {
            return Err(SyntaxError {
                expected: operator_names(),
                ..self.unexpected("a tabular operator")
            });
        };
        if self.peek_at(1).is_punct("-")
            && self.adjacent(1)
            && self.adjacent(2)
            && let Some(second) = self.peek_at(2).ident()
        {
            let joined = format!("{first}-{second}");
            if HYPHENATED.contains(&joined.as_str()) {
                let start = self.bump().span;
                self.bump();
                let end = self.bump().span;
                return Ok(Ident { name: joined, span: start.to(end) });
            }
        }
        let span = self.bump().span;
        Ok(Ident { name: first, span })
    }

    /// One operator, from its keyword (the `|` before it is already consumed).
    pub(super) fn operator(&mut self) -> PResult<PipeOp> {
        self.nested(|p| {
            let keyword = p.operator_name()?;
            let kind = p.operator_body(&keyword)?;
            Ok(PipeOp { kind, span: Span::new(keyword.span.start, p.prev_end()) })
        })
    }

    pub(super) fn operator_body(&mut self, keyword: &Ident) -> PResult<Operator> {
        let name = keyword.name.as_str();
        Ok(match name {
            "where" | "filter" => Operator::Where(self.expr_after(name)?),
            "project" => Operator::Project(self.named_list(name)?),
            "project-away" => Operator::ProjectAway(self.name_pattern_list(name)?),
            "project-keep" => Operator::ProjectKeep(self.name_pattern_list(name)?),
            "project-rename" => Operator::ProjectRename(self.renames()?),
            "project-reorder" => Operator::ProjectReorder(self.reorder_list()?),
            "extend" if self.tuple_assignment_ahead() => self.extend_columns()?,
            "extend" => Operator::Extend(self.named_list(name)?),
            "summarize" => self.summarize()?,
            "sort" | "order" => {
                self.expect_word("by", &format!("after `{name}`"))?;
                Operator::Sort(self.sort_keys()?)
            }
            "top" => self.top()?,
            "top-nested" => Operator::TopNested(self.top_nested()?),
            "take" | "limit" => Operator::Take(self.expr_after(name)?),
            "distinct" => self.distinct()?,
            "count" => Operator::Count,
            "join" => self.join()?,
            "union" => Operator::Union(self.union_body()?),
            "mv-expand" => self.mv_expand()?,
            "mv-apply" => self.mv_apply()?,
            "parse" => self.parse_operator()?,
            "make-series" => Operator::MakeSeries(self.make_series()?),
            "serialize" => self.serialize()?,
            "render" => self.render()?,
            "getschema" => Operator::GetSchema,
            "as" => {
                self.skip_hints();
                Operator::As(self.name()?)
            }
            _ if UNSUPPORTED_OPERATORS.contains(&name) => {
                self.skip_operator();
                Operator::Unsupported(keyword.clone())
            }
            _ => {
                return Err(SyntaxError {
                    message: format!("unknown tabular operator `{name}`"),
                    span: keyword.span,
                    expected: operator_names(),
                });
            }
        })
    }

    /// Skips to the next `|`, `;` or unmatched `)` at the operator's own level.
    pub(super) fn skip_operator(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().kind {
                TokenKind::Eof => return,
                TokenKind::Punct("|" | ";") if depth == 0 => return,
                TokenKind::Punct("(" | "[" | "{") => depth += 1,
                TokenKind::Punct(")" | "]" | "}") => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return,
                },
                _ => {}
            }
            self.bump();
        }
    }

    /// Whether `(A, B, …) =` starts here.
    pub(super) fn tuple_assignment_ahead(&self) -> bool {
        self.at_punct("(")
            && self
                .matching_close(self.pos)
                .is_some_and(|close| self.token_at(close + 1).is_punct("="))
    }

    /// `extend (A, B, …) = expr`, which must be the only item of its `extend`.
    pub(super) fn extend_columns(&mut self) -> PResult<Operator> {
        let open = self.bump().span;
        let mut names = vec![self.name()?];
        while self.eat_punct(",").is_some() {
            names.push(self.name()?);
        }
        if self.eat_punct(")").is_none() {
            return Err(self.unclosed(open));
        }
        let equals = self.expect_punct("=", "after the column names")?;
        let expr = self.expr_after(&self.text[open.start..equals.end])?;
        if self.at_punct(",") {
            return Err(self.error_here(
                "`extend (A, B, …) = …` must be the only column of its `extend`; add another `| extend`",
            ));
        }
        Ok(Operator::ExtendColumns { names, expr })
    }

    pub(super) fn renames(&mut self) -> PResult<Vec<(Ident, Ident)>> {
        let mut pairs = Vec::new();
        loop {
            let new = self.name()?;
            self.expect_punct("=", "after the new name in `project-rename`")?;
            let old = self.name()?;
            pairs.push((new, old));
            if self.eat_punct(",").is_none() {
                return Ok(pairs);
            }
        }
    }

    pub(super) fn reorder_list(&mut self) -> PResult<Vec<Ident>> {
        let mut names = Vec::new();
        loop {
            names.push(self.name_pattern()?);
            let _ = self.eat_word("asc").or_else(|| self.eat_word("desc"));
            if self.eat_punct(",").is_none() {
                return Ok(names);
            }
        }
    }

    pub(super) fn summarize(&mut self) -> PResult<Operator> {
        self.skip_hints();
        let aggregates = if self.at_word("by") && !self.peek_at(1).is_punct("=") {
            Vec::new()
        } else {
            self.named_list("summarize")?
        };
        let by = if self.eat_word("by").is_some() { self.named_list("by")? } else { Vec::new() };
        Ok(Operator::Summarize { aggregates, by })
    }

    pub(super) fn sort_keys(&mut self) -> PResult<Vec<SortKey>> {
        let mut keys = vec![self.sort_key("by")?];
        while self.eat_punct(",").is_some() {
            keys.push(self.sort_key(",")?);
        }
        Ok(keys)
    }

    /// `expr [asc|desc] [nulls first|last]`.
    pub(super) fn sort_key(&mut self, after: &str) -> PResult<SortKey> {
        let expr = self.expr_after(after)?;
        let descending = if self.eat_word("asc").is_some() {
            false
        } else {
            self.eat_word("desc");
            true
        };
        let nulls_first = if self.eat_word("nulls").is_some() {
            if self.eat_word("first").is_some() {
                Some(true)
            } else if self.eat_word("last").is_some() {
                Some(false)
            } else {
                return Err(self.unexpected("`first` or `last` after `nulls`"));
            }
        } else {
            None
        };
        Ok(SortKey { expr, descending, nulls_first })
    }

    pub(super) fn top(&mut self) -> PResult<Operator> {
        let count = self.expr_after("top")?;
        self.expect_word("by", "after the number of rows of `top`")?;
        let by = self.sort_key("by")?;
        Ok(Operator::Top { count, by })
    }

    pub(super) fn top_nested(&mut self) -> PResult<Vec<TopNestedLevel>> {
        let mut levels = Vec::new();
        loop {
            let count = if self.at_word("of") { None } else { Some(self.expr()?) };
            self.expect_word("of", "in `top-nested`")?;
            let of = self.named()?;
            let others = if self.eat_word("with").is_some() {
                self.expect_word("others", "after `with` in `top-nested`")?;
                self.expect_punct("=", "after `with others`")?;
                Some(self.expr()?)
            } else {
                None
            };
            self.expect_word("by", "after the grouped expression of `top-nested`")?;
            let by = self.named()?;
            let ascending = self.eat_word("asc").is_some();
            if !ascending {
                self.eat_word("desc");
            }
            levels.push(TopNestedLevel { count, of, others, by, ascending });
            let next_level = self.at_punct(",")
                && self.peek_at(1).is_word("top")
                && self.peek_at(2).is_punct("-")
                && self.peek_at(3).is_word("nested");
            if !next_level {
                return Ok(levels);
            }
            for _ in 0..4 {
                self.bump();
            }
        }
    }

    pub(super) fn distinct(&mut self) -> PResult<Operator> {
        if self.eat_punct("*").is_some() {
            return Ok(Operator::Distinct(Vec::new()));
        }
        Ok(Operator::Distinct(self.named_list("distinct")?))
    }

    pub(super) fn join(&mut self) -> PResult<Operator> {
        let mut kind = JoinKind::InnerUnique;
        while let Some(option) = self.option_ahead(&["kind"]) {
            if option == "kind" {
                let word = self.name()?;
                kind = match JOIN_KINDS.iter().find(|(name, _)| *name == word.name) {
                    Some((_, kind)) => *kind,
                    None => {
                        return Err(SyntaxError {
                            message: format!("unknown join kind `{}`", word.name),
                            span: word.span,
                            expected: JOIN_KINDS.iter().map(|(n, _)| format!("`{n}`")).collect(),
                        });
                    }
                };
            }
        }
        let right = self.table_operand()?;
        self.expect_word("on", "after the right side of the join")?;
        let mut on = vec![self.join_condition()?];
        while self.eat_punct(",").is_some() || self.eat_word("and").is_some() {
            on.push(self.join_condition()?);
        }
        Ok(Operator::Join { kind, right, on })
    }

    /// `Col`, or `$left.A == $right.B` (either way round).
    pub(super) fn join_condition(&mut self) -> PResult<JoinCondition> {
        if !self.side_ahead() {
            if !self.name_ahead() {
                return Err(self.unexpected("a column or `$left.Column == $right.Column`"));
            }
            return Ok(JoinCondition::Same(self.name()?));
        }
        let (first_side, first) = self.join_side()?;
        self.expect_punct("==", "between the two sides of a join condition")?;
        if !self.side_ahead() {
            return Err(self.unexpected("`$left.Column` or `$right.Column`"));
        }
        let side_span = self.peek().span;
        let (second_side, second) = self.join_side()?;
        match (first_side.as_str(), second_side.as_str()) {
            ("$left", "$right") => Ok(JoinCondition::Equal { left: first, right: second }),
            ("$right", "$left") => Ok(JoinCondition::Equal { left: second, right: first }),
            _ => Err(SyntaxError::new(
                "a join condition compares `$left.Column` with `$right.Column`",
                side_span,
            )),
        }
    }

    pub(super) fn side_ahead(&self) -> bool {
        matches!(self.peek().ident(), Some("$left" | "$right")) && self.peek_at(1).is_punct(".")
    }

    pub(super) fn join_side(&mut self) -> PResult<(String, Ident)> {
        let side = self.bump().ident().unwrap_or_default().to_string();
        self.bump();
        Ok((side, self.name()?))
    }

    pub(super) fn mv_expand(&mut self) -> PResult<Operator> {
        while self.option_ahead(&["kind", "bagexpansion", "with_itemindex"]).is_some() {
            self.bump_value();
        }
        let columns = self.mv_columns("mv-expand")?;
        let limit =
            if self.eat_word("limit").is_some() { Some(self.expr_after("limit")?) } else { None };
        Ok(Operator::MvExpand { columns, limit })
    }

    /// `[Name =] expr [to typeof(T)], …`.
    pub(super) fn mv_columns(&mut self, after: &str) -> PResult<Vec<MvExpandColumn>> {
        let mut columns = Vec::new();
        let mut previous = after.to_string();
        loop {
            let column = self.named_after(&previous)?;
            let to_type = if self.eat_word("to").is_some() {
                self.expect_word("typeof", "after `to`")?;
                self.expect_punct("(", "after `typeof`")?;
                let ty = self.type_name()?;
                self.expect_punct(")", "after the type name")?;
                Some(ty)
            } else {
                None
            };
            columns.push(MvExpandColumn { column, to_type });
            if self.eat_punct(",").is_none() {
                return Ok(columns);
            }
            previous = ",".into();
        }
    }

    pub(super) fn mv_apply(&mut self) -> PResult<Operator> {
        while self.option_ahead(&["kind", "with_itemindex"]).is_some() {
            self.bump_value();
        }
        let columns = self.mv_columns("mv-apply")?;
        if self.eat_word("limit").is_some() {
            self.expr()?;
        }
        self.expect_word("on", "before the operators of `mv-apply`")?;
        let open = self.expect_punct("(", "after `on` in `mv-apply`")?;
        self.eat_punct("|");
        let mut subquery = vec![self.operator()?];
        while self.eat_punct("|").is_some() {
            subquery.push(self.operator()?);
        }
        if self.eat_punct(")").is_none() {
            return Err(self.unclosed(open));
        }
        Ok(Operator::MvApply { columns, subquery })
    }

    pub(super) fn parse_operator(&mut self) -> PResult<Operator> {
        let mut kind = ParseKind::Simple;
        while let Some(option) = self.option_ahead(&["kind", "flags"]) {
            match option.as_str() {
                "kind" => {
                    let word = self.name()?;
                    kind = match word.name.as_str() {
                        "simple" => ParseKind::Simple,
                        "regex" => ParseKind::Regex,
                        "relaxed" => ParseKind::Relaxed,
                        _ => {
                            return Err(SyntaxError {
                                message: format!("unknown parse kind `{}`", word.name),
                                span: word.span,
                                expected: quoted(&["simple", "regex", "relaxed"]),
                            });
                        }
                    };
                }
                "flags" => self.bump_value(),
                _ => {}
            }
        }
        let expr = self.expr_after("parse")?;
        self.expect_word("with", "after the parsed expression")?;
        let mut parts = Vec::new();
        loop {
            match &self.peek().kind {
                TokenKind::Punct("*") => {
                    self.bump();
                    parts.push(ParsePart::Wildcard);
                }
                TokenKind::String(_) => {
                    let (text, _) = self.string_literal();
                    parts.push(ParsePart::Literal(text));
                }
                TokenKind::Ident(_) | TokenKind::Punct("[") => {
                    let name = self.name()?;
                    let ty =
                        if self.eat_punct(":").is_some() { Some(self.type_name()?) } else { None };
                    parts.push(ParsePart::Column { name, ty });
                }
                _ => break,
            }
        }
        if parts.is_empty() {
            return Err(self.unexpected("a pattern after `with`"));
        }
        Ok(Operator::Parse { kind, expr, parts })
    }

    pub(super) fn make_series(&mut self) -> PResult<MakeSeries> {
        while self.option_ahead(&["kind"]).is_some() {
            self.bump_value();
        }
        let mut aggregates = Vec::new();
        loop {
            let aggregate =
                self.named_after(if aggregates.is_empty() { "make-series" } else { "," })?;
            let default = if self.at_word("default") && self.peek_at(1).is_punct("=") {
                self.bump();
                self.bump();
                Some(self.expr()?)
            } else {
                None
            };
            aggregates.push((aggregate, default));
            if self.eat_punct(",").is_none() {
                break;
            }
        }
        self.expect_word("on", "after the aggregations of `make-series`")?;
        let on = self.additive()?;
        let (from, to, step) = if self.eat_word("in").is_some() {
            self.expect_word("range", "after `in`")?;
            self.expect_punct("(", "after `range`")?;
            let from = self.expr()?;
            self.expect_punct(",", "after the start of the range")?;
            let to = self.expr()?;
            self.expect_punct(",", "after the end of the range")?;
            let step = self.expr()?;
            self.expect_punct(")", "to close `range(…)`")?;
            (Some(from), Some(to), step)
        } else {
            let from = if self.eat_word("from").is_some() { Some(self.additive()?) } else { None };
            let to = if self.eat_word("to").is_some() { Some(self.additive()?) } else { None };
            self.expect_word("step", "in `make-series`")?;
            (from, to, self.additive()?)
        };
        let by = if self.eat_word("by").is_some() { self.named_list("by")? } else { Vec::new() };
        Ok(MakeSeries { aggregates, on, from, to, step, by })
    }

    pub(super) fn serialize(&mut self) -> PResult<Operator> {
        if self.expr_start_ahead() {
            Ok(Operator::Serialize(self.named_list("serialize")?))
        } else {
            Ok(Operator::Serialize(Vec::new()))
        }
    }

    pub(super) fn render(&mut self) -> PResult<Operator> {
        let chart = match self.peek().ident() {
            Some(_) => self.name()?,
            None => return Err(self.unexpected("a chart kind after `render`")),
        };
        let mut properties = Vec::new();
        if self.eat_word("with").is_some() {
            let open = self.expect_punct("(", "after `with`")?;
            let mut current: Option<Ident> = None;
            while !self.at_punct(")") {
                if self.assignment_ahead() {
                    let name = self.name()?;
                    self.bump();
                    current = Some(name);
                }
                let Some(name) = current.clone() else {
                    return Err(self.unexpected("a property such as `title = \"…\"`"));
                };
                properties.push((name, self.expr()?));
                if self.eat_punct(",").is_none() {
                    break;
                }
            }
            if self.eat_punct(")").is_none() {
                return Err(self.unclosed(open));
            }
        }
        Ok(Operator::Render { chart, properties })
    }

    // ----- expression lists -----

    /// `[Name =] expr, …` (at least one).
    pub(super) fn named_list(&mut self, after: &str) -> PResult<Vec<NamedExpr>> {
        let mut items = vec![self.named_after(after)?];
        while self.eat_punct(",").is_some() {
            items.push(self.named_after(",")?);
        }
        Ok(items)
    }

    /// `Name = expr` or `expr`, which must follow `what`.
    pub(super) fn named_after(&mut self, what: &str) -> PResult<NamedExpr> {
        if !self.expr_start_ahead() {
            return Err(self.missing_expression(what));
        }
        self.named()
    }

    /// `Name = expr` or `expr`.
    pub(super) fn named(&mut self) -> PResult<NamedExpr> {
        if self.tuple_assignment_ahead() {
            let close = self.matching_close(self.pos).unwrap_or(self.pos);
            return Err(SyntaxError::new(
                "naming several columns at once (`(A, B) = …`) is not supported here",
                self.peek().span.to(self.token_at(close + 1).span),
            ));
        }
        let name = if self.assignment_ahead() {
            let name = self.name()?;
            self.bump();
            Some(name)
        } else {
            None
        };
        let expr = match &name {
            Some(n) => self.expr_after(&format!("{} =", n.name))?,
            None => self.expr()?,
        };
        Ok(NamedExpr { name, expr })
    }
}

/// Every operator name, quoted, for the `expected` list of an unknown operator.
fn operator_names() -> Vec<String> {
    let mut names = quoted(SUPPORTED_OPERATORS);
    names.extend(quoted(UNSUPPORTED_OPERATORS));
    names
}
