//! Shared set-up for the sign-in tests: an HTTPS front (a certificate authority and server
//! certificate generated per test) for the recorded-response server, a test that re-runs itself in
//! a child process with its own environment (`AZURE_*`, `IDENTITY_*`, `BROWSER`, `MSTIC_KERNEL`),
//! a record of every log line the Azure SDK writes, and the check that no secret appears in any of
//! it.
#![allow(dead_code)]

use mstic_demo::RecordedServer;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};

pub const TENANT: &str = "8360dd21-0294-4240-9128-89611f415c53";
pub const CLIENT_ID: &str = "66b9818a-26cd-4584-8eb0-7f7a499242aa";
pub const WORKSPACE: &str = "52b1ab41-869e-4138-9e40-2a4457f09bf3";
pub const CLIENT_SECRET: &str = "client-s3cret-never-shown";

/// A token endpoint answer with this access token (and optionally a refresh token).
pub fn token_json(access_token: &str, refresh_token: Option<&str>) -> String {
    let refresh = refresh_token.map(|r| format!(r#","refresh_token":"{r}""#)).unwrap_or_default();
    format!(r#"{{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"{access_token}"{refresh}}}"#)
}

/// A folder for one test's files, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("mstic-auth-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` with `contents`; its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An HTTPS front for a recorded-response server: TLS with a server certificate for 127.0.0.1
/// issued by a certificate authority made for the test (its PEM in `ca_file`), forwarding each
/// connection to the plain server.
pub struct HttpsServer {
    pub recorded: RecordedServer,
    addr: SocketAddr,
    pub ca_file: PathBuf,
    _dir: TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl HttpsServer {
    pub fn start(name: &str) -> HttpsServer {
        let recorded = RecordedServer::start().expect("server starts");
        let backend: SocketAddr = recorded.base_url().trim_start_matches("http://").parse().expect("address");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Rust MSTIC test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().expect("server key");
        let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
        server_params.subject_alt_names.push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
        let server_cert = server_params.signed_by(&server_key, &issuer).expect("server certificate");
        let dir = TempDir::new(name);
        let ca_file = dir.write("ca.pem", &ca_cert.pem());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![server_cert.der().clone()], rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).expect("key"))
            .expect("TLS config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = mstic_core::runtime::runtime();
        let (listener, addr) = mstic_demo::local_http::bind_unused_port().expect("listen");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let listener = runtime.block_on(async { tokio::net::TcpListener::from_std(listener) }).expect("listen");
        let task = runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else { return };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        HttpsServer { recorded, addr, ca_file, _dir: dir, task }
    }

    /// `https://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Set in the child process of [`run_in_child`].
const CHILD_MARK: &str = "MSTIC_AUTH_TEST_CHILD";

/// In the test process: runs test `name` again in a child process with `env` added (and the
/// `AZURE_*`/`IDENTITY_*`/`BROWSER`/`DISPLAY` variables of this process removed), asserts it
/// passed and returns its stdout and stderr. In the child: `None`, so the test body runs there.
pub fn run_in_child(name: &str, env: &[(&str, &str)]) -> Option<String> {
    if std::env::var_os(CHILD_MARK).is_some() {
        return None;
    }
    let mut command = std::process::Command::new(std::env::current_exe().expect("test binary"));
    command.args([name, "--exact", "--nocapture", "--test-threads", "1"]).env(CHILD_MARK, "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("AZURE_") || key.starts_with("IDENTITY_") || ["BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "MSTIC_KERNEL", "MSI_ENDPOINT", "REQUESTS_CA_BUNDLE"].contains(&key.as_str()) {
            command.env_remove(&key);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("child test runs");
    let text = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "child test {name} failed:\n{text}");
    assert!(text.contains("1 passed"), "child test {name} did not run:\n{text}");
    Some(text)
}

/// The kernel display messages (`MSTIC_MESSAGE {json}` lines) of a child's output.
pub fn display_messages(output: &str) -> Vec<serde_json::Value> {
    output
        .lines()
        // The test harness's `test name ... ` may precede the first message on its line.
        .filter_map(|line| line.find(mstic_core::display::MESSAGE_MARKER).map(|at| &line[at + mstic_core::display::MESSAGE_MARKER.len()..]))
        .map(|json| serde_json::from_str(json).expect("display message is JSON"))
        .collect()
}

/// Asserts that none of `secrets` occurs in `text` (output, errors, logs, Debug strings).
pub fn assert_no_secrets(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "secret '{secret}' leaked into:\n{text}");
    }
}

/// Every log line written through `tracing` in this process (the Azure SDK's), recorded at all
/// levels from the first call on.
pub fn logs() -> String {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(LogRecorder);
    });
    LOG.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

static LOG: Mutex<String> = Mutex::new(String::new());

/// A `tracing` subscriber writing every event and span field to [`LOG`].
struct LogRecorder;

struct FieldText(String);

impl tracing::field::Visit for FieldText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl tracing::Subscriber for LogRecorder {
    fn enabled(&self, _metadata: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = FieldText(format!("span {}:", span.metadata().name()));
        span.record(&mut text);
        LOG.lock().unwrap_or_else(|e| e.into_inner()).push_str(&(text.0 + "\n"));
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut text = FieldText("span record:".into());
        values.record(&mut text);
        LOG.lock().unwrap_or_else(|e| e.into_inner()).push_str(&(text.0 + "\n"));
    }

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = FieldText(format!("{} {}:", event.metadata().level(), event.metadata().target()));
        event.record(&mut text);
        LOG.lock().unwrap_or_else(|e| e.into_inner()).push_str(&(text.0 + "\n"));
    }

    fn enter(&self, _span: &tracing::span::Id) {}

    fn exit(&self, _span: &tracing::span::Id) {}
}
