//! The replica side: REPLICAOF/SLAVEOF, and the link task that connects to the master, resyncs
//! (partially when the master still has our history, fully otherwise) and applies its stream.
//!
//! The stream is applied through the normal dispatcher by an internal "master" client: its writes
//! are allowed on a read-only replica, its replies are dropped, and expired keys stay visible to it
//! (a replica never expires keys itself; the master sends DELs). The master's bytes are appended
//! verbatim to this server's own backlog and sent to its own replicas, so chained replicas and a
//! promoted replica keep the master's history and offsets. Writes still reach this server's AOF
//! through the propagation stream.

use super::MasterLink;
use crate::client::Client;
use crate::command::Handler;
use crate::protocol::Reply;
use crate::server::{dispatch, now_ms, Ctx, Shared, State};
use bytes::{Bytes, BytesMut};
use redoubt_replication::replica_link::{self, Handshake, Sync as PsyncOutcome};
use redoubt_replication::{Backlog, ReplId};
use std::sync::Arc;
use std::time::Duration;

pub const HANDLERS: &[(&str, Handler)] = &[("replicaof", replicaof), ("slaveof", replicaof)];

fn replicaof(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() != 3 {
        return Reply::err(format!(
            "ERR wrong number of arguments for '{}' command",
            String::from_utf8_lossy(&args[0]).to_lowercase()
        ));
    }
    if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
        if ctx.st.repl.master.is_some() {
            promote(ctx.st);
            tracing::info!(
                "MASTER MODE enabled (user request from 'id={}')",
                ctx.client.id
            );
        }
        return Reply::ok();
    }
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    let port = match crate::protocol::request::parse_int(&args[2]) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Reply::err("ERR Invalid master port"),
    };
    if let Some(m) = &ctx.st.repl.master {
        if m.host.eq_ignore_ascii_case(&host) && m.port == port {
            tracing::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            return Reply::Status("OK Already connected to specified master".into());
        }
    }
    let Some(shared) = ctx.shared.arc() else {
        return Reply::err("ERR the server is shutting down");
    };
    become_replica(shared, ctx.st, host.clone(), port);
    tracing::info!(
        "REPLICAOF {host}:{port} enabled (user request from 'id={}')",
        ctx.client.id
    );
    Reply::ok()
}

/// Stops following a master and keeps the data: a new history begins whose ID's predecessor is
/// the old one, so this server's replicas (and the old master's other replicas) can continue
/// partially (`replicationUnsetMaster` + `shiftReplicationId`).
pub fn promote(st: &mut State) {
    if let Some(m) = st.repl.master.take() {
        if let Some(t) = m.task {
            t.abort();
        }
    }
    st.repl.applying_master_stream = false;
    super::ensure_backlog(st);
    let offset = st.repl.offset();
    st.repl.ids.shift(offset);
    st.repl.reset_selected_db();
    disconnect_replicas(st);
    crate::propagate::refresh_enabled(st);
}

/// Drops the connection to the master, which is then re-established (with a partial resync when
/// possible). Returns whether there was a connected link.
pub fn drop_link(st: &mut State) -> bool {
    match &st.repl.master {
        Some(m) if m.state == "connected" => {
            m.drop_link.notify_one();
            true
        }
        _ => false,
    }
}

/// Our replicas must learn about a history change: drop them (they reconnect and resync).
fn disconnect_replicas(st: &mut State) {
    let ids: Vec<u64> = st.repl.replicas.keys().copied().collect();
    for id in ids {
        if let Some(c) = st.clients.get(&id) {
            c.send(crate::client::Outbound::Kill);
        }
    }
}

/// Starts (or restarts) following `host:port`.
pub fn become_replica(shared: Arc<Shared>, st: &mut State, host: String, port: u16) {
    if let Some(m) = st.repl.master.take() {
        if let Some(t) = m.task {
            t.abort();
        }
    }
    // Our own history is what we ask the new master to continue (`replicationCacheMasterUsingMyself`).
    super::ensure_backlog(st);
    disconnect_replicas(st);
    let drop_link = Arc::new(tokio::sync::Notify::new());
    let task = tokio::spawn(run_link(shared, host.clone(), port, drop_link.clone()));
    st.repl.master = Some(MasterLink {
        host,
        port,
        state: "connect",
        task: Some(task.abort_handle()),
        last_io_ms: now_ms(),
        generation: 0,
        drop_link,
    });
    crate::propagate::refresh_enabled(st);
}

fn set_link_state(shared: &Shared, state: &'static str) {
    let mut st = shared.state.lock();
    if let Some(m) = st.repl.master.as_mut() {
        m.state = state;
        m.last_io_ms = now_ms();
    }
}

/// The link task: connect, sync, apply; on any failure wait a second and start over.
async fn run_link(
    shared: Arc<Shared>,
    host: String,
    port: u16,
    drop_link: Arc<tokio::sync::Notify>,
) {
    // The client applying the master's stream lives as long as the link to this master: a
    // partial resync continues its stream where it stopped, in the same db and, if the link broke
    // inside a MULTI, with the same queued commands (Redis's cached master).
    let mut client = master_client();
    for attempt in 0u64.. {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        set_link_state(&shared, "connecting");
        let outcome = tokio::select! {
            r = sync_and_stream(&shared, &host, port, &mut client) => r,
            _ = drop_link.notified() => Err("connection to MASTER killed by CLIENT KILL".into()),
        };
        match outcome {
            Ok(()) => {}
            Err(e) => tracing::warn!("Replication link with {host}:{port}: {e}"),
        }
        set_link_state(&shared, "connect");
        let mut st = shared.state.lock();
        st.repl.applying_master_stream = false;
    }
}

fn handshake(shared: &Shared) -> Handshake {
    let st = shared.state.lock();
    let mut hs = Handshake::new(shared.port);
    let nonempty = |k: &str| st.config.get(k).filter(|v| !v.is_empty()).map(String::from);
    hs.masterauth = nonempty("masterauth");
    hs.masteruser = nonempty("masteruser");
    hs.ip_address = nonempty("replica-announce-ip");
    if let Some(p) = nonempty("replica-announce-port").and_then(|p| p.parse().ok()) {
        if p != 0 {
            hs.listening_port = p;
        }
    }
    hs.timeout = Duration::from_secs(
        st.config
            .get("repl-timeout")
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
    );
    if st.repl.backlog.is_some() {
        hs.psync = Some((st.repl.ids.replid, st.repl.offset()));
    }
    hs
}

fn master_client() -> Client {
    let mut client = Client::new(u64::MAX - 1);
    client.authenticated = true;
    client.repl.is_master = true;
    client
}

async fn sync_and_stream(
    shared: &Arc<Shared>,
    host: &str,
    port: u16,
    client: &mut Client,
) -> Result<(), String> {
    let hs = handshake(shared);
    let outcome = replica_link::connect((host, port), &hs)
        .await
        .map_err(|e| e.to_string())?;
    let mut link = match outcome {
        PsyncOutcome::Partial { new_replid, link } => {
            let mut st = shared.state.lock();
            if let Some(id) = new_replid {
                let offset = st.repl.offset();
                st.repl.ids.shift_to(id, offset);
            }
            tracing::info!("Successful partial resynchronization with master.");
            link
        }
        PsyncOutcome::Full {
            replid,
            offset,
            mut rdb,
        } => {
            set_link_state(shared, "sync");
            tracing::info!("Full resync from master: {replid}:{offset}");
            let dir = {
                let st = shared.state.lock();
                std::path::PathBuf::from(st.config.get("dir").unwrap_or("."))
            };
            let path = dir.join(format!("temp-{}-{}.rdb", std::process::id(), now_ms()));
            let mut file = std::fs::File::create(&path).map_err(|e| {
                format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
            })?;
            // Plain writes to the page cache, chunk by chunk as the payload arrives (a blocking-pool
            // round trip per chunk, as async file writes cost, would slow the transfer down).
            let received = async {
                let mut n = 0u64;
                while let Some(chunk) = rdb.next_chunk().await.map_err(|e| e.to_string())? {
                    std::io::Write::write_all(&mut file, &chunk).map_err(|e| e.to_string())?;
                    n += chunk.len() as u64;
                }
                Ok::<u64, String>(n)
            }
            .await;
            drop(file);
            let loaded = match received {
                Ok(n) => {
                    tracing::info!("MASTER <-> REPLICA sync: received {n} bytes of RDB");
                    load_rdb(shared, &path, replid, offset)
                }
                Err(e) => Err(e),
            };
            let _ = std::fs::remove_file(&path);
            loaded?;
            *client = master_client();
            rdb.into_link().await.map_err(|e| e.to_string())?
        }
    };
    set_link_state(shared, "connected");
    {
        let mut st = shared.state.lock();
        if let Some(m) = st.repl.master.as_mut() {
            m.generation += 1;
        }
    }
    stream(shared, &mut link, client).await
}

/// Replaces the dataset with the master's RDB and adopts its history.
fn load_rdb(
    shared: &Arc<Shared>,
    path: &std::path::Path,
    replid: ReplId,
    offset: u64,
) -> Result<(), String> {
    let mut st = shared.state.lock();
    tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
    for db in st.dbs.iter_mut() {
        db.clear();
    }
    st.touch_all_watched(None);
    // A replica keeps keys that are expired: its master will send their DELs.
    let stats =
        crate::persistence::load::load_file(&mut st, path, i64::MIN, false).map_err(|e| {
            format!("Failed trying to load the MASTER synchronization DB from disk: {e}")
        })?;
    tracing::info!(
        "MASTER <-> REPLICA sync: Finished with success ({} keys)",
        stats.keys_loaded
    );
    let size = super::backlog_size(&st);
    st.repl.ids = redoubt_replication::ReplicationIds::with_replid(replid);
    st.repl.backlog = Some(Backlog::with_offset(size, offset));
    st.repl.reset_selected_db();
    crate::propagate::refresh_enabled(&mut st);
    // Like Redis, the AOF restarts from the new dataset.
    if st.aof.status != crate::aof::Status::Off {
        crate::aof::stop(&mut st);
        let _ = crate::aof::start(&mut st, now_ms());
    }
    Ok(())
}

/// Applies the master's stream until the link fails; ACKs every second and on GETACK.
async fn stream(
    shared: &Arc<Shared>,
    link: &mut redoubt_replication::replica_link::Link,
    client: &mut Client,
) -> Result<(), String> {
    let mut out = BytesMut::new();
    let mut ack = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = ack.tick() => {
                let offset = shared.state.lock().repl.offset();
                link.send_ack(offset).await.map_err(|e| e.to_string())?;
            }
            next = link.next_command_raw() => {
                // Everything already received is applied under one lock.
                let mut batch = vec![next.map_err(|e| e.to_string())?];
                let mut failure = None;
                while batch.len() < 1024 {
                    match tokio::time::timeout(Duration::ZERO, link.next_command_raw()).await {
                        Ok(Ok(c)) => batch.push(c),
                        Ok(Err(e)) => {
                            failure = Some(e.to_string());
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let acks = apply_batch(shared, client, batch, &mut out);
                if let Some(e) = failure {
                    return Err(e);
                }
                for offset in acks {
                    link.send_ack(offset).await.map_err(|e| e.to_string())?;
                }
            }
        }
    }
}

/// Applies commands of the master's stream; returns the offsets to acknowledge (one per GETACK,
/// the offset before the GETACK itself, as Redis answers).
fn apply_batch(
    shared: &Shared,
    client: &mut Client,
    batch: Vec<(Vec<Bytes>, Bytes)>,
    out: &mut BytesMut,
) -> Vec<u64> {
    let mut acks = Vec::new();
    let mut st = shared.state.lock();
    let now = now_ms();
    if let Some(m) = st.repl.master.as_mut() {
        m.last_io_ms = now;
    }
    for (args, raw) in batch {
        if redoubt_replication::replica_link::is_getack(&args) {
            acks.push(st.repl.offset());
            super::feed_raw(&mut st, raw);
            continue;
        }
        apply(shared, &mut st, client, args, raw, out, now);
    }
    crate::aof::write_pending(&mut st);
    super::send_pending(&mut st);
    acks
}

/// Applies one command of the master's stream and appends its bytes to our own stream.
fn apply(
    shared: &Shared,
    st: &mut State,
    client: &mut Client,
    args: Vec<Bytes>,
    raw: Bytes,
    out: &mut BytesMut,
    now: i64,
) {
    let is_ping = args
        .first()
        .is_some_and(|a| a.eq_ignore_ascii_case(b"ping"));
    if !is_ping {
        st.repl.applying_master_stream = true;
        out.clear();
        // The command name and first argument, for the log should it fail.
        let shown: Vec<Bytes> = args.iter().take(2).cloned().collect();
        let _ = dispatch(shared, st, client, args, out, now);
        st.repl.applying_master_stream = false;
        if out.first() == Some(&b'-') {
            // Like Redis, an error applying the master's stream is logged loudly: the datasets
            // may now differ.
            tracing::warn!(
                "== CRITICAL == error applying a command from the master: {:?} -> {}",
                shown,
                String::from_utf8_lossy(&out[..out.len().min(200)]).trim_end()
            );
        }
    }
    super::feed_raw(st, raw);
}
