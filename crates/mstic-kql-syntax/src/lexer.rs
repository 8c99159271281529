//! Turns query text into tokens. The lexer never fails: text it cannot read becomes a
//! [`TokenKind::Error`] token, and the parser reports it only if it needs that token (so the
//! raw text of `datetime(…)` or `guid(…)` may hold characters KQL has no token for).

use crate::ast::Span;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A name or keyword (`where`, `Computer`, `$left`, `has_any`).
    Ident(String),
    /// A string literal, escapes already resolved.
    String(String),
    /// A whole number.
    Long(i64),
    /// A number with a fraction or an exponent.
    Real(f64),
    /// A timespan literal (`1d`, `30m`), in nanoseconds.
    Timespan(i64),
    /// An operator or punctuation mark (`==`, `|`, `(` …).
    Punct(&'static str),
    /// Text that is not a token; the message says why.
    Error(String),
    /// The end of the text.
    Eof,
}

/// A token and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Its bytes in the query.
    pub span: Span,
}

impl Token {
    /// The identifier's text, if the token is an identifier.
    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            TokenKind::Ident(name) => Some(name),
            _ => None,
        }
    }

    /// Whether the token is the identifier `word`.
    pub fn is_word(&self, word: &str) -> bool {
        self.ident() == Some(word)
    }

    /// Whether the token is the punctuation mark `mark`.
    pub fn is_punct(&self, mark: &str) -> bool {
        matches!(self.kind, TokenKind::Punct(p) if p == mark)
    }
}

/// Punctuation, longest first so that `==` wins over `=`.
const PUNCTUATION: &[&str] = &[
    "==", "!=", "<>", "=~", "!~", "<=", ">=", "..", "<", ">", "+", "-", "*", "/", "%", "|", ".",
    "[", "]", "(", ")", "{", "}", ",", ";", "=", ":", "!", "~", "?", "@", "#",
];

/// Nanoseconds in one unit of each timespan suffix.
const TIMESPAN_UNITS: &[(&str, i64)] = &[
    ("d", 86_400_000_000_000),
    ("day", 86_400_000_000_000),
    ("days", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("hr", 3_600_000_000_000),
    ("hrs", 3_600_000_000_000),
    ("hour", 3_600_000_000_000),
    ("hours", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("minute", 60_000_000_000),
    ("minutes", 60_000_000_000),
    ("s", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("second", 1_000_000_000),
    ("seconds", 1_000_000_000),
    ("ms", 1_000_000),
    ("milli", 1_000_000),
    ("millis", 1_000_000),
    ("millisecond", 1_000_000),
    ("milliseconds", 1_000_000),
    ("microsecond", 1_000),
    ("microseconds", 1_000),
    ("tick", 100),
    ("ticks", 100),
];

/// Nanoseconds in one unit of a timespan suffix (`d`, `hours`, `ms`, `tick` …).
pub fn timespan_unit(unit: &str) -> Option<i64> {
    TIMESPAN_UNITS.iter().find(|(name, _)| *name == unit).map(|(_, nanos)| *nanos)
}

/// Splits `text` into tokens, ending with one [`TokenKind::Eof`] token.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut lexer = Lexer { text, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token();
        let done = token.kind == TokenKind::Eof;
        tokens.push(token);
        if done {
            return tokens;
        }
    }
}

/// Whether `c` may continue an identifier.
fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `c` may start an identifier.
fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

/// A cursor over the query text.
struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn char_at(&self, offset: usize) -> Option<char> {
        self.text.get(offset..).and_then(|s| s.chars().next())
    }

    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token { kind, span: Span::new(start, self.pos) }
    }

    /// Skips white space and `//` comments.
    fn skip_trivia(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                let line_len = trimmed.find('\n').unwrap_or(trimmed.len());
                self.pos += line_len;
            } else {
                return;
            }
        }
    }

    fn next_token(&mut self) -> Token {
        self.skip_trivia();
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return self.token(TokenKind::Eof, start);
        };
        let rest = self.rest();
        if rest.starts_with("```") {
            return self.multiline_string(start);
        }
        if (c == 'h' || c == 'H') && matches!(self.char_at(start + 1), Some('\'' | '"')) {
            self.pos += 1;
            return self.quoted_string(start);
        }
        if (c == 'h' || c == 'H')
            && rest[1..].starts_with('@')
            && matches!(self.char_at(start + 2), Some('\'' | '"'))
        {
            self.pos += 2;
            return self.verbatim_string(start);
        }
        if c == '@' && matches!(self.char_at(start + 1), Some('\'' | '"')) {
            self.pos += 1;
            return self.verbatim_string(start);
        }
        if c == '\'' || c == '"' {
            return self.quoted_string(start);
        }
        if c.is_ascii_digit() {
            return self.number(start);
        }
        if is_ident_start(c) {
            return self.identifier(start);
        }
        if let Some(mark) = PUNCTUATION.iter().find(|p| rest.starts_with(**p)) {
            self.pos += mark.len();
            return self.token(TokenKind::Punct(mark), start);
        }
        self.pos += c.len_utf8();
        self.token(TokenKind::Error(format!("unexpected character `{c}`")), start)
    }

    fn identifier(&mut self, start: usize) -> Token {
        let mut end = start;
        for (i, c) in self.rest().char_indices() {
            let ok = if i == 0 { is_ident_start(c) } else { is_ident_char(c) };
            if !ok {
                break;
            }
            end = start + i + c.len_utf8();
        }
        self.pos = end;
        self.token(TokenKind::Ident(self.text[start..end].to_string()), start)
    }

    /// `'…'` or `"…"` with backslash escapes; the cursor is on the opening quote.
    fn quoted_string(&mut self, start: usize) -> Token {
        let Some(quote) = self.peek_char() else {
            return self.token(TokenKind::Error("unterminated string".into()), start);
        };
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return self.token(TokenKind::Error("the string is not closed".into()), start);
            };
            self.pos += c.len_utf8();
            if c == quote {
                return self.token(TokenKind::String(value), start);
            }
            if c == '\n' {
                self.pos -= 1;
                return self.token(TokenKind::Error("the string is not closed".into()), start);
            }
            if c != '\\' {
                value.push(c);
                continue;
            }
            match self.escape() {
                Ok(decoded) => value.push(decoded),
                Err(message) => return self.token(TokenKind::Error(message), start),
            }
        }
    }

    /// The character after a backslash (the cursor is just past the backslash).
    fn escape(&mut self) -> Result<char, String> {
        let Some(c) = self.peek_char() else {
            return Err("the string is not closed".into());
        };
        self.pos += c.len_utf8();
        Ok(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            '\\' | '\'' | '"' | '/' => c,
            'u' => return self.unicode_escape(),
            other => return Err(format!("unknown escape `\\{other}` in a string")),
        })
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let hex = self.rest().get(..4).unwrap_or("");
        let code = if hex.chars().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(hex, 16).ok()
        } else {
            None
        };
        match code.and_then(char::from_u32) {
            Some(c) if hex.len() == 4 => {
                self.pos += 4;
                Ok(c)
            }
            _ => Err("`\\u` must be followed by four hexadecimal digits".into()),
        }
    }

    /// `@'…'`: no escapes, a doubled quote is one quote; the cursor is on the opening quote.
    fn verbatim_string(&mut self, start: usize) -> Token {
        let Some(quote) = self.peek_char() else {
            return self.token(TokenKind::Error("unterminated string".into()), start);
        };
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return self.token(TokenKind::Error("the string is not closed".into()), start);
            };
            if c == '\n' {
                return self.token(TokenKind::Error("the string is not closed".into()), start);
            }
            self.pos += c.len_utf8();
            if c != quote {
                value.push(c);
            } else if self.peek_char() == Some(quote) {
                self.pos += 1;
                value.push(quote);
            } else {
                return self.token(TokenKind::String(value), start);
            }
        }
    }

    /// ```` ```…``` ````: any text, line breaks included.
    fn multiline_string(&mut self, start: usize) -> Token {
        self.pos += 3;
        match self.rest().find("```") {
            Some(len) => {
                let value = self.rest()[..len].to_string();
                self.pos += len + 3;
                self.token(TokenKind::String(value), start)
            }
            None => {
                self.pos = self.text.len();
                self.token(TokenKind::Error("the string is not closed".into()), start)
            }
        }
    }

    fn digits(&mut self) -> usize {
        let len = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        self.pos += len;
        len
    }

    /// A number, possibly with a timespan unit.
    fn number(&mut self, start: usize) -> Token {
        if self.rest().starts_with("0x") || self.rest().starts_with("0X") {
            return self.hex_number(start);
        }
        self.digits();
        let mut is_real = false;
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) == Some(&b'.')
            && bytes.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
        {
            self.pos += 1;
            self.digits();
            is_real = true;
        }
        if matches!(bytes.get(self.pos), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(self.pos + 1), Some(b'+' | b'-')));
            if bytes.get(self.pos + 1 + sign).is_some_and(u8::is_ascii_digit) {
                self.pos += 1 + sign;
                self.digits();
                is_real = true;
            }
        }
        let number_text = &self.text[start..self.pos];
        if let Some(token) = self.timespan_suffix(start, number_text) {
            return token;
        }
        let kind = if is_real {
            number_kind_real(number_text)
        } else {
            match number_text.parse::<i64>() {
                Ok(n) => TokenKind::Long(n),
                Err(_) => number_kind_real(number_text),
            }
        };
        self.token(kind, start)
    }

    fn hex_number(&mut self, start: usize) -> Token {
        self.pos += 2;
        let len = self.rest().bytes().take_while(u8::is_ascii_hexdigit).count();
        let digits = &self.rest()[..len];
        self.pos += len;
        let kind = match i64::from_str_radix(digits, 16) {
            Ok(n) => TokenKind::Long(n),
            Err(_) => TokenKind::Error("the hexadecimal number is not a valid long".into()),
        };
        self.token(kind, start)
    }

    /// A unit right after a number (`1d`, `1.5h`) makes a timespan.
    fn timespan_suffix(&mut self, start: usize, number_text: &str) -> Option<Token> {
        let rest = self.rest();
        let len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        if len == 0 || rest[len..].chars().next().is_some_and(is_ident_char) {
            return None;
        }
        let nanos_per_unit = timespan_unit(&rest[..len])?;
        self.pos += len;
        let kind = match timespan_nanos(number_text, nanos_per_unit) {
            Some(nanos) => TokenKind::Timespan(nanos),
            None => TokenKind::Error("the timespan is too large".into()),
        };
        Some(self.token(kind, start))
    }
}

fn number_kind_real(text: &str) -> TokenKind {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => TokenKind::Real(x),
        _ => TokenKind::Error(format!("`{text}` is not a valid number")),
    }
}

/// `count` units of `nanos_per_unit` nanoseconds, exactly for whole numbers.
pub fn timespan_nanos(count: &str, nanos_per_unit: i64) -> Option<i64> {
    if let Ok(whole) = count.parse::<i64>() {
        return whole.checked_mul(nanos_per_unit);
    }
    let value = count.parse::<f64>().ok()? * nanos_per_unit as f64;
    if value.is_finite() && value.abs() < i64::MAX as f64 {
        Some(value.round() as i64)
    } else {
        None
    }
}
