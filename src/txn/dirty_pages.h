// The pages a write transaction has modified, keyed by page number.  Up to
// kSmall pages sit in an array inside the object (a one-put commit touches
// three or four: scanned, visited and emptied in a few instructions); past
// that an open-addressing hash table: lookups on every descent of a write
// transaction stay O(1).  Commit sorts the entries once to write them in
// page order.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "format/layout.h"

namespace lmdb {

using format::pgno_t;

class DirtyPages {
public:
	struct Entry {
		pgno_t pgno;
		void *page;  // nullptr: empty slot
	};

	DirtyPages() = default;
	// (A read txn never fills these: no call into free() for it.)
	~DirtyPages() {
		if (slots_) std::free(slots_);
	}
	DirtyPages(const DirtyPages &) = delete;
	DirtyPages &operator=(const DirtyPages &) = delete;

	size_t size() const { return count_; }
	size_t capacity() const { return cap_; }  // of the table: 0 if none
	void *find(pgno_t pg) const {
		if (!big_) {
			for (size_t i = 0; i < count_; i++)
				if (small_[i].pgno == pg) return small_[i].page;
			return nullptr;
		}
		for (size_t i = hash(pg) & mask_;; i = (i + 1) & mask_) {
			const Entry &e = slots_[i];
			if (!e.page) return nullptr;
			if (e.pgno == pg) return e.page;
		}
	}
	// Insert or replace; ENOMEM on failure.  (Inline while the array has
	// room: a small txn's case.)
	int insert(pgno_t pg, void *page) {
		if (big_ || count_ >= kSmall) return insert_general(pg, page);
		for (size_t i = 0; i < count_; i++) {
			if (small_[i].pgno == pg) {
				small_[i].page = page;
				return 0;
			}
		}
		small_[count_++] = Entry{pg, page};
		return 0;
	}
	// Remove pg if present; returns the page pointer that was stored.
	void *erase(pgno_t pg);
	// Empty it.  A large table left mostly empty by this txn, or not used by
	// it at all, is given back (the next txn grows a new one as it needs).
	// (The small txn's case, entries in the array and no large table kept,
	// is inline.)
	void clear() {
		if (!big_ && cap_ <= kKeepCapacity) {
			count_ = 0;
			return;
		}
		clear_table();
	}
	// Visit every entry (unordered).
	template <class F> void for_each(F &&f) const {
		if (!big_) {
			for (size_t i = 0; i < count_; i++) f(small_[i].pgno, small_[i].page);
			return;
		}
		for (size_t i = 0; i < cap_; i++)
			if (slots_[i].page) f(slots_[i].pgno, slots_[i].page);
	}

private:
	static constexpr size_t kSmall = 8;
	static constexpr size_t kInitialCapacity = 64;  // 1 KiB
	static constexpr size_t kKeepCapacity = 4096;   // 64 KiB: cleared, not given back
	static size_t hash(pgno_t pg) { return size_t(pg * 0x9E3779B97F4A7C15ull >> 20); }
	int insert_general(pgno_t pg, void *page);
	void clear_table();
	int grow();
	int to_table();
	void table_insert(pgno_t pg, void *page);

	Entry small_[kSmall];
	bool big_ = false;        // the entries are in slots_ (else in small_)
	Entry *slots_ = nullptr;  // all slots empty while !big_
	size_t cap_ = 0, mask_ = 0, count_ = 0;
};

}  // namespace lmdb
