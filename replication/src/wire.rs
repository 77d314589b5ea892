//! The control messages of the replication link, byte for byte as Redis 7.0 writes and reads them:
//!
//! - master → replica: `+FULLRESYNC <replid> <offset>`, `+CONTINUE [<replid>]`, the RDB transfer
//!   header (`$<len>\r\n` followed by exactly `len` bytes, or `$EOF:<40-byte mark>\r\n` followed by
//!   the payload and the same 40-byte mark), and single `\n` keepalives sent while the RDB is being
//!   prepared (before the PSYNC reply and before the transfer header);
//! - replica → master: `PSYNC <replid>|? <offset>|-1 [FAILOVER]` and `REPLCONF <option> <value> ...`
//!   (listening-port, ip-address, capa eof|psync2, ack <offset> [fack <aofoffset>], getack,
//!   rdb-only, rdb-filter-only), parsed here for the master side;
//! - a small RESP multibulk encoder for the commands both sides send.
//!
//! Error texts are Redis's, without the leading `-`.

use bytes::Bytes;
use rand::RngCore;

use crate::replid::{ReplId, REPLID_LEN};

/// The single newline a master sends to a waiting replica to keep the link alive.
pub const KEEPALIVE: &[u8] = b"\n";

/// Length of the diskless transfer's end mark.
pub const EOF_MARK_LEN: usize = 40;

/// Longest `REPLCONF ip-address` Redis accepts is one byte less than this (`NET_HOST_STR_LEN`).
pub const NET_HOST_STR_LEN: usize = 256;

/// Encodes `args` as a RESP multibulk command.
pub fn format_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `+FULLRESYNC <replid> <offset>\r\n`.
pub fn format_fullresync(replid: &ReplId, offset: u64) -> Vec<u8> {
    format!("+FULLRESYNC {replid} {offset}\r\n").into_bytes()
}

/// `+CONTINUE <replid>\r\n` for replicas with `capa psync2`, `+CONTINUE\r\n` otherwise.
pub fn format_continue(replid: Option<&ReplId>) -> Vec<u8> {
    match replid {
        Some(id) => format!("+CONTINUE {id}\r\n").into_bytes(),
        None => b"+CONTINUE\r\n".to_vec(),
    }
}

/// `REPLCONF ACK <offset>`, as a replica reports its processed offset.
pub fn format_ack(offset: i64) -> Vec<u8> {
    format_command(&[&b"REPLCONF"[..], b"ACK", offset.to_string().as_bytes()])
}

/// `REPLCONF GETACK *`, as a master asks its replicas for an ACK.
pub fn format_getack() -> Vec<u8> {
    format_command(&[&b"REPLCONF"[..], b"GETACK", b"*"])
}

/// The 40 random alphanumeric-hex bytes closing a diskless (`$EOF:`) transfer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EofMark(pub [u8; EOF_MARK_LEN]);

impl EofMark {
    /// A fresh random mark (Redis uses 40 random hex characters).
    pub fn random() -> EofMark {
        let mut raw = [0u8; EOF_MARK_LEN / 2];
        rand::thread_rng().fill_bytes(&mut raw);
        let mut m = [0u8; EOF_MARK_LEN];
        for (i, b) in raw.iter().enumerate() {
            m[2 * i] = b"0123456789abcdef"[(b >> 4) as usize];
            m[2 * i + 1] = b"0123456789abcdef"[(b & 0xf) as usize];
        }
        EofMark(m)
    }
}

/// `$<len>\r\n`: header of a disk-based transfer of `len` bytes.
pub fn format_rdb_length_header(len: u64) -> Vec<u8> {
    format!("${len}\r\n").into_bytes()
}

/// `$EOF:<mark>\r\n`: header of a diskless transfer; the payload is followed by `mark`.
pub fn format_rdb_eof_header(mark: &EofMark) -> Vec<u8> {
    let mut v = b"$EOF:".to_vec();
    v.extend_from_slice(&mark.0);
    v.extend_from_slice(b"\r\n");
    v
}

/// A malformed message from the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR value is not an integer or out of range")]
    NotAnInteger,
    #[error("ERR wrong number of arguments for '{0}' command")]
    Arity(&'static str),
    #[error("ERR Unrecognized REPLCONF option: {0}")]
    UnknownReplconfOption(String),
    #[error("ERR REPLCONF ip-address provided by replica instance is too long: {0} bytes")]
    IpAddressTooLong(usize),
    #[error("ERR value is out of range, value must between 0 and 1")]
    OutOfRange01,
    #[error("ERR Unsupported rdb-filter-only option: {0}")]
    UnknownRdbFilter(String),
    #[error("Master replied with wrong +FULLRESYNC syntax: {0}")]
    BadFullResync(String),
    #[error("Bad protocol from MASTER, the first byte is not '$' (we received '{0}')")]
    BadTransferHeader(String),
}

/// Parses a signed 64-bit integer the way Redis's `string2ll` does: optional `-`, digits, no `+`,
/// no spaces, no leading zeros.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    if digits.is_empty()
        || !digits.iter().all(u8::is_ascii_digit)
        || (digits.len() > 1 && digits[0] == b'0')
        || (s.len() == 2 && s == b"-0")
    {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// A `PSYNC <replid> <offset> [FAILOVER]` request as a master receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsyncRequest {
    /// The requested history: a 40-character ID, or `?` to force a full resync (any text is kept
    /// as sent; it simply matches none of our IDs).
    pub replid: Bytes,
    /// The first byte the replica lacks (its processed offset + 1), or -1 with `?`.
    pub offset: i64,
    /// `PSYNC ... FAILOVER`: the sender asks this replica to become master.
    pub failover: bool,
}

impl PsyncRequest {
    /// `PSYNC ? -1` style: the replica asks for a full resync on purpose.
    pub fn forces_full_resync(&self) -> bool {
        self.replid.first() == Some(&b'?')
    }
}

/// Parses the arguments of `PSYNC` (`args[0]` is the command name).
pub fn parse_psync(args: &[Bytes]) -> Result<PsyncRequest, WireError> {
    if args.len() < 3 {
        return Err(WireError::Arity("psync"));
    }
    let offset = parse_i64(&args[2]).ok_or(WireError::NotAnInteger)?;
    let failover = args.len() > 3 && args[3].eq_ignore_ascii_case(b"failover");
    Ok(PsyncRequest {
        replid: args[1].clone(),
        offset,
        failover,
    })
}

/// A replica capability announced with `REPLCONF capa`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capa {
    /// Understands the `$EOF:` diskless framing.
    Eof,
    /// Understands `+CONTINUE <replid>`.
    Psync2,
    /// Anything else: ignored by a master.
    Other(Bytes),
}

/// One option of a `REPLCONF` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplconfOption {
    ListeningPort(i64),
    IpAddress(Bytes),
    Capa(Capa),
    /// `ACK <offset> [FACK <aofoffset>]`: never replied to. `offset` is `None` when it is not an
    /// integer (Redis then ignores the command silently).
    Ack {
        offset: Option<i64>,
        fack: Option<i64>,
    },
    /// `GETACK <anything>`: a replica answers with `REPLCONF ACK`, a master ignores it.
    GetAck,
    RdbOnly(bool),
    /// `rdb-filter-only "<filters>"`: `true` when functions are included (the only filter).
    RdbFilterOnly {
        functions: bool,
    },
}

impl ReplconfOption {
    /// Whether the command gets no reply (ACK and GETACK end the command without `+OK`).
    pub fn is_silent(&self) -> bool {
        matches!(self, ReplconfOption::Ack { .. } | ReplconfOption::GetAck)
    }
}

/// Parses `REPLCONF <option> <value> ...` (`args[0]` is the command name) as `replconfCommand`
/// does: pairs are processed in order and `ack`/`getack` end the command (what follows is ignored),
/// so when the last returned option [`is_silent`](ReplconfOption::is_silent) there is no reply,
/// otherwise the reply is `+OK`. An error is the whole command's reply.
pub fn parse_replconf(args: &[Bytes]) -> Result<Vec<ReplconfOption>, WireError> {
    if args.len() & 1 == 0 {
        return Err(WireError::Syntax);
    }
    let mut out = Vec::new();
    for (i, pair) in args[1..].chunks_exact(2).enumerate() {
        let (name, value) = (&pair[0], &pair[1]);
        let lower = name.to_ascii_lowercase();
        match lower.as_slice() {
            b"listening-port" => {
                out.push(ReplconfOption::ListeningPort(
                    parse_i64(value).ok_or(WireError::NotAnInteger)?,
                ));
            }
            b"ip-address" => {
                if value.len() >= NET_HOST_STR_LEN {
                    return Err(WireError::IpAddressTooLong(value.len()));
                }
                out.push(ReplconfOption::IpAddress(value.clone()));
            }
            b"capa" => {
                let capa = if value.eq_ignore_ascii_case(b"eof") {
                    Capa::Eof
                } else if value.eq_ignore_ascii_case(b"psync2") {
                    Capa::Psync2
                } else {
                    Capa::Other(value.clone())
                };
                out.push(ReplconfOption::Capa(capa));
            }
            b"ack" => {
                let offset = parse_i64(value);
                // The pair after this one starts at args[1 + 2 * (i + 1)].
                let rest = args.get(3 + 2 * i..).unwrap_or(&[]);
                let fack = match rest {
                    [k, v, ..] if k.eq_ignore_ascii_case(b"fack") => parse_i64(v),
                    _ => None,
                };
                out.push(ReplconfOption::Ack { offset, fack });
                return Ok(out);
            }
            b"getack" => {
                out.push(ReplconfOption::GetAck);
                return Ok(out);
            }
            b"rdb-only" => match parse_i64(value) {
                Some(0) => out.push(ReplconfOption::RdbOnly(false)),
                Some(1) => out.push(ReplconfOption::RdbOnly(true)),
                Some(_) => return Err(WireError::OutOfRange01),
                None => return Err(WireError::NotAnInteger),
            },
            b"rdb-filter-only" => {
                let mut functions = false;
                let text = String::from_utf8_lossy(value);
                for f in text.split_ascii_whitespace() {
                    if f.eq_ignore_ascii_case("functions") {
                        functions = true;
                    } else {
                        return Err(WireError::UnknownRdbFilter(f.to_string()));
                    }
                }
                out.push(ReplconfOption::RdbFilterOnly { functions });
            }
            _ => {
                return Err(WireError::UnknownReplconfOption(
                    String::from_utf8_lossy(name).into_owned(),
                ))
            }
        }
    }
    Ok(out)
}

/// A master's answer to `PSYNC`, read as one line without its `\r\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsyncReply {
    /// An empty line: a keepalive sent while the master prepares; read the next line.
    Keepalive,
    /// `+FULLRESYNC <replid> <offset>`: an RDB transfer follows.
    FullResync { replid: ReplId, offset: i64 },
    /// `+CONTINUE [<replid>]`: the stream continues; a 40-character ID is the master's current one.
    Continue { replid: Option<ReplId> },
    /// `-NOMASTERLINK ...` or `-LOADING ...`: transient, try again later.
    TryLater(String),
    /// `-ERR ...` or anything unexpected: the master cannot serve PSYNC now.
    Error(String),
}

/// Parses a reply line to `PSYNC` as `slaveTryPartialResynchronization` does.
pub fn parse_psync_reply(line: &[u8]) -> Result<PsyncReply, WireError> {
    let text = || String::from_utf8_lossy(line).into_owned();
    if line.is_empty() {
        return Ok(PsyncReply::Keepalive);
    }
    if let Some(rest) = line.strip_prefix(b"+FULLRESYNC") {
        let mut parts = rest.split(|&c| c == b' ').filter(|p| !p.is_empty());
        let (Some(id), Some(off), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(WireError::BadFullResync(text()));
        };
        let replid = ReplId::parse(id).map_err(|_| WireError::BadFullResync(text()))?;
        let offset = parse_i64(off).ok_or_else(|| WireError::BadFullResync(text()))?;
        return Ok(PsyncReply::FullResync { replid, offset });
    }
    if let Some(rest) = line.strip_prefix(b"+CONTINUE") {
        let id = rest.strip_prefix(b" ").unwrap_or(rest);
        let replid = if id.len() == REPLID_LEN {
            ReplId::parse(id).ok()
        } else {
            None
        };
        return Ok(PsyncReply::Continue { replid });
    }
    if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
        return Ok(PsyncReply::TryLater(text()));
    }
    Ok(PsyncReply::Error(text()))
}

/// The line that opens an RDB transfer, read without its `\r\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferHeader {
    /// An empty line: keepalive while the master's RDB is being produced.
    Keepalive,
    /// `-<error>`: the master aborted the replication.
    Aborted(String),
    /// `$<len>`: exactly `len` payload bytes follow.
    Length(u64),
    /// `$EOF:<mark>`: payload bytes follow until `mark`.
    EofMark(EofMark),
}

/// Parses the transfer header line as `readSyncBulkPayload` does.
pub fn parse_transfer_header(line: &[u8]) -> Result<TransferHeader, WireError> {
    match line.first() {
        None => Ok(TransferHeader::Keepalive),
        Some(b'-') => Ok(TransferHeader::Aborted(
            String::from_utf8_lossy(&line[1..]).into_owned(),
        )),
        Some(b'$') => {
            let rest = &line[1..];
            if let Some(mark) = rest.strip_prefix(b"EOF:") {
                if mark.len() >= EOF_MARK_LEN {
                    let mut m = [0u8; EOF_MARK_LEN];
                    m.copy_from_slice(&mark[..EOF_MARK_LEN]);
                    return Ok(TransferHeader::EofMark(EofMark(m)));
                }
            }
            match parse_i64(rest).and_then(|n| u64::try_from(n).ok()) {
                Some(n) => Ok(TransferHeader::Length(n)),
                None => Err(WireError::BadTransferHeader(
                    String::from_utf8_lossy(line).into_owned(),
                )),
            }
        }
        Some(_) => Err(WireError::BadTransferHeader(
            String::from_utf8_lossy(line).into_owned(),
        )),
    }
}

/// Where the end mark of a diskless transfer is in `buf`, scanning from `from` (positions before it
/// are known not to start the mark). `Ok(pos)`: the mark starts at `pos`. `Err(safe)`: no mark
/// yet; bytes before `safe` are payload for sure, the rest (at most 39 bytes) may be the start of a
/// mark split across reads.
pub fn find_eof_mark(buf: &[u8], mark: &EofMark, from: usize) -> Result<usize, usize> {
    let m = &mark.0;
    let mut i = from;
    while i + EOF_MARK_LEN <= buf.len() {
        if buf[i] == m[0] && &buf[i..i + EOF_MARK_LEN] == m {
            return Ok(i);
        }
        i += 1;
    }
    // Keep back the longest suffix that is a prefix of the mark.
    let tail_start = buf.len().saturating_sub(EOF_MARK_LEN - 1).max(from);
    for start in tail_start..buf.len() {
        if m.starts_with(&buf[start..]) {
            return Err(start);
        }
    }
    Err(buf.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }
    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ').map(b).collect()
    }

    #[test]
    fn integers_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"123"), Some(123));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in ["", "-", "+1", " 1", "01", "-0", "1a", "1.0"] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn command_encoding() {
        assert_eq!(format_command(&["PING"]), b"*1\r\n$4\r\nPING\r\n".to_vec());
        assert_eq!(
            format_ack(1234),
            b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1234\r\n".to_vec()
        );
        // What a Redis 7.0 master puts in its stream (seen in its backlog): GETACK with "*".
        assert_eq!(
            format_getack(),
            b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".to_vec()
        );
    }

    #[test]
    fn psync_replies() {
        let id = "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb";
        let full = format_fullresync(&id.parse().unwrap(), 42);
        assert_eq!(full, format!("+FULLRESYNC {id} 42\r\n").into_bytes());
        assert_eq!(
            parse_psync_reply(&full[..full.len() - 2]).unwrap(),
            PsyncReply::FullResync {
                replid: id.parse().unwrap(),
                offset: 42
            }
        );
        assert!(parse_psync_reply(b"+FULLRESYNC abc 42").is_err());
        assert!(parse_psync_reply(b"+FULLRESYNC").is_err());
        let cont = format_continue(Some(&id.parse().unwrap()));
        assert_eq!(
            parse_psync_reply(&cont[..cont.len() - 2]).unwrap(),
            PsyncReply::Continue {
                replid: Some(id.parse().unwrap())
            }
        );
        assert_eq!(format_continue(None), b"+CONTINUE\r\n".to_vec());
        assert_eq!(
            parse_psync_reply(b"+CONTINUE").unwrap(),
            PsyncReply::Continue { replid: None }
        );
        assert_eq!(parse_psync_reply(b"").unwrap(), PsyncReply::Keepalive);
        assert!(matches!(
            parse_psync_reply(b"-LOADING Redis is loading the dataset in memory").unwrap(),
            PsyncReply::TryLater(_)
        ));
        assert!(matches!(
            parse_psync_reply(b"-NOMASTERLINK Can't SYNC while not connected with my master")
                .unwrap(),
            PsyncReply::TryLater(_)
        ));
        assert!(matches!(
            parse_psync_reply(b"-ERR unknown command").unwrap(),
            PsyncReply::Error(_)
        ));
    }

    #[test]
    fn psync_requests() {
        let r = parse_psync(&args("PSYNC ? -1")).unwrap();
        assert!(r.forces_full_resync());
        assert_eq!(r.offset, -1);
        let r = parse_psync(&args(
            "psync 8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb 101 FAILOVER",
        ))
        .unwrap();
        assert!(!r.forces_full_resync());
        assert_eq!(r.offset, 101);
        assert!(r.failover);
        assert_eq!(
            parse_psync(&args("PSYNC x y")),
            Err(WireError::NotAnInteger)
        );
        assert_eq!(
            parse_psync(&args("PSYNC x")),
            Err(WireError::Arity("psync"))
        );
    }

    #[test]
    fn replconf_options() {
        assert_eq!(
            parse_replconf(&args("REPLCONF listening-port 6380")).unwrap(),
            vec![ReplconfOption::ListeningPort(6380)]
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF capa eof capa psync2 capa foo")).unwrap(),
            vec![
                ReplconfOption::Capa(Capa::Eof),
                ReplconfOption::Capa(Capa::Psync2),
                ReplconfOption::Capa(Capa::Other(b("foo")))
            ]
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF ip-address 10.0.0.1")).unwrap(),
            vec![ReplconfOption::IpAddress(b("10.0.0.1"))]
        );
        let long = format!("REPLCONF ip-address {}", "a".repeat(256));
        assert_eq!(
            parse_replconf(&args(&long)),
            Err(WireError::IpAddressTooLong(256))
        );
        let ack = parse_replconf(&args("REPLCONF ACK 500")).unwrap();
        assert_eq!(
            ack,
            vec![ReplconfOption::Ack {
                offset: Some(500),
                fack: None
            }]
        );
        assert!(ack[0].is_silent());
        assert_eq!(
            parse_replconf(&args("REPLCONF ack 500 fack 400")).unwrap(),
            vec![ReplconfOption::Ack {
                offset: Some(500),
                fack: Some(400)
            }]
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF listening-port 1 ack x junk more")).unwrap(),
            vec![
                ReplconfOption::ListeningPort(1),
                ReplconfOption::Ack {
                    offset: None,
                    fack: None
                }
            ]
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF GETACK *")).unwrap(),
            vec![ReplconfOption::GetAck]
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF rdb-only 1")).unwrap(),
            vec![ReplconfOption::RdbOnly(true)]
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF rdb-filter-only functions")).unwrap(),
            vec![ReplconfOption::RdbFilterOnly { functions: true }]
        );
        // Error texts as redis-server 7.0 replies them.
        assert_eq!(
            parse_replconf(&args("REPLCONF listening-port"))
                .unwrap_err()
                .to_string(),
            "ERR syntax error"
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF foo bar"))
                .unwrap_err()
                .to_string(),
            "ERR Unrecognized REPLCONF option: foo"
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF listening-port x"))
                .unwrap_err()
                .to_string(),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF rdb-only 2"))
                .unwrap_err()
                .to_string(),
            "ERR value is out of range, value must between 0 and 1"
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF rdb-only x"))
                .unwrap_err()
                .to_string(),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            parse_replconf(&args("REPLCONF rdb-filter-only foo"))
                .unwrap_err()
                .to_string(),
            "ERR Unsupported rdb-filter-only option: foo"
        );
        assert_eq!(
            parse_replconf(&args(&long)).unwrap_err().to_string(),
            "ERR REPLCONF ip-address provided by replica instance is too long: 256 bytes"
        );
        assert_eq!(
            parse_psync(&args("PSYNC x")).unwrap_err().to_string(),
            "ERR wrong number of arguments for 'psync' command"
        );
        assert_eq!(parse_replconf(&args("REPLCONF")).unwrap(), vec![]);
    }

    #[test]
    fn transfer_headers() {
        let mark = EofMark::random();
        let h = format_rdb_eof_header(&mark);
        assert_eq!(h.len(), 5 + 40 + 2);
        assert_eq!(
            parse_transfer_header(&h[..h.len() - 2]).unwrap(),
            TransferHeader::EofMark(mark)
        );
        assert_eq!(format_rdb_length_header(175), b"$175\r\n".to_vec());
        assert_eq!(
            parse_transfer_header(b"$175").unwrap(),
            TransferHeader::Length(175)
        );
        assert_eq!(
            parse_transfer_header(b"").unwrap(),
            TransferHeader::Keepalive
        );
        assert_eq!(
            parse_transfer_header(b"-ERR oops").unwrap(),
            TransferHeader::Aborted("ERR oops".into())
        );
        assert!(parse_transfer_header(b"+OK").is_err());
        assert!(parse_transfer_header(b"$-1").is_err());
        assert!(parse_transfer_header(b"$EOF:short").is_err());
    }

    #[test]
    fn eof_mark_search() {
        let mark = EofMark(*b"0123456789abcdef0123456789abcdef01234567");
        let mut stream = b"payload".to_vec();
        stream.extend_from_slice(&mark.0[..39]); // a near-miss inside the payload
        stream.extend_from_slice(b"more");
        let payload_len = stream.len();
        stream.extend_from_slice(&mark.0);
        stream.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(find_eof_mark(&stream, &mark, 0), Ok(payload_len));
        // Every split point: the safe prefix never eats into the mark.
        for cut in 0..stream.len() {
            match find_eof_mark(&stream[..cut], &mark, 0) {
                Ok(p) => assert_eq!(p, payload_len),
                Err(safe) => {
                    assert!(safe <= payload_len.min(cut), "cut {cut} safe {safe}");
                    assert!(cut - safe < 40, "cut {cut} safe {safe}");
                }
            }
        }
    }
}
