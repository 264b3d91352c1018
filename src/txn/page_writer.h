// Writing dirty pages to the data file in page order, adjacent pages
// coalesced into one pwritev: used by commit and by spilling.
#pragma once

#include <cstdlib>

#include "txn/transaction.h"
#include "util/fault.h"

namespace lmdb {

struct PageRef {
	pgno_t pgno;
	Page *page;
};

// The dirty pages of txn accepted by keep(page), sorted by page number, in
// a malloc'd array (free() it); *count gets their number.  nullptr: ENOMEM.
// With `buf` of `cap` items: the list is there if it fits (a small
// commit's), else in C heap memory the caller frees.
template <class Keep>
PageRef *sorted_dirty_pages(MDB_txn *txn, Keep keep, size_t *count, PageRef *buf = nullptr, size_t cap = 0);

// The same, unsorted.
template <class Keep>
PageRef *collect_dirty_pages(MDB_txn *txn, Keep keep, size_t *count, PageRef *buf = nullptr, size_t cap = 0);

// Move the `want` (<= n) items with the highest page numbers to the front of
// items, sorted by page number; the order of the rest is unspecified.
void take_highest_page_refs(PageRef *items, size_t n, size_t want);

// Write the pages (sorted by number), clearing their P_DIRTY mark: on disk
// they are ordinary pages.  *end (if `end` is not null) receives the page
// number after the last page written.  0 or an errno value.
int write_sorted_pages(MDB_env *env, const PageRef *items, size_t n, pgno_t *end);

// ---- implementation of the template -------------------------------------
void sort_page_refs(PageRef *items, size_t n);

template <class Keep> PageRef *collect_dirty_pages(MDB_txn *txn, Keep keep, size_t *count, PageRef *buf, size_t cap) {
	size_t n = txn->dirty.size();
	PageRef *items = n <= cap ? buf : static_cast<PageRef *>(lmdb::os::sys_malloc((n ? n : 1) * sizeof(PageRef)));
	if (!items) return nullptr;
	size_t k = 0;
	txn->dirty.for_each([&](pgno_t pg, void *p) {
		Page *dp = static_cast<Page *>(p);
		if (keep(dp)) items[k++] = PageRef{pg, dp};
	});
	*count = k;
	return items;
}

template <class Keep> PageRef *sorted_dirty_pages(MDB_txn *txn, Keep keep, size_t *count, PageRef *buf, size_t cap) {
	PageRef *items = collect_dirty_pages(txn, keep, count, buf, cap);
	if (items) sort_page_refs(items, *count);
	return items;
}

}  // namespace lmdb
