//! A small HTTP/1.1 server on 127.0.0.1 that answers with recorded responses — the stand-in for
//! the remote services in tests and in the example notebook. Routes match a method and a path
//! fragment (and optionally a body fragment); each route plays its replies in order and repeats
//! the last. Every request is recorded for inspection.

use mstic_core::{Error, Result};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One recorded response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (Content-Type included).
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
    /// Wait this long before answering (to exercise time-outs).
    pub delay: Option<Duration>,
}

impl Reply {
    /// A JSON response.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply { status, headers: vec![("Content-Type".into(), "application/json".into())], body: body.into(), delay: None }
    }

    /// The same with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same, answered after `delay`.
    pub fn with_delay(mut self, delay: Duration) -> Reply {
        self.delay = Some(delay);
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`…
    pub method: String,
    /// Path with query string.
    pub path: String,
    /// Headers as received (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl RecordedRequest {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct Route {
    method: String,
    path_fragment: String,
    body_fragment: Option<String>,
    replies: VecDeque<Reply>,
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    requests: Vec<RecordedRequest>,
}

/// The recorded-response server; stops when dropped.
pub struct RecordedServer {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl RecordedServer {
    /// Starts the server on a free port of 127.0.0.1.
    pub fn start() -> Result<RecordedServer> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Other(format!("cannot listen on 127.0.0.1: {e}")))?;
        let port = listener.local_addr().map_err(|e| Error::Other(e.to_string()))?.port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (state.clone(), stop.clone());
        let accept_thread = std::thread::Builder::new()
            .name("recorded-server".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if thread_stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let state = thread_state.clone();
                        std::thread::spawn(move || serve(stream, &state));
                    }
                }
            })
            .map_err(|e| Error::Other(format!("cannot start the server thread: {e}")))?;
        Ok(RecordedServer { port, state, stop, accept_thread: Some(accept_thread) })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers `method` requests whose path contains `path_fragment` with `replies` in order (the
    /// last repeats). Routes added later take precedence.
    pub fn route(&self, method: &str, path_fragment: &str, replies: Vec<Reply>) {
        self.add(method, path_fragment, None, replies);
    }

    /// Like [`RecordedServer::route`], for requests whose body also contains `body_fragment`.
    pub fn route_body(&self, method: &str, path_fragment: &str, body_fragment: &str, replies: Vec<Reply>) {
        self.add(method, path_fragment, Some(body_fragment.to_string()), replies);
    }

    fn add(&self, method: &str, path_fragment: &str, body_fragment: Option<String>, replies: Vec<Reply>) {
        if let Ok(mut state) = self.state.lock() {
            state.routes.push(Route { method: method.to_ascii_uppercase(), path_fragment: path_fragment.to_string(), body_fragment, replies: replies.into() });
        }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().map(|s| s.requests.clone()).unwrap_or_default()
    }

    /// The requests whose path contains `path_fragment`.
    pub fn requests_to(&self, path_fragment: &str) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(|r| r.path.contains(path_fragment)).collect()
    }
}

impl Drop for RecordedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for RecordedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedServer").field("base_url", &self.base_url()).finish()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader) else { return };
    let reply = {
        let Ok(mut state) = state.lock() else { return };
        state.requests.push(request.clone());
        let route = state.routes.iter_mut().rev().find(|r| {
            r.method == request.method
                && request.path.contains(&r.path_fragment)
                && r.body_fragment.as_ref().is_none_or(|b| request.body.contains(b.as_str()))
        });
        match route {
            Some(route) if route.replies.len() > 1 => route.replies.pop_front(),
            Some(route) => route.replies.front().cloned(),
            None => None,
        }
        .unwrap_or_else(|| Reply::json(404, format!("{{\"error\":{{\"code\":\"NotFound\",\"message\":\"no recorded response for {} {}\"}}}}", request.method, request.path)))
    };
    if let Some(delay) = reply.delay {
        std::thread::sleep(delay);
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", reply.body.len()));
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.write_all(&reply.body);
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Both);
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<RecordedRequest> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length.min(64 * 1024 * 1024)];
    reader.read_exact(&mut body).ok()?;
    Some(RecordedRequest { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
