//! The page's allocator wipes what it frees. Plaintext (an opened message, a name) lives in
//! the page's memory only while something holds it: once the last copy is dropped — a message
//! past its timer, a room that ended — its bytes are zeros, not garbage waiting to be reused,
//! so nothing of it can be read back from the page's memory.

use std::alloc::{GlobalAlloc, Layout, System};

pub struct Wiping;

// SAFETY: every call is passed on to `System` with the same pointer and layout; `dealloc`
// first writes zeros over the `layout.size()` bytes it owns, which it may, as their owner,
// until it hands them back.
unsafe impl GlobalAlloc for Wiping {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` holds `layout.size()` bytes allocated by this allocator, owned by the
        // caller until this call returns.
        unsafe {
            ptr.write_bytes(0, layout.size());
            System.dealloc(ptr, layout);
        }
    }

    // `realloc` is the trait's own: a new block, a copy, and `dealloc` of the old one (wiped),
    // so a string that grows leaves no copy of itself behind.
}
