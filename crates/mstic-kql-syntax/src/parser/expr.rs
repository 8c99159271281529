//! Scalar expressions, from `or` down to literals, calls, members and indexes.

use super::literals::typed_value;
use super::*;

impl Parser<'_> {
    /// Whether the current token can start an expression.
    pub(super) fn expr_start_ahead(&self) -> bool {
        match &self.peek().kind {
            TokenKind::Ident(_)
            | TokenKind::String(_)
            | TokenKind::Long(_)
            | TokenKind::Real(_)
            | TokenKind::Timespan(_) => true,
            TokenKind::Punct(p) => matches!(*p, "(" | "-" | "+") || self.bracket_name_ahead(),
            _ => false,
        }
    }

    /// An expression that must follow `what`.
    pub(super) fn expr_after(&mut self, what: &str) -> PResult<Expr> {
        if !self.expr_start_ahead() {
            return Err(self.missing_expression(what));
        }
        self.expr()
    }

    /// "expected an expression after `what`" (or the lexer's message for a bad token).
    pub(super) fn missing_expression(&self, what: &str) -> SyntaxError {
        if let TokenKind::Error(_) = self.peek().kind {
            return self.unexpected("");
        }
        self.error_here(format!("expected an expression after `{what}`"))
    }

    /// A full scalar expression.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.or())
    }

    pub(super) fn binary(op: BinaryOp, left: Expr, right: Expr, span: Span) -> Expr {
        Expr::Binary { op, left: Box::new(left), right: Box::new(right), span }
    }

    pub(super) fn or(&mut self) -> PResult<Expr> {
        let mut left = self.and()?;
        while let Some(span) = self.eat_word("or") {
            let right = self.operand_after("or", Self::and)?;
            left = Self::binary(BinaryOp::Or, left, right, span);
        }
        Ok(left)
    }

    pub(super) fn and(&mut self) -> PResult<Expr> {
        let mut left = self.comparison()?;
        while let Some(span) = self.eat_word("and") {
            let right = self.operand_after("and", Self::comparison)?;
            left = Self::binary(BinaryOp::And, left, right, span);
        }
        Ok(left)
    }

    /// Parses the right operand of `op` with `next`, or says an expression is missing.
    pub(super) fn operand_after(
        &mut self,
        op: &str,
        next: fn(&mut Self) -> PResult<Expr>,
    ) -> PResult<Expr> {
        if !self.expr_start_ahead() {
            return Err(self.missing_expression(op));
        }
        next(self)
    }

    pub(super) fn comparison(&mut self) -> PResult<Expr> {
        let left = self.additive()?;
        let start = self.pos;
        let Some(comparison) = self.comparison_operator() else {
            return Ok(left);
        };
        let span = Span::new(self.token_at(start).span.start, self.prev_end());
        let op_text = self.text[span.start..span.end].to_string();
        let expr = Box::new(left);
        Ok(match comparison {
            Comparison::Binary(op) => {
                let right = self.operand_after(&op_text, Self::additive)?;
                Expr::Binary { op, left: expr, right: Box::new(right), span }
            }
            Comparison::In { negated, case_insensitive } => {
                let list = self.list_operand(&op_text)?;
                Expr::In { expr, list, negated, case_insensitive, span }
            }
            Comparison::HasAny { all } => {
                let list = self.list_operand(&op_text)?;
                Expr::HasAny { expr, list, all, span }
            }
            Comparison::Between { negated } => {
                let open = self.expect_punct("(", &format!("after `{op_text}`"))?;
                let low = self.operand_after("(", Self::additive)?;
                self.expect_punct("..", "between the bounds of `between`")?;
                let high = self.operand_after("..", Self::additive)?;
                if self.eat_punct(")").is_none() {
                    return Err(self.unclosed(open));
                }
                Expr::Between { expr, low: Box::new(low), high: Box::new(high), negated, span }
            }
        })
    }

    /// Consumes a comparison, string or set operator if one is next.
    pub(super) fn comparison_operator(&mut self) -> Option<Comparison> {
        let token = self.peek().clone();
        if let TokenKind::Punct(p) = token.kind {
            let op = match p {
                "==" => BinaryOp::Eq,
                "!=" | "<>" => BinaryOp::NotEq,
                "=~" => BinaryOp::EqTilde,
                "!~" => BinaryOp::NotEqTilde,
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::Le,
                ">" => BinaryOp::Gt,
                ">=" => BinaryOp::Ge,
                "!" => return self.negated_word_operator(),
                _ => return None,
            };
            self.bump();
            return Some(Comparison::Binary(op));
        }
        let word = token.ident()?;
        let comparison = match word {
            "in" => {
                self.bump();
                let case_insensitive = self.tilde_follows();
                return Some(Comparison::In { negated: false, case_insensitive });
            }
            "has_any" => Comparison::HasAny { all: false },
            "has_all" => Comparison::HasAny { all: true },
            "between" => Comparison::Between { negated: false },
            "matches" if self.peek_at(1).is_word("regex") => {
                self.bump();
                Comparison::Binary(BinaryOp::Str(StringPredicate::MatchesRegex, false))
            }
            "notcontains" => Comparison::Binary(BinaryOp::Str(StringPredicate::Contains, true)),
            "notcontainscs" => Comparison::Binary(BinaryOp::Str(StringPredicate::ContainsCs, true)),
            _ => {
                let predicate = string_predicate(word)?;
                Comparison::Binary(BinaryOp::Str(predicate, false))
            }
        };
        self.bump();
        Some(comparison)
    }

    /// `!has`, `!in`, `!in~`, `!between` … (the cursor is on `!`).
    pub(super) fn negated_word_operator(&mut self) -> Option<Comparison> {
        let word = self.peek_at(1).ident()?.to_string();
        if !self.adjacent(1) {
            return None;
        }
        let comparison = match word.as_str() {
            "in" => {
                self.bump();
                self.bump();
                let case_insensitive = self.tilde_follows();
                return Some(Comparison::In { negated: true, case_insensitive });
            }
            "between" => Comparison::Between { negated: true },
            _ => Comparison::Binary(BinaryOp::Str(string_predicate(&word)?, true)),
        };
        self.bump();
        self.bump();
        Some(comparison)
    }

    /// Consumes a `~` written right after `in`.
    pub(super) fn tilde_follows(&mut self) -> bool {
        if self.at_punct("~") && self.peek().span.start == self.prev_end() {
            self.bump();
            true
        } else {
            false
        }
    }

    /// `( a, b, … )` or `( tabular )` after `in`, `has_any` ….
    pub(super) fn list_operand(&mut self, op: &str) -> PResult<Vec<Expr>> {
        if !self.at_punct("(") {
            return Err(self.unexpected(&format!("`(` after `{op}`")));
        }
        if self.tabular_paren(self.pos) {
            let tabular = self.nested(|p| p.parenthesised_tabular())?;
            return Ok(vec![Expr::Tabular(Box::new(tabular))]);
        }
        let open = self.bump().span;
        let mut list = Vec::new();
        while !self.at_punct(")") {
            list.push(self.operand_after(if list.is_empty() { "(" } else { "," }, Self::expr)?);
            if self.eat_punct(",").is_none() {
                break;
            }
        }
        if self.eat_punct(")").is_none() {
            return Err(self.unclosed(open));
        }
        Ok(list)
    }

    pub(super) fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek().kind {
                TokenKind::Punct("+") => BinaryOp::Add,
                TokenKind::Punct("-") => BinaryOp::Sub,
                _ => return Ok(left),
            };
            let span = self.bump().span;
            let symbol = if op == BinaryOp::Add { "+" } else { "-" };
            let right = self.operand_after(symbol, Self::multiplicative)?;
            left = Self::binary(op, left, right, span);
        }
    }

    pub(super) fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let (op, symbol) = match self.peek().kind {
                TokenKind::Punct("*") => (BinaryOp::Mul, "*"),
                TokenKind::Punct("/") => (BinaryOp::Div, "/"),
                TokenKind::Punct("%") => (BinaryOp::Mod, "%"),
                _ => return Ok(left),
            };
            let span = self.bump().span;
            let right = self.operand_after(symbol, Self::unary)?;
            left = Self::binary(op, left, right, span);
        }
    }

    /// `-x`, `+x`; a minus before a number literal is folded into the literal.
    pub(super) fn unary(&mut self) -> PResult<Expr> {
        let sign = match self.peek().kind {
            TokenKind::Punct(p @ ("-" | "+")) => p,
            _ => return self.postfix(),
        };
        let sign_span = self.bump().span;
        let operand = self.nested(|p| p.operand_after(sign, Self::unary))?;
        if sign == "+" {
            return Ok(operand);
        }
        let span = sign_span.to(operand.span());
        Ok(match operand {
            Expr::Literal(Literal::Long(n), _) => {
                Expr::Literal(Literal::Long(n.wrapping_neg()), span)
            }
            Expr::Literal(Literal::Real(x), _) => Expr::Literal(Literal::Real(-x), span),
            Expr::Literal(Literal::Timespan(n), _) => {
                Expr::Literal(Literal::Timespan(n.wrapping_neg()), span)
            }
            other => Expr::Negate(Box::new(other), span),
        })
    }

    /// A primary expression followed by `.name`, `.['key']` and `[index]`.
    pub(super) fn postfix(&mut self) -> PResult<Expr> {
        let mut expr = self.primary()?;
        loop {
            if self.at_punct(".") {
                self.bump();
                if !self.name_ahead() {
                    return Err(self.unexpected("a property name after `.`"));
                }
                let name = self.name()?;
                expr = Expr::Member { base: Box::new(expr), name };
            } else if self.at_punct("[") {
                let open = self.bump().span;
                let index = self.operand_after("[", Self::expr)?;
                let close = self.expect_punct("]", "to close the index")?;
                expr = Expr::Index {
                    base: Box::new(expr),
                    index: Box::new(index),
                    span: open.to(close),
                };
            } else {
                return Ok(expr);
            }
        }
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        match &token.kind {
            TokenKind::Long(n) => Ok(self.literal(Literal::Long(*n))),
            TokenKind::Real(x) => Ok(self.literal(Literal::Real(*x))),
            TokenKind::Timespan(n) => Ok(self.literal(Literal::Timespan(*n))),
            TokenKind::String(_) => {
                let (text, span) = self.string_literal();
                Ok(Expr::Literal(Literal::String(text), span))
            }
            TokenKind::Ident(word) => self.word(word, token.span),
            TokenKind::Punct("[") if self.bracket_name_ahead() => Ok(Expr::Column(self.name()?)),
            TokenKind::Punct("(") => self.parenthesised(),
            _ => Err(self.unexpected("an expression")),
        }
    }

    pub(super) fn literal(&mut self, literal: Literal) -> Expr {
        let span = self.bump().span;
        Expr::Literal(literal, span)
    }

    /// Adjacent string literals, joined.
    pub(super) fn string_literal(&mut self) -> (String, Span) {
        let mut text = String::new();
        let mut span = self.peek().span;
        while let TokenKind::String(piece) = &self.peek().kind {
            text.push_str(piece);
            span = span.to(self.peek().span);
            self.bump();
        }
        (text, span)
    }

    pub(super) fn parenthesised(&mut self) -> PResult<Expr> {
        if self.tabular_paren(self.pos) {
            let tabular = self.nested(|p| p.parenthesised_tabular())?;
            return Ok(Expr::Tabular(Box::new(tabular)));
        }
        let open = self.bump().span;
        let inner = self.operand_after("(", Self::expr)?;
        if self.eat_punct(")").is_none() {
            return Err(self.unclosed(open));
        }
        Ok(inner)
    }

    /// An identifier in expression position: a keyword literal, a typed literal, a call or a
    /// column.
    pub(super) fn word(&mut self, word: &str, span: Span) -> PResult<Expr> {
        let call = self.peek_at(1).is_punct("(");
        match word {
            "true" | "True" | "TRUE" if !call => return Ok(self.literal(Literal::Bool(true))),
            "false" | "False" | "FALSE" if !call => return Ok(self.literal(Literal::Bool(false))),
            "null" if !call => return Ok(self.literal(Literal::Null)),
            _ => {}
        }
        let name = Ident { name: word.to_string(), span };
        if !call {
            self.bump();
            return Ok(Expr::Column(name));
        }
        if TYPED_LITERALS.contains(&word) {
            return self.typed_literal(name);
        }
        self.bump();
        let args = self.call_arguments(&name)?;
        Ok(Expr::Call { name, args })
    }

    /// `( args )` of a call; the cursor is on `(`.
    pub(super) fn call_arguments(&mut self, name: &Ident) -> PResult<Vec<Expr>> {
        let open = self.bump().span;
        let mut args = Vec::new();
        while !self.at_punct(")") {
            let star_arg =
                self.at_punct("*") && matches!(self.peek_at(1).kind, TokenKind::Punct("," | ")"));
            let arg = if star_arg {
                Expr::Star(self.bump().span)
            } else if self.source_keyword_at(self.pos) || self.pipe_ahead(self.pos, true) {
                Expr::Tabular(Box::new(self.tabular()?))
            } else {
                self.operand_after(if args.is_empty() { "(" } else { "," }, Self::expr)?
            };
            args.push(arg);
            if self.eat_punct(",").is_none() {
                break;
            }
        }
        if self.eat_punct(")").is_none() {
            if self.at_eof() {
                return Err(SyntaxError::new(
                    format!("this `(` of `{}` is never closed", name.name),
                    open,
                ));
            }
            return Err(self.unexpected(&format!("`,` or `)` in the arguments of `{}`", name.name)));
        }
        Ok(args)
    }

    /// `datetime(…)`, `dynamic(…)`, `long(…)` …; the cursor is on the type name.
    pub(super) fn typed_literal(&mut self, name: Ident) -> PResult<Expr> {
        self.bump();
        let open_index = self.pos;
        let open = self.bump().span;
        let Some(close_index) = self.matching_close(open_index) else {
            return Err(SyntaxError::new(
                format!("this `(` of `{}` is never closed", name.name),
                open,
            ));
        };
        let close = self.token_at(close_index).span;
        if !self.token_at(close_index).is_punct(")") {
            return Err(SyntaxError::new("expected `)`", close));
        }
        self.pos = close_index + 1;
        let raw = self.text[open.end..close.start].trim();
        let span = name.span.to(close);
        let inside = Span::new(open.end, close.start);
        let literal =
            typed_value(&name.name, raw).map_err(|message| SyntaxError::new(message, inside))?;
        Ok(Expr::Literal(literal, span))
    }
}

/// The string predicate called `word`, if any.
fn string_predicate(word: &str) -> Option<StringPredicate> {
    STRING_PREDICATES.iter().find(|(name, _)| *name == word).map(|(_, p)| *p)
}
