//! `redoubt-aof replay`: sends the commands of an AOF to a live server, pipelined.
//!
//! One thread writes commands (keeping at most `--window` unanswered, default 1000), another reads
//! the replies in order and matches each to the file and offset of its command. The first error
//! reply stops the replay (unless `--continue`); commands already in flight at that moment (up to the
//! window) are still executed by the server, which the summary reports. An RDB base is sent as
//! RESTORE commands (see `scan`); the log's SELECTs are replaced by SELECTs made before the first
//! command of each database (so filtered replays stay in the right database).

use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redoubt_aof::command::encode_command;

use crate::args::{Args, Spec};
use crate::filter::Filters;
use crate::quote::{preview, repr};
use crate::scan::{Event, Flow, Record, Scanner, SelectSynth};

pub const SPEC: Spec = Spec {
    valued: &[
        "to", "key", "cmd", "db", "from", "until", "rate", "window", "auth",
    ],
    flags: &["dry-run", "step", "continue", "help"],
};

pub const HELP: &str = "\
usage: redoubt-aof replay DIR|MANIFEST|FILE --to HOST:PORT [--until POS] [--from POS]
                          [--key GLOB] [--cmd NAME] [--db N] [--rate N] [--window N]
                          [--auth PASSWORD] [--dry-run | --step] [--continue]

Sends the commands of an AOF (selected like `cat`) to a server, pipelined with --window
(default 1000) commands in flight. An RDB base is sent as RESTORE key <abs-ms|0> <payload>
REPLACE ABSTTL (and FUNCTION LOAD REPLACE for its libraries). Stops at the first error reply,
printing it with the file and offset of its command, unless --continue; commands already in
flight at that point are still applied by the server.
--until POS   stop before POS (OFFSET, FILE:OFFSET or @UNIX, inclusive for times)
--rate N      at most N commands per second
--dry-run     print what would be sent instead of sending
--step        send one command at a time, print its reply, wait for Enter (q to quit)
Progress goes to stderr when it is a terminal.";

/// A reply from the server (RESP2).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// redis-cli-like rendering.
    pub fn show(&self) -> String {
        match self {
            Reply::Status(s) => s.clone(),
            Reply::Error(e) => format!("(error) {e}"),
            Reply::Int(i) => format!("(integer) {i}"),
            Reply::Bulk(None) | Reply::Array(None) => "(nil)".into(),
            Reply::Bulk(Some(b)) => preview(b, 200),
            Reply::Array(Some(v)) if v.is_empty() => "(empty array)".into(),
            Reply::Array(Some(v)) => {
                let items: Vec<String> = v
                    .iter()
                    .enumerate()
                    .map(|(i, r)| format!("{}) {}", i + 1, r.show()))
                    .collect();
                items.join("\n")
            }
        }
    }
}

/// Reads one reply; nesting is limited to 32 levels.
pub fn read_reply<R: BufRead>(r: &mut R) -> io::Result<Reply> {
    read_reply_depth(r, 0)
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn read_reply_depth<R: BufRead>(r: &mut R, depth: usize) -> io::Result<Reply> {
    if depth > 32 {
        return Err(bad("reply nested too deeply".into()));
    }
    let mut line = Vec::new();
    r.by_ref().take(64 * 1024).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed by the server",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(bad(format!("bad reply line {}", repr(&line))));
    }
    let body = &line[1..line.len() - 2];
    let text = String::from_utf8_lossy(body).into_owned();
    let num = || {
        text.parse::<i64>()
            .map_err(|_| bad(format!("bad number in reply {text:?}")))
    };
    match line[0] {
        b'+' => Ok(Reply::Status(text)),
        b'-' => Ok(Reply::Error(text)),
        b':' => Ok(Reply::Int(num()?)),
        b'$' => {
            let n = num()?;
            if n < 0 {
                return Ok(Reply::Bulk(None));
            }
            let mut v = Vec::with_capacity((n as usize).min(1 << 20));
            r.by_ref().take(n as u64 + 2).read_to_end(&mut v)?;
            if v.len() as u64 != n as u64 + 2 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside a reply",
                ));
            }
            v.truncate(n as usize);
            Ok(Reply::Bulk(Some(v)))
        }
        b'*' => {
            let n = num()?;
            if n < 0 {
                return Ok(Reply::Array(None));
            }
            let mut v = Vec::with_capacity((n as usize).min(1024));
            for _ in 0..n {
                v.push(read_reply_depth(r, depth + 1)?);
            }
            Ok(Reply::Array(Some(v)))
        }
        other => Err(bad(format!("unknown reply type {:?}", other as char))),
    }
}

/// What the reply reader needs to know about a command in flight.
struct Pending {
    part: usize,
    offset: u64,
    name: String,
}

#[derive(Default)]
struct Outcome {
    acked: u64,
    errors: u64,
    io_error: Option<String>,
}

pub fn run(a: &Args) -> Result<i32, String> {
    let [path] = a.positional.as_slice() else {
        return Err("replay needs one DIR|FILE argument".into());
    };
    let dry = a.flag("dry-run");
    let step = a.flag("step");
    if dry && step {
        return Err("--dry-run and --step exclude each other".into());
    }
    let target = a.value("to");
    if target.is_none() && !dry {
        return Err("replay needs --to HOST:PORT (or --dry-run)".into());
    }
    // In replay, --to names the server: build the filters from --until only.
    let filters = Filters {
        to: a
            .value("until")
            .map(crate::filter::Bound::parse)
            .transpose()?,
        ..Filters::from_args(&without_to(a))?
    };
    let rate = a.number::<u64>("rate")?.filter(|&r| r > 0);
    let window = a.number::<usize>("window")?.unwrap_or(1000).max(1);
    let keep_going = a.flag("continue");

    let source =
        redoubt_aof::layout::open(std::path::Path::new(path)).map_err(|e| e.to_string())?;
    let mut scanner = Scanner::new(&source);
    scanner.expand_base = true;
    filters.validate(&scanner.names)?;
    let names = scanner.names.clone();

    if dry {
        return dry_run(&scanner, &filters);
    }
    let addr = target.unwrap_or_default();
    let stream = TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let read_half = stream
        .try_clone()
        .map_err(|e| format!("cloning the socket: {e}"))?;
    let mut reader = BufReader::with_capacity(256 * 1024, read_half);
    let mut writer = BufWriter::with_capacity(256 * 1024, stream);
    if let Some(pw) = a.value("auth") {
        let mut buf = Vec::new();
        encode_command(&mut buf, &[b"AUTH", pw.as_bytes()]);
        writer
            .write_all(&buf)
            .and_then(|_| writer.flush())
            .map_err(|e| format!("sending AUTH: {e}"))?;
        let reply = read_reply(&mut reader).map_err(|e| format!("reading the AUTH reply: {e}"))?;
        if let Reply::Error(e) = reply {
            return Err(format!("AUTH failed: {e}"));
        }
    }
    if step {
        return step_mode(&scanner, &filters, &mut reader, &mut writer);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let (tx, rx) = sync_channel::<Pending>(window);
    let reader_thread = {
        let stop = stop.clone();
        let acked = acked.clone();
        let names = names.clone();
        std::thread::spawn(move || {
            let mut out = Outcome::default();
            for p in rx {
                match read_reply(&mut reader) {
                    Ok(Reply::Error(e)) => {
                        out.errors += 1;
                        if out.errors == 1 || keep_going {
                            eprintln!(
                                "error reply at {}:{} ({}): {e}",
                                names[p.part], p.offset, p.name
                            );
                        }
                        if !keep_going {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        out.io_error = Some(format!(
                            "reading the reply to {}:{} ({}): {e}",
                            names[p.part], p.offset, p.name
                        ));
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                }
                out.acked += 1;
                acked.store(out.acked, Ordering::Relaxed);
            }
            out
        })
    };

    let progress = io::stderr().is_terminal();
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut sent = 0u64;
    let mut synth = SelectSynth::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut failure: Option<String> = None;
    let mut tx = Some(tx);

    let mut send = |args: &[Vec<u8>], part: usize, offset: u64| -> Result<(), String> {
        let Some(chan) = tx.as_ref() else {
            return Err("reply reader stopped".into());
        };
        buf.clear();
        let refs: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
        encode_command(&mut buf, &refs);
        writer
            .write_all(&buf)
            .map_err(|e| format!("sending: {e}"))?;
        let p = Pending {
            part,
            offset,
            name: String::from_utf8_lossy(&args[0]).into_owned(),
        };
        match chan.try_send(p) {
            Ok(()) => {}
            Err(TrySendError::Full(p)) => {
                writer.flush().map_err(|e| format!("sending: {e}"))?;
                chan.send(p)
                    .map_err(|_| "reply reader stopped".to_string())?;
            }
            Err(TrySendError::Disconnected(_)) => {
                tx = None;
                return Err("reply reader stopped".into());
            }
        }
        sent += 1;
        if let Some(r) = rate {
            let due = Duration::from_secs_f64(sent as f64 / r as f64);
            let el = started.elapsed();
            if due > el {
                writer.flush().map_err(|e| format!("sending: {e}"))?;
                std::thread::sleep(due - el);
            }
        }
        if progress && last_progress.elapsed() > Duration::from_millis(500) {
            last_progress = Instant::now();
            let secs = started.elapsed().as_secs_f64().max(0.001);
            eprint!(
                "\r{sent} sent, {} acked, {:.0} commands/s   ",
                acked.load(Ordering::Relaxed),
                sent as f64 / secs
            );
        }
        Ok(())
    };

    let scan = scanner.run(|ev| {
        let Event::Record(r) = ev else {
            return Flow::Continue;
        };
        if stop.load(Ordering::Relaxed) {
            return Flow::Stop;
        }
        if filters.past_end(&r, &names) {
            return Flow::Stop;
        }
        if !filters.keep(&r, &names) || SelectSynth::is_select(&r) {
            return Flow::Continue;
        }
        let res = match synth.before(&r) {
            Some(sel) => send(&sel, r.part, r.offset),
            None => Ok(()),
        }
        .and_then(|_| send(&r.args, r.part, r.offset));
        match res {
            Ok(()) => Flow::Continue,
            Err(e) => {
                failure = Some(e);
                Flow::Stop
            }
        }
    });
    let flushed = writer.flush();
    drop(tx);
    let outcome = reader_thread
        .join()
        .map_err(|_| "the reply reader panicked".to_string())?;
    let secs = started.elapsed().as_secs_f64();
    if progress {
        eprintln!();
    }
    eprintln!(
        "replayed {sent} commands ({} replies, {} errors) in {secs:.3}s ({:.0} commands/s)",
        outcome.acked,
        outcome.errors,
        sent as f64 / secs.max(0.000_001)
    );
    if outcome.errors > 0 && !keep_going {
        eprintln!(
            "stopped at the first error; commands sent before it was seen were applied by the server"
        );
    }
    let mut code = if outcome.errors > 0 { 1 } else { 0 };
    if let Err(e) = scan {
        eprintln!("error: {e}");
        code = 1;
    }
    if let Some(e) = outcome.io_error {
        eprintln!("error: {e}");
        code = 1;
    } else if let Some(e) = failure.or(flushed.err().map(|e| e.to_string())) {
        eprintln!("error: {e}");
        code = 1;
    }
    Ok(code)
}

/// The arguments without `--to` (replay's `--to` is the server address).
fn without_to(a: &Args) -> Args {
    let mut argv: Vec<String> = Vec::new();
    for name in ["key", "cmd", "db", "from"] {
        if let Some(v) = a.value(name) {
            argv.push(format!("--{name}={v}"));
        }
    }
    Args::parse(
        &argv,
        &Spec {
            valued: &["key", "cmd", "db", "from"],
            flags: &[],
        },
    )
    .unwrap_or_default()
}

fn dry_run(scanner: &Scanner, filters: &Filters) -> Result<i32, String> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut synth = SelectSynth::default();
    let mut werr = None;
    let res = scanner.run(|ev| {
        let Event::Record(r) = ev else {
            return Flow::Continue;
        };
        if filters.past_end(&r, &scanner.names) {
            return Flow::Stop;
        }
        if !filters.keep(&r, &scanner.names) || SelectSynth::is_select(&r) {
            return Flow::Continue;
        }
        let mut s = String::new();
        if let Some(sel) = synth.before(&r) {
            s.push_str(&line(&scanner.names, &r, &sel));
        }
        s.push_str(&line(&scanner.names, &r, &r.args));
        match out.write_all(s.as_bytes()) {
            Ok(()) => Flow::Continue,
            Err(e) => {
                werr = Some(e);
                Flow::Stop
            }
        }
    });
    let _ = out.flush();
    if let Some(e) = werr {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(e.to_string());
        }
    }
    match res {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}

fn line(names: &[String], r: &Record, args: &[Vec<u8>]) -> String {
    let a: Vec<String> = args.iter().map(|x| preview(x, 80)).collect();
    let origin = if r.from_base { " (RDB base key)" } else { "" };
    format!(
        "{}:{}{origin}  db={}  {}\n",
        names[r.part],
        r.offset,
        r.db,
        a.join(" ")
    )
}

fn step_mode(
    scanner: &Scanner,
    filters: &Filters,
    reader: &mut BufReader<TcpStream>,
    writer: &mut BufWriter<TcpStream>,
) -> Result<i32, String> {
    let mut synth = SelectSynth::default();
    let mut failure: Option<String> = None;
    let mut errors = 0u64;
    let stdin = io::stdin();
    let mut exchange = |args: &[Vec<u8>], r: &Record| -> Result<bool, String> {
        let mut buf = Vec::new();
        let refs: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
        encode_command(&mut buf, &refs);
        print!("{}", line(&scanner.names, r, args));
        writer
            .write_all(&buf)
            .and_then(|_| writer.flush())
            .map_err(|e| format!("sending: {e}"))?;
        let reply = read_reply(reader).map_err(|e| format!("reading the reply: {e}"))?;
        println!("-> {}", reply.show());
        if matches!(reply, Reply::Error(_)) {
            errors += 1;
        }
        print!("[Enter] next, q quit: ");
        io::stdout().flush().map_err(|e| e.to_string())?;
        let mut l = String::new();
        let n = stdin.lock().read_line(&mut l).map_err(|e| e.to_string())?;
        Ok(n > 0 && !l.trim().eq_ignore_ascii_case("q"))
    };
    let res = scanner.run(|ev| {
        let Event::Record(r) = ev else {
            return Flow::Continue;
        };
        if filters.past_end(&r, &scanner.names) {
            return Flow::Stop;
        }
        if !filters.keep(&r, &scanner.names) || SelectSynth::is_select(&r) {
            return Flow::Continue;
        }
        let go = match synth.before(&r) {
            Some(sel) => exchange(&sel, &r),
            None => Ok(true),
        }
        .and_then(|go| if go { exchange(&r.args, &r) } else { Ok(false) });
        match go {
            Ok(true) => Flow::Continue,
            Ok(false) => Flow::Stop,
            Err(e) => {
                failure = Some(e);
                Flow::Stop
            }
        }
    });
    if let Err(e) = res {
        eprintln!("error: {e}");
        return Ok(1);
    }
    if let Some(e) = failure {
        eprintln!("error: {e}");
        return Ok(1);
    }
    Ok(if errors > 0 { 1 } else { 0 })
}
