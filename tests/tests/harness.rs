//! Self-tests of the harness, run against two reference redis-servers: identical servers agree,
//! real differences are caught with a readable message, comparison modes behave, hung servers
//! time out instead of hanging, and servers die with their `ServerProcess`.

use redoubt_tests::pair::{first_difference, normalize, replies_match};
use redoubt_tests::{Client, Compare, Pair, RecvError, Reply, ServerProcess};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

fn panic_message(result: std::thread::Result<()>) -> String {
    match result {
        Ok(()) => panic!("expected a panic"),
        Err(e) => e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

#[test]
fn two_references_agree() {
    let mut p = Pair::reference_twice(&[]);
    p.check(&["SET", "k", "v"]);
    p.check(&["GET", "k"]);
    p.hello(3);
    p.check(&["HSET", "h", "a", "1"]);
    p.check(&["HGETALL", "h"]);
}

#[test]
fn differences_are_reported_readably() {
    let mut p = Pair::from_servers(
        ServerProcess::redis(&[]),
        ServerProcess::redis(&["--hash-max-listpack-entries", "1"]),
    );
    p.check(&["HSET", "h", "a", "1", "b", "2"]);
    let msg = panic_message(catch_unwind(AssertUnwindSafe(|| {
        p.check(&["OBJECT", "ENCODING", "h"]);
    })));
    assert!(msg.contains("OBJECT ENCODING h"), "{msg}");
    assert!(
        msg.contains("\"listpack\"") && msg.contains("\"hashtable\""),
        "{msg}"
    );
    assert!(msg.contains("HSET h a 1 b 2"), "history missing: {msg}");
}

#[test]
fn comparison_modes() {
    let a = Reply::Array(vec![
        Reply::bulk("x"),
        Reply::bulk("1"),
        Reply::bulk("y"),
        Reply::bulk("2"),
    ]);
    let b = Reply::Array(vec![
        Reply::bulk("y"),
        Reply::bulk("2"),
        Reply::bulk("x"),
        Reply::bulk("1"),
    ]);
    let swapped = Reply::Array(vec![
        Reply::bulk("x"),
        Reply::bulk("2"),
        Reply::bulk("y"),
        Reply::bulk("1"),
    ]);
    assert!(!replies_match(&a, &b, Compare::Exact));
    assert!(replies_match(&a, &b, Compare::PairsUnordered));
    assert!(replies_match(&a, &b, Compare::Unordered));
    assert!(!replies_match(&a, &swapped, Compare::PairsUnordered));
    assert!(replies_match(&a, &swapped, Compare::Unordered));
    assert!(replies_match(
        &Reply::Integer(100),
        &Reply::Integer(101),
        Compare::Approx(1)
    ));
    assert!(!replies_match(
        &Reply::Integer(100),
        &Reply::Integer(102),
        Compare::Approx(1)
    ));
    assert!(!replies_match(
        &Reply::Integer(-1),
        &Reply::Integer(0),
        Compare::Approx(5)
    ));
    assert!(replies_match(&a, &swapped, Compare::Shape));
    assert!(!replies_match(&a, &Reply::Array(vec![]), Compare::Shape));
    assert!(!replies_match(
        &Reply::Error("ERR a".into()),
        &Reply::Error("ERR b".into()),
        Compare::Shape
    ));
    assert!(!replies_match(
        &Reply::NilBulk,
        &Reply::NilArray,
        Compare::Exact
    ));
    assert!(!replies_match(
        &Reply::Double("1.5".into()),
        &Reply::Double("1.50".into()),
        Compare::Exact
    ));
    let map1 = Reply::Map(vec![
        (Reply::bulk("a"), Reply::Integer(1)),
        (Reply::bulk("b"), Reply::Integer(2)),
    ]);
    let map2 = Reply::Map(vec![
        (Reply::bulk("b"), Reply::Integer(2)),
        (Reply::bulk("a"), Reply::Integer(1)),
    ]);
    assert!(replies_match(&map1, &map2, Compare::Unordered));
    assert!(replies_match(&map1, &map2, Compare::PairsUnordered));
    assert_eq!(
        normalize(&map1, Compare::Unordered),
        normalize(&map2, Compare::Unordered)
    );
    assert_eq!(first_difference(&a, &b), "at [0]: \"x\" vs \"y\"");
}

#[test]
fn hung_server_times_out_instead_of_hanging() {
    let server = ServerProcess::redis(&[]);
    let mut client = server.client();
    client.send(&["BLPOP", "never", "0"]);
    let start = Instant::now();
    assert!(matches!(
        client.recv_timeout(Duration::from_millis(200)),
        Err(RecvError::Timeout)
    ));
    assert!(start.elapsed() < Duration::from_secs(2));
    client.set_timeout(Duration::from_millis(100));
    let msg = panic_message(catch_unwind(AssertUnwindSafe(|| {
        client.recv();
    })));
    assert!(msg.contains("timed out"), "{msg}");
}

#[test]
fn servers_stop_on_drop() {
    let server = ServerProcess::redis(&[]);
    let port = server.port();
    let dir = server.dir().to_path_buf();
    assert!(Client::try_connect(port).is_ok());
    let result = catch_unwind(AssertUnwindSafe(move || {
        let _owned = server;
        panic!("test failure while the server runs");
    }));
    assert!(result.is_err());
    let deadline = Instant::now() + Duration::from_secs(5);
    while Client::try_connect(port).is_ok() {
        assert!(
            Instant::now() < deadline,
            "server on port {port} still answers after drop"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!dir.exists(), "temp dir {} left behind", dir.display());
}

#[test]
fn missing_binary_is_a_clear_failure() {
    let msg = panic_message(catch_unwind(|| {
        ServerProcess::start(
            "ghost",
            std::path::Path::new("/nonexistent/redoubt-server"),
            &[],
        );
    }));
    assert!(
        msg.contains("cannot spawn /nonexistent/redoubt-server"),
        "{msg}"
    );
}

#[test]
fn many_servers_in_parallel_get_distinct_ports() {
    let handles: Vec<_> = (0..6)
        .map(|_| std::thread::spawn(|| ServerProcess::redis(&[])))
        .collect();
    let servers: Vec<ServerProcess> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| panic!("start failed")))
        .collect();
    let mut ports: Vec<u16> = servers.iter().map(ServerProcess::port).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), servers.len());
    for s in &servers {
        assert_eq!(s.client().cmd(&["PING"]), Reply::Simple("PONG".into()));
    }
}
