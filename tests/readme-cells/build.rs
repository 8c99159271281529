//! Writes `$OUT_DIR/readme_cells.rs`: one function per ```` ```rust ```` block of the README, whose
//! body is the block's cells in order (a cell is a run of lines between blank lines, as the README
//! writes them). A cell's last expression, which the notebook would display, becomes a statement.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let readme = manifest.join("../../README.md");
    println!("cargo:rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme).unwrap_or_else(|e| panic!("{}: {e}", readme.display()));
    let mut out = String::new();
    let mut names = Vec::new();
    for (line_number, block) in rust_blocks(&text) {
        names.push(format!("readme_block_at_line_{line_number}"));
        writeln!(out, "/// The README's Rust block at line {line_number}.").unwrap();
        writeln!(out, "#[allow(unused, unused_mut, unused_must_use, unreachable_code, clippy::all)]").unwrap();
        writeln!(out, "pub fn readme_block_at_line_{line_number}() -> mstic::prelude::Result<()> {{").unwrap();
        writeln!(out, "    use mstic::prelude::*;").unwrap();
        for cell in block.split("\n\n").filter(|c| !c.trim().is_empty()) {
            writeln!(out, "    // cell").unwrap();
            out.push_str(&as_statements(cell));
        }
        writeln!(out, "    Ok(())\n}}\n").unwrap();
    }
    writeln!(out, "/// Every README block's function.").unwrap();
    writeln!(out, "pub const README_BLOCKS: &[fn() -> mstic::prelude::Result<()>] = &[{}];", names.join(", ")).unwrap();
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("readme_cells.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
}

/// The ```` ```rust ```` blocks of a Markdown text, each with the line its code starts on.
fn rust_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        match current.as_mut() {
            None if line.trim_start().starts_with("```rust") => current = Some((index + 2, String::new())),
            None => {}
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}

/// A cell's lines with its final expression (a code line not ending in `;`, `{` or `}`) turned into
/// a statement. Cells keep their variables for the next cells, as in the notebook.
fn as_statements(cell: &str) -> String {
    let lines: Vec<&str> = cell.lines().collect();
    let last_code = lines.iter().rposition(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"));
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        if Some(index) == last_code {
            let (code, comment) = split_comment(line);
            let code = code.trim_end();
            let ends_statement = code.ends_with(';') || code.ends_with('}') || code.ends_with('{');
            let _ = writeln!(out, "        {code}{}{comment}", if ends_statement { "" } else { ";" });
        } else {
            let _ = writeln!(out, "        {line}");
        }
    }
    out
}

/// A code line and its trailing `// comment` (outside string literals).
fn split_comment(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if in_string => index += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(index + 1) == Some(&b'/') => return line.split_at(index),
            _ => {}
        }
        index += 1;
    }
    (line, "")
}
