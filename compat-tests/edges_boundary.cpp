// Boundary cases found by differential fuzzing of the data API (cursor
// states x put flags x sizes): MDB_CURRENT on a cursor that is on no item,
// MDB_CURRENT combined with other put flags on sorted duplicates.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "edges.h"

namespace compat::edges {

namespace {


// MDB_CURRENT through a cursor that stands on no item: after it deleted the
// last key, after a failed search past the last key (fresh or positioned
// cursor), after it deleted the last duplicate of a key (the sub-cursor
// past the key's last item).  Upstream
// reads the page's slot past the last node (a stale offset) and overwrites
// whatever node is there now (another key's value: data corrupted), or
// asserts in mdb_node_del when the size differs; mdb_cursor_count reads the
// same slot.  Ours: MDB_NOTFOUND, nothing changed.  GET_CURRENT, which
// upstream answers MDB_NOTFOUND there, is compared.
void current_not_on_item(Run &r) {
	r.open_env();
	for (unsigned dbflags : {0u, unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED)}) {
		const bool dup = dbflags & MDB_DUPSORT;
		r.begin();
		MDB_dbi d = r.dbi(dbflags == 0 ? "plain" : (dbflags & MDB_DUPFIXED) ? "fixed" : "dups", MDB_CREATE | dbflags);
		// The last key first, so that its node has the highest offset and
		// the other nodes move into its place when it goes.
		r.put(d, "c", "vvvv");
		r.put(d, "a", "wwww");
		r.put(d, "b", "xxxx");
		if (dup) r.put(d, "b", "yyyy");
		for (int way = 0; way < 6; way++) {
			MDB_cursor *c = r.cursor(d);
			std::string gone;
			if (way == 0 || way == 5) {  // the cursor deletes the last key
				r.cget(c, MDB_LAST);
				gone = r.last_key;
				r.cdel(c, dup ? MDB_NODUPDATA : 0);
				// way 5: then a key after it takes the slot the cursor stood
				// on (found by the boundary profile: upstream's MDB_CURRENT
				// overwrites that key's node, or corrupts the heap)
				if (way == 5) r.put(d, "d", "dddd");
			} else if (way == 1) {  // a fresh cursor's search past the last key
				r.cget(c, MDB_SET_RANGE, "z");
			} else if (way == 2) {  // a positioned cursor's search past the last key
				r.cget(c, MDB_FIRST);
				r.cget(c, MDB_SET_KEY, "z");
			} else if (!dup) {
				r.a.mdb_cursor_close(c);
				continue;
			} else if (way == 3) {  // GET_BOTH past the last key
				r.cget(c, MDB_LAST);
				r.cget(c, MDB_GET_BOTH, "zz", "zzzz");
			} else {  // the cursor deletes the last duplicate of a key: on no duplicate
				r.cget(c, MDB_GET_BOTH, "b", "yyyy");
				r.cdel(c);
				r.count(c);
			}
			r.cget(c, MDB_GET_CURRENT);
			if (r.ours) {
				for (const char *v : {"qqqq", "qq", "qqqqqqqqqqqq"}) {
					MDB_val kv{1, const_cast<char *>("c")}, vv{std::strlen(v), const_cast<char *>(v)};
					int rc = r.a.mdb_cursor_put(c, &kv, &vv, MDB_CURRENT);
					r.ours_expect(rc == MDB_NOTFOUND, "MDB_CURRENT on no item (way " + std::to_string(way) +
					                                      ", db flags " + std::to_string(dbflags) + ", " +
					                                      std::to_string(vv.mv_size) + " bytes): MDB_NOTFOUND, got " +
					                                      code(rc));
				}
				if (dup && way < 4) {
					size_t n = 0;
					int rc = r.a.mdb_cursor_count(c, &n);
					r.ours_expect(rc == MDB_NOTFOUND, "count on no item (way " + std::to_string(way) +
					                                      "): MDB_NOTFOUND, got " + code(rc));
				}
			}
			r.dump(d);
			r.a.mdb_cursor_close(c);
			if (way == 5) r.del(d, "d");
			if (!gone.empty()) r.put(d, gone, "vvvv");
			if (way == 4) r.put(d, "b", "yyyy");
		}
		r.commit();
	}
}

// MDB_CURRENT together with NOOVERWRITE, NODUPDATA, APPEND or MULTIPLE on a
// DUPSORT cursor, the data being the current item's own bytes.  Since
// 0.9.28 (ITS#8662) upstream takes these as MDB_CURRENT (0.9.24 searched
// the key: MDB_KEYEXIST); but it grows the key's sub-page to take a new
// item (a non-DUPFIXED sub-page always, a DUPFIXED one when it is full),
// moves the node and then replaces through the sub-cursor left on the old
// place: a crash (0.9.32), or a wrong item overwritten.  Ours replaces the
// current item as MDB_CURRENT alone does (here: nothing changes).  Where
// upstream keeps the sub-page (a single item, a DUPFIXED sub-page with room,
// a sub-db) the answers are compared with 0.9.28 and later.
void current_with_flags(Run &r) {
	r.open_env();
	const unsigned combos[] = {MDB_CURRENT | MDB_NOOVERWRITE, MDB_CURRENT | MDB_NODUPDATA, MDB_CURRENT | MDB_APPEND,
	                           MDB_CURRENT | MDB_NODUPDATA | MDB_APPEND, MDB_CURRENT | MDB_MULTIPLE};
	for (unsigned dbflags : {unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED)}) {
		const bool fixed = dbflags & MDB_DUPFIXED;
		for (unsigned items : {1u, 3u, 4u, 8u, 30u, 700u}) {
			r.begin();
			MDB_dbi d = r.dbi(fixed ? "fixed" : "dups", MDB_CREATE | dbflags);
			char buf[8];
			for (unsigned i = 0; i < items; i++) {
				std::snprintf(buf, sizeof buf, "%04u", 10 + 2 * i);
				r.put(d, "k", buf);
			}
			r.put(d, "m", "0001");
			r.stat(d);
			// A DUPFIXED sub-page of 4-byte items is full at 4, 8, 12, ...
			// items; 700 items make a sub-db.
			const bool subpage = items > 1 && items != 700;
			const bool upstream_grows = subpage && (!fixed || items % 4 == 0);
			for (unsigned flags : combos) {
				if ((flags & MDB_MULTIPLE) && !fixed) continue;
				MDB_cursor *c = r.cursor(d);
				std::snprintf(buf, sizeof buf, "%04u", 10 + 2 * (items / 2));
				r.cget(c, MDB_GET_BOTH, "k", buf);
				MDB_val kv{1, const_cast<char *>("k")};
				MDB_val dv[2] = {{4, buf}, {1, nullptr}};
				const std::string what = "cput CURRENT|" + std::to_string(flags & ~unsigned(MDB_CURRENT)) + " on item " +
				                         buf + " of " + std::to_string(items);
				if (!upstream_grows && !r.oracle_before(28)) {
					r.rc(what, r.a.mdb_cursor_put(c, &kv, dv, flags));
				} else if (r.ours) {
					int rc = r.a.mdb_cursor_put(c, &kv, dv, flags);
					// (On a single item NODUPDATA refuses the same bytes, as upstream.)
					const bool refused = items == 1 && (flags & MDB_NODUPDATA) && rc == MDB_KEYEXIST;
					r.ours_expect(rc == 0 || refused, what + ": 0 (the item replaced by itself), got " + code(rc));
				}
				r.cget(c, MDB_GET_CURRENT);
				r.count(c);
				r.a.mdb_cursor_close(c);
			}
			r.stat(d);
			r.dump(d);
			r.commit();
			r.begin();
			r.a.mdb_drop(r.txn, d, 1);
			r.commit();
		}
	}
}

// The same flags on a key with a single item, with other bytes: upstream
// 0.9.28+ turns the item into a sub-page and then writes the old item
// through the sub-cursor as MDB_CURRENT: EINVAL and a failed txn when the
// sub-cursor is unset, or (MULTIPLE, the sub-cursor left from another key)
// an item lost and ms_entries one too high.  0.9.24 searched the key
// instead (NOOVERWRITE: MDB_KEYEXIST; NODUPDATA: a second item).  Ours
// replaces the item, as MDB_CURRENT alone does.  Ours only (no answer of
// upstream to compare).
void current_with_flags_single(Run &r) {
	r.open_env();
	const unsigned combos[] = {MDB_CURRENT | MDB_NOOVERWRITE, MDB_CURRENT | MDB_NODUPDATA, MDB_CURRENT | MDB_APPEND,
	                           MDB_CURRENT | MDB_NODUPDATA | MDB_APPEND, MDB_CURRENT | MDB_MULTIPLE,
	                           MDB_CURRENT | MDB_MULTIPLE | MDB_NOOVERWRITE};
	for (unsigned dbflags : {unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED)}) {
		const bool fixed = dbflags & MDB_DUPFIXED;
		for (unsigned flags : combos) {
			if ((flags & MDB_MULTIPLE) && !fixed) continue;
			for (const char *nv : {"0011", "0005", "00111"}) {
				if ((flags & MDB_MULTIPLE) && std::strlen(nv) != 4) continue;
				r.begin();
				MDB_dbi d = r.dbi(fixed ? "fixed" : "dups", MDB_CREATE | dbflags);
				r.put(d, "a", "0001");
				r.put(d, "a", "0002");
				r.put(d, "k", "0010");
				r.put(d, "m", "0001");
				MDB_cursor *c = r.cursor(d);
				// Another key's items first, so that the sub-cursor is set.
				r.cget(c, MDB_FIRST);
				r.cget(c, MDB_SET, "k");
				MDB_val kv{1, const_cast<char *>("k")};
				MDB_val dv[2] = {{std::strlen(nv), const_cast<char *>(nv)}, {0, nullptr}};
				const std::string what = "cput CURRENT|" + std::to_string(flags & ~unsigned(MDB_CURRENT)) + " of " + nv +
				                         " on a single item (db flags " + std::to_string(dbflags) + ")";
				int rc = r.a.mdb_cursor_put(c, &kv, dv, flags);
				r.ours_expect(rc == 0, what + ": 0, got " + code(rc));
				MDB_val k{1, const_cast<char *>("k")}, v;
				rc = r.a.mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
				r.ours_expect(rc == 0 && std::string(static_cast<char *>(v.mv_data), v.mv_size) == nv,
				              what + ": the item replaced");
				size_t n = 0;
				rc = r.a.mdb_cursor_count(c, &n);
				r.ours_expect(rc == 0 && n == 1, what + ": one item");
				MDB_stat st{};
				r.a.mdb_stat(r.txn, d, &st);
				r.ours_expect(st.ms_entries == 4, what + ": 4 entries, got " + std::to_string(st.ms_entries));
				unsigned walked = 0;
				MDB_cursor *w = r.cursor(d);
				while (r.a.mdb_cursor_get(w, &k, &v, MDB_NEXT) == 0) walked++;
				r.ours_expect(walked == 4, what + ": 4 items walked, got " + std::to_string(walked));
				r.ours_expect(r.commit() == 0, what + ": the txn commits");
				r.begin();
				r.a.mdb_drop(r.txn, d, 1);
				r.commit();
			}
		}
	}
}

// MDB_MULTIPLE|MDB_RESERVE in a DUPFIXED db.  One item (or a count of 0)
// onto a new key reserves it, as upstream does (compared).  More than one:
// upstream reserves the first, then takes the reserved place in the page as
// the next item to store and crashes; ours answers EINVAL before anything
// changes, and the txn goes on.  On a db without DUPFIXED both answer
// MDB_INCOMPATIBLE.
void multiple_reserve(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	MDB_dbi p = r.dbi("plain", MDB_CREATE);
	MDB_cursor *c = r.cursor(d), *cp = r.cursor(p);
	char items[32] = "aaaabbbbccccddddeeeeffffgggghhh";
	auto reserve = [&](MDB_cursor *cur, const char *k, size_t count, bool compared) {
		MDB_val kv{std::strlen(k), const_cast<char *>(k)};
		MDB_val dv[2] = {{4, items}, {count, nullptr}};
		const std::string what = "cput MULTIPLE|RESERVE " + std::string(k) + " count " + std::to_string(count);
		int rc = r.a.mdb_cursor_put(cur, &kv, dv, MDB_MULTIPLE | MDB_RESERVE);
		if (compared) {
			r.rc(what + " stored " + std::to_string(dv[1].mv_size), rc);
		} else {
			r.ours_expect(rc == EINVAL && dv[1].mv_size == 0,
			              what + ": EINVAL, none stored; got " + code(rc) + ", " + std::to_string(dv[1].mv_size));
		}
		if (rc == 0 && dv[0].mv_data != items) std::memset(dv[0].mv_data, 'R', 4);
	};
	reserve(c, "k1", 1, true);
	reserve(c, "k0", 0, true);
	reserve(cp, "p", 2, true);
	if (r.ours) {
		reserve(c, "k2", 2, false);
		reserve(c, "k8", 8, false);
		reserve(c, "k1", 3, false);
	}
	r.cput(c, "k9", "zzzz");
	r.dump(d);
	r.stat(d);
	r.commit();
}

// A cursor opened early in a txn (on a named db: its root page read at
// once) is not moved before a child txn changes the tree under it.  The
// parent's puts split the root leaf; the child rewrites a page of it and
// deletes until the tree collapses back onto that leaf, and commits.
// Upstream's cursor still holds the parent's own copy of that page (same
// page number as the new root), which the child's commit freed, and its
// first move reads the old value from there (0.9.24 and 0.9.32: a read of
// freed memory; later rounds happen to agree).  Ours reads the tree as it
// is.  The moves are not compared; the dumps are.
void parent_cursor_after_child_collapse(Run &r) {
	auto ikey = [](uint64_t x) { return std::string(reinterpret_cast<const char *>(&x), sizeof x); };
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("ints", MDB_CREATE | MDB_INTEGERKEY);
	r.commit();
	r.begin();
	r.put(d, ikey(0x102), std::string(12014, 'a'));
	r.put(d, ikey(0x1), std::string(12017, 'b'));
	r.commit();
	for (MDB_cursor_op first_move : {MDB_NEXT_NODUP, MDB_FIRST, MDB_NEXT, MDB_LAST, MDB_PREV}) {
		r.begin();
		MDB_cursor *c = r.cursor(d);
		r.put(d, ikey(0x506), std::string(2022, 'c'));
		r.put(d, ikey(0x405), std::string(2022, 'd'));
		r.stat(d);
		MDB_txn *parent = r.txn;
		MDB_txn *child = nullptr;
		r.rc("child begin", r.a.mdb_txn_begin(r.env, parent, 0, &child));
		r.txn = child;
		r.put(d, ikey(0x1), std::string(8177, 'e'));
		r.del(d, ikey(0x405));
		r.stat(d);
		r.rc("child commit", r.a.mdb_txn_commit(child));
		r.txn = parent;
		r.stat(d);
		if (r.ours) {
			MDB_val k, v;
			int rc = r.a.mdb_cursor_get(c, &k, &v, first_move);
			const bool back = first_move == MDB_LAST || first_move == MDB_PREV;
			const uint64_t want_key = back ? 0x506 : 0x1;
			const size_t want_size = back ? 2022 : 8177;
			uint64_t got = 0;
			if (rc == 0 && k.mv_size == sizeof got) std::memcpy(&got, k.mv_data, sizeof got);
			r.ours_expect(rc == 0 && got == want_key && v.mv_size == want_size,
			              "cursor op " + std::to_string(first_move) + " after the child's commit: key " +
			                  std::to_string(want_key) + " with " + std::to_string(want_size) + " bytes; got rc " +
			                  code(rc) + " key " + std::to_string(got) + " size " + std::to_string(rc ? 0 : v.mv_size));
		}
		r.a.mdb_cursor_close(c);
		r.dump(d);
		r.abort();
	}
}

// MDB_CURRENT|MDB_APPENDDUP adds a duplicate to the current key (ITS#9500).
// An item that cannot join the key's items (another size in a DUPFIXED db,
// an empty one among others) is refused before any page is touched, as
// through the other puts (docs/divergences.md: upstream stores it cut or
// padded): MDB_BAD_VALSIZE, and the txn goes on.  Ours only.
void current_appenddup_refused(Run &r) {
	r.open_env();
	for (unsigned dbflags : {unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED)}) {
		const bool fixed = dbflags & MDB_DUPFIXED;
		for (unsigned items : {1u, 3u, 700u}) {
			for (unsigned flags : {unsigned(MDB_CURRENT | MDB_APPENDDUP),
			                       unsigned(MDB_CURRENT | MDB_APPENDDUP | MDB_NOOVERWRITE)}) {
				for (const char *bad : {"99999", ""}) {
					if (!fixed && *bad) continue;  // any size joins non-fixed items
					r.begin();
					MDB_dbi d = r.dbi(fixed ? "fixed" : "dups", MDB_CREATE | dbflags);
					char buf[8];
					for (unsigned i = 0; i < items; i++) {
						std::snprintf(buf, sizeof buf, "%04u", 10 + 2 * i);
						r.put(d, "k", buf);
					}
					MDB_cursor *c = r.cursor(d);
					r.cget(c, MDB_LAST);
					MDB_val kv{1, const_cast<char *>("k")}, dv{std::strlen(bad), const_cast<char *>(bad)};
					const std::string what = "cput CURRENT|APPENDDUP|" +
					                         std::to_string(flags & ~unsigned(MDB_CURRENT | MDB_APPENDDUP)) + " of " +
					                         std::to_string(dv.mv_size) + " bytes onto " + std::to_string(items) +
					                         " items (db flags " + std::to_string(dbflags) + ")";
					if (r.ours) {
						int rc = r.a.mdb_cursor_put(c, &kv, &dv, flags);
						r.ours_expect(rc == MDB_BAD_VALSIZE, what + ": MDB_BAD_VALSIZE, got " + code(rc));
					}
					r.cget(c, MDB_GET_CURRENT);
					r.count(c);
					// Then an item that fits (before 0.9.29 upstream took
					// CURRENT|APPENDDUP otherwise: ours only there).
					if (!r.oracle_before(29)) {
						r.cput(c, "k", "9998", MDB_CURRENT | MDB_APPENDDUP);
						r.count(c);
					} else if (r.ours) {
						MDB_val k2{1, const_cast<char *>("k")}, v2{4, const_cast<char *>("9998")};
						int rc = r.a.mdb_cursor_put(c, &k2, &v2, MDB_CURRENT | MDB_APPENDDUP);
						r.ours_expect(rc == 0, what + ", then an item that fits: 0, got " + code(rc));
					}
					r.ours_expect(r.commit() == 0, what + ": the txn commits");
					r.begin();
					r.a.mdb_drop(r.txn, d, 1);
					r.commit();
				}
			}
		}
	}
}

// A MULTIPLE put onto a key whose only item is empty: the first item
// replaces the empty one (docs/divergences.md: upstream counts the empty
// item on), every further item is one more entry.  Ours only (upstream's
// ms_entries is one too high).
void multiple_onto_empty_item(Run &r) {
	r.open_env();
	for (unsigned size : {1u, 4u}) {
		for (size_t count : {size_t(1), size_t(2), size_t(9), size_t(250)}) {
			r.begin();
			MDB_dbi d = r.dbi("fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
			r.put(d, "k", "");
			r.put(d, "m", std::string(size, 'm'));
			std::string items;
			for (size_t i = 0; i < count; i++) {
				std::string it(size, char('a' + i % 26));
				it[0] = char(1 + i % 255);
				if (size > 1) it[1] = char(i / 255);
				items += it;
			}
			MDB_cursor *c = r.cursor(d);
			MDB_val kv{1, const_cast<char *>("k")};
			MDB_val dv[2] = {{size, const_cast<char *>(items.data())}, {count, nullptr}};
			const std::string what = "MULTIPLE of " + std::to_string(count) + " " + std::to_string(size) +
			                         "-byte items onto an empty one";
			if (r.ours) {
				int rc = r.a.mdb_cursor_put(c, &kv, dv, MDB_MULTIPLE);
				const size_t stored = dv[1].mv_size;
				r.ours_expect(rc == 0, what + ": 0, got " + code(rc));
				size_t n = 0;
				rc = r.a.mdb_cursor_get(c, &kv, nullptr, MDB_SET);
				r.a.mdb_cursor_count(c, &n);
				MDB_stat st{};
				r.a.mdb_stat(r.txn, d, &st);
				unsigned walked = 0;
				MDB_cursor *w = nullptr;
				r.a.mdb_cursor_open(r.txn, d, &w);
				MDB_val a, b;
				while (r.a.mdb_cursor_get(w, &a, &b, MDB_NEXT) == 0) walked++;
				r.a.mdb_cursor_close(w);
				r.ours_expect(n == stored && st.ms_entries == stored + 1 && walked == stored + 1,
				              what + ": " + std::to_string(stored) + " items and one of m; count " + std::to_string(n) +
				                  ", ms_entries " + std::to_string(st.ms_entries) + ", walked " +
				                  std::to_string(walked));
			}
			r.a.mdb_cursor_close(c);
			r.abort();
		}
	}
}

// A cursor parked on a key's single item while another cursor's MULTIPLE put
// turns it into a sub-page, then a sub-db that splits (255-byte items: 16
// to a leaf).  The parked cursor must stay on its item.  Upstream (0.9.24
// and 0.9.32) keeps, through the rest of the MULTIPLE loop, the page that
// started the sub-db as its root and copies it into the parked cursor after
// the root split: its next move asserts (IS_BRANCH in mdb_cursor_sibling),
// or its GET_CURRENT answers MDB_NOTFOUND.  Ours only.
void multiple_under_parked_cursor(Run &r) {
	r.open_env();
	for (unsigned n : {5u, 15u, 16u, 17u, 18u, 30u, 60u, 150u, 300u}) {
		for (bool largest : {true, false}) {
			r.begin();
			MDB_dbi d = r.dbi("fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
			const std::string mine(255, largest ? char(0xfa) : char(0));
			r.put(d, "k", mine);
			r.put(d, "l", std::string(255, 'l'));
			MDB_cursor *parked = r.cursor(d), *c = r.cursor(d);
			r.cget(parked, largest ? MDB_SET : MDB_FIRST, "k");
			std::string items;
			for (unsigned i = 0; i < n; i++) {
				std::string it(255, char('a' + i % 26));
				it[0] = char(1 + i / 26);
				it[1] = char(i);
				items += it;
			}
			const std::string what = std::to_string(n) + " items put around a parked cursor's " +
			                         (largest ? "largest" : "smallest") + " item";
			if (r.ours) {
				MDB_val kv{1, const_cast<char *>("k")};
				MDB_val dv[2] = {{255, const_cast<char *>(items.data())}, {n, nullptr}};
				int rc = r.a.mdb_cursor_put(c, &kv, dv, MDB_MULTIPLE);
				r.ours_expect(rc == 0 && dv[1].mv_size == n, what + ": stored, got " + code(rc));
				MDB_val k, v;
				rc = r.a.mdb_cursor_get(parked, &k, &v, MDB_GET_CURRENT);
				r.ours_expect(rc == 0 && std::string(static_cast<char *>(v.mv_data), v.mv_size) == mine,
				              what + ": GET_CURRENT on it, got " + code(rc));
				size_t cnt = 0;
				rc = r.a.mdb_cursor_count(parked, &cnt);
				r.ours_expect(rc == 0 && cnt == n + 1, what + ": count " + std::to_string(n + 1) + ", got " +
				                                           code(rc) + " " + std::to_string(cnt));
				rc = r.a.mdb_cursor_get(parked, &k, &v, MDB_NEXT);
				const bool next_ok = largest ? rc == 0 && k.mv_size == 1 && *static_cast<char *>(k.mv_data) == 'l'
				                             : rc == 0 && std::string(static_cast<char *>(v.mv_data), v.mv_size) ==
				                                              items.substr(0, 255);
				r.ours_expect(next_ok, what + ": NEXT after it, got " + code(rc));
				rc = r.a.mdb_cursor_get(parked, &k, &v, MDB_PREV);
				r.ours_expect(rc == 0 && std::string(static_cast<char *>(v.mv_data), v.mv_size) == mine,
				              what + ": PREV back onto it, got " + code(rc));
			}
			r.a.mdb_cursor_close(parked);
			r.a.mdb_cursor_close(c);
			r.abort();
		}
	}
}

// MDB_CURRENT with a key other than the cursor's (lmdb.h: it must match).
// Where the item is replaced in place the key is not read, by upstream or
// us.  Where the node must be rebuilt (a value of another size, a sub-page
// that grows for MDB_CURRENT|MDB_APPENDDUP) upstream writes the node under
// the caller's key: the key is renamed in place, out of order, or (a key of
// another size) a node of a size the page cannot hold (MDB_CORRUPTED, the
// txn failed).  Ours keeps the cursor's own key.  Ours only.
void current_other_key(Run &r) {
	r.open_env();
	struct Step {
		unsigned dbflags;
		std::string value;  // the new value
		unsigned flags;
	};
	const Step steps[] = {
	    {0, "vvvv", MDB_CURRENT},                // same size: in place
	    {0, "vvvvvvvv", MDB_CURRENT},            // another size: rebuilt
	    {0, std::string(3000, 'B'), MDB_CURRENT},  // onto overflow pages
	    {unsigned(MDB_DUPSORT), "5555", MDB_CURRENT | MDB_APPENDDUP},
	    {unsigned(MDB_DUPSORT), std::string(300, '5'), MDB_CURRENT | MDB_APPENDDUP},
	    {unsigned(MDB_DUPSORT), "2", MDB_CURRENT},  // another size among duplicates: delete, insert
	};
	const std::string others[] = {"zz", "a", std::string(511, 'q')};
	for (const Step &s : steps) {
		for (const std::string &okey : others) {
			const std::string &value = s.value;
			r.begin();
			MDB_dbi d = r.dbi(s.dbflags ? "dups" : "plain", MDB_CREATE | s.dbflags);
			r.put(d, "b", "1111");
			if (s.dbflags) r.put(d, "b", "3333");
			r.put(d, "m", "1111");
			MDB_cursor *c = r.cursor(d);
			r.cget(c, MDB_FIRST);
			const std::string what = "CURRENT (flags " + std::to_string(s.flags) + ") of " +
			                         std::to_string(value.size()) + " bytes with the key " + okey.substr(0, 4) + "[" +
			                         std::to_string(okey.size()) + "]";
			if (r.ours) {
				MDB_val kv{okey.size(), const_cast<char *>(okey.data())};
				MDB_val vv{value.size(), const_cast<char *>(value.data())};
				int rc = r.a.mdb_cursor_put(c, &kv, &vv, s.flags);
				r.ours_expect(rc == 0, what + ": 0, got " + code(rc));
				MDB_val k, v;
				std::string keys;
				size_t n = 0;
				MDB_cursor *w = nullptr;
				r.a.mdb_cursor_open(r.txn, d, &w);
				while (r.a.mdb_cursor_get(w, &k, &v, MDB_NEXT) == 0) {
					keys += std::string(static_cast<char *>(k.mv_data), k.mv_size) + ",";
					n++;
				}
				MDB_stat st{};
				r.a.mdb_stat(r.txn, d, &st);
				const size_t want = s.dbflags ? ((s.flags & MDB_APPENDDUP) ? 4 : 3) : 2;
				const std::string want_keys = s.dbflags ? ((s.flags & MDB_APPENDDUP) ? "b,b,b,m," : "b,b,m,") : "b,m,";
				r.ours_expect(keys == want_keys && n == want && st.ms_entries == want,
				              what + ": keys " + want_keys + " got " + keys.substr(0, 40) + " entries " +
				                  std::to_string(st.ms_entries));
				MDB_val g{1, const_cast<char *>("b")};
				rc = r.a.mdb_cursor_get(w, &g, &v, MDB_SET);
				if (!s.dbflags)
					r.ours_expect(rc == 0 && std::string(static_cast<char *>(v.mv_data), v.mv_size) == value,
					              what + ": b holds the new value");
				r.a.mdb_cursor_close(w);
			}
			r.a.mdb_cursor_close(c);
			r.ours_expect(r.commit() == 0, what + ": the txn commits");
			r.begin();
			r.a.mdb_drop(r.txn, d, 1);
			r.commit();
		}
	}
}

// Found by the boundary profile against 0.9.32: a cursor deletes a key's only
// item (then a child txn begins and aborts, or not), the cursor puts the key
// back with one item and mdb_put gives it two more duplicates.  The cursor,
// placed while the key had no duplicates, has no place among them yet:
// MDB_NEXT_MULTIPLE returns all the key's items, its own first (0.9.24 and
// ours); 0.9.32 answers MDB_NOTFOUND (the items after it are not returned).
void multiple_after_child_abort(Run &r) {
	r.open_env();
	for (unsigned dbflags : {unsigned(MDB_DUPSORT | MDB_DUPFIXED), unsigned(MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERKEY)})
		for (unsigned size : {1u, 2u})
			for (bool child : {false, true}) {
				r.begin();
				MDB_dbi d = r.dbi(dbflags & MDB_INTEGERKEY ? "intkey" : "fixed", MDB_CREATE | dbflags);
				const std::string key("\xfe\0\xfe\0\0\0\0\0", 8);
				r.put(d, key, std::string(size, '\0'));
				MDB_cursor *c = r.cursor(d);
				r.cget(c, MDB_FIRST);
				r.cdel(c);
				MDB_txn *sub = nullptr;
				if (child && r.rc("child begin", r.a.mdb_txn_begin(r.env, r.txn, 0, &sub)) == 0) {
					r.a.mdb_txn_abort(sub);
					r.note("child aborted");
				}
				r.cput(c, key, std::string(size, '\0'));
				r.put(d, key, std::string(size, '\7'));
				r.put(d, key, std::string(size, '\x14'));
				if (r.oracle_before(32)) {
					r.cget(c, MDB_NEXT_MULTIPLE);
					r.cget(c, MDB_GET_CURRENT);
				} else if (r.ours) {
					MDB_val k{0, nullptr}, v{0, nullptr};
					int rc = r.a.mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE);
					r.ours_expect(rc == 0 && v.mv_size == 3 * size,
					              "MDB_NEXT_MULTIPLE returns the key's three items (as 0.9.24), got " + code(rc) +
					                  " with " + std::to_string(v.mv_size) + " bytes");
				}
				r.dump(d);
				r.a.mdb_cursor_close(c);
				r.commit();
				r.begin();
				r.rc("drop", r.a.mdb_drop(r.txn, d, 0));
				r.commit();
			}
}

// Found by the boundary profile: a cursor whose key another cursor deletes
// carries a "deleted" mark.  Upstream's mdb_drop unsets the cursor but keeps
// the mark; a put through the cursor that MDB_NOOVERWRITE refuses positions
// it on the existing key and returns before the mark is cleared, so its next
// MDB_NEXT/NEXT_NODUP returns the key it stands on again, MDB_NEXT_DUP answers
// MDB_NOTFOUND (0.9.24 and 0.9.32).  Our mdb_drop leaves its cursors
// unpositioned and unmarked (docs/divergences.md): after the refused put the
// cursor moves as a fresh cursor placed there by the same put does (compared
// with upstream here).  Without the drop both keep the mark (compared).
void del_mark_after_refused_put(Run &r) {
	r.open_env();
	static const MDB_cursor_op moves[] = {MDB_NEXT, MDB_NEXT_NODUP, MDB_NEXT_DUP, MDB_PREV, MDB_GET_CURRENT};
	for (unsigned dbflags : {0u, unsigned(MDB_DUPSORT)})
		for (int way = 0; way < 4; way++)  // NOOVERWRITE / APPEND, without or with mdb_drop
			for (MDB_cursor_op move : moves) {
				const bool append = way & 1, drop = way & 2;
				r.begin();
				MDB_dbi d = r.dbi(dbflags ? "dups" : "plain", MDB_CREATE | dbflags);
				r.put(d, "a", "1");
				MDB_cursor *c = r.cursor(d), *other = r.cursor(d);
				r.cget(c, MDB_FIRST);
				r.cget(other, MDB_FIRST);
				r.cdel(other);  // c's key goes: c carries the mark
				if (drop) r.rc("drop", r.a.mdb_drop(r.txn, d, 0));
				r.put(d, "b", "2");
				r.put(d, "c", "3");
				if (dbflags) r.put(d, "c", "4");
				r.put(d, "d", "5");
				const char *k = append ? "a" : "b";
				const unsigned fl = append ? MDB_APPEND : MDB_NOOVERWRITE;
				r.cput(c, k, "9", fl);
				if (drop && !append) {
					// The baseline: a fresh cursor placed by the same refused put.
					MDB_cursor *fresh = r.cursor(d);
					r.cput(fresh, k, "9", fl);
					const int want = r.cget(fresh, move);
					const std::string want_s = code(want) + (want ? "" : " " + r.last_key + "=" + r.last_data);
					r.a.mdb_cursor_close(fresh);
					if (r.ours) {
						MDB_val kv{0, nullptr}, v{0, nullptr};
						int rc = r.a.mdb_cursor_get(c, &kv, &v, move);
						const std::string got =
						    code(rc) + (rc ? "" : " " + std::string(static_cast<char *>(kv.mv_data), kv.mv_size) + "=" +
						                              std::string(static_cast<char *>(v.mv_data), v.mv_size));
						r.ours_expect(got == want_s, "op " + std::to_string(move) +
						                                 " after mdb_drop and a refused NOOVERWRITE put: as a fresh cursor (" +
						                                 want_s + "), got " + got);
					}
					r.note("the marked cursor's move: asserted on ours (upstream repeats the key it stands on)");
				} else {
					r.cget(c, move);
				}
				r.a.mdb_cursor_close(other);
				r.a.mdb_cursor_close(c);
				r.abort();
			}
}

// Found by the boundary profile: MDB_CURRENT|MDB_RESERVE through a cursor
// that MDB_LAST left at the end, then later keys (a split): 0.9.24 searches
// the key for MDB_CURRENT with any other flag (before ITS#8662, 0.9.28),
// which ends the cursor's end mark, so its NEXT returns the later key; 0.9.32
// keeps the mark as for MDB_CURRENT alone (NEXT: MDB_NOTFOUND), and so do we
// (docs/divergences.md section 5).  Compared from 0.9.28 on, asserted on
// ours before.
void current_reserve_at_last(Run &r) {
	r.open_env();
	for (unsigned fl : {unsigned(MDB_CURRENT), unsigned(MDB_CURRENT | MDB_RESERVE)}) {
		r.begin();
		MDB_dbi d = r.dbi("plain", MDB_CREATE);
		r.put(d, std::string(255, 'f'), "");
		MDB_cursor *c = r.cursor(d);
		r.cget(c, MDB_LAST);
		r.cput(c, std::string(255, 'f'), "", fl);
		r.put(d, "ruxadgC", std::string(2023, 'v'));  // nodes of the largest size on a page
		r.put(d, "a", std::string(2029, 'w'));
		r.cget(c, MDB_GET_CURRENT);
		if (fl == MDB_CURRENT || !r.oracle_before(28)) {
			r.cget(c, MDB_NEXT);
		} else {
			if (r.ours) {
				MDB_val k{0, nullptr}, v{0, nullptr};
				const int rc = r.a.mdb_cursor_get(c, &k, &v, MDB_NEXT);
				r.ours_expect(rc == MDB_NOTFOUND,
				              "MDB_NEXT after MDB_LAST and MDB_CURRENT|MDB_RESERVE: MDB_NOTFOUND (as 0.9.28+), got " +
				                  code(rc));
			}
			r.note("MDB_NEXT: asserted on ours (0.9.24 searched the key for MDB_CURRENT|MDB_RESERVE)");
		}
		r.a.mdb_cursor_close(c);
		r.abort();
	}
}

}  // namespace

void add_boundary_cases(std::vector<Case> &out) {
	out.push_back({"current_not_on_item", current_not_on_item});
	out.push_back({"current_with_flags", current_with_flags});
	out.push_back({"current_with_flags_single", current_with_flags_single, false});
	out.push_back({"multiple_reserve", multiple_reserve});
	out.push_back({"parent_cursor_after_child_collapse", parent_cursor_after_child_collapse});
	out.push_back({"current_appenddup_refused", current_appenddup_refused});
	out.push_back({"multiple_onto_empty_item", multiple_onto_empty_item});
	out.push_back({"multiple_under_parked_cursor", multiple_under_parked_cursor});
	out.push_back({"current_other_key", current_other_key, true, false});  // ours alone writes more
	out.push_back({"multiple_after_child_abort", multiple_after_child_abort});
	out.push_back({"del_mark_after_refused_put", del_mark_after_refused_put});
	out.push_back({"current_reserve_at_last", current_reserve_at_last});
}

}  // namespace compat::edges
