//! Pub/sub compared with redis-server: SUBSCRIBE/PSUBSCRIBE/UNSUBSCRIBE/PUNSUBSCRIBE replies,
//! message delivery, PUBLISH receiver counts, PUBSUB CHANNELS/NUMSUB/NUMPAT, the subscribed-mode
//! command restrictions of RESP2, RESP3 push frames, and keyspace notifications.

use redoubt_tests::{Compare, Pair, PairConn, Reply};
use std::time::Duration;

/// Sends `args` to both and compares the `n` frames that follow.
fn send_expect(pc: &mut PairConn, args: &[&str], n: usize) {
    pc.send(args);
    pc.recv_check_many(n, Compare::Exact);
}

#[test]
fn subscribe_publish_unsubscribe() {
    let mut p = Pair::new();
    let mut publisher = p.connect();
    send_expect(&mut p, &["SUBSCRIBE", "a", "b", "a"], 3);
    publisher.check(&["PUBLISH", "a", "hello"]);
    p.recv_check();
    publisher.check(&["PUBLISH", "b", ""]);
    p.recv_check();
    publisher.check(&["PUBLISH", "nobody", "x"]);
    publisher.check(&["PUBLISH", "a", "bin\x00\r\nary"]);
    p.recv_check();
    send_expect(&mut p, &["PSUBSCRIBE", "a*", "?"], 2);
    // One message and one pmessage per matching pattern, patterns in no defined order.
    publisher.check(&["PUBLISH", "a", "both"]);
    p.recv_check_many(3, Compare::Unordered);
    publisher.check(&["PUBLISH", "ax", "pattern only"]);
    p.recv_check();
    publisher.check(&["PUBLISH", "z", "single char"]);
    p.recv_check();
    send_expect(&mut p, &["UNSUBSCRIBE", "a", "nope"], 2);
    send_expect(&mut p, &["PUNSUBSCRIBE", "?"], 1);
    publisher.check(&["PUBLISH", "a", "pattern still"]);
    p.recv_check();
    send_expect(&mut p, &["PUNSUBSCRIBE"], 1);
    send_expect(&mut p, &["UNSUBSCRIBE"], 1);
    send_expect(&mut p, &["UNSUBSCRIBE"], 1);
    send_expect(&mut p, &["PUNSUBSCRIBE"], 1);
    p.assert_silent(Duration::from_millis(50));
    // Out of subscribed mode again: ordinary commands work.
    p.check(&["PING"]);
    p.check(&["PUBLISH", "a", "x"]);
    p.check(&["SUBSCRIBE"]);
    p.check(&["PSUBSCRIBE"]);
    p.check(&["PUBLISH", "a"]);
}

#[test]
fn unsubscribe_all_reports_every_channel() {
    let p = Pair::new();
    let summary = p.each(|c| {
        c.send(&["SUBSCRIBE", "x", "y", "z"]);
        for _ in 0..3 {
            c.recv();
        }
        c.send(&["UNSUBSCRIBE"]);
        let frames: Vec<Reply> = (0..3).map(|_| c.recv()).collect();
        let mut channels: Vec<String> = frames
            .iter()
            .map(|f| {
                f.as_array()
                    .and_then(|a| a.get(1))
                    .and_then(Reply::as_text)
                    .unwrap_or_default()
            })
            .collect();
        channels.sort();
        let counts: Vec<i64> = frames
            .iter()
            .filter_map(|f| f.as_array().and_then(|a| a.get(2)).and_then(Reply::as_int))
            .collect();
        (channels, counts, c.cmd(&["PING"]))
    });
    assert_eq!(summary.1, vec![2, 1, 0]);
}

#[test]
fn subscribed_mode_restrictions_resp2() {
    let mut p = Pair::new();
    send_expect(&mut p, &["SUBSCRIBE", "ch"], 1);
    p.check(&["PING"]);
    p.check(&["PING", "hello"]);
    p.check(&["GET", "k"]);
    p.check(&["SET", "k", "v"]);
    p.check(&["PUBLISH", "ch", "x"]);
    p.check(&["MULTI"]);
    send_expect(&mut p, &["PSUBSCRIBE", "p*"], 1);
    send_expect(&mut p, &["SUBSCRIBE", "ch2"], 1);
    p.check(&["RESET"]);
    p.check(&["GET", "k"]);
    send_expect(&mut p, &["SUBSCRIBE", "ch"], 1);
    p.check(&["QUIT"]);
    p.assert_closed(Duration::from_secs(2));
}

#[test]
fn pubsub_introspection() {
    let mut p = Pair::new();
    let mut s1 = p.connect();
    let mut s2 = p.connect();
    send_expect(&mut s1, &["SUBSCRIBE", "news", "sport", "news.tech"], 3);
    send_expect(&mut s2, &["SUBSCRIBE", "news"], 1);
    send_expect(&mut s2, &["PSUBSCRIBE", "news.*", "x*"], 2);
    p.check_unordered(&["PUBSUB", "CHANNELS"]);
    p.check_unordered(&["PUBSUB", "CHANNELS", "news*"]);
    p.check_unordered(&["PUBSUB", "CHANNELS", "nomatch"]);
    p.check(&["PUBSUB", "NUMSUB", "news", "sport", "none"]);
    p.check(&["PUBSUB", "NUMSUB"]);
    p.check(&["PUBSUB", "NUMPAT"]);
    p.check(&["PUBLISH", "news", "n"]);
    p.check(&["PUBLISH", "news.tech", "t"]);
    s1.recv_check();
    s1.recv_check();
    s2.recv_check();
    s2.recv_check();
    p.check(&["PUBSUB", "BOGUS"]);
    p.check(&["PUBSUB"]);
    p.check(&["PUBSUB", "NUMPAT", "extra"]);
    p.check(&["PUBSUB", "CHANNELS", "a", "b"]);
    drop(s2);
    // The server notices the closed connection; wait for its subscriptions to go.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (a, b) = p.both(&["PUBSUB", "NUMPAT"]);
        if a == Reply::Integer(0) && b == Reply::Integer(0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "patterns of a closed client remain: {a} {b}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    p.check(&["PUBSUB", "NUMSUB", "news"]);
}

#[test]
fn resp3_push_messages() {
    let mut p = Pair::new();
    p.hello(3);
    let mut publisher = p.connect();
    send_expect(&mut p, &["SUBSCRIBE", "a", "b"], 2);
    // RESP3 clients may run any command while subscribed.
    p.check(&["SET", "k", "v"]);
    p.check(&["GET", "k"]);
    p.check(&["PING"]);
    publisher.check(&["PUBLISH", "a", "msg"]);
    p.recv_check();
    send_expect(&mut p, &["PSUBSCRIBE", "b*"], 1);
    publisher.check(&["PUBLISH", "b", "two"]);
    p.recv_check_many(2, Compare::Exact);
    send_expect(&mut p, &["UNSUBSCRIBE", "a", "b"], 2);
    send_expect(&mut p, &["PUNSUBSCRIBE", "b*"], 1);
    send_expect(&mut p, &["UNSUBSCRIBE"], 1);
    p.assert_silent(Duration::from_millis(50));
    p.check(&["PUBLISH", "a", "self"]);
}

/// True for the `message` frame of the `marker` channel.
fn is_marker(frame: &Reply) -> bool {
    frame.as_array().is_some_and(|a| {
        a.len() == 3
            && a[0].as_text().as_deref() == Some("message")
            && a[1].as_text().as_deref() == Some("marker")
    })
}

/// Runs `script` with notifications configured as `events`, comparing after each command
/// everything a `PSUBSCRIBE __key*__:*` listener received. A PUBLISH to `marker` after each
/// command ends its batch: delivery to one subscriber is ordered, so no timing is involved.
fn notifications(events: &str, script: &[&[&str]]) {
    let mut p = Pair::with_args(&["--notify-keyspace-events", events]);
    let mut listener = p.connect();
    send_expect(&mut listener, &["PSUBSCRIBE", "__key*__:*"], 1);
    send_expect(&mut listener, &["SUBSCRIBE", "marker"], 1);
    let mut total = 0;
    for (i, cmd) in script.iter().enumerate() {
        p.check(cmd);
        p.check(&["PUBLISH", "marker", &i.to_string()]);
        total += listener.recv_check_until(is_marker).len() - 1;
    }
    assert!(total > 0, "no notification at all with {events}");
    listener.assert_silent(Duration::from_millis(20));
}

#[test]
fn keyspace_notifications_all_events() {
    notifications(
        "KEA",
        &[
            &["SET", "k", "v"],
            &["APPEND", "k", "x"],
            &["INCR", "n"],
            &["INCRBYFLOAT", "n", "1.5"],
            &["EXPIRE", "k", "100"],
            &["PERSIST", "k"],
            &["RENAME", "k", "k2"],
            &["DEL", "k2", "n"],
            &["LPUSH", "l", "a", "b"],
            &["RPOP", "l"],
            &["LPOP", "l"],
            &["HSET", "h", "f", "v"],
            &["HDEL", "h", "f"],
            &["SADD", "s", "m"],
            &["SREM", "s", "m"],
            &["ZADD", "z", "1", "m"],
            &["ZINCRBY", "z", "1", "m"],
            &["ZREM", "z", "m"],
            &["SET", "e", "v", "EX", "100"],
            &["SETRANGE", "str", "0", "abc"],
            &["SETBIT", "bits", "1", "1"],
            &["PFADD", "hll", "x"],
            &["COPY", "bits", "bits2"],
            &["SET", "bits2", "x", "KEEPTTL"],
            &["GETDEL", "bits2"],
            &["DEL", "missing"],
            &["LMOVE", "nolist", "x", "LEFT", "LEFT"],
            &["RPUSH", "src", "1", "2"],
            &["LMOVE", "src", "dst", "LEFT", "RIGHT"],
            &["SINTERSTORE", "si", "missing"],
            &["SADD", "s1", "a"],
            &["SUNIONSTORE", "su", "s1"],
            &["ZADD", "z1", "1", "a"],
            &["ZUNIONSTORE", "zu", "1", "z1"],
            &["ZPOPMIN", "zu"],
            &["HINCRBY", "h", "c", "1"],
            &["MSET", "m1", "1", "m2", "2"],
            &["SWAPDB", "0", "1"],
            &["MOVE", "m1", "0"],
            &["FLUSHDB"],
            &["FLUSHALL"],
        ],
    );
}

#[test]
fn keyspace_notifications_filtered_classes() {
    // Only the keyspace channel, string and generic classes.
    notifications(
        "K$g",
        &[
            &["SET", "k", "v"],
            &["LPUSH", "l", "a"],
            &["DEL", "k", "l"],
            &["EXPIRE", "missing", "1"],
        ],
    );
    // Only the keyevent channel, list events.
    notifications(
        "El",
        &[
            &["SET", "k", "v"],
            &["RPUSH", "l", "a"],
            &["LMOVE", "l", "m", "LEFT", "RIGHT"],
        ],
    );
    // Hash, set, zset classes.
    notifications(
        "Khsz",
        &[
            &["HSET", "h", "f", "v"],
            &["SADD", "s", "m"],
            &["ZADD", "z", "1", "m"],
            &["SET", "x", "y"],
        ],
    );
}

#[test]
fn keyspace_notifications_expired_and_config() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
    p.check(&["CONFIG", "GET", "notify-keyspace-events"]);
    let mut listener = p.connect();
    send_expect(&mut listener, &["SUBSCRIBE", "__keyevent@0__:expired"], 1);
    p.check(&["SET", "k", "v", "PX", "30"]);
    // Active expiry fires the event without any access.
    listener.recv_check();
    p.check(&["CONFIG", "SET", "notify-keyspace-events", ""]);
    p.check(&["CONFIG", "GET", "notify-keyspace-events"]);
    p.check(&["SET", "k", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(30));
    p.check(&["GET", "k"]);
    listener.assert_silent(Duration::from_millis(100));
    p.check(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    p.check(&["CONFIG", "GET", "notify-keyspace-events"]);
    p.check(&["CONFIG", "SET", "notify-keyspace-events", "bogus!"]);
}

#[test]
fn subscriber_that_stops_reading_is_disconnected_and_nobody_else_suffers() {
    // 48 MB of messages to a subscriber that never reads: past the pub/sub output limit (32 MB
    // hard) both servers drop it; the publisher and other clients carry on.
    let p = Pair::new();
    let outcome = p.each(|publisher| {
        let port = publisher.port();
        let mut subscriber = redoubt_tests::Client::connect(port);
        subscriber.cmd(&["SUBSCRIBE", "firehose"]);
        let payload = vec![b'x'; 1 << 20];
        let mut delivered = 0;
        for _ in 0..48 {
            delivered += publisher
                .cmd(&[&b"PUBLISH"[..], b"firehose", &payload])
                .as_int()
                .unwrap_or(-1);
        }
        let alive = publisher.cmd(&["PING"]);
        // The server's word on it: the subscription is gone (the socket may still hold data).
        let subscribers = publisher
            .cmd(&["PUBSUB", "NUMSUB", "firehose"])
            .to_strings();
        drop(subscriber);
        (delivered >= 1, alive, subscribers)
    });
    assert_eq!(
        outcome.2,
        vec!["firehose".to_string(), ":0".to_string()],
        "the slow subscriber was not disconnected"
    );
}
