//! The one memory budget shared by every table of a `Sink`.
//!
//! Per-table limits let N tables use N times the memory; here every encoded byte is charged to
//! one semaphore until the chunk holding it has been written to the server (checkpointed mode)
//! or its load has finished (batched mode, which keeps chunks to resend them under the same
//! label). A writer that finds the budget exhausted waits. A single row larger than the whole
//! budget is charged the whole budget, so it still goes through, alone.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A global byte budget.
#[derive(Debug, Clone)]
pub(crate) struct MemoryBudget {
    semaphore: Arc<Semaphore>,
    capacity: u32,
}

impl MemoryBudget {
    /// A budget of `bytes` (at most `u32::MAX`).
    pub(crate) fn new(bytes: u64) -> Self {
        let capacity = u32::try_from(bytes).unwrap_or(u32::MAX).max(1);
        Self {
            semaphore: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
        }
    }

    fn clamp(&self, bytes: usize) -> u32 {
        u32::try_from(bytes).unwrap_or(u32::MAX).min(self.capacity)
    }

    /// Charges `bytes` if they are available now.
    pub(crate) fn try_charge(&self, bytes: usize) -> Option<Charge> {
        let n = self.clamp(bytes);
        if n == 0 {
            return Some(Charge::default());
        }
        Arc::clone(&self.semaphore)
            .try_acquire_many_owned(n)
            .ok()
            .map(|p| Charge(Some(p)))
    }

    /// Charges `bytes`, waiting until they are available.
    pub(crate) async fn charge(&self, bytes: usize) -> Charge {
        let n = self.clamp(bytes);
        if n == 0 {
            return Charge::default();
        }
        // The semaphore is never closed, so acquiring cannot fail.
        Arc::clone(&self.semaphore)
            .acquire_many_owned(n)
            .await
            .map(|p| Charge(Some(p)))
            .unwrap_or_default()
    }

    /// Bytes not charged right now.
    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        self.semaphore.available_permits()
    }
}

/// Bytes charged to the budget; returned when dropped.
#[derive(Debug, Default)]
pub(crate) struct Charge(Option<OwnedSemaphorePermit>);

impl Charge {
    /// Adds `other` to this charge.
    pub(crate) fn merge(&mut self, other: Charge) {
        match (&mut self.0, other.0) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, OwnedSemaphorePermit::num_permits)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn writers_wait_until_charged_bytes_come_back() {
        let budget = MemoryBudget::new(100);
        let mut held = budget.try_charge(60).unwrap();
        held.merge(budget.try_charge(30).unwrap());
        assert_eq!(held.bytes(), 90);
        assert!(budget.try_charge(20).is_none());
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.charge(20).await.bytes() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(held);
        assert_eq!(waiter.await.unwrap(), 20);
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn a_row_larger_than_the_budget_takes_all_of_it() {
        let budget = MemoryBudget::new(100);
        let big = budget.charge(1_000).await;
        assert_eq!(big.bytes(), 100);
        assert_eq!(budget.available(), 0);
        drop(big);
        assert_eq!(budget.available(), 100);
    }
}
