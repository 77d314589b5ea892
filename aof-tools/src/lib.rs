//! The append-only file: Redis 7's multi-part layout and manifest, and the command log format.
//!
//! This crate knows nothing of the server; the server and the `redoubt-aof` CLI both link it.
//! - [`manifest`]: the `appendonly.aof.manifest` file (parse, encode, Redis's file naming, atomic write);
//! - [`command`]: the RESP command stream with `#TS:` annotations, read incrementally with offsets;
//! - [`layout`]: a directory or a single file, its files in load order, RDB preambles.

pub mod command;
pub mod layout;
pub mod manifest;

pub use command::{encode_command, AofError, AofErrorKind, CommandReader, Item, MultiTracker};
pub use layout::{AofPart, AofSource, PartRole};
pub use manifest::{AofFile, AofKind, Manifest, ManifestError};
