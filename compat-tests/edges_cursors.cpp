// Boundary cases of cursor state after changes: counts and positions of one
// cursor after another cursor's (or its own) puts and deletes on the same
// key (issue 13, group 9; issue 14's nodup loop).
#include <cstring>

#include "edges.h"

namespace compat::edges {

namespace {

// Item i as `size` decimal digits (zero-padded; the low digits if longer).
std::string item(unsigned i, unsigned size) {
	std::string s(size, '0');
	for (size_t p = size; p-- > 0 && i;) {
		s[p] = char('0' + i % 10);
		i /= 10;
	}
	return s;
}

// Items [from, from + n) of `size` bytes, for a MULTIPLE put.
std::string run_of(unsigned from, unsigned n, unsigned size) {
	std::string s;
	for (unsigned i = 0; i < n; i++) s += item(from + i, size);
	return s;
}

// Another cursor's MULTIPLE put and deletes on the key a cursor is on.
void count_after_peer_changes(Run &r) {
	r.open_env();
	r.begin();
	for (unsigned dbflags : {unsigned(MDB_DUPFIXED), unsigned(MDB_DUPFIXED | MDB_INTEGERDUP)}) {
		MDB_dbi d = r.dbi(dbflags & MDB_INTEGERDUP ? "int" : "fix", MDB_CREATE | MDB_DUPSORT | dbflags);
		const unsigned size = (dbflags & MDB_INTEGERDUP) ? 4 : 8;
		for (unsigned start : {1u, 2u, 16u, 569u}) {
			std::string k = "k" + std::to_string(start);
			MDB_cursor *c1 = r.cursor(d), *c2 = r.cursor(d);
			r.cput_multiple(c2, k, run_of(0, start, size), size);
			r.cget(c1, MDB_SET, k);
			r.count(c1);
			r.cput_multiple(c2, k, run_of(start, 16, size), size);
			r.expect_true_count(c1, d, k);
			r.count(c2);
			r.cget(c1, MDB_GET_CURRENT);
			r.cget(c1, MDB_NEXT_DUP);
			r.cget(c2, MDB_FIRST_DUP);
			r.cdel(c2);
			r.expect_true_count(c1, d, k);
			r.count(c2);
			r.cget(c2, MDB_NEXT_DUP);
			r.cdel(c2, MDB_NODUPDATA);
			r.count(c1);
			r.cget(c1, MDB_GET_CURRENT);
			r.cget(c1, MDB_NEXT);
			r.a.mdb_cursor_close(c1);
			r.a.mdb_cursor_close(c2);
		}
		r.dump(d);
	}
	r.commit();
}

// A fresh cursor: a dup move, its own delete, then GET_CURRENT / NEXT /
// count; and the delete-then-APPENDDUP count.
void own_delete_then(Run &r) {
	static const MDB_cursor_op moves[] = {MDB_PREV_DUP, MDB_PREV_NODUP, MDB_PREV, MDB_LAST, MDB_NEXT_DUP,
	                                      MDB_NEXT_NODUP, MDB_NEXT, MDB_FIRST, MDB_LAST_DUP, MDB_FIRST_DUP};
	static const MDB_cursor_op after[] = {MDB_GET_CURRENT, MDB_NEXT, MDB_PREV, MDB_NEXT_DUP, MDB_PREV_DUP,
	                                      MDB_NEXT_NODUP, MDB_PREV_NODUP, MDB_FIRST_DUP, MDB_LAST_DUP};
	r.open_env();
	for (unsigned dbflags : {0u, unsigned(MDB_DUPFIXED)}) {
		for (unsigned delflags : {0u, unsigned(MDB_NODUPDATA)}) {
			for (MDB_cursor_op move : moves) {
				for (MDB_cursor_op op : after) {
					r.begin();
					MDB_dbi d = r.dbi("d", MDB_CREATE | MDB_DUPSORT | dbflags);
					r.rc("drop", r.a.mdb_drop(r.txn, d, 0));
					for (const char *k : {"a", "b", "c"})
						for (unsigned i = 0; i < (*k == 'b' ? 1u : 3u); i++) r.put(d, k, item(i, 4));
					MDB_cursor *c = r.cursor(d);
					if ((move == MDB_PREV || move == MDB_PREV_DUP || move == MDB_PREV_NODUP) &&
					    r.oracle_before(27)) {
						// ITS#9376 (0.9.27): before it, PREV* on an
						// unpositioned cursor read past the last node.
						r.note("(PREV* on a fresh cursor: oracle older than 0.9.27, not compared)");
						r.a.mdb_cursor_close(c);
						r.abort();
						continue;
					}
					if (move == MDB_NEXT_DUP || move == MDB_FIRST_DUP || move == MDB_LAST_DUP)
						r.cget(c, MDB_SET, "a");
					if (r.cget(c, move) == 0 && r.cdel(c, delflags) == 0 && r.oracle_before(29)) {
						// ITS#9376/ITS#9461 (0.9.27, 0.9.29): before them a
						// cursor's moves after its own delete could return the
						// deleted item.
						r.note("(moves after the cursor's delete: oracle older than 0.9.29, not compared)");
					} else if (r.log.back().find("cdel") == 0) {
						r.cget(c, op);
						r.count(c);
						r.cput(c, "c", item(7, 4), MDB_APPENDDUP);
						r.count(c);
						r.cget(c, MDB_GET_CURRENT);
					}
					r.a.mdb_cursor_close(c);
					r.dump(d);
					r.abort();
				}
			}
		}
	}
}

// A cursor positioned on the only key deletes it (the tree is empty), puts
// a key through itself (a new root), another key is put before or after
// it, and the cursor deletes its key: every move from there.  Since 0.9.27
// (ITS#9376) upstream marks the cursor that emptied the tree at its end and
// keeps the mark through the put, so its NEXT after the second delete
// answers MDB_NOTFOUND although a key follows; 0.9.24 answers that key
// (unless the cursor came from MDB_LAST, whose own mark every version
// keeps), and so do we.  Compared with an older oracle; on a newer one our
// answer to NEXT is asserted.
void put_into_emptied_tree(Run &r) {
	static const MDB_cursor_op positions[] = {MDB_PREV, MDB_FIRST, MDB_SET, MDB_LAST};
	static const MDB_cursor_op after[] = {MDB_NEXT, MDB_PREV, MDB_GET_CURRENT, MDB_NEXT_NODUP,
	                                      MDB_PREV_NODUP, MDB_FIRST, MDB_LAST};
	r.open_env();
	for (unsigned dbflags : {0u, unsigned(MDB_DUPSORT)}) {
		for (const char *name : {static_cast<const char *>(nullptr), "named"}) {
			for (MDB_cursor_op pos : positions) {
				for (const char *other : {"a", "z"}) {
					for (MDB_cursor_op op : after) {
						r.begin();
						MDB_dbi d = r.dbi(name, dbflags | (name ? MDB_CREATE : 0));
						r.put(d, "m", "1");
						MDB_cursor *c = r.cursor(d);
						if (pos == MDB_PREV && dbflags && r.oracle_before(27)) {
							// (PREV on a fresh DUPSORT cursor: ITS#9376, see own_delete_then.)
							r.cget(c, MDB_LAST);
						} else {
							r.cget(c, pos, pos == MDB_SET ? "m" : "");
						}
						r.cdel(c);
						r.cput(c, "k", "2");
						r.put(d, other, "3");
						r.cdel(c);
						if (r.oracle_before(27)) {
							r.cget(c, op);
							r.cget(c, MDB_GET_CURRENT);
						} else if (op == MDB_NEXT && *other == 'z' && pos != MDB_LAST) {
							MDB_val k{0, nullptr}, v{0, nullptr};
							int rc = r.a.mdb_cursor_get(c, &k, &v, MDB_NEXT);
							r.ours_expect(rc == 0 && k.mv_size == 1 && *static_cast<char *>(k.mv_data) == 'z',
							              "NEXT after the cursor put into an emptied tree and deleted again: "
							              "the key that followed, got rc " + code(rc));
						}
						r.a.mdb_cursor_close(c);
						r.dump(d);
						r.abort();
					}
				}
			}
		}
	}
}

// A cursor at MDB_LAST (marked at the end), a key put after it by another
// cursor, then the cursor deletes its key: every version answers its NEXT
// with MDB_NOTFOUND (the end mark outlives the put; GET_CURRENT shows the
// later key), and so do we (docs/divergences.md section 5).  Compared, for
// plain and DUPSORT dbs, with moves other than NEXT as well.
void last_then_later_put_delete(Run &r) {
	static const MDB_cursor_op after[] = {MDB_NEXT, MDB_GET_CURRENT, MDB_PREV, MDB_NEXT_NODUP, MDB_LAST};
	r.open_env();
	for (unsigned dbflags : {0u, unsigned(MDB_DUPSORT)}) {
		for (const char *later : {"n", "z"}) {
			for (MDB_cursor_op op : after) {
				r.begin();
				MDB_dbi d = r.dbi("ltd", MDB_CREATE | dbflags);
				r.put(d, "a", "1");
				r.put(d, "m", "1");
				MDB_cursor *c = r.cursor(d);
				r.cget(c, MDB_LAST);
				r.put(d, later, "2");
				r.cdel(c);
				r.cget(c, op);
				r.cget(c, MDB_NEXT);
				r.a.mdb_cursor_close(c);
				r.dump(d);
				r.abort();
			}
		}
	}
}

// NEXT_MULTIPLE / PREV_MULTIPLE walking keys with one item, several items
// and a sub-db, and after deletes.
void multiple_walks(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("m", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	r.put(d, "a", item(1, 8));
	for (unsigned i = 0; i < 3; i++) r.put(d, "b", item(i, 8));
	r.put(d, "c", item(5, 8));
	for (unsigned i = 0; i < 700; i++) r.put(d, "d", item(i, 8));
	r.put(d, "e", item(5, 8));
	for (unsigned pass = 0; pass < 3; pass++) {
		MDB_cursor *c = r.cursor(d);
		while (r.cget(c, MDB_NEXT_MULTIPLE) == 0) {
		}
		r.cget(c, MDB_FIRST);
		while (r.cget(c, MDB_NEXT_MULTIPLE) == 0 || r.cget(c, MDB_NEXT_NODUP) == 0) {
		}
		r.cget(c, MDB_LAST);
		while (r.cget(c, MDB_PREV_MULTIPLE) == 0 || r.cget(c, MDB_PREV_NODUP) == 0) {
		}
		r.cget(c, MDB_SET, "b");
		r.cget(c, MDB_NEXT_MULTIPLE);
		r.cget(c, MDB_NEXT_MULTIPLE);
		r.cget(c, MDB_SET, "d");
		r.cdel(c);
		r.cget(c, MDB_NEXT_MULTIPLE);
		r.cget(c, MDB_PREV_MULTIPLE);
		r.a.mdb_cursor_close(c);
		std::string v = item(1, 8);
		r.del(d, "b", &v);
		r.del(d, "a");
	}
	r.commit();
}

// py-lmdb issue 388: the sole key of a DUPSORT db deleted by mdb_del and put
// again under an open cursor: the cursor's next NEXT*/PREV* answers
// MDB_NOTFOUND (upstream answers the re-inserted key, so a scan that deletes
// and puts back each key loops forever; py-lmdb patches it so).  Ours is
// asserted; upstream is not compared.  Deleted by the cursor itself: as
// upstream (compared).
void nodup_after_delete_put(Run &r) {
	r.open_env();
	for (MDB_cursor_op op : {MDB_NEXT_NODUP, MDB_PREV_NODUP, MDB_NEXT, MDB_PREV}) {
		for (bool by_cursor : {false, true}) {
			for (unsigned values : {1u, 2u}) {
				r.begin();
				MDB_dbi d = r.dbi("n", MDB_CREATE | MDB_DUPSORT);
				r.rc("drop", r.a.mdb_drop(r.txn, d, 0));
				for (unsigned i = 0; i < values; i++) r.put(d, "k", std::to_string(i + 1));
				MDB_cursor *c = r.cursor(d);
				r.cget(c, (op == MDB_NEXT_NODUP || op == MDB_NEXT) ? MDB_FIRST : MDB_LAST);
				if (by_cursor)
					r.cdel(c, MDB_NODUPDATA);
				else
					r.del(d, "k");
				for (unsigned i = 0; i < values; i++) r.put(d, "k", std::to_string(i + 5));
				if (by_cursor) {
					// The deleting cursor itself starts over at the keys that
					// came back, as upstream does (py-lmdb's patch too).
					r.cget(c, op);
				} else if (r.ours) {
					MDB_val k, v;
					int rc = 0, steps = 0;
					while (steps < 5 && (rc = r.a.mdb_cursor_get(c, &k, &v, op)) == 0) steps++;
					// The sole key went away under the cursor: nothing follows
					// (upstream starts over at the re-inserted key).
					r.ours_expect(rc == MDB_NOTFOUND && steps == 0,
					              "op " + std::to_string(op) + (by_cursor ? " after cursor del" : " after mdb_del") +
					                  " of " + std::to_string(values) + " values ends, steps " + std::to_string(steps));
				}
				r.a.mdb_cursor_close(c);
				r.dump(d);
				r.abort();
			}
		}
	}
}

}  // namespace

void add_cursor_cases(std::vector<Case> &out) {
	out.push_back({"count_after_peer_changes", count_after_peer_changes});
	out.push_back({"own_delete_then", own_delete_then});
	out.push_back({"multiple_walks", multiple_walks});
	out.push_back({"nodup_after_delete_put", nodup_after_delete_put});
	out.push_back({"put_into_emptied_tree", put_into_emptied_tree});
	out.push_back({"last_then_later_put_delete", last_then_later_put_delete});
}

}  // namespace compat::edges

namespace compat::edges {

namespace {

// 511-byte items of a DUPSORT|DUPFIXED db: cursor puts that split leaves of
// the key's sub-db (7 items a page), each followed by moves of that cursor.
void dupfixed_511_splits(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("big", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	MDB_cursor *c = r.cursor(d);
	for (unsigned order = 0; order < 3; order++) {
		std::string k = "k" + std::to_string(order);
		const unsigned n = 400;  // a sub-db of depth 3
		for (unsigned i = 0; i < n; i++) {
			unsigned j = order == 0 ? i : order == 1 ? n - 1 - i : (i * 37) % n;
			r.cput(c, k, item(j, 511), i % 5 == 4 ? unsigned(MDB_NODUPDATA) : 0u);
			r.cget(c, MDB_GET_CURRENT);
			r.cget(c, MDB_PREV_DUP);
			r.cget(c, MDB_PREV);
			r.cget(c, MDB_PREV_DUP);
			r.cget(c, MDB_NEXT_DUP);
			r.cget(c, MDB_NEXT);
			r.count(c);
		}
		r.stat(d);
	}
	r.dump(d);
	r.commit();
}

// GET_MULTIPLE on an unpositioned cursor of a db without DUPFIXED: EINVAL
// before MDB_INCOMPATIBLE (upstream checks the position first).
void multiple_check_order(Run &r) {
	r.open_env();
	r.begin();
	for (unsigned flags : {0u, unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED), unsigned(MDB_INTEGERKEY)}) {
		MDB_dbi d = r.dbi(("m" + std::to_string(flags)).c_str(), MDB_CREATE | flags);
		MDB_cursor *c = r.cursor(d);
		for (MDB_cursor_op op : {MDB_GET_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE}) r.cget(c, op);
		r.put(d, "abcd", "wxyz");
		for (MDB_cursor_op op : {MDB_GET_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE}) {
			r.a.mdb_cursor_close(c);
			c = r.cursor(d);
			r.cget(c, op);
			r.cget(c, MDB_FIRST);
			r.cget(c, op);
			MDB_val k{0, nullptr};
			r.rc("cget null data", r.a.mdb_cursor_get(c, &k, nullptr, op));
		}
		r.a.mdb_cursor_close(c);
	}
	r.commit();
}

// A cursor whose MDB_SET_KEY failed, then another cursor's deletes move
// nodes between leaves and merge them, then the first cursor moves: PREV
// returns the key before the insertion point (issue 18: ours answered
// MDB_NOTFOUND when the node before it had moved to the next leaf).
void failed_set_then_merge(Run &r) {
	r.open_env();
	for (MDB_cursor_op move : {MDB_PREV, MDB_NEXT, MDB_GET_CURRENT}) {
		for (unsigned probe = 1; probe < 24; probe += 2)
		for (unsigned victim = 0; victim < 5; victim++) {
			r.begin();
			MDB_dbi d = r.dbi("t", MDB_CREATE);
			r.rc("drop", r.a.mdb_drop(r.txn, d, 0));
			std::string v(900, 'v');  // 4 to a leaf
			for (unsigned i = 0; i < 24; i += 2) r.put(d, item(i, 4), v);
			MDB_cursor *c1 = r.cursor(d), *c2 = r.cursor(d);
			r.cget(c1, MDB_SET_KEY, item(probe, 4));  // between two keys, maybe two leaves
			// Empty a leaf (or most of two) through c2: leaves merge.
			for (unsigned i = victim * 4; i < victim * 4 + 6 && i < 24; i += 2) {
				if (r.cget(c2, MDB_SET, item(i, 4)) == 0) r.cdel(c2);
			}
			if (move == MDB_GET_CURRENT) {
				// Upstream answers from the slot the search left, which the
				// changes may have emptied: not compared.
				if (r.ours) {
					MDB_val gk{0, nullptr}, gv;
					int rc = r.a.mdb_cursor_get(c1, &gk, &gv, MDB_GET_CURRENT);
					r.ours_expect(rc == 0 || rc == MDB_NOTFOUND, "GET_CURRENT answers 0 or MDB_NOTFOUND");
				}
			} else if (move == MDB_NEXT) {
				// Upstream's cursor reads a slot the node left (it can
				// answer a key below the probe): not compared.  Ours answers
				// a key above it.
				if (r.ours) {
					MDB_val nk{0, nullptr}, nv;
					int rc = r.a.mdb_cursor_get(c1, &nk, &nv, MDB_NEXT);
					r.ours_expect(rc == MDB_NOTFOUND ||
					                  (rc == 0 && std::string(static_cast<char *>(nk.mv_data), nk.mv_size) > item(probe, 4)),
					              "NEXT after a failed search and merges answers a key above the probe");
				}
			} else if (r.cget(c1, move) == 0 && r.ours) {
				// Upstream can answer the move from a slot the move left
				// stale (the node went to the neighbour): its GET_CURRENT
				// then fails.  Ours stands on what the move returned.
				std::string want = r.last_key;
				MDB_val ck{0, nullptr}, cv;
				int rc = r.a.mdb_cursor_get(c1, &ck, &cv, MDB_GET_CURRENT);
				r.ours_expect(rc == 0 && std::string(static_cast<char *>(ck.mv_data), ck.mv_size) == want,
				              "GET_CURRENT after the move is on " + want);
			}
			r.a.mdb_cursor_close(c1);
			r.a.mdb_cursor_close(c2);
			r.dump(d);
			r.abort();
		}
	}
}

}  // namespace

void add_issue18_cases(std::vector<Case> &out) {
	out.push_back({"dupfixed_511_splits", dupfixed_511_splits});
	out.push_back({"multiple_check_order", multiple_check_order});
	out.push_back({"failed_set_then_merge", failed_set_then_merge});
}

}  // namespace compat::edges

namespace compat::edges {

namespace {

// LAST, a cursor put of a key before the end, then the cursor's delete:
// GET_CURRENT and count.  (Reported from outside: 0.9.32 answered EINVAL
// there; 0.9.24, the 0.9.33 branch and ours answer from the item the cursor
// stands on.  Compared.)
void put_before_end_then_delete(Run &r) {
	r.open_env();
	for (unsigned flags : {0u, unsigned(MDB_DUPSORT)}) {
		r.begin();
		MDB_dbi d = r.dbi(flags ? "dups" : "plain", MDB_CREATE | flags);
		for (const char *k : {"b", "d", "f"}) r.put(d, k, "1");
		MDB_cursor *c = r.cursor(d);
		r.cget(c, MDB_LAST);
		r.cput(c, "c", "2");
		r.cdel(c);
		r.cget(c, MDB_GET_CURRENT);
		if (flags) r.count(c);
		r.cget(c, MDB_NEXT);
		r.cget(c, MDB_PREV);
		r.a.mdb_cursor_close(c);
		r.dump(d);
		r.commit();
	}
}

// A cursor left open on a db dropped with del=1, whose handle slot a new db
// takes in the same txn (upstream crashes on the old cursor); and a child
// txn that drops a db with del=1 and aborts: the parent goes on as if the
// child never ran (reopen, write, commit).  Ours alone.
void drop_then_reuse(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi a = r.dbi("a", MDB_CREATE | MDB_DUPSORT);
	for (const char *k : {"k1", "k2"}) {
		r.put(a, k, "x");
		r.put(a, k, "y");
	}
	r.commit();
	if (!r.ours) return;
	{
		MDB_txn *t = nullptr;
		r.a.mdb_txn_begin(r.env, nullptr, 0, &t);
		MDB_dbi h = 0, h2 = 0;
		r.a.mdb_dbi_open(t, "a", 0, &h);
		MDB_cursor *c = nullptr;
		r.a.mdb_cursor_open(t, h, &c);
		MDB_val k{2, const_cast<char *>("k1")}, v;
		r.a.mdb_cursor_get(c, &k, &v, MDB_SET);
		int rc = r.a.mdb_drop(t, h, 1);
		r.ours_expect(rc == 0, "drop(del=1) with a cursor open");
		rc = r.a.mdb_dbi_open(t, "b", MDB_CREATE, &h2);
		r.ours_expect(rc == 0, "a new db after the drop");
		MDB_val k2{2, const_cast<char *>("zz")}, v2{1, const_cast<char *>("z")};
		r.ours_expect(r.a.mdb_put(t, h2, &k2, &v2, 0) == 0, "put into the new db");
		rc = r.a.mdb_cursor_get(c, &k, &v, MDB_NEXT);
		r.ours_expect(rc == EINVAL || rc == MDB_BAD_DBI || rc == MDB_NOTFOUND || rc == MDB_BAD_TXN || rc == 0,
		              "the dropped db's cursor answers an error code, got " + code(rc));
		r.ours_expect(r.a.mdb_txn_commit(t) == 0, "the txn commits");
	}
	for (bool reopen_first : {false, true}) {
		MDB_txn *t = nullptr, *child = nullptr;
		r.a.mdb_txn_begin(r.env, nullptr, 0, &t);
		MDB_dbi h = 0;
		r.a.mdb_dbi_open(t, "b", 0, &h);
		MDB_val k{2, const_cast<char *>("zz")}, v;
		r.ours_expect(r.a.mdb_txn_begin(r.env, t, 0, &child) == 0, "child begins");
		r.ours_expect(r.a.mdb_drop(child, h, 1) == 0, "child drops b");
		r.a.mdb_txn_abort(child);
		if (reopen_first) r.a.mdb_dbi_open(t, "b", 0, &h);
		int rc = r.a.mdb_get(t, h, &k, &v);
		r.ours_expect(rc == 0 || rc == MDB_BAD_DBI, "get after the child's abort: 0 or MDB_BAD_DBI, got " + code(rc));
		rc = r.a.mdb_dbi_open(t, "b", 0, &h);
		r.ours_expect(rc == 0, "b reopens in the parent, got " + code(rc));
		r.ours_expect(r.a.mdb_get(t, h, &k, &v) == 0, "b still holds its key");
		MDB_val k3{2, const_cast<char *>("yy")}, v3{1, const_cast<char *>("y")};
		rc = r.a.mdb_put(t, h, &k3, &v3, 0);
		r.ours_expect(rc == 0, "the parent writes b, got " + code(rc));
		r.ours_expect(r.a.mdb_txn_commit(t) == 0, "the parent commits");
	}
}

}  // namespace

void add_issue18_more(std::vector<Case> &out) {
	out.push_back({"put_before_end_then_delete", put_before_end_then_delete});
	out.push_back({"drop_then_reuse", drop_then_reuse, true, false});  // ours alone writes more
}

}  // namespace compat::edges
