//! The replica link against a scripted master on loopback, for what a real Redis will not do on
//! demand: keepalive newlines before the PSYNC reply and the transfer header, an `$EOF:` mark split
//! across many small writes with a near-miss inside the payload and commands right behind the mark,
//! and the transient PSYNC errors.

use std::time::Duration;

use redoubt_replication::replica_link::{self, Handshake, LinkError, RdbFraming, Sync};
use redoubt_replication::wire::{self, EofMark};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const LIMIT: Duration = Duration::from_secs(20);

/// Reads one RESP multibulk command (the replica only sends those).
async fn read_command(r: &mut BufReader<TcpStream>) -> Vec<String> {
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    let n: usize = line.trim_end().trim_start_matches('*').parse().unwrap();
    let mut args = Vec::new();
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).await.unwrap();
        let len: usize = line.trim_end().trim_start_matches('$').parse().unwrap();
        let mut buf = vec![0u8; len + 2];
        r.read_exact(&mut buf).await.unwrap();
        buf.truncate(len);
        args.push(String::from_utf8(buf).unwrap());
    }
    args
}

/// Answers PING and the REPLCONF pipeline, returns the PSYNC arguments.
async fn handshake(r: &mut BufReader<TcpStream>) -> Vec<String> {
    assert_eq!(read_command(r).await, ["PING"]);
    r.get_mut().write_all(b"+PONG\r\n").await.unwrap();
    assert_eq!(
        read_command(r).await,
        ["REPLCONF", "listening-port", "7000"]
    );
    assert_eq!(
        read_command(r).await,
        ["REPLCONF", "ip-address", "10.1.2.3"]
    );
    assert_eq!(
        read_command(r).await,
        ["REPLCONF", "capa", "eof", "capa", "psync2"]
    );
    r.get_mut()
        .write_all(b"+OK\r\n-ERR unknown option\r\n+OK\r\n")
        .await
        .unwrap();
    read_command(r).await
}

fn hs() -> Handshake {
    let mut h = Handshake::new(7000);
    h.ip_address = Some("10.1.2.3".into());
    h.timeout = Duration::from_secs(5);
    h
}

#[tokio::test]
async fn eof_mark_split_across_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mark = EofMark::random();
    let mut payload = b"REDIS0010 pretend payload ".to_vec();
    payload.extend_from_slice(&mark.0[..39]); // a near-miss must stay payload
    payload.extend((0..5000u32).map(|i| (i % 251) as u8));
    payload.extend_from_slice(&mark.0[..20]);
    let expected = payload.clone();

    let master = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        s.set_nodelay(true).unwrap();
        let mut r = BufReader::new(s);
        assert_eq!(handshake(&mut r).await, ["PSYNC", "?", "-1"]);
        let w = r.get_mut();
        w.write_all(b"\n\n").await.unwrap(); // keepalives before the reply
        w.write_all(b"+FULLRESYNC 8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb 1234\r\n")
            .await
            .unwrap();
        w.write_all(b"\n").await.unwrap(); // keepalive before the header
        w.write_all(&wire::format_rdb_eof_header(&mark))
            .await
            .unwrap();
        let mut stream = payload.clone();
        stream.extend_from_slice(&mark.0);
        stream.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        for piece in stream.chunks(7) {
            w.write_all(piece).await.unwrap();
            w.flush().await.unwrap();
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        // The replica's first ACK after a diskless transfer.
        assert_eq!(read_command(&mut r).await, ["REPLCONF", "ACK", "1234"]);
    });

    let Sync::Full {
        replid,
        offset,
        mut rdb,
    } = tokio::time::timeout(LIMIT, replica_link::connect(addr, &hs()))
        .await
        .unwrap()
        .unwrap()
    else {
        panic!("full sync expected");
    };
    assert_eq!(
        replid.to_string(),
        "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb"
    );
    assert_eq!(offset, 1234);
    assert_eq!(rdb.framing(), RdbFraming::EofMark);
    let mut got = Vec::new();
    let mut chunks = 0;
    while let Some(c) = tokio::time::timeout(LIMIT, rdb.next_chunk())
        .await
        .unwrap()
        .unwrap()
    {
        got.extend_from_slice(&c);
        chunks += 1;
    }
    assert!(chunks > 1);
    assert_eq!(got, expected);
    let mut link = rdb.into_link().await.unwrap();
    let (args, n) = tokio::time::timeout(LIMIT, link.next_command())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(args, vec![bytes::Bytes::from_static(b"PING")]);
    assert_eq!(n, 14);
    assert_eq!(link.offset(), 1248);
    master.await.unwrap();
}

#[tokio::test]
async fn length_framing_leaves_the_stream_behind() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let master = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut r = BufReader::new(s);
        let psync = handshake(&mut r).await;
        assert_eq!(
            psync,
            ["PSYNC", "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb", "101"]
        );
        // Redis answers FULLRESYNC when it cannot continue.
        r.get_mut()
            .write_all(
                b"+FULLRESYNC 8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb 500\r\n$5\r\nhello*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
            )
            .await
            .unwrap();
        // No ACK for disk-based transfers; keep the socket open until the replica is done.
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), r.read_to_end(&mut rest)).await;
    });
    let mut h = hs();
    h.psync = Some((
        "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb".parse().unwrap(),
        100,
    ));
    let Sync::Full { mut rdb, .. } = replica_link::connect(addr, &h).await.unwrap() else {
        panic!("full sync expected");
    };
    assert_eq!(rdb.framing(), RdbFraming::Length(5));
    assert_eq!(rdb.read_to_vec(1024).await.unwrap(), b"hello");
    let mut link = rdb.into_link().await.unwrap();
    let (args, n) = link.next_command().await.unwrap();
    assert_eq!(args.len(), 2);
    assert_eq!(n, 23);
    assert_eq!(link.offset(), 523);
    drop(link);
    master.await.unwrap();
}

#[tokio::test]
async fn transient_and_fatal_psync_errors() {
    for (reply, want_retry) in [
        (
            &b"-LOADING Redis is loading the dataset in memory\r\n"[..],
            true,
        ),
        (
            &b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"[..],
            true,
        ),
        (&b"-ERR unknown command 'PSYNC'\r\n"[..], false),
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let master = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut r = BufReader::new(s);
            handshake(&mut r).await;
            r.get_mut().write_all(reply).await.unwrap();
        });
        let err = tokio::time::timeout(LIMIT, replica_link::connect(addr, &hs()))
            .await
            .unwrap()
            .unwrap_err();
        if want_retry {
            assert!(matches!(err, LinkError::TryLater(_)), "{err}");
        } else {
            assert!(matches!(err, LinkError::PsyncRejected(_)), "{err}");
        }
        master.await.unwrap();
    }
}

#[tokio::test]
async fn silent_master_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let master = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(s);
    });
    let mut h = hs();
    h.timeout = Duration::from_millis(300);
    let err = replica_link::connect(addr, &h).await.unwrap_err();
    assert!(matches!(err, LinkError::Timeout(_)), "{err}");
    master.await.unwrap();
}
