//! The process-wide interrupt flag itself: a request stops a sleep and a pending future, the
//! kernel's signals set and clear it. In a test binary of its own, since the flag would stop the
//! other tests' queries and file loads.

use mstic_core::Result;
use mstic_core::interrupt::{self, CLEAR_SIGNAL, INTERRUPT_SIGNAL};
use mstic_demo::interrupt_probe::lock_interrupt_flag;
use std::time::{Duration, Instant};

#[test]
fn a_request_stops_a_sleep_and_a_pending_future() {
    let _flag = lock_interrupt_flag();
    let started = Instant::now();
    let requester = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(50));
        interrupt::request();
    });
    let slept = interrupt::sleep(Duration::from_secs(30), "the wait");
    requester.join().unwrap();
    assert_eq!(slept.unwrap_err().to_string(), "interrupted: the wait was stopped");
    assert!(started.elapsed() < Duration::from_secs(30));
    let pending = interrupt::block_on("the query", std::future::pending::<Result<u32>>());
    assert!(pending.unwrap_err().is_interrupted());
    interrupt::clear();
    assert_eq!(interrupt::block_on("the query", async { Ok(7) }).unwrap(), 7);
    assert!(interrupt::sleep(Duration::from_millis(5), "the wait").is_ok());
}

#[test]
fn the_kernel_signals_request_and_clear() {
    let _flag = lock_interrupt_flag();
    interrupt::install().unwrap();
    interrupt::install().unwrap();
    signal_hook::low_level::raise(INTERRUPT_SIGNAL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !interrupt::is_requested() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(interrupt::is_requested(), "SIGUSR1 sets the flag");
    signal_hook::low_level::raise(CLEAR_SIGNAL).unwrap();
    while interrupt::is_requested() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!interrupt::is_requested(), "SIGUSR2 clears it");
}
