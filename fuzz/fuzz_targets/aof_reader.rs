//! Fuzzes the AOF command reader and the manifest parser: any bytes must read as commands and
//! annotations up to a clean end or an error carrying an offset inside the input — never panic,
//! never allocate from a length field the input does not back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use redoubt_aof::command::CommandReader;
use redoubt_aof::manifest::Manifest;

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::parse(data);
    let mut r = CommandReader::new(data);
    for _ in 0..100_000 {
        match r.next() {
            Ok(Some(item)) => assert!(item.offset() < data.len() as u64),
            Ok(None) => break,
            Err(e) => {
                assert!(e.offset <= data.len() as u64);
                break;
            }
        }
    }
});
