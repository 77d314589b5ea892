//! The RDB format: codecs for Redis's dump files and their embedded encodings.
//!
//! This crate knows nothing of the server; the server and the `redoubt-rdb` CLI both link it, so a file
//! the server writes is a file the tools understand byte for byte.
