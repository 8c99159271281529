//! `%%sql [NAME]` and `%%kql [NAME]` cells, the kernel's side: reading the magic line, the result
//! names still to bind as Rust variables, and completion of table names inside a magic cell.
//!
//! A magic cell never goes through evcxr: the engine sends its body to the process that runs cells
//! over the comm socket (`crate::comms`), which runs the query against its registered tables
//! (`mstic_core::magic`) and answers with the result table. When the magic line names the
//! result, the next Rust cell is preceded by a quiet
//! `let NAME: mstic::core::Frame = mstic::core::magic::result("NAME");` — which is why NAME must
//! be a plain Rust identifier (it is checked before anything runs; the body is never put into code).

/// The query languages of magic cells.
pub const LANGUAGES: &[&str] = &["sql", "kql"];

/// A magic cell, read from its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicCell {
    /// The query language (`sql` or `kql`).
    pub language: String,
    /// The name the result gets as a table and as a Rust variable.
    pub name: Option<String>,
    /// The query: the cell after its magic line.
    pub body: String,
}

/// Whether `code` is a magic cell (its first line starts with `%%`), whatever its magic line says.
pub fn is_magic(code: &str) -> bool {
    code.trim_start().starts_with("%%")
}

/// The `is_complete` status of a magic cell: a magic line alone still waits for its query.
pub fn completeness(code: &str) -> &'static str {
    let rest = code.trim_start();
    match rest.split_once('\n') {
        Some((_, body)) if !body.trim().is_empty() => "complete",
        _ => "incomplete",
    }
}

/// Reads a cell: `None` when it is Rust (it does not start with `%%`); otherwise the magic cell, or
/// the reason its magic line is wrong or its query is missing.
pub fn parse(code: &str) -> Option<Result<MagicCell, String>> {
    let code = code.trim_start_matches(|c: char| c == '\n' || c == '\r' || c == ' ' || c == '\t');
    let rest = code.strip_prefix("%%")?;
    let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut words = line.split_whitespace();
    let language = words.next().unwrap_or("");
    if !LANGUAGES.contains(&language) {
        let known: Vec<String> = LANGUAGES.iter().map(|l| format!("%%{l}")).collect();
        return Some(Err(format!("unknown cell magic %%{language}: this kernel knows {}", known.join(" and "))));
    }
    let options: Vec<&str> = words.collect();
    let name = match options.as_slice() {
        [] => None,
        [name] if !name.starts_with('-') => {
            if let Err(why) = check_identifier(name) {
                return Some(Err(why));
            }
            Some(name.to_string())
        }
        _ => {
            return Some(Err(format!(
                "%%{language} takes only an optional result name: %%{language} [NAME] (got {:?})",
                options.join(" ")
            )));
        }
    };
    if body.trim().is_empty() {
        return Some(Err("the cell has no query: write it on the lines after the magic line".to_string()));
    }
    Some(Ok(MagicCell { language: language.to_string(), name, body: body.to_string() }))
}

/// Rust's keywords (strict and reserved), which cannot name a variable.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static",
    "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
    "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Checks that `name` is a plain (ASCII) Rust identifier that can name a variable.
pub fn check_identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let valid = starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && name != "_" && !KEYWORDS.contains(&name);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} cannot name the result: it becomes a Rust variable, so use a Rust identifier \
             (ASCII letters, digits and _, not starting with a digit, not a keyword), e.g. counts"
        ))
    }
}

/// Result names of magic cells not yet bound as Rust variables (bound before the next Rust cell).
#[derive(Debug, Default)]
pub struct PendingBindings {
    names: Vec<String>,
}

impl PendingBindings {
    /// Adds `name` (a checked identifier); a later magic of the same name replaces the earlier one.
    pub fn add(&mut self, name: &str) {
        self.names.retain(|n| n != name);
        self.names.push(name.to_string());
    }

    /// The names waiting, oldest first.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Forgets every name (after binding them, or when the process holding the results ended).
    pub fn clear(&mut self) {
        self.names.clear();
    }

    /// The Rust code that binds every waiting name, or `None` when none waits.
    pub fn code(&self) -> Option<String> {
        if self.names.is_empty() {
            return None;
        }
        let lines: Vec<String> = self
            .names
            .iter()
            .filter(|name| check_identifier(name).is_ok())
            .map(|name| format!("let {name}: mstic::core::Frame = mstic::core::magic::result(\"{name}\");"))
            .collect();
        Some(lines.join("\n"))
    }
}

/// Completion inside a magic cell: the table names starting with the word before the cursor
/// (case-insensitive), with the word's byte range. Nothing on the magic line itself.
pub fn complete(code: &str, pos: usize, tables: &[String]) -> (Vec<String>, usize, usize) {
    let pos = pos.min(code.len());
    let before = code.get(..pos).unwrap_or("");
    let leading = code.len() - code.trim_start().len();
    if !before.get(leading..).unwrap_or("").contains('\n') {
        // On the magic line itself.
        return (Vec::new(), pos, pos);
    }
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = before[start..].to_lowercase();
    let matches = tables.iter().filter(|t| t.to_lowercase().starts_with(&word)).cloned().collect();
    (matches, start, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(language: &str, name: Option<&str>, body: &str) -> Option<Result<MagicCell, String>> {
        Some(Ok(MagicCell { language: language.into(), name: name.map(str::to_string), body: body.into() }))
    }

    #[test]
    fn magic_lines_are_read() {
        assert_eq!(parse("let x = 1;"), None);
        assert_eq!(parse("// %%sql\nlet x = 1;"), None);
        assert_eq!(parse("%%sql\nselect 1"), cell("sql", None, "select 1"));
        assert_eq!(parse("\n%%sql counts  \nselect a,\n  count(*) from t group by a\n"), cell("sql", Some("counts"), "select a,\n  count(*) from t group by a\n"));
        assert_eq!(parse("%%kql recent\nT | take 5"), cell("kql", Some("recent"), "T | take 5"));
        assert_eq!(parse("%%sql\r\nselect 1"), cell("sql", None, "select 1"));
    }

    #[test]
    fn wrong_magic_lines_and_empty_queries_are_errors() {
        let error = |code: &str| parse(code).expect("a magic cell").expect_err("an error");
        assert!(error("%%sql").starts_with("the cell has no query"));
        assert!(error("%%sql counts\n   \n").starts_with("the cell has no query"));
        assert!(error("%%sql --limit 5\nselect 1").contains("%%sql [NAME]"));
        assert!(error("%%sql a b\nselect 1").contains("%%sql [NAME]"));
        assert!(error("%%python\nprint(1)").contains("unknown cell magic %%python"));
        assert!(error("%%\nselect 1").contains("%%sql and %%kql"));
        for bad in ["1counts", "counts-by-host", "fn", "_", "größe", "a\"b", "r#x", "x);std::process::exit(1);let_y"] {
            let message = error(&format!("%%sql {bad}\nselect 1"));
            assert!(message.contains("Rust identifier"), "{bad}: {message}");
        }
        for good in ["counts", "_tmp", "Counts2", "by_host"] {
            assert!(check_identifier(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn pending_bindings_are_typed_lets_replaced_by_name() {
        let mut pending = PendingBindings::default();
        assert_eq!(pending.code(), None);
        pending.add("counts");
        pending.add("hosts");
        pending.add("counts");
        assert_eq!(pending.names(), ["hosts", "counts"]);
        assert_eq!(
            pending.code().unwrap(),
            "let hosts: mstic::core::Frame = mstic::core::magic::result(\"hosts\");\n\
             let counts: mstic::core::Frame = mstic::core::magic::result(\"counts\");"
        );
        pending.clear();
        assert_eq!(pending.code(), None);
    }

    #[test]
    fn magic_cells_are_recognised_for_is_complete() {
        assert!(is_magic("  %%sql\nselect 1") && !is_magic("let x = \"%%sql\";"));
        assert_eq!(completeness("%%sql counts"), "incomplete");
        assert_eq!(completeness("%%sql\n  "), "incomplete");
        assert_eq!(completeness("%%sql\nselect 1"), "complete");
    }

    #[test]
    fn completion_offers_table_names_in_the_query_only() {
        let tables = vec!["logons".to_string(), "LogonCounts".to_string(), "hosts".to_string()];
        let code = "%%sql counts\nselect * from lo";
        let (matches, start, end) = complete(code, code.len(), &tables);
        assert_eq!(matches, vec!["logons".to_string(), "LogonCounts".to_string()]);
        assert_eq!((start, end), (code.len() - 2, code.len()));
        let (matches, ..) = complete("%%sql lo", 8, &tables);
        assert!(matches.is_empty(), "the magic line is not a query");
        let code = "%%sql\nselect * from ";
        assert_eq!(complete(code, code.len(), &tables).0.len(), 3);
    }
}
