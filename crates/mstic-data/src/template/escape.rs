//! Values written into query text as data, never as query syntax: the template text is scanned
//! in its query language to learn where each `{field}` lands (inside which kind of string literal,
//! in a comment, or bare), and each substituted text is escaped for exactly that place. A value
//! that cannot be written safely there is an error naming the parameter.

use mstic_core::{Error, Result};
use regex::Regex;
use std::sync::LazyLock;

/// The language a data environment's query templates are written in; it decides how literals
/// are delimited and escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// Kusto Query Language (Sentinel, Log Analytics, Data Explorer, Defender, Resource Graph):
    /// `'…'` and `"…"` with backslash escapes, verbatim `@'…'` / `@"…"` (quote doubled),
    /// ```` ```…``` ```` multi-line strings, `//` comments.
    #[default]
    Kql,
    /// Splunk SPL, Elastic and Sumo Logic searches: `"…"` (and `'…'`) with backslash escapes.
    Spl,
    /// SQL (local data on DataFusion, OpenObserve): `'…'` strings and `"…"` identifiers with the
    /// quote doubled, `--` and `/* */` comments.
    Sql,
    /// JSON request bodies (Cybereason): `"…"` with JSON escapes.
    Json,
    /// OData `$filter` text (Microsoft Graph): `'…'` with the quote doubled.
    OData,
    /// A language with no known escaping rules: a value may not contain a quote, a backslash or
    /// a control character inside a literal.
    Opaque,
}

impl QueryLanguage {
    /// The language's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            QueryLanguage::Kql => "KQL",
            QueryLanguage::Spl => "SPL",
            QueryLanguage::Sql => "SQL",
            QueryLanguage::Json => "JSON",
            QueryLanguage::OData => "OData",
            QueryLanguage::Opaque => "query",
        }
    }
}

/// Where a substituted value lands in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Outside any literal: only a plain name or number may go there.
    Bare,
    /// Inside a string literal opened by `quote`.
    Quoted { quote: char, style: LiteralStyle },
    /// Inside a comment that ends at the end of the line.
    LineComment,
    /// Inside a `/* … */` comment.
    BlockComment,
}

/// How a literal escapes its own quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralStyle {
    /// A backslash escapes the next character (KQL, SPL, JSON strings).
    Backslash,
    /// The quote is written twice; backslash is an ordinary character (SQL, OData, KQL `@'…'`).
    Doubled,
    /// KQL ```` ```…``` ````: nothing is escaped and the fence may not appear.
    Fenced,
}

/// The placement of each replacement field, in order: `texts` are the literal texts around the
/// fields (one more than there are fields), scanned as `language`.
pub fn placements(texts: &[&str], language: QueryLanguage) -> Vec<Placement> {
    let mut scanner = Scanner { language, state: State::Code, previous: None, ticks: 0 };
    let mut placements = Vec::with_capacity(texts.len().saturating_sub(1));
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            placements.push(scanner.placement());
            // The field's own text is data: it neither opens nor closes anything.
            scanner.previous = Some('x');
            scanner.ticks = 0;
        }
        for c in text.chars() {
            scanner.feed(c);
        }
    }
    placements
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    Literal { quote: char, style: LiteralStyle, escaped: bool, closing: bool },
    /// Inside a fenced literal, with the number of backticks just seen.
    Fenced { ticks: u8 },
    LineComment,
    BlockComment { star: bool },
}

struct Scanner {
    language: QueryLanguage,
    state: State,
    previous: Option<char>,
    /// Backticks just seen in code (three open a KQL fenced literal).
    ticks: u8,
}

impl Scanner {
    fn placement(&self) -> Placement {
        match self.state {
            State::Code => Placement::Bare,
            State::Literal { quote, style, closing: false, .. } => Placement::Quoted { quote, style },
            // `'ab'{x}`: the doubled-quote literal had just closed.
            State::Literal { closing: true, .. } => Placement::Bare,
            State::Fenced { .. } => Placement::Quoted { quote: '`', style: LiteralStyle::Fenced },
            State::LineComment => Placement::LineComment,
            State::BlockComment { .. } => Placement::BlockComment,
        }
    }

    fn feed(&mut self, c: char) {
        let previous = self.previous.replace(c);
        self.state = match self.state {
            State::Code => self.open(c, previous),
            State::Literal { quote, style: LiteralStyle::Doubled, closing, .. } => match (c == quote, closing) {
                // A doubled quote is an escaped quote; a single one closed the literal.
                (true, true) => State::Literal { quote, style: LiteralStyle::Doubled, escaped: false, closing: false },
                (true, false) => State::Literal { quote, style: LiteralStyle::Doubled, escaped: false, closing: true },
                (false, true) => self.open(c, previous),
                (false, false) => self.state,
            },
            State::Literal { quote, style, escaped, .. } => match c {
                _ if escaped => State::Literal { quote, style, escaped: false, closing: false },
                '\\' => State::Literal { quote, style, escaped: true, closing: false },
                _ if c == quote => State::Code,
                _ => self.state,
            },
            State::Fenced { ticks } => match (c, ticks) {
                ('`', 2) => State::Code,
                ('`', n) => State::Fenced { ticks: n + 1 },
                _ => State::Fenced { ticks: 0 },
            },
            State::LineComment if c == '\n' => State::Code,
            State::LineComment => State::LineComment,
            State::BlockComment { star: true } if c == '/' => State::Code,
            State::BlockComment { .. } => State::BlockComment { star: c == '*' },
        };
    }

    /// The state after `c` read in code, `previous` being the character before it.
    fn open(&mut self, c: char, previous: Option<char>) -> State {
        use QueryLanguage::*;
        self.ticks = if c == '`' { self.ticks + 1 } else { 0 };
        let literal = |quote, style| State::Literal { quote, style, escaped: false, closing: false };
        match (self.language, c) {
            (Kql, '\'' | '"') if previous == Some('@') => literal(c, LiteralStyle::Doubled),
            (Kql | Spl | Json | Opaque, '\'' | '"') => literal(c, LiteralStyle::Backslash),
            (Sql | OData, '\'' | '"') => literal(c, LiteralStyle::Doubled),
            (Kql, '`') if self.ticks == 3 => {
                self.ticks = 0;
                State::Fenced { ticks: 0 }
            }
            (Kql, '/') if previous == Some('/') => State::LineComment,
            (Sql, '-') if previous == Some('-') => State::LineComment,
            (Sql, '*') if previous == Some('/') => State::BlockComment { star: false },
            _ => State::Code,
        }
    }
}

/// A bare value: a name, a number, a dotted or dashed token or a wildcard (`SecurityEvent`,
/// `4624`, `web-01.contoso.com`, `*`) - nothing that can start another clause.
static BARE_TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[\w.:*-]*$").expect("valid regex"));

/// Whether `text` may go outside a literal: a plain name, number or dotted/dashed token.
pub fn is_bare_token(text: &str) -> bool {
    BARE_TOKEN.is_match(text)
}

/// `text` written at `placement` of a `language` query, for the parameter `param` of `what`
/// (a query name): escaped for the literal it lands in, or an error saying why it cannot be.
pub fn escape_for(language: QueryLanguage, placement: Placement, text: &str, param: &str, what: &str) -> Result<String> {
    let refuse = |why: String| {
        Error::invalid(
            format!("{what}, parameter '{param}'"),
            format!("the value {} cannot be written safely {why}", preview(text)),
        )
    };
    match placement {
        Placement::Bare if is_bare_token(text) => Ok(text.to_string()),
        Placement::Bare => Err(refuse(format!(
            "outside a string literal of this {} template: there only a name or a number may go \
             (a template that takes query text declares the parameter `type: raw`)",
            language.name()
        ))),
        Placement::LineComment if text.contains(['\n', '\r']) => Err(refuse("in a comment: it contains a line break".into())),
        Placement::BlockComment if text.contains("*/") => Err(refuse("in a comment: it contains '*/'".into())),
        Placement::LineComment | Placement::BlockComment => Ok(text.to_string()),
        Placement::Quoted { quote, style } => escape_literal(language, quote, style, text).map_err(|why| refuse(why.to_string())),
    }
}

/// `text` escaped for a literal delimited by `quote` in `style`; the error says what it holds
/// that the literal cannot.
fn escape_literal(language: QueryLanguage, quote: char, style: LiteralStyle, text: &str) -> std::result::Result<String, String> {
    let inside = || format!("inside a {} literal {quote}…{quote}", language.name());
    if let Some(c) = text.chars().find(|c| c.is_control() && !matches!((language, c), (_, '\t' | '\n' | '\r'))) {
        if language != QueryLanguage::Json {
            return Err(format!("{}: it contains the control character U+{:04X}", inside(), c as u32));
        }
    }
    match (language, style) {
        (QueryLanguage::Json, _) => {
            let quoted = serde_json::to_string(text).map_err(|e| e.to_string())?;
            Ok(quoted[1..quoted.len() - 1].to_string())
        }
        (QueryLanguage::Opaque, _) if text.contains([quote, '\\']) || text.contains(['\n', '\r']) => {
            Err(format!("{}: it contains a quote, a backslash or a line break, which this language's literals cannot escape", inside()))
        }
        (QueryLanguage::Opaque, _) => Ok(text.to_string()),
        (_, LiteralStyle::Fenced) if text.contains("```") => Err(format!("{}: it contains the fence ```", inside())),
        (_, LiteralStyle::Fenced) => Ok(text.to_string()),
        (QueryLanguage::Kql, LiteralStyle::Doubled) if text.contains(['\n', '\r']) => {
            Err(format!("inside a KQL verbatim literal @{quote}…{quote}: it contains a line break"))
        }
        (QueryLanguage::Spl, _) if text.contains(['\n', '\r']) => Err(format!("{}: it contains a line break", inside())),
        (_, LiteralStyle::Doubled) => Ok(text.replace(quote, &format!("{quote}{quote}"))),
        (_, LiteralStyle::Backslash) => {
            let mut out = String::with_capacity(text.len() + 8);
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    _ if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    _ => out.push(c),
                }
            }
            Ok(out)
        }
    }
}

/// The start of a value for messages (values can be long and are attacker-controlled).
fn preview(text: &str) -> String {
    const MAX: usize = 60;
    let shown: String = text.chars().take(MAX).collect();
    let more = if text.chars().count() > MAX { "…" } else { "" };
    format!("{:?}", format!("{shown}{more}"))
}
