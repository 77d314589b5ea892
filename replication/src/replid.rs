//! Replication IDs: the 40-hex-character name of a replication history, and the pair of IDs
//! (`replid`, `replid2` valid up to `second_replid_offset`) that PSYNC2 uses to decide whether a
//! replica may continue a history instead of loading a full copy.
//!
//! Offsets follow Redis's convention: `master_repl_offset` counts the bytes of the replication stream
//! produced so far; a replica asking `PSYNC <replid> <offset>` names the first byte it has *not*
//! received yet (its processed offset + 1).

use std::fmt;
use std::str::FromStr;

use rand::RngCore;

use crate::backlog::Backlog;

/// Length of a replication ID (Redis's `CONFIG_RUN_ID_SIZE`).
pub const REPLID_LEN: usize = 40;

/// A replication ID: 40 hexadecimal characters, stored lowercase. Redis compares IDs
/// case-insensitively, so parsing normalises the case.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplId([u8; REPLID_LEN]);

/// Why a string is not a replication ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplIdError {
    #[error("a replication ID is {REPLID_LEN} characters, got {0}")]
    Length(usize),
    #[error("a replication ID is hexadecimal")]
    NotHex,
}

impl ReplId {
    /// A fresh random ID, as `changeReplicationId()` makes.
    pub fn random() -> ReplId {
        let mut raw = [0u8; REPLID_LEN / 2];
        rand::thread_rng().fill_bytes(&mut raw);
        let mut id = [0u8; REPLID_LEN];
        for (i, b) in raw.iter().enumerate() {
            id[2 * i] = HEX[(b >> 4) as usize];
            id[2 * i + 1] = HEX[(b & 0xf) as usize];
        }
        ReplId(id)
    }

    /// The all-zero ID Redis uses for "no secondary ID" (`clearReplicationId2`).
    pub const fn zero() -> ReplId {
        ReplId([b'0'; REPLID_LEN])
    }

    /// Parses 40 hex characters (either case).
    pub fn parse(s: &[u8]) -> Result<ReplId, ReplIdError> {
        if s.len() != REPLID_LEN {
            return Err(ReplIdError::Length(s.len()));
        }
        let mut id = [0u8; REPLID_LEN];
        for (dst, &c) in id.iter_mut().zip(s) {
            if !c.is_ascii_hexdigit() {
                return Err(ReplIdError::NotHex);
            }
            *dst = c.to_ascii_lowercase();
        }
        Ok(ReplId(id))
    }

    /// The ID as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8; REPLID_LEN] {
        &self.0
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Whether `other` names this ID, compared case-insensitively as Redis's `strcasecmp` does.
    pub fn matches(&self, other: &[u8]) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Display for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplId({})", self.as_str())
    }
}

impl FromStr for ReplId {
    type Err = ReplIdError;
    fn from_str(s: &str) -> Result<ReplId, ReplIdError> {
        ReplId::parse(s.as_bytes())
    }
}

/// The two IDs of an instance: `replid` names the current history; `replid2` the history it
/// continued from (the old master's ID after a promotion), valid for PSYNC offsets up to
/// `second_replid_offset` (-1 when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationIds {
    pub replid: ReplId,
    pub replid2: ReplId,
    pub second_replid_offset: i64,
}

impl Default for ReplicationIds {
    fn default() -> Self {
        ReplicationIds::new()
    }
}

impl ReplicationIds {
    /// A new history with a random ID and no secondary ID, as at server start.
    pub fn new() -> ReplicationIds {
        ReplicationIds::with_replid(ReplId::random())
    }

    /// The IDs of a replica that just completed a full sync from a master with `replid`.
    pub fn with_replid(replid: ReplId) -> ReplicationIds {
        ReplicationIds {
            replid,
            replid2: ReplId::zero(),
            second_replid_offset: -1,
        }
    }

    /// Starts a new history: a new random `replid` (`changeReplicationId`).
    pub fn change_replid(&mut self) {
        self.replid = ReplId::random();
    }

    /// Forgets the secondary ID (`clearReplicationId2`).
    pub fn clear_replid2(&mut self) {
        self.replid2 = ReplId::zero();
        self.second_replid_offset = -1;
    }

    /// What a replica does when promoted to master (`shiftReplicationId`): the current ID becomes
    /// `replid2`, valid up to `master_repl_offset + 1` (replicas that have the same first
    /// `master_repl_offset` bytes ask for byte `master_repl_offset + 1`), and a new random ID starts.
    pub fn shift(&mut self, master_repl_offset: u64) {
        self.shift_to(ReplId::random(), master_repl_offset);
    }

    /// Like [`shift`](Self::shift) but to a given ID: what a replica does when its master answers
    /// `+CONTINUE <new replid>` with a different ID (the master was promoted).
    pub fn shift_to(&mut self, new_replid: ReplId, master_repl_offset: u64) {
        self.replid2 = self.replid;
        self.second_replid_offset = offset_to_i64(master_repl_offset).saturating_add(1);
        self.replid = new_replid;
    }

    /// masterTryPartialResynchronization's decision: may a replica asking
    /// `PSYNC <requested_replid> <requested_offset>` continue from `backlog`?
    /// Yes when the ID is `replid`, or `replid2` with an offset no greater than
    /// `second_replid_offset`, and the backlog still holds every byte from `requested_offset` on.
    /// `?` (a replica forcing a full resync) never matches.
    pub fn can_continue(
        &self,
        requested_replid: &[u8],
        requested_offset: i64,
        backlog: &Backlog,
    ) -> bool {
        let history_ok = self.replid.matches(requested_replid)
            || (self.replid2.matches(requested_replid)
                && requested_offset <= self.second_replid_offset);
        history_ok && backlog.can_serve(requested_offset)
    }
}

fn offset_to_i64(o: u64) -> i64 {
    i64::try_from(o).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_40_lowercase_hex_and_differ() {
        let a = ReplId::random();
        let b = ReplId::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 40);
        assert!(a
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_eq!(ReplId::parse(a.as_bytes()).unwrap(), a);
    }

    #[test]
    fn parse_and_display() {
        let s = "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb";
        let id: ReplId = s.parse().unwrap();
        assert_eq!(id.to_string(), s);
        let upper: ReplId = s.to_ascii_uppercase().parse().unwrap();
        assert_eq!(upper, id);
        assert!(id.matches(s.to_ascii_uppercase().as_bytes()));
        assert_eq!(ReplId::parse(b"abc"), Err(ReplIdError::Length(3)));
        assert_eq!(
            ReplId::parse(b"8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeg"),
            Err(ReplIdError::NotHex)
        );
        assert!(!id.matches(b"?"));
        assert_eq!(
            ReplId::zero().as_str(),
            "0000000000000000000000000000000000000000"
        );
    }

    #[test]
    fn shift_keeps_old_history_up_to_offset_plus_one() {
        let mut ids = ReplicationIds::new();
        let old = ids.replid;
        ids.shift(50);
        assert_eq!(ids.replid2, old);
        assert_eq!(ids.second_replid_offset, 51);
        assert_ne!(ids.replid, old);
        ids.clear_replid2();
        assert_eq!(ids.replid2, ReplId::zero());
        assert_eq!(ids.second_replid_offset, -1);
    }

    #[test]
    fn can_continue_follows_master_try_partial_resynchronization() {
        // Backlog holding bytes 1..=100 of the stream.
        let mut backlog = Backlog::new(1024);
        backlog.append(&[b'x'; 100]);
        let mut ids = ReplicationIds::new();
        let old = ids.replid;
        // Promotion after 60 bytes of the old history... then 40 more of the new one.
        let mut promoted = ids.clone();
        promoted.shift(60);
        let new = promoted.replid;

        assert!(ids.can_continue(old.as_bytes(), 1, &backlog));
        assert!(ids.can_continue(old.as_bytes(), 101, &backlog));
        assert!(!ids.can_continue(old.as_bytes(), 102, &backlog));
        assert!(!ids.can_continue(old.as_bytes(), 0, &backlog));
        assert!(!ids.can_continue(b"?", 1, &backlog));
        assert!(!ids.can_continue(ReplId::random().as_bytes(), 50, &backlog));

        // Old ID: valid only up to second_replid_offset = 61.
        assert!(promoted.can_continue(old.as_bytes(), 61, &backlog));
        assert!(promoted.can_continue(old.as_bytes(), 10, &backlog));
        assert!(!promoted.can_continue(old.as_bytes(), 62, &backlog));
        assert!(promoted.can_continue(new.as_bytes(), 101, &backlog));
        // Case-insensitive, like strcasecmp.
        assert!(promoted.can_continue(new.as_str().to_ascii_uppercase().as_bytes(), 80, &backlog));

        // The zero replid2 of a fresh instance never matches a real offset.
        ids.clear_replid2();
        assert!(!ids.can_continue(ReplId::zero().as_bytes(), 1, &backlog));
        assert!(!ids.can_continue(ReplId::zero().as_bytes(), -1, &backlog));
    }
}
