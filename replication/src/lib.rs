//! Replication and cluster topology.
//!
//! For now this crate owns the one piece of cluster vocabulary the server already needs: the hash slot
//! of a key (CRC16-XMODEM of the key or of its `{hash tag}`, mod 16384).

pub mod slot;
