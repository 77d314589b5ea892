//! CRC-64/Jones as used by Redis for the RDB trailer and the DUMP payload footer.
//!
//! Parameters (the catalogue's CRC-64/REDIS): polynomial 0xad93d23594c935a9, reflected input and
//! output, initial value 0, no final xor. The check value of `"123456789"` is 0xe9c6d914c4b8d9ca.
//! The RDB file stores the CRC of every byte from the `REDIS` magic up to and including the EOF opcode,
//! as 8 little-endian bytes; a stored value of 0 means the writer did not compute it
//! (`rdbchecksum no`). Because init is 0 and there is no final xor, Redis's `crc64(crc, buf, len)`
//! can be chained; [`Crc64`] does the same with a running digest.

use crc_fast::{CrcAlgorithm, Digest};

/// A running CRC-64/Jones over a byte stream.
#[derive(Clone)]
pub struct Crc64 {
    digest: Digest,
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    /// A digest of the empty string (value 0).
    pub fn new() -> Self {
        Crc64 {
            digest: Digest::new(CrcAlgorithm::Crc64Redis),
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    /// The CRC of everything fed so far.
    pub fn value(&self) -> u64 {
        self.digest.finalize()
    }
}

/// CRC-64/Jones of one buffer.
pub fn crc64(data: &[u8]) -> u64 {
    crc_fast::checksum(CrcAlgorithm::Crc64Redis, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_matches_redis_crc64_test() {
        // Redis's own crc64 self-test (src/crc64.c): crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn chained_updates_equal_one_shot() {
        let data = b"This is a test of the emergency broadcast system.";
        let mut c = Crc64::new();
        c.update(&data[..10]);
        c.update(&data[10..]);
        assert_eq!(c.value(), crc64(data));
        assert_eq!(Crc64::new().value(), 0);
    }

    proptest::proptest! {
        /// crc-fast agrees with the catalogue's table-driven CRC-64/REDIS, in one piece and fed
        /// in two (its SIMD folding takes over past a few hundred bytes).
        #[test]
        fn agrees_with_the_table_driven_crc(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..5000),
            cut in 0usize..5000,
        ) {
            let table = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);
            proptest::prop_assert_eq!(crc64(&data), table.checksum(&data));
            let cut = cut.min(data.len());
            let mut c = Crc64::new();
            c.update(&data[..cut]);
            c.update(&data[cut..]);
            proptest::prop_assert_eq!(c.value(), table.checksum(&data));
        }
    }

    #[test]
    fn corpus_file_trailer_verifies() {
        // redis-rdb-tools' rdb_version_5_with_checksum.rdb: trailer 0x792e9530c6807218 (see EXPECTED.md).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/rdb-corpus/rdbtools/rdb_version_5_with_checksum.rdb"
        );
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let (body, trailer) = bytes.split_at(bytes.len() - 8);
        let stored = u64::from_le_bytes(trailer.try_into().unwrap());
        assert_eq!(stored, 0x792e9530c6807218);
        assert_eq!(crc64(body), stored);
    }
}
