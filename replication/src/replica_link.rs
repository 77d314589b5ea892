//! The replica side of a replication link (tokio), following Redis 7.0's `syncWithMaster`:
//!
//! 1. `PING` — `+PONG`, or `-NOAUTH` / `-NOPERM` / `-ERR operation not permitted` (an auth-protected
//!    master; AUTH comes next) are accepted, any other error fails the link;
//! 2. pipelined `AUTH [<masteruser>] <masterauth>` (only when configured; an error fails the link),
//!    `REPLCONF listening-port <port>`, `REPLCONF ip-address <ip>` (only when configured),
//!    `REPLCONF capa eof capa psync2` (errors to REPLCONF are ignored, as Redis does);
//! 3. `PSYNC <replid> <reploff+1>` for a replica that has a history, `PSYNC ? -1` otherwise; the
//!    master may send empty lines while preparing; `+FULLRESYNC <replid> <offset>` is followed by
//!    the RDB transfer (see [`RdbTransfer`]), `+CONTINUE [<replid>]` by the command stream
//!    (see [`Link`]); `-NOMASTERLINK` / `-LOADING` mean "try again later", other errors mean the
//!    master cannot serve PSYNC now.
//!
//! Every read and write is bounded by the handshake's timeout (Redis's `repl-timeout`): a master
//! that stays silent that long is considered gone, just as Redis drops the link.
//!
//! Offsets: the link counts the bytes of the command stream it hands out, so
//! `Link::offset()` = sync offset + every byte of every command returned, exactly the
//! `master_repl_offset` the master had after sending them.
//!
//! ACKs: the caller sends [`Link::send_ack`] every second (Redis's `replicationCron`) and on
//! `REPLCONF GETACK`. This is not optional: a Redis 7.0 master starts the stream of a diskless
//! (`$EOF:`) full sync only on an ACK received after it noticed the end of the transfer;
//! [`RdbTransfer::into_link`] sends the first one as `readSyncBulkPayload` does, but it can arrive
//! too early, and then only the next periodic ACK starts the stream. [`Link::next_command`] is
//! cancel-safe, so `tokio::select!` between it and an interval works.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::replid::ReplId;
use crate::wire::{
    self, find_eof_mark, format_command, EofMark, PsyncReply, TransferHeader, WireError,
    EOF_MARK_LEN,
};

/// Longest reply line accepted during the handshake.
const MAX_LINE: usize = 64 * 1024;
/// Redis's limits on a command in the stream (`proto-max-bulk-len`, multibulk count).
const MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
const MAX_MULTIBULK_LEN: i64 = 1024 * 1024;
/// Cap on buffered bytes of one not-yet-complete command.
const MAX_PENDING_COMMAND: usize = 1024 * 1024 * 1024;
/// Bound on consecutive keepalive newlines while waiting for the master (one per second from Redis).
const MAX_KEEPALIVES: usize = 1_000_000;
/// Bytes asked for per socket read.
const READ_CHUNK: usize = 64 * 1024;

/// What the replica tells the master during the handshake.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// `REPLCONF listening-port` (the replica's own port, or `replica-announce-port`).
    pub listening_port: u16,
    /// `REPLCONF ip-address` (`replica-announce-ip`), sent only when set.
    pub ip_address: Option<String>,
    /// `masteruser`: the ACL user for AUTH (with `masterauth`).
    pub masteruser: Option<String>,
    /// `masterauth`: AUTH is sent only when set.
    pub masterauth: Option<String>,
    /// The cached master's history: its replication ID and the replica's processed offset
    /// (`reploff`). The link asks `PSYNC <replid> <reploff + 1>`; `None` asks `PSYNC ? -1`.
    pub psync: Option<(ReplId, u64)>,
    /// Bound on every network wait (`repl-timeout`, 60 s by default).
    pub timeout: Duration,
}

impl Handshake {
    /// A handshake announcing `listening_port`, without auth, asking for a full sync.
    pub fn new(listening_port: u16) -> Handshake {
        Handshake {
            listening_port,
            ip_address: None,
            masteruser: None,
            masterauth: None,
            psync: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Why the link failed. Every variant means "drop the connection and retry later", as Redis's
/// `cancelReplicationHandshake` does; [`LinkError::TryLater`] is the master saying so explicitly.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("I/O error {0} with MASTER: {1}")]
    Io(&'static str, #[source] std::io::Error),
    #[error("timeout {0} with MASTER")]
    Timeout(&'static str),
    #[error("connection lost {0} with MASTER")]
    Closed(&'static str),
    #[error("Error reply to PING from master: '{0}'")]
    Ping(String),
    #[error("Unable to AUTH to MASTER: {0}")]
    Auth(String),
    #[error("Master is currently unable to PSYNC but should be in the future: {0}")]
    TryLater(String),
    #[error("Master does not support PSYNC or is in error state (reply: {0})")]
    PsyncRejected(String),
    #[error("MASTER aborted replication with an error: {0}")]
    Aborted(String),
    #[error("Protocol error from MASTER: {0}")]
    Protocol(String),
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the RDB transfer is not finished")]
    TransferUnfinished,
    #[error("the RDB payload exceeds {0} bytes")]
    PayloadTooLarge(usize),
}

/// Result of the link's operations.
pub type Result<T> = std::result::Result<T, LinkError>;

/// How the master answered PSYNC.
#[derive(Debug)]
pub enum Sync {
    /// `+FULLRESYNC`: load `rdb`, then continue from `offset` in history `replid`.
    Full {
        replid: ReplId,
        offset: u64,
        rdb: RdbTransfer,
    },
    /// `+CONTINUE`: the stream resumes right after the replica's offset. `new_replid` is the ID the
    /// master announced when it differs from the requested one (the master was promoted: the
    /// replica should [`shift_to`](crate::ReplicationIds::shift_to) it).
    Partial {
        new_replid: Option<ReplId>,
        link: Link,
    },
}

/// The framing of an RDB transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdbFraming {
    /// `$<len>`: disk-based transfer of a known length.
    Length(u64),
    /// `$EOF:<mark>`: diskless transfer ended by a 40-byte mark.
    EofMark,
}

/// Connects to a master, performs the handshake and PSYNC.
pub async fn connect(addr: impl ToSocketAddrs, hs: &Handshake) -> Result<Sync> {
    let stream = tokio::time::timeout(hs.timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| LinkError::Timeout("connecting"))?
        .map_err(|e| LinkError::Io("connecting", e))?;
    stream
        .set_nodelay(true)
        .map_err(|e| LinkError::Io("connecting", e))?;
    let mut conn = Conn {
        stream,
        buf: BytesMut::with_capacity(READ_CHUNK),
        timeout: hs.timeout,
    };

    conn.write_all(&format_command(&["PING"]), "sending PING")
        .await?;
    let pong = conn.read_line("reading PING reply").await?;
    if !(pong.starts_with(b"+")
        || pong.starts_with(b"-NOAUTH")
        || pong.starts_with(b"-NOPERM")
        || pong.starts_with(b"-ERR operation not permitted"))
    {
        return Err(LinkError::Ping(lossy(&pong)));
    }

    let mut pipeline = Vec::new();
    if let Some(pass) = &hs.masterauth {
        let mut args: Vec<&[u8]> = vec![b"AUTH"];
        if let Some(user) = &hs.masteruser {
            args.push(user.as_bytes());
        }
        args.push(pass.as_bytes());
        pipeline.extend_from_slice(&format_command(&args));
    }
    let port = hs.listening_port.to_string();
    pipeline.extend_from_slice(&format_command(&["REPLCONF", "listening-port", &port]));
    if let Some(ip) = &hs.ip_address {
        pipeline.extend_from_slice(&format_command(&["REPLCONF", "ip-address", ip]));
    }
    pipeline.extend_from_slice(&format_command(&[
        "REPLCONF", "capa", "eof", "capa", "psync2",
    ]));
    conn.write_all(&pipeline, "sending the handshake").await?;
    if hs.masterauth.is_some() {
        let reply = conn.read_line("reading AUTH reply").await?;
        if reply.starts_with(b"-") {
            return Err(LinkError::Auth(lossy(&reply)));
        }
    }
    // Replies to REPLCONF: errors are not critical (older masters).
    conn.read_line("reading REPLCONF listening-port reply")
        .await?;
    if hs.ip_address.is_some() {
        conn.read_line("reading REPLCONF ip-address reply").await?;
    }
    conn.read_line("reading REPLCONF capa reply").await?;

    let (psync_replid, psync_offset) = match &hs.psync {
        Some((id, reploff)) => (id.to_string(), (reploff + 1).to_string()),
        None => ("?".to_string(), "-1".to_string()),
    };
    conn.write_all(
        &format_command(&["PSYNC", &psync_replid, &psync_offset]),
        "sending PSYNC",
    )
    .await?;
    for _ in 0..MAX_KEEPALIVES {
        let line = conn.read_line("reading PSYNC reply").await?;
        match wire::parse_psync_reply(&line)? {
            PsyncReply::Keepalive => continue,
            PsyncReply::FullResync { replid, offset } => {
                let offset = u64::try_from(offset).map_err(|_| {
                    LinkError::Protocol(format!("negative FULLRESYNC offset {offset}"))
                })?;
                let framing = read_transfer_header(&mut conn).await?;
                return Ok(Sync::Full {
                    replid,
                    offset,
                    rdb: RdbTransfer {
                        conn,
                        framing,
                        received: 0,
                        done: false,
                        replid,
                        offset,
                    },
                });
            }
            PsyncReply::Continue { replid } => {
                let Some((requested, reploff)) = hs.psync else {
                    return Err(LinkError::Protocol(
                        "+CONTINUE to a PSYNC without history".into(),
                    ));
                };
                let new_replid = replid.filter(|id| *id != requested);
                return Ok(Sync::Partial {
                    new_replid,
                    link: Link {
                        conn,
                        replid: new_replid.unwrap_or(requested),
                        offset: reploff,
                    },
                });
            }
            PsyncReply::TryLater(msg) => return Err(LinkError::TryLater(msg)),
            PsyncReply::Error(msg) => return Err(LinkError::PsyncRejected(msg)),
        }
    }
    Err(LinkError::Timeout("waiting for the PSYNC reply"))
}

/// Reads `$<len>` or `$EOF:<mark>`, skipping keepalive newlines.
async fn read_transfer_header(conn: &mut Conn) -> Result<Framing> {
    for _ in 0..MAX_KEEPALIVES {
        let line = conn.read_line("reading bulk count").await?;
        match wire::parse_transfer_header(&line)? {
            TransferHeader::Keepalive => continue,
            TransferHeader::Aborted(msg) => return Err(LinkError::Aborted(msg)),
            TransferHeader::Length(n) => return Ok(Framing::Length(n)),
            TransferHeader::EofMark(m) => return Ok(Framing::Eof(m)),
        }
    }
    Err(LinkError::Timeout("waiting for the RDB transfer"))
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(u64),
    Eof(EofMark),
}

/// The RDB payload of a full sync, read chunk by chunk (to a file or into memory). For the
/// diskless framing the closing 40-byte mark is stripped, found even when it is split across
/// socket reads; bytes after it stay for the command stream.
#[derive(Debug)]
pub struct RdbTransfer {
    conn: Conn,
    framing: Framing,
    received: u64,
    done: bool,
    replid: ReplId,
    offset: u64,
}

impl RdbTransfer {
    /// How the master frames this transfer.
    pub fn framing(&self) -> RdbFraming {
        match self.framing {
            Framing::Length(n) => RdbFraming::Length(n),
            Framing::Eof(_) => RdbFraming::EofMark,
        }
    }

    /// Payload bytes handed out so far.
    pub fn bytes_received(&self) -> u64 {
        self.received
    }

    /// Whether the whole payload has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next piece of the payload, `None` once it is complete.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        if self.done {
            return Ok(None);
        }
        match self.framing {
            Framing::Length(total) => {
                let remaining = total - self.received;
                if remaining == 0 {
                    self.done = true;
                    return Ok(None);
                }
                if self.conn.buf.is_empty() {
                    self.conn.fill("reading the RDB payload").await?;
                }
                let take = self
                    .conn
                    .buf
                    .len()
                    .min(remaining.min(usize::MAX as u64) as usize);
                let chunk = self.conn.buf.split_to(take).freeze();
                self.received += take as u64;
                if self.received == total {
                    self.done = true;
                }
                Ok(Some(chunk))
            }
            Framing::Eof(mark) => {
                // Each round either returns or reads at least one byte; after 40 buffered bytes
                // some prefix is certainly payload, so few rounds are ever needed.
                for _ in 0..=EOF_MARK_LEN + 1 {
                    match find_eof_mark(&self.conn.buf, &mark, 0) {
                        Ok(pos) => {
                            let chunk = self.conn.buf.split_to(pos).freeze();
                            self.conn.buf.advance(EOF_MARK_LEN);
                            self.done = true;
                            self.received += chunk.len() as u64;
                            return Ok(if chunk.is_empty() { None } else { Some(chunk) });
                        }
                        Err(safe) if safe > 0 => {
                            let chunk = self.conn.buf.split_to(safe).freeze();
                            self.received += chunk.len() as u64;
                            return Ok(Some(chunk));
                        }
                        Err(_) => {
                            self.conn.fill("reading the RDB payload").await?;
                        }
                    }
                }
                Err(LinkError::Protocol(
                    "EOF mark search did not progress".into(),
                ))
            }
        }
    }

    /// Copies the rest of the payload to `w` (e.g. a temp file), returning the bytes written.
    pub async fn write_to<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> Result<u64> {
        let mut n = 0u64;
        while let Some(chunk) = self.next_chunk().await? {
            w.write_all(&chunk)
                .await
                .map_err(|e| LinkError::Io("writing the RDB payload", e))?;
            n += chunk.len() as u64;
        }
        w.flush()
            .await
            .map_err(|e| LinkError::Io("writing the RDB payload", e))?;
        Ok(n)
    }

    /// Reads the rest of the payload into memory, failing past `max_len` bytes.
    pub async fn read_to_vec(&mut self, max_len: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            if out.len() + chunk.len() > max_len {
                return Err(LinkError::PayloadTooLarge(max_len));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// The command stream that follows a complete transfer. After a diskless transfer this sends
    /// the first `REPLCONF ACK <offset>`, which a Redis 7.0 master waits for before streaming.
    pub async fn into_link(self) -> Result<Link> {
        if !self.done {
            return Err(LinkError::TransferUnfinished);
        }
        let mut link = Link {
            conn: self.conn,
            replid: self.replid,
            offset: self.offset,
        };
        if let Framing::Eof(_) = self.framing {
            link.send_ack(self.offset).await?;
        }
        Ok(link)
    }
}

/// The command stream from the master, after a full or partial sync.
#[derive(Debug)]
pub struct Link {
    conn: Conn,
    replid: ReplId,
    offset: u64,
}

impl Link {
    /// The master's replication ID this stream belongs to.
    pub fn master_replid(&self) -> &ReplId {
        &self.replid
    }

    /// The sync offset plus every byte of every command handed out so far: the replica's
    /// `reploff` once it has applied them.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Changes the bound on each wait for the master (`repl-timeout`).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.conn.timeout = timeout;
    }

    /// The next command of the stream and its length on the wire. Every byte counts towards the
    /// offset, including the master's `PING`s and `REPLCONF GETACK`s (and any empty lines, which
    /// are folded into the next command's length). Cancel-safe: dropping the future loses nothing.
    pub async fn next_command(&mut self) -> Result<(Vec<Bytes>, u64)> {
        let (args, raw) = self.next_command_raw().await?;
        Ok((args, raw.len() as u64))
    }

    /// Like [`next_command`](Self::next_command) but also returns the command's exact bytes, which
    /// a replica feeds verbatim to its own backlog (for its own replicas and for PSYNC after a
    /// promotion). The arguments are slices of those bytes.
    pub async fn next_command_raw(&mut self) -> Result<(Vec<Bytes>, Bytes)> {
        loop {
            if let Some((len, ranges)) = parse_command(&self.conn.buf)? {
                let raw = self.conn.buf.split_to(len).freeze();
                let args = ranges.into_iter().map(|(s, e)| raw.slice(s..e)).collect();
                self.offset += len as u64;
                return Ok((args, raw));
            }
            if self.conn.buf.len() > MAX_PENDING_COMMAND {
                return Err(LinkError::Protocol("command too large".into()));
            }
            // Each round reads at least one byte; the buffer cap above bounds the rounds.
            self.conn.fill("reading the replication stream").await?;
        }
    }

    /// Sends `REPLCONF ACK <offset>` (Redis replicas send their `reploff` every second and in
    /// answer to `REPLCONF GETACK`; note Redis answers GETACK with the offset *before* the GETACK
    /// command itself).
    pub async fn send_ack(&mut self, offset: u64) -> Result<()> {
        let off = i64::try_from(offset).unwrap_or(i64::MAX);
        self.conn
            .write_all(&wire::format_ack(off), "sending REPLCONF ACK")
            .await
    }
}

/// Whether `args` is the master's `REPLCONF GETACK ...`.
pub fn is_getack(args: &[Bytes]) -> bool {
    args.len() >= 2
        && args[0].eq_ignore_ascii_case(b"replconf")
        && args[1].eq_ignore_ascii_case(b"getack")
}

/// Parses one command at the start of `buf`: `Some((total length, argument ranges))` when it is
/// complete. Empty inline lines and `*0`/`*-1` are consumed and folded into the next command.
#[allow(clippy::type_complexity)]
fn parse_command(buf: &[u8]) -> Result<Option<(usize, Vec<(usize, usize)>)>> {
    let mut pos = 0;
    // Bounded by the buffer: every round consumes at least one byte or returns.
    while pos < buf.len() {
        let Some(nl) = memchr(b'\n', &buf[pos..]) else {
            if buf.len() - pos > MAX_LINE {
                return Err(LinkError::Protocol("too big inline request".into()));
            }
            return Ok(None);
        };
        let line_end = pos + nl; // index of '\n'
        let line = strip_cr(&buf[pos..line_end]);
        if buf[pos] != b'*' {
            // Inline command (never sent by Redis masters, but accepted as Redis does).
            let mut ranges = Vec::new();
            let mut i = 0;
            while i < line.len() {
                while i < line.len() && line[i].is_ascii_whitespace() {
                    i += 1;
                }
                let s = i;
                while i < line.len() && !line[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i > s {
                    ranges.push((pos + s, pos + i));
                }
            }
            let end = line_end + 1;
            if ranges.is_empty() {
                pos = end;
                continue;
            }
            return Ok(Some((end, ranges)));
        }
        let count = wire::parse_i64(&line[1..])
            .filter(|&n| n <= MAX_MULTIBULK_LEN)
            .ok_or_else(|| LinkError::Protocol("invalid multibulk length".into()))?;
        let mut p = line_end + 1;
        if count <= 0 {
            pos = p;
            continue;
        }
        let mut ranges = Vec::with_capacity((count as usize).min(64));
        for _ in 0..count {
            if p >= buf.len() {
                return Ok(None);
            }
            if buf[p] != b'$' {
                return Err(LinkError::Protocol(format!(
                    "expected '$', got '{}'",
                    buf[p] as char
                )));
            }
            let Some(nl) = memchr(b'\n', &buf[p..]) else {
                if buf.len() - p > 64 {
                    return Err(LinkError::Protocol("invalid bulk length".into()));
                }
                return Ok(None);
            };
            let hdr = strip_cr(&buf[p + 1..p + nl]);
            let len = wire::parse_i64(hdr)
                .filter(|n| (0..=MAX_BULK_LEN).contains(n))
                .ok_or_else(|| LinkError::Protocol("invalid bulk length".into()))?
                as usize;
            let start = p + nl + 1;
            if buf.len() < start + len + 2 {
                return Ok(None);
            }
            if &buf[start + len..start + len + 2] != b"\r\n" {
                return Err(LinkError::Protocol("bulk not terminated by CRLF".into()));
            }
            ranges.push((start, start + len));
            p = start + len + 2;
        }
        return Ok(Some((p, ranges)));
    }
    Ok(None)
}

fn memchr(c: u8, s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == c)
}

fn strip_cr(s: &[u8]) -> &[u8] {
    s.strip_suffix(b"\r").unwrap_or(s)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A socket with a read buffer and a per-operation timeout.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    timeout: Duration,
}

impl Conn {
    /// Reads more bytes into the buffer (at least one), failing on timeout or EOF.
    async fn fill(&mut self, what: &'static str) -> Result<usize> {
        self.buf.reserve(READ_CHUNK);
        let n = tokio::time::timeout(self.timeout, self.stream.read_buf(&mut self.buf))
            .await
            .map_err(|_| LinkError::Timeout(what))?
            .map_err(|e| LinkError::Io(what, e))?;
        if n == 0 {
            return Err(LinkError::Closed(what));
        }
        Ok(n)
    }

    /// One line without its `\n` (and `\r`), as Redis's `syncReadLine`.
    async fn read_line(&mut self, what: &'static str) -> Result<Bytes> {
        let mut scanned = 0;
        // Each round reads at least one byte; MAX_LINE bounds the rounds.
        loop {
            if let Some(i) = memchr(b'\n', &self.buf[scanned..]) {
                let mut line = self.buf.split_to(scanned + i + 1);
                line.truncate(scanned + i);
                if line.last() == Some(&b'\r') {
                    line.truncate(line.len() - 1);
                }
                return Ok(line.freeze());
            }
            scanned = self.buf.len();
            if scanned > MAX_LINE {
                return Err(LinkError::Protocol(format!("line too long {what}")));
            }
            self.fill(what).await?;
        }
    }

    async fn write_all(&mut self, data: &[u8], what: &'static str) -> Result<()> {
        tokio::time::timeout(self.timeout, self.stream.write_all(data))
            .await
            .map_err(|_| LinkError::Timeout(what))?
            .map_err(|e| LinkError::Io(what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Option<(usize, Vec<Vec<u8>>)> {
        parse_command(s)
            .unwrap()
            .map(|(n, r)| (n, r.into_iter().map(|(a, b)| s[a..b].to_vec()).collect()))
    }

    #[test]
    fn parses_multibulk_and_counts_bytes() {
        let cmd = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n";
        assert_eq!(
            parse(cmd),
            Some((
                cmd.len(),
                vec![b"SET".to_vec(), b"k".to_vec(), b"vv".to_vec()]
            ))
        );
        for cut in 0..cmd.len() {
            assert_eq!(parse(&cmd[..cut]), None, "cut {cut}");
        }
        let mut two = cmd.to_vec();
        two.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(parse(&two).unwrap().0, cmd.len());
    }

    #[test]
    fn empty_lines_fold_into_next_command() {
        let s = b"\n\r\n*0\r\n*1\r\n$4\r\nPING\r\n";
        assert_eq!(parse(s), Some((s.len(), vec![b"PING".to_vec()])));
        assert_eq!(parse(b"\n\n"), None);
        assert_eq!(
            parse(b"PING  x\r\n"),
            Some((9, vec![b"PING".to_vec(), b"x".to_vec()]))
        );
    }

    #[test]
    fn rejects_bad_framing() {
        assert!(parse_command(b"*1\r\n:4\r\n").is_err());
        assert!(parse_command(b"*1\r\n$4\r\nPINGxx").is_err());
        assert!(parse_command(b"*x\r\n").is_err());
        assert!(parse_command(b"*1\r\n$-1\r\n").is_err());
        assert!(parse_command(b"*99999999\r\n").is_err());
        // A huge declared bulk does not allocate; it just waits for the bytes.
        assert!(parse_command(b"*1\r\n$536870912\r\nab").unwrap().is_none());
        assert!(parse_command(b"*1\r\n$536870913\r\n").is_err());
    }

    #[test]
    fn getack_detection() {
        let a = |s: &str| {
            s.split(' ')
                .map(|x| Bytes::copy_from_slice(x.as_bytes()))
                .collect::<Vec<_>>()
        };
        assert!(is_getack(&a("REPLCONF GETACK *")));
        assert!(is_getack(&a("replconf getack *")));
        assert!(!is_getack(&a("REPLCONF ACK 1")));
        assert!(!is_getack(&a("PING")));
    }
}
