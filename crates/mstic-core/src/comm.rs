//! Jupyter comms from the cell process: the two-way message channels that ipywidgets and other
//! interactive outputs use. Knows nothing about widgets (see [`crate::widget`]).
//!
//! Protocol (the contract with `kernel/`): inside the kernel, `MSTIC_COMM_SOCKET` names a Unix
//! socket the kernel listens on. The cell process connects at the first comm use (reading the
//! variable then) and exchanges one line of JSON per message in each direction, each with an
//! `"op"`. Outbound: `open` (with `target_name`), `msg`, `close` — each with `comm_id`, `data`,
//! `metadata` and `buffers` (base64) — and `register` (with `target_name`: comms the front end
//! opens on that target are routed here). Inbound: `frontend` (`widget_manager`: whether a widget
//! manager is attached), and `open`, `msg`, `close` from the front end. Both ways: `sync` (`id`),
//! which the cell process answers with the same line once everything it sent before is written
//! (the kernel syncs at the end of a cell, so the cell's comm messages precede its reply). A reader
//! thread receives inbound messages at any time and calls the comm's handler on that thread.
//!
//! Magic cells (`%%sql`, `%%kql`, see [`crate::magic`]) use the same socket. The process connects
//! at start (the kernel's support code calls `magic::listen`) and sends `magic_ready` (`pid`: this
//! process's id, so the kernel talks to the process that runs its cells) and `tables` (`names`:
//! the registered tables, again whenever they change). Inbound `magic` (`id`, `language`, `name`
//! or null, `body`) runs a query on a thread of its own; the answer is `magic_result` with the
//! same `id` and either `"ok": true`, `data` (the result's MIME bundle), `rows` and `columns`, or
//! `"ok": false`, `ename` and `evalue` (the error text, verbatim).
//!
//! Outside the kernel, or when the socket is gone, comms are *detached*: messages are dropped and
//! [`widget_manager_present`] is false. [`install_transport`] puts another [`CommTransport`] in
//! place (tests record messages with [`RecordingTransport`]); [`deliver`] hands one inbound message
//! to the handlers, as the socket reader does.

use crate::session;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The environment variable holding the path of the kernel's comm socket.
pub const SOCKET_VARIABLE: &str = "MSTIC_COMM_SOCKET";

/// How long connecting waits for the kernel's first `frontend` line.
const HELLO_TIMEOUT: Duration = Duration::from_secs(2);

/// One comm message: its comm, JSON `data` and `metadata`, and binary buffers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommMessage {
    /// The comm the message belongs to.
    pub comm_id: String,
    /// The message content (for widgets: `method`, `state`…).
    pub data: Value,
    /// The message metadata (for widgets: the protocol `version` on open).
    pub metadata: Value,
    /// Binary buffers sent beside the JSON.
    pub buffers: Vec<Vec<u8>>,
}

impl CommMessage {
    /// A message on `comm_id` with `data`, empty metadata and no buffers.
    pub fn new(comm_id: &str, data: Value) -> Self {
        CommMessage { comm_id: comm_id.to_string(), data, metadata: json!({}), buffers: Vec::new() }
    }

    fn fields(&self, op: &str) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("op".into(), json!(op));
        fields.insert("comm_id".into(), json!(self.comm_id));
        fields.insert("data".into(), object_or_empty(&self.data));
        fields.insert("metadata".into(), object_or_empty(&self.metadata));
        let buffers: Vec<Value> = self.buffers.iter().map(|b| Value::String(STANDARD.encode(b))).collect();
        fields.insert("buffers".into(), Value::Array(buffers));
        fields
    }

    fn from_fields(line: &Value) -> Result<Self, String> {
        let comm_id = line.get("comm_id").and_then(Value::as_str).ok_or("no comm_id")?.to_string();
        let mut buffers = Vec::new();
        for buffer in line.get("buffers").and_then(Value::as_array).into_iter().flatten() {
            let text = buffer.as_str().ok_or("a buffer is not a string")?;
            buffers.push(STANDARD.decode(text).map_err(|e| format!("a buffer is not base64: {e}"))?);
        }
        Ok(CommMessage {
            comm_id,
            data: object_or_empty(line.get("data").unwrap_or(&Value::Null)),
            metadata: object_or_empty(line.get("metadata").unwrap_or(&Value::Null)),
            buffers,
        })
    }
}

fn object_or_empty(value: &Value) -> Value {
    if value.is_object() { value.clone() } else { json!({}) }
}

/// A message from the cell process to the kernel.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// Opens a comm on `target_name` (Jupyter `comm_open`).
    Open {
        /// The front-end target (`jupyter.widget` for widgets).
        target_name: String,
        /// The comm id, the initial data, metadata and buffers.
        message: CommMessage,
    },
    /// A message on an open comm (`comm_msg`).
    Msg(CommMessage),
    /// Closes a comm (`comm_close`).
    Close(CommMessage),
    /// Asks the kernel to route comms the front end opens on `target_name` to this process.
    Register {
        /// The target name.
        target_name: String,
    },
    /// Tells the kernel this process answers magic requests (see [`crate::magic::listen`]).
    MagicReady {
        /// This process's id.
        pid: u32,
    },
    /// The answer to a magic request: the whole `magic_result` line (see [`crate::magic::answer`]).
    MagicResult(Value),
    /// The names of the tables magic cells can query, for completion in the kernel.
    Tables {
        /// The table names, sorted.
        names: Vec<String>,
    },
}

impl Outbound {
    /// The message as the one JSON object sent on the socket.
    pub fn to_json(&self) -> Value {
        match self {
            Outbound::Open { target_name, message } => {
                let mut fields = message.fields("open");
                fields.insert("target_name".into(), json!(target_name));
                Value::Object(fields)
            }
            Outbound::Msg(message) => Value::Object(message.fields("msg")),
            Outbound::Close(message) => Value::Object(message.fields("close")),
            Outbound::Register { target_name } => json!({"op": "register", "target_name": target_name}),
            Outbound::MagicReady { pid } => json!({"op": "magic_ready", "pid": pid}),
            Outbound::MagicResult(line) => line.clone(),
            Outbound::Tables { names } => json!({"op": "tables", "names": names}),
        }
    }

    /// The comm message carried, if any (not for `register` and the magic lines).
    pub fn message(&self) -> Option<&CommMessage> {
        match self {
            Outbound::Open { message, .. } | Outbound::Msg(message) | Outbound::Close(message) => Some(message),
            Outbound::Register { .. } | Outbound::MagicReady { .. } | Outbound::MagicResult(_) | Outbound::Tables { .. } => None,
        }
    }
}

/// A message from the kernel to the cell process.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// Whether the front end has a widget manager (it opened a `jupyter.widget.control` comm).
    Frontend {
        /// True in JupyterLab and VS Code; false in nbconvert and papermill.
        widget_manager: bool,
    },
    /// The front end opened a comm on a registered target.
    Open {
        /// The target the comm was opened on.
        target_name: String,
        /// The new comm's id, data, metadata and buffers.
        message: CommMessage,
    },
    /// The front end sent a message on a comm.
    Msg(CommMessage),
    /// The front end closed a comm.
    Close(CommMessage),
    /// A magic cell's query to run (see [`crate::magic`]).
    Magic(crate::magic::MagicRequest),
}

impl Inbound {
    /// Reads one inbound line's JSON; an error names what is wrong with it.
    pub fn from_json(line: &Value) -> Result<Self, String> {
        match line.get("op").and_then(Value::as_str) {
            Some("frontend") => Ok(Inbound::Frontend {
                widget_manager: line.get("widget_manager").and_then(Value::as_bool).unwrap_or(false),
            }),
            Some("open") => Ok(Inbound::Open {
                target_name: line.get("target_name").and_then(Value::as_str).ok_or("no target_name")?.to_string(),
                message: CommMessage::from_fields(line)?,
            }),
            Some("msg") => Ok(Inbound::Msg(CommMessage::from_fields(line)?)),
            Some("close") => Ok(Inbound::Close(CommMessage::from_fields(line)?)),
            Some("magic") => Ok(Inbound::Magic(crate::magic::MagicRequest::from_json(line)?)),
            Some(other) => Err(format!("unknown op {other:?}")),
            None => Err("no op".to_string()),
        }
    }
}

/// What happened on a comm, as its handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum CommEvent {
    /// The front end opened the comm (targets registered with [`register_target`]).
    Opened(CommMessage),
    /// The front end sent a message.
    Message(CommMessage),
    /// The front end closed the comm; no more events follow.
    Closed(CommMessage),
}

/// The code that receives a comm's events; runs on the socket reader thread.
pub type CommHandler = Arc<dyn Fn(&Comm, &CommEvent) + Send + Sync>;

/// The seam between comms and the kernel: sends one outbound message.
pub trait CommTransport: Send + Sync {
    /// Sends `message`; a transport that cannot deliver drops it silently.
    fn send(&self, message: &Outbound);
}

/// The kernel's Unix socket: one JSON line per message, written whole under one lock.
pub struct SocketTransport {
    writer: Mutex<UnixStream>,
}

impl SocketTransport {
    /// Writes `value` as one line, whole, after every line written before.
    fn write_line(&self, value: &Value) {
        let mut line = value.to_string();
        line.push('\n');
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        // A closed socket means the kernel is gone; the reader notices and detaches.
        let _ = writer.write_all(line.as_bytes()).and_then(|()| writer.flush());
    }
}

impl CommTransport for SocketTransport {
    fn send(&self, message: &Outbound) {
        self.write_line(&message.to_json());
    }
}

/// A transport that keeps every outbound message, for tests and for inspecting what a widget sends.
///
/// # Example
///
/// ```
/// use mstic_core::comm::{CommTransport, Outbound, RecordingTransport};
/// let recorder = RecordingTransport::default();
/// recorder.send(&Outbound::Register { target_name: "jupyter.widget.control".into() });
/// assert_eq!(recorder.messages()[0].to_json()["op"], "register");
/// ```
#[derive(Default)]
pub struct RecordingTransport {
    messages: Mutex<Vec<Outbound>>,
}

impl RecordingTransport {
    /// Every message sent so far, oldest first.
    pub fn messages(&self) -> Vec<Outbound> {
        self.messages.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The messages sent so far on `comm_id`, oldest first.
    pub fn messages_for(&self, comm_id: &str) -> Vec<Outbound> {
        self.messages().into_iter().filter(|m| m.message().is_some_and(|m| m.comm_id == comm_id)).collect()
    }
}

impl CommTransport for RecordingTransport {
    fn send(&self, message: &Outbound) {
        self.messages.lock().unwrap_or_else(|e| e.into_inner()).push(message.clone());
    }
}

/// How this process reaches the kernel.
enum Link {
    /// Not connected; `failed` is the socket path a connection already failed or ended on.
    Unconnected { failed: Option<PathBuf> },
    /// Connected to the kernel's socket.
    Socket { transport: Arc<SocketTransport> },
    /// A transport put in place with [`install_transport`].
    Installed(Arc<dyn CommTransport>),
}

/// The process-wide comm state (one per process, shared by all cells through [`session`]).
struct Hub {
    link: Mutex<Link>,
    handlers: Mutex<HashMap<String, CommHandler>>,
    targets: Mutex<HashMap<String, CommHandler>>,
    widget_manager: AtomicBool,
}

fn hub() -> Arc<Hub> {
    session::get_or_init("mstic-core.comm", || Hub {
        link: Mutex::new(Link::Unconnected { failed: None }),
        handlers: Mutex::new(HashMap::new()),
        targets: Mutex::new(HashMap::new()),
        widget_manager: AtomicBool::new(false),
    })
}

/// The transport to send on, connecting to the kernel's socket first if the variable is set now.
fn transport() -> Option<Arc<dyn CommTransport>> {
    let hub = hub();
    let mut link = hub.link.lock().unwrap_or_else(|e| e.into_inner());
    match &*link {
        Link::Socket { transport, .. } => return Some(transport.clone() as Arc<dyn CommTransport>),
        Link::Installed(transport) => return Some(transport.clone()),
        Link::Unconnected { failed } => {
            let path = std::env::var_os(SOCKET_VARIABLE).filter(|p| !p.is_empty()).map(PathBuf::from)?;
            if failed.as_ref() == Some(&path) {
                return None;
            }
            match open_socket(&path) {
                Ok(transport) => {
                    *link = Link::Socket { transport: transport.clone() };
                    drop(link);
                    send_registrations(&*transport);
                    Some(transport as Arc<dyn CommTransport>)
                }
                Err(_) => {
                    *link = Link::Unconnected { failed: Some(path) };
                    None
                }
            }
        }
    }
}

/// Connects to the kernel's comm socket at `path` now (normally done at the first comm use, from
/// `MSTIC_COMM_SOCKET`) and reads the kernel's first `frontend` line. Replaces any other transport.
pub fn connect(path: &Path) -> std::io::Result<()> {
    let transport = open_socket(path)?;
    let hub = hub();
    *hub.link.lock().unwrap_or_else(|e| e.into_inner()) = Link::Socket { transport: transport.clone() };
    send_registrations(&*transport);
    Ok(())
}

fn open_socket(path: &Path) -> std::io::Result<Arc<SocketTransport>> {
    let stream = UnixStream::connect(path)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    // The kernel says whether a widget manager is there right after the connection, so the answer
    // is known before the first widget decides how to show itself.
    stream.set_read_timeout(Some(HELLO_TIMEOUT))?;
    let mut first = String::new();
    if reader.read_line(&mut first).is_ok() {
        deliver_line(&first);
    }
    stream.set_read_timeout(None)?;
    let transport = Arc::new(SocketTransport { writer: Mutex::new(stream) });
    let reading = Arc::downgrade(&transport);
    let path = path.to_path_buf();
    std::thread::Builder::new().name("mstic-comm-reader".into()).spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    // A line the kernel garbled is skipped: one bad message must not stop the reader.
                    let Ok(value) = serde_json::from_str::<Value>(line.trim()) else { continue };
                    if value.get("op").and_then(Value::as_str) == Some("sync") {
                        // Everything sent before this point is written: the lines go out under one lock.
                        if let Some(transport) = reading.upgrade() {
                            transport.write_line(
                                &json!({"op": "sync", "id": value.get("id").cloned().unwrap_or(Value::Null)}),
                            );
                        }
                    } else if let Ok(inbound) = Inbound::from_json(&value) {
                        deliver(inbound);
                    }
                }
            }
        }
        disconnected(&path, reading.as_ptr());
    })?;
    Ok(transport)
}

/// The socket closed: comms become detached unless another transport took over meanwhile.
fn disconnected(path: &Path, transport: *const SocketTransport) {
    let hub = hub();
    let mut link = hub.link.lock().unwrap_or_else(|e| e.into_inner());
    if let Link::Socket { transport: current, .. } = &*link
        && std::ptr::eq(Arc::as_ptr(current), transport)
    {
        *link = Link::Unconnected { failed: Some(path.to_path_buf()) };
        hub.widget_manager.store(false, Ordering::SeqCst);
    }
}

/// Announces what the kernel must know of this process on a new transport: the registered
/// targets and, once [`crate::magic::listen`] has run, that it answers magic requests.
fn send_registrations(transport: &dyn CommTransport) {
    let mut names: Vec<String> = hub().targets.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
    names.sort();
    for target_name in names {
        transport.send(&Outbound::Register { target_name });
    }
    if crate::magic::is_listening() {
        transport.send(&Outbound::MagicReady { pid: std::process::id() });
        transport.send(&Outbound::Tables { names: crate::magic::table_names() });
    }
}

fn deliver_line(line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    // A line the kernel garbled is skipped: one bad message must not stop the reader.
    if let Ok(inbound) =
        serde_json::from_str::<Value>(line).map_err(|e| e.to_string()).and_then(|v| Inbound::from_json(&v))
    {
        deliver(inbound);
    }
}

/// Puts `transport` in place of the kernel socket for this process (tests record messages this
/// way); registered targets are announced on it. Until [`detach`], no socket is connected.
pub fn install_transport(transport: Arc<dyn CommTransport>) {
    *hub().link.lock().unwrap_or_else(|e| e.into_inner()) = Link::Installed(transport.clone());
    send_registrations(&*transport);
}

/// Drops the current transport: messages are dropped until the next connection, and
/// [`widget_manager_present`] is false.
pub fn detach() {
    let hub = hub();
    let previous =
        std::mem::replace(&mut *hub.link.lock().unwrap_or_else(|e| e.into_inner()), Link::Unconnected { failed: None });
    if let Link::Socket { transport, .. } = previous {
        // Ends the reader thread too (it shares the socket).
        let _ = transport.writer.lock().unwrap_or_else(|e| e.into_inner()).shutdown(std::net::Shutdown::Both);
    }
    hub.widget_manager.store(false, Ordering::SeqCst);
}

/// Whether messages currently reach a kernel (connecting first if the socket variable is set).
pub fn is_attached() -> bool {
    transport().is_some()
}

/// Whether the notebook front end has a widget manager (JupyterLab, VS Code), so widgets render;
/// false outside the kernel and under nbconvert or papermill.
pub fn widget_manager_present() -> bool {
    transport().is_some() && hub().widget_manager.load(Ordering::SeqCst)
}

fn send(message: Outbound) {
    if let Some(transport) = transport() {
        transport.send(&message);
    }
}

/// Sends `message` to the kernel (connecting first if needed); dropped when detached.
pub(crate) fn send_outbound(message: Outbound) {
    send(message);
}

/// Routes comms the front end opens on `target_name` to `handler` (it sees
/// [`CommEvent::Opened`] first, then the comm's messages). The kernel is told at once: this
/// connects to it if no comm has yet (the connection sends every registered target).
pub fn register_target(target_name: &str, handler: impl Fn(&Comm, &CommEvent) + Send + Sync + 'static) {
    let hub = hub();
    hub.targets.lock().unwrap_or_else(|e| e.into_inner()).insert(target_name.to_string(), Arc::new(handler));
    let connected = !matches!(*hub.link.lock().unwrap_or_else(|e| e.into_inner()), Link::Unconnected { .. });
    if connected {
        send(Outbound::Register { target_name: target_name.to_string() });
    } else {
        // Connecting registers the targets known so far, this one included.
        let _ = transport();
    }
}

/// Hands one inbound kernel message to its handler, on the calling thread (the socket reader calls
/// this for every line; tests call it to act as the front end). Messages for unknown comms are
/// dropped. No lock is held while a handler runs.
pub fn deliver(inbound: Inbound) {
    let hub = hub();
    match inbound {
        Inbound::Frontend { widget_manager } => hub.widget_manager.store(widget_manager, Ordering::SeqCst),
        Inbound::Open { target_name, message } => {
            let handler = hub.targets.lock().unwrap_or_else(|e| e.into_inner()).get(&target_name).cloned();
            let Some(handler) = handler else { return };
            hub.handlers.lock().unwrap_or_else(|e| e.into_inner()).insert(message.comm_id.clone(), handler.clone());
            let comm = Comm { id: message.comm_id.clone(), target_name };
            handler(&comm, &CommEvent::Opened(message));
        }
        Inbound::Msg(message) => {
            let handler = hub.handlers.lock().unwrap_or_else(|e| e.into_inner()).get(&message.comm_id).cloned();
            if let Some(handler) = handler {
                let comm = Comm { id: message.comm_id.clone(), target_name: String::new() };
                handler(&comm, &CommEvent::Message(message));
            }
        }
        Inbound::Close(message) => {
            let handler = hub.handlers.lock().unwrap_or_else(|e| e.into_inner()).remove(&message.comm_id);
            if let Some(handler) = handler {
                let comm = Comm { id: message.comm_id.clone(), target_name: String::new() };
                handler(&comm, &CommEvent::Closed(message));
            }
        }
        // Runs on a thread of its own: the reader keeps serving syncs and comms meanwhile.
        Inbound::Magic(request) => crate::magic::handle(request),
    }
}

/// An open comm: a handle to send on it and close it.
///
/// Dropping a handle does not close the comm — front ends keep showing a widget after the variable
/// that made it is gone, and its events still reach the handler; [`Comm::close`] ends it.
///
/// # Example
///
/// ```
/// use mstic_core::comm::Comm;
/// use serde_json::json;
/// // Outside the kernel the comm is detached: it works, and its messages go nowhere.
/// let comm = Comm::open("my.target", json!({"hello": 1}), json!({}), Vec::new(), |_, _| {});
/// assert_eq!(comm.id().len(), 32);
/// comm.send(json!({"n": 2}), Vec::new());
/// comm.close();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comm {
    id: String,
    target_name: String,
}

impl Comm {
    /// Opens a comm on the front end's `target_name` with initial `data`, `metadata` and `buffers`;
    /// `handler` receives the front end's messages on it.
    pub fn open(
        target_name: &str,
        data: Value,
        metadata: Value,
        buffers: Vec<Vec<u8>>,
        handler: impl Fn(&Comm, &CommEvent) + Send + Sync + 'static,
    ) -> Comm {
        let id = uuid::Uuid::new_v4().simple().to_string();
        hub().handlers.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), Arc::new(handler));
        let message = CommMessage { comm_id: id.clone(), data, metadata, buffers };
        send(Outbound::Open { target_name: target_name.to_string(), message });
        Comm { id, target_name: target_name.to_string() }
    }

    /// The comm id (32 hex digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The target the comm was opened on (empty on handles made for inbound messages).
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// Sends `data` (and binary `buffers`) to the front end on this comm.
    pub fn send(&self, data: Value, buffers: Vec<Vec<u8>>) {
        send(Outbound::Msg(CommMessage { comm_id: self.id.clone(), data, metadata: json!({}), buffers }));
    }

    /// Closes the comm on both sides; its handler gets no more events.
    pub fn close(&self) {
        hub().handlers.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
        send(Outbound::Close(CommMessage::new(&self.id, json!({}))));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;
    use std::sync::mpsc;

    /// Comm tests change the process-wide transport, so they run one at a time.
    pub(crate) static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn outbound_lines_carry_op_ids_and_base64_buffers() {
        let message = CommMessage {
            comm_id: "abc".into(),
            data: json!({"state": {"value": 3}}),
            metadata: json!({"version": "2.1.0"}),
            buffers: vec![b"hi".to_vec()],
        };
        let open = Outbound::Open { target_name: "jupyter.widget".into(), message: message.clone() }.to_json();
        assert_eq!(
            open,
            json!({"op": "open", "comm_id": "abc", "target_name": "jupyter.widget", "data": {"state": {"value": 3}},
                   "metadata": {"version": "2.1.0"}, "buffers": ["aGk="]})
        );
        assert_eq!(Outbound::Close(CommMessage::new("abc", Value::Null)).to_json()["data"], json!({}));
        assert!(!open.to_string().contains('\n'));
        let back = Inbound::from_json(&Outbound::Msg(message.clone()).to_json()).unwrap();
        assert_eq!(back, Inbound::Msg(message));
    }

    #[test]
    fn inbound_lines_are_checked() {
        assert_eq!(
            Inbound::from_json(&json!({"op": "frontend", "widget_manager": true})),
            Ok(Inbound::Frontend { widget_manager: true })
        );
        assert_eq!(Inbound::from_json(&json!({"op": "msg"})), Err("no comm_id".to_string()));
        assert_eq!(Inbound::from_json(&json!({"op": "dance"})), Err("unknown op \"dance\"".to_string()));
        assert!(
            Inbound::from_json(&json!({"op": "msg", "comm_id": "x", "buffers": ["*"]})).unwrap_err().contains("base64")
        );
    }

    #[test]
    fn fake_transport_records_and_inbound_messages_reach_the_handler() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let recorder = Arc::new(RecordingTransport::default());
        install_transport(recorder.clone());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_by_handler = seen.clone();
        let comm = Comm::open("test.target", json!({"a": 1}), json!({}), vec![], move |comm, event| {
            seen_by_handler.lock().unwrap().push((comm.id().to_string(), event.clone()));
        });
        comm.send(json!({"b": 2}), vec![vec![0, 1]]);
        deliver(Inbound::Msg(CommMessage::new(comm.id(), json!({"from": "front end"}))));
        deliver(Inbound::Msg(CommMessage::new("unknown", json!({}))));
        deliver(Inbound::Frontend { widget_manager: true });
        assert!(widget_manager_present());
        comm.close();
        deliver(Inbound::Msg(CommMessage::new(comm.id(), json!({"late": true}))));

        let sent: Vec<Value> = recorder.messages_for(comm.id()).iter().map(Outbound::to_json).collect();
        assert_eq!(sent.len(), 3);
        assert_eq!((sent[0]["op"].as_str(), sent[0]["data"]["a"].as_i64()), (Some("open"), Some(1)));
        assert_eq!((sent[1]["op"].as_str(), &sent[1]["buffers"]), (Some("msg"), &json!(["AAE="])));
        assert_eq!(sent[2]["op"], "close");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "closed comms get no events: {seen:?}");
        assert_eq!(seen[0].0, comm.id());
        assert_eq!(seen[0].1, CommEvent::Message(CommMessage::new(comm.id(), json!({"from": "front end"}))));

        detach();
        assert!(!widget_manager_present(), "detached comms have no widget manager");
    }

    #[test]
    fn front_end_comms_on_registered_targets() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let recorder = Arc::new(RecordingTransport::default());
        install_transport(recorder.clone());
        register_target("test.echo", |comm, event| {
            if let CommEvent::Message(message) = event {
                comm.send(json!({"echo": message.data["say"]}), vec![]);
            }
        });
        assert!(recorder.messages().contains(&Outbound::Register { target_name: "test.echo".into() }));
        deliver(Inbound::Open { target_name: "test.echo".into(), message: CommMessage::new("fe1", json!({})) });
        deliver(Inbound::Msg(CommMessage::new("fe1", json!({"say": "hi"}))));
        deliver(Inbound::Open { target_name: "test.nobody".into(), message: CommMessage::new("fe2", json!({})) });
        deliver(Inbound::Msg(CommMessage::new("fe2", json!({"say": "lost"}))));
        let replies: Vec<Value> = recorder.messages_for("fe1").iter().map(|m| m.to_json()["data"].clone()).collect();
        assert_eq!(replies, vec![json!({"echo": "hi"})]);
        assert!(recorder.messages_for("fe2").is_empty());
        detach();
    }

    #[test]
    fn real_socket_round_trip() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!("mstic-comm-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("comm.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();

        // The kernel side: greet, read the cell process's lines, then send a message and a close.
        let (lines_tx, lines_rx) = mpsc::channel::<Value>();
        let kernel = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut writer = stream.try_clone().unwrap();
            writer.write_all(b"{\"op\":\"frontend\",\"widget_manager\":true}\n").unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            let mut comm_id = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                let value: Value = serde_json::from_str(&line).unwrap();
                lines_tx.send(value.clone()).unwrap();
                match value["op"].as_str() {
                    Some("open") if value["target_name"] == "test.socket" => {
                        comm_id = value["comm_id"].as_str().unwrap().to_string();
                        let reply = json!({"op": "msg", "comm_id": comm_id, "data": {"method": "custom"},
                                           "metadata": {}, "buffers": ["AQI="]});
                        writer.write_all(format!("{reply}\n").as_bytes()).unwrap();
                    }
                    Some("msg") if value["comm_id"] == comm_id.as_str() => {
                        let close =
                            json!({"op": "close", "comm_id": comm_id, "data": {}, "metadata": {}, "buffers": []});
                        let sync = json!({"op": "sync", "id": 7});
                        writer.write_all(format!("{close}\n{sync}\n").as_bytes()).unwrap();
                    }
                    _ => {}
                }
            }
        });

        register_target("test.socket.target", |_, _| {});
        connect(&path).unwrap();
        assert!(widget_manager_present(), "the kernel's first line arrives before connect returns");
        let (events_tx, events_rx) = mpsc::channel::<CommEvent>();
        let events_tx = Mutex::new(events_tx);
        let comm =
            Comm::open("test.socket", json!({"state": {}}), json!({"version": "2.1.0"}), vec![], move |_, event| {
                let _ = events_tx.lock().unwrap().send(event.clone());
            });
        let wait = Duration::from_secs(10);
        let inbound = events_rx.recv_timeout(wait).unwrap();
        assert_eq!(
            inbound,
            CommEvent::Message(CommMessage {
                comm_id: comm.id().to_string(),
                data: json!({"method": "custom"}),
                metadata: json!({}),
                buffers: vec![vec![1, 2]],
            })
        );
        comm.send(json!({"method": "update"}), vec![]);
        assert!(matches!(events_rx.recv_timeout(wait).unwrap(), CommEvent::Closed(m) if m.comm_id == comm.id()));

        let mut registered = false;
        let mut ops = vec![];
        while ops.len() < 2 {
            let line = lines_rx.recv_timeout(wait).unwrap();
            registered |= line == json!({"op": "register", "target_name": "test.socket.target"});
            if line["comm_id"] == comm.id() {
                ops.push((line["op"].as_str().unwrap().to_string(), line["comm_id"].as_str().unwrap().to_string()));
            }
        }
        assert_eq!(ops, vec![("open".to_string(), comm.id().to_string()), ("msg".to_string(), comm.id().to_string())]);
        assert!(registered, "targets registered before connecting are announced at the connection");
        assert_eq!(
            lines_rx.recv_timeout(wait).unwrap(),
            json!({"op": "sync", "id": 7}),
            "the kernel's sync is answered"
        );

        detach();
        assert!(!widget_manager_present());
        kernel.join().expect("the kernel side ends when the socket closes");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
