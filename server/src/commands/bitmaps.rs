//! TEMPORARY placeholder.
use crate::command::Handler;
pub const HANDLERS: &[(&str, Handler)] = &[];
