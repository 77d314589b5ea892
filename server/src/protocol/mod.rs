//! The wire: RESP2/RESP3 request parsing and reply encoding.
//!
//! Requests arrive either as multibulk arrays (`*N\r\n$len\r\n...`) or as inline commands (a line of
//! space-separated, optionally quoted words). Replies are built as [`Reply`] values and encoded for the
//! protocol version the client chose with `HELLO`.

pub mod reply;
pub mod request;

pub use reply::Reply;
pub use request::{ProtocolError, RequestParser};
