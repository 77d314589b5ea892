//! Error values of the crate: every failure names the byte offset where it was detected and what the
//! decoder expected to find there.
//!
//! Two layers: [`CodecError`] is produced by the blob codecs (listpack, ziplist, intset, zipmap, LZF),
//! which work on an in-memory slice and report a position *inside that blob*; [`Error`] is produced by
//! the RDB reader and writer and reports an absolute offset in the file (for a blob, the offset of the
//! blob's first byte plus the position inside it).

use std::fmt;

/// A malformed embedded structure: `pos` is a byte position inside the blob being decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    /// Byte position inside the blob.
    pub pos: usize,
    /// What the decoder expected at `pos`.
    pub expected: &'static str,
}

impl CodecError {
    pub(crate) fn new(pos: usize, expected: &'static str) -> Self {
        CodecError { pos, expected }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at blob position {}: expected {}",
            self.pos, self.expected
        )
    }
}

impl std::error::Error for CodecError {}

/// An error of the RDB reader or writer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input ended before a complete item could be read.
    #[error("truncated input at byte {offset}: expected {expected}")]
    Truncated { offset: u64, expected: String },
    /// The bytes at `offset` do not form what the format requires there.
    #[error("corrupt input at byte {offset}: expected {expected}")]
    Corrupt { offset: u64, expected: String },
    /// The CRC64 trailer does not match the content.
    #[error("checksum mismatch at byte {offset}: stored {stored:016x}, computed {computed:016x}")]
    Checksum {
        offset: u64,
        stored: u64,
        computed: u64,
    },
    /// The underlying reader or writer failed.
    #[error("I/O error at byte {offset}: {source}")]
    Io {
        offset: u64,
        #[source]
        source: std::io::Error,
    },
    /// The caller asked for something the writer cannot express (e.g. a type in an old RDB version).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl Error {
    /// The absolute byte offset the error refers to, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Truncated { offset, .. }
            | Error::Corrupt { offset, .. }
            | Error::Checksum { offset, .. }
            | Error::Io { offset, .. } => Some(*offset),
            Error::Unsupported(_) => None,
        }
    }

    pub(crate) fn corrupt(offset: u64, expected: impl Into<String>) -> Self {
        Error::Corrupt {
            offset,
            expected: expected.into(),
        }
    }

    pub(crate) fn truncated(offset: u64, expected: impl Into<String>) -> Self {
        Error::Truncated {
            offset,
            expected: expected.into(),
        }
    }

    /// Wraps a blob codec error: `blob_offset` is where the blob starts in the file (for a compressed
    /// blob, where its encoding starts), `what` names the structure.
    pub(crate) fn in_blob(blob_offset: u64, what: &str, e: CodecError) -> Self {
        Error::Corrupt {
            offset: blob_offset,
            expected: format!(
                "a valid {what} (at position {} inside it: {})",
                e.pos, e.expected
            ),
        }
    }
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;
