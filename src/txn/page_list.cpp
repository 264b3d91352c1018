#include "txn/page_list.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace lmdb {

void PageList::sort_descending() {
	// A small commit frees a handful of pages: insertion sort in place
	// (std::sort's own moves them with memmove calls).
	if (n_ <= 16) {
		for (size_t i = 1; i < n_; i++) {
			pgno_t v = ids_[i];
			size_t j = i;
			for (; j > 0 && ids_[j - 1] < v; j--) ids_[j] = ids_[j - 1];
			ids_[j] = v;
		}
		return;
	}
	std::sort(ids_, ids_ + n_, std::greater<pgno_t>());
}

int PageList::merge_descending(const void *from, size_t count) {
	if (int rc = reserve_more(count)) return rc;
	const char *src = static_cast<const char *>(from);
	auto at = [src](size_t j) {
		pgno_t pg;
		std::memcpy(&pg, src + j * sizeof(pgno_t), sizeof pg);
		return pg;
	};
	// Merge from the back so that no temporary buffer is needed.
	size_t i = n_, j = count, k = n_ + count;
	while (j > 0) {
		pgno_t s = at(j - 1);
		if (i > 0 && ids_[i - 1] < s) {
			ids_[--k] = ids_[--i];
		} else {
			ids_[--k] = s;
			j--;
		}
	}
	n_ += count;
	return 0;
}

size_t PageList::find_descending(pgno_t pg) const {
	size_t lo = 0, hi = n_;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ids_[mid] == pg) return mid;
		if (ids_[mid] > pg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n_;
}

}  // namespace lmdb
