//! [`LocalServer`]: a small HTTP/1.1 server on 127.0.0.1 (keep-alive, optional latency) whose
//! answers come from a handler function — for provider examples, tests and benchmarks.

use mstic_core::{Error, Result};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

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
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
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
}

/// An answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Self {
        HttpResponse { status, content_type: "application/json".into(), body: body.to_string().into_bytes() }
    }

    /// A plain-text answer (also for deliberately malformed JSON).
    pub fn text(status: u16, body: &str) -> Self {
        HttpResponse { status, content_type: "text/plain".into(), body: body.as_bytes().to_vec() }
    }

    /// A binary answer (e.g. a `.tar.gz` download).
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        HttpResponse { status, content_type: content_type.into(), body }
    }
}

type Handler = Arc<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>;

/// An HTTP server on `127.0.0.1` running on the shared runtime until dropped.
pub struct LocalServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    requests: Arc<Mutex<Vec<HttpRequest>>>,
    count: Arc<AtomicUsize>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer").field("url", &self.url()).finish()
    }
}

impl LocalServer {
    /// Starts a server answering every request with `handler`.
    pub fn start(handler: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static) -> Result<LocalServer> {
        Self::start_with_latency(handler, Duration::ZERO)
    }

    /// Starts a server that waits `latency` before each answer (as a remote API would).
    pub fn start_with_latency(
        handler: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
        latency: Duration,
    ) -> Result<LocalServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Other(format!("cannot listen on 127.0.0.1: {e}")))?;
        listener.set_nonblocking(true).map_err(|e| Error::Other(e.to_string()))?;
        let addr = listener.local_addr().map_err(|e| Error::Other(e.to_string()))?;
        let runtime = mstic_core::runtime::runtime();
        let _entered = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| Error::Other(e.to_string()))?;
        let handler: Handler = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let (log, counter) = (requests.clone(), count.clone());
        let task = runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (handler, log, counter) = (handler.clone(), log.clone(), counter.clone());
                tokio::spawn(async move {
                    let _ = serve_connection(stream, handler, latency, log, counter).await;
                });
            }
        });
        Ok(LocalServer { addr, task, requests, count })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far (the latest 10,000).
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Number of requests received.
    pub fn request_count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    handler: Handler,
    latency: Duration,
    log: Arc<Mutex<Vec<HttpRequest>>>,
    counter: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    // Small answers must not wait for delayed ACKs (Nagle), or every request gains ~40 ms.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or("/").to_string());
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await? == 0 {
                return Ok(());
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
        let mut body = vec![0u8; length.min(16 << 20)];
        reader.read_exact(&mut body).await?;
        let request = HttpRequest { method, target, headers, body };
        counter.fetch_add(1, Ordering::Relaxed);
        {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            if log.len() < 10_000 {
                log.push(request.clone());
            }
        }
        let close = request.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let response = handler(&request);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
            response.status,
            reason(response.status),
            response.content_type,
            response.body.len(),
            if close { "close" } else { "keep-alive" }
        );
        let mut message = head.into_bytes();
        message.extend_from_slice(&response.body);
        write.write_all(&message).await?;
        write.flush().await?;
        if close {
            return Ok(());
        }
    }
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
        503 => "Service Unavailable",
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
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
