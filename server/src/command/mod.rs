//! The command table: every command declared once, with its interface description and its handler.
//!
//! The interface half (arity, flags, ACL categories, key specs, docs) is Redis 7.0's own, captured from
//! a reference redis-server by `tools/gen-command-reference.py` into `reference/`, so `COMMAND`,
//! `COMMAND INFO`, `COMMAND DOCS` and `COMMAND GETKEYS` answer exactly as Redis does. The behaviour half
//! is a handler function per command, registered by name in the family modules under `commands/`.
//! A command is served only if it has a handler: the table never advertises what it cannot do.

pub mod keys;
pub mod reference;
pub mod table;

pub use table::{Command, CommandTable, Flags, Handler};
