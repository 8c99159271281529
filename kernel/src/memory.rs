//! Keeping the kernel process's memory down. rust-analyzer (inside evcxr) allocates heavily while it
//! analyses a cell and frees most of it afterwards; glibc keeps freed memory in per-thread arenas
//! instead of returning it to the system. The kernel limits the number of arenas and hands free
//! memory back whenever the engine has been idle for a moment.

/// Limits glibc's malloc arenas (call before other threads start; the cell process is not
/// affected: it keeps glibc's defaults for multi-threaded DataFusion work).
pub fn limit_arenas() {
    // SAFETY: mallopt only changes allocator parameters; called while single-threaded.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns free heap memory to the system.
pub fn release_free_memory() {
    // SAFETY: malloc_trim only releases memory that is not in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// This process's resident memory in bytes (from `/proc/self/statm`), for the log.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(1) as u64)
}
