//! The key bytes a [`Dict`](super::Dict) node holds: short keys inline in the node, longer ones
//! on the heap.
//!
//! Most keys, hash fields and set members are short (`user:1000`, `key:000000123456`). Stored in
//! the node itself, a lookup compares them without a second cache miss (a `Box<[u8]>` points to
//! another allocation, usually on another page), inserting one allocates once instead of twice,
//! and a snapshot walking the keyspace touches one line fewer per key. Inline or not, a
//! `NodeKey` takes 24 bytes.

use std::ops::Deref;

/// The longest key kept inline.
pub const INLINE_MAX: usize = 22;

/// Up to [`INLINE_MAX`] bytes stored in place.
#[derive(Clone, Copy)]
pub struct InlineKey {
    len: u8,
    bytes: [u8; INLINE_MAX],
}

/// A dict node's key.
#[derive(Clone)]
pub enum NodeKey {
    Inline(InlineKey),
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<NodeKey>() == 24);

impl NodeKey {
    fn inline(key: &[u8]) -> Option<NodeKey> {
        if key.len() > INLINE_MAX {
            return None;
        }
        let mut bytes = [0u8; INLINE_MAX];
        bytes[..key.len()].copy_from_slice(key);
        Some(NodeKey::Inline(InlineKey {
            len: key.len() as u8,
            bytes,
        }))
    }

    /// The key as an owned boxed slice (a copy when it was inline).
    pub fn into_boxed(self) -> Box<[u8]> {
        match self {
            NodeKey::Inline(k) => Box::from(&k.bytes[..usize::from(k.len)]),
            NodeKey::Heap(b) => b,
        }
    }
}

impl Deref for NodeKey {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            NodeKey::Inline(k) => &k.bytes[..usize::from(k.len)],
            NodeKey::Heap(b) => b,
        }
    }
}

impl From<&[u8]> for NodeKey {
    fn from(key: &[u8]) -> Self {
        NodeKey::inline(key).unwrap_or_else(|| NodeKey::Heap(key.into()))
    }
}

impl From<Box<[u8]>> for NodeKey {
    fn from(key: Box<[u8]>) -> Self {
        NodeKey::inline(&key).unwrap_or(NodeKey::Heap(key))
    }
}

impl From<Vec<u8>> for NodeKey {
    fn from(key: Vec<u8>) -> Self {
        NodeKey::inline(&key).unwrap_or_else(|| NodeKey::Heap(key.into_boxed_slice()))
    }
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_keys_are_inline_and_long_ones_on_the_heap() {
        assert!(matches!(NodeKey::from(&b""[..]), NodeKey::Inline(_)));
        assert!(matches!(
            NodeKey::from(&[7u8; INLINE_MAX][..]),
            NodeKey::Inline(_)
        ));
        assert!(matches!(
            NodeKey::from(vec![7u8; INLINE_MAX + 1]),
            NodeKey::Heap(_)
        ));
    }

    proptest! {
        #[test]
        fn every_constructor_keeps_the_bytes(key in proptest::collection::vec(any::<u8>(), 0..64)) {
            let from_slice = NodeKey::from(&key[..]);
            let from_box = NodeKey::from(key.clone().into_boxed_slice());
            let from_vec = NodeKey::from(key.clone());
            prop_assert_eq!(&*from_slice, &key[..]);
            prop_assert_eq!(&*from_box, &key[..]);
            prop_assert_eq!(&*from_vec.clone(), &key[..]);
            prop_assert_eq!(&*from_vec.into_boxed(), &key[..]);
        }
    }
}
