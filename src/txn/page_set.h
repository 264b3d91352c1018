// A set of page numbers as a sparse bitmap: the pages a write transaction
// has spilled.  One bit per page, in chunks of kChunkPages pages (4 KiB of
// bits each) allocated when a page of the chunk first joins; a directory
// of chunk pointers indexed by pgno / kChunkPages.  Membership, insertion
// and removal are O(1), and memory follows the spread of the pages, not
// their number: a txn that spills 450,000 pages of a 1.8 GiB file keeps 14
// chunks (56 KiB), where a hash table of them took 16 MiB and upstream's
// sorted list 3.5 MiB.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/layout.h"

namespace lmdb {

using format::pgno_t;

class PageSet {
public:
	PageSet() = default;
	~PageSet() { clear(); }
	PageSet(const PageSet &) = delete;
	PageSet &operator=(const PageSet &) = delete;

	size_t size() const { return count_; }
	bool contains(pgno_t pg) const {
		size_t c = pg / kChunkPages;
		if (c >= dir_size_ || !dir_[c]) return false;
		size_t bit = pg % kChunkPages;
		return (dir_[c][bit / 64] >> (bit % 64)) & 1;
	}
	// Add pg (no effect if present); ENOMEM when memory is short (the set
	// is then unchanged).
	int insert(pgno_t pg);
	// Remove pg if present.
	void erase(pgno_t pg);
	// Empty it and give its memory back.
	void clear() {
		if (dir_) return release();
		dir_size_ = chunks_ = count_ = 0;  // (nothing held: most txns spill nothing)
	}
	// Visit every member in ascending order.
	template <class F> void for_each(F &&f) const {
		for (size_t c = 0; c < dir_size_; c++) {
			if (!dir_[c]) continue;
			for (size_t w = 0; w < kWords; w++)
				for (uint64_t bits = dir_[c][w]; bits; bits &= bits - 1)
					f(pgno_t(c * kChunkPages + w * 64 + size_t(__builtin_ctzll(bits))));
		}
	}
	// Memory held, in bytes (for tests).
	size_t bytes() const;

	static constexpr size_t kChunkPages = 32768;
	static constexpr size_t kWords = kChunkPages / 64;

private:
	void release();

	uint64_t **dir_ = nullptr;  // chunk c, or nullptr while no page of it is in the set
	size_t dir_size_ = 0;
	size_t chunks_ = 0;
	size_t count_ = 0;
};

}  // namespace lmdb
