//! The append-only file, black-box: what Redoubt logs replays to the same dataset in Redoubt and in
//! redis-server 7.0 (same DEBUG DIGEST), a directory written by redis-server 7.0 loads into
//! Redoubt, torn tails are cut or refused as configured, rewrites keep the dataset and switch the
//! manifest, and with `appendfsync always` no acknowledged write is lost to kill -9.

use redoubt_tests::{info_field, Client, CommandGenerator, Reply, ServerProcess};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DEBUG: [&str; 2] = ["--enable-debug-command", "yes"];

/// Starts a server on `dir` and waits until it has loaded its data (redis-server answers
/// -LOADING while it replays an AOF).
fn start(redis: bool, dir: &Path, extra: &[&str]) -> ServerProcess {
    let dir_text = dir.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["--dir", &dir_text, DEBUG[0], DEBUG[1]];
    args.extend_from_slice(extra);
    let server = if redis {
        ServerProcess::redis(&args)
    } else {
        ServerProcess::redoubt(&args)
    };
    let mut c = server.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.cmd(&["PING"]).is_error() {
        assert!(
            Instant::now() < deadline,
            "{} never finished loading",
            server.name()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server
}

fn ok(c: &mut Client, args: &[&str]) -> Reply {
    let r = c.cmd(args);
    assert!(!r.is_error(), "{args:?} -> {r:?}");
    r
}

fn digest(c: &mut Client) -> String {
    let r = c.cmd(&["DEBUG", "DIGEST"]);
    r.as_text()
        .unwrap_or_else(|| panic!("DEBUG DIGEST -> {r:?}"))
}

fn info(c: &mut Client, field: &str) -> String {
    info_field(&c.cmd(&["INFO", "persistence"]), field).unwrap_or_default()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("redoubt-aof")
        .tempdir()
        .expect("temp dir")
}

/// Copies `src/appendonlydir` (or any directory) to `dst` file by file.
fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dst.join(e.file_name())).expect("copy");
    }
}

/// Waits (bounded) until INFO persistence shows `field:value`.
fn wait_for(c: &mut Client, field: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while info(c, field) != value {
        assert!(Instant::now() < deadline, "{field} never became {value}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn aof_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Commands whose propagated form differs from what was called: relative expiries, floats,
/// random choices, blocking pops, generated stream IDs, approximate trims, consumer groups.
fn rewritten_forms(c: &mut Client, other: &mut Client) {
    for args in [
        &["SET", "s1", "v", "EX", "1000"][..],
        &["SET", "s2", "v", "PX", "5000000", "NX"],
        &["SETEX", "s3", "2000", "v"],
        &["PSETEX", "s4", "2000000", "v"],
        &["SET", "s5", "v"],
        &["EXPIRE", "s5", "3000"],
        &["SET", "s6", "v"],
        &["GETEX", "s6", "EX", "4000"],
        &["SET", "s7", "v"],
        &["EXPIRE", "s7", "-1"],
        &["INCRBYFLOAT", "f", "1.1"],
        &["INCRBYFLOAT", "f", "2.000000000000001"],
        &["HINCRBYFLOAT", "hf", "x", "0.3"],
        &["SADD", "set", "a", "b", "c", "d", "e", "f"],
        &["SPOP", "set"],
        &["SPOP", "set", "2"],
        &["SADD", "set2", "a"],
        &["SPOP", "set2"],
        &["RPUSH", "l", "1", "2", "3"],
        &["BLPOP", "l", "0"],
        &["BRPOPLPUSH", "l", "l2", "0"],
        &["BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["BZPOPMIN", "z", "0"],
        &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "1"],
        &["RPUSH", "l3", "a", "b", "c"],
        &["BLMPOP", "0", "1", "l3", "RIGHT", "COUNT", "2"],
    ] {
        ok(c, args);
    }
    // A blocked pop served by another client's push.
    c.send(&["BLPOP", "bl", "0"]);
    std::thread::sleep(Duration::from_millis(100));
    ok(other, &["RPUSH", "bl", "x", "y"]);
    let served = c.recv();
    assert!(!served.is_error(), "{served:?}");
    // Streams: generated IDs, approximate trims, groups and their PELs.
    for i in 0..300 {
        let f = i.to_string();
        ok(c, &["XADD", "st", "MAXLEN", "~", "120", "*", "f", &f]);
    }
    ok(c, &["XADD", "st", "MINID", "~", "0-1", "*", "g", "1"]);
    ok(c, &["XTRIM", "st", "MAXLEN", "~", "50"]);
    ok(c, &["XGROUP", "CREATE", "st", "g1", "0"]);
    ok(c, &["XGROUP", "CREATE", "st", "g2", "$", "MKSTREAM"]);
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "alice",
            "COUNT",
            "5",
            "STREAMS",
            "st",
            ">",
        ],
    );
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "bob",
            "COUNT",
            "3",
            "NOACK",
            "STREAMS",
            "st",
            ">",
        ],
    );
    ok(
        c,
        &["XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "st", "0"],
    );
    ok(c, &["XADD", "st", "*", "h", "1"]);
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g2",
            "carol",
            "COUNT",
            "2",
            "STREAMS",
            "st",
            ">",
        ],
    );
    let pending = ok(c, &["XPENDING", "st", "g1", "-", "+", "10"]);
    if let Reply::Array(items) = pending {
        if let Some(Reply::Array(first)) = items.first() {
            let id = first[0].as_text().expect("id");
            ok(c, &["XCLAIM", "st", "g1", "dave", "0", &id]);
            ok(c, &["XDEL", "st", &id]);
        }
    }
    ok(
        c,
        &["XAUTOCLAIM", "st", "g1", "erin", "0", "0-0", "COUNT", "3"],
    );
    ok(c, &["XACK", "st", "g1", "0-1"]);
    // A transaction and a write in another db.
    ok(c, &["MULTI"]);
    ok(c, &["INCR", "counter"]);
    ok(c, &["SET", "tx", "1", "EX", "5000"]);
    ok(c, &["EXEC"]);
    ok(c, &["SELECT", "7"]);
    ok(c, &["SET", "in7", "x"]);
    ok(c, &["SELECT", "0"]);
}

/// The log reloads into Redoubt and into redis-server 7.0 with the digest of the live dataset.
fn check_reloads(data_dir: &Path, expected: &str) {
    for redis in [false, true] {
        let copy = tempdir();
        copy_dir(
            &data_dir.join("appendonlydir"),
            &copy.path().join("appendonlydir"),
        );
        let server = start(redis, copy.path(), &["--appendonly", "yes"]);
        let mut c = server.client();
        assert_eq!(
            digest(&mut c),
            expected,
            "{} loaded a different dataset from Redoubt's AOF:\n{}",
            server.name(),
            server.log()
        );
    }
}

#[test]
fn logged_writes_replay_to_the_same_dataset_in_redoubt_and_redis() {
    let dir = tempdir();
    let subject = start(
        false,
        dir.path(),
        &["--appendonly", "yes", "--appendfsync", "always"],
    );
    let mut c = subject.client();
    let mut other = subject.client();
    rewritten_forms(&mut c, &mut other);
    for seed in [101u64, 102, 103] {
        let mut generator = CommandGenerator::new(seed);
        for _ in 0..1500 {
            let command = generator.next_command();
            c.cmd(&command.args);
        }
    }
    let expected = digest(&mut c);
    check_reloads(dir.path(), &expected);
}

#[test]
fn a_rewrite_switches_to_a_new_base_and_keeps_every_write() {
    let dir = tempdir();
    let subject = start(
        false,
        dir.path(),
        &["--appendonly", "yes", "--appendfsync", "always"],
    );
    let mut c = subject.client();
    // Like Redis, a fresh log has its base and incremental file before the first write, and
    // that first base is not a rewrite.
    assert_eq!(info(&mut c, "aof_rewrites"), "0");
    assert_eq!(
        aof_files(dir.path()),
        vec![
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    for i in 0..2000 {
        ok(&mut c, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    ok(&mut c, &["RPUSH", "list", "a", "b"]);
    let r = c.cmd(&["BGREWRITEAOF"]);
    assert_eq!(
        r.as_text().as_deref(),
        Some("Background append only file rewriting started")
    );
    // Writes during the rewrite land in the new incremental file.
    for i in 0..500 {
        ok(&mut c, &["INCR", &format!("during{}", i % 7)]);
    }
    wait_for(&mut c, "aof_rewrite_in_progress", "0");
    wait_for(&mut c, "aof_rewrites", "1");
    assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");
    let files = aof_files(dir.path());
    assert_eq!(
        files,
        vec![
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ],
        "superseded files must be gone"
    );
    let manifest =
        std::fs::read_to_string(dir.path().join("appendonlydir/appendonly.aof.manifest"))
            .expect("manifest");
    assert_eq!(
        manifest,
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let expected = digest(&mut c);
    check_reloads(dir.path(), &expected);
}

#[test]
fn appendonly_turned_on_at_runtime_writes_a_base_first() {
    let dir = tempdir();
    let subject = start(false, dir.path(), &[]);
    let mut c = subject.client();
    for i in 0..1000 {
        ok(&mut c, &["HSET", "h", &format!("f{i}"), "v"]);
    }
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    ok(&mut c, &["CONFIG", "SET", "appendfsync", "always"]);
    ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    ok(&mut c, &["SET", "after", "1"]);
    wait_for(&mut c, "aof_rewrites", "1");
    ok(&mut c, &["SET", "after2", "2"]);
    assert_eq!(info(&mut c, "aof_enabled"), "1");
    assert_eq!(
        aof_files(dir.path()),
        vec![
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    let expected = digest(&mut c);
    check_reloads(dir.path(), &expected);
    ok(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
    assert_eq!(info(&mut c, "aof_enabled"), "0");
}

/// Redis 7.0's own directories (RDB preamble or not, timestamps) load with Redis's digest.
#[test]
fn redis_appendonly_dirs_load_into_redoubt() {
    for extra in [
        &["--aof-use-rdb-preamble", "yes"][..],
        &["--aof-use-rdb-preamble", "no"],
        &["--aof-timestamp-enabled", "yes"],
    ] {
        let dir = tempdir();
        let mut args = vec!["--appendonly", "yes", "--appendfsync", "always"];
        args.extend_from_slice(extra);
        let expected = {
            let redis = start(true, dir.path(), &args);
            let mut c = redis.client();
            wait_for(&mut c, "aof_rewrite_in_progress", "0");
            let mut other = redis.client();
            rewritten_forms(&mut c, &mut other);
            // Some writes go to the base (after a rewrite), some to the incremental file.
            ok(&mut c, &["BGREWRITEAOF"]);
            wait_for(&mut c, "aof_rewrite_in_progress", "0");
            let mut generator = CommandGenerator::new(7);
            for _ in 0..800 {
                let command = generator.next_command();
                c.cmd(&command.args);
            }
            let d = digest(&mut c);
            shutdown(redis, &mut c, "NOSAVE");
            d
        };
        let subject = start(false, dir.path(), &["--appendonly", "yes"]);
        let mut c = subject.client();
        assert_eq!(
            digest(&mut c),
            expected,
            "{extra:?}: Redoubt loaded a different dataset:\n{}",
            subject.log()
        );
    }
}

/// SHUTDOWN [how] and wait for the process to exit.
fn shutdown(mut server: ServerProcess, c: &mut Client, how: &str) {
    if how == "SHUTDOWN" {
        c.send(&["SHUTDOWN"]);
    } else {
        c.send(&["SHUTDOWN", how]);
    }
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}

fn last_incr(dir: &Path) -> PathBuf {
    let name = aof_files(dir)
        .into_iter()
        .filter(|f| f.ends_with(".incr.aof"))
        .max()
        .expect("an incr file");
    dir.join("appendonlydir").join(name)
}

/// Starts a server expected to exit; returns (exited, log).
fn run_expecting_exit(dir: &Path, extra: &[&str]) -> (bool, String) {
    let port = redoubt_tests::server::free_port().to_string();
    let dir_text = dir.to_string_lossy().into_owned();
    let mut args = vec!["--port", &port, "--dir", &dir_text, "--save", ""];
    args.extend_from_slice(extra);
    let mut child = Command::new(redoubt_tests::server::redoubt_binary())
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            let log = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            return (true, log);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    (false, String::new())
}

#[test]
fn a_torn_tail_is_cut_when_allowed_and_refused_otherwise() {
    let dir = tempdir();
    {
        let subject = start(false, dir.path(), &["--appendonly", "yes"]);
        let mut c = subject.client();
        assert_eq!(info(&mut c, "aof_rewrites"), "0");
        ok(&mut c, &["SET", "a", "1"]);
        ok(&mut c, &["SET", "b", "2"]);
        shutdown(subject, &mut c, "SHUTDOWN");
    }
    let incr = last_incr(dir.path());
    let whole = std::fs::read(&incr).expect("incr");
    // Half a command at the end, like a crash in the middle of a write.
    let mut torn = whole.clone();
    torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$2\r\n3");
    std::fs::write(&incr, &torn).expect("write");
    let (exited, log) = run_expecting_exit(
        dir.path(),
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert!(
        exited,
        "a torn AOF must be refused with aof-load-truncated no"
    );
    assert!(
        log.contains(&format!("at byte {}", whole.len())),
        "the log names the offset: {log}"
    );
    // An unfinished MULTI is cut too.
    let mut torn_multi = whole.clone();
    torn_multi.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n4\r\n");
    std::fs::write(&incr, &torn_multi).expect("write");
    let subject = start(false, dir.path(), &["--appendonly", "yes"]);
    let mut c = subject.client();
    assert_eq!(c.cmd(&["GET", "b"]).as_text().as_deref(), Some("2"));
    assert_eq!(c.cmd(&["EXISTS", "d"]), Reply::Integer(0));
    assert_eq!(
        std::fs::read(&incr).expect("incr")[..whole.len()],
        whole[..]
    );
    drop(subject);
    // Corruption (not a tail) is refused even with aof-load-truncated yes.
    let mut corrupt = whole.clone();
    corrupt.extend_from_slice(b"*1\r\n$4\r\nPING\r\n!garbage\r\n*1\r\n$4\r\nPING\r\n");
    std::fs::write(&incr, &corrupt).expect("write");
    let (exited, log) = run_expecting_exit(dir.path(), &["--appendonly", "yes"]);
    assert!(exited, "a corrupt AOF must be refused: {log}");
    assert!(log.contains("Bad file format"), "{log}");
}

fn kill9(server: &mut ServerProcess) {
    let status = Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}

/// With `appendfsync always`, every acknowledged write survives kill -9, and nothing half-applied
/// appears: each writer's counter is at least its last acknowledged value and at most one more.
#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempdir();
    for round in 0..4u64 {
        let mut server = start(
            false,
            dir.path(),
            &["--appendonly", "yes", "--appendfsync", "always"],
        );
        let port = server.port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Writers that have had at least one write acknowledged.
        let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let stop = stop.clone();
                let started = started.clone();
                std::thread::spawn(move || {
                    let mut c = Client::connect(port);
                    c.set_timeout(Duration::from_secs(5));
                    let key = format!("w{w}");
                    let mut acked = match c.cmd(&["GET", &key]) {
                        Reply::Bulk(b) => String::from_utf8_lossy(&b).parse::<i64>().unwrap_or(0),
                        _ => 0,
                    };
                    let start = acked;
                    for _ in 0..1_000_000 {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        c.send(&["INCR", &key]);
                        match c.recv_timeout(Duration::from_secs(5)) {
                            Ok(Reply::Integer(n)) => {
                                if acked == start {
                                    started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                                acked = n
                            }
                            _ => break,
                        }
                    }
                    (key, start, acked)
                })
            })
            .collect();
        // Every writer under way (an fsync can take long on a busy disk), then a kill at a
        // moment that differs from round to round.
        let deadline = Instant::now() + Duration::from_secs(20);
        while started.load(std::sync::atomic::Ordering::Relaxed) < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50 + 70 * round));
        kill9(&mut server);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let results: Vec<(String, i64, i64)> = writers
            .into_iter()
            .map(|h| h.join().expect("writer"))
            .collect();
        drop(server);
        let server = start(false, dir.path(), &["--appendonly", "yes"]);
        let mut c = server.client();
        for (key, start, acked) in results {
            assert!(
                acked > start,
                "round {round}: writer {key} made no progress"
            );
            let got = match c.cmd(&["GET", &key]) {
                Reply::Bulk(b) => String::from_utf8_lossy(&b).parse::<i64>().unwrap_or(-1),
                other => panic!("round {round}: {key}: {other:?}"),
            };
            assert!(
                got == acked || got == acked + 1,
                "round {round}: {key} acknowledged {acked}, found {got} after restart"
            );
        }
    }
}

/// `redoubt-aof to-rdb`: a Redis 7.0 directory applied offline gives an RDB that redis-server
/// loads with the digest of the dataset that wrote the log; the log itself is untouched.
#[test]
fn to_rdb_applies_a_log_offline() {
    let dir = tempdir();
    let expected = {
        let redis = start(
            true,
            dir.path(),
            &["--appendonly", "yes", "--appendfsync", "always"],
        );
        let mut c = redis.client();
        wait_for(&mut c, "aof_rewrite_in_progress", "0");
        let mut other = redis.client();
        rewritten_forms(&mut c, &mut other);
        ok(&mut c, &["BGREWRITEAOF"]);
        wait_for(&mut c, "aof_rewrite_in_progress", "0");
        let mut generator = CommandGenerator::new(17);
        for _ in 0..600 {
            let command = generator.next_command();
            c.cmd(&command.args);
        }
        let d = digest(&mut c);
        shutdown(redis, &mut c, "NOSAVE");
        d
    };
    let log_dir = dir.path().join("appendonlydir");
    let before: Vec<(String, Vec<u8>)> = aof_files(dir.path())
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(log_dir.join(&f)).expect("read");
            (f, bytes)
        })
        .collect();
    let out_dir = tempdir();
    let out = out_dir.path().join("converted.rdb");
    let server_bin = redoubt_tests::server::redoubt_binary();
    let tool = server_bin.with_file_name("redoubt-aof");
    let status = Command::new(&tool)
        .arg("to-rdb")
        .arg(&log_dir)
        .arg(&out)
        .arg("--server")
        .arg(&server_bin)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    assert!(status.success(), "to-rdb failed");
    let after: Vec<(String, Vec<u8>)> = aof_files(dir.path())
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(log_dir.join(&f)).expect("read");
            (f, bytes)
        })
        .collect();
    assert!(before == after, "to-rdb must not modify the log");
    let redis = start(true, out_dir.path(), &["--dbfilename", "converted.rdb"]);
    assert_eq!(digest(&mut redis.client()), expected);
}

/// `aof-use-rdb-preamble no`: the base is commands (SET, RESTORE, PEXPIREAT) that redis-server
/// 7.0 and Redoubt both replay to the same dataset.
#[test]
fn a_base_without_rdb_preamble_is_commands_both_servers_load() {
    let dir = tempdir();
    let subject = start(
        false,
        dir.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--aof-use-rdb-preamble",
            "no",
        ],
    );
    let mut c = subject.client();
    assert_eq!(info(&mut c, "aof_rewrites"), "0");
    let mut other = subject.client();
    rewritten_forms(&mut c, &mut other);
    let mut generator = CommandGenerator::new(23);
    for _ in 0..800 {
        let command = generator.next_command();
        c.cmd(&command.args);
    }
    ok(&mut c, &["BGREWRITEAOF"]);
    wait_for(&mut c, "aof_rewrites", "1");
    ok(&mut c, &["SET", "after-rewrite", "1"]);
    let files = aof_files(dir.path());
    assert!(
        files.contains(&"appendonly.aof.2.base.aof".to_string()),
        "{files:?}"
    );
    let base =
        std::fs::read(dir.path().join("appendonlydir/appendonly.aof.2.base.aof")).expect("base");
    assert!(
        base.starts_with(b"*2\r\n$6\r\nSELECT\r\n"),
        "the base is commands"
    );
    let expected = digest(&mut c);
    check_reloads(dir.path(), &expected);
}

/// `auto-aof-rewrite-percentage` / `auto-aof-rewrite-min-size`: the log is rewritten on its own
/// once it has grown enough, and stays loadable.
#[test]
fn the_log_is_rewritten_automatically_when_it_grows() {
    let dir = tempdir();
    let subject = start(
        false,
        dir.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--auto-aof-rewrite-min-size",
            "65536",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut c = subject.client();
    assert_eq!(info(&mut c, "aof_rewrites"), "0");
    let value = "v".repeat(100);
    for i in 0..2000 {
        ok(&mut c, &["SET", &format!("k{}", i % 50), &value]);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    // Several automatic rewrites may happen while the writes go on.
    while info(&mut c, "aof_rewrites").parse::<u64>().unwrap_or(0) < 1 {
        assert!(Instant::now() < deadline, "no automatic rewrite");
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_for(&mut c, "aof_rewrite_in_progress", "0");
    let size: u64 = info(&mut c, "aof_current_size").parse().expect("size");
    // 2000 writes of ~130 bytes were logged; the rewrites keep the log near the dataset's size.
    assert!(size < 150_000, "the rewrites shrank the log ({size} bytes)");
    let expected = digest(&mut c);
    check_reloads(dir.path(), &expected);
}
