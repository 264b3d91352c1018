// Writing the tree: copy-on-write of pages, node insertion, page splits,
// separator updates and mdb_cursor_put.
#include <cerrno>
#include <cstring>

#include "btree/cursor.h"
#include "btree/dupsort.h"
#include "txn/spill.h"

namespace lmdb {

using namespace format;

size_t leaf_size(const MDB_env *env, const MDB_val *key, const MDB_val *data) {
	size_t sz = kNodeHdr + key->mv_size + data->mv_size;
	if (sz > env->nodemax) sz -= data->mv_size - sizeof(pgno_t);  // data goes to overflow pages
	return even(sz + sizeof(indx_t));
}

size_t branch_size(const MDB_env *, const MDB_val *key) {
	return kNodeHdr + (key ? key->mv_size : 0) + sizeof(indx_t);
}

// Adjust every other cursor of this db whose stack at `level` holds `from`.
static void retarget_cursors_general(MDB_cursor *mc, Page *from, Page *to) {
	unsigned lvl = mc->top;
	for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
		MDB_cursor *m3 = peer_to_fix(mc, m2);
		if (!m3 || m3 == mc || m3->snum < mc->snum) continue;
		if (m3->pg[lvl] == from) {
			m3->pg[lvl] = to;
			// A sub-page lives inside the leaf: follow it to the copy.
			if (!(mc->flags & kCursorSub) && is_leaf(to)) xcursor_refresh(m3, lvl, to);
		}
	}
}
// (Inline: no walk when the cursor making the change is the only one
// tracked, as in a lone mdb_put or the commit's free-list saving.)
static inline void retarget_cursors(MDB_cursor *mc, Page *from, Page *to) {
	const MDB_cursor *head = mc->txn->cursors[mc->dbi];
	if (!head || (head == mc && !head->next)) return;
	retarget_cursors_general(mc, from, to);
}

// A page copied for cursor_put may skip the whole-page check until a second
// touch or a change other than the put's own (kPageUnchecked): plain leaves
// and branch pages of plain dbs, copied into a buffer (not the map).  The
// put adds a node into the leaf's free space or overwrites a value in place;
// a branch page above gets a child's new page number (in the node the
// descent checked) or, when the child splits, a node in its free space;
// splitting it, or any later touch, checks it whole first.
static bool may_defer_check(const MDB_cursor *mc, const Page *p) {
	return (mc->flags & kCursorPutTouch) && !(mc->flags & kCursorSub) &&
	       !(mc->db->flags & MDB_DUPSORT) && !(mc->txn->flags & kTxnWritemap) &&
	       (is_leaf(p) || is_branch(p)) && !is_leaf2(p);
}

int page_touch_general(MDB_cursor *mc) {
	Page *mp = mc->pg[mc->top];
	MDB_txn *txn = mc->txn;
	Page *np;
	int rc;
	// Touched again: whatever comes next may move nodes.
	if ((rc = page_check_deferred(mc, mp))) return rc;
	if (!is_dirty(mp) && (txn->flags & kTxnSpills)) {
		if ((rc = unspill(txn, mp, &np))) {
			txn->flags |= kTxnError;
			return rc;
		}
		if (np) {
			mc->pg[mc->top] = np;
			retarget_cursors(mc, mp, np);
			// Read back from the file, which may have changed meanwhile:
			// checked whole like any other copy of file contents.
			if (!page_nodes_sane(mc, np)) {
				txn->flags |= kTxnError;
				return MDB_CORRUPTED;
			}
			return MDB_SUCCESS;
		}
	}
	if (!is_dirty(mp)) {
		if ((rc = txn->free_pgs.reserve_more(1)) || (rc = page_alloc(mc, 1, &np, BufferFill::kCallerFills))) {
			txn->flags |= kTxnError;
			return rc;
		}
		pgno_t pgno = np->pgno;
		txn->free_pgs.push(mp->pgno);
		if (mc->top) {
			Page *parent = mc->pg[mc->top - 1];
			// (An unchecked parent: its copy may differ from the map page
			// the descent checked the node in.)
			const unsigned pi = mc->ki[mc->top - 1];
			if (is_unchecked(parent) &&
			    (pi >= numkeys(parent) || !node_fits(parent, ptrs(parent)[pi], txn->env->psize))) {
				txn->flags |= kTxnError;
				return MDB_CORRUPTED;
			}
			set_node_pgno(node_at(parent, pi), pgno);
		} else {
			mc->db->root = pgno;
		}
		// Copy the used parts only: header + pointers, and the node area.
		// The gap between them keeps what the buffer held: zeros, or bytes
		// of this env's earlier pages (BufferFill::kCallerFills), as upstream.
		// lower and upper are read once: the map may change under us.
		unsigned psize = txn->env->psize;
		if (is_leaf2(mp) || is_overflow(mp)) {
			std::memcpy(np, mp, psize);
		} else {
			unsigned lower = mp->lower, upper = mp->upper;
			if (!node_area_sane(lower, upper, psize)) {
				txn->flags |= kTxnError;
				return MDB_CORRUPTED;
			}
			char *dst = reinterpret_cast<char *>(np);
			std::memcpy(dst, mp, lower);
			std::memcpy(dst + upper, reinterpret_cast<const char *>(mp) + upper, psize - upper);
			np->lower = uint16_t(lower);
			np->upper = uint16_t(upper);
		}
		np->pgno = pgno;
		np->flags = uint16_t((np->flags & ~kPageUnchecked) | P_DIRTY);
		// From here on the page is written through unchecked paths: check
		// all of it once (hostile files, docs/hostile-files.md).  The copy
		// is checked, not the map page (which may change under us), and it
		// is already in the cache.  A put's leaf only needs its header now:
		// the put adds a node into the free space or overwrites a value in
		// place, and anything more checks the page whole first.
		if (may_defer_check(mc, np)) {
			if (!node_area_sane(np->lower, np->upper, psize)) {
				txn->flags |= kTxnError;
				return MDB_CORRUPTED;
			}
			np->flags |= kPageUnchecked;
		} else if (!page_nodes_sane(mc, np)) {
			txn->flags |= kTxnError;
			return MDB_CORRUPTED;
		}
	} else if (txn->parent && !is_subpage(mp)) {
		// A child txn must own its own copy of a parent's dirty page.
		if (txn->dirty.find(mp->pgno)) return MDB_SUCCESS;
		np = page_buffer_alloc(txn->env, 1, BufferFill::kCallerFills);  // copied whole below
		if (!np) return ENOMEM;
		if ((rc = txn->dirty.insert(mp->pgno, np))) {
			page_buffer_release(txn->env, np);
			return rc;
		}
		std::memcpy(np, mp, txn->env->psize);
	} else {
		return MDB_SUCCESS;
	}
	mc->pg[mc->top] = np;
	retarget_cursors(mc, mp, np);
	return MDB_SUCCESS;
}

int cursor_touch(MDB_cursor *mc) {
	int rc = MDB_SUCCESS;
	if (mc->dbi >= kCoreDbs && !(*mc->dbflag & (kDbDirty | kDbDupData))) {
		// The named db's record in the main db will be rewritten at commit:
		// make its path writable now.
		if (txn_dbi_changed(mc->txn, mc->dbi)) return MDB_BAD_DBI;
		MDB_cursor mc2;
		cursor_init(&mc2, mc->txn, kMainDbi);
		rc = page_search(&mc2, &mc->dbx->name, kSearchModify);
		if (rc) return rc;
		*mc->dbflag |= kDbDirty;
	}
	mc->top = 0;
	if (mc->snum) {
		do {
			rc = page_touch(mc);
		} while (!rc && ++mc->top < mc->snum);
		mc->top = mc->snum - 1;
	}
	return rc;
}

// A new page's unused bytes are not zeroed: like a copy's, they hold zeros
// or bytes of this env's earlier page buffers (BufferFill::kCallerFills),
// which is upstream's promise too (mdb_page_malloc zeroes fresh heap memory
// only).  The header is set here; callers add the nodes.  (A run of
// overflow pages is always fresh heap memory: kZero clears the parts its
// value leaves unused.)
int page_new(MDB_cursor *mc, unsigned flags, unsigned num, Page **out) {
	Page *np;
	int rc = page_alloc(mc, num, &np, num == 1 ? BufferFill::kCallerFills : BufferFill::kZero);
	if (rc) return rc;
	np->flags = uint16_t(flags | P_DIRTY);
	np->pad = 0;
	np->lower = kPageHdr;
	np->upper = uint16_t(mc->txn->env->psize);
	if (flags & P_BRANCH)
		mc->db->branch_pages++;
	else if (flags & P_LEAF)
		mc->db->leaf_pages++;
	else if (flags & P_OVERFLOW) {
		mc->db->overflow_pages += num;
		np->overflow_pages = num;
	}
	*out = np;
	return MDB_SUCCESS;
}

int node_add(MDB_cursor *mc, indx_t indx, const MDB_val *key, MDB_val *data, pgno_t pgno,
             unsigned flags) {
	Page *mp = mc->pg[mc->top];
	MDB_env *env = mc->txn->env;
	Page *ofp = nullptr;
	size_t node_size = kNodeHdr;

	if (is_leaf2(mp)) {
		size_t ksize = mc->db->pad;
		if (key->mv_size != ksize) {
			// Fixed-size items of another size (the size may come from the
			// file): never copy past the caller's item.
			mc->txn->flags |= kTxnError;
			return MDB_BAD_VALSIZE;
		}
		char *p = leaf2_key(mp, indx, ksize);
		int dif = int(numkeys(mp)) - indx;
		if (dif > 0) std::memmove(p + ksize, p, size_t(dif) * ksize);
		std::memcpy(p, key->mv_data, ksize);
		mp->lower += sizeof(indx_t);
		mp->upper -= uint16_t(ksize - sizeof(indx_t));
		return MDB_SUCCESS;
	}

	ssize_t room = ssize_t(size_left(mp)) - ssize_t(sizeof(indx_t));
	if (key) node_size += key->mv_size;
	if (is_leaf(mp)) {
		if (flags & F_BIGDATA) {
			node_size += sizeof(pgno_t);
		} else if (node_size + data->mv_size > env->nodemax) {
			unsigned ovpages = unsigned(overflow_pages_for(data->mv_size, env->psize));
			node_size = even(node_size + sizeof(pgno_t));
			if (ssize_t(node_size) > room) goto full;
			int rc = page_new(mc, P_OVERFLOW, ovpages, &ofp);
			if (rc) return rc;
			flags |= F_BIGDATA;
			goto update;
		} else {
			node_size += data->mv_size;
		}
	}
	node_size = even(node_size);
	if (ssize_t(node_size) > room) goto full;

update : {
	unsigned n = numkeys(mp);
	indx_unaligned *pp = ptrs(mp);
	for (unsigned i = n; i > indx; i--) pp[i] = pp[i - 1];
	indx_t ofs = indx_t(mp->upper - node_size);
	pp[indx] = ofs;
	mp->upper = ofs;
	mp->lower += sizeof(indx_t);

	Node *node = node_at(mp, indx);
	node->ksize = key ? uint16_t(key->mv_size) : 0;
	node->flags = uint16_t(flags);
	if (is_leaf(mp))
		set_node_dsize(node, data->mv_size);
	else
		set_node_pgno(node, pgno);
	if (key && key->mv_size) std::memcpy(node_key(node), key->mv_data, key->mv_size);
	if (is_leaf(mp)) {
		char *ndata = node_data(node);
		if (ofp == nullptr) {
			if (flags & F_BIGDATA)
				std::memcpy(ndata, data->mv_data, sizeof(pgno_t));
			else if (flags & MDB_RESERVE)
				data->mv_data = ndata;
			else if (data->mv_size)
				std::memcpy(ndata, data->mv_data, data->mv_size);
		} else {
			pgno_t opg = ofp->pgno;
			std::memcpy(ndata, &opg, sizeof(pgno_t));
			char *odata = page_data(ofp);
			if (flags & MDB_RESERVE)
				data->mv_data = odata;
			else if (data->mv_size)
				std::memcpy(odata, data->mv_data, data->mv_size);
		}
	}
	return MDB_SUCCESS;
}

full:
	mc->txn->flags |= kTxnError;
	return MDB_PAGE_FULL;
}

void node_del(MDB_cursor *mc, int ksize) {
	Page *mp = mc->pg[mc->top];
	indx_t indx = mc->ki[mc->top];
	unsigned n = numkeys(mp);
	if (is_leaf2(mp)) {
		int x = int(n) - 1 - indx;
		char *base = leaf2_key(mp, indx, size_t(ksize));
		if (x) std::memmove(base, base + ksize, size_t(x) * size_t(ksize));
		mp->lower -= sizeof(indx_t);
		mp->upper += uint16_t(ksize - int(sizeof(indx_t)));
		return;
	}
	Node *node = node_at(mp, indx);
	unsigned sz = kNodeHdr + node->ksize;
	if (is_leaf(mp)) sz += (node->flags & F_BIGDATA) ? unsigned(sizeof(pgno_t)) : node_dsize(node);
	sz = even(sz);
	indx_unaligned *pp = ptrs(mp);
	indx_t ptr = pp[indx];
	for (unsigned i = 0, j = 0; i < n; i++) {
		if (i != indx) {
			pp[j] = pp[i];
			if (pp[i] < ptr) pp[j] = indx_t(pp[j] + sz);
			j++;
		}
	}
	char *base = reinterpret_cast<char *>(mp) + mp->upper;
	std::memmove(base + sz, base, size_t(ptr - mp->upper));
	mp->lower -= sizeof(indx_t);
	mp->upper = uint16_t(mp->upper + sz);
}

int update_key(MDB_cursor *mc, const MDB_val *key) {
	indx_t indx = mc->ki[mc->top];
	Page *mp = mc->pg[mc->top];
	Node *node = node_at(mp, indx);
	indx_t ptr = ptrs(mp)[indx];
	int ksize = int(even(unsigned(key->mv_size)));
	int oksize = int(even(unsigned(node->ksize)));
	int delta = ksize - oksize;
	if (delta) {
		if (delta > 0 && int(size_left(mp)) < delta) {
			// No room: delete the node and re-insert it through a split.
			pgno_t pgno = node_pgno(node);
			node_del(mc, 0);
			return page_split(mc, key, nullptr, pgno, kSplitReplace);
		}
		unsigned n = numkeys(mp);
		indx_unaligned *pp = ptrs(mp);
		for (unsigned i = 0; i < n; i++)
			if (pp[i] <= ptr) pp[i] = indx_t(pp[i] - delta);
		char *base = reinterpret_cast<char *>(mp) + mp->upper;
		size_t len = size_t(ptr - mp->upper) + kNodeHdr;
		std::memmove(base - delta, base, len);
		mp->upper = uint16_t(mp->upper - delta);
		node = node_at(mp, indx);
	}
	if (node->ksize != key->mv_size) node->ksize = uint16_t(key->mv_size);
	if (key->mv_size) std::memcpy(node_key(node), key->mv_data, key->mv_size);
	return MDB_SUCCESS;
}

int page_split(MDB_cursor *mc, const MDB_val *newkey, MDB_val *newdata, pgno_t newpgno,
               unsigned nflags) {
	MDB_env *env = mc->txn->env;
	int rc = MDB_SUCCESS, new_root = 0, did_split = 0;
	Page *mp = mc->pg[mc->top];
	if ((rc = page_check_deferred(mc, mp))) return rc;  // all its nodes move
	indx_t newindx = mc->ki[mc->top];
	int nkeys = int(numkeys(mp));
	Page *rp, *pp;
	Page *copy = nullptr;
	int ptop;
	int split_indx;
	MDB_val sepkey, rkey, xdata, *rdata = &xdata;
	MDB_cursor mn;
	pgno_t pgno = 0;
	unsigned flags;
	int i, j;

	if ((rc = page_new(mc, mp->flags & ~(P_DIRTY | kPageUnchecked), 1, &rp))) return rc;
	rp->pad = mp->pad;

	if (mc->top < 1) {
		if ((rc = page_new(mc, P_BRANCH, 1, &pp))) goto done;
		for (i = mc->snum; i > 0; i--) {
			mc->pg[i] = mc->pg[i - 1];
			mc->ki[i] = mc->ki[i - 1];
		}
		mc->pg[0] = pp;
		mc->ki[0] = 0;
		mc->db->root = pp->pgno;
		new_root = mc->db->depth++;
		if ((rc = node_add(mc, 0, nullptr, nullptr, mp->pgno, 0)) != MDB_SUCCESS) {
			mc->pg[0] = mc->pg[1];
			mc->ki[0] = mc->ki[1];
			mc->db->root = mp->pgno;
			mc->db->depth--;
			goto done;
		}
		mc->snum++;
		mc->top++;
		ptop = 0;
	} else {
		ptop = mc->top - 1;
	}

	cursor_copy(mc, &mn);
	mn.xcursor = nullptr;
	mn.pg[mn.top] = rp;
	mn.ki[ptop] = indx_t(mc->ki[ptop] + 1);

	if (nflags & MDB_APPEND) {
		mn.ki[mn.top] = 0;
		sepkey = *newkey;
		split_indx = newindx;
		nkeys = 0;
	} else {
		split_indx = (nkeys + 1) / 2;
		if (is_leaf2(rp)) {
			unsigned ksize = mc->db->pad;
			int x = mc->ki[mc->top] - split_indx;
			char *split = leaf2_key(mp, unsigned(split_indx), ksize);
			unsigned rsize = unsigned(nkeys - split_indx) * ksize;
			unsigned lsize = unsigned(nkeys - split_indx) * unsigned(sizeof(indx_t));
			mp->lower = uint16_t(mp->lower - lsize);
			rp->lower = uint16_t(rp->lower + lsize);
			mp->upper = uint16_t(mp->upper + rsize - lsize);
			rp->upper = uint16_t(rp->upper - (rsize - lsize));
			sepkey.mv_size = ksize;
			sepkey.mv_data = (newindx == split_indx) ? newkey->mv_data : split;
			if (x < 0) {
				char *ins = leaf2_key(mp, mc->ki[mc->top], ksize);
				std::memcpy(page_data(rp), split, rsize);
				sepkey.mv_data = page_data(rp);
				std::memmove(ins + ksize, ins, size_t(split_indx - mc->ki[mc->top]) * ksize);
				std::memcpy(ins, newkey->mv_data, ksize);
				mp->lower += sizeof(indx_t);
				mp->upper = uint16_t(mp->upper - (ksize - sizeof(indx_t)));
			} else {
				if (x) std::memcpy(page_data(rp), split, size_t(x) * ksize);
				char *ins = leaf2_key(rp, unsigned(x), ksize);
				std::memcpy(ins, newkey->mv_data, ksize);
				std::memcpy(ins + ksize, split + size_t(x) * ksize, rsize - size_t(x) * ksize);
				rp->lower += sizeof(indx_t);
				rp->upper = uint16_t(rp->upper - (ksize - sizeof(indx_t)));
				mc->ki[mc->top] = indx_t(x);
			}
		} else {
			int pmax = int(env->psize - kPageHdr);
			int keythresh = int(env->psize >> 7);
			int nsize = int(is_leaf(mp) ? leaf_size(env, newkey, newdata) : branch_size(env, newkey));
			nsize = int(even(unsigned(nsize)));

			// Only its pointers and node area reach mp (below): not zeroed.
			copy = page_buffer_alloc(env, 1, BufferFill::kCallerFills);
			if (!copy) {
				rc = ENOMEM;
				goto done;
			}
			copy->pgno = mp->pgno;
			copy->flags = mp->flags;
			copy->pad = 0;
			copy->lower = kPageHdr;
			copy->upper = uint16_t(env->psize);

			// The new node's slot is left as a hole (0) in the copy's pointers.
			indx_unaligned *cp = ptrs(copy);
			for (i = 0, j = 0; i < nkeys; i++) {
				if (i == newindx) cp[j++] = 0;
				cp[j++] = ptrs(mp)[i];
			}
			if (newindx >= nkeys) cp[j] = 0;

			if (nkeys < keythresh || nsize > pmax / 16 || newindx >= nkeys) {
				// Choose the split point by size so both halves fit.
				int psize = 0, k;
				if (newindx <= split_indx || newindx >= nkeys) {
					i = 0;
					j = 1;
					k = newindx >= nkeys ? nkeys : split_indx + 1 + (is_leaf(mp) ? 1 : 0);
				} else {
					i = nkeys;
					j = -1;
					k = split_indx - 1;
				}
				for (; i != k; i += j) {
					if (i == newindx) {
						psize += nsize;
					} else {
						Node *node = reinterpret_cast<Node *>(reinterpret_cast<char *>(mp) + cp[i]);
						psize += int(kNodeHdr + node->ksize + sizeof(indx_t));
						if (is_leaf(mp)) {
							if (node->flags & F_BIGDATA)
								psize += int(sizeof(pgno_t));
							else
								psize += int(node_dsize(node));
						}
						psize = int(even(unsigned(psize)));
					}
					if (psize > pmax || i == k - j) {
						split_indx = i + (j < 0);
						break;
					}
				}
			}
			if (split_indx == newindx) {
				sepkey = *newkey;
			} else {
				Node *node = reinterpret_cast<Node *>(reinterpret_cast<char *>(mp) + cp[split_indx]);
				sepkey.mv_size = node->ksize;
				sepkey.mv_data = node_key(node);
			}
		}
	}

	// Copy the separator key into the parent, splitting it if needed.
	if (size_left(mn.pg[ptop]) < branch_size(env, &sepkey)) {
		int snum = mc->snum;
		mn.snum--;
		mn.top--;
		did_split = 1;
		rc = with_tracking(&mn, [&] { return page_split(&mn, &sepkey, nullptr, rp->pgno, 0); });
		if (rc) goto done;
		if (mc->snum > snum) ptop++;
		// The right page may have a new parent; check the left one too.
		if (mn.pg[ptop] != mc->pg[ptop] && mc->ki[ptop] >= numkeys(mc->pg[ptop])) {
			for (i = 0; i < ptop; i++) {
				mc->pg[i] = mn.pg[i];
				mc->ki[i] = mn.ki[i];
			}
			mc->pg[ptop] = mn.pg[ptop];
			if (mn.ki[ptop]) {
				mc->ki[ptop] = indx_t(mn.ki[ptop] - 1);
			} else {
				mc->ki[ptop] = mn.ki[ptop];
				cursor_sibling(mc, false);
			}
		}
	} else {
		mn.top--;
		rc = node_add(&mn, mn.ki[ptop], &sepkey, nullptr, rp->pgno, 0);
		mn.top++;
	}
	if (rc != MDB_SUCCESS) goto done;

	if (nflags & MDB_APPEND) {
		mc->pg[mc->top] = rp;
		mc->ki[mc->top] = 0;
		rc = node_add(mc, 0, newkey, newdata, newpgno, nflags);
		if (rc) goto done;
		for (i = 0; i < mc->top; i++) mc->ki[i] = mn.ki[i];
	} else if (!is_leaf2(mp)) {
		// Move the upper half to rp, then rebuild mp from the copy.
		mc->pg[mc->top] = rp;
		i = split_indx;
		j = 0;
		indx_unaligned *cp = ptrs(copy);
		do {
			if (i == newindx) {
				rkey = *newkey;
				if (is_leaf(mp))
					rdata = newdata;
				else
					pgno = newpgno;
				flags = nflags;
				mc->ki[mc->top] = indx_t(j);
			} else {
				Node *node = reinterpret_cast<Node *>(reinterpret_cast<char *>(mp) + cp[i]);
				rkey.mv_data = node_key(node);
				rkey.mv_size = node->ksize;
				if (is_leaf(mp)) {
					xdata.mv_data = node_data(node);
					xdata.mv_size = node_dsize(node);
					rdata = &xdata;
				} else {
					pgno = node_pgno(node);
				}
				flags = node->flags;
			}
			if (!is_leaf(mp) && j == 0) rkey.mv_size = 0;
			rc = node_add(mc, indx_t(j), &rkey, rdata, pgno, flags);
			if (rc) goto done;
			if (i == nkeys) {
				i = 0;
				j = 0;
				mc->pg[mc->top] = copy;
			} else {
				i++;
				j++;
			}
		} while (i != split_indx);

		nkeys = int(numkeys(copy));
		for (i = 0; i < nkeys; i++) ptrs(mp)[i] = ptrs(copy)[i];
		mp->lower = copy->lower;
		mp->upper = copy->upper;
		std::memcpy(reinterpret_cast<char *>(mp) + copy->upper,
		            reinterpret_cast<char *>(copy) + copy->upper, env->psize - copy->upper);

		if (newindx < split_indx) {
			mc->pg[mc->top] = mp;
		} else {
			mc->pg[mc->top] = rp;
			mc->ki[ptop]++;
			if (mn.pg[ptop] != mc->pg[ptop] && mc->ki[ptop] >= numkeys(mc->pg[ptop])) {
				for (i = 0; i <= ptop; i++) {
					mc->pg[i] = mn.pg[i];
					mc->ki[i] = mn.ki[i];
				}
			}
		}
		if (nflags & MDB_RESERVE) {
			Node *node = node_at(mc->pg[mc->top], mc->ki[mc->top]);
			if (!(node->flags & F_BIGDATA)) newdata->mv_data = node_data(node);
		}
	} else {
		if (newindx >= split_indx) {
			mc->pg[mc->top] = rp;
			mc->ki[ptop]++;
			if (mn.pg[ptop] != mc->pg[ptop] && mc->ki[ptop] >= numkeys(mc->pg[ptop])) {
				for (i = 0; i <= ptop; i++) {
					mc->pg[i] = mn.pg[i];
					mc->ki[i] = mn.ki[i];
				}
			}
		}
	}

	{
		// Adjust the other cursors that pointed into mp.
		nkeys = int(numkeys(mp));
		for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
			MDB_cursor *m3 = peer_to_fix(mc, m2);
			if (!m3 || m3 == mc) continue;
			if (!(m2->flags & m3->flags & kCursorInitialized)) continue;
			if (new_root) {
				if (m3->pg[0] != mp) continue;
				for (int k = new_root; k >= 0; k--) {
					m3->ki[k + 1] = m3->ki[k];
					m3->pg[k + 1] = m3->pg[k];
				}
				m3->ki[0] = (m3->ki[0] >= nkeys) ? 1 : 0;
				m3->pg[0] = mc->pg[0];
				m3->snum++;
				m3->top++;
			}
			if (m3->top >= mc->top && m3->pg[mc->top] == mp) {
				if (m3->ki[mc->top] >= newindx && !(nflags & kSplitReplace)) m3->ki[mc->top]++;
				if (m3->ki[mc->top] >= nkeys) {
					m3->pg[mc->top] = rp;
					m3->ki[mc->top] = indx_t(m3->ki[mc->top] - nkeys);
					for (i = 0; i < mc->top; i++) {
						m3->ki[i] = mn.ki[i];
						m3->pg[i] = mn.pg[i];
					}
				}
			} else if (!did_split && m3->top >= ptop && m3->pg[ptop] == mc->pg[ptop] &&
			           m3->ki[ptop] >= mc->ki[ptop]) {
				m3->ki[ptop]++;
			}
			if (is_leaf(mp)) xcursor_refresh(m3, mc->top, m3->pg[mc->top]);
		}
	}

done:
	if (copy) page_buffer_release(env, copy);
	if (rc) mc->txn->flags |= kTxnError;
	return rc;
}

}  // namespace lmdb

namespace lmdb {

using namespace format;

// Internal flag: do not spill dirty pages (reserved for issue 5's spilling).
inline constexpr unsigned kNoSpill = 0x8000;

// Update `m3`'s position after a node was inserted at mc's position.
static void fixup_after_insert(MDB_cursor *mc, bool insert_key) {
	unsigned i = mc->top;
	Page *mp = mc->pg[i];
	for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
		MDB_cursor *m3 = peer_to_fix(mc, m2);
		if (!m3 || m3 == mc || m3->snum < mc->snum || m3->pg[i] != mp) continue;
		if (m3->ki[i] >= mc->ki[i] && insert_key) m3->ki[i]++;
		xcursor_refresh(m3, i, mp);
	}
}

// A new duplicate for the key the cursor is on, checked before any page is
// touched, so that a refusal leaves the txn usable:
// - MDB_RESERVE cannot reserve room among sorted duplicates (lmdb.h; upstream
//   crashes there): EINVAL;
// - an empty item cannot join other items (they are the keys of a sub-db),
//   except over a lone empty item, which it replaces: MDB_BAD_VALSIZE;
// - in a DUPFIXED db every item of a key has the size of the first one,
//   unless that one is empty (the new item then replaces it).
static int check_new_dup(MDB_cursor *mc, const MDB_val *data, unsigned flags) {
	if (flags & MDB_RESERVE) return EINVAL;
	Page *mp = mc->pg[mc->top];
	if (mc->ki[mc->top] >= numkeys(mp)) return MDB_SUCCESS;
	if (!node_in_bounds(mc->txn->env, mp, mc->ki[mc->top])) return MDB_CORRUPTED;
	const Node *leaf = node_at(mp, mc->ki[mc->top]);
	size_t have;  // the size of the key's items (DUPFIXED)
	if (!(leaf->flags & F_DUPDATA)) {
		have = node_dsize(leaf);
		if (have == 0) return MDB_SUCCESS;
	} else if (leaf->flags & F_SUBDATA) {
		DbRecord rec;
		std::memcpy(&rec, node_data(leaf), sizeof rec);
		have = rec.pad;
	} else {
		have = reinterpret_cast<const Page *>(node_data(leaf))->pad;
	}
	if (data->mv_size == 0) return MDB_BAD_VALSIZE;
	if ((mc->db->flags & MDB_DUPFIXED) && data->mv_size != have) return MDB_BAD_VALSIZE;
	return MDB_SUCCESS;
}

int cursor_put(MDB_cursor *mc, const MDB_val *key_in, MDB_val *data, unsigned flags) {
	MDB_env *env = mc->txn->env;
	Node *leaf = nullptr;
	Page *fp, *mp, *sub_root = nullptr;
	uint16_t fp_flags;
	MDB_val xdata, *rdata, dkey, olddata;
	DbRecord dummy;
	bool do_sub = false, replaced_empty = false;
	int insert_key, insert_data;
	unsigned mcount = 0, dcount = 0;
	int rc, rc2;
	unsigned nflags;
	MDB_val keyv = *key_in;
	MDB_val *key = &keyv;
	char kcur[kMaxKeySize];  // MDB_CURRENT: the current node's own key
	unsigned offset = 0;  // growth of a (sub-)page being rebuilt
	char *ptr;

	if (flags & MDB_MULTIPLE) {
		dcount = unsigned(data[1].mv_size);
		data[1].mv_size = 0;
		if (!(mc->db->flags & MDB_DUPFIXED)) return MDB_INCOMPATIBLE;
		// Reserving more than one item: the first reserved place would be
		// read as the next item (upstream crashes there).
		if ((flags & MDB_RESERVE) && dcount > 1) return EINVAL;
	}
	bool nospill = flags & kNoSpill;
	flags &= ~kNoSpill;

	if (mc->txn->flags & (kTxnRdonly | kTxnBlocked))
		return (mc->txn->flags & kTxnRdonly) ? EACCES : MDB_BAD_TXN;
	if (key->mv_size - 1 >= kMaxKeySize) return MDB_BAD_VALSIZE;
	if (data->mv_size > ((mc->db->flags & MDB_DUPSORT) ? kMaxKeySize : 0xffffffffu))
		return MDB_BAD_VALSIZE;
	if ((mc->db->flags & MDB_DUPSORT) && !mc->xcursor) {
		// An internal cursor (main or free db) on a db whose flags from the
		// file say DUPSORT.
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}

	dkey.mv_size = 0;
	dkey.mv_data = nullptr;

	constexpr int kNoRoot = MDB_LAST_ERRCODE + 10;
	const bool dup_main = (mc->db->flags & MDB_DUPSORT) && !(mc->flags & kCursorSub);
	if (flags & MDB_CURRENT) {
		if (!(mc->flags & kCursorInitialized)) return EINVAL;
		if (dup_main && (flags & MDB_RESERVE)) return EINVAL;
		// On no item (it deleted the last one, or a search ended past the
		// last key): nothing to replace.  Upstream takes the page's slot
		// past the last node, a stale offset, and overwrites whatever node
		// is there now.
		if (!mc->snum || mc->ki[mc->top] >= numkeys(mc->pg[mc->top])) return MDB_NOTFOUND;
		// The caller's key must be the current one (lmdb.h); where the node
		// is rebuilt (another size, a growing sub-page) it is written under
		// the key it has, never renamed to the caller's (upstream renames it:
		// out of order, or a node of a size the page cannot hold).
		if (!(mc->flags & kCursorSub) && !is_leaf2(mc->pg[mc->top])) {
			if (!node_in_bounds(env, mc->pg[mc->top], mc->ki[mc->top])) return MDB_CORRUPTED;
			const Node *cn = node_at(mc->pg[mc->top], mc->ki[mc->top]);
			std::memcpy(kcur, node_key(cn), cn->ksize);
			keyv = MDB_val{cn->ksize, kcur};
		}
		// MDB_CURRENT|MDB_APPENDDUP adds an item to the current key: the
		// same checks as any new item, before a page is touched.
		if (dup_main && (flags & MDB_APPENDDUP) && (rc2 = check_new_dup(mc, data, flags))) return rc2;
		rc = MDB_SUCCESS;
		// (MDB_CURRENT|MDB_APPENDDUP adds a duplicate to the current key.)
		if ((mc->db->flags & MDB_DUPSORT) && !(mc->flags & kCursorSub) && !(flags & MDB_APPENDDUP)) {
			Page *cp = mc->pg[mc->top];
			if (mc->ki[mc->top] >= numkeys(cp)) return MDB_NOTFOUND;
			if (!node_in_bounds(env, cp, mc->ki[mc->top])) return MDB_CORRUPTED;
			Node *cn = node_at(cp, mc->ki[mc->top]);
			if (cn->flags & F_DUPDATA) {
				// No current duplicate (e.g. after a failed search).
				if (!(xcursor_of(mc)->flags & kCursorInitialized)) return EINVAL;
				if (!(cn->flags & F_SUBDATA) && !(mc->db->flags & MDB_DUPFIXED)) {
					MDB_val cur;
					if ((rc = cursor_get(xcursor_of(mc), &cur, nullptr, MDB_GET_CURRENT))) return rc;
					if (cur.mv_size != data->mv_size) {
						// A duplicate of another size in a sub-page: delete
						// the old one and insert the new one (lmdb.h), which
						// must sort into the same place.  The key may point
						// into the page: copy it first.
						if (data->mv_size == 0) return MDB_BAD_VALSIZE;
						char kbuf[kMaxKeySize];
						std::memcpy(kbuf, key->mv_data, key->mv_size);
						MDB_val k2{key->mv_size, kbuf};
						if ((rc = cursor_del(mc, 0))) return rc;
						return cursor_put(mc, &k2, data, flags & ~unsigned(MDB_CURRENT));
					}
				}
			}
		}
	} else if (mc->db->root == kInvalidPgno) {
		mc->snum = 0;
		mc->top = 0;
		mc->flags &= ~kCursorInitialized;
		rc = kNoRoot;
	} else {
		int exact = 0;
		MDB_val d2;
		if (flags & MDB_APPEND) {
			MDB_val k2;
			rc = cursor_last(mc, &k2, &d2);
			if (rc == 0) {
				rc = mc->dbx->cmp(key, &k2);
				if (rc > 0) {
					rc = MDB_NOTFOUND;
					mc->ki[mc->top]++;
				} else {
					rc = MDB_KEYEXIST;
				}
			}
		} else {
			rc = cursor_set(mc, key, &d2, MDB_SET, &exact);
		}
		if ((flags & MDB_NOOVERWRITE) && rc == 0) {
			*data = d2;
			return MDB_KEYEXIST;
		}
		if (rc && rc != MDB_NOTFOUND) return rc;
		if (rc == 0 && dup_main && (rc2 = check_new_dup(mc, data, flags))) return rc2;
	}

	if (mc->flags & kCursorDel) mc->flags ^= kCursorDel;

	if (!nospill) {
		MDB_val total = *data;
		if (flags & MDB_MULTIPLE) total.mv_size = data->mv_size * dcount;
		if ((rc2 = spill_if_needed(mc, key, &total))) return rc2;
	}

	if (rc == kNoRoot) {
		Page *np;
		if ((rc2 = page_new(mc, P_LEAF, 1, &np))) return rc2;
		cursor_push(mc, np);
		mc->db->root = np->pgno;
		mc->db->depth++;
		*mc->dbflag |= kDbDirty;
		if ((mc->db->flags & (MDB_DUPSORT | MDB_DUPFIXED)) == MDB_DUPFIXED) np->flags |= P_LEAF2;
		mc->flags |= kCursorInitialized;
	} else {
		mc->flags |= kCursorPutTouch;
		rc2 = cursor_touch(mc);
		mc->flags &= ~kCursorPutTouch;
		if (rc2) return rc2;
	}

	insert_key = insert_data = rc;
	if (insert_key) {
		if ((mc->db->flags & MDB_DUPSORT) && kNodeHdr + key->mv_size + data->mv_size > env->nodemax) {
			// Too big for a node: start a sub-db right away, from an
			// empty fake sub-page.
			fp_flags = P_LEAF | P_DIRTY;
			fp = env->pbuf;
			fp->pad = uint16_t(data->mv_size);
			fp->lower = fp->upper = kPageHdr;
			olddata.mv_size = kPageHdr;
			goto prep_subDB;
		}
	} else {
		if (is_leaf2(mc->pg[mc->top])) {
			if (key->mv_size != mc->db->pad) return MDB_BAD_VALSIZE;
			ptr = leaf2_key(mc->pg[mc->top], mc->ki[mc->top], mc->db->pad);
			std::memcpy(ptr, key->mv_data, mc->db->pad);
		fix_parent:
			// Overwriting slot 0 of a leaf: the branch key above may change.
			if (mc->top && !mc->ki[mc->top]) {
				unsigned short dtop = 1;
				mc->top--;
				while (mc->top && !mc->ki[mc->top]) {
					mc->top--;
					dtop++;
				}
				if (mc->ki[mc->top])
					rc2 = update_key(mc, key);
				else
					rc2 = MDB_SUCCESS;
				mc->top = uint16_t(mc->top + dtop);
				if (rc2) return rc2;
			}
			return MDB_SUCCESS;
		}

	more:
		if (!node_in_bounds(env, mc->pg[mc->top], mc->ki[mc->top])) return MDB_CORRUPTED;
		leaf = node_at(mc->pg[mc->top], mc->ki[mc->top]);
		olddata.mv_size = node_dsize(leaf);
		olddata.mv_data = node_data(leaf);

		if (mc->db->flags & MDB_DUPSORT) {
			offset = 0;
			mp = fp = env->pbuf;
			xdata.mv_data = fp;
			mp->pgno = mc->pg[mc->top]->pgno;

			if (!(leaf->flags & F_DUPDATA)) {
				// A single item so far: convert to a sub-page.
				if (flags == MDB_CURRENT) goto current;
				MDB_cmp_func *dcmp = mc->dbx->dcmp;
				if (dcmp == cmp_int && olddata.mv_size == sizeof(size_t)) dcmp = cmp_long;
				if (!dcmp(data, &olddata)) {
					if (flags & (MDB_NODUPDATA | MDB_APPENDDUP)) return MDB_KEYEXIST;
					goto current;
				}
				// MDB_CURRENT with other flags (but APPENDDUP, which adds an
				// item) replaces the item too.  (Upstream makes a sub-page and
				// writes the old item through an unset or stale sub-cursor:
				// EINVAL and a failed txn, or an item lost.)
				if ((flags & (MDB_CURRENT | MDB_APPENDDUP)) == MDB_CURRENT) goto current;
				// A lone empty item cannot be a key of the sub-page: the new
				// item replaces it (dkey stays empty), as upstream does, and
				// the db's count stays (upstream counts one item too many).
				if (olddata.mv_size == 0) replaced_empty = true;
				dkey.mv_size = olddata.mv_size;
				dkey.mv_data = std::memcpy(reinterpret_cast<char *>(fp) + kPageHdr, olddata.mv_data,
				                           olddata.mv_size);
				fp->flags = P_LEAF | P_DIRTY | P_SUBP;
				fp->lower = kPageHdr;
				xdata.mv_size = kPageHdr + dkey.mv_size + data->mv_size;
				if (mc->db->flags & MDB_DUPFIXED) {
					fp->flags |= P_LEAF2;
					fp->pad = uint16_t(data->mv_size);
					xdata.mv_size += 2 * data->mv_size;
				} else {
					xdata.mv_size += 2 * (sizeof(indx_t) + kNodeHdr) + (dkey.mv_size & 1) +
					                 (data->mv_size & 1);
				}
				fp->upper = uint16_t(xdata.mv_size);
				olddata.mv_size = xdata.mv_size;
			} else if (leaf->flags & F_SUBDATA) {
				flags |= F_DUPDATA | F_SUBDATA;
				goto put_sub;
			} else {
				fp = static_cast<Page *>(olddata.mv_data);
				bool reuse = false;
				// Replacing the current item (MDB_CURRENT, with any flag but
				// APPENDDUP, which adds one) needs no room: the sub-page stays
				// where it is, the sub-cursor on it.  (Upstream grows and moves
				// it when other flags come along, then writes through the
				// sub-cursor left on the old place.)
				if ((flags & (MDB_CURRENT | MDB_APPENDDUP)) == MDB_CURRENT) {
					reuse = true;
				} else if (!(mc->db->flags & MDB_DUPFIXED)) {
					offset = unsigned(even(kNodeHdr + sizeof(indx_t) + data->mv_size));
				} else {
					offset = fp->pad;
					if (size_left(fp) < offset)
						offset *= 4;
					else
						reuse = true;
				}
				if (reuse) {
					fp->flags |= P_DIRTY;
					fp->pgno = mp->pgno;
					xcursor_of(mc)->pg[0] = fp;
					flags |= F_DUPDATA;
					goto put_sub;
				}
				xdata.mv_size = olddata.mv_size + offset;
			}

			fp_flags = fp->flags;
			if (kNodeHdr + leaf->ksize + xdata.mv_size > env->nodemax) {
				fp_flags &= uint16_t(~P_SUBP);
			prep_subDB:
				if (mc->db->flags & MDB_DUPFIXED) {
					fp_flags |= P_LEAF2;
					dummy.pad = fp->pad;
					dummy.flags = MDB_DUPFIXED;
					if (mc->db->flags & MDB_INTEGERDUP) dummy.flags |= MDB_INTEGERKEY;
				} else {
					dummy.pad = 0;
					dummy.flags = 0;
				}
				dummy.depth = 1;
				dummy.branch_pages = 0;
				dummy.leaf_pages = 1;
				dummy.overflow_pages = 0;
				dummy.entries = numkeys(fp);
				xdata.mv_size = sizeof(DbRecord);
				xdata.mv_data = &dummy;
				if ((rc = page_alloc(mc, 1, &mp))) return rc;
				offset = unsigned(env->psize - olddata.mv_size);
				flags |= F_DUPDATA | F_SUBDATA;
				dummy.root = mp->pgno;
				sub_root = mp;
			}
			if (mp != fp) {
				mp->flags = uint16_t(fp_flags | P_DIRTY);
				mp->pad = fp->pad;
				mp->lower = fp->lower;
				mp->upper = uint16_t(fp->upper + offset);
				if (fp_flags & P_LEAF2) {
					std::memcpy(page_data(mp), page_data(fp), size_t(numkeys(fp)) * fp->pad);
				} else {
					std::memcpy(reinterpret_cast<char *>(mp) + mp->upper,
					            reinterpret_cast<char *>(fp) + fp->upper,
					            olddata.mv_size - fp->upper);
					std::memcpy(ptrs(mp), ptrs(fp), numkeys(fp) * sizeof(indx_t));
					for (unsigned i = 0; i < numkeys(fp); i++) ptrs(mp)[i] = indx_t(ptrs(mp)[i] + offset);
				}
			}
			rdata = &xdata;
			flags |= F_DUPDATA;
			do_sub = true;
			if (!insert_key) node_del(mc, 0);
			goto new_sub;
		}
	current:
		// Node flags must agree on whether this is a db record.
		if ((leaf->flags ^ flags) & F_SUBDATA) return MDB_INCOMPATIBLE;
		if (leaf->flags & F_BIGDATA) {
			Page *omp;
			pgno_t pg;
			unsigned dpages = unsigned(overflow_pages_for(data->mv_size, env->psize));
			std::memcpy(&pg, olddata.mv_data, sizeof pg);
			if ((rc2 = page_get(mc->txn, pg, &omp))) return rc2;
			if (!is_overflow(omp)) return MDB_CORRUPTED;
			unsigned ovpages = omp->overflow_pages;
			if (ovpages >= dpages && !is_dirty(omp) && (mc->txn->flags & kTxnSpills)) {
				Page *np;
				if ((rc2 = unspill(mc->txn, omp, &np))) return rc2;
				if (np) omp = np;
			}
			if (ovpages >= dpages && is_dirty(omp)) {
				// Written by this txn or an ancestor, and large enough:
				// overwrite in place (a child first takes its own copy).
				if (mc->txn->parent && !mc->txn->dirty.find(pg)) {
					Page *np = page_buffer_alloc(env, ovpages, BufferFill::kCallerFills);  // copied whole
					if (!np) return ENOMEM;
					if ((rc2 = mc->txn->dirty.insert(pg, np))) {
						page_buffer_release(env, np);
						return rc2;
					}
					std::memcpy(np, omp, size_t(env->psize) * ovpages);
					omp = np;
				}
				set_node_dsize(leaf, data->mv_size);
				if (flags & MDB_RESERVE)
					data->mv_data = page_data(omp);
				else
					std::memcpy(page_data(omp), data->mv_data, data->mv_size);
				return MDB_SUCCESS;
			}
			if ((rc2 = free_overflow(mc, omp)) != MDB_SUCCESS) return rc2;
		} else if (data->mv_size == olddata.mv_size) {
			// Same size: replace in place.
			if (flags & MDB_RESERVE)
				data->mv_data = olddata.mv_data;
			else if (!(mc->flags & kCursorSub))
				std::memcpy(olddata.mv_data, data->mv_data, data->mv_size);
			else {
				if (key->mv_size != leaf->ksize) goto new_ksize;
				std::memcpy(node_key(leaf), key->mv_data, key->mv_size);
				goto fix_parent;
			}
			return MDB_SUCCESS;
		}
	new_ksize:
		if ((rc2 = page_check_deferred(mc, mc->pg[mc->top]))) return rc2;
		node_del(mc, 0);
	}

	rdata = data;

new_sub:
	nflags = flags & kNodeAddFlags;
	{
		size_t nsize = is_leaf2(mc->pg[mc->top]) ? key->mv_size : leaf_size(env, key, rdata);
		if (size_left(mc->pg[mc->top]) < nsize) {
			if ((flags & (F_DUPDATA | F_SUBDATA)) == F_DUPDATA) nflags &= ~MDB_APPEND;
			if (!insert_key) nflags |= kSplitReplace;
			rc = page_split(mc, key, rdata, kInvalidPgno, nflags);
		} else {
			rc = node_add(mc, mc->ki[mc->top], key, rdata, 0, nflags);
			if (rc == 0) fixup_after_insert(mc, insert_key != 0);
		}
	}

	if (rc == MDB_SUCCESS) {
		if (do_sub) {
			unsigned xflags;
			bool new_dupdata;
			size_t ecount;
		put_sub:
			xdata.mv_size = 0;
			xdata.mv_data = const_cast<char *>("");
			leaf = node_at(mc->pg[mc->top], mc->ki[mc->top]);
			if ((flags & (MDB_CURRENT | MDB_APPENDDUP)) == MDB_CURRENT) {
				xflags = MDB_CURRENT | kNoSpill;
			} else {
				if ((rc = xcursor_init1(mc, leaf))) goto bad_sub;
				xflags = (flags & MDB_NODUPDATA) ? MDB_NOOVERWRITE | kNoSpill : kNoSpill;
			}
			if (sub_root) xcursor_of(mc)->pg[0] = sub_root;
			new_dupdata = dkey.mv_size != 0;
			if (dkey.mv_size) {
				rc = cursor_put(xcursor_of(mc), &dkey, &xdata, xflags);
				if (rc) goto bad_sub;
				dkey.mv_size = 0;
			}
			if (!(leaf->flags & F_SUBDATA) || sub_root) {
				// Other cursors on this key must follow the moved sub-page.
				XCursor *mx = mc->xcursor;
				unsigned i = mc->top;
				Page *pmp = mc->pg[i];
				for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
					if (m2 == mc || m2->snum < mc->snum) continue;
					if (!(m2->flags & kCursorInitialized)) continue;
					if (m2->pg[i] == pmp) {
						if (m2->ki[i] == mc->ki[i]) {
							xcursor_init2(m2, mx, new_dupdata);
						} else if (!insert_key) {
							xcursor_refresh(m2, i, pmp);
						}
					}
				}
			}
			ecount = mc->xcursor->db.entries;
			if (flags & MDB_APPENDDUP) xflags |= MDB_APPEND;
			rc = cursor_put(xcursor_of(mc), data, &xdata, xflags);
			if (flags & F_SUBDATA) {
				std::memcpy(node_data(leaf), &mc->xcursor->db, sizeof(DbRecord));
			}
			xcursor_sync_peers(mc);
			insert_data = int(mc->xcursor->db.entries - ecount);
			if (replaced_empty) insert_data = 0;
		}
		if (insert_data) mc->db->entries++;
		if (insert_key) {
			if (rc) goto bad_sub;
			mc->flags |= kCursorInitialized;
		}
		if (flags & MDB_MULTIPLE) {
			if (!rc) {
				mcount++;
				data[1].mv_size = mcount;
				if (mcount < dcount) {
					data[0].mv_data = static_cast<char *>(data[0].mv_data) + data[0].mv_size;
					insert_key = insert_data = 0;
					replaced_empty = false;  // (only the first item can replace a lone empty one)
					// The sub-db this loop may have started is the sub-tree
					// from now on: its first page is no longer its root once
					// it splits (upstream keeps it as the root for the whole
					// loop and hands it to the cursors parked on the key).
					sub_root = nullptr;
					goto more;
				}
			}
		}
		return rc;
	bad_sub:
		if (rc == MDB_KEYEXIST) rc = MDB_CORRUPTED;
	}
	mc->txn->flags |= kTxnError;
	return rc;
}

}  // namespace lmdb
