//! Sets of byte strings.
//!
//! A set whose members are all 64-bit integers, and that has at most `set-max-intset-entries`
//! members, is kept as a sorted vector of integers (Redis's `intset`: SMEMBERS returns them in
//! ascending order); any other set is a hash table.

use crate::keyspace::Dict;
use crate::protocol::request::parse_int;

#[derive(Clone)]
pub enum Set {
    Intset(Vec<i64>),
    Table(Dict<()>),
}

impl Set {
    /// An empty set suited to its first member, as Redis's `setTypeCreate` chooses.
    pub fn for_member(first: &[u8]) -> Set {
        if parse_int(first).is_some() {
            Set::Intset(Vec::new())
        } else {
            Set::Table(Dict::new())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => parse_int(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Set::Table(d) => d.contains_key(m),
        }
    }

    /// Adds a member; returns true when it was not there.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        if let Set::Intset(v) = self {
            match parse_int(m) {
                Some(i) => match v.binary_search(&i) {
                    Ok(_) => return false,
                    Err(pos) => {
                        if v.len() < max_intset {
                            v.insert(pos, i);
                            return true;
                        }
                        self.convert();
                    }
                },
                None => self.convert(),
            }
        }
        match self {
            Set::Table(d) => {
                if d.contains_key(m) {
                    false
                } else {
                    d.insert_new(m, ());
                    true
                }
            }
            Set::Intset(_) => unreachable!("converted above"),
        }
    }

    pub fn convert(&mut self) {
        if let Set::Intset(v) = self {
            let mut d = Dict::with_capacity(v.len());
            for i in v.iter() {
                d.insert_new(i.to_string().into_bytes(), ());
            }
            *self = Set::Table(d);
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match parse_int(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Table(d) => d.remove(m).is_some(),
        }
    }

    /// Members as owned byte strings (in Redis's order for intsets).
    pub fn members(&self) -> Vec<Vec<u8>> {
        match self {
            Set::Intset(v) => v.iter().map(|i| i.to_string().into_bytes()).collect(),
            Set::Table(d) => d.keys().map(|k| k.to_vec()).collect(),
        }
    }

    /// A uniformly random member.
    pub fn random_member(&self, rng: &mut impl rand::Rng) -> Option<Vec<u8>> {
        match self {
            Set::Intset(v) => {
                if v.is_empty() {
                    None
                } else {
                    Some(v[rng.gen_range(0..v.len())].to_string().into_bytes())
                }
            }
            Set::Table(d) => d.random_entry(rng).map(|(k, _)| k.to_vec()),
        }
    }
}
