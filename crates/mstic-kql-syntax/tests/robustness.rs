//! Hostile input: random and garbled text, deep nesting. The parser must answer (a tree or an
//! error whose rendering works), never panic or overflow its stack.

use mstic_kql_syntax::ast::Span;
use mstic_kql_syntax::{caret, parse, parse_expr};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "T",
    " | ",
    "where",
    "project",
    "project-away",
    "mv-apply",
    "mv-expand",
    "summarize",
    "by",
    "join",
    "kind=",
    "on",
    "$left",
    "$right",
    ".",
    "..",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "=",
    "==",
    "!",
    "!in~",
    "in",
    "has_any",
    "between",
    "let",
    "x",
    "1",
    "1.5",
    "1d",
    "0x",
    "1e",
    "'str'",
    "\"s\\\"",
    "@'v''",
    "h'",
    "```",
    "datetime(",
    "dynamic(",
    "timespan(",
    "long(",
    "null",
    "-",
    "*",
    "//",
    "\n",
    "é",
    "日本",
    "\u{0}",
    "\\",
    "'",
    "\"",
    "top-nested",
    "of",
    "with",
    "others",
    "step",
    "from",
    "to",
    "render",
    "make-series",
    "default",
    "parse",
    "datatable",
    "print",
    "range",
    "union",
    "$",
    "~",
    "%",
    "evaluate",
    "hint.",
    "strategy",
    "typeof(",
    "count()",
    "*",
    " ",
];

const SAMPLE: &str = r#"let start = datetime(2024-01-01);
SecurityEvent
| where TimeGenerated >= start and EventID in (4624, 4625)
| where Account has_any ("admin", @"x\y") and not(isempty(Computer))
| mv-apply e = todynamic(Extra) to typeof(string) on (where e != "" | take 1)
| join kind=leftouter (Heartbeat | summarize arg_max(TimeGenerated, *) by Computer) on Computer
| summarize Count = count(), Hosts = make_set(Computer, 10) by bin(TimeGenerated, 1h), Account
| extend Rate = Count / 2.5, Tag = dynamic({"a": [1, 2]})["a"][0]
| order by Count desc nulls last"#;

/// Parses `text` both ways and renders any error: none of it may panic.
fn exercise(text: &str) {
    for result in [parse(text).err(), parse_expr(text).err()].into_iter().flatten() {
        let rendered = result.render(text);
        assert!(rendered.starts_with("KQL syntax error at line "), "{rendered}");
        assert!(
            result.span.start <= result.span.end && result.span.end <= text.len(),
            "{result:?} for {text:?}"
        );
    }
}

#[test]
fn random_fragment_soup_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let len = rng.below(40);
        let text: String = (0..len).map(|_| rng.pick(FRAGMENTS)).collect();
        exercise(&text);
    }
}

#[test]
fn random_characters_never_panic() {
    let mut rng = Rng(42);
    let alphabet: Vec<char> =
        "ab1 |()[]{}'\"@`\\.,;:=!~<>-+*/%$#?\n\té日\u{0}h0xe".chars().collect();
    for _ in 0..4000 {
        let len = rng.below(60);
        let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
        exercise(&text);
    }
}

#[test]
fn garbled_real_queries_never_panic() {
    assert!(parse(SAMPLE).is_ok(), "{}", parse(SAMPLE).unwrap_err().render(SAMPLE));
    let mut rng = Rng(7);
    let chars: Vec<char> = SAMPLE.chars().collect();
    for _ in 0..2000 {
        let mut garbled = chars.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(garbled.len());
            match rng.below(3) {
                0 => {
                    garbled.remove(at);
                }
                1 => garbled.insert(
                    at,
                    FRAGMENTS[rng.below(FRAGMENTS.len())].chars().next().unwrap_or('x'),
                ),
                _ => garbled.truncate(at),
            }
            if garbled.is_empty() {
                break;
            }
        }
        exercise(&garbled.into_iter().collect::<String>());
    }
}

#[test]
fn moderate_nesting_parses() {
    let depth = 150;
    let text = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse_expr(&text).is_ok());
    let calls = format!("{}x{}", "f(".repeat(depth), ")".repeat(depth));
    assert!(parse_expr(&calls).is_ok());
    let tables = format!("{}T{} | count", "(".repeat(depth), ")".repeat(depth));
    assert!(parse(&tables).is_ok());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for text in [
        format!("print {}x{}", "(".repeat(5000), ")".repeat(5000)),
        format!("print {}x", "-".repeat(5000)),
        format!("print {}x{}", "f(".repeat(5000), ")".repeat(5000)),
        format!("print {}x{}", "a[".repeat(5000), "]".repeat(5000)),
        format!("{}T{}", "(".repeat(5000), ")".repeat(5000)),
        format!("T{}", " | mv-apply x = y on (take 1".repeat(2000)),
        format!("print x in ({}", "x in (".repeat(5000)),
    ] {
        let error = parse(&text).expect_err("too deep");
        assert_eq!(error.message, "the query nests too deeply", "{}", &text[..40]);
    }
}

#[test]
fn long_flat_inputs_are_fine() {
    let sum = format!("print {}", vec!["1"; 20_000].join(" + "));
    assert!(parse(&sum).is_ok());
    let ops = format!("T{}", " | where x == 1".repeat(5_000));
    assert_eq!(parse(&ops).map(|q| q.body.ops.len()), Ok(5_000));
    let hints = format!("T | summarize {} count()", "hint.a=b ".repeat(10_000));
    assert!(parse(&hints).is_ok());
}

#[test]
fn caret_accepts_any_span() {
    for (text, span) in [
        ("", Span::new(5, 1)),
        ("日本", Span::new(1, 2)),
        ("a\n", Span::new(2, 2)),
        ("é", Span::new(usize::MAX, usize::MAX)),
    ] {
        assert!(caret(text, span, "m").starts_with("KQL syntax error at line "));
    }
}
