//! Fuzzes the RDB reader and the DUMP payload decoder: any input is read to the end or rejected with
//! an error; nothing panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = redoubt_rdb::reader::parse(data);
    let _ = redoubt_rdb::reader::decode_dump_payload(data);
});
