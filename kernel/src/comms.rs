//! Jupyter comms (`comm_open`, `comm_msg`, `comm_close`, `comm_info`): the kernel owns the registry
//! of open comms and the wire; the code that uses them (widgets) runs in evcxr's cell process and
//! talks to the kernel over a Unix socket whose path is in `MSTIC_COMM_SOCKET`.
//!
//! On that socket each message is one line of JSON with an `op`:
//! - cell process → kernel: `open` / `msg` / `close` (`comm_id`, `target_name` for `open`, `data`,
//!   `metadata`, `buffers` as base64), published on IOPub; `register` (`target_name`): comms the
//!   front end opens on that target go to this process.
//! - kernel → cell process: `frontend` (`widget_manager`: whether a front end with a widget manager
//!   is connected, i.e. it has opened a `jupyter.widget.control` comm — JupyterLab and VS Code do
//!   when they connect, ask for the widgets' states and close it again), sent on connect and when
//!   it becomes true;
//!   `open` / `msg` / `close` from the front end.
//!
//! - both ways: `sync` (`id`): the cell process answers the kernel's `sync` with the same line,
//!   after everything it sent before; the kernel syncs when a cell ends, so a cell's comm messages
//!   reach the front end before its reply.
//!
//! Magic cells (`%%sql`, `%%kql`; see `crate::magic` and `mstic_core::magic`) use the same socket.
//! Every cell process connects at start (the support code calls `mstic::core::magic::listen()`):
//! - cell process → kernel: `magic_ready` (`pid`): this process answers magic requests (the kernel
//!   sends them to the connection whose pid is the engine's cell process); `tables` (`names`): the
//!   tables magic cells can query, for completion; `magic_result` (`id`, `ok`; then `data` (a
//!   MIME bundle), `rows` and `columns`, or `ename` and `evalue`).
//! - kernel → cell process: `magic` (`id`, `language`, `name` or null, `body`): run this query; the
//!   answer comes back as `magic_result` with the same `id`. If the process ends first, the waiting
//!   request gets an error answer from the kernel itself.
//!
//! The kernel answers the front end at once and never waits for the cell process: messages to it
//! are queued for a writer thread per connection. When the cell process ends (a restart after an
//! interrupt or a fault), its connection closes and the kernel closes its comms on the front end.
//! The widget-control comm belongs to the kernel until a cell process registers its target; until
//! then the kernel answers `request_states` itself (there are no widgets yet).

use crate::iopub::Iopub;
use crate::wire::Message;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};
use std::sync::{Arc, Mutex, MutexGuard};

/// The environment variable that gives the cell process the socket path.
pub const SOCKET_VARIABLE: &str = "MSTIC_COMM_SOCKET";
/// The target ipywidgets front ends open to learn the kernel's widgets (`request_states`).
pub const CONTROL_TARGET: &str = "jupyter.widget.control";
/// Longest line accepted from the cell process (a widget state with its buffers).
const MAX_LINE_BYTES: usize = 64 << 20;

/// Who handles a comm's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// A cell process connection.
    Connection(u64),
    /// The kernel itself (a control comm no cell process has claimed).
    Kernel,
}

#[derive(Debug)]
struct OpenComm {
    target: String,
    owner: Owner,
}

#[derive(Default)]
struct State {
    comms: HashMap<String, OpenComm>,
    /// Targets registered by cell processes, with the connection that handles them.
    targets: HashMap<String, u64>,
    /// Queues of the connected cell processes' writer threads.
    connections: HashMap<u64, Sender<String>>,
    next_connection: u64,
    /// The latest shell request: the parent of messages from the cell process.
    parent: Option<Message>,
    /// Syncs waiting for the cell process's answer, by id.
    syncs: HashMap<u64, std::sync::mpsc::Sender<()>>,
    next_sync: u64,
    /// A front end has opened a widget-control comm: it renders widgets. Stays set when that comm
    /// closes (front ends close it once they have the states).
    widget_manager: bool,
    /// Cell processes that answer magic requests: connection → process id.
    magic_processes: HashMap<u64, u32>,
    /// Magic requests waiting for their answer: request id → (connection, where the answer goes).
    magic_calls: HashMap<u64, (u64, Sender<Value>)>,
    next_magic: u64,
    /// The table names each cell process announced, by connection.
    tables: HashMap<u64, Vec<String>>,
}

impl State {
    fn widget_manager(&self) -> bool {
        self.widget_manager
    }

    fn send(&self, connection: u64, message: &Value) {
        if let Some(queue) = self.connections.get(&connection) {
            let _ = queue.send(message.to_string());
        }
    }

    fn broadcast_frontend(&self) {
        let note = json!({"op": "frontend", "widget_manager": self.widget_manager()});
        for connection in self.connections.keys() {
            self.send(*connection, &note);
        }
    }
}

/// The comm registry, shared by the shell handlers and the socket threads.
#[derive(Clone)]
pub struct Comms {
    state: Arc<Mutex<State>>,
    iopub: Iopub,
}

/// The socket a kernel process listens on for its cell processes, created before any thread so
/// that its path can go into the environment the cell process inherits.
pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
}

impl Listener {
    /// Creates a private socket for this process and returns it with its path (the caller puts
    /// the path in [`SOCKET_VARIABLE`]).
    pub fn bind() -> anyhow::Result<Listener> {
        let dir = socket_folder()?;
        remove_stale_sockets(&dir);
        let name = format!("comm-{}-{}.sock", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let path = dir.join(name);
        let listener = UnixListener::bind(&path).map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", path.display()))?;
        Ok(Listener { listener, path })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A folder private to this user (0700) for the sockets; under the cache folder unless that path
/// would be too long for a socket address, then under the temporary folder.
fn socket_folder() -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let preferred = crate::template::cache_root().join("run");
    // A socket path may hold 107 bytes; ours adds about 30 to the folder.
    let dir = if preferred.as_os_str().len() <= 70 {
        preferred
    } else {
        std::env::temp_dir().join(format!("rust-mstic-{}", unsafe { libc::getuid() }))
    };
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// Removes sockets of kernel processes that are gone.
fn remove_stale_sockets(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("comm-").and_then(|r| r.split('-').next()).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !crate::interrupt::signal(pid, 0) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Comms {
    /// A registry publishing on `iopub`; call [`Comms::accept`] to serve cell processes.
    pub fn new(iopub: Iopub) -> Comms {
        Comms { state: Arc::new(Mutex::new(State::default())), iopub }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Accepts cell process connections on `listener` from a thread of its own.
    pub fn accept(&self, listener: Listener) {
        let comms = self.clone();
        std::thread::Builder::new()
            .name("comm-accept".into())
            .spawn(move || {
                // Kept alive (and its file removed) for as long as the kernel accepts.
                let listener = listener;
                for stream in listener.listener.incoming() {
                    match stream {
                        Ok(stream) => comms.serve_connection(stream),
                        Err(e) => eprintln!("rust-mstic: comm socket accept failed: {e}"),
                    }
                }
            })
            .expect("spawning the comm accept thread");
    }

    /// Registers a cell process connection and starts its reader and writer threads.
    fn serve_connection(&self, stream: UnixStream) {
        let Ok(mut writer) = stream.try_clone() else { return };
        let (queue, outbox) = channel::<String>();
        let connection = {
            let mut state = self.lock();
            state.next_connection += 1;
            let id = state.next_connection;
            state.connections.insert(id, queue);
            state.send(id, &json!({"op": "frontend", "widget_manager": state.widget_manager()}));
            id
        };
        eprintln!("rust-mstic: cell process connected to the comm socket (connection {connection})");
        std::thread::spawn(move || {
            for line in outbox {
                if writer.write_all(line.as_bytes()).and_then(|_| writer.write_all(b"\n")).is_err() {
                    break;
                }
            }
        });
        let comms = self.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            loop {
                line.clear();
                match (&mut reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line.len() > MAX_LINE_BYTES => {
                        eprintln!("rust-mstic: dropped a comm message over {MAX_LINE_BYTES} bytes from the cell process");
                        // Skip the rest of the oversized line.
                        let mut rest = Vec::new();
                        if reader.read_until(b'\n', &mut rest).is_err() {
                            break;
                        }
                    }
                    Ok(_) => match serde_json::from_slice::<Value>(&line) {
                        Ok(message) => comms.from_cell_process(connection, &message),
                        Err(e) => eprintln!("rust-mstic: dropped a malformed comm message from the cell process: {e}"),
                    },
                }
            }
            comms.disconnected(connection);
        });
    }

    /// Handles one message from a cell process.
    fn from_cell_process(&self, connection: u64, message: &Value) {
        let op = message["op"].as_str().unwrap_or("");
        let comm_id = message["comm_id"].as_str().unwrap_or("").to_string();
        let mut state = self.lock();
        let parent = state.parent.clone();
        match op {
            "sync" => {
                if let Some(done) = message["id"].as_u64().and_then(|id| state.syncs.remove(&id)) {
                    let _ = done.send(());
                }
            }
            "magic_ready" => {
                if let Some(pid) = message["pid"].as_u64() {
                    state.magic_processes.insert(connection, pid as u32);
                }
            }
            "magic_result" => {
                if let Some((_, answer)) = message["id"].as_u64().and_then(|id| state.magic_calls.remove(&id)) {
                    let _ = answer.send(message.clone());
                } else {
                    eprintln!("rust-mstic: dropped the answer to a magic request nobody waits for");
                }
            }
            "tables" => {
                let names = message["names"].as_array().map(|names| names.iter().filter_map(|n| n.as_str().map(str::to_string)).collect());
                state.tables.insert(connection, names.unwrap_or_default());
            }
            "register" => {
                let Some(target) = message["target_name"].as_str() else { return };
                state.targets.insert(target.to_string(), connection);
                // Comms the front end opened on this target before: the process takes them over.
                let claimed: Vec<String> = state
                    .comms
                    .iter()
                    .filter(|(_, c)| c.target == target && c.owner == Owner::Kernel)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in claimed {
                    if let Some(comm) = state.comms.get_mut(&id) {
                        comm.owner = Owner::Connection(connection);
                    }
                    let open = json!({"op": "open", "comm_id": id, "target_name": target, "data": {}, "metadata": {}, "buffers": []});
                    state.send(connection, &open);
                }
            }
            "open" if !comm_id.is_empty() => {
                let target = message["target_name"].as_str().unwrap_or("").to_string();
                state.comms.insert(comm_id.clone(), OpenComm { target: target.clone(), owner: Owner::Connection(connection) });
                drop(state);
                let content = json!({"comm_id": comm_id, "target_name": target, "data": object(&message["data"])});
                self.publish(parent.as_ref(), "comm_open", content, message);
            }
            "msg" if state.comms.contains_key(&comm_id) => {
                drop(state);
                let content = json!({"comm_id": comm_id, "data": object(&message["data"])});
                self.publish(parent.as_ref(), "comm_msg", content, message);
            }
            "close" if state.comms.remove(&comm_id).is_some() => {
                drop(state);
                let content = json!({"comm_id": comm_id, "data": object(&message["data"])});
                self.publish(parent.as_ref(), "comm_close", content, message);
            }
            "msg" | "close" => eprintln!("rust-mstic: the cell process sent {op} on unknown comm {comm_id:?}"),
            other => eprintln!("rust-mstic: dropped a comm message from the cell process with op {other:?}"),
        }
    }

    fn publish(&self, parent: Option<&Message>, msg_type: &str, content: Value, message: &Value) {
        let buffers = message["buffers"]
            .as_array()
            .map(|list| list.iter().filter_map(|b| b.as_str()).filter_map(|b| BASE64.decode(b).ok()).map(bytes::Bytes::from).collect())
            .unwrap_or_default();
        self.iopub.publish_with(parent, msg_type, content, object(&message["metadata"]), buffers);
    }

    /// A cell process's connection closed (it ended or restarted): its comms close on the front end.
    fn disconnected(&self, connection: u64) {
        let closed: Vec<String> = {
            let mut state = self.lock();
            state.connections.remove(&connection);
            state.targets.retain(|_, c| *c != connection);
            state.magic_processes.remove(&connection);
            state.tables.remove(&connection);
            let waiting: Vec<u64> = state.magic_calls.iter().filter(|(_, (c, _))| *c == connection).map(|(id, _)| *id).collect();
            for id in waiting {
                if let Some((_, answer)) = state.magic_calls.remove(&id) {
                    let _ = answer.send(json!({"op": "magic_result", "id": id, "ok": false, "ename": "ProcessEnded",
                        "evalue": "the process that runs cells ended during the query"}));
                }
            }
            let mut closed = Vec::new();
            state.comms.retain(|id, comm| {
                if comm.owner != Owner::Connection(connection) {
                    return true;
                }
                if comm.target == CONTROL_TARGET {
                    // The front end's control comm stays open; the kernel answers it again.
                    comm.owner = Owner::Kernel;
                    return true;
                }
                closed.push(id.clone());
                false
            });
            closed
        };
        eprintln!("rust-mstic: cell process left the comm socket (connection {connection}); closing its {} comm(s)", closed.len());
        let parent = self.lock().parent.clone();
        for id in closed {
            self.iopub.publish(parent.as_ref(), "comm_close", json!({"comm_id": id, "data": {}}));
        }
    }

    /// Waits (at most `timeout`) until every connected cell process has had everything it sent
    /// published: called when a cell ends, so the cell's comm messages precede its reply.
    pub fn settle(&self, timeout: std::time::Duration) {
        let waits: Vec<std::sync::mpsc::Receiver<()>> = {
            let mut state = self.lock();
            let connections: Vec<u64> = state.connections.keys().copied().collect();
            connections
                .into_iter()
                .map(|connection| {
                    let (done, wait) = channel();
                    state.next_sync += 1;
                    let id = state.next_sync;
                    state.syncs.insert(id, done);
                    state.send(connection, &json!({"op": "sync", "id": id}));
                    wait
                })
                .collect()
        };
        let deadline = std::time::Instant::now() + timeout;
        for wait in waits {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if wait.recv_timeout(left).is_err() {
                eprintln!("rust-mstic: the cell process did not confirm its comm messages within {timeout:?}");
                break;
            }
        }
        self.lock().syncs.clear();
    }

    /// Remembers the shell request being handled: what the cell process sends meanwhile answers it.
    pub fn set_parent(&self, request: &Message) {
        self.lock().parent = Some(request.clone());
    }

    /// `comm_open` from the front end.
    pub fn open_from_frontend(&self, request: &Message) {
        self.set_parent(request);
        let content = &request.content;
        let comm_id = content["comm_id"].as_str().unwrap_or("").to_string();
        let target = content["target_name"].as_str().unwrap_or("").to_string();
        let mut state = self.lock();
        let owner = match state.targets.get(&target) {
            Some(connection) => Owner::Connection(*connection),
            None if target == CONTROL_TARGET => Owner::Kernel,
            None => {
                drop(state);
                eprintln!("rust-mstic: the front end opened comm {comm_id:?} on unknown target {target:?}; closing it");
                self.iopub.publish(Some(request), "comm_close", json!({"comm_id": comm_id, "data": {}}));
                return;
            }
        };
        if comm_id.is_empty() {
            return;
        }
        state.comms.insert(comm_id.clone(), OpenComm { target: target.clone(), owner });
        if let Owner::Connection(connection) = owner {
            state.send(connection, &forwarded("open", &comm_id, Some(&target), request));
        }
        if target == CONTROL_TARGET && !state.widget_manager {
            state.widget_manager = true;
            state.broadcast_frontend();
        }
    }

    /// `comm_msg` from the front end.
    pub fn message_from_frontend(&self, request: &Message) {
        self.set_parent(request);
        let comm_id = request.content["comm_id"].as_str().unwrap_or("").to_string();
        let state = self.lock();
        match state.comms.get(&comm_id).map(|c| c.owner) {
            Some(Owner::Connection(connection)) => state.send(connection, &forwarded("msg", &comm_id, None, request)),
            Some(Owner::Kernel) => {
                drop(state);
                if request.content["data"]["method"] == "request_states" {
                    // No cell process has widgets yet.
                    let answer = json!({"comm_id": comm_id, "data": {"method": "update_states", "states": {}, "buffer_paths": {}}});
                    self.iopub.publish(Some(request), "comm_msg", answer);
                }
            }
            None => eprintln!("rust-mstic: comm_msg for unknown comm {comm_id:?} ignored"),
        }
    }

    /// `comm_close` from the front end.
    pub fn close_from_frontend(&self, request: &Message) {
        self.set_parent(request);
        let comm_id = request.content["comm_id"].as_str().unwrap_or("").to_string();
        let mut state = self.lock();
        match state.comms.remove(&comm_id).map(|c| c.owner) {
            Some(Owner::Connection(connection)) => state.send(connection, &forwarded("close", &comm_id, None, request)),
            Some(Owner::Kernel) => {}
            None => eprintln!("rust-mstic: comm_close for unknown comm {comm_id:?} ignored"),
        }
    }

    /// The `comms` of a `comm_info_reply`: open comms, only those on `target` when one is given.
    pub fn info(&self, target: Option<&str>) -> Value {
        let state = self.lock();
        let comms: Map<String, Value> = state
            .comms
            .iter()
            .filter(|(_, c)| target.is_none_or(|t| t == c.target))
            .map(|(id, c)| (id.clone(), json!({"target_name": c.target})))
            .collect();
        Value::Object(comms)
    }
}

/// A magic cell's query sent to a cell process (see [`Comms::send_magic`]). Dropping it forgets the
/// request: an answer that comes later is dropped.
pub struct MagicCall {
    id: u64,
    answer: Receiver<Value>,
    comms: Comms,
}

impl MagicCall {
    /// Waits at most `timeout` for the `magic_result` line.
    pub fn wait(&self, timeout: Duration) -> Result<Value, RecvTimeoutError> {
        self.answer.recv_timeout(timeout)
    }
}

impl Drop for MagicCall {
    fn drop(&mut self) {
        self.comms.lock().magic_calls.remove(&self.id);
    }
}

impl Comms {
    /// Sends a magic cell's query to the cell process `pid` (or, when the pid is unknown, to the
    /// latest process that answers magic requests), waiting at most `wait_for_process` for that
    /// process to connect. Errors when no such process is connected.
    pub fn send_magic(
        &self,
        pid: Option<u32>,
        language: &str,
        name: Option<&str>,
        body: &str,
        wait_for_process: Duration,
    ) -> Result<MagicCall, String> {
        let deadline = Instant::now() + wait_for_process;
        loop {
            {
                let mut state = self.lock();
                let connection = match pid {
                    Some(pid) => state.magic_processes.iter().find(|(_, p)| **p == pid).map(|(c, _)| *c),
                    None => state.magic_processes.keys().max().copied(),
                };
                if let Some(connection) = connection {
                    state.next_magic += 1;
                    let id = state.next_magic;
                    let (sender, answer) = channel();
                    state.magic_calls.insert(id, (connection, sender));
                    let line = json!({"op": "magic", "id": id, "language": language, "name": name, "body": body});
                    state.send(connection, &line);
                    return Ok(MagicCall { id, answer, comms: self.clone() });
                }
            }
            if Instant::now() >= deadline {
                return Err("the process that runs cells is not connected to the kernel's comm socket, so %%sql and \
                            %%kql cells cannot run (see the kernel log)"
                    .to_string());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The table names the cell process `pid` announced (the latest process's when `pid` is unknown).
    pub fn table_names(&self, pid: Option<u32>) -> Vec<String> {
        let state = self.lock();
        let connection = match pid {
            Some(pid) => state.magic_processes.iter().find(|(_, p)| **p == pid).map(|(c, _)| *c),
            None => state.magic_processes.keys().max().copied(),
        };
        connection.and_then(|c| state.tables.get(&c).cloned()).unwrap_or_default()
    }
}

/// A front-end comm message as a line for the cell process.
fn forwarded(op: &str, comm_id: &str, target: Option<&str>, request: &Message) -> Value {
    let buffers: Vec<String> = request.buffers.iter().map(|b| BASE64.encode(b)).collect();
    let mut line = json!({
        "op": op,
        "comm_id": comm_id,
        "data": object(&request.content["data"]),
        "metadata": object(&request.metadata),
        "buffers": buffers,
    });
    if let Some(target) = target {
        line["target_name"] = json!(target);
    }
    line
}

/// `value` when it is an object, else `{}` (the protocol's `data` and `metadata` are dicts).
fn object(value: &Value) -> Value {
    if value.is_object() { value.clone() } else { json!({}) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Session;

    struct Harness {
        comms: Comms,
        published: tokio::sync::mpsc::Receiver<Message>,
        session: Session,
    }

    fn harness() -> Harness {
        let session = Session::new("");
        let (iopub, unbound) = crate::iopub::channel(session.clone());
        Harness { comms: Comms::new(iopub), published: unbound.into_receiver(), session }
    }

    fn request(session: &Session, msg_type: &str, content: Value) -> Message {
        let mut message = session.broadcast(None, msg_type, content);
        message.identities.clear();
        message
    }

    fn connect(h: &Harness) -> (BufReader<UnixStream>, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        h.comms.serve_connection(theirs);
        (BufReader::new(ours.try_clone().unwrap()), ours)
    }

    fn read_line(reader: &mut BufReader<UnixStream>) -> Value {
        reader.get_ref().set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }

    fn next_published(h: &mut Harness) -> Message {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if let Ok(message) = h.published.try_recv() {
                return message;
            }
            assert!(std::time::Instant::now() < deadline, "nothing was published");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn cell_process_comms_reach_the_front_end_and_back() {
        let mut h = harness();
        let (mut from_kernel, mut to_kernel) = connect(&h);
        assert_eq!(read_line(&mut from_kernel), json!({"op": "frontend", "widget_manager": false}));

        let execute = request(&h.session, "execute_request", json!({"code": "slider"}));
        h.comms.set_parent(&execute);
        let open = json!({"op": "open", "comm_id": "c1", "target_name": "jupyter.widget",
            "data": {"state": {"value": 3}, "buffer_paths": []}, "metadata": {"version": "2.1.0"}, "buffers": ["AAEC"]});
        writeln!(to_kernel, "{open}").unwrap();
        let published = next_published(&mut h);
        assert_eq!(published.msg_type(), "comm_open");
        assert_eq!(published.content["target_name"], "jupyter.widget");
        assert_eq!(published.content["data"]["state"]["value"], 3);
        assert_eq!(published.metadata["version"], "2.1.0");
        assert_eq!(published.buffers, vec![bytes::Bytes::from_static(&[0, 1, 2])]);
        assert_eq!(published.parent_header["msg_id"], execute.header["msg_id"], "answers the running cell");
        assert_eq!(h.comms.info(None), json!({"c1": {"target_name": "jupyter.widget"}}));
        assert_eq!(h.comms.info(Some("other")), json!({}));

        let mut update = request(&h.session, "comm_msg", json!({"comm_id": "c1", "data": {"method": "update", "state": {"value": 7}}}));
        update.buffers = vec![bytes::Bytes::from_static(b"hi")];
        h.comms.message_from_frontend(&update);
        let line = read_line(&mut from_kernel);
        assert_eq!(line["op"], "msg");
        assert_eq!(line["comm_id"], "c1");
        assert_eq!(line["data"]["state"]["value"], 7);
        assert_eq!(line["buffers"], json!(["aGk="]));

        writeln!(to_kernel, "{}", json!({"op": "msg", "comm_id": "c1", "data": {"method": "echo_update"}})).unwrap();
        let echo = next_published(&mut h);
        assert_eq!(echo.msg_type(), "comm_msg");
        assert_eq!(echo.parent_header["msg_id"], update.header["msg_id"], "answers the front end's message");

        writeln!(to_kernel, "not json").unwrap();
        writeln!(to_kernel, "{}", json!({"op": "close", "comm_id": "c1"})).unwrap();
        assert_eq!(next_published(&mut h).msg_type(), "comm_close");
        assert_eq!(h.comms.info(None), json!({}));
    }

    #[test]
    fn a_cell_process_that_ends_closes_its_comms_and_the_control_comm_stays() {
        let mut h = harness();
        let control = request(&h.session, "comm_open", json!({"comm_id": "ctl", "target_name": CONTROL_TARGET, "data": {}}));
        h.comms.open_from_frontend(&control);
        let states = request(&h.session, "comm_msg", json!({"comm_id": "ctl", "data": {"method": "request_states"}}));
        h.comms.message_from_frontend(&states);
        let answer = next_published(&mut h);
        assert_eq!(answer.content["data"]["method"], "update_states", "the kernel answers while no process has widgets");

        let (mut from_kernel, mut to_kernel) = connect(&h);
        assert_eq!(read_line(&mut from_kernel)["widget_manager"], true);
        writeln!(to_kernel, "{}", json!({"op": "register", "target_name": CONTROL_TARGET})).unwrap();
        let claimed = read_line(&mut from_kernel);
        assert_eq!((claimed["op"].as_str(), claimed["comm_id"].as_str()), (Some("open"), Some("ctl")));
        writeln!(to_kernel, "{}", json!({"op": "open", "comm_id": "w1", "target_name": "jupyter.widget", "data": {}})).unwrap();
        assert_eq!(next_published(&mut h).msg_type(), "comm_open");
        h.comms.message_from_frontend(&states);
        assert_eq!(read_line(&mut from_kernel)["data"]["method"], "request_states", "now the process answers");

        drop((from_kernel, to_kernel));
        let closed = next_published(&mut h);
        assert_eq!(closed.msg_type(), "comm_close");
        assert_eq!(closed.content["comm_id"], "w1");
        assert_eq!(h.comms.info(None), json!({"ctl": {"target_name": CONTROL_TARGET}}));
        h.comms.message_from_frontend(&states);
        assert_eq!(next_published(&mut h).content["data"]["states"], json!({}));
    }

    #[test]
    fn unknown_targets_are_closed_and_a_control_comm_tells_of_a_widget_manager() {
        let mut h = harness();
        let (mut from_kernel, _to_kernel) = connect(&h);
        assert_eq!(read_line(&mut from_kernel)["widget_manager"], false);
        let open = request(&h.session, "comm_open", json!({"comm_id": "x", "target_name": "nobody", "data": {}}));
        h.comms.open_from_frontend(&open);
        let closed = next_published(&mut h);
        assert_eq!((closed.msg_type(), closed.content["comm_id"].as_str()), ("comm_close", Some("x")));

        let control = request(&h.session, "comm_open", json!({"comm_id": "ctl", "target_name": CONTROL_TARGET, "data": {}}));
        h.comms.open_from_frontend(&control);
        assert_eq!(read_line(&mut from_kernel), json!({"op": "frontend", "widget_manager": true}));
        // JupyterLab closes the control comm once it has the states; its widget manager stays.
        h.comms.close_from_frontend(&request(&h.session, "comm_close", json!({"comm_id": "ctl", "data": {}})));
        assert_eq!(h.comms.info(None), json!({}));
        let (mut later, _later_writer) = connect(&h);
        assert_eq!(read_line(&mut later), json!({"op": "frontend", "widget_manager": true}));
    }

    #[test]
    fn settling_waits_for_what_the_cell_process_sent_before() {
        let mut h = harness();
        let (mut from_kernel, mut to_kernel) = connect(&h);
        read_line(&mut from_kernel);
        let process = std::thread::spawn(move || {
            writeln!(to_kernel, "{}", json!({"op": "open", "comm_id": "late", "target_name": "jupyter.widget", "data": {}})).unwrap();
            let sync = read_line(&mut from_kernel);
            assert_eq!(sync["op"], "sync");
            writeln!(to_kernel, "{sync}").unwrap();
            (from_kernel, to_kernel)
        });
        h.comms.settle(std::time::Duration::from_secs(5));
        assert_eq!(h.published.try_recv().expect("published before settle returned").content["comm_id"], "late");
        let _connection = process.join().unwrap();
        let started = std::time::Instant::now();
        h.comms.settle(std::time::Duration::from_millis(200));
        assert!(started.elapsed() >= std::time::Duration::from_millis(200), "an unanswered sync waits for its time-out");
    }

    #[test]
    fn magic_requests_go_to_the_engines_process_and_answers_come_back_by_id() {
        let h = harness();
        let (mut old_reader, mut old_writer) = connect(&h);
        let (mut reader, mut writer) = connect(&h);
        read_line(&mut old_reader);
        read_line(&mut reader);
        writeln!(old_writer, "{}", json!({"op": "magic_ready", "pid": 100})).unwrap();
        writeln!(writer, "{}", json!({"op": "tables", "names": ["logons", "hosts"]})).unwrap();
        writeln!(writer, "{}", json!({"op": "magic_ready", "pid": 200})).unwrap();

        let call = h.comms.send_magic(Some(200), "sql", Some("counts"), "select 1", Duration::from_secs(5)).unwrap();
        let request = read_line(&mut reader);
        assert_eq!(request, json!({"op": "magic", "id": request["id"], "language": "sql", "name": "counts", "body": "select 1"}));
        assert_eq!(h.comms.table_names(Some(200)), vec!["logons".to_string(), "hosts".to_string()]);
        assert_eq!(h.comms.table_names(Some(100)), Vec::<String>::new());
        // An answer to another id is not this call's.
        writeln!(writer, "{}", json!({"op": "magic_result", "id": 999, "ok": true})).unwrap();
        writeln!(writer, "{}", json!({"op": "magic_result", "id": request["id"], "ok": true, "rows": 1, "data": {"text/plain": "1"}})).unwrap();
        let answer = call.wait(Duration::from_secs(5)).unwrap();
        assert_eq!((answer["ok"].as_bool(), answer["rows"].as_u64()), (Some(true), Some(1)));

        // Without a pid the latest process is used; a process that ends fails its waiting call.
        let call = h.comms.send_magic(None, "kql", None, "T | take 1", Duration::from_secs(5)).unwrap();
        assert_eq!(read_line(&mut reader)["name"], Value::Null);
        drop((reader, writer));
        let answer = call.wait(Duration::from_secs(5)).unwrap();
        assert_eq!((answer["ok"].as_bool(), answer["ename"].as_str()), (Some(false), Some("ProcessEnded")));

        let started = Instant::now();
        let missing = h.comms.send_magic(Some(300), "sql", None, "select 1", Duration::from_millis(100));
        assert!(missing.err().unwrap().contains("not connected"));
        assert!(started.elapsed() >= Duration::from_millis(100), "waits for the process to connect");
        drop((old_reader, old_writer));
    }

    #[test]
    fn a_real_socket_carries_lines_both_ways() {
        let h = harness();
        let listener = Listener::bind().unwrap();
        let path = listener.path().to_path_buf();
        h.comms.accept(listener);
        let stream = UnixStream::connect(&path).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        assert_eq!(read_line(&mut reader)["op"], "frontend");
        let mode = std::fs::metadata(path.parent().unwrap()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o700, "the socket folder is private");
    }
}
