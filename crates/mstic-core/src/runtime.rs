//! One process-wide tokio runtime so that synchronous notebook calls can drive async work
//! (DataFusion plans, HTTP requests) without each call building its own runtime.

use std::future::Future;
use std::sync::OnceLock;

/// The shared multi-thread runtime (two workers: the machines we target have few cores).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mstic-worker")
            .enable_all()
            .build()
            .expect("cannot start the async runtime")
    })
}

/// Runs `future` to completion from synchronous code. Inside a runtime thread (e.g. a test that
/// is itself async) it moves the work to a scoped thread instead of nesting runtimes.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(|| runtime().block_on(future)).join().expect("async task panicked"))
    } else {
        runtime().block_on(future)
    }
}
