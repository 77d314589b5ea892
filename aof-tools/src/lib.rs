//! The append-only file: Redis 7's multi-part layout and manifest.
//!
//! Empty until the AOF issue lands; the crate exists so the workspace has the shape DESIGN.md describes.
