//! `is_complete_request`: is a cell ready to run? Open brackets, strings or block comments mean
//! `incomplete`; a closing bracket without its opener means `invalid`.

/// The answer to an is_complete request.
#[derive(Debug, PartialEq, Eq)]
pub enum Completeness {
    /// Ready to run.
    Complete,
    /// Needs more lines; carries the indent for the next line.
    Incomplete(String),
    /// Can never become valid by adding lines.
    Invalid,
}

/// Scans Rust source for unbalanced brackets, strings and comments.
pub fn check(code: &str) -> Completeness {
    let chars: Vec<char> = code.chars().collect();
    let mut stack: Vec<char> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 1;
                i += 2;
                while i < chars.len() && depth > 0 {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 1;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                if depth > 0 {
                    return Completeness::Incomplete(String::new());
                }
                continue;
            }
            'r' if (next == Some('#') || next == Some('"')) && !prev_is_ident(&chars, i) => {
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) == Some(&'"') {
                    let closing: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                    let rest: String = chars[j + 1..].iter().collect();
                    match rest.find(&closing) {
                        Some(end) => {
                            i = j + 1 + rest[..end].chars().count() + closing.chars().count();
                            continue;
                        }
                        None => return Completeness::Incomplete(String::new()),
                    }
                }
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Completeness::Incomplete(String::new());
                }
            }
            '\'' => {
                // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
                if next == Some('\\') {
                    let mut j = i + 2;
                    while j < chars.len() && chars[j] != '\'' {
                        j += 1;
                    }
                    i = j;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 2;
                }
            }
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let expected = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(expected) {
                    return Completeness::Invalid;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if stack.is_empty() { Completeness::Complete } else { Completeness::Incomplete("    ".repeat(stack.len())) }
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_code_is_complete() {
        assert_eq!(check("let x = vec![1, 2];\nfn f() -> u8 { 1 }"), Completeness::Complete);
        assert_eq!(check("let s = \"(\"; let c = '{'; let r = r#\"}\"#;"), Completeness::Complete);
        assert_eq!(check("fn f<'a>(x: &'a str) -> &'a str { x } // )"), Completeness::Complete);
    }

    #[test]
    fn open_brackets_and_strings_are_incomplete() {
        assert_eq!(check("fn f() {"), Completeness::Incomplete("    ".into()));
        assert_eq!(check("let s = \"abc"), Completeness::Incomplete(String::new()));
        assert_eq!(check("/* comment"), Completeness::Incomplete(String::new()));
        assert_eq!(check("let v = vec![(1,"), Completeness::Incomplete("        ".into()));
    }

    #[test]
    fn stray_closers_are_invalid() {
        assert_eq!(check("let x = 1; }"), Completeness::Invalid);
        assert_eq!(check("let v = [1, 2);"), Completeness::Invalid);
    }
}
