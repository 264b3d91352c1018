// Marks on the byte positions of one page, reused from page to page without
// clearing: each use takes a new generation number, and a mark counts only
// if it carries the current one.  The copy-on-write page check
// (btree/navigate.cpp, nodes_tile) marks where each node starts and then
// claims, once each, the starts that other nodes end at, in O(nodes).
// Owned by the environment (one write transaction at a time uses it): one
// mark per byte of a page, allocated at the first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "util/fault.h"

namespace lmdb {

class PositionMarks {
public:
	PositionMarks() = default;
	~PositionMarks() { std::free(marks_); }
	PositionMarks(const PositionMarks &) = delete;
	PositionMarks &operator=(const PositionMarks &) = delete;

	// The marks of one page, valid until the next begin().
	class Page {
	public:
		Page() = default;
		// pos below the page size given to begin().
		void mark(size_t pos) { marks_[pos] = gen_; }
		// True once for a marked position, false otherwise (also for any
		// position past the page).
		bool claim(size_t pos) {
			if (pos >= size_) return false;
			uint16_t &m = marks_[pos];
			if (m != gen_) return false;
			m = uint16_t(gen_ + 1);
			return true;
		}

	private:
		friend class PositionMarks;
		Page(uint16_t *marks, size_t size, uint16_t gen) : marks_(marks), size_(size), gen_(gen) {}
		uint16_t *marks_ = nullptr;
		size_t size_ = 0;
		uint16_t gen_ = 0;  // marks with gen_, claims with gen_ + 1
	};

	// Start a page of `size` bytes: no position is marked.  False if memory
	// for the marks cannot be had.
	bool begin(size_t size, Page *out) {
		if (size > cap_) {
			void *m = lmdb::os::sys_realloc(marks_, size * sizeof(uint16_t));
			if (!m) return false;
			marks_ = static_cast<uint16_t *>(m);
			std::memset(marks_ + cap_, 0, (size - cap_) * sizeof(uint16_t));
			cap_ = size;
		}
		if (gen_ >= 0xfffc) {  // 0 is never a generation
			std::memset(marks_, 0, cap_ * sizeof(uint16_t));
			gen_ = 0;
		}
		gen_ = uint16_t(gen_ + 2);
		*out = Page(marks_, size, gen_);
		return true;
	}

private:
	uint16_t *marks_ = nullptr;
	size_t cap_ = 0;
	uint16_t gen_ = 0;
};

}  // namespace lmdb
