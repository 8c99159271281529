//! Compile progress in the notebook. evcxr copies cargo's `Compiling <crate>` lines to the kernel
//! process' own stderr (the server log); this module taps fd 2, keeps copying everything to the log,
//! and shows those lines in the running cell as one output updated in place (`update_display_data`).

use crate::iopub::Iopub;
use crate::wire::Message;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex};
use std::time::Instant;

struct Active {
    parent: Message,
    display_id: String,
    crates: usize,
    started: Instant,
    shown: bool,
}

/// Shared progress sink: the cell being compiled, if any.
#[derive(Clone, Default)]
pub struct Progress {
    active: Arc<Mutex<Option<Active>>>,
    iopub: Arc<Mutex<Option<Iopub>>>,
    /// Where the tapped stderr lines go (the original stderr: the server log).
    log: Arc<Mutex<Option<std::fs::File>>>,
}

impl Progress {
    /// Redirects this process' stderr through the progress tap (kernel mode only).
    pub fn tap_stderr(&self) {
        let mut fds = [0; 2];
        let original = unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return;
            }
            let original = libc::dup(2);
            if original < 0 || libc::dup2(fds[1], 2) < 0 {
                return;
            }
            libc::close(fds[1]);
            original
        };
        let reader = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        *self.log.lock().unwrap() = Some(unsafe { std::fs::File::from_raw_fd(original) });
        let this = self.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if let Some(log) = this.log.lock().unwrap().as_mut() {
                    let _ = writeln!(log, "{line}");
                }
                if let Some(name) = line.trim_start().strip_prefix("Compiling ") {
                    this.compiling(name.split_whitespace().next().unwrap_or(name));
                }
            }
        });
    }

    /// Sends the log lines to `log` from now on (an adopted standby's log goes to its supervisor).
    pub fn redirect_log(&self, log: std::fs::File) {
        *self.log.lock().unwrap() = Some(log);
    }

    /// Sets where progress is published.
    pub fn set_iopub(&self, iopub: Iopub) {
        *self.iopub.lock().unwrap() = Some(iopub);
    }

    /// A cell starts (or waits for the kernel to load): progress goes to it.
    pub fn begin(&self, parent: &Message) {
        *self.active.lock().unwrap() = Some(Active {
            parent: parent.clone(),
            display_id: format!("mstic-compile-{}", uuid::Uuid::new_v4()),
            crates: 0,
            started: Instant::now(),
            shown: false,
        });
    }

    /// The cell's compile is over: a shown progress line gets its final text.
    pub fn end(&self) {
        let Some(active) = self.active.lock().unwrap().take() else { return };
        if active.shown {
            let text = format!("Compiled {} crate(s) in {:.1} s", active.crates, active.started.elapsed().as_secs_f64());
            self.send(&active, "update_display_data", &text);
        }
    }

    fn compiling(&self, name: &str) {
        let mut guard = self.active.lock().unwrap();
        let Some(active) = guard.as_mut() else { return };
        active.crates += 1;
        let text = format!(
            "Compiling {name} ({} crate(s) so far, {:.0} s)…",
            active.crates,
            active.started.elapsed().as_secs_f64()
        );
        let kind = if active.shown { "update_display_data" } else { "display_data" };
        active.shown = true;
        self.send(active, kind, &text);
    }

    fn send(&self, active: &Active, kind: &str, text: &str) {
        if let Some(iopub) = self.iopub.lock().unwrap().as_ref() {
            let content = json!({
                "data": {"text/plain": text},
                "metadata": {},
                "transient": {"display_id": active.display_id},
            });
            iopub.publish(Some(&active.parent), kind, content);
        }
    }
}
