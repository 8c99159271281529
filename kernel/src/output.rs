//! Turns the running cell's stdout/stderr lines (from evcxr) into IOPub messages: `stream` text
//! (partial lines included), and the library's `MSTIC_MESSAGE` lines into `display_data`,
//! `update_display_data`, `clear_output` and pager payloads.

use crate::iopub::Iopub;
use crate::relay::{PARTIAL_MARKER, QUESTION_MARK_MARKER, SYNC_MARKER};
use crate::wire::Message;
use crossbeam_channel::{Receiver, Sender, select};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MESSAGE_MARKER: &str = "MSTIC_MESSAGE ";
/// Line the kernel's panic hook (installed in the runtime child) writes to stderr, followed by the
/// panic message as hex-encoded UTF-8.
pub const PANIC_MARKER: &str = "MSTIC_PANIC ";

/// State shared between the output pump and the cell executor.
#[derive(Default)]
pub struct OutputShared {
    parent: Mutex<Option<Message>>,
    pages: Mutex<Vec<String>>,
    panic: Mutex<Option<String>>,
    question_mark: Mutex<Option<String>>,
    syncs: AtomicU64,
    silent: std::sync::atomic::AtomicBool,
}

/// Handle to the pump thread.
#[derive(Clone)]
pub struct OutputPump {
    shared: Arc<OutputShared>,
    flush_tx: Sender<Sender<()>>,
}

impl OutputPump {
    /// Starts pumping `stdout`/`stderr` lines of the evcxr child to IOPub.
    pub fn start(iopub: Iopub, stdout: Receiver<String>, stderr: Receiver<String>) -> Self {
        let shared = Arc::new(OutputShared::default());
        let (flush_tx, flush_rx) = crossbeam_channel::unbounded::<Sender<()>>();
        let worker = Pump {
            iopub,
            shared: shared.clone(),
            buffer: String::new(),
            buffer_name: "stdout",
            stderr_current: String::new(),
            last_stderr_line: String::new(),
        };
        std::thread::Builder::new()
            .name("output-pump".into())
            .spawn(move || worker.run(stdout, stderr, flush_rx))
            .expect("spawn output pump");
        Self { shared, flush_tx }
    }

    /// Starts a cell: output now belongs to `parent`.
    pub fn begin(&self, parent: &Message, silent: bool) {
        *self.shared.parent.lock().unwrap() = Some(parent.clone());
        self.shared.pages.lock().unwrap().clear();
        *self.shared.panic.lock().unwrap() = None;
        *self.shared.question_mark.lock().unwrap() = None;
        self.shared.silent.store(silent, Ordering::SeqCst);
    }

    /// Number of completed-cell sync markers seen so far.
    pub fn syncs(&self) -> u64 {
        self.shared.syncs.load(Ordering::SeqCst)
    }

    /// Waits (up to `timeout`) for a sync marker past `before`, then publishes everything buffered.
    pub fn finish(&self, before: u64, timeout: Duration) {
        let start = Instant::now();
        while self.syncs() <= before && start.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(2));
        }
        let (ack_tx, ack_rx) = crossbeam_channel::bounded(1);
        if self.flush_tx.send(ack_tx).is_ok() {
            let _ = ack_rx.recv_timeout(Duration::from_secs(2));
        }
    }

    /// Pager texts the cell asked for.
    pub fn take_pages(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.pages.lock().unwrap())
    }

    /// The panic message of the cell, if it panicked.
    pub fn take_panic(&self) -> Option<String> {
        self.shared.panic.lock().unwrap().take()
    }

    /// If the `?` operator stopped the cell: the error text it printed to stderr (its last line).
    pub fn take_question_mark(&self) -> Option<String> {
        self.shared.question_mark.lock().unwrap().take()
    }
}

struct Pump {
    iopub: Iopub,
    shared: Arc<OutputShared>,
    buffer: String,
    buffer_name: &'static str,
    /// The stderr line being received (partial pieces joined).
    stderr_current: String,
    /// The last non-empty complete stderr line.
    last_stderr_line: String,
}

impl Pump {
    fn run(mut self, stdout: Receiver<String>, stderr: Receiver<String>, flush: Receiver<Sender<()>>) {
        loop {
            select! {
                recv(stdout) -> line => match line {
                    Ok(line) => self.stdout_line(line),
                    Err(_) => return,
                },
                recv(stderr) -> line => match line {
                    Ok(line) => self.stderr_line(line),
                    Err(_) => return,
                },
                recv(flush) -> ack => {
                    while let Ok(line) = stdout.try_recv() { self.stdout_line(line); }
                    while let Ok(line) = stderr.try_recv() { self.stderr_line(line); }
                    self.flush();
                    if let Ok(ack) = ack { let _ = ack.send(()); }
                    continue;
                },
                default(Duration::from_millis(5)) => { self.flush(); continue; },
            }
            if stdout.is_empty() && stderr.is_empty() {
                self.flush();
            }
        }
    }

    fn stdout_line(&mut self, line: String) {
        if let Some(json) = line.strip_prefix(PARTIAL_MARKER) {
            let text: String = serde_json::from_str(json).unwrap_or_default();
            self.push("stdout", &text);
        } else if let Some(json) = line.strip_prefix(MESSAGE_MARKER) {
            self.flush();
            self.library_message(json);
        } else {
            self.push("stdout", &line);
            self.push("stdout", "\n");
        }
    }

    fn stderr_line(&mut self, line: String) {
        if line == SYNC_MARKER {
            self.shared.syncs.fetch_add(1, Ordering::SeqCst);
        } else if line == QUESTION_MARK_MARKER {
            let text = std::mem::take(&mut self.last_stderr_line);
            *self.shared.question_mark.lock().unwrap() = Some(text);
        } else if let Some(hex_text) = line.strip_prefix(PANIC_MARKER) {
            let bytes = hex::decode(hex_text.trim()).unwrap_or_else(|_| hex_text.as_bytes().to_vec());
            let message = String::from_utf8_lossy(&bytes).into_owned();
            *self.shared.panic.lock().unwrap() = Some(message);
        } else if let Some(json) = line.strip_prefix(PARTIAL_MARKER) {
            let text: String = serde_json::from_str(json).unwrap_or_default();
            self.stderr_current.push_str(&text);
            self.push("stderr", &text);
        } else {
            self.stderr_current.push_str(&line);
            let complete = std::mem::take(&mut self.stderr_current);
            if !complete.trim().is_empty() {
                self.last_stderr_line = complete;
            }
            self.push("stderr", &line);
            self.push("stderr", "\n");
        }
    }

    fn push(&mut self, name: &'static str, text: &str) {
        if name != self.buffer_name {
            self.flush();
            self.buffer_name = name;
        }
        self.buffer.push_str(text);
    }

    fn parent(&self) -> Option<Message> {
        self.shared.parent.lock().unwrap().clone()
    }

    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.buffer);
        if self.shared.silent.load(Ordering::SeqCst) {
            return;
        }
        let parent = self.parent();
        self.iopub.publish(parent.as_ref(), "stream", json!({"name": self.buffer_name, "text": text}));
    }

    fn library_message(&mut self, json: &str) {
        let Ok(message) = serde_json::from_str::<Value>(json) else {
            self.push("stdout", json);
            return;
        };
        let parent = self.parent();
        let data = message.get("data").cloned().unwrap_or_else(|| json!({}));
        let metadata = message.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let transient = match message.get("display_id").and_then(Value::as_str) {
            Some(id) => json!({"display_id": id}),
            None => json!({}),
        };
        let content = json!({"data": data, "metadata": metadata, "transient": transient});
        match message["kind"].as_str() {
            Some("display") => self.iopub.publish(parent.as_ref(), "display_data", content),
            Some("update") => self.iopub.publish(parent.as_ref(), "update_display_data", content),
            Some("clear") => {
                let wait = message["wait"].as_bool().unwrap_or(false);
                self.iopub.publish(parent.as_ref(), "clear_output", json!({"wait": wait}));
            }
            Some("page") => {
                let text = message["text"].as_str().unwrap_or_default().to_string();
                self.shared.pages.lock().unwrap().push(text);
            }
            _ => self.push("stdout", &format!("{MESSAGE_MARKER}{json}\n")),
        }
    }
}
