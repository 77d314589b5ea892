//! Writer → reader round trips for RDB 9, 10 and 11 without a server: every value type, small and
//! large (so both compact and plain encodings), metadata, aux fields, functions and module data.

use redoubt_rdb::format as f;
use redoubt_rdb::reader::{parse, Checksum};
use redoubt_rdb::stream::{
    Consumer, ConsumerGroup, PendingEntry, StreamEntry, StreamId, StreamMeta,
};
use redoubt_rdb::value::{KeyMeta, ModuleAux, ModuleId, ModuleValue, Stream, Value};
use redoubt_rdb::writer::{Writer, WriterOptions};

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn values() -> Vec<(Vec<u8>, Value)> {
    let id = |ms, seq| StreamId { ms, seq };
    let entries: Vec<StreamEntry> = (0..250u64)
        .map(|i| StreamEntry {
            id: id(1000 + i / 3, i % 3),
            fields: vec![(b("f"), i.to_string().into_bytes()), (b("g"), b("x"))],
        })
        .collect();
    let stream = Stream {
        entries,
        nodes: Vec::new(),
        meta: StreamMeta {
            length: 250,
            last_id: id(1083, 0),
            first_id: Some(id(1000, 0)),
            max_deleted_id: Some(id(0, 0)),
            entries_added: Some(250),
        },
        groups: vec![ConsumerGroup {
            name: b("g"),
            last_id: id(1001, 0),
            entries_read: Some(4),
            pending: vec![PendingEntry {
                id: id(1000, 1),
                delivery_time_ms: 5,
                delivery_count: 2,
            }],
            consumers: vec![Consumer {
                name: b("c"),
                seen_time_ms: 7,
                active_time_ms: Some(7),
                pending: vec![id(1000, 1)],
            }],
        }],
    };
    vec![
        (b("s"), Value::String(b("hello"))),
        (b("i"), Value::String(b("-123456"))),
        (b("lzf"), Value::String(b("abc").repeat(100))),
        (
            b("l"),
            Value::List((0..5000).map(|i| format!("e{i}").into_bytes()).collect()),
        ),
        (b("intset"), Value::Set(vec![b("3"), b("1"), b("2")])),
        (b("set"), Value::Set(vec![b("a"), b("b")])),
        (
            b("bigset"),
            Value::Set((0..1000).map(|i| format!("m{i}").into_bytes()).collect()),
        ),
        (
            b("z"),
            Value::SortedSet(vec![(b("a"), 1.5), (b("b"), -2.0)]),
        ),
        (
            b("bigz"),
            Value::SortedSet(
                (0..500)
                    .map(|i| (format!("m{i}").into_bytes(), i as f64 / 3.0))
                    .collect(),
            ),
        ),
        (
            b("h"),
            Value::Hash(vec![(b("f"), b("v")), (b("n"), b("7"))]),
        ),
        (b("bigh"), Value::Hash(vec![(b("f"), b("v").repeat(100))])),
        (b("stream"), Value::Stream(Box::new(stream))),
        (
            b("mod"),
            Value::Module(ModuleValue {
                id: ModuleId(0x1234_5678_9abc_0001),
                payload: vec![2, 5, 0],
            }),
        ),
    ]
}

#[test]
fn every_version_reads_back_what_it_wrote() {
    for version in [9u32, 10, 11] {
        let mut w = Writer::new(Vec::new(), WriterOptions::version(version)).unwrap();
        w.standard_aux("7.0.15", 1, 2).unwrap();
        w.module_aux(&ModuleAux {
            id: ModuleId(42 << 10 | 3),
            when_opcode: 2,
            when: 2,
            payload: vec![2, 1, 0],
        })
        .unwrap();
        if version >= 10 {
            w.function(b"#!lua name=x\nredis.register_function('f', function() return 1 end)")
                .unwrap();
        } else {
            assert!(w.function(b"x").is_err());
        }
        w.select_db(2).unwrap();
        w.resize_db(13, 1).unwrap();
        for (i, (k, v)) in values().iter().enumerate() {
            let meta = if i == 0 {
                KeyMeta {
                    expire_ms: Some(1234),
                    idle: Some(5),
                    freq: None,
                }
            } else {
                KeyMeta::default()
            };
            w.key(k, v, &meta).unwrap();
        }
        let bytes = w.finish().unwrap();
        assert_eq!(&bytes[..9], format!("REDIS{version:04}").as_bytes());
        let file = parse(&bytes).unwrap();
        assert!(matches!(file.trailer.checksum, Checksum::Verified(_)));
        assert_eq!(file.aux[0], (b("redis-ver"), b("7.0.15")));
        assert_eq!(file.module_aux.len(), 1);
        assert_eq!(file.functions.len(), usize::from(version >= 10));
        assert_eq!(
            file.records[0].meta,
            KeyMeta {
                expire_ms: Some(1234),
                idle: Some(5),
                freq: None
            }
        );
        for (r, (k, v)) in file.records.iter().zip(values()) {
            assert_eq!(r.db, 2);
            assert_eq!(r.key, k);
            let want = match v {
                Value::SortedSet(mut z) => {
                    z.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then(a.0.cmp(&b.0)));
                    if r.rdb_type == f::ZSET_2 {
                        z.reverse();
                    }
                    Value::SortedSet(z)
                }
                Value::Set(s) if r.rdb_type == f::SET_INTSET => {
                    let mut s = s;
                    s.sort_by_key(|m| String::from_utf8_lossy(m).parse::<i64>().unwrap());
                    Value::Set(s)
                }
                Value::Stream(mut s) if version == 9 => {
                    s.meta.first_id = None;
                    s.meta.max_deleted_id = None;
                    s.meta.entries_added = None;
                    s.groups[0].entries_read = None;
                    s.groups[0].consumers[0].active_time_ms = None;
                    Value::Stream(s)
                }
                Value::Stream(mut s) if version == 10 => {
                    s.groups[0].consumers[0].active_time_ms = None;
                    Value::Stream(s)
                }
                v => v,
            };
            assert_eq!(
                r.value,
                want,
                "RDB {version}, key {}",
                String::from_utf8_lossy(&k)
            );
        }
        let types: Vec<u8> = file.records.iter().map(|r| r.rdb_type).collect();
        let want_types = match version {
            9 => [0, 0, 0, 14, 11, 2, 2, 12, 5, 13, 4, 15, 7],
            10 => [0, 0, 0, 18, 11, 2, 2, 17, 5, 16, 4, 19, 7],
            _ => [0, 0, 0, 18, 11, 20, 2, 17, 5, 16, 4, 21, 7],
        };
        assert_eq!(types, want_types, "RDB {version}");
    }
}

/// A stream carrying its nodes (as read with `raw_stream_nodes`) is written with those nodes
/// verbatim: writing it back gives the same file byte for byte, at every version.
#[test]
fn stream_nodes_are_written_verbatim() {
    use redoubt_rdb::reader::{Event, Reader, ReaderOptions};
    let stream = values()
        .into_iter()
        .find(|(k, _)| k == b"stream")
        .expect("the stream value")
        .1;
    for version in [9u32, 10, 11] {
        let write = |v: &Value| {
            let mut w = Writer::new(Vec::new(), WriterOptions::version(version)).unwrap();
            w.select_db(0).unwrap();
            w.key(b"stream", v, &KeyMeta::default()).unwrap();
            w.finish().unwrap()
        };
        let from_entries = write(&stream);
        let mut rd = Reader::with_options(
            &from_entries[..],
            ReaderOptions {
                verify_checksum: true,
                raw_stream_nodes: true,
            },
        )
        .unwrap();
        let mut raw = None;
        while let Some(ev) = rd.next_event().unwrap() {
            if let Event::Key(h) = ev {
                raw = Some(rd.read_value(&h).unwrap());
            }
        }
        let raw = raw.expect("the stream key");
        let Value::Stream(s) = &raw else {
            panic!("not a stream: {raw:?}")
        };
        assert!(s.entries.is_empty());
        assert!(s.nodes.len() > 1, "several nodes");
        assert_eq!(write(&raw), from_entries, "version {version}");
    }
}

/// The borrowed, streaming writers for big collections produce the very bytes `key` writes for
/// the owned value.
#[test]
fn plain_collection_writers_match_key() {
    let n = 1000usize;
    let fields: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            (
                format!("field:{i}").into_bytes(),
                format!("value {i}").repeat(i % 7 + 1).into_bytes(),
            )
        })
        .collect();
    let members: Vec<Vec<u8>> = (0..n).map(|i| format!("member:{i}").into_bytes()).collect();
    let mut scored: Vec<(Vec<u8>, f64)> = (0..n)
        .map(|i| (format!("m{i}").into_bytes(), (i % 37) as f64 * 0.5 - 3.0))
        .collect();
    let meta = KeyMeta {
        expire_ms: Some(99),
        idle: None,
        freq: None,
    };
    for version in [9u32, 10, 11] {
        let file = |f: &dyn Fn(&mut Writer<Vec<u8>>)| {
            let mut w = Writer::new(Vec::new(), WriterOptions::version(version)).unwrap();
            w.select_db(0).unwrap();
            f(&mut w);
            w.finish().unwrap()
        };
        for text in [
            &b"short"[..],
            b"12345",
            &[b'x'; 64],
            b"a longer value that LZF may compress",
        ] {
            let owned = file(&|w| w.key(b"k", &Value::String(text.to_vec()), &meta).unwrap());
            let borrowed = file(&|w| w.key_string(b"k", text, &meta).unwrap());
            assert_eq!(owned, borrowed, "string, version {version}");
        }
        for len in [0usize, 3, 5000] {
            let items: Vec<Vec<u8>> = members.iter().cycle().take(len).cloned().collect();
            let owned = file(&|w| w.key(b"l", &Value::List(items.clone()), &meta).unwrap());
            let refs: Vec<&[u8]> = items.iter().map(|e| &e[..]).collect();
            let borrowed = file(&|w| w.key_list(b"l", &refs, &meta).unwrap());
            assert_eq!(owned, borrowed, "list of {len}, version {version}");
        }
        let owned = file(&|w| w.key(b"h", &Value::Hash(fields.clone()), &meta).unwrap());
        let borrowed = file(&|w| {
            w.key_hash_plain(b"h", n, fields.iter().map(|(f, v)| (&f[..], &v[..])), &meta)
                .unwrap()
        });
        assert_eq!(owned, borrowed, "hash, version {version}");
        let owned = file(&|w| w.key(b"s", &Value::Set(members.clone()), &meta).unwrap());
        let borrowed = file(&|w| {
            w.key_set_plain(b"s", n, members.iter().map(|m| &m[..]), &meta)
                .unwrap()
        });
        assert_eq!(owned, borrowed, "set, version {version}");
        let owned = file(&|w| {
            w.key(b"z", &Value::SortedSet(scored.clone()), &meta)
                .unwrap()
        });
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
        let borrowed = file(&|w| {
            w.key_zset_plain(b"z", n, scored.iter().map(|(m, s)| (&m[..], *s)), &meta)
                .unwrap()
        });
        assert_eq!(owned, borrowed, "zset, version {version}");
        // Streams carrying their nodes: the nodes are written as they are, whatever they hold.
        let id = |ms, seq| StreamId { ms, seq };
        let stream = Stream {
            entries: Vec::new(),
            meta: StreamMeta {
                length: 250,
                last_id: id(900, 3),
                first_id: Some(id(5, 0)),
                max_deleted_id: Some(id(7, 1)),
                entries_added: Some(260),
            },
            groups: vec![ConsumerGroup {
                name: b"g".to_vec(),
                last_id: id(800, 0),
                entries_read: Some(240),
                pending: vec![PendingEntry {
                    id: id(5, 0),
                    delivery_time_ms: 1234,
                    delivery_count: 2,
                }],
                consumers: vec![Consumer {
                    name: b"alice".to_vec(),
                    seen_time_ms: 1300,
                    active_time_ms: None,
                    pending: vec![id(5, 0)],
                }],
            }],
            nodes: (0..300u64)
                .map(|i| {
                    (
                        id(i * 3, 0),
                        format!("node {i} ")
                            .repeat(i as usize % 50 + 1)
                            .into_bytes(),
                    )
                })
                .collect(),
        };
        let owned = file(&|w| {
            w.key(b"x", &Value::Stream(Box::new(stream.clone())), &meta)
                .unwrap()
        });
        let borrowed = file(&|w| {
            let nodes = stream.nodes.iter().map(|(m, lp)| (*m, &lp[..]));
            w.key_stream_nodes(
                b"x",
                stream.nodes.len(),
                nodes,
                &stream.meta,
                &stream.groups,
                &meta,
            )
            .unwrap()
        });
        assert_eq!(owned, borrowed, "stream, version {version}");
    }
    // A count that does not match what was announced is an error.
    let mut w = Writer::new(Vec::new(), WriterOptions::version(11)).unwrap();
    assert!(w
        .key_set_plain(b"s", 3, members.iter().take(2).map(|m| &m[..]), &meta)
        .is_err());
}
