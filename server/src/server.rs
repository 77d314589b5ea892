//! The shared server state and the command dispatcher.
//!
//! All data lives in one [`State`] behind one mutex. A connection takes the lock once per batch of
//! pipelined commands and runs them back to back, which keeps every write in one total order (the
//! order DESIGN.md requires for the AOF and replicas) and makes MULTI/EXEC, WATCH and blocking
//! hand-offs simple and exact. (DESIGN.md's slot-sharded locks are a later refinement of this; the
//! handlers only see [`Ctx`], so they do not change when the locking does.)
//!
//! [`dispatch`] follows the order of checks of Redis's `processCommand`: existence and arity, AUTH,
//! MULTI restrictions, OOM, failed-save MISCONF, the RESP2 pub/sub context, then queueing inside
//! MULTI or execution.

use crate::blocking::{BlockSpec, BlockedClient, Blocking};
use crate::client::{Client, ClientHandle, Outbound, ReplyMode, WatchedKey};
use crate::command::{CommandTable, Flags};
use crate::config::{Config, Tunables};
use crate::keyspace::{Db, Entry};
use crate::notify;
use crate::protocol::Reply;
use crate::pubsub::PubSub;
use crate::types::{Value, WRONGTYPE};
use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// Counters reported by INFO stats.
#[derive(Default, Clone)]
pub struct Stats {
    pub total_connections: u64,
    pub total_commands: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub pubsub_messages: u64,
    pub expire_cycle_cpu_ms: u64,
    pub evicted_clients: u64,
}

/// Per-command counters for INFO commandstats.
#[derive(Default, Clone, Copy)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

pub struct SlowLogEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: i64,
    pub args: Vec<Bytes>,
    pub peer: String,
    pub name: String,
}

/// An active CLIENT PAUSE.
#[derive(Clone, Copy)]
pub struct Pause {
    pub until_ms: i64,
    /// Only writes are paused (CLIENT PAUSE ... WRITE).
    pub writes_only: bool,
}

/// Everything guarded by the server lock.
pub struct State {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub clients: HashMap<u64, ClientHandle>,
    pub next_client_id: u64,
    pub pubsub: PubSub,
    pub blocking: Blocking,
    /// Clients watching each key, for WATCH invalidation.
    pub watched: HashMap<(usize, Bytes), Vec<u64>>,
    /// Keys that may now satisfy blocked clients.
    pub ready_keys: Vec<(usize, Bytes)>,
    pub stats: Stats,
    pub command_stats: Vec<CommandStats>,
    pub error_stats: HashMap<String, u64>,
    /// Writes since the last save.
    pub dirty: u64,
    pub lastsave: i64,
    pub slowlog: VecDeque<SlowLogEntry>,
    pub slowlog_next_id: u64,
    pub monitors: Vec<u64>,
    pub rng: SmallRng,
    pub pause: Option<Pause>,
    /// Keys whose `access` word uses LFU encoding (tracked so a policy switch is handled gracefully).
    pub lfu: bool,
    pub shutdown_requested: bool,
    /// Sampled rates for INFO's instantaneous_* fields.
    pub rates: crate::metrics::Rates,
    /// Latency spikes recorded by the latency monitor: event → (time, ms) samples.
    pub latency_events: HashMap<String, VecDeque<(i64, u64)>>,
    /// RDB save/load bookkeeping.
    pub persistence: crate::persistence::Persistence,
    /// The writes of the execution unit in progress, on their way to the AOF and replicas.
    pub prop: crate::propagate::Propagation,
    /// The append-only file.
    pub aof: crate::aof::Aof,
    /// Loading a dataset at startup: no eviction, no client-facing limits.
    pub loading: bool,
    /// Replication: role, replicas, backlog, link to a master.
    pub repl: crate::replication::Repl,
    /// The server this state belongs to (for tasks started under the lock, like a snapshot's walker).
    pub shared: std::sync::Weak<Shared>,
    /// Progress of the startup load (also reachable without the lock through [`Shared`]).
    pub load_progress: std::sync::Arc<crate::persistence::load::LoadProgress>,
}

/// State that never changes after start-up, shared by every connection.
pub struct Shared {
    pub state: Mutex<State>,
    pub table: CommandTable,
    pub started: Instant,
    pub start_unix: i64,
    pub run_id: String,
    pub port: u16,
    pub executable: String,
    pub config_file: String,
    pub shutdown: tokio::sync::Notify,
    /// A background save finished: the cron runs at once to collect it.
    pub background_done: tokio::sync::Notify,
    /// This `Shared` itself, for tasks started from a handler (a replica's link).
    pub me: std::sync::OnceLock<std::sync::Weak<Shared>>,
    /// The startup load's progress: while it runs, connections answer -LOADING without the lock.
    pub load_progress: std::sync::Arc<crate::persistence::load::LoadProgress>,
}

impl Shared {
    /// An owning handle on the server, for tasks that outlive a command.
    pub fn arc(&self) -> Option<std::sync::Arc<Shared>> {
        self.me.get().and_then(|w| w.upgrade())
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Redis's 24-bit LRU clock, in seconds.
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & ((1 << 24) - 1)
}

impl State {
    pub fn new(config: Config) -> State {
        let dbs = (0..config.tunables.databases)
            .map(|_| Db::default())
            .collect();
        let lfu = config.tunables.maxmemory_policy.contains("lfu");
        State {
            config,
            dbs,
            clients: HashMap::new(),
            // Redis's first connection gets id 3 (ids 1 and 2 go to internal clients).
            next_client_id: 3,
            pubsub: PubSub::default(),
            blocking: Blocking::default(),
            watched: HashMap::new(),
            ready_keys: Vec::new(),
            stats: Stats::default(),
            command_stats: Vec::new(),
            error_stats: HashMap::new(),
            dirty: 0,
            lastsave: now_ms() / 1000,
            slowlog: VecDeque::new(),
            slowlog_next_id: 0,
            monitors: Vec::new(),
            rng: SmallRng::from_entropy(),
            pause: None,
            lfu,
            shutdown_requested: false,
            latency_events: HashMap::new(),
            rates: Default::default(),
            persistence: Default::default(),
            prop: Default::default(),
            aof: crate::aof::Aof::new(),
            loading: false,
            repl: Default::default(),
            shared: std::sync::Weak::new(),
            load_progress: Default::default(),
        }
    }

    pub fn tunables(&self) -> &Tunables {
        &self.config.tunables
    }

    /// Marks a key modified for WATCH (Redis's `signalModifiedKey`).
    pub fn touch_watched(&mut self, db: usize, key: &[u8]) {
        if self.watched.is_empty() {
            return;
        }
        if let Some(ids) = self.watched.get(&(db, Bytes::copy_from_slice(key))) {
            for id in ids {
                if let Some(c) = self.clients.get_mut(id) {
                    c.dirty_cas = true;
                }
            }
        }
    }

    /// Marks every watched key of `db` (or of all dbs) modified: FLUSHDB, FLUSHALL, SWAPDB.
    /// Only keys that exist count, as in Redis's `touchAllWatchedKeysInDb`.
    pub fn touch_all_watched(&mut self, db: Option<usize>) {
        let mut hit = Vec::new();
        for ((d, key), ids) in &self.watched {
            if db.is_none_or(|x| x == *d) && self.dbs[*d].keys.contains_key(key) {
                hit.extend(ids.iter().copied());
            }
        }
        for id in hit {
            if let Some(c) = self.clients.get_mut(&id) {
                c.dirty_cas = true;
            }
        }
    }

    /// Publishes a keyspace notification if its class is enabled.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = self.config.tunables.notify_flags;
        if flags & class == 0 {
            return;
        }
        if flags & notify::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            self.pubsub
                .publish(&self.clients, &ch, event.as_bytes(), None);
        }
        if flags & notify::KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}");
            self.pubsub.publish(&self.clients, ch.as_bytes(), key, None);
        }
    }

    /// Deletes `key` if its TTL has passed; returns whether it is gone for the caller. On a
    /// replica an expired key is only hidden (its master will send the DEL), and the master's own
    /// stream still sees it (`expireIfNeeded`).
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now: i64) -> bool {
        if !self.dbs[db].is_expired(key, now) {
            return false;
        }
        if self.repl.is_replica() {
            return !self.repl.applying_master_stream;
        }
        if let Some(Value::Stream(_)) = self.dbs[db].remove(key) {
            // Blocked XREADGROUP clients learn that the stream is gone.
            self.signal_ready(db, key);
        }
        self.stats.expired_keys += 1;
        self.propagate_deletion(db, key);
        self.notify(notify::EXPIRED, "expired", key, db);
        self.touch_watched(db, key);
        true
    }

    /// Propagates the deletion of an expired or evicted key, as DEL (Redis's `propagateDeletion`).
    pub fn propagate_deletion(&mut self, db: usize, key: &[u8]) {
        if self.prop.recording() {
            self.prop.push(
                db,
                vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
            );
        }
    }

    /// Queues a key for serving blocked clients (Redis's `signalKeyAsReady`).
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking.is_empty() || !self.blocking.has_waiters(db, key) {
            return;
        }
        let k = (db, Bytes::copy_from_slice(key));
        if !self.ready_keys.contains(&k) {
            self.ready_keys.push(k);
        }
    }

    pub fn used_memory(&self) -> u64 {
        crate::alloc::allocated() as u64
    }
}

/// What a handler sees: the locked state, its client, and the time the command started.
pub struct Ctx<'a> {
    pub st: &'a mut State,
    pub shared: &'a Shared,
    pub client: &'a mut Client,
    pub now_ms: i64,
    /// Set by a blocking command that must wait.
    pub block: Option<BlockSpec>,
    /// Out-of-band bytes for this client, written before the reply (pub/sub to self).
    pub pushes: Vec<Bytes>,
    /// The command runs inside EXEC (or on behalf of a blocked client): never block.
    pub no_block: bool,
    /// Set when a blocked client's command is re-run because this key became ready.
    pub ready_key: Option<Bytes>,
    /// How the command reaches the AOF and replicas if it changes the dataset.
    pub propagate: Propagate,
    /// The command may write: keys it looks up, even for reading, are copied for a running
    /// snapshot first (some write commands change values reached through a read lookup).
    pub writing: bool,
}

/// How a command that changed the dataset is propagated (set by its handler; see [`call`]).
#[derive(Default)]
pub enum Propagate {
    /// As it was called.
    #[default]
    AsCalled,
    /// As these arguments instead (a deterministic form: absolute expiry, explicit ID …).
    As(Vec<Bytes>),
    /// Not at all (the handler propagated what it did itself, or nothing is to be propagated).
    Nothing,
    /// As called, even if the dataset did not change (FLUSHALL of an empty dataset).
    Forced,
}

impl<'a> Ctx<'a> {
    /// A context for running `client`'s command.
    pub fn new(
        st: &'a mut State,
        shared: &'a Shared,
        client: &'a mut Client,
        now_ms: i64,
    ) -> Ctx<'a> {
        Ctx {
            st,
            shared,
            client,
            now_ms,
            block: None,
            pushes: Vec::new(),
            no_block: false,
            ready_key: None,
            propagate: Propagate::AsCalled,
            writing: false,
        }
    }

    /// Propagates this command as `args` (when it changes the dataset).
    pub fn propagate_as(&mut self, args: Vec<Bytes>) {
        self.propagate = Propagate::As(args);
    }

    /// Propagates this command as called even if it changed nothing (`forceCommandPropagation`).
    pub fn force_propagation(&mut self) {
        self.propagate = Propagate::Forced;
    }

    /// Does not propagate this command itself (see [`Ctx::also_propagate`]).
    pub fn prevent_propagation(&mut self) {
        self.propagate = Propagate::Nothing;
    }

    /// Whether anything is listening to the propagation stream (so a handler can skip building
    /// rewritten forms nobody will read).
    pub fn propagating(&self) -> bool {
        self.st.prop.recording()
    }

    /// Adds a write to the propagation stream, in the current db (Redis's `alsoPropagate`).
    pub fn also_propagate(&mut self, args: Vec<Bytes>) {
        let db = self.client.db;
        self.st.prop.push(db, args);
    }

    pub fn db_index(&self) -> usize {
        self.client.db
    }

    pub fn db(&mut self) -> &mut Db {
        &mut self.st.dbs[self.client.db]
    }

    pub fn tunables(&self) -> &Tunables {
        &self.st.config.tunables
    }

    fn touch_access(&mut self, e_access: u32) -> u32 {
        if self.st.lfu {
            crate::eviction::lfu_touch(
                e_access,
                self.now_ms,
                self.st.config.tunables.lfu_log_factor,
                self.st.config.tunables.lfu_decay_time,
                &mut self.st.rng,
            )
        } else {
            lru_clock(self.now_ms)
        }
    }

    /// Looks a key up for reading: expires it lazily, updates its access clock and the hit/miss stats.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        if self.writing && self.st.dbs[db].cow.is_some() {
            self.st.dbs[db].capture(key);
        }
        if self.st.expire_if_needed(db, key, self.now_ms) && self.st.repl.is_replica() {
            self.st.stats.keyspace_misses += 1;
            self.st.notify(notify::KEY_MISS, "keymiss", key, db);
            return None;
        }
        if !self.st.lfu && self.st.config.tunables.notify_flags & notify::KEY_MISS == 0 {
            // The common case (LRU, no keymiss events): one lookup does it all.
            let clock = lru_clock(self.now_ms);
            let st = &mut *self.st;
            let stats = &mut st.stats;
            return match st.dbs[db].keys.get_mut(key) {
                Some(e) => {
                    stats.keyspace_hits += 1;
                    e.access = clock;
                    Some(e)
                }
                None => {
                    stats.keyspace_misses += 1;
                    None
                }
            };
        }
        if self.st.dbs[db].keys.get(key).is_none() {
            self.st.stats.keyspace_misses += 1;
            self.st.notify(notify::KEY_MISS, "keymiss", key, db);
            return None;
        }
        self.st.stats.keyspace_hits += 1;
        let access = self.st.dbs[db].keys.get(key).map(|e| e.access).unwrap_or(0);
        let new_access = self.touch_access(access);
        let e = self.st.dbs[db].keys.get_mut(key)?;
        e.access = new_access;
        Some(e)
    }

    /// Looks a key up for writing: expires it lazily and updates its access clock (no hit/miss stats).
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        if self.st.dbs[db].cow.is_some() {
            self.st.dbs[db].capture(key);
        }
        if self.st.expire_if_needed(db, key, self.now_ms) && self.st.repl.is_replica() {
            return None;
        }
        if !self.st.lfu {
            let clock = lru_clock(self.now_ms);
            let e = self.st.dbs[db].keys.get_mut(key)?;
            e.access = clock;
            return Some(e);
        }
        let access = self.st.dbs[db].keys.get(key)?.access;
        let new_access = self.touch_access(access);
        let e = self.st.dbs[db].keys.get_mut(key)?;
        e.access = new_access;
        Some(e)
    }

    /// Whether a key exists (after lazy expiry), without touching stats or access time.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        if self.st.expire_if_needed(db, key, self.now_ms) && self.st.repl.is_replica() {
            return false;
        }
        self.st.dbs[db].keys.contains_key(key)
    }

    pub fn read(&mut self, key: &[u8]) -> Option<&Value> {
        self.lookup_read(key).map(|e| &e.value)
    }

    pub fn write(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.lookup_write(key).map(|e| &mut e.value)
    }

    /// A new entry's access word (LRU clock or initial LFU counter).
    pub fn new_access(&self) -> u32 {
        if self.st.lfu {
            crate::eviction::lfu_initial(self.now_ms)
        } else {
            lru_clock(self.now_ms)
        }
    }

    /// Stores a value under `key`, replacing any old one; the TTL is dropped unless `keep_ttl`
    /// (Redis's `setKey`). Signals WATCH; notifications are the caller's.
    pub fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let db = self.client.db;
        let access = self.new_access();
        let d = &mut self.st.dbs[db];
        // Overwriting a stream also signals it, for blocked XREADGROUP clients (like `dbSetValue`).
        let blocking_type = matches!(value, Value::List(_) | Value::ZSet(_) | Value::Stream(_))
            || matches!(d.keys.get(key).map(|e| &e.value), Some(Value::Stream(_)));
        let is_new = d.set(key, value, access);
        if !keep_ttl && !d.expires.is_empty() {
            d.persist(key);
        }
        if is_new {
            self.st.notify(notify::NEW, "new", key, db);
        }
        self.st.touch_watched(db, key);
        if blocking_type {
            self.st.signal_ready(db, key);
        }
    }

    /// Inserts a value under a key known to be absent (after lookup); no WATCH signal.
    pub fn add_key(&mut self, key: &[u8], value: Value) {
        let db = self.client.db;
        let access = self.new_access();
        let entry = self.st.dbs[db].new_entry(value, access);
        self.st.dbs[db].keys.insert_new(key, entry);
        self.st.notify(notify::NEW, "new", key, db);
    }

    /// Deletes a key; returns whether it existed.
    pub fn delete_key(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        self.st.expire_if_needed(db, key, self.now_ms);
        if let Some(old) = self.st.dbs[db].remove(key) {
            if matches!(old, Value::Stream(_)) {
                self.st.signal_ready(db, key);
            }
            self.st.touch_watched(db, key);
            true
        } else {
            false
        }
    }

    /// Removes `key` if its collection became empty; returns whether it did (and notifies `del`).
    pub fn delete_if_empty(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        let empty = match self.st.dbs[db].keys.get(key).map(|e| &e.value) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::ZSet(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.st.dbs[db].remove(key);
            self.notify(notify::GENERIC, "del", key);
        }
        empty
    }

    /// Signals a modification: WATCH invalidation, dirty counter, and the keyspace event.
    pub fn modified(&mut self, key: &[u8], class: u32, event: &str) {
        let db = self.client.db;
        self.st.touch_watched(db, key);
        self.st.dirty += 1;
        self.st.notify(class, event, key, db);
    }

    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.st.notify(class, event, key, db);
    }

    pub fn signal_ready(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.st.signal_ready(db, key);
    }

    /// Asks the connection to block with these keys and timeout (ignored inside MULTI: the command
    /// then answers as if it timed out, like Redis).
    pub fn block_on(
        &mut self,
        keys: Vec<Bytes>,
        deadline_ms: Option<i64>,
        timeout_reply: Reply,
    ) -> Reply {
        if self.no_block {
            return timeout_reply;
        }
        self.block = Some(BlockSpec {
            keys,
            deadline_ms,
            timeout_reply,
            args: None,
        });
        Reply::None
    }

    /// Like [`Ctx::block_on`], but the command re-run when a key becomes ready is `args` instead of
    /// the original one (XREAD stores the IDs it resolved `$` to, so new entries are not skipped).
    pub fn block_on_with_args(
        &mut self,
        keys: Vec<Bytes>,
        deadline_ms: Option<i64>,
        timeout_reply: Reply,
        args: Vec<Bytes>,
    ) -> Reply {
        if self.no_block {
            return timeout_reply;
        }
        self.block = Some(BlockSpec {
            keys,
            deadline_ms,
            timeout_reply,
            args: Some(args),
        });
        Reply::None
    }
}

/// A value of the expected type, or WRONGTYPE.
pub fn wrong_type() -> Reply {
    Reply::err(WRONGTYPE)
}

/// What the connection must do after a command.
pub enum Flow {
    Continue,
    /// The command blocked; wait for its reply. Carries the command back for the registration.
    Block(BlockSpec, Vec<Bytes>),
    /// Writes are paused: retry the command (handed back) later.
    Paused(Vec<Bytes>),
    /// Close the connection after writing what is buffered.
    Close,
}

const PUBSUB_CONTEXT_COMMANDS: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Runs a handler and records in the propagation stream the write it made, if it made one
/// (Redis's `call`): the command as called, or the form the handler asked for.
pub fn call(ctx: &mut Ctx, handler: crate::command::table::Handler, args: &[Bytes]) -> Reply {
    if !ctx.st.prop.recording() {
        return handler(ctx, args);
    }
    let dirty = ctx.st.dirty;
    let r = handler(ctx, args);
    let changed = ctx.st.dirty > dirty;
    match std::mem::take(&mut ctx.propagate) {
        Propagate::AsCalled if changed => ctx.also_propagate(args.to_vec()),
        Propagate::As(rewritten) if changed => ctx.also_propagate(rewritten),
        Propagate::Forced => ctx.also_propagate(args.to_vec()),
        _ => {}
    }
    ctx.propagate = Propagate::AsCalled;
    r
}

/// Runs one command for `client`, writing its reply to `out`. `now` is the batch's clock (Unix ms).
pub fn dispatch(
    shared: &Shared,
    st: &mut State,
    client: &mut Client,
    args: Vec<Bytes>,
    out: &mut BytesMut,
    now: i64,
) -> Flow {
    let cmd = match shared.table.lookup(&args) {
        Ok(c) => c,
        Err(e) => {
            if let Some(cmd) = shared.table.find(&args) {
                if let Some(s) = st.command_stats.get_mut(cmd.stat_index) {
                    s.rejected += 1;
                }
            }
            return reply_rejected(st, client, &args, e, out);
        }
    };
    let name = cmd.name();
    client.last_cmd = Some(cmd.stat_index);
    let reject = |st: &mut State, client: &mut Client, out: &mut BytesMut, e: Reply| {
        if let Some(s) = st.command_stats.get_mut(cmd.stat_index) {
            s.rejected += 1;
        }
        reply_rejected(st, client, &args, e, out)
    };
    if !client.authenticated
        && st.config.tunables.requirepass.is_some()
        && !cmd.flags.contains(Flags::NO_AUTH)
    {
        return reject(
            st,
            client,
            out,
            Reply::err("NOAUTH Authentication required."),
        );
    }
    if client.multi.is_some() && cmd.flags.contains(Flags::NO_MULTI) {
        return reject(
            st,
            client,
            out,
            Reply::err("ERR Command not allowed inside a transaction"),
        );
    }
    let is_exec = name == "exec";
    let in_multi_queueing = client.multi.is_some()
        && !matches!(
            name,
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        );
    if st.config.tunables.maxmemory > 0 && !st.loading {
        let oom = !crate::eviction::perform_evictions(st, now);
        crate::propagate::flush(st, false);
        let exec_denyoom = is_exec && queued_flags(shared, client).contains(Flags::DENYOOM);
        let reject_on_oom = cmd.flags.contains(Flags::DENYOOM)
            || exec_denyoom
            || (client.multi.is_some() && !matches!(name, "exec" | "discard" | "quit" | "reset"));
        if oom && reject_on_oom {
            return reject(
                st,
                client,
                out,
                Reply::err("OOM command not allowed when used memory > 'maxmemory'."),
            );
        }
    }
    if crate::persistence::writes_denied(st) {
        let writes = cmd.flags.contains(Flags::WRITE)
            || (is_exec && queued_flags(shared, client).contains(Flags::WRITE));
        if writes || name == "ping" {
            return reject(st, client, out, Reply::err(crate::persistence::ERR_MISCONF));
        }
    }
    if st.repl.is_replica()
        && !client.repl.is_master
        && st.config.get("replica-read-only") != Some("no")
    {
        let writes = cmd.flags.contains(Flags::WRITE)
            || (is_exec && queued_flags(shared, client).contains(Flags::WRITE));
        if writes {
            return reject(
                st,
                client,
                out,
                Reply::err("READONLY You can't write against a read only replica."),
            );
        }
    }
    if st
        .repl
        .master
        .as_ref()
        .is_some_and(|m| m.state != "connected")
        && !client.repl.is_master
        && !cmd.flags.contains(Flags::STALE)
        && st.config.get("replica-serve-stale-data") == Some("no")
    {
        return reject(
            st,
            client,
            out,
            Reply::err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ),
        );
    }
    if !crate::replication::enough_good_replicas(st, now) {
        let writes = cmd.flags.contains(Flags::WRITE)
            || (is_exec && queued_flags(shared, client).contains(Flags::WRITE));
        if writes {
            return reject(
                st,
                client,
                out,
                Reply::err("NOREPLICAS Not enough good replicas to write."),
            );
        }
    }
    if let Some(e) = st.aof.write_error() {
        let writes = cmd.flags.contains(Flags::WRITE)
            || (is_exec && queued_flags(shared, client).contains(Flags::WRITE));
        if writes || name == "ping" {
            return reject(st, client, out, Reply::Error(crate::aof::misconf_error(&e)));
        }
    }
    if client.in_pubsub_context()
        && !PUBSUB_CONTEXT_COMMANDS.contains(&name.split('|').next().unwrap_or(name))
    {
        let e = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            name
        );
        return reject(st, client, out, Reply::err(e));
    }
    if let Some(p) = st.pause {
        if p.until_ms <= now {
            st.pause = None;
        } else if !in_multi_queueing {
            let writes = cmd.flags.contains(Flags::WRITE)
                || (is_exec && queued_flags(shared, client).contains(Flags::WRITE));
            let may_write =
                writes || matches!(name, "eval" | "evalsha" | "publish" | "pfcount" | "fcall");
            if !p.writes_only || may_write {
                return Flow::Paused(args);
            }
        }
    }
    if in_multi_queueing {
        if let Some(q) = client.multi.as_mut() {
            q.push(args);
        }
        if let Some(c) = st.clients.get_mut(&client.id) {
            c.multi_len += 1;
        }
        return reply(st, client, Reply::Simple("QUEUED"), out);
    }
    let started = Instant::now();
    let mut ctx = Ctx::new(st, shared, client, now);
    ctx.writing = cmd.flags.contains(Flags::WRITE);
    let handler = cmd
        .handler
        .expect("lookup returns only commands with handlers");
    let r = call(&mut ctx, handler, &args);
    let Ctx { block, pushes, .. } = ctx;
    crate::propagate::flush(st, true);
    // Like Redis, monitors see the command after it ran (so SELECT shows the new db).
    feed_monitors(st, client, &args, cmd.flags, now);
    let elapsed = started.elapsed().as_micros() as u64;
    st.stats.total_commands += 1;
    if let Some(s) = st.command_stats.get_mut(cmd.stat_index) {
        s.calls += 1;
        s.usec += elapsed;
        if r.is_error() {
            s.failed += 1;
        }
    }
    if !cmd.flags.contains(Flags::SKIP_SLOWLOG) && block.is_none() {
        slowlog_push(st, client, &args, elapsed as i64, now);
    }
    let event = if cmd.flags.contains(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    latency_sample(st, event, elapsed / 1000, now);
    for p in pushes {
        out.extend_from_slice(&p);
    }
    let closing = client.closing;
    if let Some(spec) = block {
        serve_blocked_clients(shared, st);
        return Flow::Block(spec, args);
    }
    let flow = reply(st, client, r, out);
    if !st.ready_keys.is_empty() {
        serve_blocked_clients(shared, st);
    }
    if closing {
        return Flow::Close;
    }
    flow
}

/// Answers a command refused before it ran. Inside MULTI this dooms the transaction; a refused EXEC
/// aborts it at once with EXECABORT, as Redis's `rejectCommand` does.
fn reply_rejected(
    st: &mut State,
    client: &mut Client,
    args: &[Bytes],
    e: Reply,
    out: &mut BytesMut,
) -> Flow {
    if client.multi.is_some() {
        client.multi_error = true;
    }
    {
        if args[0].eq_ignore_ascii_case(b"exec") {
            client.multi = None;
            client.multi_error = false;
            if let Some(c) = st.clients.get_mut(&client.id) {
                c.multi_len = -1;
            }
            unwatch_all(st, client);
            let text = match &e {
                Reply::Error(t) => t.strip_prefix("ERR ").unwrap_or(t).to_string(),
                _ => String::new(),
            };
            return reply(
                st,
                client,
                Reply::Error(format!(
                    "EXECABORT Transaction discarded because of: {text}"
                )),
                out,
            );
        }
    }
    reply(st, client, e, out)
}

fn queued_flags(shared: &Shared, client: &Client) -> Flags {
    let mut f = Flags::default();
    if let Some(q) = &client.multi {
        for args in q {
            if let Some(c) = shared.table.find(args) {
                if c.flags.contains(Flags::WRITE) {
                    f = Flags::WRITE;
                }
                if c.flags.contains(Flags::DENYOOM) {
                    return Flags::DENYOOM;
                }
            }
        }
    }
    f
}

/// Encodes a reply unless the client turned replies off.
fn reply(st: &mut State, client: &mut Client, r: Reply, out: &mut BytesMut) -> Flow {
    if let Reply::Error(e) = &r {
        st.stats.total_error_replies += 1;
        let code = e.split(' ').next().unwrap_or("ERR").to_string();
        *st.error_stats.entry(code).or_insert(0) += 1;
    }
    match client.reply_mode {
        ReplyMode::On => r.encode(out, client.resp),
        ReplyMode::Off => {}
        ReplyMode::SkipNext => client.reply_mode = ReplyMode::Skip,
        ReplyMode::Skip => {
            client.reply_mode = ReplyMode::On;
        }
    }
    Flow::Continue
}

fn feed_monitors(st: &mut State, client: &Client, args: &[Bytes], flags: Flags, now: i64) {
    if st.monitors.is_empty() || flags.contains(Flags::SKIP_MONITOR) || flags.contains(Flags::ADMIN)
    {
        return;
    }
    let addr = st
        .clients
        .get(&client.id)
        .map(|c| c.addr.to_string())
        .unwrap_or_default();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now / 1000,
        (now % 1000) * 1000,
        client.db,
        addr
    );
    for a in args {
        line.push_str(" \"");
        for &b in a.iter() {
            match b {
                b'\\' => line.push_str("\\\\"),
                b'"' => line.push_str("\\\""),
                b'\n' => line.push_str("\\n"),
                b'\r' => line.push_str("\\r"),
                b'\t' => line.push_str("\\t"),
                7 => line.push_str("\\a"),
                8 => line.push_str("\\b"),
                0x20..=0x7e => line.push(b as char),
                _ => line.push_str(&format!("\\x{b:02x}")),
            }
        }
        line.push('"');
    }
    line.push_str("\r\n");
    let bytes = Bytes::from(line);
    for id in &st.monitors {
        if *id != client.id {
            if let Some(c) = st.clients.get(id) {
                c.send(Outbound::Data(bytes.clone()));
            }
        }
    }
}

/// Records a latency spike (the latency monitor) when `ms` reaches `latency-monitor-threshold`;
/// like Redis, one sample per second per event, the last 160 kept.
pub fn latency_sample(st: &mut State, event: &str, ms: u64, now_ms: i64) {
    let threshold = st.config.tunables.latency_threshold_ms;
    if threshold == 0 || ms < threshold {
        return;
    }
    let secs = now_ms / 1000;
    let samples = st.latency_events.entry(event.to_string()).or_default();
    match samples.back_mut() {
        Some(last) if last.0 == secs => last.1 = last.1.max(ms),
        _ => samples.push_back((secs, ms)),
    }
    while samples.len() > 160 {
        samples.pop_front();
    }
}

fn slowlog_push(st: &mut State, client: &Client, args: &[Bytes], duration_us: i64, now: i64) {
    let threshold = st.config.tunables.slowlog_slower_than;
    if threshold < 0 || duration_us < threshold {
        return;
    }
    let max = st.config.tunables.slowlog_max_len;
    // Like Redis: at most 32 arguments, each at most 128 bytes.
    let mut kept: Vec<Bytes> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i == 31 && args.len() > 32 {
            kept.push(Bytes::from(format!(
                "... ({} more arguments)",
                args.len() - 31
            )));
            break;
        }
        if a.len() > 128 {
            let mut s = a[..128].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - 128).as_bytes());
            kept.push(Bytes::from(s));
        } else {
            kept.push(a.clone());
        }
    }
    let (peer, name) = st
        .clients
        .get(&client.id)
        .map(|c| {
            (
                c.addr.to_string(),
                c.name
                    .as_ref()
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let id = st.slowlog_next_id;
    st.slowlog_next_id += 1;
    st.slowlog.push_front(SlowLogEntry {
        id,
        time: now / 1000,
        duration_us,
        args: kept,
        peer,
        name,
    });
    while st.slowlog.len() > max {
        st.slowlog.pop_back();
    }
}

/// Re-runs the commands of clients blocked on ready keys, in arrival order, until no key is ready.
pub fn serve_blocked_clients(shared: &Shared, st: &mut State) {
    let mut rounds = 0;
    while !st.ready_keys.is_empty() && rounds < 10_000 {
        rounds += 1;
        let ready = std::mem::take(&mut st.ready_keys);
        for (db, key) in ready {
            for id in st.blocking.waiters(db, &key) {
                let Some(bc) = st.blocking.clients.get(&id) else {
                    continue;
                };
                // The key may have been emptied by a client served before this one; only blocked
                // XREADGROUP clients are told about a stream that went away (or changed type).
                let is_stream = matches!(
                    st.dbs[db].keys.get(&key).map(|e| &e.value),
                    Some(Value::Stream(_))
                );
                let readgroup = bc
                    .args
                    .first()
                    .is_some_and(|a| a.eq_ignore_ascii_case(b"xreadgroup"));
                if !st.dbs[db].keys.contains_key(&key) && !readgroup {
                    continue;
                }
                if !is_stream
                    && !readgroup
                    && bc
                        .args
                        .first()
                        .is_some_and(|a| a.eq_ignore_ascii_case(b"xread"))
                {
                    continue;
                }
                let (args, resp, cdb) = (bc.args.clone(), bc.resp, bc.db);
                let mut tmp = Client::new(id);
                tmp.db = cdb;
                tmp.resp = resp;
                tmp.authenticated = true;
                let Ok(cmd) = shared.table.lookup(&args) else {
                    continue;
                };
                let Some(handler) = cmd.handler else { continue };
                let now = now_ms();
                let mut ctx = Ctx::new(st, shared, &mut tmp, now);
                ctx.ready_key = Some(key.clone());
                ctx.writing = cmd.flags.contains(Flags::WRITE);
                let r = call(&mut ctx, handler, &args);
                let still_blocked = ctx.block.is_some();
                crate::propagate::flush(st, true);
                if still_blocked {
                    continue;
                }
                st.blocking.unblock(id);
                if let Some(s) = st.command_stats.get_mut(cmd.stat_index) {
                    s.calls += 1;
                }
                st.stats.total_commands += 1;
                if let Some(c) = st.clients.get_mut(&id) {
                    c.blocked = false;
                    c.send(Outbound::Unblocked(r.to_bytes(resp)));
                }
            }
        }
    }
}

/// Registers a client as blocked.
pub fn register_blocked(st: &mut State, client: &Client, args: Vec<Bytes>, spec: BlockSpec) {
    let args = spec.args.clone().unwrap_or(args);
    if let Some(c) = st.clients.get_mut(&client.id) {
        c.blocked = true;
    }
    st.blocking.block(
        client.id,
        BlockedClient {
            db: client.db,
            resp: client.resp,
            args,
            spec,
        },
    );
}

/// Adds a WATCH on `key` for `client`.
pub fn watch_key(st: &mut State, client: &mut Client, key: &Bytes, now: i64) {
    if client
        .watched
        .iter()
        .any(|w| w.db == client.db && w.key == key)
    {
        return;
    }
    let expired_at_watch = st.dbs[client.db].is_expired(key, now);
    client.watched.push(WatchedKey {
        db: client.db,
        key: key.clone(),
        expired_at_watch,
    });
    st.watched
        .entry((client.db, key.clone()))
        .or_default()
        .push(client.id);
}

/// Drops every WATCH of `client`.
pub fn unwatch_all(st: &mut State, client: &mut Client) {
    for w in client.watched.drain(..) {
        let slot = (w.db, w.key);
        if let Some(ids) = st.watched.get_mut(&slot) {
            ids.retain(|&x| x != client.id);
            if ids.is_empty() {
                st.watched.remove(&slot);
            }
        }
    }
    if let Some(c) = st.clients.get_mut(&client.id) {
        c.dirty_cas = false;
    }
}
