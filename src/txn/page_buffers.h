// Memory for the page buffers of write transactions (dirty copies of pages,
// new pages), one page each.  A big transaction creates tens of thousands of
// them and keeps every one until its commit: from the C heap each is a fresh
// 4 KiB of memory whose first write is a page fault, and where faults are
// expensive (virtual machines that trap to the host on each one) those
// faults were most of what a one-txn fill cost.
//
// So a transaction's first kHeapFirst buffers come from the C heap (kept on
// a short list for reuse, as small txns want: a region of its own would cost
// a short-lived process new page tables, more than its few buffers), and
// once a txn needs more, the env reserves a region with transparent huge
// pages asked for, so one fault brings 512 buffers.  From then on buffers
// come from the region.
//
// Every buffer of the region is free again once the top-level write txn
// has ended, so `txn_ended` rewinds the region; past kRetainBytes its pages
// go back to the system.  Buffers freed during a txn go onto a stack and
// are taken first.  A region that is full (or could not be reserved) hands
// out C heap memory instead; `give` tells the two apart by address.
// Buffers of several pages (overflow values) always use the C heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lmdb {

class PageBuffers {
public:
	PageBuffers() = default;
	~PageBuffers();
	PageBuffers(const PageBuffers &) = delete;
	PageBuffers &operator=(const PageBuffers &) = delete;

	// What `take` zeroes: nothing; only memory that may hold bytes other
	// than earlier buffers' (fresh C heap memory: other code's leftovers,
	// which must never reach the file); or the whole buffer, always.
	enum class Zero { kNo, kForeign, kAll };
	// One buffer of `psize` bytes, zeroed as `zero` says; nullptr when
	// memory is short.  `psize` must stay the same for the object's life.
	// (Inline: a small txn's buffer, none of the region's given back and a
	// kept heap buffer waiting, which holds bytes of earlier buffers only.)
	void *take(size_t psize, Zero zero) {
		if (!free_ && heap_free_ && zero != Zero::kAll) {
			void *p = heap_free_;
			std::memcpy(&heap_free_, p, sizeof heap_free_);
			heap_kept_--;
			heap_live_++;
			psize_ = psize;
			return p;
		}
		return take_general(psize, zero);
	}
	// C heap memory for a run of `npages` buffers (an overflow value), not
	// zeroed; nullptr when memory is short.  Given back through `give`.
	void *take_run(size_t psize, unsigned npages);
	// Gives back a buffer `take` or `take_run` returned (a run is freed).
	// (Inline: a heap buffer while no run is out, kept for reuse.)
	void give(void *p) {
		if (p && !owns(p) && !runs_live_ && heap_kept_ < kHeapKept) {
			heap_live_--;
			std::memcpy(p, &heap_free_, sizeof heap_free_);
			heap_free_ = p;
			heap_kept_++;
			return;
		}
		give_general(p);
	}
	// The top-level write txn has ended: if no buffer is out, rewind.
	void txn_ended();
	// Buffers handed out and not given back, of both kinds (for tests).
	size_t live() const { return live_ + heap_live_; }
	// Runs handed out and not given back (for tests).
	size_t runs_live() const { return runs_live_; }
	// Whether `p` is a buffer of the region (for tests).
	bool owns_for_test(const void *p) const { return owns(p); }
	// Whether the region is reserved (for tests).
	bool has_region() const { return base_ != nullptr; }
	// Bytes of the region whose pages may be resident (for tests).
	size_t touched_bytes() const { return touched_; }

	// Tests: the region holds about `buffers` buffers (rounded up to whole
	// huge pages) instead of kReserveBuffers.  Before the first take.
	void set_capacity_for_test(size_t buffers) { capacity_ = buffers; }

	// Tests: 1 or 0 stands for the system's answer to whether transparent
	// huge pages are on (-1: ask the system).
	static int huge_pages_for_test;

	static constexpr size_t kHeapFirst = 256;  // 1 MiB at 4 KiB pages
	static constexpr size_t kHeapKept = 256;   // heap buffers kept for reuse
	static constexpr size_t kRetainBytes = size_t(16) << 20;
	static constexpr size_t kReserveBuffers = size_t(1) << 18;  // 1 GiB at 4 KiB pages

private:
	bool owns(const void *p) const {
		auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
		return base_ && a - b < reserved_;
	}
	void *take_general(size_t psize, Zero zero);
	void give_general(void *p);
	bool reserve(size_t psize);
	bool extend(size_t psize);
	bool room(size_t psize);  // makes the next buffer writable
	void *take_heap(size_t psize, Zero zero);

	char *base_ = nullptr;     // the region (2 MiB aligned), or nullptr
	size_t reserved_ = 0;      // its size
	size_t writable_ = 0;      // bytes from base_ that are readable and writable
	size_t used_ = 0;          // bytes handed out by the bump pointer since the rewind
	size_t touched_ = 0;       // bytes ever handed out since their pages were dropped:
	                           // past this the region's memory is still zero
	size_t psize_ = 0;         // the buffers' size
	size_t capacity_ = kReserveBuffers;  // buffers the region is reserved for
	void *free_ = nullptr;     // stack of given-back buffers (link in the buffer)
	size_t live_ = 0;          // buffers of the region handed out
	void *heap_free_ = nullptr;  // heap buffers kept for reuse (link in the buffer)
	size_t heap_kept_ = 0;
	size_t heap_live_ = 0;     // heap buffers handed out
	size_t runs_live_ = 0;     // runs handed out: while none is, `give` need
	                           // not ask the C heap what it was given
	bool failed_ = false;      // reserving failed once: C heap only
};

}  // namespace lmdb
