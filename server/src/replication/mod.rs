//! Replication in the server: the master side (replicas, the backlog, FULLRESYNC from a
//! point-in-time image, CONTINUE from the backlog, WAIT) in [`master`], the replica side (REPLICAOF,
//! the link to a master, applying its stream) in [`replica`]. The wire protocol, the backlog ring
//! and the replication IDs are the `redoubt-replication` crate's.
//!
//! [`Repl`] is the bookkeeping kept in [`State`]. What flows to replicas is the propagation stream
//! ([`feed`]) — the same units the AOF gets, in the same order — with SELECT inserted when the db
//! changes. A replica appends its master's bytes to its own backlog verbatim, so a chained replica
//! (or one that is promoted) keeps the same history and offsets.

pub mod master;
pub mod replica;

use crate::client::Outbound;
use crate::propagate::Unit;
use crate::server::State;
use bytes::{Bytes, BytesMut};
use redoubt_replication::{Backlog, ReplicationIds};
use std::collections::BTreeMap;

/// Where a replica is in its life (`slaveN:...,state=`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReplicaState {
    /// Its RDB is being produced and sent (`wait_bgsave` / `send_bulk`).
    SendBulk,
    /// Streaming.
    Online,
}

/// One connected replica, as the master sees it.
pub struct ReplicaInfo {
    pub ip: String,
    pub listening_port: u16,
    pub state: ReplicaState,
    /// The offset it last acknowledged (`REPLCONF ACK`).
    pub ack_offset: u64,
    /// When it last acknowledged (Unix ms).
    pub ack_time_ms: i64,
}

/// The replica side's view of its master.
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    /// `connect`, `connecting`, `sync`, `connected` (ROLE's words).
    pub state: &'static str,
    /// The link task; aborted by REPLICAOF NO ONE or a new REPLICAOF.
    pub task: Option<tokio::task::AbortHandle>,
    /// Unix ms of the last byte from the master.
    pub last_io_ms: i64,
    /// Times the link was (re)established.
    pub generation: u64,
    /// Signalled to drop the current connection to the master (CLIENT KILL TYPE master).
    pub drop_link: std::sync::Arc<tokio::sync::Notify>,
}

/// Replication bookkeeping (part of [`State`]).
pub struct Repl {
    pub ids: ReplicationIds,
    /// Created when the first replica connects (or when this server becomes a replica).
    pub backlog: Option<Backlog>,
    /// The db of the stream's last SELECT.
    selected_db: Option<usize>,
    pub replicas: BTreeMap<u64, ReplicaInfo>,
    /// Stream bytes not yet handed to the replicas' connections (sent once per batch of commands).
    pending: BytesMut,
    /// Set when this server is a replica.
    pub master: Option<MasterLink>,
    /// The master's stream is being applied: its writes go to the AOF but not to the backlog (the
    /// raw bytes are appended instead), and expired keys are visible to it.
    pub applying_master_stream: bool,
    /// Unix ms when the last replica went away (for `repl-backlog-ttl`).
    pub no_replicas_since_ms: i64,
    pub last_ping_ms: i64,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
}

impl Default for Repl {
    fn default() -> Self {
        Repl {
            ids: ReplicationIds::new(),
            backlog: None,
            selected_db: None,
            replicas: BTreeMap::new(),
            pending: BytesMut::new(),
            master: None,
            applying_master_stream: false,
            no_replicas_since_ms: 0,
            last_ping_ms: 0,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
        }
    }
}

impl Repl {
    /// Whether the propagation stream must reach the backlog.
    pub fn wants_stream(&self) -> bool {
        self.backlog.is_some()
    }

    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> u64 {
        self.backlog.as_ref().map_or(0, |b| b.offset())
    }

    /// Forces a SELECT before the next write (a new replica starts from an unknown db).
    pub fn reset_selected_db(&mut self) {
        self.selected_db = None;
    }
}

/// Bytes of the stream queued for one replica before it is dropped (Redis's
/// `client-output-buffer-limit replica` hard limit).
pub const REPLICA_OUTPUT_LIMIT: usize = 256 << 20;

/// Appends one propagated unit to the stream: backlog and every replica.
pub fn feed(st: &mut State, unit: &Unit) {
    if st.repl.backlog.is_none() || st.repl.applying_master_stream {
        return;
    }
    let Some(backlog) = st.repl.backlog.as_mut() else {
        return;
    };
    let online = !st.repl.replicas.is_empty();
    for (db, cmd) in unit.commands {
        if st.repl.selected_db != Some(*db) {
            let select = crate::propagate::select_command(*db);
            backlog.append(&select);
            if online {
                st.repl.pending.extend_from_slice(&select);
            }
            st.repl.selected_db = Some(*db);
        }
        backlog.append(cmd);
        if online {
            st.repl.pending.extend_from_slice(cmd);
        }
    }
}

/// Appends bytes that are already stream (a master's bytes on a replica, PING, GETACK).
pub fn feed_raw(st: &mut State, bytes: Bytes) {
    let Some(backlog) = st.repl.backlog.as_mut() else {
        return;
    };
    backlog.append(&bytes);
    if !st.repl.replicas.is_empty() {
        st.repl.pending.extend_from_slice(&bytes);
    }
}

/// Hands the stream bytes of the batch to every replica's connection (one message per replica
/// per batch). Called when a batch of commands ends, by the cron, and before a replica is added.
pub fn send_pending(st: &mut State) {
    if st.repl.pending.is_empty() {
        return;
    }
    let bytes = st.repl.pending.split().freeze();
    for id in st.repl.replicas.keys() {
        if let Some(c) = st.clients.get(id) {
            c.send(Outbound::Stream(bytes.clone()));
        }
    }
}

/// Creates the backlog if there is none (`createReplicationBacklog`).
pub fn ensure_backlog(st: &mut State) {
    if st.repl.backlog.is_none() {
        let size = backlog_size(st);
        st.repl.backlog = Some(Backlog::with_offset(size, 0));
        st.repl.selected_db = None;
        crate::propagate::refresh_enabled(st);
    }
}

/// `repl-backlog-size`, with Redis's 16 KiB minimum.
pub fn backlog_size(st: &State) -> usize {
    st.config
        .get("repl-backlog-size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1 << 20)
        .max(16 * 1024)
}

/// A connection went away: forget it if it was a replica.
pub fn forget_client(st: &mut State, id: u64, now_ms: i64) {
    if st.repl.replicas.remove(&id).is_some() {
        tracing::info!("Connection with replica client id #{id} lost.");
        if st.repl.replicas.is_empty() {
            st.repl.no_replicas_since_ms = now_ms;
        }
    }
}

/// Replicas that acknowledged at least `offset`.
pub fn replicas_acked(st: &State, offset: u64) -> usize {
    st.repl
        .replicas
        .values()
        .filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset)
        .count()
}

/// `min-replicas-to-write`: writes are refused while fewer replicas than that have acknowledged
/// within `min-replicas-max-lag` seconds.
pub fn enough_good_replicas(st: &State, now_ms: i64) -> bool {
    let needed: usize = st
        .config
        .get("min-replicas-to-write")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if needed == 0 || st.repl.is_replica() {
        return true;
    }
    let max_lag: i64 = st
        .config
        .get("min-replicas-max-lag")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let good = st
        .repl
        .replicas
        .values()
        .filter(|r| r.state == ReplicaState::Online && (now_ms - r.ack_time_ms) / 1000 <= max_lag)
        .count();
    good >= needed
}

/// The replication part of the cron: PING replicas every `repl-ping-replica-period`, free the
/// backlog after `repl-backlog-ttl` without replicas, ACK the master.
pub fn cron(st: &mut State, now_ms: i64) {
    let period: i64 = st
        .config
        .get("repl-ping-replica-period")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    if !st.repl.is_replica()
        && !st.repl.replicas.is_empty()
        && now_ms - st.repl.last_ping_ms >= period * 1000
    {
        st.repl.last_ping_ms = now_ms;
        feed_raw(st, crate::propagate::encode(&[Bytes::from_static(b"PING")]));
    }
    send_pending(st);
    let ttl: i64 = st
        .config
        .get("repl-backlog-ttl")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    if ttl > 0
        && !st.repl.is_replica()
        && st.repl.replicas.is_empty()
        && st.repl.backlog.is_some()
        && st.repl.no_replicas_since_ms > 0
        && now_ms - st.repl.no_replicas_since_ms > ttl * 1000
    {
        // Like Redis, a new history starts: old replicas cannot continue it.
        st.repl.ids.change_replid();
        st.repl.ids.clear_replid2();
        st.repl.backlog = None;
        crate::propagate::refresh_enabled(st);
        tracing::info!("Replication backlog freed after {ttl} seconds without connected replicas.");
    }
}

/// The `# Replication` section of INFO.
pub fn info_section(st: &State, now_ms: i64, out: &mut String) {
    use std::fmt::Write;
    let r = &st.repl;
    let offset = r.offset();
    match &r.master {
        None => out.push_str("# Replication\r\nrole:master\r\n"),
        Some(m) => {
            let _ = write!(
                out,
                "# Replication\r\nrole:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n\
                 master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{offset}\r\n\
                 slave_repl_offset:{offset}\r\nslave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:1\r\n",
                m.host,
                m.port,
                if m.state == "connected" { "up" } else { "down" },
                if m.state == "connected" {
                    (now_ms - m.last_io_ms) / 1000
                } else {
                    -1
                },
                (m.state == "sync") as u8,
                st.config.get("replica-priority").unwrap_or("100"),
                (st.config.get("replica-read-only") != Some("no")) as u8,
            );
        }
    }
    let _ = write!(out, "connected_slaves:{}\r\n", r.replicas.len());
    if !r.is_replica() {
        let needed = st
            .config
            .get("min-replicas-to-write")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        if needed > 0 {
            let good = r
                .replicas
                .values()
                .filter(|x| x.state == ReplicaState::Online)
                .count();
            let _ = write!(out, "min_slaves_good_slaves:{good}\r\n");
        }
    }
    for (i, rep) in r.replicas.values().enumerate() {
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            rep.ip,
            rep.listening_port,
            match rep.state {
                ReplicaState::SendBulk => "send_bulk",
                ReplicaState::Online => "online",
            },
            rep.ack_offset,
            ((now_ms - rep.ack_time_ms) / 1000).max(0),
        );
    }
    let (active, size, first, histlen) = match &r.backlog {
        Some(b) => (1, b.size(), b.first_offset(), b.histlen()),
        None => (0, backlog_size(st), 0, 0),
    };
    let _ = write!(
        out,
        "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{offset}\r\n\
         second_repl_offset:{}\r\nrepl_backlog_active:{active}\r\nrepl_backlog_size:{size}\r\n\
         repl_backlog_first_byte_offset:{first}\r\nrepl_backlog_histlen:{histlen}\r\n",
        r.ids.replid,
        r.ids.replid2,
        r.ids.second_replid_offset,
    );
}
