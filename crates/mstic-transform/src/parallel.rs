//! Row-parallel work over the machine's cores with the output in row order. Rows are handed
//! out in small blocks from a shared counter, so a core slowed by other work takes fewer blocks
//! instead of holding up the result. Workers stop taking blocks when the user interrupts the cell.

use mstic_core::{Result, interrupt};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rows per block handed to a worker.
const BLOCK: usize = 64;

/// `f(row)` for every row in `0..rows`, in row order; small inputs run on the calling thread.
/// An interrupt of the cell stops the workers between blocks and gives `Error::Interrupted`
/// naming `what`.
pub(crate) fn map_rows<T: Send>(rows: usize, what: &str, f: impl Fn(usize) -> T + Sync) -> Result<Vec<T>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8).min(rows.div_ceil(BLOCK));
    if workers <= 1 || rows < 4 * BLOCK {
        let mut out = Vec::with_capacity(rows);
        for row in 0..rows {
            if row % BLOCK == 0 {
                interrupt::check(what)?;
            }
            out.push(f(row));
        }
        return Ok(out);
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, Vec<T>)> = Vec::new();
        loop {
            if interrupt::is_requested() {
                return done;
            }
            let start = next.fetch_add(BLOCK, Ordering::Relaxed);
            if start >= rows {
                return done;
            }
            done.push((start, (start..(start + BLOCK).min(rows)).map(&f).collect()));
        }
    };
    let mut blocks: Vec<(usize, Vec<T>)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut blocks = work();
        for helper in helpers {
            blocks.extend(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        blocks
    });
    interrupt::check(what)?;
    blocks.sort_unstable_by_key(|(start, _)| *start);
    Ok(blocks.into_iter().flat_map(|(_, values)| values).collect())
}

/// Runs `first` on another thread (when `parallel`) while `second` runs on this one.
pub(crate) fn both<A: Send, B>(parallel: bool, first: impl FnOnce() -> A + Send, second: impl FnOnce() -> B) -> (A, B) {
    if !parallel || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return (first(), second());
    }
    std::thread::scope(|scope| {
        let helper = scope.spawn(first);
        let b = second();
        (helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
    })
}
