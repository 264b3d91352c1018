// Typed access to the nodes of branch and leaf pages (layout in
// format/layout.h).  All functions are inline: they are the innermost loop
// of every search.
#pragma once

#include <cstring>

#include "format/layout.h"
#include "lmdb.h"

namespace lmdb {

using format::indx_t;
using format::Node;
using format::PageHeader;
using format::pgno_t;
using format::txnid_t;

// A page in memory is addressed by its header.
using Page = PageHeader;

inline constexpr unsigned kPageHdr = format::kPageHeaderSize;
inline constexpr unsigned kNodeHdr = format::kNodeHeaderSize;

inline unsigned even(unsigned n) { return (n + 1u) & ~1u; }
inline size_t even(size_t n) { return (n + 1) & ~size_t(1); }

inline bool is_leaf(const Page *p) { return p->flags & format::P_LEAF; }
inline bool is_leaf2(const Page *p) { return p->flags & format::P_LEAF2; }
inline bool is_branch(const Page *p) { return p->flags & format::P_BRANCH; }
inline bool is_overflow(const Page *p) { return p->flags & format::P_OVERFLOW; }
inline bool is_dirty(const Page *p) { return p->flags & format::P_DIRTY; }
inline bool is_subpage(const Page *p) { return p->flags & format::P_SUBP; }

// In memory only, never written: a leaf copied from the map for a put that
// was not checked whole (btree/insert.cpp, page_touch).  Such a page is read
// with the checks of map pages, and is checked whole before any change
// other than that put's own (adding a node that fits, or overwriting a value
// in place).
inline constexpr uint16_t kPageUnchecked = 0x1000;
inline bool is_unchecked(const Page *p) { return p->flags & kPageUnchecked; }
// Pages whose nodes are known to be well placed: written by this txn (never
// taken from the file, see page_get) and checked.
inline bool is_trusted(const Page *p) {
	return (p->flags & (format::P_DIRTY | kPageUnchecked)) == format::P_DIRTY;
}

using format::indx_unaligned;
inline indx_unaligned *ptrs(Page *p) { return format::node_ptrs(p); }
inline const indx_unaligned *ptrs(const Page *p) { return format::node_ptrs(p); }
inline unsigned numkeys(const Page *p) { return (p->lower - kPageHdr) >> 1; }
inline unsigned size_left(const Page *p) { return unsigned(p->upper) - p->lower; }
// Header fields of a page (or sub-page) of `size` bytes from the file: the
// pointer array ends where the node area begins, inside the page.
inline bool node_area_sane(unsigned lower, unsigned upper, size_t size) {
	return lower >= kPageHdr && lower <= upper && upper <= size;
}

// A LEAF2 page (or sub-page) of `size` bytes with `pad`-byte items.  Its
// items have no pointers, yet every item adds 2 to lower and takes
// pad - 2 from upper, so upper - lower stays the free space and, with
// 1-byte items, upper passes the end of the page: the items and the free
// space fill the page.
inline bool leaf2_area_sane(const Page *p, size_t pad, size_t size) {
	unsigned lower = p->lower, upper = p->upper;
	return pad && lower >= kPageHdr && lower <= upper && size >= kPageHdr &&
	       size_t((lower - kPageHdr) >> 1) * pad + (upper - lower) <= size - kPageHdr;
}

inline Node *node_at(Page *p, unsigned i) {
	return reinterpret_cast<Node *>(reinterpret_cast<char *>(p) + ptrs(p)[i]);
}
inline const Node *node_at(const Page *p, unsigned i) {
	return reinterpret_cast<const Node *>(reinterpret_cast<const char *>(p) + ptrs(p)[i]);
}
inline char *node_key(Node *n) { return reinterpret_cast<char *>(n) + kNodeHdr; }
inline const char *node_key(const Node *n) { return reinterpret_cast<const char *>(n) + kNodeHdr; }
inline char *node_data(Node *n) { return node_key(n) + n->ksize; }
inline const char *node_data(const Node *n) { return node_key(n) + n->ksize; }
inline uint32_t node_dsize(const Node *n) { return uint32_t(n->lo) | (uint32_t(n->hi) << 16); }
inline void set_node_dsize(Node *n, size_t sz) {
	n->lo = uint16_t(sz & 0xffff);
	n->hi = uint16_t(sz >> 16);
}
inline pgno_t node_pgno(const Node *n) {
	return pgno_t(n->lo) | (pgno_t(n->hi) << 16) | (pgno_t(n->flags) << 32);
}
inline void set_node_pgno(Node *n, pgno_t pg) {
	n->lo = uint16_t(pg & 0xffff);
	n->hi = uint16_t((pg >> 16) & 0xffff);
	n->flags = uint16_t(pg >> 32);
}
inline MDB_val node_key_val(const Node *n) {
	return MDB_val{n->ksize, const_cast<char *>(node_key(n))};
}
// Key i of a LEAF2 page with fixed key size ks.
inline char *leaf2_key(Page *p, unsigned i, size_t ks) {
	return reinterpret_cast<char *>(p) + kPageHdr + i * ks;
}
inline char *page_data(Page *p) { return reinterpret_cast<char *>(p) + kPageHdr; }

}  // namespace lmdb
