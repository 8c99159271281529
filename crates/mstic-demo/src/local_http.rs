//! The local HTTP server behind the demo services and the offline tests: a small HTTP/1.1
//! server on 127.0.0.1 (keep-alive, optional latency, per-answer delays) whose answers come from
//! a handler function. Every request is recorded for inspection. The demo threat-intel service
//! ([`crate::DemoTiServer`]) and the recorded remote services ([`crate::RecordedServer`]) are
//! handlers over this one server.
//!
//! ```
//! use mstic_demo::{HttpResponse, LocalServer};
//! let server = LocalServer::start(|request| HttpResponse::text(200, request.path()))?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! # Ok::<(), mstic_core::Error>(())
//! ```

use mstic_core::{Error, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How many requests a server keeps for [`LocalServer::requests`].
const KEPT_REQUESTS: usize = 10_000;
/// The largest request body read (larger bodies are cut).
const MAX_BODY: usize = 64 << 20;

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`…
    pub method: String,
    /// Path and query string (`/api/v2/check?ipAddress=1.2.3.4`).
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The path without the query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A JSON body: a [`serde_json::Value`] or text/bytes that already hold JSON (or deliberately
/// malformed JSON).
pub trait JsonBody {
    /// The body bytes.
    fn into_json_bytes(self) -> Vec<u8>;
}

impl JsonBody for &serde_json::Value {
    fn into_json_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl JsonBody for serde_json::Value {
    fn into_json_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl JsonBody for &str {
    fn into_json_bytes(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl JsonBody for String {
    fn into_json_bytes(self) -> Vec<u8> {
        self.into_bytes()
    }
}

impl JsonBody for Vec<u8> {
    fn into_json_bytes(self) -> Vec<u8> {
        self
    }
}

/// An answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (`Content-Type` included; `Content-Length` and `Connection` are added).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Wait this long before answering (to exercise time-outs).
    pub delay: Option<Duration>,
}

impl HttpResponse {
    /// An answer with this `Content-Type`.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        HttpResponse { status, headers: vec![("Content-Type".into(), content_type.into())], body, delay: None }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: impl JsonBody) -> Self {
        Self::bytes(status, "application/json", body.into_json_bytes())
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Self {
        Self::bytes(status, "text/plain", body.as_bytes().to_vec())
    }

    /// The same with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same, answered after `delay`.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The `Content-Type` header, if set.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str())
    }
}

type Handler = Arc<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>;

/// What every connection of a server shares.
struct Shared {
    handler: Handler,
    latency: Duration,
    requests: Mutex<Vec<HttpRequest>>,
    count: AtomicUsize,
    stopped: AtomicBool,
}

/// An HTTP server on `127.0.0.1`, answering with a handler until dropped.
pub struct LocalServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer").field("url", &self.url()).finish()
    }
}

impl LocalServer {
    /// Starts a server on a free port answering every request with `handler`.
    pub fn start(handler: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static) -> Result<LocalServer> {
        Self::start_with_latency(handler, Duration::ZERO)
    }

    /// Starts a server that waits `latency` before each answer (as a remote API would).
    pub fn start_with_latency(
        handler: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
        latency: Duration,
    ) -> Result<LocalServer> {
        let (listener, addr) = bind_unused_port()?;
        let shared = Arc::new(Shared { handler: Arc::new(handler), latency, requests: Mutex::new(Vec::new()), count: AtomicUsize::new(0), stopped: AtomicBool::new(false) });
        let thread_shared = shared.clone();
        let accept_thread = std::thread::Builder::new()
            .name("local-http".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if thread_shared.stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let shared = thread_shared.clone();
                        std::thread::spawn(move || serve_connection(stream, &shared));
                    }
                }
            })
            .map_err(|e| Error::Other(format!("cannot start the server thread: {e}")))?;
        Ok(LocalServer { addr, shared, accept_thread: Some(accept_thread) })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far (the first 10,000).
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Number of requests received.
    pub fn request_count(&self) -> usize {
        self.shared.count.load(Ordering::Relaxed)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the stop flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }
}

/// Listens on a port of 127.0.0.1 that no earlier server of this process had: state kept per
/// address by clients (the session's token cache is keyed by authority URL) must not carry over
/// from a server that has stopped to a new one the system put on the same port.
pub fn bind_unused_port() -> Result<(TcpListener, SocketAddr)> {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    // Ports already used are held while binding again, so the system picks another one.
    let mut refused = Vec::new();
    for _ in 0..64 {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Other(format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = listener.local_addr().map_err(|e| Error::Other(format!("cannot read the local address: {e}")))?;
        if handed_out.contains(&addr.port()) {
            refused.push(listener);
            continue;
        }
        handed_out.push(addr.port());
        return Ok((listener, addr));
    }
    Err(Error::Other("no unused port on 127.0.0.1 after 64 attempts".into()))
}

/// Answers the requests of one connection until the client closes it or asks to, or the server
/// is dropped.
fn serve_connection(stream: TcpStream, shared: &Shared) {
    // Small answers must not wait for delayed ACKs (Nagle), or every request gains ~40 ms.
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        shared.count.fetch_add(1, Ordering::Relaxed);
        {
            let mut log = shared.requests.lock().unwrap_or_else(|e| e.into_inner());
            if log.len() < KEPT_REQUESTS {
                log.push(request.clone());
            }
        }
        let close = request.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let response = (shared.handler)(&request);
        let wait = shared.latency + response.delay.unwrap_or_default();
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        if write_response(&mut writer, &response, close).is_err() || close {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<HttpRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0usize);
    let mut body = vec![0u8; length.min(MAX_BODY)];
    reader.read_exact(&mut body).ok()?;
    Some(HttpRequest { method, target, headers, body })
}

fn write_response(writer: &mut TcpStream, response: &HttpResponse, close: bool) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let connection = if close { "close" } else { "keep-alive" };
    head.push_str(&format!("Content-Length: {}\r\nConnection: {connection}\r\n\r\n", response.body.len()));
    let mut message = head.into_bytes();
    message.extend_from_slice(&response.body);
    writer.write_all(&message)?;
    writer.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Decodes `%XX` escapes and `+` (as space).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
