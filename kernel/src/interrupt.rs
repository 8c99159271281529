//! Interrupting a cell. A cell is either compiling — its cargo build runs as a child of the kernel
//! process and is stopped by ending those build processes (nothing is lost) — or running in the
//! cell process, which is asked to stop with a signal that the library's long operations notice
//! (`mstic_core::interrupt`), so earlier variables stay. Only a cell that ignores the request for
//! the grace period (a tight loop of the user's own) is stopped by ending the cell process.

use std::collections::HashMap;
use std::time::Duration;

/// The signal that asks the cell process to stop the running cell (`mstic_core::interrupt`).
pub const STOP_CELL: i32 = libc::SIGUSR1;
/// The signal that tells the cell process a new cell starts (an earlier request is forgotten).
pub const NEW_CELL: i32 = libc::SIGUSR2;

/// How long a running cell may take to stop after the request before its process is ended
/// (`MSTIC_INTERRUPT_GRACE_SECONDS`, default 5).
pub fn grace() -> Duration {
    std::env::var("MSTIC_INTERRUPT_GRACE_SECONDS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(5))
}

/// Sends `signal` to process `pid`; false when it is gone.
pub fn signal(pid: u32, signal: i32) -> bool {
    // SAFETY: kill(2) with a pid this kernel started.
    pid > 0 && unsafe { libc::kill(pid as i32, signal) } == 0
}

/// Parent pid and session id of every process.
fn process_table() -> HashMap<i32, (i32, i32)> {
    let mut table = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return table };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // The command name is in parentheses and may contain spaces; fields follow the last ')':
        // state, ppid, pgrp, session, …
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let (Some(ppid), Some(session)) = (fields.get(1).and_then(|p| p.parse().ok()), fields.get(3).and_then(|s| s.parse().ok())) {
            table.insert(pid, (ppid, session));
        }
    }
    table
}

/// The cell builds in progress: descendants of this process in its own session, except the
/// cell process `runtime_child` and its descendants. Standby engines (started in a session of
/// their own) and their builds are never included.
pub fn builds(runtime_child: u32) -> Vec<i32> {
    let me = std::process::id() as i32;
    let table = process_table();
    let Some(&(_, my_session)) = table.get(&me) else { return Vec::new() };
    let mut found = Vec::new();
    for (&pid, &(_, session)) in &table {
        if pid == me || session != my_session {
            continue;
        }
        let mut cursor = pid;
        while let Some(&(ppid, ancestor_session)) = table.get(&cursor) {
            if cursor == runtime_child as i32 || ancestor_session != my_session {
                break;
            }
            if ppid == me {
                found.push(pid);
                break;
            }
            if ppid <= 1 {
                break;
            }
            cursor = ppid;
        }
    }
    found
}

/// Ends the cell builds in progress (see [`builds`]); returns how many processes were signalled.
pub fn kill_builds(runtime_child: u32) -> usize {
    let victims = builds(runtime_child);
    for pid in &victims {
        signal(*pid as u32, libc::SIGKILL);
    }
    victims.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn builds_are_descendants_in_this_session_but_not_the_cell_process_or_standbys() {
        let mut build = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let mut cell = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let mut standby = std::process::Command::new("sleep");
        standby.arg("30");
        // SAFETY: setsid is async-signal-safe; the child leaves this session, as standbys do.
        unsafe {
            standby.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut standby = standby.spawn().unwrap();
        let found = builds(cell.id());
        assert!(found.contains(&(build.id() as i32)), "{found:?}");
        assert!(!found.contains(&(cell.id() as i32)));
        assert!(!found.contains(&(standby.id() as i32)));
        for child in [&mut build, &mut cell, &mut standby] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    #[test]
    fn grace_comes_from_the_environment_with_a_default() {
        assert!(grace() >= Duration::ZERO);
        assert!(!signal(0, 0), "pid 0 is never signalled");
    }
}
