//! Black-box test support for Redoubt: a RESP2/RESP3 client, server processes started on free
//! loopback ports, a side-by-side [`Pair`] that sends the same commands to a reference
//! redis-server and to the server under test and requires identical replies, and a seeded
//! random command generator.
//!
//! The server under test is `$REDOUBT_SERVER_BIN`, else `debug/redoubt-server` in the target
//! directory; the reference is `$REDIS_SERVER_BIN`, else `redis-server` on `PATH`.
//! `REDOUBT_SERVER_BIN=/usr/bin/redis-server` runs the whole suite redis-vs-redis, which is
//! how the harness itself is checked. See README.md.

pub mod client;
pub mod generator;
pub mod pair;
pub mod reply;
pub mod rng;
pub mod server;

pub use client::{Client, RecvError};
pub use generator::{compare_keyspace, CommandGenerator, GeneratedCommand};
pub use pair::{Compare, Pair, PairConn};
pub use reply::Reply;
pub use rng::Rng;
pub use server::{info_field, ServerProcess};

/// Builds an owned command (`Vec<Vec<u8>>`) from words, for pipelines.
pub fn command(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}
