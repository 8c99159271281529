//! `history_request`: this kernel's executed cells, by tail, range or glob search.

use serde_json::{Value, json};

/// Cells run with `store_history`, as (execution count, source), and their `text/plain` results.
#[derive(Default)]
pub struct History {
    cells: Vec<(u32, String)>,
    outputs: std::collections::HashMap<u32, String>,
}

/// The session number reported in history entries (one session per kernel process).
const SESSION: u32 = 1;

impl History {
    /// Records a cell.
    pub fn push(&mut self, count: u32, code: &str) {
        self.cells.push((count, code.to_string()));
    }

    /// Records the `text/plain` result of cell `count`.
    pub fn set_output(&mut self, count: u32, text: String) {
        self.outputs.insert(count, text);
    }

    /// Answers a history request's content with the reply content.
    pub fn reply(&self, request: &Value) -> Value {
        let n = request["n"].as_u64().map(|n| n as usize);
        let selected: Vec<&(u32, String)> = match request["hist_access_type"].as_str().unwrap_or("tail") {
            "range" => {
                let start = request["start"].as_i64().unwrap_or(0);
                let stop = request["stop"].as_i64();
                self.cells
                    .iter()
                    .filter(|(c, _)| i64::from(*c) >= start && stop.is_none_or(|s| i64::from(*c) < s))
                    .collect()
            }
            "search" => {
                let pattern = request["pattern"].as_str().unwrap_or("*");
                let unique = request["unique"].as_bool().unwrap_or(false);
                let mut found: Vec<&(u32, String)> = self.cells.iter().filter(|(_, s)| glob_match(pattern, s)).collect();
                if unique {
                    let mut seen = std::collections::HashSet::new();
                    let mut kept: Vec<&(u32, String)> =
                        found.iter().rev().filter(|(_, s)| seen.insert(s.clone())).copied().collect();
                    kept.reverse();
                    found = kept;
                }
                tail(found, n)
            }
            _ => tail(self.cells.iter().collect(), n.or(Some(10))),
        };
        let with_output = request["output"].as_bool().unwrap_or(false);
        let history: Vec<Value> = selected
            .into_iter()
            .map(|(c, s)| if with_output { json!([SESSION, c, [s, self.outputs.get(c)]]) } else { json!([SESSION, c, s]) })
            .collect();
        json!({"status": "ok", "history": history})
    }
}

fn tail<T>(items: Vec<T>, n: Option<usize>) -> Vec<T> {
    match n {
        Some(n) if items.len() > n => items.into_iter().rev().take(n).collect::<Vec<_>>().into_iter().rev().collect(),
        _ => items,
    }
}

/// Shell-style glob: `*` any run, `?` one character (as IPython's history search).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut h = History::default();
        h.push(1, "let a = 1;");
        h.push(2, "a + 1");
        h.push(3, "println!(\"hi\")");
        h
    }

    #[test]
    fn tail_returns_last_n() {
        let r = history().reply(&json!({"hist_access_type": "tail", "n": 2}));
        assert_eq!(r["history"], json!([[1, 2, "a + 1"], [1, 3, "println!(\"hi\")"]]));
    }

    #[test]
    fn outputs_are_paired_with_inputs() {
        let mut h = history();
        h.set_output(2, "2".into());
        let r = h.reply(&json!({"hist_access_type": "tail", "n": 2, "output": true}));
        assert_eq!(r["history"], json!([[1, 2, ["a + 1", "2"]], [1, 3, ["println!(\"hi\")", null]]]));
    }

    #[test]
    fn range_is_half_open() {
        let r = history().reply(&json!({"hist_access_type": "range", "start": 1, "stop": 3}));
        assert_eq!(r["history"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn search_uses_globs() {
        let r = history().reply(&json!({"hist_access_type": "search", "pattern": "a*"}));
        assert_eq!(r["history"], json!([[1, 2, "a + 1"]]));
        assert!(glob_match("*print*", "println!(1)"));
        assert!(!glob_match("x?", "x"));
        assert!(glob_match("6 *", "6 * 7"), "a star in the pattern is a wildcard even where the text has one");
    }
}
