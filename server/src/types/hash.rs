//! Hashes: field → value maps.
//!
//! Small hashes keep their fields in insertion order in a flat vector, as Redis's listpack does (so
//! HGETALL answers in the same order as Redis); past `hash-max-listpack-entries` fields, or with a
//! field or value longer than `hash-max-listpack-value`, they convert for good to a hash table.

use crate::keyspace::Dict;

/// A field and its value.
pub type FieldValue = (Box<[u8]>, Box<[u8]>);

#[derive(Clone)]
pub enum Hash {
    Listpack(Vec<FieldValue>),
    Table(Dict<Box<[u8]>>),
}

/// The thresholds a hash converts at.
#[derive(Clone, Copy, Debug)]
pub struct HashLimits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(v) => v.iter().find(|(f, _)| &**f == field).map(|(_, v)| &**v),
            Hash::Table(d) => d.get(field).map(|v| &**v),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets a field; returns true when the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if let Hash::Listpack(v) = self {
            if field.len() > limits.max_value || value.len() > limits.max_value {
                self.convert();
            } else if let Some(slot) = v.iter_mut().find(|(f, _)| &**f == field) {
                slot.1 = value.into();
                return false;
            } else if v.len() < limits.max_entries {
                v.push((field.into(), value.into()));
                return true;
            } else {
                self.convert();
            }
        }
        match self {
            Hash::Table(d) => d.insert(field, value.into()).is_none(),
            Hash::Listpack(_) => unreachable!("converted above"),
        }
    }

    /// A hash from (field, value) pairs read from a dump, in the encoding the limits give. The
    /// bytes are moved, not copied, and a big table is sized once. A repeated field keeps its
    /// last value.
    pub fn from_pairs(pairs: Vec<(Vec<u8>, Vec<u8>)>, limits: HashLimits) -> Hash {
        let small = pairs.len() <= limits.max_entries
            && pairs
                .iter()
                .all(|(f, v)| f.len() <= limits.max_value && v.len() <= limits.max_value);
        if small {
            let mut h = Hash::default();
            for (f, v) in &pairs {
                h.set(f, v, limits);
            }
            return h;
        }
        let mut d = Dict::with_capacity(pairs.len());
        for (f, v) in pairs {
            if let Err((f, v)) = d.insert_unique(f.into_boxed_slice(), v.into_boxed_slice()) {
                d.insert(&f, v);
            }
        }
        Hash::Table(d)
    }

    /// Converts to the hash-table encoding (used on load too, when a dump exceeds the limits).
    pub fn convert(&mut self) {
        if let Hash::Listpack(v) = self {
            let mut d = Dict::with_capacity(v.len());
            for (f, val) in v.drain(..) {
                d.insert_new(f, val);
            }
            *self = Hash::Table(d);
        }
    }

    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(v) => match v.iter().position(|(f, _)| &**f == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(d) => d.remove(field).is_some(),
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(v) => Box::new(v.iter().map(|(f, v)| (&**f, &**v))),
            Hash::Table(d) => Box::new(d.iter().map(|(f, v)| (f, &**v))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n)
            .map(|i| (format!("f{i}").into_bytes(), format!("v{i}").into_bytes()))
            .collect()
    }

    #[test]
    fn from_pairs_picks_the_encoding_and_keeps_the_last_repeated_field() {
        let limits = HashLimits {
            max_entries: 128,
            max_value: 64,
        };
        for n in [0, 5, 128, 129, 1000] {
            let mut p = pairs(n);
            p.push((b"f0".to_vec(), b"last".to_vec()));
            let h = Hash::from_pairs(p, limits);
            let want = if n + 1 > 128 { "hashtable" } else { "listpack" };
            assert_eq!(h.encoding_name(), want, "{n} pairs");
            assert_eq!(h.len(), n.max(1));
            assert_eq!(h.get(b"f0"), Some(&b"last"[..]));
            if n > 1 {
                assert_eq!(
                    h.get(format!("f{}", n - 1).as_bytes()),
                    Some(format!("v{}", n - 1).as_bytes())
                );
            }
        }
        // A long value forces the table whatever the count.
        let h = Hash::from_pairs(vec![(b"f".to_vec(), vec![b'x'; 65])], limits);
        assert_eq!(h.encoding_name(), "hashtable");
    }
}
