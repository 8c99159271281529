//! Stdio relay inside evcxr's runtime child (the process that runs the cells).
//!
//! evcxr reads the child's stdout and stderr line by line, so text printed without a newline
//! (`print!("…")`) would wait for the next newline, and a partial line followed by evcxr's own
//! `EVCXR_EXECUTION_COMPLETE` marker would merge into one unrecognised line. The relay sits
//! between fds 1/2 and the pipes to the kernel: complete lines pass through unchanged, a partial
//! line that stalls (or that precedes a marker) is sent as `MSTIC_PARTIAL <json string>`.
//!
//! Cells link their own copy of the standard library, whose stdout buffer this binary cannot
//! flush. The kernel's support code (see `engine::SUPPORT_CODE`) runs a thread in the cells' world
//! that flushes on request through two pipes named in `MSTIC_FLUSH_FDS`; when a cell completes the
//! relay asks it to flush, forwards what arrives, and only then passes the completion marker on.
//! It also drains stderr and writes `MSTIC_SYNC` there, so the kernel knows it has every stderr
//! byte of the cell before it replies.

use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Prefix of a partial-line record.
pub const PARTIAL_MARKER: &str = "MSTIC_PARTIAL ";
/// Line written to stderr once a cell's stderr has been fully relayed.
pub const SYNC_MARKER: &str = "MSTIC_SYNC";
/// Line written to stderr (before [`SYNC_MARKER`]) when the cell was stopped by the `?` operator:
/// evcxr's generated code prints the error to stderr, then `EVCXR_ERROR_OCCURRED` on stdout, which
/// evcxr consumes without telling its caller.
pub const QUESTION_MARK_MARKER: &str = "MSTIC_QUESTION_MARK";
const EXECUTION_COMPLETE: &str = "EVCXR_EXECUTION_COMPLETE";
const USER_ERROR_OCCURRED: &str = "EVCXR_ERROR_OCCURRED";
const STALL: Duration = Duration::from_millis(25);
const FLUSH_WAIT_MS: i32 = 250;

struct RelayState {
    read_fd: RawFd,
    out: std::fs::File,
    pending: Vec<u8>,
    /// Set when evcxr's `?` marker passed through since the last completed cell.
    user_error: bool,
}

impl RelayState {
    /// Reads whatever is available without blocking. Returns false at end of file.
    fn read_available(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        loop {
            let n = unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                self.pending.extend_from_slice(&buf[..n as usize]);
                continue;
            }
            return n != 0;
        }
    }

    /// Writes complete lines, stopping before evcxr's completion marker, which is returned.
    fn forward_lines(&mut self) -> Option<String> {
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            let marker_at = ["EVCXR_", "MSTIC_"].iter().filter_map(|m| text.find(m)).filter(|&i| i > 0).min();
            let (prefix, rest) = match marker_at {
                Some(i) => (&text[..i], &text[i..]),
                None => ("", text.as_str()),
            };
            self.write_partial(prefix);
            if rest == EXECUTION_COMPLETE {
                return Some(rest.to_string());
            }
            if rest == USER_ERROR_OCCURRED {
                self.user_error = true;
            }
            if marker_at.is_some() {
                self.write_raw(format!("{rest}\n").as_bytes());
            } else {
                self.write_raw(&line);
            }
        }
        None
    }

    fn flush_partial(&mut self) {
        if !self.pending.is_empty() {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            self.pending.clear();
            self.write_partial(&text);
        }
    }

    fn write_partial(&mut self, text: &str) {
        if !text.is_empty() {
            let json = serde_json::to_string(text).unwrap_or_default();
            self.write_raw(format!("{PARTIAL_MARKER}{json}\n").as_bytes());
        }
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        let _ = self.out.write_all(bytes);
    }
}

/// The pipes to the cells' flusher thread: (request write end, acknowledgement read end).
struct Flusher {
    request: RawFd,
    ack: RawFd,
    alive: bool,
}

impl Flusher {
    /// Asks the cells' standard library to flush stdout; waits for the acknowledgement.
    fn flush_cells_stdout(&mut self) {
        if !self.alive {
            // The support code announces itself with one byte when its thread starts.
            self.alive = wait_readable(self.ack, 0) && drain_fd(self.ack);
            if !self.alive {
                return;
            }
        }
        if unsafe { libc::write(self.request, [1u8].as_ptr().cast(), 1) } == 1 && wait_readable(self.ack, FLUSH_WAIT_MS) {
            drain_fd(self.ack);
        }
    }
}

fn wait_readable(fd: RawFd, timeout_ms: i32) -> bool {
    let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    unsafe { libc::poll(&mut poll, 1, timeout_ms) > 0 }
}

fn drain_fd(fd: RawFd) -> bool {
    let mut buf = [0u8; 64];
    unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) > 0 }
}

static RELAYS: OnceLock<[Arc<Mutex<RelayState>>; 2]> = OnceLock::new();

/// Installs the relay on fds 1 and 2 when this process is evcxr's runtime child under our kernel.
pub fn install_if_runtime_child() {
    if std::env::var_os("EVCXR_IS_RUNTIME").is_none()
        || std::env::var_os("MSTIC_KERNEL").is_none()
        || std::env::var_os("MSTIC_NO_RELAY").is_some()
    {
        return;
    }
    // User code sees the user's PATH, not the kernel's build shim.
    crate::cellbuild::remove_from_path();
    crate::analysis::restore_real_environment();
    let Some(stderr_state) = redirect(2) else { return };
    let Some(stdout_state) = redirect(1) else { return };
    let flusher = flush_pipes();
    let stderr_state = Arc::new(Mutex::new(stderr_state));
    let stdout_state = Arc::new(Mutex::new(stdout_state));
    let _ = RELAYS.set([stdout_state.clone(), stderr_state.clone()]);
    // Deliver what is still in the pipes when the process exits (evcxr exits on fatal errors).
    unsafe {
        libc::atexit(drain_at_exit);
    }
    spawn_pump(stderr_state.clone(), None, None);
    spawn_pump(stdout_state, Some(stderr_state), flusher);
}

extern "C" fn drain_at_exit() {
    let Some(relays) = RELAYS.get() else { return };
    for relay in relays {
        if let Ok(mut state) = relay.try_lock() {
            state.read_available();
            if let Some(marker) = state.forward_lines() {
                state.write_raw(format!("{marker}\n").as_bytes());
                state.forward_lines();
            }
            state.flush_partial();
        }
    }
}

fn flush_pipes() -> Option<Flusher> {
    let mut request = [0 as RawFd; 2];
    let mut ack = [0 as RawFd; 2];
    unsafe {
        if libc::pipe(request.as_mut_ptr()) != 0 || libc::pipe(ack.as_mut_ptr()) != 0 {
            return None;
        }
        // SAFETY: set before this process starts any other thread.
        std::env::set_var("MSTIC_FLUSH_FDS", format!("{} {}", request[0], ack[1]));
    }
    Some(Flusher { request: request[1], ack: ack[0], alive: false })
}

fn redirect(fd: RawFd) -> Option<RelayState> {
    let mut fds = [0 as RawFd; 2];
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return None;
        }
        let original = libc::dup(fd);
        if original < 0 || libc::dup2(fds[1], fd) < 0 {
            return None;
        }
        libc::close(fds[1]);
        let flags = libc::fcntl(fds[0], libc::F_GETFL);
        libc::fcntl(fds[0], libc::F_SETFL, flags | libc::O_NONBLOCK);
        Some(RelayState {
            read_fd: fds[0],
            out: std::fs::File::from_raw_fd(original),
            pending: Vec::new(),
            user_error: false,
        })
    }
}

fn spawn_pump(state: Arc<Mutex<RelayState>>, stderr: Option<Arc<Mutex<RelayState>>>, mut flusher: Option<Flusher>) {
    let read_fd = state.lock().map(|s| s.read_fd).unwrap_or(-1);
    std::thread::spawn(move || {
        loop {
            let has_pending = state.lock().map(|s| !s.pending.is_empty()).unwrap_or(false);
            let timeout = if has_pending { STALL.as_millis() as i32 } else { -1 };
            let ready = wait_readable(read_fd, timeout);
            let Ok(mut s) = state.lock() else { return };
            if !ready {
                s.flush_partial();
                continue;
            }
            let open = s.read_available();
            while let Some(marker) = s.forward_lines() {
                // A cell finished: collect its last buffered output before passing the marker on.
                if let Some(flusher) = flusher.as_mut() {
                    flusher.flush_cells_stdout();
                }
                s.read_available();
                let rest = s.forward_lines();
                s.flush_partial();
                let user_error = std::mem::take(&mut s.user_error);
                if let Some(err) = &stderr
                    && let Ok(mut e) = err.lock()
                {
                    e.read_available();
                    while let Some(m) = e.forward_lines() {
                        e.write_raw(format!("{m}\n").as_bytes());
                    }
                    e.flush_partial();
                    if user_error {
                        e.write_raw(format!("{QUESTION_MARK_MARKER}\n").as_bytes());
                    }
                    e.write_raw(format!("{SYNC_MARKER}\n").as_bytes());
                }
                s.write_raw(format!("{marker}\n").as_bytes());
                if let Some(next) = rest {
                    // Unexpected: a second marker in the same burst; pass it through in order.
                    s.write_raw(format!("{next}\n").as_bytes());
                }
            }
            if !open {
                s.flush_partial();
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek};

    fn relay_with(pending: &str) -> (RelayState, std::fs::File) {
        let path = std::env::temp_dir().join(format!("mstic-relay-{}", uuid::Uuid::new_v4()));
        let out = std::fs::File::options().create(true).read(true).write(true).truncate(true).open(&path).unwrap();
        let reader = out.try_clone().unwrap();
        let _ = std::fs::remove_file(&path);
        (RelayState { read_fd: -1, out, pending: pending.as_bytes().to_vec(), user_error: false }, reader)
    }

    fn written(mut file: std::fs::File) -> String {
        let mut text = String::new();
        file.rewind().unwrap();
        file.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn the_question_mark_marker_passes_through_and_is_noted() {
        let (mut relay, file) = relay_with("bad input\nEVCXR_ERROR_OCCURRED\nEVCXR_EXECUTION_COMPLETE\n");
        assert_eq!(relay.forward_lines().as_deref(), Some(EXECUTION_COMPLETE));
        assert!(relay.user_error);
        assert_eq!(written(file), "bad input\nEVCXR_ERROR_OCCURRED\n");
    }

    #[test]
    fn complete_lines_pass_through_and_partials_are_marked() {
        let (mut relay, file) = relay_with("one\ntwo\npart");
        assert_eq!(relay.forward_lines(), None);
        relay.flush_partial();
        assert_eq!(written(file), "one\ntwo\nMSTIC_PARTIAL \"part\"\n");
    }

    #[test]
    fn a_marker_glued_to_a_partial_line_is_split_off() {
        let (mut relay, file) = relay_with("tail EVCXR_BEGIN_CONTENT text/plain\nx\nprintedEVCXR_EXECUTION_COMPLETE\nlater");
        assert_eq!(relay.forward_lines().as_deref(), Some(EXECUTION_COMPLETE));
        assert_eq!(String::from_utf8_lossy(&relay.pending), "later");
        assert_eq!(
            written(file),
            "MSTIC_PARTIAL \"tail \"\nEVCXR_BEGIN_CONTENT text/plain\nx\nMSTIC_PARTIAL \"printed\"\n"
        );
    }
}
