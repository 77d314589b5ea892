//! Replication and cluster topology.
//!
//! - [`slot`]: the hash slot of a key (CRC16-XMODEM of the key or of its `{hash tag}`, mod 16384);
//! - [`replid`]: replication IDs and the PSYNC2 continuation decision (replid / replid2);
//! - [`backlog`]: the replication backlog ring and its offset arithmetic;
//! - [`wire`]: the control messages of the link (`+FULLRESYNC`, `+CONTINUE`, `PSYNC`, `REPLCONF`,
//!   the `$<len>` / `$EOF:<mark>` RDB transfer framing);
//! - [`replica_link`]: the replica side of a link to a Redis 7.0 master (tokio).

pub mod backlog;
pub mod replica_link;
pub mod replid;
pub mod slot;
pub mod wire;

pub use backlog::Backlog;
pub use replid::{ReplId, ReplicationIds};
