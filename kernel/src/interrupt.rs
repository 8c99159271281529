//! Interrupting a compile: the cell's cargo build runs as a child of the kernel process, so it is
//! stopped by ending the kernel's descendant processes other than the runtime child.

use std::collections::HashMap;

fn parent_map() -> HashMap<i32, i32> {
    let mut parents = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return parents };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // The command name is in parentheses and may contain spaces; fields follow the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let Some(ppid) = fields.get(1).and_then(|p| p.parse().ok()) {
            parents.insert(pid, ppid);
        }
    }
    parents
}

/// Kills every descendant of this process except `runtime_child` (and its descendants).
/// Returns how many processes were signalled.
pub fn kill_builds(runtime_child: u32) -> usize {
    let me = std::process::id() as i32;
    let parents = parent_map();
    let mut victims = Vec::new();
    for &pid in parents.keys() {
        let mut cursor = pid;
        let mut through_child = false;
        while let Some(&ppid) = parents.get(&cursor) {
            if cursor == runtime_child as i32 {
                through_child = true;
            }
            if ppid == me {
                if !through_child && pid != runtime_child as i32 {
                    victims.push(pid);
                }
                break;
            }
            if ppid <= 1 {
                break;
            }
            cursor = ppid;
        }
    }
    for pid in &victims {
        unsafe {
            libc::kill(*pid, libc::SIGKILL);
        }
    }
    victims.len()
}
