//! A provider's request gate: at most `max_concurrent` requests in flight, and request starts
//! spaced by the rate limit's interval.

use super::RateLimit;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The gate every request to one provider passes.
pub(crate) struct Gate {
    slots: Semaphore,
    interval: Option<Duration>,
    next_start: tokio::sync::Mutex<Instant>,
}

impl Gate {
    /// A gate for `limit`.
    pub(crate) fn new(limit: RateLimit) -> Arc<Gate> {
        Arc::new(Gate {
            slots: Semaphore::new(limit.max_concurrent.max(1)),
            interval: limit.interval(),
            next_start: tokio::sync::Mutex::new(Instant::now()),
        })
    }

    /// Waits for a free slot and the next start time; the permit frees the slot when dropped.
    pub(crate) async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        let permit = self.slots.acquire().await.ok();
        if let Some(interval) = self.interval {
            let mut next = self.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next = (*next).max(now) + interval;
        }
        permit
    }
}

