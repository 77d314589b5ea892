//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, BLMPOP, …).
//!
//! A blocking command that finds nothing to pop registers the client here, in FIFO order on each of
//! its keys, together with the command itself. Writes that may satisfy a waiter (a push, a ZADD, a
//! rename onto the key) mark the key ready; after every command the server re-runs, under the same
//! lock and in arrival order, the commands of the clients blocked on ready keys, exactly as Redis's
//! `handleClientsBlockedOnKeys` does. The reply travels to the blocked connection over its outbound
//! channel; a timeout or CLIENT UNBLOCK removes the registration instead.

use crate::protocol::Reply;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};

/// What a blocking command asks for when it has to wait.
#[derive(Debug, Clone)]
pub struct BlockSpec {
    pub keys: Vec<Bytes>,
    /// Absolute deadline in Unix ms, or `None` to wait forever.
    pub deadline_ms: Option<i64>,
    /// The reply sent when the timeout expires.
    pub timeout_reply: Reply,
    /// The command to re-run when a key is ready, when it differs from the one the client sent.
    pub args: Option<Vec<Bytes>>,
}

pub struct BlockedClient {
    pub db: usize,
    pub resp: u8,
    pub args: Vec<Bytes>,
    pub spec: BlockSpec,
}

#[derive(Default)]
pub struct Blocking {
    by_key: HashMap<(usize, Bytes), VecDeque<u64>>,
    pub clients: HashMap<u64, BlockedClient>,
}

impl Blocking {
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    pub fn has_waiters(&self, db: usize, key: &[u8]) -> bool {
        !self.by_key.is_empty() && self.by_key.contains_key(&(db, Bytes::copy_from_slice(key)))
    }

    pub fn block(&mut self, id: u64, client: BlockedClient) {
        for k in &client.spec.keys {
            let q = self.by_key.entry((client.db, k.clone())).or_default();
            if !q.contains(&id) {
                q.push_back(id);
            }
        }
        self.clients.insert(id, client);
    }

    /// Removes a client's registration on every key; returns it if it was blocked.
    pub fn unblock(&mut self, id: u64) -> Option<BlockedClient> {
        let c = self.clients.remove(&id)?;
        for k in &c.spec.keys {
            let slot = (c.db, k.clone());
            if let Some(q) = self.by_key.get_mut(&slot) {
                q.retain(|&x| x != id);
                if q.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
        Some(c)
    }

    /// The clients waiting on a key, in arrival order.
    pub fn waiters(&self, db: usize, key: &Bytes) -> Vec<u64> {
        self.by_key
            .get(&(db, key.clone()))
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Number of keys with at least one waiter (INFO's `total_blocking_keys`).
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }
}
