//! Code the kernel adds to the cells' world: the preload cell (facade, prelude, display shortcut)
//! and the support block run in every new runtime child.

/// Code run once in every new runtime child: reports panics to the kernel as one structured line,
/// takes over an adopting kernel's directory and environment (standby engines, see `standby`),
/// and flushes the cells' buffered stdout (so `print!` without a newline shows up) every 20 ms and
/// whenever the stdio relay asks through the `MSTIC_FLUSH_FDS` pipes at the end of a cell.
pub const SUPPORT_CODE: &str = r#"{
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("panic").to_string();
        let hex: String = message.bytes().map(|b| format!("{b:02x}")).collect();
        eprintln!("MSTIC_PANIC {hex}");
    }));
    std::thread::spawn(|| loop {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let _ = std::io::Write::flush(&mut std::io::stdout());
    });
    if let Some(path) = std::env::var_os("MSTIC_STANDBY_ADOPT") {
        // A standby engine's process: take the adopting kernel's working directory and
        // environment from the file the kernel writes (cwd, then S key value / D key entries).
        std::thread::spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let Ok(data) = std::fs::read(&path) else { continue };
            let _ = std::fs::remove_file(&path);
            use std::os::unix::ffi::OsStrExt;
            let mut parts = data.split(|b| *b == 0).map(std::ffi::OsStr::from_bytes);
            if let Some(cwd) = parts.next() { let _ = std::env::set_current_dir(cwd); }
            while let Some(op) = parts.next() {
                match op.as_bytes() {
                    b"S" => if let (Some(k), Some(v)) = (parts.next(), parts.next()) { unsafe { std::env::set_var(k, v) } },
                    b"D" => if let Some(k) = parts.next() { unsafe { std::env::remove_var(k) } },
                    _ => break,
                }
            }
            break;
        });
    }
    let fds: Vec<i32> = std::env::var("MSTIC_FLUSH_FDS").unwrap_or_default()
        .split(' ').filter_map(|fd| fd.parse().ok()).collect();
    if let [request, ack] = fds[..] {
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            use std::os::fd::FromRawFd;
            let (mut request, mut ack) = unsafe { (std::fs::File::from_raw_fd(request), std::fs::File::from_raw_fd(ack)) };
            let mut byte = [1u8];
            let _ = ack.write_all(&byte);
            while request.read_exact(&mut byte).is_ok() {
                let _ = std::io::stdout().flush();
                let _ = ack.write_all(&byte);
            }
        });
    }
}"#;

/// Code run in every cell process once the `mstic` crates are loaded: it listens for the
/// kernel's stop request, so the library's long operations end with an `Interrupted` error and the
/// variables of earlier cells stay (see `crate::interrupt`), and connects to the kernel's comm
/// socket to answer `%%sql` and `%%kql` cells (see `crate::magic`).
pub const INTERRUPT_SUPPORT: &str =
    "{ if let Err(e) = mstic::core::interrupt::install() { eprintln!(\"rust-mstic: {e}\"); } mstic::kql::install_magic(); mstic::core::magic::listen(); }";

/// A statement using `?`, run with the preload. evcxr wraps cells in a function that returns a
/// `Result` only after a cell has failed to compile because of a `?`; its retry of that first cell
/// also shows the cell's final value through the `Debug` fallback, so a user's first
/// `Frame::read_csv(path)?.head(5)` would show plain text instead of a table. Meeting the first
/// `?` during the preload keeps users' cells out of that path.
pub const QUESTION_MARK_SUPPORT: &str = "Ok::<(), std::fmt::Error>(())?;";

/// The preload cell's commands: offline, optimisation level, the facade's shared-library package
/// as a path dependency named `mstic`, and its prelude. This part decides what the warm template
/// contains.
pub fn preload_header(facade: &std::path::Path, opt_level: &str) -> String {
    format!(":offline 1\n:opt {opt_level}\n{}use mstic::prelude::*;\n", facade_dependency(facade, ""))
}

/// The command that widens rust-analyzer's view of the crates (see `crate::analysis`): the facade's
/// dependency restated with a key that changes nothing (`default-features = true` is cargo's
/// default), so the manifest's text changes and rust-analyzer loads the crate graph again.
pub fn widen_command(facade: &std::path::Path) -> String {
    facade_dependency(facade, ", default-features = true")
}

/// The `:dep` line of the facade's shared-library package as `mstic`, with `extra` keys.
fn facade_dependency(facade: &std::path::Path, extra: &str) -> String {
    format!(":dep mstic = {{ path = {:?}, package = \"mstic-dylib\"{extra} }}\n", facade.display().to_string())
}

/// A small cell whose completion makes rust-analyzer load the standard library and the preloaded
/// crates, and infer what first cells typically hold — arithmetic, strings, a `Frame` built and
/// unwrapped (see `Engine::warm_analyzer`).
pub const ANALYZER_WARMUP: &str = "let mstic_warmup_count = 40 + 2;\n\
    let mstic_warmup_text = format!(\"{mstic_warmup_count}\").to_string();\n\
    let mstic_warmup_frame = Frame::from_string_rows(&[\"host\"], &[vec![Some(\"ws01\")]]).unwrap();\n\
    let mstic_warmup_rows = mstic_warmup_frame.len() + mstic_warmup_text.len();\n\
    mstic_warmup_frame.";

/// A cell whose final expression is a `loop` without `break` (type `!`): evcxr would call the
/// display method on it, which does not type-check once the display shortcut
/// (`mstic_core::plain_display`) is in scope, so the
/// loop becomes a statement (the cell runs the same; there is no value to show).
pub fn end_never_loop(code: &str) -> Option<String> {
    let body: Vec<&str> = code.lines().collect();
    let last = body.iter().rposition(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))?;
    let significant = body[..=last].join("\n");
    let trimmed = significant.trim_end();
    if !trimmed.ends_with('}') {
        return None;
    }
    let mut depth = 0i32;
    let mut open = None;
    for (i, c) in trimmed.char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' => {
                depth -= 1;
                if depth == 0 {
                    open = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    let head = trimmed[..open].trim_end();
    let statement_start = head.rfind([';', '}', '{']).map(|i| i + 1).unwrap_or(0);
    let keyword = head[statement_start..].trim();
    let is_loop = keyword == "loop" || keyword.strip_suffix("loop").is_some_and(|l| l.trim_end().ends_with(':') && l.trim_start().starts_with('\''));
    if !is_loop || trimmed[open..].contains("break") {
        return None;
    }
    Some(format!("{trimmed};{}", &code[significant.len()..]))
}

#[cfg(test)]
mod loop_tests {
    use super::end_never_loop;

    #[test]
    fn a_final_endless_loop_becomes_a_statement() {
        assert_eq!(end_never_loop("let a = 3;\nloop {}").as_deref(), Some("let a = 3;\nloop {};"));
        assert_eq!(end_never_loop("'outer: loop {\n  tick();\n}\n// done\n").as_deref(), Some("'outer: loop {\n  tick();\n};\n// done\n"));
        assert_eq!(end_never_loop("loop { break 5 }"), None);
        assert_eq!(end_never_loop("if x { loop {} } else { 1 }"), None);
        assert_eq!(end_never_loop("x + 1"), None);
        assert_eq!(end_never_loop("for i in 0..3 {}"), None);
    }
}
