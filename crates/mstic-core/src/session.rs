//! Values shared by every cell of a notebook session: the current pivot registry, a session
//! configuration, display-id counters.
//!
//! Each notebook cell is compiled into its own shared object that links our crates statically, so
//! a plain `static` exists once per cell and is fresh in the next one. Inside the kernel the
//! session's slots are therefore anchored once per process (their address is kept in the
//! process environment, tagged with the process id so child processes ignore it); outside the
//! kernel (tests, programs) an ordinary static holds them.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Slots = Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>;

const ANCHOR_VAR: &str = "MSTIC_SESSION_ANCHOR";

fn slots() -> &'static Slots {
    static LOCAL: OnceLock<&'static Slots> = OnceLock::new();
    LOCAL.get_or_init(|| {
        if !crate::display::in_kernel() {
            return Box::leak(Box::default());
        }
        let pid = std::process::id();
        let anchored = std::env::var(ANCHOR_VAR).ok().and_then(|value| {
            let (owner, address) = value.split_once(':')?;
            (owner.parse::<u32>().ok()? == pid).then(|| usize::from_str_radix(address, 16).ok())?
        });
        if let Some(address) = anchored {
            // SAFETY: the address was leaked by an earlier cell of this same process (the pid
            // matches), from the same crate build, and is never freed.
            return unsafe { &*(address as *const Slots) };
        }
        let leaked: &'static Slots = Box::leak(Box::default());
        // SAFETY: cells run one at a time and the kernel's own threads do not read this variable.
        unsafe { std::env::set_var(ANCHOR_VAR, format!("{pid}:{:x}", leaked as *const Slots as usize)) };
        leaked
    })
}

/// The session value stored under `key`, created by `init` the first time.
pub fn get_or_init<T: Any + Send + Sync>(key: &str, init: impl FnOnce() -> T) -> Arc<T> {
    let mut map = slots().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = map.get(key).and_then(|value| value.clone().downcast::<T>().ok()) {
        return existing;
    }
    let value = Arc::new(init());
    map.insert(key.to_string(), value.clone());
    value
}

/// The session value stored under `key`, if there is one of type `T`.
pub fn get<T: Any + Send + Sync>(key: &str) -> Option<Arc<T>> {
    let map = slots().lock().unwrap_or_else(|e| e.into_inner());
    map.get(key).and_then(|value| value.clone().downcast::<T>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn values_are_created_once_and_shared() {
        let first = get_or_init("session-test.counter", || AtomicU64::new(5));
        first.fetch_add(1, Ordering::SeqCst);
        let again = get_or_init("session-test.counter", || AtomicU64::new(0));
        assert_eq!(again.load(Ordering::SeqCst), 6);
        assert!(get::<AtomicU64>("session-test.counter").is_some());
        assert!(get::<String>("session-test.counter").is_none(), "another type is not returned");
        assert!(get::<AtomicU64>("session-test.missing").is_none());
    }
}
