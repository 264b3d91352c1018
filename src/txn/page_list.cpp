#include "txn/page_list.h"

#include <algorithm>
#include <functional>

namespace lmdb {

void PageList::sort_descending() { std::sort(ids_, ids_ + n_, std::greater<pgno_t>()); }

int PageList::merge_descending(const pgno_t *src, size_t count) {
	if (int rc = reserve_more(count)) return rc;
	// Merge from the back so that no temporary buffer is needed.
	size_t i = n_, j = count, k = n_ + count;
	while (j > 0) {
		if (i > 0 && ids_[i - 1] < src[j - 1])
			ids_[--k] = ids_[--i];
		else
			ids_[--k] = src[--j];
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
