// A growable list of page numbers, used for the pages a transaction frees,
// the pages it reclaimed from the free-page database, and for encoding
// free-page records.  On disk a record is [count, pgno...] of 64-bit words
// sorted in descending order, which is the order kept here when sorted.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "format/layout.h"
#include "util/fault.h"

namespace lmdb {

using format::pgno_t;

class PageList {
public:
	PageList() = default;
	~PageList() {
		if (ids_) std::free(ids_);
	}
	PageList(const PageList &) = delete;
	PageList &operator=(const PageList &) = delete;

	size_t size() const { return n_; }
	pgno_t operator[](size_t i) const { return ids_[i]; }
	pgno_t &operator[](size_t i) { return ids_[i]; }
	pgno_t *data() { return ids_; }
	const pgno_t *data() const { return ids_; }
	void clear() { n_ = 0; }
	void truncate(size_t n) { n_ = n; }

	// Make room for `more` further entries; ENOMEM on failure.
	int reserve_more(size_t more) {
		if (n_ + more <= cap_) return 0;
		size_t cap = cap_ ? cap_ : 64;
		while (cap < n_ + more) cap *= 2;
		void *p = lmdb::os::sys_realloc(ids_, cap * sizeof(pgno_t));
		if (!p) return ENOMEM;
		ids_ = static_cast<pgno_t *>(p);
		cap_ = cap;
		return 0;
	}
	int push(pgno_t pg) {
		if (n_ == cap_) {
			if (int rc = reserve_more(1)) return rc;
		}
		ids_[n_++] = pg;
		return 0;
	}
	// Append pg, pg+1, ..., pg+count-1.
	int push_range(pgno_t pg, size_t count) {
		if (int rc = reserve_more(count)) return rc;
		for (size_t i = 0; i < count; i++) ids_[n_++] = pg + i;
		return 0;
	}
	int append(const PageList &o) {
		if (int rc = reserve_more(o.n_)) return rc;
		if (o.n_) std::memcpy(ids_ + n_, o.ids_, o.n_ * sizeof(pgno_t));
		n_ += o.n_;
		return 0;
	}
	void sort_descending();
	// Merge `count` page numbers sorted descending into this descending-sorted
	// list.  They are read at any alignment (a free-list record in the map
	// sits wherever its node does).
	int merge_descending(const void *src, size_t count);
	// Index of pg in a descending-sorted list, or size() if absent.
	size_t find_descending(pgno_t pg) const;
	void erase_at(size_t i) {
		std::memmove(ids_ + i, ids_ + i + 1, (n_ - i - 1) * sizeof(pgno_t));
		n_--;
	}
	void swap(PageList &o) {
		pgno_t *p = ids_;
		ids_ = o.ids_;
		o.ids_ = p;
		size_t t = n_;
		n_ = o.n_;
		o.n_ = t;
		t = cap_;
		cap_ = o.cap_;
		o.cap_ = t;
	}

private:
	pgno_t *ids_ = nullptr;
	size_t n_ = 0;
	size_t cap_ = 0;
};

}  // namespace lmdb
