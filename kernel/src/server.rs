//! The five sockets and request dispatch: heartbeat echo, IOPub, shell and control (ROUTER, with
//! busy/idle around every request), stdin. Requests with a bad signature are dropped and logged.
//! Comm messages go to the comm registry (`crate::comms`). Completion, inspection and
//! `is_complete` of magic cells (`%%sql`, `%%kql`) are answered here, never by rust-analyzer.

use crate::comms::{Comms, Listener};
use crate::connection::ConnectionInfo;
use crate::engine::{EngineHandle, Job};
use crate::history::History;
use crate::iopub::{self, Iopub};
use crate::is_complete::{self, Completeness};
use crate::progress::Progress;
use crate::wire::{Message, Session};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{Mutex, oneshot};
use zeromq::{RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// Everything the request handlers share.
pub struct Kernel {
    session: Session,
    iopub: Iopub,
    engine: EngineHandle,
    progress: Progress,
    comms: Comms,
    history: Mutex<History>,
    count: Mutex<u32>,
    rustc_version: String,
    on_shutdown: Box<dyn Fn() + Send + Sync>,
}

/// A kernel whose engine is starting (or started) but whose sockets are not bound yet.
pub struct Booted {
    session: Session,
    iopub: Iopub,
    iopub_socket: iopub::Unbound,
    stdin_socket: crate::stdin::Unbound,
    /// The engine: cells, completions and hovers.
    pub engine: EngineHandle,
    progress: Progress,
    comms: Comms,
}

/// Starts the engine (scratch directory, evcxr, preload) before any socket exists.
pub fn boot(progress: Progress, preload: crate::engine::Preload, prepare: crate::engine::Prepare, comm_listener: Option<Listener>) -> Booted {
    let session = Session::new("");
    let (iopub, iopub_socket) = iopub::channel(session.clone());
    progress.set_iopub(iopub.clone());
    let comms = Comms::new(iopub.clone());
    if let Some(listener) = comm_listener {
        comms.accept(listener);
    }
    let (stdin, stdin_socket) = crate::stdin::channel(session.clone());
    let engine = crate::engine::start(iopub.clone(), stdin, progress.clone(), preload, comms.clone(), prepare);
    Booted { session, iopub, iopub_socket, stdin_socket, engine, progress, comms }
}

/// Binds all sockets of `info` and serves until a shutdown request.
pub async fn serve(booted: Booted, info: ConnectionInfo, on_shutdown: Box<dyn Fn() + Send + Sync>) -> anyhow::Result<()> {
    let Booted { session, iopub, iopub_socket, stdin_socket, engine, progress, comms } = booted;
    session.set_key(&info.key);
    iopub_socket.bind(&info.endpoint(info.iopub_port)).await?;
    stdin_socket.bind(&info.endpoint(info.stdin_port)).await?;
    let kernel = Arc::new(Kernel {
        session,
        iopub,
        engine,
        progress,
        comms,
        history: Mutex::new(History::default()),
        count: Mutex::new(0),
        rustc_version: rustc_version(),
        on_shutdown,
    });

    let mut hb = RouterSocket::new();
    hb.bind(&info.endpoint(info.hb_port)).await?;
    tokio::spawn(async move { serve_heartbeat(hb).await });

    let mut control = RouterSocket::new();
    control.bind(&info.endpoint(info.control_port)).await?;
    let mut shell = RouterSocket::new();
    shell.bind(&info.endpoint(info.shell_port)).await?;
    kernel.iopub.status(None, "starting");

    let control_kernel = kernel.clone();
    tokio::spawn(async move { serve_router(control, control_kernel, "control").await });
    serve_router(shell, kernel, "shell").await;
    Ok(())
}

/// Echoes heartbeat pings for as long as the kernel runs. The socket is a ROUTER, not a REP:
/// each message comes with its sender's identity and goes back to that sender as it came, so a
/// peer that sends a malformed message (a single frame without an envelope wedges a REP socket)
/// or drops its connection (jupyter_client recreates its heartbeat socket after a missed beat)
/// cannot stop the heartbeat of the others.
async fn serve_heartbeat(mut hb: RouterSocket) {
    loop {
        match hb.recv().await {
            Ok(ping) => {
                if let Err(e) = hb.send(ping).await {
                    eprintln!("rust-mstic: heartbeat send failed: {e}");
                }
            }
            // The socket itself has closed: nothing more will arrive.
            Err(zeromq::ZmqError::NoMessage) => break,
            Err(e) => eprintln!("rust-mstic: heartbeat receive failed: {e}"),
        }
    }
}

async fn serve_router(mut socket: RouterSocket, kernel: Arc<Kernel>, channel: &'static str) {
    loop {
        let frames = match socket.recv().await {
            Ok(frames) => frames.into_vec(),
            Err(e) => {
                eprintln!("rust-mstic: {channel} receive failed: {e}");
                continue;
            }
        };
        let request = match kernel.session.decode(frames) {
            Ok(request) => request,
            Err(e) => {
                eprintln!("rust-mstic: dropped a {channel} message: {e}");
                continue;
            }
        };
        kernel.iopub.status(Some(&request), "busy");
        let replies = kernel.handle(&request, channel).await;
        for reply in replies {
            if let Ok(frames) = ZmqMessage::try_from(kernel.session.encode(&reply))
                && let Err(e) = socket.send(frames).await
            {
                eprintln!("rust-mstic: {channel} send failed: {e}");
            }
        }
        kernel.iopub.status(Some(&request), "idle");
        if request.msg_type() == "shutdown_request" {
            // Let the reply and the idle status leave before the process ends.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            (kernel.on_shutdown)();
        }
    }
}

impl Kernel {
    async fn handle(&self, request: &Message, channel: &str) -> Vec<Message> {
        let content = &request.content;
        let reply = |msg_type: &str, content: Value| vec![self.session.reply(request, msg_type, content)];
        match request.msg_type() {
            "kernel_info_request" => reply("kernel_info_reply", self.kernel_info()),
            "execute_request" if channel == "shell" => {
                self.comms.set_parent(request);
                self.execute(request).await
            }
            "complete_request" => {
                let code = content["code"].as_str().unwrap_or("").to_string();
                let cursor = content["cursor_pos"].as_u64().unwrap_or(code.chars().count() as u64) as usize;
                let pos = byte_offset(&code, cursor);
                if crate::magic::is_magic(&code) {
                    // A query, not Rust: table names, never rust-analyzer.
                    let tables = self.comms.table_names(self.engine.child_pid());
                    let (matches, start, end) = crate::magic::complete(&code, pos, &tables);
                    let (start, end) = (char_offset(&code, start), char_offset(&code, end));
                    return reply("complete_reply", json!({"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": {}}));
                }
                if !self.engine.ready.load(Ordering::SeqCst) {
                    return reply("complete_reply", json!({"status": "ok", "matches": [], "cursor_start": cursor, "cursor_end": cursor, "metadata": {}}));
                }
                let (tx, rx) = oneshot::channel();
                let _ = tokio::task::block_in_place(|| self.engine.send(Job::Complete { code: code.clone(), pos, reply: tx }));
                let mut answer = rx.await.unwrap_or_else(|_| json!({"status": "ok", "matches": []}));
                for key in ["cursor_start", "cursor_end"] {
                    let byte = answer[key].as_u64().unwrap_or(pos as u64) as usize;
                    answer[key] = json!(char_offset(&code, byte));
                }
                reply("complete_reply", answer)
            }
            "inspect_request" => {
                let code = content["code"].as_str().unwrap_or("").to_string();
                let cursor = content["cursor_pos"].as_u64().unwrap_or(0) as usize;
                if !self.engine.ready.load(Ordering::SeqCst) || crate::magic::is_magic(&code) {
                    return reply("inspect_reply", json!({"status": "ok", "found": false, "data": {}, "metadata": {}}));
                }
                let (tx, rx) = oneshot::channel();
                let pos = byte_offset(&code, cursor);
                let _ = tokio::task::block_in_place(|| self.engine.send(Job::Inspect { code, pos, reply: tx }));
                let answer = rx.await.unwrap_or_else(|_| json!({"status": "ok", "found": false, "data": {}, "metadata": {}}));
                reply("inspect_reply", answer)
            }
            "is_complete_request" if crate::magic::is_magic(content["code"].as_str().unwrap_or("")) => {
                let status = crate::magic::completeness(content["code"].as_str().unwrap_or(""));
                let answer = if status == "complete" { json!({"status": status}) } else { json!({"status": status, "indent": ""}) };
                reply("is_complete_reply", answer)
            }
            "is_complete_request" => {
                let answer = match is_complete::check(content["code"].as_str().unwrap_or("")) {
                    Completeness::Complete => json!({"status": "complete"}),
                    Completeness::Incomplete(indent) => json!({"status": "incomplete", "indent": indent}),
                    Completeness::Invalid => json!({"status": "invalid"}),
                };
                reply("is_complete_reply", answer)
            }
            "history_request" => reply("history_reply", self.history.lock().await.reply(content)),
            "comm_info_request" => {
                let comms = self.comms.info(content["target_name"].as_str());
                reply("comm_info_reply", json!({"status": "ok", "comms": comms}))
            }
            "interrupt_request" => {
                // Answered once the cell has stopped (or has been stopped by ending its process).
                let engine = self.engine.clone();
                let outcome = tokio::task::spawn_blocking(move || engine.interrupt()).await;
                eprintln!("rust-mstic: interrupt: {outcome:?}");
                reply("interrupt_reply", json!({"status": "ok"}))
            }
            "shutdown_request" => {
                let restart = content["restart"].as_bool().unwrap_or(false);
                let answer = json!({"status": "ok", "restart": restart});
                self.iopub.publish(Some(request), "shutdown_reply", answer.clone());
                reply("shutdown_reply", answer)
            }
            // Comm messages have no reply; what the cell process answers goes out on IOPub.
            "comm_open" => {
                self.comms.open_from_frontend(request);
                vec![]
            }
            "comm_msg" => {
                self.comms.message_from_frontend(request);
                vec![]
            }
            "comm_close" => {
                self.comms.close_from_frontend(request);
                vec![]
            }
            other => {
                eprintln!("rust-mstic: ignoring unsupported {other} on {channel}");
                vec![]
            }
        }
    }

    fn kernel_info(&self) -> Value {
        json!({
            "status": "ok",
            "protocol_version": crate::wire::PROTOCOL_VERSION,
            "implementation": "rust-mstic",
            "implementation_version": env!("CARGO_PKG_VERSION"),
            "language_info": {
                "name": "rust",
                "version": self.rustc_version,
                "mimetype": "text/rust",
                "file_extension": ".rs",
                "pygments_lexer": "rust",
                "codemirror_mode": "rust",
            },
            "banner": format!("Rust MSTIC {} — Rust {} with `use mstic::prelude::*;` preloaded", env!("CARGO_PKG_VERSION"), self.rustc_version),
            "help_links": [
                {"text": "Rust standard library", "url": "https://doc.rust-lang.org/std/"},
                {"text": "evcxr commands (:help)", "url": "https://github.com/evcxr/evcxr/blob/main/COMMON.md"},
            ],
            "debugger": false,
        })
    }

    async fn execute(&self, request: &Message) -> Vec<Message> {
        let content = &request.content;
        let code = content["code"].as_str().unwrap_or("").to_string();
        let silent = content["silent"].as_bool().unwrap_or(false);
        let allow_stdin = content["allow_stdin"].as_bool().unwrap_or(false);
        let store_history = !silent && content["store_history"].as_bool().unwrap_or(true);
        let count = {
            let mut count = self.count.lock().await;
            if store_history {
                *count += 1;
            }
            *count
        };
        if store_history {
            self.history.lock().await.push(count, &code);
        }
        if !silent {
            self.iopub.publish(Some(request), "execute_input", json!({"code": code, "execution_count": count}));
        }
        let outcome = if code.trim().is_empty() {
            None
        } else {
            if !self.engine.ready.load(Ordering::SeqCst) && !silent {
                self.progress.begin(request);
                let note = "Rust MSTIC is still loading the mstic crates; this cell runs when that is done.\n";
                self.iopub.publish(Some(request), "stream", json!({"name": "stderr", "text": note}));
            }
            let (tx, rx) = oneshot::channel();
            // `send` may wait for an engine that is restarting after a fault.
            let job = Job::Execute { code, parent: request.clone(), silent, allow_stdin, count, reply: tx };
            let sent = tokio::task::block_in_place(|| self.engine.send(job));
            // A dropped reply means the engine stopped on a fault (it restarts itself): the cell
            // failed, and says so, rather than reading as a success without output.
            let outcome = if sent { rx.await.ok() } else { None };
            // What the cell sent on its comms goes out before its reply.
            tokio::task::block_in_place(|| self.comms.settle(std::time::Duration::from_millis(500)));
            Some(outcome.unwrap_or_else(|| engine_stopped(&self.iopub, request, silent)))
        };
        if store_history
            && let Some(text) = outcome.as_ref().and_then(|o| o.result_text.clone())
        {
            self.history.lock().await.set_output(count, text);
        }
        let mut reply = match outcome.as_ref().and_then(|o| o.error.as_ref()) {
            Some(e) => json!({"status": "error", "execution_count": count, "ename": e.ename, "evalue": e.evalue, "traceback": e.traceback}),
            None => json!({"status": "ok", "execution_count": count, "user_expressions": {}}),
        };
        let pages: Vec<Value> = outcome
            .map(|o| o.pages)
            .unwrap_or_default()
            .into_iter()
            .map(|text| json!({"source": "page", "data": {"text/plain": text}, "start": 0}))
            .collect();
        reply["payload"] = json!(pages);
        vec![self.session.reply(request, "execute_reply", reply)]
    }
}

/// The outcome of a cell whose engine stopped before answering (the engine restarts itself).
fn engine_stopped(iopub: &Iopub, request: &Message, silent: bool) -> crate::engine::ExecOutcome {
    let error = crate::errors::CellError::plain(
        "KernelError",
        "the engine that runs cells stopped unexpectedly and is restarting; variables of earlier cells were lost. \
         Run the cell again in a moment (or restart the kernel).",
    );
    if !silent {
        iopub.publish(Some(request), "error", json!({"ename": error.ename, "evalue": error.evalue, "traceback": error.traceback}));
    }
    crate::engine::ExecOutcome { error: Some(error), pages: Vec::new(), result_text: None }
}

/// Converts a cursor position in Unicode code points (the protocol's unit) to a byte offset.
fn byte_offset(code: &str, chars: usize) -> usize {
    code.char_indices().nth(chars).map(|(b, _)| b).unwrap_or(code.len())
}

/// Converts a byte offset back to code points.
fn char_offset(code: &str, byte: usize) -> usize {
    match code.get(..byte.min(code.len())) {
        Some(prefix) => prefix.chars().count(),
        None => code.chars().count(),
    }
}

/// `rustc --version`'s version number (e.g. `1.95.0`).
pub fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
