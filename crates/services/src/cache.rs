//! Short-lived snapshots of data read on almost every request (settings,
//! the company profile, dashboard figures). Each node keeps its own copy
//! for a few seconds; the database stays the truth, so a change made on
//! another node shows here within the snapshot's lifetime.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One cached value and when it was read.
pub(crate) struct Snapshot<T> {
    ttl: Duration,
    slot: Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> Snapshot<T> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Snapshot {
            ttl,
            slot: Mutex::new(None),
        }
    }

    /// The cached value if still fresh, else a new one from `load`.
    pub(crate) async fn get_or_load<F, Fut>(&self, load: F) -> crate::Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = crate::Result<T>>,
    {
        if let Ok(guard) = self.slot.lock()
            && let Some((at, v)) = guard.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(v.clone());
        }
        let v = Arc::new(load().await?);
        if let Ok(mut guard) = self.slot.lock() {
            *guard = Some((Instant::now(), v.clone()));
        }
        Ok(v)
    }

    /// Forgets the value (after a change made through this node).
    pub(crate) fn invalidate(&self) {
        if let Ok(mut guard) = self.slot.lock() {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reloads_after_ttl_or_invalidate() {
        let s = Snapshot::new(Duration::from_secs(60));
        let a = s.get_or_load(|| async { Ok(1) }).await.unwrap();
        let b = s.get_or_load(|| async { Ok(2) }).await.unwrap();
        assert_eq!((*a, *b), (1, 1));
        s.invalidate();
        assert_eq!(*s.get_or_load(|| async { Ok(3) }).await.unwrap(), 3);
        let short = Snapshot::new(Duration::ZERO);
        short.get_or_load(|| async { Ok(1) }).await.unwrap();
        assert_eq!(*short.get_or_load(|| async { Ok(2) }).await.unwrap(), 2);
    }
}
