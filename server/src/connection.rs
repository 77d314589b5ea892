//! One client connection: reading requests, running them in batches, writing replies.
//!
//! Everything that arrived in one read is parsed first, then executed under a single acquisition of
//! the server lock, and the replies are written with one write — so a pipeline of thousands of commands
//! costs one lock and one syscall per read, not per command. Messages from other clients (pub/sub,
//! MONITOR, the reply that ends a blocking command, CLIENT KILL) arrive on the connection's outbound
//! channel and are written between batches.

use crate::blocking::BlockSpec;
use crate::client::{Client, ClientHandle, Outbound};
use crate::protocol::request::Parsed;
use crate::protocol::{Reply, RequestParser};
use crate::server::{dispatch, now_ms, register_blocked, unwatch_all, Flow, Shared};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep, Duration};

/// A parsed request waiting to run, or the protocol error that ends the connection.
enum Pending {
    Command(Vec<Bytes>),
    ProtocolError(String),
}

/// Serves one accepted connection until it closes.
pub async fn serve(shared: Arc<Shared>, mut socket: TcpStream, addr: SocketAddr) {
    let laddr = socket.local_addr().unwrap_or(addr);
    let mut early = None;
    if shared.load_progress.is_active() {
        match serve_while_loading(&shared, &mut socket).await {
            Some(state) => early = Some(state),
            None => return,
        }
    }
    let _ = socket.set_nodelay(true);
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let kill = Arc::new(Notify::new());
    let now = now_ms();
    let registered = {
        let mut st = shared.state.lock();
        st.stats.total_connections += 1;
        if st.clients.len() >= st.config.tunables.maxclients {
            st.stats.rejected_connections += 1;
            None
        } else {
            let id = st.next_client_id;
            st.next_client_id += 1;
            st.clients.insert(
                id,
                ClientHandle {
                    addr,
                    laddr,
                    name: None,
                    db: 0,
                    resp: 2,
                    created_ms: now,
                    last_interaction_ms: now,
                    last_cmd: None,
                    tx,
                    queued: queued.clone(),
                    kill: kill.clone(),
                    dirty_cas: false,
                    flags: "N".into(),
                    subscriptions: 0,
                    psubscriptions: 0,
                    multi_len: -1,
                    blocked: false,
                    monitor: false,
                    lib_name: None,
                    lib_ver: None,
                    no_evict: false,
                },
            );
            Some((
                id,
                st.config.tunables.requirepass.is_none(),
                st.config.tunables.proto_max_bulk_len,
                st.config.tunables.query_buffer_limit,
            ))
        }
    };
    let Some((id, authenticated, max_bulk, query_buffer_limit)) = registered else {
        let mut s = socket;
        let _ = s.write_all(b"-ERR max number of clients reached\r\n").await;
        return;
    };
    let mut client = Client::new(id);
    client.authenticated = authenticated;
    let (rd, wr) = socket.into_split();
    let mut conn = Connection {
        shared: shared.clone(),
        client,
        parser: RequestParser::new(max_bulk),
        inbuf: BytesMut::with_capacity(16 * 1024),
        out: BytesMut::with_capacity(16 * 1024),
        pending: VecDeque::new(),
        rd,
        wr,
        rx,
        queued,
        kill,
        input_bytes: 0,
        query_buffer_limit,
    };
    if let Some((parser, input)) = early {
        // The parser may hold half a request read while loading.
        conn.parser = parser;
        conn.parser.max_bulk_len = max_bulk;
        conn.inbuf = input;
    }
    conn.parser.unauthenticated = !authenticated;
    // Requests that arrived in the same read as the end of the load.
    if !conn.inbuf.is_empty() && (conn.parse_input().is_err() || conn.run_pending().await.is_err())
    {
        conn.cleanup();
        return;
    }
    let _ = conn.run().await;
    conn.cleanup();
}

/// While the dataset loads, a connection is answered without the server lock (which the loader
/// holds): `-LOADING` for every command but INFO, which reports the progress (Redis's `loading_*`
/// fields). Returns the parser and the input not yet answered once loading is over, `None` if the
/// peer left.
async fn serve_while_loading(
    shared: &Shared,
    socket: &mut TcpStream,
) -> Option<(RequestParser, BytesMut)> {
    let mut parser = RequestParser::new(512 * 1024 * 1024);
    let mut inbuf = BytesMut::with_capacity(4096);
    let mut out = BytesMut::new();
    loop {
        if !shared.load_progress.is_active() {
            return Some((parser, inbuf));
        }
        tokio::select! {
            n = socket.read_buf(&mut inbuf) => match n {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            },
            _ = sleep(Duration::from_millis(20)) => continue,
        }
        // Bounded: each parsed request consumes input.
        for _ in 0..100_000 {
            if !shared.load_progress.is_active() {
                break;
            }
            match parser.parse(&mut inbuf) {
                Ok(Parsed::Command(args)) => {
                    let reply = match args.first() {
                        Some(name) if name.eq_ignore_ascii_case(b"info") => {
                            Reply::bulk_str(shared.load_progress.info())
                        }
                        Some(_) => Reply::err("LOADING Redis is loading the dataset in memory"),
                        None => continue,
                    };
                    reply.encode(&mut out, 2);
                }
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    Reply::err(format!("ERR {}", e.0)).encode(&mut out, 2);
                    let _ = socket.write_all(&out).await;
                    return None;
                }
            }
        }
        if !out.is_empty() {
            if socket.write_all(&out).await.is_err() {
                return None;
            }
            out.clear();
        }
        if inbuf.len() > 1 << 30 {
            return None;
        }
    }
}

struct Connection {
    shared: Arc<Shared>,
    client: Client,
    parser: RequestParser,
    inbuf: BytesMut,
    out: BytesMut,
    pending: VecDeque<Pending>,
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    rx: mpsc::UnboundedReceiver<Outbound>,
    /// Bytes waiting in `rx` (shared with the client's handle).
    queued: Arc<AtomicUsize>,
    /// Signalled by CLIENT KILL, SHUTDOWN and the output limit.
    kill: Arc<Notify>,
    /// Bytes read since the last batch, added to the stats under the batch's lock.
    input_bytes: u64,
    /// `client-query-buffer-limit`, refreshed at every batch.
    query_buffer_limit: usize,
}

/// Why the connection loop ended.
enum Closed {
    ByPeer,
    ByServer,
}

impl Connection {
    async fn run(&mut self) -> Result<(), Closed> {
        loop {
            tokio::select! {
                _ = self.kill.notified() => return Err(Closed::ByServer),
                // A replica's stream waits until it has read its RDB (its first ACK).
                msg = self.rx.recv(), if !self.client.repl.hold_stream => {
                    match msg {
                        Some(Outbound::Data(b)) | Some(Outbound::Stream(b)) => {
                            self.queued.fetch_sub(b.len(), Ordering::Relaxed);
                            self.write_queued(b).await?
                        }
                        Some(Outbound::Unblocked(b)) => {
                            self.wait_durable().await;
                            self.write(&b).await?
                        }
                        Some(Outbound::Kill) | None => return Err(Closed::ByServer),
                    }
                }
                n = self.rd.read_buf(&mut self.inbuf) => {
                    match n {
                        Ok(0) | Err(_) => return Err(Closed::ByPeer),
                        Ok(n) => {
                            self.input_bytes += n as u64;
                            self.parse_input()?;
                            self.run_pending().await?;
                        }
                    }
                }
            }
        }
    }

    /// Parses every complete request in the input buffer.
    fn parse_input(&mut self) -> Result<(), Closed> {
        loop {
            match self.parser.parse(&mut self.inbuf) {
                Ok(Parsed::Command(args)) => {
                    if !args.is_empty() {
                        self.pending.push_back(Pending::Command(args));
                    }
                }
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    self.pending.push_back(Pending::ProtocolError(e.0));
                    self.inbuf.clear();
                    break;
                }
            }
        }
        if self.inbuf.len() > self.query_buffer_limit {
            tracing::warn!(
                client = self.client.id,
                "closing client that reached max query buffer length"
            );
            return Err(Closed::ByServer);
        }
        Ok(())
    }

    /// Runs parsed requests until none is left, blocking or pausing where a command asks to.
    async fn run_pending(&mut self) -> Result<(), Closed> {
        while !self.pending.is_empty() {
            let mut blocked: Option<BlockSpec> = None;
            let mut paused = false;
            let mut close = false;
            let durable;
            {
                let shared = self.shared.clone();
                let mut st = shared.state.lock();
                // One clock reading per batch: commands of a batch run within the same millisecond.
                let now = now_ms();
                while let Some(p) = self.pending.pop_front() {
                    match p {
                        Pending::ProtocolError(e) => {
                            Reply::err(format!("ERR {e}")).encode(&mut self.out, self.client.resp);
                            close = true;
                            break;
                        }
                        Pending::Command(args) => {
                            match dispatch(
                                &shared,
                                &mut st,
                                &mut self.client,
                                args,
                                &mut self.out,
                                now,
                            ) {
                                Flow::Continue => {
                                    // A full resync or a WAIT continues outside the lock.
                                    if self.client.repl.full_sync.is_some()
                                        || self.client.repl.wait.is_some()
                                    {
                                        break;
                                    }
                                }
                                Flow::Close => {
                                    close = true;
                                    break;
                                }
                                Flow::Paused(keep) => {
                                    self.pending.push_front(Pending::Command(keep));
                                    paused = true;
                                    break;
                                }
                                Flow::Block(spec, keep) => {
                                    register_blocked(&mut st, &self.client, keep, spec.clone());
                                    blocked = Some(spec);
                                    break;
                                }
                            }
                        }
                    }
                    if self.out.len() > 1 << 20 {
                        break;
                    }
                }
                if self.client.authenticated {
                    self.parser.unauthenticated = false;
                }
                if let Some(c) = st.clients.get_mut(&self.client.id) {
                    c.last_interaction_ms = now_ms();
                    c.last_cmd = self.client.last_cmd;
                }
                st.stats.net_output_bytes += self.out.len() as u64;
                st.stats.net_input_bytes += std::mem::take(&mut self.input_bytes);
                self.query_buffer_limit = st.config.tunables.query_buffer_limit;
                crate::aof::write_pending(&mut st);
                crate::replication::send_pending(&mut st);
                durable = st.aof.durability_target();
            }
            // `appendfsync always`: nothing is acknowledged (nor shown) before it is on disk.
            if let Some((writer, offset)) = durable {
                writer.wait_durable(offset).await;
            }
            self.flush().await?;
            if close {
                let _ = self.wr.shutdown().await;
                return Err(Closed::ByServer);
            }
            if let Some(job) = self.client.repl.full_sync.take() {
                self.full_sync(job).await?;
            }
            if let Some(w) = self.client.repl.wait.take() {
                self.wait_replicas(w).await?;
            }
            if paused {
                sleep(Duration::from_millis(5)).await;
            }
            if let Some(spec) = blocked {
                self.wait_unblocked(spec).await?;
            }
        }
        Ok(())
    }

    /// Writes `first` and every other message already queued (pub/sub, MONITOR, a replica's
    /// stream) with one write, up to 1 MiB.
    async fn write_queued(&mut self, first: Bytes) -> Result<(), Closed> {
        let mut more = Vec::new();
        let mut size = first.len();
        while size < 1 << 20 {
            match self.rx.try_recv() {
                Ok(Outbound::Data(b)) | Ok(Outbound::Stream(b)) => {
                    self.queued.fetch_sub(b.len(), Ordering::Relaxed);
                    size += b.len();
                    more.push(b);
                }
                Ok(other) => {
                    // Not data: handle it after what came before it.
                    let _ = self.write_gathered(&first, &more).await;
                    return self.handle_outbound(other).await;
                }
                Err(_) => break,
            }
        }
        self.write_gathered(&first, &more).await
    }

    async fn write_gathered(&mut self, first: &Bytes, more: &[Bytes]) -> Result<(), Closed> {
        if more.is_empty() {
            return self.write(first).await;
        }
        let mut buf =
            BytesMut::with_capacity(first.len() + more.iter().map(|b| b.len()).sum::<usize>());
        buf.extend_from_slice(first);
        for b in more {
            buf.extend_from_slice(b);
        }
        self.write(&buf).await
    }

    /// A non-data message met while gathering data.
    async fn handle_outbound(&mut self, msg: Outbound) -> Result<(), Closed> {
        match msg {
            Outbound::Unblocked(b) => {
                self.wait_durable().await;
                self.write(&b).await
            }
            Outbound::Kill => Err(Closed::ByServer),
            Outbound::Data(b) | Outbound::Stream(b) => {
                self.queued.fetch_sub(b.len(), Ordering::Relaxed);
                self.write(&b).await
            }
        }
    }

    /// Sends a full resync's RDB, then lets the stream flow (after the first ACK with EOF framing).
    async fn full_sync(&mut self, job: crate::replication::master::FullSync) -> Result<(), Closed> {
        let dir = {
            let st = self.shared.state.lock();
            std::path::PathBuf::from(st.config.get("dir").unwrap_or("."))
        };
        let started = std::time::Instant::now();
        match crate::replication::master::transfer(job, dir, &mut self.wr).await {
            Ok(bytes) => {
                tracing::info!(
                    "Synchronization with replica #{} succeeded ({bytes} bytes in {:.3} s)",
                    self.client.id,
                    started.elapsed().as_secs_f64()
                );
                let mut st = self.shared.state.lock();
                let now = now_ms();
                if let Some(r) = st.repl.replicas.get_mut(&self.client.id) {
                    r.state = crate::replication::ReplicaState::Online;
                    r.ack_time_ms = now;
                }
                Ok(())
            }
            Err(e) => {
                tracing::warn!("Full resync of replica #{} failed: {e}", self.client.id);
                Err(Closed::ByServer)
            }
        }
    }

    /// Completes a WAIT: replies with the number of replicas that acknowledged its offset, once
    /// there are enough or the timeout passes.
    async fn wait_replicas(
        &mut self,
        w: crate::replication::master::WaitSpec,
    ) -> Result<(), Closed> {
        let mut acked;
        loop {
            acked = crate::replication::replicas_acked(&self.shared.state.lock(), w.offset);
            if acked >= w.numreplicas || w.deadline_ms.is_some_and(|d| now_ms() >= d) {
                break;
            }
            tokio::select! {
                _ = self.kill.notified() => return Err(Closed::ByServer),
                _ = sleep(Duration::from_millis(5)) => {}
            }
        }
        Reply::Int(acked as i64).encode(&mut self.out, self.client.resp);
        self.flush().await
    }

    /// With `appendfsync always`, waits until every write applied so far is on disk (a blocked
    /// command's reply was produced by another client's write).
    async fn wait_durable(&mut self) {
        let target = self.shared.state.lock().aof.durability_target();
        if let Some((writer, offset)) = target {
            writer.wait_durable(offset).await;
        }
    }

    /// Writes to the socket, giving up when the client is killed meanwhile: a client that stopped
    /// reading must not keep its connection (and its queued data) alive.
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        tokio::select! {
            r = self.wr.write_all(bytes) => r.map_err(|_| Closed::ByPeer),
            _ = self.kill.notified() => Err(Closed::ByServer),
        }
    }

    async fn flush(&mut self) -> Result<(), Closed> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            let r = self.write(&out).await;
            self.out = out;
            r?;
            self.out.clear();
            if self.out.capacity() > 1 << 20 {
                self.out = BytesMut::with_capacity(16 * 1024);
            }
        }
        Ok(())
    }

    /// Waits for the reply that ends a blocking command: served by another client's write, the
    /// timeout, CLIENT UNBLOCK, or the peer going away.
    async fn wait_unblocked(&mut self, spec: BlockSpec) -> Result<(), Closed> {
        let mut deadline = spec.deadline_ms;
        loop {
            let wait = deadline.map(|d| Duration::from_millis((d - now_ms()).max(0) as u64));
            tokio::select! {
                _ = self.kill.notified() => return Err(Closed::ByServer),
                msg = self.rx.recv() => match msg {
                    Some(Outbound::Unblocked(b)) => {
                        self.wait_durable().await;
                        self.write(&b).await?;
                        return Ok(());
                    }
                    Some(Outbound::Data(b)) | Some(Outbound::Stream(b)) => {
                        self.queued.fetch_sub(b.len(), Ordering::Relaxed);
                        self.write(&b).await?
                    }
                    Some(Outbound::Kill) | None => return Err(Closed::ByServer),
                },
                _ = sleep(wait.unwrap_or(Duration::from_secs(3600))), if wait.is_some() => {
                    let timed_out = {
                        let mut st = self.shared.state.lock();
                        let removed = st.blocking.unblock(self.client.id).is_some();
                        if let Some(c) = st.clients.get_mut(&self.client.id) {
                            c.blocked = false;
                        }
                        removed
                    };
                    if timed_out {
                        spec.timeout_reply.encode(&mut self.out, self.client.resp);
                        self.flush().await?;
                        return Ok(());
                    }
                    // Served just before the deadline: its reply is on the way.
                    deadline = None;
                }
                n = self.rd.read_buf(&mut self.inbuf) => match n {
                    Ok(0) | Err(_) => return Err(Closed::ByPeer),
                    Ok(_) => self.parse_input()?,
                },
            }
        }
    }

    fn cleanup(&mut self) {
        let mut st = self.shared.state.lock();
        let st = &mut *st;
        st.blocking.unblock(self.client.id);
        unwatch_all(st, &mut self.client);
        for ch in std::mem::take(&mut self.client.channels) {
            st.pubsub.unsubscribe(&ch, self.client.id);
        }
        for p in std::mem::take(&mut self.client.patterns) {
            st.pubsub.punsubscribe(&p, self.client.id);
        }
        st.monitors.retain(|&m| m != self.client.id);
        crate::replication::forget_client(st, self.client.id, now_ms());
        st.clients.remove(&self.client.id);
    }
}
