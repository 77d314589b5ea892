//! Side-by-side comparison: a reference redis-server and the server under test, the same
//! commands sent to both, replies required to be identical.
//!
//! [`Pair`] owns the two processes and one connection to each ([`PairConn`], reached through
//! `Deref`); [`Pair::connect`] opens more connection pairs for tests with several clients.
//! [`Compare`] says how two replies must agree: exactly, as multisets (for commands whose
//! order is unspecified), by shape only (for random picks), or within a tolerance (TTLs).

use crate::client::{Client, RecvError};
use crate::reply::{format_command, Reply};
use crate::server::{info_field, ServerProcess};
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

/// How two replies must agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Identical frames.
    Exact,
    /// Arrays, sets and maps compared as multisets, at every nesting level.
    Unordered,
    /// A flat RESP2 `field, value, ...` array (or a RESP3 map) compared as a set of pairs.
    PairsUnordered,
    /// Integers may differ by at most this much (non-negative ones only: -1/-2 are exact).
    Approx(i64),
    /// Same frame types and aggregate lengths; leaf values ignored (errors still exact).
    Shape,
}

/// Brings a reply to a canonical form for `mode` (sorting where order does not matter).
pub fn normalize(reply: &Reply, mode: Compare) -> Reply {
    match mode {
        Compare::Unordered => sort_deep(reply),
        Compare::PairsUnordered => match reply {
            Reply::Array(items) if items.len() % 2 == 0 => {
                let mut pairs: Vec<Reply> =
                    items.chunks(2).map(|c| Reply::Array(c.to_vec())).collect();
                pairs.sort();
                Reply::Array(pairs)
            }
            Reply::Map(entries) => {
                let mut entries = entries.clone();
                entries.sort();
                Reply::Map(entries)
            }
            other => other.clone(),
        },
        _ => reply.clone(),
    }
}

fn sort_deep(reply: &Reply) -> Reply {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
            let mut items: Vec<Reply> = items.iter().map(sort_deep).collect();
            items.sort();
            match reply {
                Reply::Array(_) => Reply::Array(items),
                Reply::Set(_) => Reply::Set(items),
                _ => Reply::Push(items),
            }
        }
        Reply::Map(entries) => {
            let mut entries: Vec<(Reply, Reply)> = entries
                .iter()
                .map(|(k, v)| (sort_deep(k), sort_deep(v)))
                .collect();
            entries.sort();
            Reply::Map(entries)
        }
        other => other.clone(),
    }
}

/// Whether `a` and `b` agree under `mode`.
pub fn replies_match(a: &Reply, b: &Reply, mode: Compare) -> bool {
    match mode {
        Compare::Exact => a == b,
        Compare::Unordered | Compare::PairsUnordered => normalize(a, mode) == normalize(b, mode),
        Compare::Approx(tolerance) => approx_match(a, b, tolerance),
        Compare::Shape => shape_match(a, b),
    }
}

fn approx_match(a: &Reply, b: &Reply, tolerance: i64) -> bool {
    match (a, b) {
        (Reply::Integer(x), Reply::Integer(y)) if *x >= 0 && *y >= 0 => {
            x.abs_diff(*y) <= tolerance.unsigned_abs()
        }
        (Reply::Array(x), Reply::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| approx_match(p, q, tolerance))
        }
        _ => a == b,
    }
}

fn shape_match(a: &Reply, b: &Reply) -> bool {
    match (a, b) {
        (Reply::Error(_), _) | (_, Reply::Error(_)) => a == b,
        (Reply::Array(x), Reply::Array(y))
        | (Reply::Set(x), Reply::Set(y))
        | (Reply::Push(x), Reply::Push(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| shape_match(p, q))
        }
        (Reply::Map(x), Reply::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| shape_match(k1, k2) && shape_match(v1, v2))
        }
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Describes where two replies first differ, e.g. `at [3][1]: "a" vs "b"`.
pub fn first_difference(a: &Reply, b: &Reply) -> String {
    fn walk(a: &Reply, b: &Reply, path: &mut String) -> Option<String> {
        if a == b {
            return None;
        }
        let children = match (a, b) {
            (Reply::Array(x), Reply::Array(y))
            | (Reply::Set(x), Reply::Set(y))
            | (Reply::Push(x), Reply::Push(y)) => Some((x.clone(), y.clone())),
            (Reply::Map(x), Reply::Map(y)) => Some((
                x.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
                y.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
            )),
            _ => None,
        };
        if let Some((x, y)) = children {
            for (i, (p, q)) in x.iter().zip(&y).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if let Some(found) = walk(p, q, path) {
                    return Some(found);
                }
                path.truncate(len);
            }
            if x.len() != y.len() {
                return Some(format!(
                    "at {}: lengths {} vs {}",
                    if path.is_empty() { "top" } else { path },
                    x.len(),
                    y.len()
                ));
            }
        }
        Some(format!(
            "at {}: {} vs {}",
            if path.is_empty() { "top" } else { path },
            clip(&a.to_string()),
            clip(&b.to_string())
        ))
    }
    walk(a, b, &mut String::new()).unwrap_or_else(|| "no difference".into())
}

/// Shortens long renderings for failure messages.
pub fn clip(text: &str) -> String {
    const MAX: usize = 1500;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} chars)", &text[..end], text.len())
}

/// How many earlier commands a failure message repeats.
const HISTORY: usize = 12;

/// One connection to each server of a pair.
pub struct PairConn {
    /// Connection to the reference server.
    pub reference: Client,
    /// Connection to the server under test.
    pub subject: Client,
    names: (String, String),
    history: VecDeque<String>,
    context: String,
}

impl PairConn {
    /// Connects to both servers; the names label the replies in failure messages.
    pub fn connect(reference: &ServerProcess, subject: &ServerProcess) -> PairConn {
        let (a, b) = pair_names(reference, subject);
        PairConn {
            reference: reference.client(),
            subject: subject.client(),
            names: (a, b),
            history: VecDeque::new(),
            context: String::new(),
        }
    }

    /// Text added to every failure message (e.g. the random seed and step).
    pub fn set_context(&mut self, context: impl Into<String>) {
        self.context = context.into();
    }

    /// Sets the read timeout of both connections.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.reference.set_timeout(timeout);
        self.subject.set_timeout(timeout);
    }

    fn note(&mut self, mut what: String) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        if what.len() > 200 {
            let mut end = 180;
            while !what.is_char_boundary(end) {
                end -= 1;
            }
            what = format!("{}... ({} chars)", &what[..end], what.len());
        }
        self.history.push_back(what);
    }

    fn fail(&self, what: &str, a: &Reply, b: &Reply, mode: Compare) -> ! {
        let mut msg = format!("replies differ ({mode:?}) for: {}\n", clip(what));
        if !self.context.is_empty() {
            msg.push_str(&format!("  context: {}\n", self.context));
        }
        msg.push_str(&format!(
            "  {:>8}: {}\n",
            self.names.0,
            clip(&a.to_string())
        ));
        msg.push_str(&format!(
            "  {:>8}: {}\n",
            self.names.1,
            clip(&b.to_string())
        ));
        if mode != Compare::Shape {
            let (na, nb) = (normalize(a, mode), normalize(b, mode));
            msg.push_str(&format!(
                "  first difference {}\n",
                first_difference(&na, &nb)
            ));
        }
        if self.history.len() > 1 {
            msg.push_str("  preceding commands on this connection:\n");
            for h in self.history.iter().take(self.history.len() - 1) {
                msg.push_str(&format!("    {h}\n"));
            }
        }
        panic!("{msg}");
    }

    fn recv_both(&mut self, what: &str) -> (Reply, Reply) {
        let a = self.reference.try_recv();
        let b = self.subject.try_recv();
        match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                let show = |r: Result<Reply, RecvError>| match r {
                    Ok(reply) => clip(&reply.to_string()),
                    Err(e) => format!("<{e}>"),
                };
                let context = if self.context.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", self.context)
                };
                panic!(
                    "no reply for: {what}{context}\n  {:>8}: {}\n  {:>8}: {}",
                    self.names.0,
                    show(a),
                    self.names.1,
                    show(b)
                );
            }
        }
    }

    /// Sends a command to both servers and returns both replies without comparing them.
    pub fn both<A: AsRef<[u8]>>(&mut self, args: &[A]) -> (Reply, Reply) {
        self.send(args);
        self.recv_both(&format_command(args))
    }

    /// Sends to both, requires identical replies, returns the reference's reply.
    pub fn check<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.check_with(args, Compare::Exact)
    }

    /// Checks each command in turn, exactly.
    pub fn check_all(&mut self, commands: &[&[&str]]) {
        for command in commands {
            self.check(command);
        }
    }

    /// Like [`PairConn::check`], comparing arrays/sets/maps as multisets (at every level).
    pub fn check_unordered<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.check_with(args, Compare::Unordered)
    }

    /// Like [`PairConn::check`] for flat field/value arrays (HGETALL in RESP2, or a map).
    pub fn check_pairs_unordered<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.check_with(args, Compare::PairsUnordered)
    }

    /// Like [`PairConn::check`], requiring only the same frame types and lengths.
    pub fn check_shape<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.check_with(args, Compare::Shape)
    }

    /// Like [`PairConn::check`], letting non-negative integers differ by `tolerance`.
    pub fn check_approx<A: AsRef<[u8]>>(&mut self, args: &[A], tolerance: i64) -> Reply {
        self.check_with(args, Compare::Approx(tolerance))
    }

    /// Sends to both and compares under `mode`; returns the reference's reply.
    pub fn check_with<A: AsRef<[u8]>>(&mut self, args: &[A], mode: Compare) -> Reply {
        let what = format_command(args);
        self.note(what.clone());
        self.send(args);
        let (a, b) = self.recv_both(&what);
        if !replies_match(&a, &b, mode) {
            self.fail(&what, &a, &b, mode);
        }
        a
    }

    /// Requires both replies to be errors starting with `prefix` (for the rare errors whose
    /// tail legitimately differs, e.g. ones that quote a port or a path).
    pub fn check_error_prefix<A: AsRef<[u8]>>(
        &mut self,
        args: &[A],
        prefix: &str,
    ) -> (Reply, Reply) {
        let what = format_command(args);
        self.note(what.clone());
        let (a, b) = self.both(args);
        let ok = |r: &Reply| r.error_text().is_some_and(|t| t.starts_with(prefix));
        if !ok(&a) || !ok(&b) {
            panic!(
                "expected errors starting with {prefix:?} for: {what}\n  {:>8}: {a}\n  {:>8}: {b}",
                self.names.0, self.names.1
            );
        }
        (a, b)
    }

    /// Sends to both and compares `derive(reply)` of each (for replies with random parts).
    pub fn check_derived<A: AsRef<[u8]>, T: PartialEq + std::fmt::Debug>(
        &mut self,
        args: &[A],
        derive: impl Fn(&Reply) -> T,
    ) -> T {
        let what = format_command(args);
        self.note(what.clone());
        let (a, b) = self.both(args);
        let (da, db) = (derive(&a), derive(&b));
        if da != db {
            panic!(
                "derived values differ for: {what}\n  {:>8}: {da:?} from {}\n  {:>8}: {db:?} from {}",
                self.names.0,
                clip(&a.to_string()),
                self.names.1,
                clip(&b.to_string())
            );
        }
        da
    }

    /// Sends a command to both without reading (e.g. a blocking command).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.reference.send(args);
        self.subject.send(args);
    }

    /// Writes the same raw bytes to both.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.note(format!(
            "raw {}",
            crate::reply::escape_bytes(&bytes[..bytes.len().min(60)])
        ));
        self.reference.send_raw(bytes);
        self.subject.send_raw(bytes);
    }

    /// Reads the next frame from both and requires them identical.
    pub fn recv_check(&mut self) -> Reply {
        self.recv_check_with(Compare::Exact)
    }

    /// Reads the next frame from both and compares under `mode`.
    pub fn recv_check_with(&mut self, mode: Compare) -> Reply {
        let what = format!(
            "(reading next frame after `{}`)",
            self.history.back().cloned().unwrap_or_default()
        );
        let (a, b) = self.recv_both(&what);
        if !replies_match(&a, &b, mode) {
            self.fail(&what, &a, &b, mode);
        }
        a
    }

    /// Reads `n` frames from each and compares them together as one array under `mode`
    /// (`Unordered` when the server may send them in any order, e.g. UNSUBSCRIBE of all).
    pub fn recv_check_many(&mut self, n: usize, mode: Compare) -> Vec<Reply> {
        let what = format!(
            "(reading {n} frames after `{}`)",
            self.history.back().cloned().unwrap_or_default()
        );
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for _ in 0..n {
            let (x, y) = self.recv_both(&what);
            a.push(x);
            b.push(y);
        }
        let (ra, rb) = (Reply::Array(a), Reply::Array(b));
        if !replies_match(&ra, &rb, mode) {
            self.fail(&what, &ra, &rb, mode);
        }
        match ra {
            Reply::Array(items) => items,
            _ => Vec::new(),
        }
    }

    /// Reads frames from each until one satisfies `last` (inclusive), and requires the two
    /// sequences identical. Use a marker (e.g. a PUBLISH on a channel the connection listens
    /// to) to end a batch of frames whose number is not known in advance, without timing.
    pub fn recv_check_until(&mut self, last: impl Fn(&Reply) -> bool) -> Vec<Reply> {
        let what = format!(
            "(frames after `{}`)",
            self.history.back().cloned().unwrap_or_default()
        );
        let mut sides = Vec::with_capacity(2);
        for client in [&mut self.reference, &mut self.subject] {
            let mut frames = Vec::new();
            for _ in 0..10_000 {
                match client.try_recv() {
                    Ok(frame) => {
                        let done = last(&frame);
                        frames.push(frame);
                        if done {
                            break;
                        }
                    }
                    Err(e) => {
                        frames.push(Reply::Error(format!("<harness: {e}>")));
                        break;
                    }
                }
            }
            sides.push(Reply::Array(frames));
        }
        let b = sides.pop().unwrap_or(Reply::Null);
        let a = sides.pop().unwrap_or(Reply::Null);
        if a != b {
            self.fail(&what, &a, &b, Compare::Exact);
        }
        match a {
            Reply::Array(items) => items,
            _ => Vec::new(),
        }
    }

    /// Reads frames from each until it has been quiet for `quiet`, and requires the two
    /// sequences identical (for notifications whose number is not known in advance).
    pub fn recv_check_until_quiet(&mut self, quiet: Duration) -> Vec<Reply> {
        let drain = |client: &mut Client| -> Vec<Reply> {
            let mut frames = Vec::new();
            for _ in 0..10_000 {
                match client.recv_timeout(quiet) {
                    Ok(frame) => frames.push(frame),
                    Err(_) => break,
                }
            }
            frames
        };
        let a = Reply::Array(drain(&mut self.reference));
        let b = Reply::Array(drain(&mut self.subject));
        if a != b {
            let what = format!(
                "(frames after `{}`)",
                self.history.back().cloned().unwrap_or_default()
            );
            self.fail(&what, &a, &b, Compare::Exact);
        }
        match a {
            Reply::Array(items) => items,
            _ => Vec::new(),
        }
    }

    /// Requires that both servers close the connection (without sending more) within `within`.
    pub fn assert_closed(&mut self, within: Duration) {
        let a = self.reference.is_closed_within(within);
        let b = self.subject.is_closed_within(within);
        assert!(
            a && b,
            "expected both connections closed{}: {} closed={a} pending={:?}, {} closed={b} pending={:?}",
            if self.context.is_empty() { String::new() } else { format!(" [{}]", self.context) },
            self.names.0,
            String::from_utf8_lossy(self.reference.pending_bytes()),
            self.names.1,
            String::from_utf8_lossy(self.subject.pending_bytes())
        );
    }

    /// Requires that neither server sends anything for `within` (e.g. a still-blocked client).
    pub fn assert_silent(&mut self, within: Duration) {
        let a = self.reference.is_silent_for(within);
        let b = self.subject.is_silent_for(within);
        assert!(
            a && b,
            "expected no reply yet: {} silent={a}, {} silent={b}",
            self.names.0,
            self.names.1
        );
    }

    /// Pipelines `commands` to both in one write each and compares every reply under `mode`.
    pub fn pipeline_check<A: AsRef<[u8]>>(
        &mut self,
        commands: &[Vec<A>],
        mode: Compare,
    ) -> Vec<Reply> {
        let a = self.reference.pipeline(commands);
        let b = self.subject.pipeline(commands);
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if !replies_match(x, y, mode) {
                self.fail(
                    &format!("pipelined command {i}: {}", format_command(&commands[i])),
                    x,
                    y,
                    mode,
                );
            }
        }
        a
    }

    /// Sends `HELLO proto` to both. The replies name each server and its connection id, so
    /// only the field names and the proto/mode/role/modules values are compared.
    pub fn hello(&mut self, proto: u8) -> (Reply, Reply) {
        let a = self.reference.hello(proto);
        let b = self.subject.hello(proto);
        compare_hello(&a, &b, &self.names);
        (a, b)
    }
}

/// Compares two HELLO replies field by field, ignoring the values that legitimately differ.
pub fn compare_hello(a: &Reply, b: &Reply, names: &(String, String)) {
    if a.is_error() || b.is_error() {
        assert_eq!(a, b, "HELLO errors differ ({} vs {})", names.0, names.1);
        return;
    }
    let keys = |r: &Reply| -> Vec<String> {
        r.as_pairs()
            .unwrap_or_default()
            .iter()
            .map(|(k, _)| k.as_text().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        keys(a),
        keys(b),
        "HELLO field names differ: {} = {a}, {} = {b}",
        names.0,
        names.1
    );
    assert_eq!(a.kind(), b.kind(), "HELLO frame types differ: {a} vs {b}");
    for field in ["proto", "mode", "role", "modules"] {
        assert_eq!(
            a.field(field),
            b.field(field),
            "HELLO field {field} differs: {a} vs {b}"
        );
    }
}

fn pair_names(reference: &ServerProcess, subject: &ServerProcess) -> (String, String) {
    if reference.name() == subject.name() {
        (
            format!("{}#1", reference.name()),
            format!("{}#2", subject.name()),
        )
    } else {
        (reference.name().to_string(), subject.name().to_string())
    }
}

/// A reference server and a server under test, plus one connection to each.
pub struct Pair {
    conn: PairConn,
    /// The reference redis-server.
    pub reference_server: ServerProcess,
    /// The server under test (redoubt, or whatever `REDOUBT_SERVER_BIN` names).
    pub subject_server: ServerProcess,
}

impl Pair {
    /// redis-server vs redoubt-server with the default options.
    pub fn new() -> Pair {
        Pair::with_args(&[])
    }

    /// redis-server vs redoubt-server, both started with `args` appended.
    pub fn with_args(args: &[&str]) -> Pair {
        Pair::from_servers(ServerProcess::redis(args), ServerProcess::redoubt(args))
    }

    /// redis-server vs redoubt-server, each started with a config file holding `config`
    /// (redis.conf syntax) followed by `args`.
    pub fn with_config(config: &str, args: &[&str]) -> Pair {
        Pair::from_servers(
            ServerProcess::start_with_config(
                "redis",
                &crate::server::redis_binary(),
                Some(config),
                args,
            ),
            ServerProcess::start_with_config(
                "redoubt",
                &crate::server::redoubt_binary(),
                Some(config),
                args,
            ),
        )
    }

    /// Two reference servers (self-test of the harness).
    pub fn reference_twice(args: &[&str]) -> Pair {
        Pair::from_servers(ServerProcess::redis(args), ServerProcess::redis(args))
    }

    /// Wraps two running servers.
    pub fn from_servers(reference: ServerProcess, subject: ServerProcess) -> Pair {
        let conn = PairConn::connect(&reference, &subject);
        Pair {
            conn,
            reference_server: reference,
            subject_server: subject,
        }
    }

    /// Another connection to each server.
    pub fn connect(&self) -> PairConn {
        PairConn::connect(&self.reference_server, &self.subject_server)
    }

    /// Runs `f` against each server with a fresh connection and requires equal results.
    pub fn each<T: PartialEq + std::fmt::Debug>(&self, mut f: impl FnMut(&mut Client) -> T) -> T {
        let a = f(&mut self.reference_server.client());
        let b = f(&mut self.subject_server.client());
        assert_eq!(
            a,
            b,
            "results differ ({} left, {} right)",
            self.reference_server.name(),
            self.subject_server.name()
        );
        a
    }

    /// Waits (at most 5 s) until each server reports `blocked_clients:n` in `INFO clients`.
    pub fn wait_blocked(&self, n: usize) {
        for server in [&self.reference_server, &self.subject_server] {
            wait_info_field(server, "clients", "blocked_clients", &n.to_string());
        }
    }

    /// Waits until `INFO section` on each server shows `field:value`.
    pub fn wait_info(&self, section: &str, field: &str, value: &str) {
        for server in [&self.reference_server, &self.subject_server] {
            wait_info_field(server, section, field, value);
        }
    }
}

impl Default for Pair {
    fn default() -> Self {
        Pair::new()
    }
}

impl Deref for Pair {
    type Target = PairConn;
    fn deref(&self) -> &PairConn {
        &self.conn
    }
}

impl DerefMut for Pair {
    fn deref_mut(&mut self) -> &mut PairConn {
        &mut self.conn
    }
}

/// Polls `INFO section` on `server` until `field` equals `value` (5 s bound).
pub fn wait_info_field(server: &ServerProcess, section: &str, field: &str, value: &str) {
    let mut client = server.client();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = None;
    while Instant::now() < deadline {
        let info = client.cmd(&["INFO", section]);
        last = info_field(&info, field);
        if last.as_deref() == Some(value) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "{}: INFO {section} never showed {field}:{value} (last: {last:?})",
        server.name()
    );
}
