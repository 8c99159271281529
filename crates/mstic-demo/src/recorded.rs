//! [`RecordedServer`]: recorded responses served by the local HTTP server
//! ([`crate::local_http`]) — the stand-in for the remote services in tests and in the example
//! notebook. Routes match a method and a path fragment (and optionally a body fragment); each
//! route plays its replies in order and repeats the last. Every request is recorded for
//! inspection.

use mstic_core::Result;
use crate::local_http::{HttpRequest, HttpResponse, LocalServer};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One recorded response (status, headers, body and an optional delay).
pub type Reply = HttpResponse;

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

impl From<HttpRequest> for RecordedRequest {
    fn from(request: HttpRequest) -> Self {
        let body = request.body_text();
        RecordedRequest { method: request.method, path: request.target, headers: request.headers, body }
    }
}

struct Route {
    method: String,
    path_fragment: String,
    body_fragment: Option<String>,
    replies: VecDeque<Reply>,
}

/// The recorded-response server; stops when dropped.
pub struct RecordedServer {
    server: LocalServer,
    routes: Arc<Mutex<Vec<Route>>>,
}

impl RecordedServer {
    /// Starts the server on a free port of 127.0.0.1.
    pub fn start() -> Result<RecordedServer> {
        let routes: Arc<Mutex<Vec<Route>>> = Arc::default();
        let handler_routes = routes.clone();
        let server = LocalServer::start(move |request| answer(&handler_routes, request))?;
        Ok(RecordedServer { server, routes })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        self.server.url()
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
        let route = Route { method: method.to_ascii_uppercase(), path_fragment: path_fragment.to_string(), body_fragment, replies: replies.into() };
        self.routes.lock().unwrap_or_else(|e| e.into_inner()).push(route);
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests().into_iter().map(RecordedRequest::from).collect()
    }

    /// The requests whose path contains `path_fragment`.
    pub fn requests_to(&self, path_fragment: &str) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(|r| r.path.contains(path_fragment)).collect()
    }
}

impl std::fmt::Debug for RecordedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedServer").field("base_url", &self.base_url()).finish()
    }
}

/// The next reply of the latest route matching `request`, or a 404 naming the request.
fn answer(routes: &Mutex<Vec<Route>>, request: &HttpRequest) -> Reply {
    let body = request.body_text();
    let mut routes = routes.lock().unwrap_or_else(|e| e.into_inner());
    let route = routes.iter_mut().rev().find(|r| {
        r.method == request.method && request.target.contains(&r.path_fragment) && r.body_fragment.as_ref().is_none_or(|b| body.contains(b.as_str()))
    });
    match route {
        Some(route) if route.replies.len() > 1 => route.replies.pop_front(),
        Some(route) => route.replies.front().cloned(),
        None => None,
    }
    .unwrap_or_else(|| {
        let message = format!("no recorded response for {} {}", request.method, request.target);
        Reply::json(404, serde_json::json!({"error": {"code": "NotFound", "message": message}}))
    })
}
