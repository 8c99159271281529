//! Helpers for tests of work that stops on a cell interrupt (`mstic_core::interrupt`). The flag is
//! process-wide, so tests that set it hold [`lock_interrupt_flag`]; [`interrupted_when`] and
//! [`interrupted_after`] run the work while another thread requests the interrupt.

use mstic_core::interrupt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

/// The interrupt flag held by one test: cleared when taken and again when dropped.
pub struct InterruptFlagLock {
    _guard: MutexGuard<'static, ()>,
}

impl Drop for InterruptFlagLock {
    fn drop(&mut self) {
        interrupt::clear();
    }
}

/// Takes the interrupt flag for the calling test (other tests of the binary that take it wait).
pub fn lock_interrupt_flag() -> InterruptFlagLock {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    interrupt::clear();
    InterruptFlagLock { _guard: guard }
}

/// Runs `work` while another thread requests an interrupt as soon as `ready()` holds (the work is
/// under way; at the latest after 30 s); returns the result and how long the work went on after the
/// request. The flag is cleared afterwards.
pub fn interrupted_when<T>(ready: impl Fn() -> bool + Sync, work: impl FnOnce() -> T) -> (T, Duration) {
    let requested_at = Mutex::new(None);
    let (result, ended) = std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !ready() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            *requested_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            interrupt::request();
        });
        let result = work();
        (result, Instant::now())
    });
    interrupt::clear();
    let requested_at = requested_at.into_inner().unwrap_or_else(|e| e.into_inner()).expect("the interrupt was requested");
    (result, ended.saturating_duration_since(requested_at))
}

/// [`interrupted_when`] with the interrupt requested `delay` after the work starts.
pub fn interrupted_after<T>(delay: Duration, work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    interrupted_when(|| started.elapsed() >= delay, work)
}
