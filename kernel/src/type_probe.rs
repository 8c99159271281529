//! Variable types from the compiler, where rust-analyzer has none. evcxr needs the type of every
//! new top-level variable before it builds a cell, and asks rust-analyzer; in the lean view (see
//! `crate::analysis`) rust-analyzer knows no crate, so `let events = Frame::read_csv(…)?;` has no
//! type, and loading the full view costs 10–15 s. The compiler knows the type: the kernel builds the
//! cell once more inside a block ([`TypeProbe::code`]), where each such variable is assigned to a
//! local struct it cannot be, and reads the variable's type from the compiler's "found" note. The
//! cell then runs with those types written on its `let`s ([`TypeProbe::annotate`]). The probe never
//! runs: it cannot compile. The build shim makes the compiler print whole paths while it builds a
//! probe (`crate::cellbuild::with_whole_type_paths`), so a type is named the way the cell can name it
//! (`mstic::arrow::array::PrimitiveArray<mstic::arrow::datatypes::Int64Type>`, not
//! `PrimitiveArray<Int64Type>`).

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, Edition, SourceFile};
use std::collections::HashMap;
use std::ops::Range;

/// The local structs of a probe are this name followed by the variable's index.
const PROBE_STRUCT: &str = "MsticTypeProbe";
/// What the cell's code is parsed inside (as evcxr does) to find its statements.
const WRAPPER_START: &str = "fn cell() {\n";

/// A cell whose new variables need types, and where to write them.
#[derive(Debug, PartialEq)]
pub struct TypeProbe {
    /// The variables, in the order of their `let`s.
    variables: Vec<Variable>,
    /// Whether the cell ends in an expression (the probe then ends it with `;`).
    has_tail: bool,
}

/// The last top-level `let` that binds a variable.
#[derive(Debug, PartialEq)]
struct Variable {
    name: String,
    /// The bytes of the cell replaced by `: <type>`: empty after the name when the `let` has no
    /// type, else the `:` and the written type (one with `_` in it).
    annotation: Range<usize>,
    /// Whether the `let` has no type and a simple value (`let port = 443;`, see [`is_simple`]).
    simple: bool,
}

impl TypeProbe {
    /// The probe for a cell, or `None` when the cell has nothing a probe can type: no top-level
    /// `let` of a plain name (not `let (a, b) = …`) without a whole type, a line evcxr reads as a
    /// command (`:dep`), or code that does not parse.
    pub fn plan(code: &str) -> Option<TypeProbe> {
        if code.lines().any(|line| line.trim_start().starts_with(':')) {
            return None;
        }
        let wrapped = format!("{WRAPPER_START}{code}\n}}");
        let parsed = SourceFile::parse(&wrapped, Edition::Edition2024);
        if !parsed.errors().is_empty() {
            return None;
        }
        let body = parsed.tree().syntax().children().find_map(ast::Fn::cast)?.body()?.stmt_list()?;
        let offset = |at: ra_ap_syntax::TextSize| usize::from(at).checked_sub(WRAPPER_START.len());
        let mut last_binding: HashMap<String, Option<(Range<usize>, bool)>> = HashMap::new();
        let mut order = Vec::new();
        for statement in body.statements() {
            let ast::Stmt::LetStmt(binding) = statement else { continue };
            let pattern = match binding.pat() {
                Some(ast::Pat::IdentPat(plain)) if plain.pat().is_none() && plain.ref_token().is_none() => plain,
                // A destructuring `let` (or `let _`): its names are left to evcxr, and an earlier
                // `let` of the same name is no longer the one that defines the variable.
                other => {
                    let bound = other.iter().flat_map(|p| p.syntax().descendants()).filter_map(ast::IdentPat::cast);
                    for name in bound.filter_map(|p| p.name()) {
                        let name = name.text().to_string();
                        if !last_binding.contains_key(&name) {
                            order.push(name.clone());
                        }
                        last_binding.insert(name, None);
                    }
                    continue;
                }
            };
            let name = pattern.name()?.text().to_string();
            let annotation = match binding.ty() {
                None => {
                    let end = offset(pattern.syntax().text_range().end())?;
                    Some((end..end, binding.initializer().is_some_and(|value| is_simple(&value))))
                }
                Some(written) if written.syntax().text().to_string().contains('_') => {
                    let start = offset(binding.colon_token()?.text_range().start())?;
                    Some((start..offset(written.syntax().text_range().end())?, false))
                }
                Some(_) => None,
            };
            if !last_binding.contains_key(&name) {
                order.push(name.clone());
            }
            last_binding.insert(name, annotation);
        }
        let variables: Vec<Variable> = order
            .into_iter()
            .filter_map(|name| {
                let (annotation, simple) = last_binding.remove(&name)??;
                Some(Variable { name, annotation, simple })
            })
            .collect();
        if variables.is_empty() {
            return None;
        }
        Some(TypeProbe { variables, has_tail: body.tail_expr().is_some() })
    }

    /// The probe's code: the cell inside a block (so it has no top-level variables for evcxr to
    /// type), then each variable assigned, as a one-element tuple, to a local struct of its own.
    pub fn code(&self, code: &str) -> String {
        let mut probe = String::from("{\n");
        for index in 0..self.variables.len() {
            probe.push_str(&format!("struct {PROBE_STRUCT}{index};\n"));
        }
        probe.push_str(code);
        probe.push_str(if self.has_tail { "\n;\n" } else { "\n" });
        for (index, variable) in self.variables.iter().enumerate() {
            probe.push_str(&format!("let _: {PROBE_STRUCT}{index} = ({},);\n", variable.name));
        }
        probe.push_str("};");
        probe
    }

    /// The cell with the probed variables' types written on their `let`s, from the rendered
    /// compiler messages of the probe's build, and the names of the variables left as they were
    /// (no type a cell can hold: a closure, a reference, an elided name). `None` when no variable
    /// got a type.
    pub fn annotate(&self, code: &str, messages: &str) -> Option<(String, Vec<&str>)> {
        let mut edits = Vec::new();
        let mut left = Vec::new();
        for (index, variable) in self.variables.iter().enumerate() {
            match found_type(messages, index) {
                Some(ty) => edits.push((variable.annotation.clone(), ty)),
                None => left.push(variable.name.as_str()),
            }
        }
        if edits.is_empty() {
            return None;
        }
        let mut annotated = code.to_string();
        edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
        for (range, ty) in edits {
            annotated.replace_range(range, &format!(": {ty}"));
        }
        Some((annotated, left))
    }

    /// Whether rust-analyzer's lean view is unlikely to type the variables: one of them has a
    /// value that is not simple (a call, a method, a macro…). The engine then asks the compiler
    /// before evcxr asks rust-analyzer (which would fail after a type check of the cell).
    pub fn needs_the_compiler(&self) -> bool {
        self.variables.iter().any(|v| !v.simple)
    }

    /// The names of the variables the probe types, for messages.
    pub fn names(&self) -> Vec<&str> {
        self.variables.iter().map(|v| v.name.as_str()).collect()
    }
}

/// A value rust-analyzer's lean view can type: literals and variables, negated, in parentheses or
/// combined with operators (`-1`, `count * 2`).
fn is_simple(value: &ast::Expr) -> bool {
    match value {
        ast::Expr::Literal(_) => true,
        ast::Expr::PathExpr(variable) => variable.path().is_some_and(|path| path.qualifier().is_none()),
        ast::Expr::PrefixExpr(negated) => negated.expr().is_some_and(|inner| is_simple(&inner)),
        ast::Expr::ParenExpr(inner) => inner.expr().is_some_and(|inner| is_simple(&inner)),
        ast::Expr::BinExpr(operation) => {
            operation.lhs().is_some_and(|lhs| is_simple(&lhs)) && operation.rhs().is_some_and(|rhs| is_simple(&rhs))
        }
        _ => false,
    }
}

/// The type of the probe's variable `index`: the compiler's note on its mismatch reads
/// "expected struct `…MsticTypeProbe<index>`" and then "found tuple `(<type>,)`".
fn found_type(messages: &str, index: usize) -> Option<String> {
    let expected = format!("{PROBE_STRUCT}{index}`");
    let ty = messages.match_indices(&expected).find_map(|(at, _)| {
        let note = messages[at + expected.len()..].trim_start().strip_prefix("found tuple `")?;
        let tuple = &note[..note.find('`')?];
        Some(tuple.strip_prefix('(')?.strip_suffix(",)")?.trim())
    })?;
    // A literal's type the rest of the cell left open is the language's default.
    let ty = ty.replace("{integer}", "i32").replace("{float}", "f64");
    let holdable = !ty.is_empty() && !ty.contains(['{', '&', '\'']) && !ty.contains("...") && !ty.contains("impl ");
    holdable.then_some(ty)
}

/// Whether a compiler message is about a probe's assignment (every other error of a probe's
/// build is the cell's own).
pub fn is_probe_message(plain: &str) -> bool {
    plain.contains(PROBE_STRUCT)
}

/// The compiler's rendered messages without their terminal colours.
pub fn plain_text(rendered: &str) -> String {
    let mut plain = String::with_capacity(rendered.len());
    let mut rest = rendered;
    while let Some(start) = rest.find('\u{1b}') {
        plain.push_str(&rest[..start]);
        let escape = &rest[start..];
        rest = match escape.find('m') {
            Some(end) if escape.starts_with("\u{1b}[") => &escape[end + 1..],
            _ => &escape[1..],
        };
    }
    plain.push_str(rest);
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(index: usize, ty: &str) -> String {
        format!(
            "error[E0308]: mismatched types\n  |     ^ expected `{PROBE_STRUCT}{index}`, found `({ty},)`\n  = note: expected struct `ctx::run_user_code_3::{PROBE_STRUCT}{index}`\n              found tuple `({ty},)`\n"
        )
    }

    #[test]
    fn untyped_lets_are_probed_and_annotated_where_they_were_written() {
        let code = "let events = Frame::read_csv(\"a.csv\")?;\nlet mut hosts = events.column(\"host\")?; // all hosts\nlet n: usize = 3;\nhosts.len()";
        let probe = TypeProbe::plan(code).unwrap();
        assert_eq!(probe.names(), ["events", "hosts"]);
        let built = probe.code(code);
        assert!(built.starts_with("{\nstruct MsticTypeProbe0;\nstruct MsticTypeProbe1;\nlet events"), "{built}");
        assert!(built.ends_with("hosts.len()\n;\nlet _: MsticTypeProbe0 = (events,);\nlet _: MsticTypeProbe1 = (hosts,);\n};"), "{built}");
        let messages = note(0, "mstic::prelude::Frame") + &note(1, "std::vec::Vec<std::string::String>");
        let (annotated, left) = probe.annotate(code, &messages).unwrap();
        assert_eq!(
            annotated,
            "let events: mstic::prelude::Frame = Frame::read_csv(\"a.csv\")?;\n\
             let mut hosts: std::vec::Vec<std::string::String> = events.column(\"host\")?; // all hosts\nlet n: usize = 3;\nhosts.len()"
        );
        assert!(left.is_empty());
    }

    #[test]
    fn the_last_binding_of_a_name_is_annotated_and_a_placeholder_type_is_replaced() {
        let code = "let x = 1;\nlet x: Vec<_> = vec![x.to_string()];";
        let probe = TypeProbe::plan(code).unwrap();
        assert_eq!(probe.names(), ["x"]);
        assert!(probe.code(code).ends_with("];\nlet _: MsticTypeProbe0 = (x,);\n};"));
        assert_eq!(
            probe.annotate(code, &note(0, "std::vec::Vec<std::string::String>")).unwrap().0,
            "let x = 1;\nlet x: std::vec::Vec<std::string::String> = vec![x.to_string()];"
        );
        let typed_last = "let y = foo();\nlet y: String = y.to_string();";
        assert_eq!(TypeProbe::plan(typed_last), None);
    }

    #[test]
    fn only_lets_of_simple_values_are_left_to_the_lean_view() {
        let simple = "let port = 443;\nlet ratio = -(0.5);\nlet name = \"ws01\";\nlet next = (port + 1) * count;\nlet same = next;";
        assert!(!TypeProbe::plan(simple).unwrap().needs_the_compiler());
        assert!(TypeProbe::plan("let port = 443;\nlet host = name.to_string();").unwrap().needs_the_compiler());
        assert!(TypeProbe::plan("let max = i64::MAX;").unwrap().needs_the_compiler());
        assert!(TypeProbe::plan("let ports: Vec<_> = Vec::new();").unwrap().needs_the_compiler());
    }

    #[test]
    fn destructured_and_discarded_names_are_left_to_evcxr() {
        let code = "let _ = frame.display();\nlet (a, b) = pair();\nlet n = frame.len();";
        let probe = TypeProbe::plan(code).unwrap();
        assert_eq!(probe.names(), ["n"]);
        assert_eq!(TypeProbe::plan("let x = make();\nlet (x, y) = split(x);"), None, "the destructuring `let` defines `x`");
        assert_eq!(TypeProbe::plan("let (x, y) = split(z);\nlet x = x.to_string();").unwrap().names(), ["x"]);
    }

    #[test]
    fn cells_a_probe_cannot_type_are_left_alone() {
        for code in ["let (a, b) = pair();", "let ref r = value;", ":dep foo = \"1\"\nlet a = foo::bar();", "let a = (;", "x + 1", "let n: i64 = 4;"] {
            assert_eq!(TypeProbe::plan(code), None, "{code}");
        }
    }

    #[test]
    fn only_types_a_cell_can_hold_are_written() {
        let probe = TypeProbe::plan("let f = || 1;").unwrap();
        for ty in ["{closure@src/lib.rs:5:449: 5:451}", "&str", "std::slice::Iter<'_, u8>", "std::vec::Vec<...>"] {
            assert_eq!(probe.annotate("let f = || 1;", &note(0, ty)), None, "{ty}");
        }
        assert_eq!(probe.annotate("let f = || 1;", "error[E0425]: cannot find value `g` in this scope"), None);
        assert_eq!(probe.annotate("let f = || 1;", &note(0, "(i64, bool)")).unwrap().0, "let f: (i64, bool) = || 1;");
    }

    #[test]
    fn variables_without_a_usable_type_are_left_and_open_literals_take_the_default_type() {
        let code = "let c = || 1;\nlet n = 1;\nlet xs = vec![1.5];";
        let probe = TypeProbe::plan(code).unwrap();
        let messages = note(0, "{closure@src/lib.rs:5:449: 5:451}") + &note(1, "{integer}") + &note(2, "std::vec::Vec<{float}>");
        let (annotated, left) = probe.annotate(code, &messages).unwrap();
        assert_eq!(annotated, "let c = || 1;\nlet n: i32 = 1;\nlet xs: std::vec::Vec<f64> = vec![1.5];");
        assert_eq!(left, ["c"]);
    }

    #[test]
    fn colours_are_removed_from_rendered_messages() {
        let rendered = "\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror[E0308]\u{1b}[0m: expected struct `\u{1b}[1mMsticTypeProbe0\u{1b}[0m`";
        assert_eq!(plain_text(rendered), "error[E0308]: expected struct `MsticTypeProbe0`");
    }
}
