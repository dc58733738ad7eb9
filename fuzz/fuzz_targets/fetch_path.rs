//! The consumer's whole fetch path: Fetch response bytes to the messages
//! an application sees (`ferrokafka::fuzzing::fetch_path`: response
//! decoded, partitions read, batches decompressed one at a time as they
//! are handed out), under an allocation ceiling. The first input byte picks
//! the version (4 to 12) and read_committed; the rest is the body.
//!
//! The ceiling: while the target runs, the memory held may not pass 64
//! times the input plus 16 MiB (the per-batch decompression cap here is
//! 1 MiB). An allocation past it returns null, which Rust turns into an
//! abort: libFuzzer reports it as a crash, with the input.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static CEILING: AtomicUsize = AtomicUsize::new(usize::MAX);

struct Ceiling;

fn over(more: usize) -> bool {
    CURRENT.load(Ordering::Relaxed).saturating_add(more) > CEILING.load(Ordering::Relaxed)
}

// SAFETY: every call is forwarded to the system allocator unchanged, or
// refused with null (which callers must handle: Rust aborts).
unsafe impl GlobalAlloc for Ceiling {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if over(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.alloc(layout);
        if !p.is_null() {
            CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if over(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && over(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            CURRENT.fetch_add(new_size, Ordering::Relaxed);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Ceiling = Ceiling;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let version = 4 + i16::from(pick & 0x7f) % 9;
    let read_committed = pick & 0x80 != 0;
    let body = Bytes::copy_from_slice(body);
    let held = CURRENT.load(Ordering::Relaxed);
    CEILING.store(
        held + 64 * data.len() + (16 << 20),
        Ordering::Relaxed,
    );
    let _ = ferrokafka::fuzzing::fetch_path(body, version, 0, read_committed, 1 << 20);
    CEILING.store(usize::MAX, Ordering::Relaxed);
});
