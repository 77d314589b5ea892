//! Replication, black-box and against redis-server 7.0 both ways: a Redis replica of a Redoubt
//! master and a Redoubt replica of a Redis master, under continuous writes of every type (streams
//! with consumer groups, TTLs), end with the same DEBUG DIGEST once offsets match; a broken link
//! resumes with a partial resync (CONTINUE, `sync_partial_ok`); a promoted replica lets the other
//! replica continue partially (replid2); WAIT, ROLE, READONLY behave like Redis.

use redoubt_tests::{info_field, Client, CommandGenerator, Reply, ServerProcess};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEBUG: [&str; 2] = ["--enable-debug-command", "yes"];

fn start(redis: bool, extra: &[&str]) -> ServerProcess {
    // A backlog large enough for the writes made while a link is down in these tests.
    let mut args: Vec<&str> = vec![DEBUG[0], DEBUG[1], "--repl-backlog-size", "64mb"];
    args.extend_from_slice(extra);
    if redis {
        // No delay before a diskless sync, so tests do not wait 5 s.
        args.extend_from_slice(&["--repl-diskless-sync-delay", "0"]);
        ServerProcess::redis(&args)
    } else {
        ServerProcess::redoubt(&args)
    }
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

fn info(c: &mut Client, section: &str, field: &str) -> String {
    info_field(&c.cmd(&["INFO", section]), field).unwrap_or_default()
}

/// Waits (bounded) until the replica is linked and has processed everything the master sent,
/// then compares digests.
fn assert_in_sync(master: &mut Client, replica: &mut Client, what: &str) {
    wait_caught_up(master, replica, what);
    let (dm, dr) = (digest(master), digest(replica));
    if dm != dr {
        panic!(
            "{what}: datasets differ:\n{}",
            differing_keys(master, replica)
        );
    }
}

/// Waits (bounded) until the replica is linked and has processed everything the master sent.
fn wait_caught_up(master: &mut Client, replica: &mut Client, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = info(master, "replication", "master_repl_offset");
        let r = info(replica, "replication", "slave_repl_offset");
        let up = info(replica, "replication", "master_link_status") == "up";
        if up && !m.is_empty() && m == r {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: replica never caught up (master {m}, replica {r}, link up: {up})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The keys whose DEBUG DIGEST-VALUE differs, with their values on both sides (for diagnosis).
fn differing_keys(master: &mut Client, replica: &mut Client) -> String {
    let mut out = String::new();
    for db in 0..16 {
        let db = db.to_string();
        ok(master, &["SELECT", &db]);
        ok(replica, &["SELECT", &db]);
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for c in [&mut *master, &mut *replica] {
            if let Reply::Array(ks) = c.cmd(&["KEYS", "*"]) {
                for k in ks {
                    if let Reply::Bulk(b) = k {
                        if !keys.contains(&b) {
                            keys.push(b);
                        }
                    }
                }
            }
        }
        for k in keys {
            let a = master.cmd(&[&b"DEBUG"[..], b"DIGEST-VALUE", &k]);
            let b = replica.cmd(&[&b"DEBUG"[..], b"DIGEST-VALUE", &k]);
            if a != b {
                let dump = |c: &mut Client| {
                    let t = c.cmd(&[&b"TYPE"[..], &k]);
                    let ttl = c.cmd(&[&b"PTTL"[..], &k]);
                    let v = match t.as_text().as_deref() {
                        Some("stream") => c.cmd(&[&b"XINFO"[..], b"STREAM", &k, b"FULL"]),
                        Some("string") => c.cmd(&[&b"GET"[..], &k]),
                        Some("list") => c.cmd(&[&b"LRANGE"[..], &k, b"0", b"-1"]),
                        Some("set") => c.cmd(&[&b"SMEMBERS"[..], &k]),
                        Some("hash") => c.cmd(&[&b"HGETALL"[..], &k]),
                        Some("zset") => c.cmd(&[&b"ZRANGE"[..], &k, b"0", b"-1", b"WITHSCORES"]),
                        _ => Reply::Null,
                    };
                    format!("{t:?} ttl {ttl:?} {v:?}")
                };
                out.push_str(&format!(
                    "db {db} key {:?}:\n  master:  {}\n  replica: {}\n",
                    String::from_utf8_lossy(&k),
                    dump(master),
                    dump(replica)
                ));
            }
        }
    }
    ok(master, &["SELECT", "0"]);
    ok(replica, &["SELECT", "0"]);
    out
}

/// Writes from a seeded generator on a thread until `stop`; returns the thread.
fn writer(port: u16, seed: u64, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut c = Client::connect(port);
        let mut generator = CommandGenerator::new(seed);
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) && n < 200_000 {
            let command = generator.next_command();
            c.cmd(&command.args);
            n += 1;
        }
        n
    })
}

/// Commands whose replicated form differs from what was called, on keys named `{p}:...` (the
/// generator's keys do not collide with them).
fn rewritten_forms(c: &mut Client, p: &str) {
    let k = |name: &str| format!("{p}:{name}");
    let (s1, s3, f, hf, set, l, l2, z, st, counter, tx, in9) = (
        k("s1"),
        k("s3"),
        k("f"),
        k("hf"),
        k("set"),
        k("l"),
        k("l2"),
        k("z"),
        k("st"),
        k("counter"),
        k("tx"),
        k("in9"),
    );
    for args in [
        &["SET", &s1, "v", "EX", "1000"][..],
        &["SETEX", &s3, "2000", "v"],
        &["EXPIRE", &s3, "3000"],
        &["INCRBYFLOAT", &f, "1.1"],
        &["HINCRBYFLOAT", &hf, "x", "0.3"],
        &["SADD", &set, "a", "b", "c", "d", "e", "f"],
        &["SPOP", &set],
        &["RPUSH", &l, "1", "2", "3"],
        &["BLPOP", &l, "0"],
        &["BLMOVE", &l, &l2, "LEFT", "RIGHT", "0"],
        &["ZADD", &z, "1", "a", "2", "b"],
        &["BZPOPMIN", &z, "0"],
    ] {
        ok(c, args);
    }
    for i in 0..200 {
        ok(
            c,
            &["XADD", &st, "MAXLEN", "~", "80", "*", "f", &i.to_string()],
        );
    }
    ok(c, &["XGROUP", "CREATE", &st, "g1", "0"]);
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
            &st,
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
            &st,
            ">",
        ],
    );
    ok(
        c,
        &["XAUTOCLAIM", &st, "g1", "carol", "0", "0-0", "COUNT", "2"],
    );
    ok(c, &["MULTI"]);
    ok(c, &["INCR", &counter]);
    ok(c, &["SET", &tx, "1", "PX", "5000000"]);
    ok(c, &["EXEC"]);
    ok(c, &["SELECT", "9"]);
    ok(c, &["SET", &in9, "x"]);
    ok(c, &["SELECT", "0"]);
}

/// Follows `master` from `replica` and waits for the link.
fn follow(replica: &mut Client, master_port: u16) {
    ok(
        replica,
        &["REPLICAOF", "127.0.0.1", &master_port.to_string()],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while info(replica, "replication", "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "the link never came up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// With a redis-server master, a redis-server replica of the same master is the control: a Redis
/// 7.0 master's own dataset can drift from the stream it sends (seen here as a string padded on
/// the master that its own AOF does not reproduce), and what a replica must do is apply that
/// stream exactly as Redis does.
fn assert_like_control(m: &mut Client, r: &mut Client, control: Option<&mut Client>, what: &str) {
    match control {
        None => assert_in_sync(m, r, what),
        Some(c) => {
            wait_caught_up(m, c, what);
            wait_caught_up(m, r, what);
            let (dc, dr) = (digest(c), digest(r));
            if dc != dr {
                panic!(
                    "{what}: Redoubt's dataset differs from a redis-server replica's:\n{}",
                    differing_keys(c, r)
                );
            }
        }
    }
}

fn check_replication(master_is_redis: bool) {
    let master = start(master_is_redis, &[]);
    let replica = start(!master_is_redis, &[]);
    let control = master_is_redis.then(|| start(true, &[]));
    let mut m = master.client();
    let mut r = replica.client();
    let mut ctl = control.as_ref().map(|c| c.client());
    if let Some(c) = ctl.as_mut() {
        follow(c, master.port());
    }
    let what = if master_is_redis {
        "Redoubt replica of redis-server"
    } else {
        "redis-server replica of Redoubt"
    };
    // Data before the sync, writes during it, writes after.
    rewritten_forms(&mut m, "before");
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(master.port(), 31, stop.clone());
    follow(&mut r, master.port());
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    assert!(w.join().expect("writer") > 0);
    rewritten_forms(&mut m, "after");
    assert_like_control(
        &mut m,
        &mut r,
        ctl.as_mut(),
        &format!("{what}, after the full sync"),
    );
    // Reads work and writes are refused on the replica.
    let refused = r.cmd(&["SET", "x", "1"]);
    assert_eq!(
        refused.error_text(),
        Some("READONLY You can't write against a read only replica.")
    );
    let replicas = 1 + ctl.is_some() as i64;
    assert_eq!(
        ok(&mut m, &["WAIT", &replicas.to_string(), "5000"]),
        Reply::Integer(replicas)
    );
    // A broken link resumes where it stopped.
    let partial_before: u64 = info(&mut m, "stats", "sync_partial_ok")
        .parse()
        .unwrap_or(0);
    assert_eq!(
        ok(&mut r, &["CLIENT", "KILL", "TYPE", "master"]),
        Reply::Integer(1)
    );
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(master.port(), 32, stop.clone());
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    w.join().expect("writer");
    assert_like_control(
        &mut m,
        &mut r,
        ctl.as_mut(),
        &format!("{what}, after the partial resync"),
    );
    let partial_after: u64 = info(&mut m, "stats", "sync_partial_ok")
        .parse()
        .unwrap_or(0);
    assert_eq!(
        partial_after,
        partial_before + 1,
        "{what}: the reconnection must be a partial resync\nmaster log:\n{}\nreplica log:\n{}",
        master.log(),
        replica.log()
    );
    let full_syncs = if master_is_redis { "2" } else { "1" };
    assert_eq!(info(&mut m, "stats", "sync_full"), full_syncs);
}

#[test]
fn redis_replicates_from_redoubt() {
    check_replication(false);
}

#[test]
fn redoubt_replicates_from_redis() {
    check_replication(true);
}

#[test]
fn a_promoted_replica_lets_the_other_replica_continue() {
    let master = start(false, &[]);
    let r1 = start(false, &[]);
    let r2 = start(true, &[]);
    let mut m = master.client();
    let (mut c1, mut c2) = (r1.client(), r2.client());
    rewritten_forms(&mut m, "forms");
    follow(&mut c1, master.port());
    follow(&mut c2, master.port());
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(master.port(), 41, stop.clone());
    std::thread::sleep(Duration::from_millis(400));
    stop.store(true, Ordering::Relaxed);
    w.join().expect("writer");
    assert_in_sync(&mut m, &mut c1, "first replica");
    assert_in_sync(&mut m, &mut c2, "second replica");
    let old_replid = info(&mut c1, "replication", "master_replid");
    // Failover: the master goes away, r1 is promoted, r2 follows r1.
    drop(m);
    drop(master);
    ok(&mut c1, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info(&mut c1, "replication", "role"), "master");
    assert_eq!(info(&mut c1, "replication", "master_replid2"), old_replid);
    follow(&mut c2, r1.port());
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(r1.port(), 42, stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    w.join().expect("writer");
    assert_in_sync(&mut c1, &mut c2, "after failover");
    assert_eq!(info(&mut c1, "stats", "sync_partial_ok"), "1");
    assert_eq!(info(&mut c1, "stats", "sync_full"), "0");
}

#[test]
fn role_wait_and_chained_replicas() {
    let master = start(false, &[]);
    let middle = start(false, &[]);
    let leaf = start(true, &[]);
    let mut m = master.client();
    let (mut mid, mut lf) = (middle.client(), leaf.client());
    // WAIT with no replicas: 0 at once (timeout 0 would block forever in Redis too, so 100 ms).
    ok(&mut m, &["SET", "k", "v"]);
    assert_eq!(ok(&mut m, &["WAIT", "1", "100"]), Reply::Integer(0));
    follow(&mut mid, master.port());
    follow(&mut lf, middle.port());
    rewritten_forms(&mut m, "forms");
    assert_in_sync(&mut m, &mut mid, "middle");
    assert_in_sync(&mut mid, &mut lf, "leaf");
    assert_eq!(
        info(&mut lf, "replication", "master_replid"),
        info(&mut m, "replication", "master_replid"),
        "a chained replica shares its master's history"
    );
    let role = ok(&mut m, &["ROLE"]);
    let Reply::Array(parts) = role else {
        panic!("ROLE -> {role:?}")
    };
    assert_eq!(parts[0], Reply::bulk("master"));
    let role = ok(&mut mid, &["ROLE"]);
    let Reply::Array(parts) = role else {
        panic!("ROLE -> {role:?}")
    };
    assert_eq!(parts[0], Reply::bulk("slave"));
    assert_eq!(parts[3], Reply::bulk("connected"));
    let refused = mid.cmd(&["WAIT", "1", "10"]);
    assert!(
        refused
            .error_text()
            .is_some_and(|e| e.starts_with("ERR WAIT cannot be used with replica instances")),
        "{refused:?}"
    );
}

/// PUBLISH on a Redoubt master reaches subscribers of a redis-server replica, as in Redis.
#[test]
fn published_messages_reach_subscribers_of_replicas() {
    let master = start(false, &[]);
    let replica = start(true, &[]);
    let mut r = replica.client();
    follow(&mut r, master.port());
    let mut sub = replica.client();
    sub.send(&["SUBSCRIBE", "news"]);
    let confirmed = sub.recv();
    assert!(matches!(confirmed, Reply::Array(_)), "{confirmed:?}");
    let mut m = master.client();
    // Only the master's own subscribers count in PUBLISH's reply.
    assert_eq!(ok(&mut m, &["PUBLISH", "news", "hello"]), Reply::Integer(0));
    let msg = sub
        .recv_timeout(Duration::from_secs(10))
        .expect("the replica's subscriber gets the message");
    assert_eq!(
        msg,
        Reply::Array(vec![
            Reply::bulk("message"),
            Reply::bulk("news"),
            Reply::bulk("hello")
        ])
    );
}

/// `min-replicas-to-write`: writes are refused with NOREPLICAS until enough replicas acknowledge.
#[test]
fn writes_need_enough_good_replicas_when_configured() {
    let master = start(
        false,
        &[
            "--min-replicas-to-write",
            "1",
            "--min-replicas-max-lag",
            "10",
        ],
    );
    let replica = start(false, &[]);
    let mut m = master.client();
    assert_eq!(
        m.cmd(&["SET", "k", "v"]).error_text(),
        Some("NOREPLICAS Not enough good replicas to write.")
    );
    assert!(m.cmd(&["GET", "k"]).is_null(), "reads are still served");
    let mut r = replica.client();
    follow(&mut r, master.port());
    let deadline = Instant::now() + Duration::from_secs(10);
    while m.cmd(&["SET", "k", "v"]).is_error() {
        assert!(Instant::now() < deadline, "writes never resumed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_in_sync(&mut m, &mut r, "min-replicas");
}
