//! Corrupt and truncated input never panics: every prefix of every small corpus file is rejected
//! with an offset, every single-bit flip of it decodes or fails cleanly, and random inputs to each
//! codec are handled. Plus model-based property tests of the owned Listpack and Intset.

use std::path::PathBuf;

use proptest::prelude::*;
use redoubt_rdb::reader::{self, decode_dump_payload, Event, Reader, ReaderOptions};
use redoubt_rdb::{intset::Intset, length, listpack, lzf, ziplist, zipmap, Error, Listpack};

fn small_corpus_files(max_len: usize) -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/rdb-corpus"
    ));
    let mut out = Vec::new();
    for sub in ["redis", "rdbtools"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let is_dump = p.extension().is_some_and(|x| x == "rdb" || x == "aof");
            if let (true, Ok(b)) = (is_dump, std::fs::read(&p)) {
                if b.len() <= max_len {
                    out.push((p.display().to_string(), b));
                }
            }
        }
    }
    out.sort();
    out
}

/// Runs the streaming reader to the end, also collecting values, the way every consumer does.
fn drive(bytes: &[u8], verify: bool) -> Result<u64, Error> {
    let mut rd = Reader::with_options(
        bytes,
        ReaderOptions {
            verify_checksum: verify,
            ..ReaderOptions::default()
        },
    )?;
    let mut end = 0;
    while let Some(ev) = rd.next_event()? {
        match ev {
            Event::Key(h) => {
                rd.read_value(&h)?;
            }
            Event::Eof(t) => end = t.end_offset,
            _ => {}
        }
    }
    Ok(end)
}

/// Runs the reader in validate-only mode (`redoubt-rdb check`); items must never appear.
fn drive_validate_only(bytes: &[u8], verify: bool) -> Result<u64, Error> {
    let mut rd = Reader::with_options(
        bytes,
        ReaderOptions {
            verify_checksum: verify,
            ..ReaderOptions::default()
        },
    )?;
    rd.set_validate_only(true);
    let mut end = 0;
    while let Some(ev) = rd.next_event()? {
        match ev {
            Event::Item(_) => panic!("an item in validate-only mode"),
            Event::Eof(t) => end = t.end_offset,
            _ => {}
        }
    }
    Ok(end)
}

#[test]
fn validate_only_mode_accepts_and_rejects_exactly_like_full_decoding() {
    for (name, bytes) in small_corpus_files(1024) {
        let outcome = |r: Result<u64, Error>| r.map_err(|e| e.to_string());
        assert_eq!(
            outcome(drive_validate_only(&bytes, true)),
            outcome(drive(&bytes, true)),
            "{name}"
        );
        let mut m = bytes.clone();
        for i in 0..m.len() {
            for bit in [0, 3, 7] {
                m[i] ^= 1 << bit;
                assert_eq!(
                    outcome(drive_validate_only(&m, false)),
                    outcome(drive(&m, false)),
                    "{name}: byte {i} bit {bit}"
                );
                m[i] ^= 1 << bit;
            }
        }
    }
}

#[test]
fn every_truncation_is_an_error_with_an_offset() {
    let files = small_corpus_files(4096);
    assert!(
        files.is_empty() || files.len() >= 20,
        "found {}",
        files.len()
    );
    for (name, bytes) in &files {
        let Ok(end) = drive(bytes, true) else {
            continue;
        }; // corrupt_ziplist.rdb
        for cut in 0..end as usize {
            match drive(&bytes[..cut], true) {
                Ok(_) => panic!("{name}: prefix of {cut} bytes accepted"),
                Err(e) => {
                    let off = e.offset().expect("an offset");
                    assert!(
                        off <= cut as u64,
                        "{name}: cut {cut}: offset {off} beyond input: {e}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_bit_flip_decodes_or_fails_cleanly() {
    for (_, bytes) in small_corpus_files(2048) {
        let mut m = bytes.clone();
        for i in 0..m.len() {
            for bit in 0..8 {
                m[i] ^= 1 << bit;
                let _ = drive(&m, false);
                m[i] ^= 1 << bit;
            }
        }
    }
}

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    // REDIS0010, a string key whose length says 2^62 bytes, then nothing.
    let mut f = b"REDIS0010\x00\x81".to_vec();
    f.extend_from_slice(&(1u64 << 62).to_be_bytes());
    let e = drive(&f, true).unwrap_err();
    assert!(matches!(e, Error::Truncated { offset: 19, .. }), "{e}"); // where the key bytes should start
                                                                      // A list claiming 2^62 elements, with one present.
    let mut f = b"REDIS0010\x01\x01k\x81".to_vec();
    f.extend_from_slice(&(1u64 << 62).to_be_bytes());
    f.extend_from_slice(b"\x01a");
    assert!(matches!(
        drive(&f, true).unwrap_err(),
        Error::Truncated { .. }
    ));
    // LZF claiming a 1 GiB result from 3 bytes.
    let f = b"REDIS0010\x00\x01k\xc3\x03\x80\x40\x00\x00\x00\x00\x00\x00";
    assert!(drive(f, true).is_err());
}

#[test]
fn checksum_mismatch_is_reported_with_offset() {
    let Some((_, bytes)) = small_corpus_files(4096)
        .into_iter()
        .find(|(n, _)| n.ends_with("rdb_version_5_with_checksum.rdb"))
    else {
        return;
    };
    let mut b = bytes.clone();
    let n = b.len();
    b[n - 1] ^= 1;
    match drive(&b, true) {
        Err(Error::Checksum { offset, .. }) => assert_eq!(offset, (n - 8) as u64),
        other => panic!("{other:?}"),
    }
    assert!(drive(&b, false).is_ok());
    let file = reader::parse(&bytes).unwrap();
    assert_eq!(file.records.len(), 6);
}

#[derive(Debug, Clone)]
enum Op {
    PushBack(Vec<u8>),
    PushFront(Vec<u8>),
    Insert(usize, Vec<u8>),
    Delete(usize),
    Replace(usize, Vec<u8>),
    DeleteRange(usize, usize),
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        (-5000i64..5000).prop_map(|i| i.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..80),
        proptest::collection::vec(any::<u8>(), 4000..4200),
        Just(b"007".to_vec()),
        Just(b"-0".to_vec()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        element().prop_map(Op::PushBack),
        element().prop_map(Op::PushFront),
        (0usize..20, element()).prop_map(|(i, e)| Op::Insert(i, e)),
        (0usize..20).prop_map(Op::Delete),
        (0usize..20, element()).prop_map(|(i, e)| Op::Replace(i, e)),
        (0usize..20, 0usize..5).prop_map(|(i, n)| Op::DeleteRange(i, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn listpack_behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..40)) {
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for op in ops {
            match op {
                Op::PushBack(e) => { lp.push_back(&e); model.push(e); }
                Op::PushFront(e) => { lp.push_front(&e); model.insert(0, e); }
                Op::Insert(i, e) => {
                    let ok = lp.insert(i, &e);
                    prop_assert_eq!(ok, i <= model.len());
                    if ok { model.insert(i, e); }
                }
                Op::Delete(i) => {
                    prop_assert_eq!(lp.delete(i), i < model.len());
                    if i < model.len() { model.remove(i); }
                }
                Op::Replace(i, e) => {
                    prop_assert_eq!(lp.replace(i, &e), i < model.len());
                    if i < model.len() { model[i] = e; }
                }
                Op::DeleteRange(i, n) => {
                    let want = if i < model.len() { n.min(model.len() - i) } else { 0 };
                    prop_assert_eq!(lp.delete_range(i, n), want);
                    if want > 0 { model.drain(i..i + want); }
                }
            }
            prop_assert_eq!(listpack::validate(lp.as_bytes()), Ok(model.len()));
        }
        let fwd: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        prop_assert_eq!(&fwd, &model);
        let mut back: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
        back.reverse();
        prop_assert_eq!(&back, &model);
        // Same bytes as building the final sequence from scratch (encoding depends only on values).
        let mut fresh = Listpack::new();
        for e in &model { fresh.push_back(e); }
        prop_assert_eq!(fresh.as_bytes(), lp.as_bytes());
    }

    #[test]
    fn intset_behaves_like_a_sorted_set(vals in proptest::collection::vec(any::<i64>(), 0..60), dels in proptest::collection::vec(any::<prop::sample::Index>(), 0..10)) {
        let mut s = Intset::new();
        let mut model = std::collections::BTreeSet::new();
        for v in &vals { prop_assert_eq!(s.insert(*v), model.insert(*v)); }
        for d in dels {
            if vals.is_empty() { break; }
            let v = vals[d.index(vals.len())];
            prop_assert_eq!(s.remove(v), model.remove(&v));
        }
        prop_assert_eq!(s.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
        prop_assert!(Intset::from_bytes_validated(s.as_bytes().to_vec()).is_ok());
    }

    #[test]
    fn lzf_round_trips(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
        let mut c = lzf::Compressor::new();
        if let Some(z) = c.compress(&data, data.len() + 64) {
            prop_assert_eq!(lzf::decompress(z, data.len()).unwrap(), data.clone());
        }
        if let Some(z) = lzf::compress_for_rdb(&mut c, &data) {
            prop_assert!(z.len() <= data.len() - 4);
            prop_assert_eq!(lzf::decompress(z, data.len()).unwrap(), data);
        }
    }

    #[test]
    fn ziplist_builder_round_trips(items in proptest::collection::vec(element(), 0..30)) {
        let mut b = ziplist::ZiplistBuilder::new();
        for i in &items { b.push(i); }
        let zl = b.finish();
        let got: Vec<Vec<u8>> = ziplist::decode(&zl).unwrap().iter().map(|e| e.to_vec()).collect();
        prop_assert_eq!(got, items);
    }

    #[test]
    fn codecs_never_panic_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(lp) = Listpack::from_bytes_validated(data.clone()) {
            prop_assert_eq!(lp.iter().count(), lp.iter().rev().count());
        }
        let _ = ziplist::decode(&data);
        let _ = zipmap::decode(&data);
        let _ = Intset::from_bytes_validated(data.clone());
        let _ = lzf::decompress(&data, data.len() * 3);
        let _ = decode_dump_payload(&data);
        let _ = length::read_string(&mut redoubt_rdb::source::SliceInput::new(&data, 0), "s");
        let mut file = b"REDIS0011".to_vec();
        file.extend_from_slice(&data);
        let _ = drive(&file, false);
    }

    #[test]
    fn dump_payloads_with_valid_footer_never_panic(body in proptest::collection::vec(any::<u8>(), 1..200)) {
        let mut p = body.clone();
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = redoubt_rdb::crc64::crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        let _ = decode_dump_payload(&p);
    }
}
