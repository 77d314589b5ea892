//! Hash slots: which of the 16384 slots a key belongs to, exactly as Redis Cluster computes it.

/// Number of hash slots in a cluster.
pub const SLOT_COUNT: u16 = 16384;

/// The hash slot of `key`: CRC16-XMODEM of the key, or of the first non-empty `{...}` tag in it.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = hash_tag(key).unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(hashed) & (SLOT_COUNT - 1)
}

/// The part of `key` between the first `{` and the next `}`, when that part is non-empty.
fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&b| b == b'{')?;
    let close = key[open + 1..].iter().position(|&b| b == b'}')?;
    if close == 0 {
        None
    } else {
        Some(&key[open + 1..open + 1 + close])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster_keyslot() {
        // Values from `CLUSTER KEYSLOT` on redis-server 7.0.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(
            key_slot(b"{}foo"),
            crc16::State::<crc16::XMODEM>::calculate(b"{}foo") & 16383
        );
        assert_eq!(key_slot(b""), 0);
    }
}
