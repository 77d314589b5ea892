//! The master side: PSYNC/SYNC (partial resync from the backlog, or a full resync from a
//! point-in-time image streamed as an RDB), REPLCONF, WAIT, ROLE.
//!
//! A full resync needs no fork and no BGSAVE: under the lock, the PSYNC handler captures an image
//! of the dataset (the same mechanism as BGSAVE) at exactly the stream offset it announces in
//! `+FULLRESYNC`, and registers the connection as a replica, so every later write is queued on the
//! replica's channel. The connection then streams the image as an RDB — `$EOF:<mark>` framing
//! straight from the serialiser with `repl-diskless-sync yes`, or a temp file sent with `$<len>`
//! otherwise — and only then starts draining the queued stream (after the replica's first ACK for
//! EOF framing, which is when a Redis replica has finished reading the payload).

use super::{ensure_backlog, replicas_acked, ReplicaInfo, ReplicaState};
use crate::command::Handler;
use crate::persistence::save::{Image, SaveError};
use crate::protocol::Reply;
use crate::server::Ctx;
use bytes::Bytes;
use redoubt_replication::wire::{self, ReplconfOption};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("psync", psync),
    ("sync", sync),
    ("replconf", replconf),
    ("wait", wait),
    ("role", role),
];

/// A full resync the connection must perform after its PSYNC reply.
pub struct FullSync {
    pub image: Image,
    pub diskless: bool,
}

/// A WAIT the connection must complete: `numreplicas` acknowledging `offset` before `deadline_ms`.
pub struct WaitSpec {
    pub offset: u64,
    pub numreplicas: usize,
    pub deadline_ms: Option<i64>,
}

/// What the replication layer asks of a client's connection.
#[derive(Default)]
pub struct ClientRepl {
    pub full_sync: Option<FullSync>,
    pub wait: Option<WaitSpec>,
    /// The replica understands `$EOF:` framing (`REPLCONF capa eof`).
    pub capa_eof: bool,
    pub listening_port: u16,
    pub ip_address: Option<String>,
    /// This connection is a replica: its queued stream is held until its first ACK.
    pub hold_stream: bool,
    /// The client applying a master's stream on a replica, or an AOF at load: writes are allowed
    /// on a read-only replica and already-exact arguments are obeyed (`mustObeyClient`).
    pub is_master: bool,
}

fn sync(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // SYNC is PSYNC that never continues.
    let forced = vec![
        Bytes::from_static(b"PSYNC"),
        Bytes::from_static(b"?"),
        Bytes::from_static(b"-1"),
    ];
    let _ = args;
    psync(ctx, &forced)
}

fn psync(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.st.repl.replicas.contains_key(&ctx.client.id) {
        return Reply::None;
    }
    if let Some(m) = &ctx.st.repl.master {
        if m.state != "connected" {
            return Reply::err("NOMASTERLINK Can't SYNC while not connected with my master");
        }
    }
    let req = match wire::parse_psync(args) {
        Ok(r) => r,
        Err(e) => return Reply::err(e.to_string()),
    };
    // Bytes produced before this instant belong to the replicas already there.
    super::send_pending(ctx.st);
    let id = ctx.client.id;
    let (ip, now) = (
        ctx.st
            .clients
            .get(&id)
            .map(|c| c.addr.ip().to_string())
            .unwrap_or_default(),
        ctx.now_ms,
    );
    let ip = ctx.client.repl.ip_address.clone().unwrap_or(ip);
    let first_replica = ctx.st.repl.backlog.is_none();
    if first_replica {
        // A new backlog starts a new history (`syncCommand`).
        ctx.st.repl.ids.change_replid();
        ctx.st.repl.ids.clear_replid2();
        ensure_backlog(ctx.st);
    }
    let can_continue = {
        let backlog = ctx.st.repl.backlog.as_ref().expect("backlog exists");
        !req.forces_full_resync()
            && ctx
                .st
                .repl
                .ids
                .can_continue(&req.replid, req.offset, backlog)
    };
    let listening_port = ctx.client.repl.listening_port;
    if can_continue {
        let backlog = ctx.st.repl.backlog.as_ref().expect("backlog exists");
        let mut out = wire::format_continue(Some(&ctx.st.repl.ids.replid));
        if let Some((a, b)) = backlog.slices_from(req.offset) {
            out.extend_from_slice(a);
            out.extend_from_slice(b);
        }
        let offset = backlog.offset();
        ctx.pushes.push(Bytes::from(out));
        ctx.st.repl.sync_partial_ok += 1;
        ctx.st.repl.replicas.insert(
            id,
            ReplicaInfo {
                ip,
                listening_port,
                state: ReplicaState::Online,
                ack_offset: offset,
                ack_time_ms: now,
            },
        );
        tracing::info!(
            "Partial resynchronization request from replica #{id} accepted. Sending {} bytes of backlog starting from offset {}.",
            offset as i64 - req.offset + 1,
            req.offset
        );
        return Reply::None;
    }
    if !req.forces_full_resync() {
        ctx.st.repl.sync_partial_err += 1;
    }
    ctx.st.repl.sync_full += 1;
    let offset = ctx.st.repl.offset();
    let image = crate::persistence::snapshot::image(
        ctx.st,
        now,
        crate::persistence::snapshot::ImageFormat::Rdb,
    );
    ctx.st.repl.reset_selected_db();
    let diskless =
        ctx.client.repl.capa_eof && ctx.st.config.get("repl-diskless-sync") != Some("no");
    ctx.pushes.push(Bytes::from(wire::format_fullresync(
        &ctx.st.repl.ids.replid,
        offset,
    )));
    ctx.client.repl.full_sync = Some(FullSync { image, diskless });
    ctx.client.repl.hold_stream = diskless;
    ctx.st.repl.replicas.insert(
        id,
        ReplicaInfo {
            ip,
            listening_port,
            state: ReplicaState::SendBulk,
            ack_offset: 0,
            ack_time_ms: now,
        },
    );
    tracing::info!(
        "Full resync requested by replica #{id}: starting a {} transfer of the dataset at offset {offset}",
        if diskless { "diskless" } else { "disk-based" }
    );
    Reply::None
}

fn replconf(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let opts = match wire::parse_replconf(args) {
        Ok(o) => o,
        Err(e) => return Reply::err(e.to_string()),
    };
    let mut silent = false;
    for o in opts {
        match o {
            ReplconfOption::ListeningPort(p) => ctx.client.repl.listening_port = p as u16,
            ReplconfOption::IpAddress(ip) => {
                ctx.client.repl.ip_address = Some(String::from_utf8_lossy(&ip).into_owned())
            }
            ReplconfOption::Capa(wire::Capa::Eof) => ctx.client.repl.capa_eof = true,
            ReplconfOption::Capa(_) => {}
            ReplconfOption::Ack { offset, .. } => {
                silent = true;
                let now = ctx.now_ms;
                if let (Some(off), Some(r)) = (offset, ctx.st.repl.replicas.get_mut(&ctx.client.id))
                {
                    r.ack_offset = r.ack_offset.max(off.max(0) as u64);
                    r.ack_time_ms = now;
                    if r.state == ReplicaState::Online {
                        ctx.client.repl.hold_stream = false;
                    }
                }
            }
            ReplconfOption::GetAck => silent = true,
            ReplconfOption::RdbOnly(_) | ReplconfOption::RdbFilterOnly { .. } => {}
        }
    }
    if silent {
        Reply::None
    } else {
        Reply::ok()
    }
}

/// `WAIT numreplicas timeout`.
fn wait(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.st.repl.is_replica() {
        return Reply::err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
    }
    let Some(n) = crate::protocol::request::parse_int(&args[1]) else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    let Some(timeout) = crate::protocol::request::parse_int(&args[2]) else {
        return Reply::err("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return Reply::err("ERR timeout is negative");
    }
    let offset = ctx.st.repl.offset();
    let acked = replicas_acked(ctx.st, offset);
    if acked as i64 >= n || ctx.no_block {
        return Reply::Int(acked as i64);
    }
    // Ask the replicas to acknowledge now rather than at their next periodic ACK.
    super::send_pending(ctx.st);
    super::feed_raw(
        ctx.st,
        crate::propagate::encode(&[
            Bytes::from_static(b"REPLCONF"),
            Bytes::from_static(b"GETACK"),
            Bytes::from_static(b"*"),
        ]),
    );
    ctx.client.repl.wait = Some(WaitSpec {
        offset,
        numreplicas: n.max(0) as usize,
        deadline_ms: (timeout > 0).then(|| ctx.now_ms + timeout),
    });
    Reply::None
}

/// `ROLE`.
fn role(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let offset = ctx.st.repl.offset() as i64;
    match &ctx.st.repl.master {
        Some(m) => Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk_str(m.host.clone()),
            Reply::Int(m.port as i64),
            Reply::bulk(m.state),
            Reply::Int(if m.state == "connected" { offset } else { -1 }),
        ]),
        None => Reply::Array(vec![
            Reply::bulk("master"),
            Reply::Int(offset),
            Reply::Array(
                ctx.st
                    .repl
                    .replicas
                    .values()
                    .filter(|r| r.state == ReplicaState::Online)
                    .map(|r| {
                        Reply::Array(vec![
                            Reply::bulk_str(r.ip.clone()),
                            Reply::bulk_str(r.listening_port.to_string()),
                            Reply::bulk_str(r.ack_offset.to_string()),
                        ])
                    })
                    .collect(),
            ),
        ]),
    }
}

/// Sends chunks of a serialised RDB to the connection (a `Write` for the serialiser's thread).
struct ChunkSender {
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 256 * 1024;

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
            self.tx
                .blocking_send(chunk)
                .map_err(|_| std::io::Error::other("replica went away"))?;
        }
        Ok(())
    }
}

/// Streams a full resync's RDB to the replica's socket. The image is serialised on a blocking
/// thread; with `diskless` straight into the socket with `$EOF:` framing, otherwise into a temp
/// file in `dir` first, sent with `$<len>`.
pub async fn transfer(
    job: FullSync,
    dir: std::path::PathBuf,
    wr: &mut tokio::net::tcp::OwnedWriteHalf,
) -> Result<u64, String> {
    let cancel = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    let FullSync { image, diskless } = job;
    if diskless {
        let mark = wire::EofMark::random();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
        let (c, p) = (cancel.clone(), progress.clone());
        let producer = tokio::task::spawn_blocking(move || {
            let out = ChunkSender {
                tx,
                buf: Vec::with_capacity(CHUNK),
            };
            image
                .write_to(out, &c, &p)
                .and_then(|mut w| w.flush().map_err(|e| SaveError::Write(e.to_string())))
        });
        let mut sent = 0u64;
        let mut result = wr.write_all(&wire::format_rdb_eof_header(&mark)).await;
        while let Some(chunk) = rx.recv().await {
            if result.is_ok() {
                result = wr.write_all(&chunk).await;
                sent += chunk.len() as u64;
            }
            if result.is_err() {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let produced = producer
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map(|_| ()).map_err(|e| e.to_string()));
        result.map_err(|e| e.to_string())?;
        produced?;
        wr.write_all(&mark.0).await.map_err(|e| e.to_string())?;
        Ok(sent)
    } else {
        let path = dir.join(format!(
            "temp-repl-{}-{}.rdb",
            std::process::id(),
            rand::random::<u32>()
        ));
        let file_path = path.clone();
        let written = tokio::task::spawn_blocking(move || {
            let f = std::fs::File::create(&file_path).map_err(|e| e.to_string())?;
            // The RDB writer buffers by itself.
            image
                .write_to(f, &cancel, &progress)
                .map_err(|e| e.to_string())?;
            Ok::<(), String>(())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        let outcome = async {
            written?;
            let mut file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| e.to_string())?;
            let len = file.metadata().await.map_err(|e| e.to_string())?.len();
            wr.write_all(&wire::format_rdb_length_header(len))
                .await
                .map_err(|e| e.to_string())?;
            // Large reads: each read of a tokio file is a trip to the blocking pool.
            let mut reader = tokio::io::BufReader::with_capacity(1 << 20, &mut file);
            let sent = tokio::io::copy_buf(&mut reader, wr)
                .await
                .map_err(|e| e.to_string())?;
            if sent != len {
                return Err(format!("sent {sent} of {len} bytes of the RDB"));
            }
            Ok::<u64, String>(len)
        }
        .await;
        let _ = tokio::fs::remove_file(&path).await;
        outcome
    }
}
