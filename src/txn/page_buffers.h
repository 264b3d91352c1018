// Memory for the page buffers of write transactions (dirty copies of pages,
// new pages), one page each.  A big transaction creates tens of thousands of
// them and keeps every one until its commit: from the C heap each is a fresh
// 4 KiB of memory whose first write is a page fault, and where faults are
// expensive (virtual machines that trap to the host on each one) those
// faults were most of what a one-txn fill cost.  So single-page buffers come
// from one region reserved per environment: its first 2 MiB in small pages
// (a txn of a few pages stays small), the rest with transparent huge pages
// asked for, so one fault brings 512 buffers.
//
// Every buffer of the region is free again once the top-level write txn
// has ended, so `txn_ended` rewinds the region; past kRetainBytes its pages
// go back to the system.  Buffers freed during a txn go onto a stack and
// are taken first.  A region that is full (or could not be reserved) hands
// out C heap memory instead; `release` tells the two apart by address.
// Buffers of several pages (overflow values) always use the C heap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmdb {

class PageBuffers {
public:
	PageBuffers() = default;
	~PageBuffers();
	PageBuffers(const PageBuffers &) = delete;
	PageBuffers &operator=(const PageBuffers &) = delete;

	// One buffer of `psize` bytes, zero-filled if `zero`; nullptr when
	// memory is short.  `psize` must stay the same for the object's life.
	void *take(size_t psize, bool zero);
	// Gives back a buffer `take` returned.
	void give(void *p);
	// The top-level write txn has ended: if no buffer is out, rewind.
	void txn_ended();
	// Buffers handed out and not given back (for tests).
	size_t live() const { return live_; }
	// Bytes of the region whose pages may be resident (for tests).
	size_t touched_bytes() const { return touched_; }

	static constexpr size_t kSmallPart = size_t(2) << 20;
	static constexpr size_t kRetainBytes = size_t(16) << 20;

private:
	bool owns(const void *p) const {
		auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base_);
		return base_ && a - b < reserved_;
	}
	bool reserve(size_t psize);
	bool extend(size_t psize);

	char *base_ = nullptr;     // the region (2 MiB aligned), or nullptr
	size_t reserved_ = 0;      // its size
	size_t writable_ = 0;      // bytes from base_ that are readable and writable
	size_t used_ = 0;          // bytes handed out by the bump pointer since the rewind
	size_t touched_ = 0;       // bytes ever handed out since their pages were dropped:
	                           // past this the region's memory is still zero
	size_t psize_ = 0;         // the buffers' size
	void *free_ = nullptr;     // stack of given-back buffers (link in the buffer)
	size_t live_ = 0;
	bool failed_ = false;      // reserving failed once: C heap only
};

}  // namespace lmdb
