//! Fuzzes stream nodes adopted with only their header checked (what loading a checksummed RDB
//! does): the node check either rejects the bytes or the node is adopted, and then no stream
//! operation panics, whatever lies inside the node.
#![no_main]
use libfuzzer_sys::fuzz_target;
use redoubt_server::types::stream::{NodeCheck, Stream, StreamId, TrimStrategy};

fuzz_target!(|data: &[u8]| {
    // A valid header and end marker, so the fuzzer spends its time on the body.
    let mut node = vec![0u8; 6];
    node.extend_from_slice(data);
    node.push(0xff);
    let n = node.len() as u32;
    node[..4].copy_from_slice(&n.to_le_bytes());
    node[4..6].copy_from_slice(&0xffffu16.to_le_bytes());
    let master = StreamId { ms: 1000, seq: 0 };
    let mut s = Stream::new();
    let Ok((live, last)) = s.adopt_node(master, node, NodeCheck::Header) else {
        return;
    };
    s.length = live;
    s.last_id = last.unwrap_or(master);
    let (min, max) = (
        StreamId { ms: 0, seq: 0 },
        StreamId {
            ms: u64::MAX,
            seq: u64::MAX,
        },
    );
    let _ = s.range(min, max, false, 0);
    let _ = s.range(min, max, true, 3);
    let _ = s.get(master);
    let _ = s.edge_id(true, true);
    let _ = s.edge_id(false, false);
    let _ = s.check_nodes();
    for ms in 1000..1004 {
        s.delete(StreamId { ms, seq: 0 });
    }
    let next = StreamId {
        ms: s.last_id.ms.saturating_add(1),
        seq: 0,
    };
    s.append(next, &[(b"f", b"v")], 4096, 100);
    s.trim(TrimStrategy::MaxLen(1), false, 0);
    let _ = s.range(min, max, false, 0);
});
