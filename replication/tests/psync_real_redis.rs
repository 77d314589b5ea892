//! The replica side of the link against a real redis-server 7.0 master: full sync (disk and
//! diskless framing), the command stream and its exact offsets, partial resync, fallbacks to a full
//! resync, AUTH, and GETACK/ACK as WAIT sees it.

mod common;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use common::{RedisServer, Reply};
use redoubt_replication::replica_link::{
    self, is_getack, Handshake, Link, LinkError, RdbFraming, Sync,
};
use redoubt_replication::{wire, Backlog, ReplId, ReplicationIds};

const LIMIT: Duration = Duration::from_secs(30);

async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test step timed out")
}

fn handshake() -> Handshake {
    let mut hs = Handshake::new(6999);
    hs.timeout = Duration::from_secs(10);
    hs
}

fn strs(args: &[Bytes]) -> Vec<String> {
    args.iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Reads commands until the link's offset reaches `target`, asserting it lands on it exactly,
/// while sending `REPLCONF ACK` every 200 ms as a replica's cron does (a 7.0 master may wait for an
/// ACK after the RDB child exits before it starts the stream of a diskless sync).
/// Returns the commands other than PING / REPLCONF GETACK / SELECT.
async fn drain_to(link: &mut Link, target: u64) -> Vec<Vec<String>> {
    let mut seen = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let deadline = tokio::time::Instant::now() + LIMIT;
    for _ in 0..100_000 {
        if link.offset() >= target {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "stream stalled");
        tokio::select! {
            r = link.next_command() => {
                let (args, _) = r.expect("command");
                let s = strs(&args);
                let name = s.first().map(|n| n.to_ascii_uppercase()).unwrap_or_default();
                if name != "PING" && name != "SELECT" && !is_getack(&args) {
                    seen.push(s);
                }
            }
            _ = tick.tick() => {
                let off = link.offset();
                link.send_ack(off).await.expect("ack");
            }
        }
    }
    assert_eq!(
        link.offset(),
        target,
        "offset must land exactly on master_repl_offset"
    );
    seen
}

fn cmds(list: &[&[&str]]) -> Vec<Vec<String>> {
    list.iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// Writes a few keys of different types before the sync.
fn seed(master: &RedisServer) {
    let mut c = master.client();
    c.ok(&["SET", "k1", "v1"]);
    c.ok(&["RPUSH", "list", "a", "b", "c"]);
    c.ok(&["HSET", "h", "f", "v"]);
    c.ok(&["SADD", "s", "m1", "m2"]);
}

fn check_rdb(bytes: &[u8]) {
    check_rdb_keys(bytes, &["h", "k1", "list", "s"]);
}

fn check_rdb_keys(bytes: &[u8], expected: &[&str]) {
    let file = redoubt_rdb::reader::parse(bytes).expect("the RDB parses");
    let mut keys: Vec<String> = file
        .records
        .iter()
        .map(|r| String::from_utf8_lossy(&r.key).into_owned())
        .collect();
    keys.sort();
    assert_eq!(keys, expected);
    if let Some(k1) = file.records.iter().find(|r| r.key == b"k1") {
        assert_eq!(k1.value, redoubt_rdb::value::Value::String(b"v1".to_vec()));
    }
}

async fn full_sync(
    master: &RedisServer,
    hs: &Handshake,
) -> (ReplId, u64, RdbFraming, Vec<u8>, Link) {
    let Sync::Full {
        replid,
        offset,
        mut rdb,
    } = bounded(replica_link::connect(master.addr(), hs))
        .await
        .expect("handshake")
    else {
        panic!("expected a full sync");
    };
    let framing = rdb.framing();
    let payload = bounded(rdb.read_to_vec(64 << 20)).await.expect("payload");
    assert!(rdb.is_done());
    assert_eq!(rdb.bytes_received(), payload.len() as u64);
    let link = bounded(rdb.into_link()).await.expect("link");
    (replid, offset, framing, payload, link)
}

/// Writes after the sync arrive in order and the offset matches the master's exactly.
async fn check_stream(master: &RedisServer, link: &mut Link) {
    let mut c = master.client();
    c.ok(&["SET", "a", "1"]);
    c.ok(&["INCR", "counter"]);
    c.ok(&["RPUSH", "list", "x", "y"]);
    c.ok(&["DEL", "k1"]);
    let target = master.master_repl_offset();
    let seen = drain_to(link, target).await;
    assert_eq!(
        seen,
        cmds(&[
            &["SET", "a", "1"],
            &["INCR", "counter"],
            &["RPUSH", "list", "x", "y"],
            &["DEL", "k1"],
        ])
    );
}

#[tokio::test]
async fn full_sync_disk_then_stream() {
    let master = RedisServer::start(&["--repl-diskless-sync", "no"]);
    seed(&master);
    let (replid, offset, framing, payload, mut link) = full_sync(&master, &handshake()).await;
    assert_eq!(framing, RdbFraming::Length(payload.len() as u64));
    assert_eq!(replid.to_string(), master.info_field("master_replid"));
    assert_eq!(link.master_replid(), &replid);
    assert_eq!(link.offset(), offset);
    check_rdb(&payload);
    check_stream(&master, &mut link).await;
    // The master lists us with the announced port.
    assert!(master.info_field("slave0").contains("port=6999"));
}

#[tokio::test]
async fn full_sync_diskless_eof_framing() {
    let master = RedisServer::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    seed(&master);
    let Sync::Full {
        replid,
        offset,
        mut rdb,
    } = bounded(replica_link::connect(master.addr(), &handshake()))
        .await
        .expect("handshake")
    else {
        panic!("expected a full sync");
    };
    assert_eq!(rdb.framing(), RdbFraming::EofMark);
    // Stream the payload to a file, as a disk-loading replica does.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("temp.rdb");
    let mut file = tokio::fs::File::create(&path).await.unwrap();
    let n = bounded(rdb.write_to(&mut file)).await.expect("payload");
    drop(file);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, n);
    check_rdb(&bytes);
    let file = redoubt_rdb::reader::read_path(&path).unwrap();
    assert_eq!(
        file.trailer.end_offset, n,
        "nothing after the RDB: the EOF mark was stripped"
    );
    // into_link sends the first ACK, without which a 7.0 master holds the stream back.
    let mut link = bounded(rdb.into_link()).await.expect("link");
    assert_eq!(link.offset(), offset);
    assert_eq!(replid.to_string(), master.info_field("master_replid"));
    check_stream(&master, &mut link).await;
}

#[tokio::test]
async fn partial_resync_continues_without_gaps() {
    let master = RedisServer::start(&["--repl-diskless-sync", "no"]);
    seed(&master);
    let (replid, _, _, _, mut link) = full_sync(&master, &handshake()).await;
    check_stream(&master, &mut link).await;
    let reploff = link.offset();
    // Our own backlog fed with the exact bytes, as a replica does for its sub-replicas.
    let mut mine = Backlog::with_offset(1 << 20, reploff);
    drop(link);

    let mut c = master.client();
    c.ok(&["SET", "after1", "1"]);
    c.ok(&["SET", "after2", "2"]);
    c.ok(&["LPUSH", "list", "z"]);

    let mut hs = handshake();
    hs.psync = Some((replid, reploff));
    let Sync::Partial {
        new_replid,
        mut link,
    } = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect("psync")
    else {
        panic!("expected +CONTINUE");
    };
    assert_eq!(new_replid, None, "same master, same history");
    assert_eq!(link.offset(), reploff);
    let target = master.master_repl_offset();
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        if link.offset() >= target {
            break;
        }
        let (args, raw) = bounded(link.next_command_raw()).await.expect("command");
        mine.append(&raw);
        let s = strs(&args);
        if s[0] != "PING" && !is_getack(&args) {
            seen.push(s);
        }
    }
    assert_eq!(link.offset(), target);
    assert_eq!(mine.offset(), target);
    assert_eq!(
        seen,
        cmds(&[
            &["SET", "after1", "1"],
            &["SET", "after2", "2"],
            &["LPUSH", "list", "z"],
        ])
    );
    // A gap-free continuation: a second reconnect from the end needs nothing resent.
    drop(link);
    hs.psync = Some((replid, target));
    let Sync::Partial { mut link, .. } = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect("psync")
    else {
        panic!("expected +CONTINUE");
    };
    c.ok(&["SET", "after3", "3"]);
    let seen = drain_to(&mut link, master.master_repl_offset()).await;
    assert_eq!(seen, cmds(&[&["SET", "after3", "3"]]));
}

#[tokio::test]
async fn unusable_offsets_get_a_full_resync() {
    let master =
        RedisServer::start(&["--repl-diskless-sync", "no", "--repl-backlog-size", "16384"]);
    seed(&master);
    let (replid, _, _, _, mut link) = full_sync(&master, &handshake()).await;
    check_stream(&master, &mut link).await;
    let reploff = link.offset();
    drop(link);

    // In the future: FULLRESYNC.
    let mut hs = handshake();
    hs.psync = Some((replid, master.master_repl_offset() + 1000));
    let r = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect("psync");
    assert!(matches!(r, Sync::Full { .. }), "future offset: {r:?}");
    drop(r);

    // Unknown history: FULLRESYNC.
    hs.psync = Some((ReplId::random(), reploff));
    let r = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect("psync");
    assert!(matches!(r, Sync::Full { .. }), "unknown replid: {r:?}");
    drop(r);

    // Too old: push far more than the backlog holds, then ask for the old offset.
    let big = "x".repeat(40_000);
    let mut c = master.client();
    for i in 0..5 {
        c.ok(&["SET", &format!("big{i}"), &big]);
    }
    let first: u64 = master
        .info_field("repl_backlog_first_byte_offset")
        .parse()
        .unwrap();
    assert!(first > reploff + 1);
    hs.psync = Some((replid, reploff));
    let r = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect("psync");
    let Sync::Full {
        replid: r2, offset, ..
    } = r
    else {
        panic!("too-old offset: {r:?}");
    };
    assert_eq!(r2, replid);
    assert!(offset >= master.master_repl_offset() - 1000);

    // Exactly the first byte still held: CONTINUE.
    hs.psync = Some((replid, first - 1));
    let r = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect("psync");
    assert!(matches!(r, Sync::Partial { .. }), "first held byte: {r:?}");
}

#[tokio::test]
async fn masterauth() {
    let master = RedisServer::start(&["--repl-diskless-sync", "no", "--requirepass", "s3cret"]);
    seed(&master);

    // Without AUTH: PING's -NOAUTH is accepted, PSYNC is refused.
    let err = bounded(replica_link::connect(master.addr(), &handshake()))
        .await
        .expect_err("no auth");
    assert!(
        matches!(&err, LinkError::PsyncRejected(m) if m.starts_with("-NOAUTH")),
        "{err}"
    );

    // Wrong password: the AUTH error fails the link.
    let mut hs = handshake();
    hs.masterauth = Some("wrong".into());
    let err = bounded(replica_link::connect(master.addr(), &hs))
        .await
        .expect_err("bad auth");
    assert!(matches!(err, LinkError::Auth(_)), "{err}");

    hs.masterauth = Some("s3cret".into());
    let (_, _, _, payload, mut link) = full_sync(&master, &hs).await;
    check_rdb(&payload);
    check_stream(&master, &mut link).await;

    // masteruser + masterauth: AUTH <user> <pass>.
    drop(link);
    hs.masteruser = Some("default".into());
    let (_, _, _, payload, _) = full_sync(&master, &hs).await;
    check_rdb_keys(&payload, &["a", "counter", "h", "list", "s"]);
}

#[tokio::test]
async fn acks_answer_getack_for_wait() {
    let master = RedisServer::start(&["--repl-diskless-sync", "no"]);
    let (_, _, _, _, mut link) = full_sync(&master, &handshake()).await;
    let target = master.master_repl_offset();
    drain_to(&mut link, target).await;

    // WAIT sends REPLCONF GETACK and blocks until an ACK covers the client's last write.
    let port = master.port;
    let waiter = std::thread::spawn(move || {
        let mut c = common::Client::try_connect(port).unwrap();
        c.ok(&["SET", "w", "1"]);
        c.ok(&["WAIT", "1", "5000"])
    });
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut answered = false;
    for _ in 0..200 {
        tokio::select! {
            r = link.next_command_raw() => {
                let (args, raw) = r.expect("command");
                let n = raw.len() as u64;
                if is_getack(&args) {
                    // Byte for byte what a 7.0 master puts in its stream.
                    assert_eq!(&raw[..], &wire::format_getack()[..]);
                    // Redis acks with the offset before the GETACK itself.
                    let before = link.offset() - n;
                    link.send_ack(before).await.unwrap();
                    answered = true;
                }
            }
            _ = tick.tick() => {
                if waiter.is_finished() { break; }
            }
        }
    }
    assert!(answered);
    assert_eq!(waiter.join().unwrap(), Reply::Int(1));
    // The master keeps our latest ACK as the replica's offset.
    link.send_ack(link.offset()).await.unwrap();
    let expect = format!("offset={}", link.offset());
    let mut ok = false;
    for _ in 0..50 {
        if master.info_field("slave0").contains(&expect) {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "{} vs {expect}", master.info_field("slave0"));
}

#[tokio::test]
async fn backlog_offsets_match_the_masters() {
    // A fresh master creates its backlog when the first replica connects, at offset 0 + 1.
    let master = RedisServer::start(&["--repl-diskless-sync", "no"]);
    let (_, offset, _, _, mut link) = full_sync(&master, &handshake()).await;
    assert_eq!(offset, 0);
    let mut mine = Backlog::with_offset(1 << 20, offset);
    let mut c = master.client();
    for i in 0..50 {
        c.ok(&["SET", &format!("key{i}"), &"v".repeat(i * 10)]);
    }
    let target = master.master_repl_offset();
    for _ in 0..10_000 {
        if link.offset() >= target {
            break;
        }
        let (_, raw) = bounded(link.next_command_raw()).await.expect("command");
        mine.append(&raw);
    }
    assert_eq!(mine.offset(), target);
    assert_eq!(
        mine.first_offset().to_string(),
        master.info_field("repl_backlog_first_byte_offset")
    );
    assert_eq!(
        mine.histlen().to_string(),
        master.info_field("repl_backlog_histlen")
    );
}

#[tokio::test]
async fn promoted_replica_continues_the_old_history() {
    // A real replica B of A, promoted: B keeps A's ID as replid2 up to offset + 1.
    let a = RedisServer::start(&["--repl-diskless-sync", "no"]);
    let b = RedisServer::start(&["--repl-diskless-sync", "no"]);
    b.client()
        .ok(&["REPLICAOF", "127.0.0.1", &a.port.to_string()]);
    let mut ca = a.client();
    ca.ok(&["SET", "x", "1"]);
    let a_offset = a.master_repl_offset();
    let mut synced = false;
    for _ in 0..200 {
        if b.info_field("master_link_status") == "up"
            && b.info_field("master_repl_offset") == a_offset.to_string()
        {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(synced, "B caught up with A");
    let a_id: ReplId = a.info_field("master_replid").parse().unwrap();
    b.client().ok(&["REPLICAOF", "NO", "ONE"]);

    // Our model of the promotion matches what B reports.
    let mut ids = ReplicationIds::with_replid(a_id);
    ids.shift(a_offset);
    assert_eq!(b.info_field("master_replid2"), a_id.to_string());
    assert_eq!(
        b.info_field("second_repl_offset"),
        ids.second_replid_offset.to_string()
    );
    let b_id: ReplId = b.info_field("master_replid").parse().unwrap();
    assert_ne!(b_id, a_id);

    // A replica of A that had everything up to a_offset continues with B under B's new ID.
    let mut hs = handshake();
    hs.psync = Some((a_id, a_offset));
    let r = bounded(replica_link::connect(b.addr(), &hs))
        .await
        .expect("psync");
    let Sync::Partial {
        new_replid,
        mut link,
    } = r
    else {
        panic!("expected +CONTINUE from the promoted replica: {r:?}");
    };
    assert_eq!(new_replid, Some(b_id));
    assert_eq!(link.master_replid(), &b_id);
    b.client().ok(&["SET", "y", "2"]);
    let seen = drain_to(&mut link, b.master_repl_offset()).await;
    assert_eq!(seen, cmds(&[&["SET", "y", "2"]]));
    drop(link);

    // Past second_replid_offset the old ID no longer works: full resync.
    hs.psync = Some((a_id, b.master_repl_offset()));
    let r = bounded(replica_link::connect(b.addr(), &hs))
        .await
        .expect("psync");
    assert!(matches!(r, Sync::Full { .. }), "{r:?}");
}
