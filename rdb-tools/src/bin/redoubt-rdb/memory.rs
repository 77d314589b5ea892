//! `memory FILE`: an estimate of each key's in-memory size in Redis 7.0 (64-bit, before allocator
//! rounding), with its encoding and element count, like redis-rdb-tools' memory report; plus the
//! top-N biggest keys and an aggregation by key prefix.
//!
//! The model: every key costs a dict entry (24), a robj (16) and its key sds (len + 4); an expire
//! adds another dict entry (24). Compact encodings (listpack, ziplist, intset, zipmap) cost about
//! the sum of their elements plus 2 bytes each; quicklists add 32 bytes per 8 KB node; hash tables
//! cost a dict entry and an sds per element plus 8 bytes per bucket (next power of two); sorted
//! sets in skiplists add a skiplist node (~ 40 bytes) per member; streams count their payload
//! plus about 20 bytes per entry of listpack overhead. Estimates, not measurements.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use redoubt_rdb::reader::{Event, Item, KeyHeader};

use crate::args::Args;
use crate::filter::Filter;
use crate::text::{csv_field, lossless_text};
use crate::Failure;

fn sds(len: usize) -> usize {
    len + if len < 256 {
        3
    } else if len < 65536 {
        5
    } else {
        9
    } + 1
}

fn buckets(n: usize) -> usize {
    8 * n.max(4).next_power_of_two()
}

struct KeyStats {
    header: KeyHeader,
    elements: usize,
    payload: usize,
    largest: usize,
    skiplist_bonus: usize,
}

impl KeyStats {
    fn add(&mut self, parts: &[usize]) {
        self.elements += 1;
        let s: usize = parts.iter().sum();
        self.largest = self.largest.max(parts.iter().copied().max().unwrap_or(0));
        let enc = self.header.encoding();
        let compact = matches!(
            enc,
            "listpack" | "ziplist" | "intset" | "zipmap" | "quicklist"
        );
        self.payload += if compact {
            s + 2 * parts.len()
        } else {
            parts.iter().map(|&p| sds(p) + 8).sum::<usize>() + 24
        };
        if enc == "skiplist" {
            self.skiplist_bonus += 40;
        }
    }

    fn size(&self) -> usize {
        let h = &self.header;
        let mut n = 24 + 16 + sds(h.key.len()) + if h.meta.expire_ms.is_some() { 24 } else { 0 };
        n += match h.encoding() {
            "string" => {
                if self.largest <= 20 && self.payload > 0 {
                    self.largest
                } else {
                    sds(self.largest)
                }
            }
            "quicklist" => self.payload + 40 * self.payload.div_ceil(8192) + 48,
            "listpack" | "ziplist" | "intset" | "zipmap" => self.payload + 11,
            "stream" => self.payload + 20 * self.elements + 128,
            "hashtable" | "skiplist" => {
                self.payload + self.skiplist_bonus + buckets(self.elements) + 48
            }
            _ => self.payload,
        };
        n
    }
}

pub fn run(a: &Args) -> Result<(), Failure> {
    let path = crate::one_file(a, "memory")?;
    let filter = Filter::from_args(a).map_err(Failure::Usage)?;
    let top: usize = a
        .value("top")
        .unwrap_or("0")
        .parse()
        .map_err(|_| Failure::Usage("--top: expected a number".into()))?;
    let delim = a.value("prefix-delimiter");
    let table = match a.value("format").unwrap_or("csv") {
        "csv" => false,
        "table" => true,
        other => {
            return Err(Failure::Usage(format!(
                "--format: expected csv or table, got {other:?}"
            )))
        }
    };
    let mut rd = crate::open(&path, true)?;
    let err = |e: redoubt_rdb::Error| Failure::Data(format!("{path}: {e}"));
    let mut heap: BinaryHeap<Reverse<(usize, String, u64)>> = BinaryHeap::new();
    let mut prefixes: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    let per_key = top == 0 && delim.is_none();
    let mut out = String::new();
    if per_key {
        out.push_str(if table {
            "database  type    size_in_bytes  encoding     elements  largest  key\n"
        } else {
            "database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry\n"
        });
    }
    let mut cur: Option<KeyStats> = None;
    let stdout = std::io::stdout();
    while let Some(ev) = rd.next_event().map_err(err)? {
        match ev {
            Event::Key(h) => {
                cur = filter.accepts(&h).then_some(KeyStats {
                    header: h,
                    elements: 0,
                    payload: 0,
                    largest: 0,
                    skiplist_bonus: 0,
                });
            }
            Event::Item(item) => {
                let Some(k) = cur.as_mut() else { continue };
                match &item {
                    Item::String(v) | Item::ListElement(v) | Item::SetMember(v) => {
                        k.add(&[v.len()])
                    }
                    Item::ZSetMember { member, .. } => k.add(&[member.len(), 8]),
                    Item::HashField { field, value } => k.add(&[field.len(), value.len()]),
                    Item::StreamEntry(e) => k.add(
                        &e.fields
                            .iter()
                            .flat_map(|(f, v)| [f.len(), v.len()])
                            .collect::<Vec<_>>(),
                    ),
                    Item::Module(m) => k.add(&[m.payload.len()]),
                    Item::StreamMeta(_) | Item::StreamGroup(_) | Item::StreamNode { .. } => {}
                }
            }
            Event::EndKey => {
                let Some(k) = cur.take() else { continue };
                let size = k.size();
                let h = &k.header;
                let name = lossless_text(&h.key);
                if per_key {
                    if table {
                        out.push_str(&format!(
                            "{:<9} {:<7} {:>13}  {:<12} {:>8}  {:>7}  {}\n",
                            h.db,
                            h.value_type().name(),
                            size,
                            h.encoding(),
                            k.elements,
                            k.largest,
                            name
                        ));
                    } else {
                        out.push_str(&format!("{},{},", h.db, h.value_type().name()));
                        csv_field(&mut out, &h.key);
                        out.push_str(&format!(
                            ",{size},{},{},{},{}\n",
                            h.encoding(),
                            k.elements,
                            k.largest,
                            h.meta.expire_ms.map(|e| e.to_string()).unwrap_or_default()
                        ));
                    }
                    if out.len() > 1 << 16 {
                        use std::io::Write;
                        stdout
                            .lock()
                            .write_all(out.as_bytes())
                            .map_err(|e| Failure::Data(e.to_string()))?;
                        out.clear();
                    }
                }
                if top > 0 {
                    heap.push(Reverse((size, name.clone(), h.db)));
                    if heap.len() > top {
                        heap.pop();
                    }
                }
                if let Some(d) = delim {
                    let p = name.split(d).next().unwrap_or("").to_string();
                    let e = prefixes.entry(p).or_default();
                    e.0 += 1;
                    e.1 += size;
                }
            }
            _ => {}
        }
    }
    if top > 0 {
        let mut v: Vec<_> = heap.into_iter().map(|Reverse(x)| x).collect();
        v.sort_by_key(|x| Reverse(x.0));
        out.push_str(if table {
            "rank  size_in_bytes  database  key\n"
        } else {
            "rank,size_in_bytes,database,key\n"
        });
        for (i, (size, name, db)) in v.iter().enumerate() {
            if table {
                out.push_str(&format!("{:<5} {:>13}  {:<8}  {}\n", i + 1, size, db, name));
            } else {
                out.push_str(&format!("{},{size},{db},", i + 1));
                csv_field(&mut out, name.as_bytes());
                out.push('\n');
            }
        }
    }
    if delim.is_some() {
        let mut v: Vec<_> = prefixes.into_iter().collect();
        v.sort_by_key(|x| Reverse(x.1 .1));
        out.push_str(if table {
            "prefix                          keys  size_in_bytes\n"
        } else {
            "prefix,keys,size_in_bytes\n"
        });
        for (p, (n, size)) in v {
            if table {
                out.push_str(&format!("{p:<30} {n:>6}  {size:>13}\n"));
            } else {
                csv_field(&mut out, p.as_bytes());
                out.push_str(&format!(",{n},{size}\n"));
            }
        }
    }
    print!("{out}");
    Ok(())
}
