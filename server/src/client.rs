//! Clients: the state of one connection.
//!
//! [`Client`] is owned by the connection's task and holds what only that connection uses (selected db,
//! protocol version, the MULTI queue, its subscriptions). [`ClientHandle`] lives in the shared state so
//! other clients can see and reach it: CLIENT LIST/KILL read it, PUBLISH and blocking-pop wake-ups
//! send through its outbound channel, and WATCH invalidation sets its `dirty_cas` flag.

use bytes::Bytes;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Most bytes of pub/sub messages (and other out-of-band data) a client may leave unread.
pub const OUTBOUND_HARD_LIMIT: usize = 32 * 1024 * 1024;

/// Something sent to a connection from outside its own command flow.
#[derive(Debug)]
pub enum Outbound {
    /// Bytes to write (a pub/sub message, a MONITOR line).
    Data(Bytes),
    /// The reply that ends a blocking command.
    Unblocked(Bytes),
    /// Replication stream for a replica (held back while its RDB is sent).
    Stream(Bytes),
    /// Close the connection (CLIENT KILL).
    Kill,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    Skip,
}

/// A watched key: enough to tell at EXEC whether it was touched or has expired since WATCH.
#[derive(Clone, Debug)]
pub struct WatchedKey {
    pub db: usize,
    pub key: Bytes,
    pub expired_at_watch: bool,
}

/// Connection-local state.
pub struct Client {
    pub id: u64,
    pub db: usize,
    pub resp: u8,
    pub authenticated: bool,
    /// Commands queued since MULTI, or `None` outside a transaction.
    pub multi: Option<Vec<Vec<Bytes>>>,
    /// A queued command was rejected: EXEC must answer EXECABORT.
    pub multi_error: bool,
    pub watched: Vec<WatchedKey>,
    pub channels: BTreeSet<Bytes>,
    pub patterns: BTreeSet<Bytes>,
    pub reply_mode: ReplyMode,
    /// QUIT was received: close after sending the reply.
    pub closing: bool,
    pub no_evict: bool,
    /// Stat index of the last command run, copied to the handle once per batch.
    pub last_cmd: Option<usize>,
    /// Replication: a pending full resync or WAIT, replica capabilities, the master client flag.
    pub repl: crate::replication::master::ClientRepl,
}

impl Client {
    pub fn new(id: u64) -> Client {
        Client {
            id,
            db: 0,
            resp: 2,
            authenticated: false,
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            reply_mode: ReplyMode::On,
            closing: false,
            no_evict: false,
            last_cmd: None,
            repl: Default::default(),
        }
    }

    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// In RESP2, a client with subscriptions may only run the pub/sub commands.
    pub fn in_pubsub_context(&self) -> bool {
        self.resp < 3 && self.subscription_count() > 0
    }
}

/// What other clients and the server can see of a connection.
pub struct ClientHandle {
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub name: Option<Bytes>,
    pub db: usize,
    pub resp: u8,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Stat index of the last command run (`CommandTable::stat_names`), or `None` before the first.
    pub last_cmd: Option<usize>,
    pub tx: mpsc::UnboundedSender<Outbound>,
    /// Bytes sent through `tx` and not yet written to the socket.
    pub queued: Arc<AtomicUsize>,
    /// Wakes the connection to close it, even in the middle of a write.
    pub kill: Arc<tokio::sync::Notify>,
    /// A watched key was modified: EXEC must fail.
    pub dirty_cas: bool,
    pub flags: String,
    pub subscriptions: usize,
    pub psubscriptions: usize,
    pub multi_len: i64,
    pub blocked: bool,
    pub monitor: bool,
    pub lib_name: Option<String>,
    pub lib_ver: Option<String>,
    pub no_evict: bool,
}

impl ClientHandle {
    /// Queues a message for the connection. Data a client does not read piles up here, so past
    /// [`OUTBOUND_HARD_LIMIT`] bytes the client is disconnected instead, like Redis's pub/sub
    /// `client-output-buffer-limit` (32 MB hard), and nothing else is affected.
    pub fn send(&self, msg: Outbound) {
        match &msg {
            Outbound::Data(b) => {
                let queued = self.queued.fetch_add(b.len(), Ordering::Relaxed) + b.len();
                if queued > OUTBOUND_HARD_LIMIT {
                    self.kill.notify_one();
                    return;
                }
            }
            Outbound::Stream(b) => {
                let queued = self.queued.fetch_add(b.len(), Ordering::Relaxed) + b.len();
                if queued > crate::replication::REPLICA_OUTPUT_LIMIT {
                    tracing::warn!("Client {} scheduled to be closed ASAP for overcoming of output buffer limits.", self.addr);
                    self.kill.notify_one();
                    return;
                }
            }
            Outbound::Kill => self.kill.notify_one(),
            Outbound::Unblocked(_) => {}
        }
        let _ = self.tx.send(msg);
    }
}
