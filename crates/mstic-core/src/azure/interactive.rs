//! Browser sign-in on this machine (`interactive`): the OAuth 2.0 authorization code grant with
//! PKCE (RFC 7636) and a loopback redirect (RFC 8252). A browser is opened with `$BROWSER`, or
//! `xdg-open` when a display is available; where none can be opened (a remote Jupyter server)
//! the sign-in fails at once suggesting `devicecode`.

use super::user_sign_in::{TokenGrant, UserCredential, oauth_error, parse_grant, post_form, remote, without_query};
use crate::config::Secret;
use crate::{DisplayHandle, MimeBundle, Result};
use base64::Engine;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The program that opens a URL in a browser here, or why there is none.
pub(crate) fn browser() -> std::result::Result<String, String> {
    if let Some(configured) = std::env::var("BROWSER").ok().and_then(|b| b.split(':').map(str::trim).find(|b| !b.is_empty()).map(str::to_string)) {
        return Ok(configured);
    }
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if (has_display || cfg!(target_os = "macos")) && on_path(opener) {
        return Ok(opener.to_string());
    }
    Err("no browser can be opened here (no $BROWSER, and no display for xdg-open); sign in with auth_methods devicecode instead".into())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Signs the user in through a browser and returns the tokens for `scope`.
pub(crate) async fn sign_in(user: &UserCredential, scope: &str) -> Result<TokenGrant> {
    let opener = browser().map_err(|reason| remote(format!("browser sign-in: {reason}")))?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| remote(format!("browser sign-in: cannot listen on 127.0.0.1 for the redirect: {e}")))?;
    let port = listener.local_addr().map_err(|e| remote(format!("browser sign-in: {e}")))?.port();
    let redirect_uri = format!("http://localhost:{port}");
    let verifier = random_text();
    let state = random_text();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.expose().as_bytes()));
    let scopes = UserCredential::scopes(scope);
    let mut authorize = user.endpoint("authorize")?;
    authorize.set_query(Some(
        &[
            ("client_id", user.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri.as_str()),
            ("response_mode", "query"),
            ("scope", scopes.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", state.expose()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::web::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&"),
    ));
    let status = Status::show("Opening a browser to sign in to Azure; finish the sign-in there.");
    open_browser(&opener, authorize.as_str()).map_err(|e| status.failed(e))?;
    let wait = user.sign_in_timeout;
    let expected_state = state.expose().to_string();
    let redirect = tokio::task::spawn_blocking(move || wait_for_redirect(listener, &expected_state, wait))
        .await
        .map_err(|e| status.failed(format!("waiting for the browser failed: {e}")))?;
    let code = match redirect {
        Ok(code) => code,
        Err(reason) if reason.is_empty() => {
            status.update("Browser sign-in stopped.", false);
            return Err(crate::Error::interrupted("the browser sign-in"));
        }
        Err(reason) => return Err(status.failed(reason)),
    };
    let token_url = user.endpoint("token")?;
    let form = [
        ("client_id", user.client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier.expose()),
        ("scope", scopes.as_str()),
    ];
    let (http_status, json) = post_form(&user.http, &token_url, &form).await.map_err(|e| status.failed(e.to_string()))?;
    match parse_grant(http_status, &json) {
        Ok(grant) => {
            let account = grant.identity.account.as_ref().map(|a| format!(" as {a}")).unwrap_or_default();
            status.update(&format!("Signed in with the browser{account}."), true);
            Ok(grant)
        }
        Err(_) => Err(status.failed(format!("{} answered {}", without_query(&token_url), oauth_error(http_status, &json)))),
    }
}

/// 32 random bytes as URL-safe text (a PKCE verifier or a state value).
fn random_text() -> Secret {
    let mut bytes = [0u8; 32];
    // The system random source only fails when the OS has none; a fixed value would be unsafe.
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator is available");
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn open_browser(program: &str, url: &str) -> std::result::Result<(), String> {
    // `$BROWSER` may hold `%s` where the URL goes.
    let (program, args): (PathBuf, Vec<String>) = if program.contains("%s") {
        let mut words = program.split_whitespace().map(|w| w.replace("%s", url));
        (words.next().unwrap_or_default().into(), words.collect())
    } else {
        (program.into(), vec![url.to_string()])
    };
    std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot start the browser '{}': {e}", program.display()))
}

/// Waits for the browser's redirect to the loopback listener; the authorization code, or why
/// there is none (an empty reason: interrupted).
fn wait_for_redirect(listener: TcpListener, state: &str, timeout: Duration) -> std::result::Result<Secret, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    loop {
        if crate::interrupt::is_requested() {
            return Err(String::new());
        }
        if Instant::now() >= deadline {
            return Err(format!("no sign-in within {} s (raise sign_in_timeout to wait longer)", timeout.as_secs()));
        }
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(outcome) = answer_redirect(stream, state) {
                    return outcome;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("the redirect listener failed: {e}")),
        }
    }
}

/// Reads one request on the redirect address and answers the browser; `None` for requests that
/// are not the redirect (e.g. `/favicon.ico`).
fn answer_redirect(mut stream: TcpStream, state: &str) -> Option<std::result::Result<Secret, String>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.lines().next()?.split_whitespace().nth(1)?.to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |name: &str| {
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| percent_decode(value))
        })
    };
    if path != "/" && param("code").is_none() && param("error").is_none() {
        let _ = reply(&mut stream, 404, "Not found.");
        return None;
    }
    let outcome = if param("state").as_deref() != Some(state) {
        Err("the browser's answer does not belong to this sign-in (state mismatch)".to_string())
    } else if let Some(code) = param("code") {
        Ok(Secret::new(code))
    } else {
        let error = param("error").unwrap_or_else(|| "no authorization code".into());
        let description = param("error_description").unwrap_or_default();
        Err(format!("{error}: {}", description.lines().next().unwrap_or_default()).trim_end_matches(": ").to_string())
    };
    let page = match &outcome {
        Ok(_) => "Signed in to Azure. You can close this tab and return to the notebook.".to_string(),
        Err(reason) => format!("The sign-in failed: {reason}"),
    };
    let _ = reply(&mut stream, if outcome.is_ok() { 200 } else { 400 }, &page);
    Some(outcome)
}

/// Decodes `%XX` escapes and `+` of a query string value.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (byte, _) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reply(stream: &mut TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let body = format!("<!doctype html><html><body><p>{}</p></body></html>", crate::display::escape_html(text));
    let reason = if status == 200 { "OK" } else if status == 404 { "Not Found" } else { "Bad Request" };
    write!(stream, "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
    stream.flush()
}

/// The notebook line of a browser sign-in, updated in place.
struct Status {
    handle: DisplayHandle,
}

impl Status {
    fn show(text: &str) -> Status {
        Status { handle: MimeBundle::new().with_text("text/plain", text).display_with_handle() }
    }

    fn update(&self, text: &str, _success: bool) {
        self.handle.update(&MimeBundle::new().with_text("text/plain", text));
    }

    fn failed(&self, reason: String) -> crate::Error {
        self.update(&format!("Browser sign-in failed: {reason}"), false);
        remote(format!("browser sign-in failed: {reason}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_values_are_random_and_url_safe() {
        let (a, b) = (random_text(), random_text());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert!(a.expose().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn redirect_carries_the_code_only_with_the_right_state() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut favicon = TcpStream::connect(addr).unwrap();
            favicon.write_all(b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut answer = String::new();
            let _ = favicon.read_to_string(&mut answer);
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(b"GET /?code=abc%2Fdef&state=s1 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
            let mut page = String::new();
            let _ = stream.read_to_string(&mut page);
            (answer, page)
        });
        let code = wait_for_redirect(listener, "s1", Duration::from_secs(10)).unwrap();
        assert_eq!(code.expose(), "abc/def");
        let (favicon, page) = client.join().unwrap();
        assert!(favicon.starts_with("HTTP/1.1 404"));
        assert!(page.starts_with("HTTP/1.1 200") && page.contains("Signed in"), "{page}");
    }
}
