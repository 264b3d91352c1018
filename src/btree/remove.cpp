// Removing from the tree: mdb_cursor_del, rebalancing of underfull pages
// (moving a node from a neighbour or merging with it), and dropping whole
// trees.
#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "btree/cursor.h"
#include "btree/dupsort.h"
#include "txn/spill.h"

namespace lmdb {

using namespace format;

inline constexpr unsigned kFillThreshold = 250;  // per mille of a page
inline constexpr unsigned kNoSpillDel = 0x8000;  // internal: no spilling in this delete

static long page_fill(const MDB_env *env, const Page *p) {
	return 1000L * long(env->psize - kPageHdr - size_left(p)) / long(env->psize - kPageHdr);
}

// The key of slot 0 on the lowest leaf under the cursor's current branch
// slot (branch slot 0 itself stores no key).
static int lowest_key_below(MDB_cursor *src, MDB_val *key) {
	MDB_cursor mn;
	cursor_copy(src, &mn);
	mn.xcursor = nullptr;
	int rc = page_search_lowest(&mn);
	if (rc) return rc;
	Page *lp = mn.pg[mn.top];
	if (is_leaf2(lp)) {
		key->mv_size = mn.db->pad;
		key->mv_data = leaf2_key(lp, 0, key->mv_size);
	} else {
		*key = node_key_val(node_at(lp, 0));
	}
	return MDB_SUCCESS;
}

static int node_move(MDB_cursor *csrc, MDB_cursor *cdst, bool fromleft) {
	int rc;
	MDB_val key, data;
	pgno_t srcpg;
	unsigned short flags;
	MDB_cursor mn;

	if ((rc = page_touch(csrc)) || (rc = page_touch(cdst))) return rc;

	Page *sp = csrc->pg[csrc->top];
	if (is_leaf2(sp)) {
		key.mv_size = csrc->db->pad;
		key.mv_data = leaf2_key(sp, csrc->ki[csrc->top], key.mv_size);
		data.mv_size = 0;
		data.mv_data = nullptr;
		srcpg = 0;
		flags = 0;
	} else {
		Node *srcnode = node_at(sp, csrc->ki[csrc->top]);
		srcpg = node_pgno(srcnode);
		flags = srcnode->flags;
		if (csrc->ki[csrc->top] == 0 && is_branch(sp)) {
			unsigned snum = csrc->snum;
			rc = page_search_lowest(csrc);
			if (rc) return rc;
			Page *lp = csrc->pg[csrc->top];
			if (is_leaf2(lp)) {
				key.mv_size = csrc->db->pad;
				key.mv_data = leaf2_key(lp, 0, key.mv_size);
			} else {
				key = node_key_val(node_at(lp, 0));
			}
			csrc->snum = uint16_t(snum--);
			csrc->top = uint16_t(snum);
		} else {
			key = node_key_val(srcnode);
		}
		data.mv_size = node_dsize(srcnode);
		data.mv_data = node_data(srcnode);
	}
	mn.xcursor = nullptr;
	if (is_branch(cdst->pg[cdst->top]) && cdst->ki[cdst->top] == 0) {
		unsigned snum = cdst->snum;
		MDB_val bkey;
		cursor_copy(cdst, &mn);
		rc = page_search_lowest(&mn);
		if (rc) return rc;
		Page *lp = mn.pg[mn.top];
		if (is_leaf2(lp)) {
			bkey.mv_size = mn.db->pad;
			bkey.mv_data = leaf2_key(lp, 0, bkey.mv_size);
		} else {
			bkey = node_key_val(node_at(lp, 0));
		}
		mn.snum = uint16_t(snum--);
		mn.top = uint16_t(snum);
		mn.ki[snum] = 0;
		rc = update_key(&mn, &bkey);
		if (rc) return rc;
	}

	rc = node_add(cdst, cdst->ki[cdst->top], &key, &data, srcpg, flags);
	if (rc != MDB_SUCCESS) return rc;
	node_del(csrc, int(key.mv_size));

	{
		unsigned top = csrc->top;
		Page *mps = csrc->pg[top];
		if (fromleft) {
			Page *mpd = cdst->pg[top];
			for (MDB_cursor *m2 = csrc->txn->cursors[csrc->dbi]; m2; m2 = m2->next) {
				MDB_cursor *m3 = peer_to_fix(csrc, m2);
				if (!m3 || !(m3->flags & kCursorInitialized) || m3->top < top) continue;
				if (m3 != cdst && m3->pg[top] == mpd && m3->ki[top] >= cdst->ki[top]) m3->ki[top]++;
				if (m3 != csrc && m3->pg[top] == mps && m3->ki[top] == csrc->ki[top]) {
					m3->pg[top] = cdst->pg[cdst->top];
					m3->ki[top] = cdst->ki[cdst->top];
					m3->ki[top - 1]++;
				} else if (m3 != csrc && m3->pg[top] == mps && m3->ki[top] == csrc->ki[top] + 1u &&
				           csrc->ki[top] == numkeys(mps)) {
					// Past the end of the source page (where a failed search
					// leaves a cursor), that is right after the node that
					// moved: it stays right after it, in the destination.
					m3->pg[top] = cdst->pg[cdst->top];
					m3->ki[top] = indx_t(cdst->ki[cdst->top] + 1);
					m3->ki[top - 1]++;
				}
				if (is_leaf(mps)) xcursor_refresh(m3, top, m3->pg[top]);
			}
		} else {
			for (MDB_cursor *m2 = csrc->txn->cursors[csrc->dbi]; m2; m2 = m2->next) {
				MDB_cursor *m3 = peer_to_fix(csrc, m2);
				if (!m3 || m3 == csrc) continue;
				if (!(m3->flags & kCursorInitialized) || m3->top < top) continue;
				if (m3->pg[top] == mps) {
					if (!m3->ki[top]) {
						m3->pg[top] = cdst->pg[cdst->top];
						m3->ki[top] = cdst->ki[cdst->top];
						m3->ki[top - 1]--;
					} else {
						m3->ki[top]--;
					}
					if (is_leaf(mps)) xcursor_refresh(m3, top, m3->pg[top]);
				}
			}
		}
	}

	// Update the parents' separators.
	for (MDB_cursor *c : {csrc, cdst}) {
		if (c->ki[c->top] != 0) continue;
		if (c->ki[c->top - 1] != 0) {
			Page *p = c->pg[c->top];
			if (is_leaf2(csrc->pg[csrc->top])) {
				key.mv_data = leaf2_key(p, 0, key.mv_size);
			} else {
				key = node_key_val(node_at(p, 0));
			}
			cursor_copy(c, &mn);
			mn.xcursor = nullptr;
			mn.snum--;
			mn.top--;
			rc = with_tracking(&mn, [&] { return update_key(&mn, &key); });
			if (rc) return rc;
		}
		if (is_branch(c->pg[c->top])) {
			MDB_val nullkey{0, nullptr};
			indx_t ix = c->ki[c->top];
			c->ki[c->top] = 0;
			rc = update_key(c, &nullkey);
			c->ki[c->top] = ix;
			if (rc) return rc;
		}
	}
	return MDB_SUCCESS;
}

static int page_merge(MDB_cursor *csrc, MDB_cursor *cdst) {
	int rc;
	MDB_val key, data;
	Page *psrc = csrc->pg[csrc->top];
	if ((rc = page_touch(cdst))) return rc;
	Page *pdst = cdst->pg[cdst->top];

	unsigned nkeys = numkeys(pdst);
	unsigned j = nkeys;
	if (is_leaf2(psrc)) {
		key.mv_size = csrc->db->pad;
		key.mv_data = page_data(psrc);
		for (unsigned i = 0; i < numkeys(psrc); i++, j++) {
			rc = node_add(cdst, indx_t(j), &key, nullptr, 0, 0);
			if (rc != MDB_SUCCESS) return rc;
			key.mv_data = static_cast<char *>(key.mv_data) + key.mv_size;
		}
	} else {
		for (unsigned i = 0; i < numkeys(psrc); i++, j++) {
			Node *srcnode = node_at(psrc, i);
			if (i == 0 && is_branch(psrc)) {
				if ((rc = lowest_key_below(csrc, &key))) return rc;
			} else {
				key = node_key_val(srcnode);
			}
			data.mv_size = node_dsize(srcnode);
			data.mv_data = node_data(srcnode);
			rc = node_add(cdst, indx_t(j), &key, &data, node_pgno(srcnode), srcnode->flags);
			if (rc != MDB_SUCCESS) return rc;
		}
	}

	// Unlink the source page from its parent and free it.
	csrc->top--;
	node_del(csrc, 0);
	if (csrc->ki[csrc->top] == 0) {
		key.mv_size = 0;
		rc = update_key(csrc, &key);
		if (rc) {
			csrc->top++;
			return rc;
		}
	}
	csrc->top++;

	psrc = csrc->pg[csrc->top];
	rc = page_loose(csrc, psrc);
	if (rc) return rc;
	if (is_leaf(psrc))
		csrc->db->leaf_pages--;
	else
		csrc->db->branch_pages--;
	{
		unsigned top = csrc->top;
		for (MDB_cursor *m2 = csrc->txn->cursors[csrc->dbi]; m2; m2 = m2->next) {
			MDB_cursor *m3 = peer_to_fix(csrc, m2);
			if (!m3 || m3 == csrc) continue;
			if (m3->snum < csrc->snum) continue;
			if (m3->pg[top] == psrc) {
				m3->pg[top] = pdst;
				m3->ki[top] = indx_t(m3->ki[top] + nkeys);
				m3->ki[top - 1] = cdst->ki[top - 1];
			} else if (m3->pg[top - 1] == csrc->pg[top - 1] && m3->ki[top - 1] > csrc->ki[top - 1]) {
				m3->ki[top - 1]--;
			}
			if (is_leaf(psrc)) xcursor_refresh(m3, top, m3->pg[top]);
		}
	}
	{
		unsigned snum = cdst->snum;
		uint16_t depth = cdst->db->depth;
		cursor_pop(cdst);
		rc = rebalance(cdst);
		if (depth != cdst->db->depth) snum += cdst->db->depth - depth;
		cdst->snum = uint16_t(snum);
		cdst->top = uint16_t(snum - 1);
	}
	return rc;
}

int rebalance(MDB_cursor *mc) {
	int rc;
	unsigned minkeys, thresh;
	MDB_env *env = mc->txn->env;
	Page *top_page = mc->pg[mc->top];
	if (is_branch(top_page)) {
		minkeys = 2;
		thresh = 1;
	} else {
		minkeys = 1;
		thresh = kFillThreshold;
	}
	if (page_fill(env, top_page) >= long(thresh) && numkeys(top_page) >= minkeys) return MDB_SUCCESS;

	if (mc->snum < 2) {
		Page *mp = mc->pg[0];
		if (is_subpage(mp)) return MDB_SUCCESS;
		if (numkeys(mp) == 0) {
			// The tree is empty now.
			mc->db->root = kInvalidPgno;
			mc->db->depth = 0;
			mc->db->leaf_pages = 0;
			if ((rc = mc->txn->free_pgs.push(mp->pgno))) return rc;
			mc->snum = 0;
			mc->top = 0;
			mc->flags &= ~kCursorInitialized;
			for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
				MDB_cursor *m3 = peer_to_fix(mc, m2);
				if (!m3 || !(m3->flags & kCursorInitialized) || m3->snum < mc->snum) continue;
				if (m3->pg[0] == mp) {
					m3->snum = 0;
					m3->top = 0;
					m3->flags &= ~kCursorInitialized;
				}
			}
		} else if (is_branch(mp) && numkeys(mp) == 1) {
			// Collapse a root with a single child.
			if ((rc = mc->txn->free_pgs.push(mp->pgno))) return rc;
			mc->db->root = node_pgno(node_at(mp, 0));
			rc = page_get(mc->txn, mc->db->root, &mc->pg[0]);
			if (rc) return rc;
			mc->db->depth--;
			mc->db->branch_pages--;
			mc->ki[0] = mc->ki[1];
			for (unsigned i = 1; i < mc->db->depth; i++) {
				mc->pg[i] = mc->pg[i + 1];
				mc->ki[i] = mc->ki[i + 1];
			}
			for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
				MDB_cursor *m3 = peer_to_fix(mc, m2);
				if (!m3 || m3 == mc) continue;
				if (!(m3->flags & kCursorInitialized)) continue;
				if (m3->pg[0] == mp) {
					for (unsigned i = 0; i < mc->db->depth; i++) {
						m3->pg[i] = m3->pg[i + 1];
						m3->ki[i] = m3->ki[i + 1];
					}
					m3->snum--;
					m3->top--;
				}
			}
		}
		return MDB_SUCCESS;
	}

	unsigned ptop = mc->top - 1u;
	if (numkeys(mc->pg[ptop]) < 2) {
		mc->txn->flags |= kTxnError;
		return MDB_CORRUPTED;
	}

	MDB_cursor mn;
	cursor_copy(mc, &mn);
	mn.xcursor = nullptr;
	indx_t oldki = mc->ki[mc->top];
	bool fromleft;
	if (mc->ki[ptop] == 0) {
		// Leftmost child: the neighbour is on the right.
		mn.ki[ptop]++;
		Node *node = node_at(mc->pg[ptop], mn.ki[ptop]);
		if ((rc = page_get(mc->txn, node_pgno(node), &mn.pg[mn.top]))) return rc;
		mn.ki[mn.top] = 0;
		mc->ki[mc->top] = indx_t(numkeys(mc->pg[mc->top]));
		fromleft = false;
	} else {
		mn.ki[ptop]--;
		Node *node = node_at(mc->pg[ptop], mn.ki[ptop]);
		if ((rc = page_get(mc->txn, node_pgno(node), &mn.pg[mn.top]))) return rc;
		mn.ki[mn.top] = indx_t(numkeys(mn.pg[mn.top]) - 1);
		mc->ki[mc->top] = 0;
		fromleft = true;
	}
	{
		// The neighbour is read (merged) without being touched: check it
		// whole, and that it is the same kind of page.
		Page *np = mn.pg[mn.top];
		if (((np->flags ^ mc->pg[mc->top]->flags) & (P_BRANCH | P_LEAF | P_LEAF2)) ||
		    (!is_trusted(np) && !page_nodes_sane(&mn, np))) {
			mc->txn->flags |= kTxnError;
			return MDB_CORRUPTED;
		}
	}

	if (page_fill(env, mn.pg[mn.top]) >= long(thresh) && numkeys(mn.pg[mn.top]) > minkeys) {
		rc = node_move(&mn, mc, fromleft);
		if (fromleft) oldki++;
	} else {
		if (!fromleft) {
			rc = page_merge(&mn, mc);
		} else {
			oldki = indx_t(oldki + numkeys(mn.pg[mn.top]));
			mn.ki[mn.top] = indx_t(mn.ki[mn.top] + mc->ki[mn.top] + 1);
			rc = with_tracking(&mn, [&] { return page_merge(mc, &mn); });
			cursor_copy(&mn, mc);
		}
		mc->flags &= ~kCursorEof;
	}
	mc->ki[mc->top] = oldki;
	return rc;
}

static int cursor_del0(MDB_cursor *mc) {
	int rc;
	indx_t ki = mc->ki[mc->top];
	Page *mp = mc->pg[mc->top];
	node_del(mc, int(mc->db->pad));
	mc->db->entries--;
	for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
		MDB_cursor *m3 = peer_to_fix(mc, m2);
		if (!m3 || !(m2->flags & m3->flags & kCursorInitialized)) continue;
		if (m3 == mc || m3->snum < mc->snum) continue;
		if (m3->pg[mc->top] == mp) {
			if (m3->ki[mc->top] == ki) {
				m3->flags |= kCursorDel;
				if (mc->db->flags & MDB_DUPSORT) {
					xcursor_of(m3)->flags &= ~(kCursorInitialized | kCursorEof);
				}
				continue;
			} else if (m3->ki[mc->top] > ki) {
				m3->ki[mc->top]--;
			}
			xcursor_refresh(m3, mc->top, mp);
		}
	}
	rc = rebalance(mc);
	if (rc) goto fail;

	if (!mc->snum) {
		// The tree is empty.  (The deleting cursor itself is not marked
		// deleted: a later NEXT/PREV starts over at whatever keys came
		// back, as upstream does; other cursors on the item are, see
		// cursor_next.)  Its flags stay as they were, as in 0.9.24: since
		// 0.9.27 upstream marks it at the end here, a mark that a later put
		// through the cursor (a new root) keeps, so that its NEXT after it
		// deletes that key again misses the key that follows.
		return rc;
	}

	mp = mc->pg[mc->top];
	{
		unsigned nkeys = numkeys(mp);
		for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; !rc && m2; m2 = m2->next) {
			MDB_cursor *m3 = peer_to_fix(mc, m2);
			if (!m3 || !(m2->flags & m3->flags & kCursorInitialized)) continue;
			if (m3->snum < mc->snum) continue;
			if (m3->pg[mc->top] == mp) {
				if (m3->ki[mc->top] >= mc->ki[mc->top]) {
					if (m3->ki[mc->top] >= nkeys) {
						rc = cursor_sibling(m3, true);
						if (rc == MDB_NOTFOUND) {
							m3->flags |= kCursorEof;
							rc = MDB_SUCCESS;
							continue;
						}
						if (rc) goto fail;
					}
					// (A cursor marked at the end may still stand on a node.)
					if (m3->xcursor && m3->ki[m3->top] < numkeys(m3->pg[m3->top])) {
						Node *node = node_at(m3->pg[m3->top], m3->ki[m3->top]);
						// An initialised sub-cursor is still on this key's
						// duplicates (its sub-page may have moved).  Otherwise
						// the cursor stood on the deleted item and now stands on
						// this one: at its first duplicate, which the next
						// MDB_NEXT returns.
						if (!(node->flags & F_DUPDATA)) {
							// no duplicates: nothing to set up
						} else if (xcursor_of(m3)->flags & kCursorInitialized) {
							if (!(node->flags & F_SUBDATA))
								xcursor_of(m3)->pg[0] = reinterpret_cast<Page *>(node_data(node));
						} else {
							if ((rc = xcursor_init1(m3, node))) goto fail;
							rc = cursor_first(xcursor_of(m3), nullptr, nullptr);
							if (rc) goto fail;
							xcursor_of(m3)->flags |= kCursorDel;
						}
					}
				}
			}
		}
	}
	mc->flags |= kCursorDel;

fail:
	if (rc) mc->txn->flags |= kTxnError;
	return rc;
}

int cursor_del(MDB_cursor *mc, unsigned flags) {
	int rc;
	if (mc->txn->flags & (kTxnRdonly | kTxnBlocked))
		return (mc->txn->flags & kTxnRdonly) ? EACCES : MDB_BAD_TXN;
	if (!(mc->flags & kCursorInitialized)) return EINVAL;
	if (mc->ki[mc->top] >= numkeys(mc->pg[mc->top])) return MDB_NOTFOUND;

	if (!(flags & kNoSpillDel) && (rc = spill_if_needed(mc, nullptr, nullptr))) return rc;
	flags &= ~kNoSpillDel;

	rc = cursor_touch(mc);
	if (rc) return rc;

	Page *mp = mc->pg[mc->top];
	if (!is_leaf(mp)) return MDB_CORRUPTED;
	if (is_leaf2(mp)) return cursor_del0(mc);
	if (!node_in_bounds(mc->txn->env, mp, mc->ki[mc->top])) return MDB_CORRUPTED;
	Node *leaf = node_at(mp, mc->ki[mc->top]);

	if (leaf->flags & F_DUPDATA) {
		if (!mc->xcursor) return MDB_CORRUPTED;
		if (flags & MDB_NODUPDATA) {
			// Without a current duplicate (after a failed search) the
			// sub-cursor's record is not this key's: load it.
			if (!(xcursor_of(mc)->flags & kCursorInitialized) && (rc = xcursor_init1(mc, leaf))) return rc;
			mc->db->entries -= mc->xcursor->db.entries - 1;
			xcursor_of(mc)->flags &= ~kCursorInitialized;
		} else {
			if (!(leaf->flags & F_SUBDATA)) xcursor_of(mc)->pg[0] = reinterpret_cast<Page *>(node_data(leaf));
			rc = cursor_del(xcursor_of(mc), kNoSpillDel);
			if (rc) return rc;
			if (mc->xcursor->db.entries) {
				if (leaf->flags & F_SUBDATA) {
					std::memcpy(node_data(leaf), &mc->xcursor->db, sizeof(DbRecord));
				} else {
					node_shrink(mp, mc->ki[mc->top]);
					leaf = node_at(mp, mc->ki[mc->top]);
					xcursor_of(mc)->pg[0] = reinterpret_cast<Page *>(node_data(leaf));
					for (MDB_cursor *m2 = mc->txn->cursors[mc->dbi]; m2; m2 = m2->next) {
						if (m2 == mc || m2->snum < mc->snum) continue;
						if (!(m2->flags & kCursorInitialized)) continue;
						if (m2->pg[mc->top] == mp) xcursor_refresh(m2, mc->top, mp);
					}
				}
				xcursor_sync_peers(mc);
				mc->db->entries--;
				return rc;
			}
			xcursor_of(mc)->flags &= ~kCursorInitialized;
		}
		if (leaf->flags & F_SUBDATA) {
			rc = drop_tree(xcursor_of(mc), false);
			if (rc) goto fail;
		}
	} else if ((leaf->flags ^ flags) & F_SUBDATA) {
		rc = MDB_INCOMPATIBLE;
		goto fail;
	}

	if (leaf->flags & F_BIGDATA) {
		Page *omp;
		pgno_t pg;
		std::memcpy(&pg, node_data(leaf), sizeof pg);
		if ((rc = page_get(mc->txn, pg, &omp))) goto fail;
		if (!is_overflow(omp)) {
			rc = MDB_CORRUPTED;
			goto fail;
		}
		if ((rc = free_overflow(mc, omp))) goto fail;
	}
	return cursor_del0(mc);

fail:
	mc->txn->flags |= kTxnError;
	return rc;
}

static int drop_tree0(MDB_cursor *mc, bool subs);

// Free every page of the tree under mc.  The cursor is left unpositioned
// (a sub-cursor must not keep pointing into the freed pages).
int drop_tree(MDB_cursor *mc, bool subs) {
	int rc = drop_tree0(mc, subs);
	mc->flags &= ~kCursorInitialized;
	return rc;
}

static int drop_tree0(MDB_cursor *mc, bool subs) {
	int rc = page_search(mc, nullptr, kSearchFirst);
	if (rc == MDB_NOTFOUND) return MDB_SUCCESS;
	if (rc) return rc;
	MDB_txn *txn = mc->txn;
	MDB_cursor mx;
	unsigned i = 0;

	// Leaves need a visit only for overflow pages and sub-dbs.
	if ((mc->flags & kCursorSub) || (!subs && !mc->db->overflow_pages)) cursor_pop(mc);

	cursor_copy(mc, &mx);
	pgno_t visited = 0;
	while (mc->snum > 0) {
		Page *mp = mc->pg[mc->top];
		unsigned n = numkeys(mp);
		// A tree holds each page once: more visits than the file has pages
		// means shared pages (which could multiply the walk without end).
		if (++visited > txn->next_pgno) return MDB_CORRUPTED;
		if (is_leaf(mp)) {
			for (i = 0; i < n; i++) {
				if (!node_in_bounds(txn->env, mp, i)) return MDB_CORRUPTED;
				Node *ni = node_at(mp, i);
				if (ni->flags & F_BIGDATA) {
					Page *omp;
					pgno_t pg;
					std::memcpy(&pg, node_data(ni), sizeof pg);
					if ((rc = page_get(txn, pg, &omp))) return rc;
					if (!is_overflow(omp)) return MDB_CORRUPTED;
					if ((rc = txn->free_pgs.push_range(pg, omp->overflow_pages))) return rc;
					mc->db->overflow_pages -= omp->overflow_pages;
					if (!mc->db->overflow_pages && !subs) break;
				} else if (subs && (ni->flags & F_SUBDATA)) {
					if ((rc = xcursor_init1(mc, ni))) return rc;
					if ((rc = drop_tree(xcursor_of(mc), false))) return rc;
				}
			}
			if (!subs && !mc->db->overflow_pages) goto pop;
		} else {
			if ((rc = txn->free_pgs.reserve_more(n))) return rc;
			for (i = 0; i < n; i++) {
				if (!node_in_bounds(txn->env, mp, i)) return MDB_CORRUPTED;
				pgno_t child = node_pgno(node_at(mp, i));
				if (child < kNumMetas || child >= txn->next_pgno) return MDB_PAGE_NOTFOUND;
				txn->free_pgs.push(child);
			}
		}
		if (!mc->top) break;
		mc->ki[mc->top] = indx_t(i);
		rc = cursor_sibling(mc, true);
		if (rc) {
			if (rc != MDB_NOTFOUND) return rc;
		pop:
			cursor_pop(mc);
			mc->ki[0] = 0;
			for (unsigned k = 1; k < mc->snum; k++) {
				mc->ki[k] = 0;
				mc->pg[k] = mx.pg[k];
			}
		}
	}
	return txn->free_pgs.push(mc->db->root);
}

}  // namespace lmdb
