#include "txn/page_writer.h"

#include <sys/uio.h>

#include <algorithm>

namespace lmdb {

using namespace format;

void sort_page_refs(PageRef *items, size_t n) {
	// A small commit writes a handful of pages: insertion sort in place.
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			PageRef v = items[i];
			size_t j = i;
			for (; j > 0 && items[j - 1].pgno > v.pgno; j--) items[j] = items[j - 1];
			items[j] = v;
		}
		return;
	}
	std::sort(items, items + n, [](const PageRef &a, const PageRef &b) { return a.pgno < b.pgno; });
}

void take_highest_page_refs(PageRef *items, size_t n, size_t want) {
	auto higher = [](const PageRef &a, const PageRef &b) { return a.pgno > b.pgno; };
	if (want < n) std::nth_element(items, items + want, items + n, higher);
	sort_page_refs(items, want);
}

int write_sorted_pages(MDB_env *env, const PageRef *items, size_t n, pgno_t *end) {
	const unsigned psize = env->psize;
	constexpr int kMaxIov = 64;
	struct iovec iov[kMaxIov];
	int niov = 0, rc = 0;
	off_t run_off = 0;
	pgno_t next_pg = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		Page *p = items[i].page;
		unsigned npages = is_overflow(p) ? p->overflow_pages : 1;
		if (niov && (items[i].pgno != next_pg || niov == kMaxIov)) {
			rc = os::pwritev_full(env->fd.get(), iov, niov, run_off);
			niov = 0;
		}
		if (!niov) run_off = off_t(items[i].pgno) * psize;
		p->flags &= uint16_t(~(P_DIRTY | kPageUnchecked));  // in-memory marks
		iov[niov].iov_base = p;
		iov[niov].iov_len = size_t(psize) * npages;
		niov++;
		next_pg = items[i].pgno + npages;
	}
	if (!rc && niov) rc = os::pwritev_full(env->fd.get(), iov, niov, run_off);
	if (end) *end = next_pg;
	return rc;
}

}  // namespace lmdb
