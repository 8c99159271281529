//! Stopping long work when the notebook user interrupts a cell, without losing the session.
//!
//! The kernel asks the process that runs cells to stop by sending it [`INTERRUPT_SIGNAL`]
//! (`SIGUSR1`); [`install`], run once in that process by the kernel's support code, turns the
//! signal into one process-wide flag. Long operations — DataFusion queries and file loads, HTTP
//! requests, threat-intel lookups, polling and waits — race against the flag and return
//! [`Error::Interrupted`], so the cell fails while every variable of earlier cells stays. The kernel
//! clears the flag with [`CLEAR_SIGNAL`] (`SIGUSR2`) before the next cell runs. Programs and tests
//! call [`request`] and [`clear`] directly.
//!
//! ```
//! use mstic_core::interrupt;
//! interrupt::request();
//! assert!(interrupt::check("the lookup").is_err());
//! interrupt::clear();
//! assert!(interrupt::check("the lookup").is_ok());
//! ```

use crate::{Error, Result};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The signal the kernel sends to stop the running cell.
pub const INTERRUPT_SIGNAL: i32 = signal_hook::consts::SIGUSR1;
/// The signal the kernel sends before a cell runs, to forget an earlier interrupt.
pub const CLEAR_SIGNAL: i32 = signal_hook::consts::SIGUSR2;

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// Wakes synchronous waiters ([`sleep`]); the counter changes on every request.
static WAITERS: LazyLock<(Mutex<u64>, Condvar)> = LazyLock::new(|| (Mutex::new(0), Condvar::new()));
/// Wakes asynchronous waiters ([`requested`]).
static NOTIFY: LazyLock<tokio::sync::Notify> = LazyLock::new(tokio::sync::Notify::new);

/// Listens for the kernel's signals in this process (idempotent: later calls return the first
/// call's outcome). Returns an error when the signal handlers cannot be registered.
pub fn install() -> Result<()> {
    static INSTALLED: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(listen).clone().map_err(Error::Other)
}

fn listen() -> std::result::Result<(), String> {
    let mut signals = signal_hook::iterator::Signals::new([INTERRUPT_SIGNAL, CLEAR_SIGNAL])
        .map_err(|e| format!("cannot listen for interrupts: {e}"))?;
    std::thread::Builder::new()
        .name("mstic-interrupt".into())
        .spawn(move || {
            for signal in signals.forever() {
                if signal == INTERRUPT_SIGNAL {
                    request();
                } else {
                    clear();
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the interrupt listener: {e}"))
}

/// Asks every long operation of this process to stop.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
    let (count, wake) = &*WAITERS;
    *count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    wake.notify_all();
    NOTIFY.notify_waiters();
}

/// Forgets an earlier request (the kernel does this before each cell).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether an interrupt has been requested since the last [`clear`].
pub fn is_requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// `Err(Error::Interrupted)` naming `what` once an interrupt was requested, else `Ok`. Loops over
/// rows, files or pages call this between steps.
pub fn check(what: &str) -> Result<()> {
    if is_requested() { Err(Error::interrupted(what)) } else { Ok(()) }
}

/// Sleeps for `duration`, returning early with `Err(Error::Interrupted)` when an interrupt is
/// requested. Library code waits with this instead of `std::thread::sleep`.
pub fn sleep(duration: Duration, what: &str) -> Result<()> {
    let deadline = Instant::now() + duration;
    let (count, wake) = &*WAITERS;
    let mut guard = count.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        check(what)?;
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        guard = wake.wait_timeout(guard, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
    }
}

/// Completes once an interrupt is requested (at once if one already is).
pub async fn requested() {
    loop {
        let notified = NOTIFY.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if is_requested() {
            return;
        }
        notified.await;
    }
}

/// Runs `work` until it finishes or an interrupt is requested; then `work` is dropped (which
/// cancels an HTTP request or a DataFusion stream) and the result is `Err(Error::Interrupted)`
/// naming `what`.
pub async fn race<T>(what: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        biased;
        _ = requested() => Err(Error::interrupted(what)),
        result = work => result,
    }
}

/// [`race`] driven to completion from synchronous code on the shared runtime.
pub fn block_on<T: Send>(what: &str, work: impl Future<Output = Result<T>> + Send) -> Result<T> {
    check(what)?;
    crate::runtime::block_on(race(what, work))
}
