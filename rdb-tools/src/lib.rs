//! The RDB format: codecs for Redis's dump files and their embedded encodings.
//!
//! This crate knows nothing of the server; the server and the `redoubt-rdb` CLI both link it, so a file
//! the server writes is a file the tools understand byte for byte.
//!
//! Layers, bottom up:
//! - codecs of embedded structures, each usable alone: [`crc64`], [`lzf`], [`length`] (RDB lengths,
//!   strings, doubles), [`listpack`], [`intset`], [`ziplist`], [`zipmap`];
//! - [`reader`]: a streaming decoder of whole files, yielding [`reader::Event`]s, with collection
//!   values streamed element by element, plus a whole-value convenience API ([`value`]);
//! - [`writer`]: writes RDB 9/10/11 choosing encodings the way Redis does.

pub mod crc64;
pub mod entry;
pub mod error;
pub mod format;
pub mod intset;
pub mod length;
pub mod listpack;
pub mod lzf;
pub mod number;
pub mod reader;
pub mod source;
pub mod stream;
pub mod value;
pub mod writer;
pub mod ziplist;
pub mod zipmap;

pub use entry::Entry;
pub use error::{CodecError, Error, Result};
pub use intset::Intset;
pub use listpack::Listpack;
