#include "txn/dirty_pages.h"
#include "util/fault.h"

#include <cerrno>
#include <cstring>

namespace lmdb {

int DirtyPages::grow() {
	size_t ncap = cap_ ? cap_ * 2 : kInitialCapacity;
	Entry *ns = static_cast<Entry *>(lmdb::os::sys_calloc(ncap, sizeof(Entry)));
	if (!ns) return ENOMEM;
	size_t nmask = ncap - 1;
	for (size_t i = 0; i < cap_; i++) {
		if (!slots_[i].page) continue;
		size_t j = hash(slots_[i].pgno) & nmask;
		while (ns[j].page) j = (j + 1) & nmask;
		ns[j] = slots_[i];
	}
	std::free(slots_);
	slots_ = ns;
	cap_ = ncap;
	mask_ = nmask;
	return 0;
}

// The table has room for one more (grown as needed); pg is not in it.
void DirtyPages::table_insert(pgno_t pg, void *page) {
	size_t i = hash(pg) & mask_;
	while (slots_[i].page) i = (i + 1) & mask_;
	slots_[i] = Entry{pg, page};
}

// The array is full: its entries move into the (empty) table.
int DirtyPages::to_table() {
	while (cap_ < 4 * kSmall) {
		if (int rc = grow()) return rc;
	}
	for (size_t i = 0; i < count_; i++) table_insert(small_[i].pgno, small_[i].page);
	big_ = true;
	return 0;
}

int DirtyPages::insert_general(pgno_t pg, void *page) {
	if (!big_) {
		for (size_t i = 0; i < count_; i++) {
			if (small_[i].pgno == pg) {
				small_[i].page = page;
				return 0;
			}
		}
		if (count_ < kSmall) {
			small_[count_++] = Entry{pg, page};
			return 0;
		}
		if (int rc = to_table()) return rc;
	}
	// A replacement first: it never allocates (a child txn's commit relies
	// on that).
	size_t i = hash(pg) & mask_;
	while (slots_[i].page) {
		if (slots_[i].pgno == pg) {
			slots_[i].page = page;
			return 0;
		}
		i = (i + 1) & mask_;
	}
	if ((count_ + 1) * 2 > cap_) {
		if (int rc = grow()) return rc;
		table_insert(pg, page);
	} else {
		slots_[i] = Entry{pg, page};
	}
	count_++;
	return 0;
}

void *DirtyPages::erase(pgno_t pg) {
	if (!big_) {
		for (size_t i = 0; i < count_; i++) {
			if (small_[i].pgno == pg) {
				void *found = small_[i].page;
				small_[i] = small_[--count_];
				return found;
			}
		}
		return nullptr;
	}
	if (!count_) return nullptr;
	size_t i = hash(pg) & mask_;
	while (slots_[i].page && slots_[i].pgno != pg) i = (i + 1) & mask_;
	if (!slots_[i].page) return nullptr;
	void *found = slots_[i].page;
	slots_[i].page = nullptr;
	count_--;
	// Re-insert the rest of the probe run (backward-shift deletion).
	for (size_t j = (i + 1) & mask_; slots_[j].page; j = (j + 1) & mask_) {
		Entry e = slots_[j];
		slots_[j].page = nullptr;
		size_t k = hash(e.pgno) & mask_;
		while (slots_[k].page) k = (k + 1) & mask_;
		slots_[k] = e;
	}
	return found;
}

void DirtyPages::clear_table() {
	// A large table: given back when this txn left it mostly empty or did
	// not need it (a small txn after a big one).
	const bool give_back = cap_ > kKeepCapacity && (!big_ || count_ * 8 < cap_);
	if (give_back) {
		std::free(slots_);
		slots_ = nullptr;
		cap_ = mask_ = 0;
	} else if (big_ && count_) {
		std::memset(slots_, 0, cap_ * sizeof(Entry));
	}
	big_ = false;
	count_ = 0;
}

}  // namespace lmdb
