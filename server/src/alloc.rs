//! Memory accounting: the global allocator (mimalloc) wrapped to count live heap bytes.
//!
//! `INFO memory`'s `used_memory` and the `maxmemory` limit read this counter, so eviction sees what
//! the process really holds (values, keys, buffers), not an estimate. mimalloc is used because, like
//! Redis's jemalloc, it packs small objects in exact size classes with no per-object header: the
//! keyspace is millions of small allocations, and glibc's 16-byte granularity plus header costs ~30%.
//! It also owns turning transparent huge pages off ([`disable_transparent_huge_pages`]).

use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout};

static INNER: MiMalloc = MiMalloc;
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

pub struct CountingAllocator;

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = INNER.alloc(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        INNER.dealloc(ptr, layout);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = INNER.alloc_zeroed(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = INNER.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size > layout.size() {
                ALLOCATED.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                ALLOCATED.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Live heap bytes.
pub fn allocated() -> usize {
    let a = ALLOCATED.load(Ordering::Relaxed);
    if a > PEAK.load(Ordering::Relaxed) {
        PEAK.store(a, Ordering::Relaxed);
    }
    a
}

/// Highest value [`allocated`] has reported.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed).max(allocated())
}

/// Resident set size of the process, from /proc (0 where unavailable).
pub fn rss() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Redis's `disable-thp`: turns transparent huge pages off for this process (`PR_SET_THP_DISABLE`);
/// returns whether the kernel took it. Redis does this only when the system setting is `always`,
/// since jemalloc never asks for huge pages; mimalloc asks for them (`madvise`) on its arenas, so
/// here it is done whatever the setting. A first touch of a huge page zeroes 2 MiB and may
/// compact memory under the command: filling a keyspace to 2.5M keys measured longest SETs of
/// 48-80 ms with huge pages, 19-21 ms without (redis-server 18.7 ms).
pub fn disable_transparent_huge_pages() -> bool {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain syscall with integer arguments; it changes only this process's flags.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
    }
    #[cfg(not(target_os = "linux"))]
    false
}
