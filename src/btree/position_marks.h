// Marks on the byte positions of one page, reused from page to page without
// clearing: each use takes a new generation number, and a mark counts only
// if it carries the current one.  The copy-on-write page check
// (btree/navigate.cpp, nodes_tile) marks the positions of the node chain and
// then claims one per node pointer, in O(nodes).  There is a mark for every
// 16-bit position, so a pointer read from a page needs no range check before
// its claim.  Owned by the environment (one write transaction at a time uses
// it); 128 KiB of address space, of which only the first page size's worth
// is touched by healthy pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace lmdb {

class PositionMarks {
public:
	static constexpr size_t kPositions = size_t(1) << 16;

	PositionMarks() = default;
	~PositionMarks() { std::free(marks_); }
	PositionMarks(const PositionMarks &) = delete;
	PositionMarks &operator=(const PositionMarks &) = delete;

	// The marks of one page, valid until the next begin().
	class Page {
	public:
		Page() = default;
		void mark(uint16_t pos) { marks_[pos] = gen_; }
		// True once for a marked position, false otherwise.
		bool claim(uint16_t pos) {
			uint16_t &m = marks_[pos];
			if (m != gen_) return false;
			m = uint16_t(gen_ + 1);
			return true;
		}

	private:
		friend class PositionMarks;
		Page(uint16_t *marks, uint16_t gen) : marks_(marks), gen_(gen) {}
		uint16_t *marks_ = nullptr;
		uint16_t gen_ = 0;  // marks with gen_, claims with gen_ + 1
	};

	// Start a page: no position is marked.  False if memory for the marks
	// cannot be had.
	bool begin(Page *out) {
		if (!marks_) {
			marks_ = static_cast<uint16_t *>(std::calloc(kPositions, sizeof(uint16_t)));
			if (!marks_) return false;
		}
		if (gen_ >= 0xfffc) {  // 0 is never a generation
			std::memset(marks_, 0, kPositions * sizeof(uint16_t));
			gen_ = 0;
		}
		gen_ = uint16_t(gen_ + 2);
		*out = Page(marks_, gen_);
		return true;
	}

private:
	uint16_t *marks_ = nullptr;
	uint16_t gen_ = 0;
};

}  // namespace lmdb
