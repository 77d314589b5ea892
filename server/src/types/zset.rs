//! TEMPORARY placeholder until the sorted set module lands.
#[derive(Clone, Default)]
pub struct SortedSet;
impl SortedSet {
    pub fn len(&self) -> usize { 0 }
    pub fn is_empty(&self) -> bool { true }
    pub fn encoding_name(&self) -> &'static str { "listpack" }
}
