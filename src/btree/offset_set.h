// A set of byte offsets inside one page, one bit per offset: insertion that
// reports duplicates, and a walk in ascending order.  The general path of the
// whole-page check at copy-on-write (btree/navigate.cpp, nodes_placed) uses
// it to visit nodes in address order without sorting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "format/layout.h"

namespace lmdb {

class OffsetSet {
public:
	// Offsets will lie in [lo, size), size at most format::kMaxPageSize.
	OffsetSet(size_t lo, size_t size) : lo_word_(lo >> 6), end_word_((size + 63) >> 6) {
		std::memset(bits_ + lo_word_, 0, (end_word_ - lo_word_) * sizeof(uint64_t));
	}
	OffsetSet(const OffsetSet &) = delete;
	OffsetSet &operator=(const OffsetSet &) = delete;

	// False if `at` is in the set already.
	bool insert(size_t at) {
		uint64_t &w = bits_[at >> 6];
		uint64_t b = uint64_t(1) << (at & 63);
		if (w & b) return false;
		w |= b;
		return true;
	}

	// f(offset) for each offset in ascending order while f returns true;
	// false if some call returned false.
	template <class F> bool each_ascending(F &&f) const {
		for (size_t w = lo_word_; w < end_word_; w++) {
			for (uint64_t x = bits_[w]; x; x &= x - 1) {
				if (!f(w * 64 + size_t(__builtin_ctzll(x)))) return false;
			}
		}
		return true;
	}

private:
	size_t lo_word_, end_word_;
	uint64_t bits_[format::kMaxPageSize / 64];
};

}  // namespace lmdb
