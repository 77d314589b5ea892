//! Fuzzes the RESP/inline request parser: any byte stream, fed in arbitrary chunks, must parse or
//! fail with a protocol error — never panic, never reserve far beyond what arrived.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redoubt_server::protocol::request::{Parsed, RequestParser};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map(|b| *b as usize).unwrap_or(0).min(data.len());
    let mut p = RequestParser::new(512 * 1024 * 1024);
    let mut buf = BytesMut::new();
    for chunk in [&data[..split], &data[split..]] {
        buf.extend_from_slice(chunk);
        for _ in 0..10_000 {
            match p.parse(&mut buf) {
                Ok(Parsed::Command(_)) => continue,
                Ok(Parsed::Incomplete) => break,
                Err(_) => return,
            }
        }
        assert!(buf.capacity() <= data.len() + (1 << 20) + 4096);
    }
});
