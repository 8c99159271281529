//! Values shared by every cell of a notebook session: the current pivot registry, a session
//! configuration, display-id counters.
//!
//! Notebook cells link the crates through one shared library (`mstic-dylib`), so one static holds
//! the slots for the whole process, as it does in tests and programs.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

type Slots = Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>;

static SLOTS: LazyLock<Slots> = LazyLock::new(Slots::default);

/// The session value stored under `key`, created by `init` the first time.
pub fn get_or_init<T: Any + Send + Sync>(key: &str, init: impl FnOnce() -> T) -> Arc<T> {
    let mut map = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = map.get(key).and_then(|value| value.clone().downcast::<T>().ok()) {
        return existing;
    }
    let value = Arc::new(init());
    map.insert(key.to_string(), value.clone());
    value
}

/// The session value stored under `key`, if there is one of type `T`.
pub fn get<T: Any + Send + Sync>(key: &str) -> Option<Arc<T>> {
    let map = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
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
