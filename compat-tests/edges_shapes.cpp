// Tree shapes the other generators rarely build: trees of depth 3 and 4
// whose branch pages hold only a handful of long keys, so that splits
// cascade into full parents and merges empty leftmost children, with
// several cursors of the same txn standing on the pages that move.  After
// every change each cursor's position (GET_CURRENT) and the tree's shape
// (mdb_stat) go into the transcript; upstream and ours must agree on all
// of it.  docs/coverage.md lists the code paths these were written for.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "edges.h"

namespace compat::edges {

namespace {

// xorshift64*: the same sequence on both sides.
struct Rng {
	uint64_t s;
	explicit Rng(uint64_t seed) : s(seed * 0x9e3779b97f4a7c15ull + 1) {}
	uint64_t next() {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545f4914f6cdd1dull;
	}
	unsigned below(unsigned n) { return unsigned(next() % n); }
};

// Key `id` (< 10000): four decimal digits, so byte order is id order, then
// filler up to a length between `min_len` and 511 that depends on the id.
std::string long_key(unsigned id, unsigned min_len) {
	std::string k(4, '0');
	for (unsigned p = 4, v = id; p-- > 0; v /= 10) k[p] = char('0' + v % 10);
	unsigned len = min_len + (id * 37u) % (512 - min_len);
	k.resize(len, char('a' + id % 26));
	return k;
}

// A value: mostly short, sometimes empty, sometimes on overflow pages.
std::string value_for(Rng &rng) {
	unsigned pick = rng.below(20);
	unsigned len = pick == 0 ? 0 : pick == 1 ? 3000 : pick == 2 ? 600 : 1 + rng.below(24);
	std::string v(len, 'v');
	for (unsigned i = 0; i < len; i += 7) v[i] = char('A' + rng.below(26));
	return v;
}

constexpr unsigned kCursors = 8;

// `lost`: cursors whose last search failed.  Such a cursor sits at the
// insertion point, and after other cursors' changes upstream reads a stale
// slot there (docs/divergences.md, compat.edges failed_set_then_merge), so
// it is not compared until it is positioned again.
void positions(Run &r, MDB_cursor *const *cs, const bool *lost = nullptr) {
	for (unsigned i = 0; i < kCursors; i++)
		if (!lost || !lost[i]) r.cget(cs[i], MDB_GET_CURRENT);
}

// One random walk: puts, deletes (by key and through cursors) and cursor
// moves on a db of long keys; `keys` distinct ids, `steps` operations.
void long_key_walk(Run &r, uint64_t seed, unsigned db_flags, unsigned keys, unsigned steps, unsigned min_len,
                   unsigned env_flags = MDB_NOSYNC) {
	Rng rng(seed);
	r.open_env(env_flags, 64u << 20);
	r.begin();
	MDB_dbi d = r.dbi("t", MDB_CREATE | db_flags);
	r.commit();  // the handle outlives the walk's aborts
	r.begin();
	MDB_cursor *cs[kCursors];
	bool lost[kCursors] = {};
	// A search: a failure leaves the cursor lost (see positions()).
	auto search = [&](unsigned i, MDB_cursor_op op, const std::string &key) {
		lost[i] = r.cget(cs[i], op, key) != 0 && op != MDB_SET_RANGE;
	};
	auto open_cursors = [&] {
		for (unsigned i = 0; i < kCursors; i++) {
			cs[i] = r.cursor(d);
			search(i, MDB_SET_RANGE, long_key(rng.below(keys), min_len));
		}
	};
	open_cursors();
	static const MDB_cursor_op moves[] = {MDB_FIRST, MDB_LAST, MDB_NEXT, MDB_PREV, MDB_NEXT, MDB_PREV,
	                                      MDB_SET_RANGE, MDB_SET, MDB_SET_KEY, MDB_GET_CURRENT, MDB_LAST};
	for (unsigned step = 0; step < steps; step++) {
		unsigned what = rng.below(100);
		const unsigned ci = rng.below(kCursors);
		MDB_cursor *c = cs[ci];
		std::string k = long_key(rng.below(keys), min_len);
		bool changed = true;
		// A lost cursor is positioned afresh before it is used.
		if (lost[ci] && what >= 56 && what < 97) search(ci, MDB_SET_RANGE, k);
		if (what < 38) {
			r.put(d, k, value_for(rng), rng.below(4) ? 0 : MDB_NOOVERWRITE);
		} else if (what < 56) {
			r.del(d, k);
		} else if (what < 61) {
			if (r.cput(c, k, value_for(rng)) == 0) lost[ci] = false;
		} else if (what < 66) {
			// Replace the value under the cursor, often with one of another
			// size (the node is then deleted and added again, maybe splitting).
			if (r.cget(c, MDB_GET_CURRENT) == 0) r.cput(c, r.last_key, value_for(rng), MDB_CURRENT);
		} else if (what < 76) {
			r.cdel(c);
		} else if (what < 97) {
			MDB_cursor_op op = moves[rng.below(sizeof moves / sizeof moves[0])];
			if (op == MDB_SET_RANGE || op == MDB_SET || op == MDB_SET_KEY)
				search(ci, op, k);
			else if (r.cget(c, op) == 0 && (op == MDB_FIRST || op == MDB_LAST))
				lost[ci] = false;
			changed = false;
		} else {
			r.stat(d);
			if (rng.below(3)) {
				r.commit();
				r.note_page_layout();  // the same nodes in every page after each commit
			} else {
				r.abort();
				r.note("abort");
			}
			r.begin();
			open_cursors();
			changed = false;
		}
		if (changed) {
			positions(r, cs, lost);
			if (step % 16 == 0) r.stat(d);
		}
	}
	r.stat(d);
	r.dump(d);
	r.commit();
}

// Splits: mostly puts, so the tree grows to depth 4 with 7-8 keys a page.
void long_keys_grow(Run &r) {
	for (uint64_t seed = 1; seed <= 3; seed++) long_key_walk(r, seed, 0, 900, 1500, 480);
}

// Growth and shrinkage mixed over a smaller key space: merges and moves
// between neighbours, leftmost children emptied, roots collapsing.
void long_keys_churn(Run &r) {
	for (uint64_t seed = 11; seed <= 13; seed++) long_key_walk(r, seed, 0, 160, 1500, 400);
	long_key_walk(r, 14, MDB_REVERSEKEY, 160, 1200, 400);
}

// Ascending then descending runs of inserts and deletes: a new separator
// at index 0 of the parent, or at its end, on every split of a run.
void long_keys_runs(Run &r) {
	r.open_env(MDB_NOSYNC, 64u << 20);
	r.begin();
	MDB_dbi d = r.dbi("runs", MDB_CREATE);
	MDB_cursor *cs[kCursors];
	for (MDB_cursor *&c : cs) c = r.cursor(d);
	unsigned placed = 0;
	for (int pass = 0; pass < 4; pass++) {
		// Pass 0 and 2 ascending, 1 and 3 descending, over interleaved ids.
		for (unsigned i = 0; i < 300; i++) {
			unsigned id = pass % 2 ? 2999 - i * 9 - pass : i * 9 + pass;
			r.put(d, long_key(id, 490), std::string(1 + id % 5, 'x'));
			if (i % 5 == 0) {
				// Park a cursor on the key just written and another on its neighbour.
				r.cget(cs[placed % kCursors], MDB_SET, long_key(id, 490));
				r.cget(cs[(placed + 1) % kCursors], pass % 2 ? MDB_PREV : MDB_NEXT);
				placed += 2;
			}
			positions(r, cs);
		}
		r.stat(d);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < 600; i++) {
			unsigned id = pass ? 2999 - i * 5 : i * 5;
			r.del(d, long_key(id - id % 9 + (i % 4), 490));
			if (i % 7 == 0) r.cget(cs[i % kCursors], pass ? MDB_LAST : MDB_FIRST);
			positions(r, cs);
		}
		r.stat(d);
	}
	r.dump(d);
	r.commit();
}

// A tree of depth 4 filled in random order, then emptied in random order
// (or every third key first): every level underfills, borrows from a
// neighbour on either side and merges, down to an empty root.
void long_keys_shrink(Run &r) {
	for (uint64_t seed = 21; seed <= 24; seed++) {
		Rng rng(seed);
		const unsigned n = 700;
		std::vector<unsigned> ids(n);
		for (unsigned i = 0; i < n; i++) ids[i] = i;
		auto shuffle = [&] {
			for (unsigned i = n; i > 1; i--) std::swap(ids[i - 1], ids[rng.below(i)]);
		};
		r.open_env(MDB_NOSYNC, 64u << 20);
		r.begin();
		MDB_dbi d = r.dbi("shrink", MDB_CREATE);
		shuffle();
		for (unsigned id : ids) r.put(d, long_key(id, 440 + unsigned(seed % 2) * 60), std::string(id % 9, 'w'));
		r.stat(d);
		if (seed % 2) r.commit(), r.begin();
		MDB_cursor *cs[kCursors];
		for (MDB_cursor *&c : cs) c = r.cursor(d);
		shuffle();
		if (seed >= 23) std::stable_partition(ids.begin(), ids.end(), [](unsigned id) { return id % 3 == 0; });
		for (unsigned i = 0; i < n; i++) {
			if (i % 11 == 0) {
				MDB_cursor *c = cs[rng.below(kCursors)];
				static const MDB_cursor_op parks[] = {MDB_FIRST, MDB_LAST, MDB_SET_RANGE, MDB_NEXT, MDB_PREV};
				MDB_cursor_op op = parks[rng.below(5)];
				r.cget(c, op, op == MDB_SET_RANGE ? long_key(rng.below(n), 440 + unsigned(seed % 2) * 60) : "");
			}
			if (i % 5 == 4) {
				MDB_cursor *c = cs[rng.below(kCursors)];
				r.cdel(c);
			} else {
				r.del(d, long_key(ids[i], 440 + unsigned(seed % 2) * 60));
			}
			positions(r, cs);
			if (i % 8 == 0) r.stat(d);
		}
		r.stat(d);
		r.dump(d);
		r.commit();
	}
}

// DUPFIXED items of 200 bytes under a few keys: each key's sub-db has LEAF2
// leaves (19 items) under branch pages; deletes by value in random and in
// ascending order move and merge LEAF2 leaves at every position of their
// parents.  One cursor; its moves are compared after each change.
void dupfixed_subdb_churn(Run &r) {
	Rng rng(77);
	r.open_env(MDB_NOSYNC, 64u << 20);
	r.begin();
	MDB_dbi d = r.dbi("fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	auto item = [](unsigned v) {
		std::string s(200, '.');
		for (unsigned p = 6, x = v; p-- > 0; x /= 10) s[p] = char('0' + x % 10);
		return s;
	};
	static const char *const keys[] = {"a", "m", "z"};
	for (const char *k : keys)
		for (unsigned v = 0; v < 900; v++) r.put(d, k, item(v * 3));
	r.stat(d);
	r.commit();
	static const MDB_cursor_op looks[] = {MDB_GET_CURRENT, MDB_NEXT_DUP, MDB_PREV_DUP, MDB_FIRST_DUP,
	                                      MDB_LAST_DUP,    MDB_NEXT,     MDB_PREV};
	for (int round = 0; round < 6; round++) {
		r.begin();
		MDB_cursor *c = r.cursor(d);
		for (unsigned i = 0; i < 700; i++) {
			std::string k = keys[rng.below(3)];
			unsigned v = round % 2 ? rng.below(2700) : (i * 7 + round) % 2700;
			std::string data = item(v);
			if (rng.below(4) == 0) {
				r.put(d, k, item(v | 1), MDB_NODUPDATA);
			} else {
				r.del(d, k, &data);
			}
			// After a failed search relative moves are not compared (every
			// upstream version moves from a stale sub-cursor there,
			// docs/divergences.md): position afresh first.
			if (r.cget(c, MDB_GET_BOTH_RANGE, k, data) == 0)
				r.count(c);
			else
				r.cget(c, MDB_LAST);
			r.cget(c, looks[rng.below(sizeof looks / sizeof looks[0])]);
		}
		r.stat(d);
		for (const char *k : keys) {
			r.cget(c, MDB_SET, k);
			r.count(c);
		}
		if (round % 3 == 2) {
			r.abort();
			r.note("abort");
		} else {
			r.commit();
		}
	}
	r.begin();
	r.dump(d);
	r.commit();
}

// 511-byte DUPFIXED items: 7 a LEAF2 leaf and 7 a branch page of the
// key's sub-db, so 400 items make a sub-db of depth 4.  Filled and emptied
// in random order; after each delete one cursor looks at the neighbourhood.
// With `fixed` false the items are plain DUPSORT duplicates of 400-511
// bytes (the sub-db's keys, 7-8 a page, of several sizes).
void long_dups_shrink(Run &r, bool fixed, uint64_t first_seed, unsigned env_flags = MDB_NOSYNC) {
	for (uint64_t seed = first_seed; seed <= first_seed + 2; seed++) {
		Rng rng(seed);
		const unsigned n = 400;
		auto item = [fixed](unsigned v) {
			std::string s(fixed ? 511 : 400 + (v * 53) % 112, char('a' + v % 26));
			for (unsigned p = 4, x = v; p-- > 0; x /= 10) s[p] = char('0' + x % 10);
			return s;
		};
		std::vector<unsigned> ids(n);
		for (unsigned i = 0; i < n; i++) ids[i] = i;
		auto shuffle = [&] {
			for (unsigned i = n; i > 1; i--) std::swap(ids[i - 1], ids[rng.below(i)]);
		};
		r.open_env(env_flags, 64u << 20);
		r.begin();
		MDB_dbi d = r.dbi("long", MDB_CREATE | MDB_DUPSORT | (fixed ? MDB_DUPFIXED : 0));
		shuffle();
		MDB_cursor *c = r.cursor(d);
		for (size_t at = 0; at < ids.size(); at++) {
			const unsigned id = ids[at];
			const std::string k = seed == first_seed + 2 ? (id % 2 ? "odd" : "even") : "k";
			if (fixed && seed == first_seed && at + 3 <= ids.size() && at % 4 == 0) {
				// DUPFIXED: three items (in no order) in one MULTIPLE put.
				std::string run = item(id) + item(ids[at + 1]) + item(ids[at + 2]);
				MDB_val kv{k.size(), const_cast<char *>(k.data())};
				MDB_val dv[2] = {{511, run.data()}, {3, nullptr}};
				const int rc = r.a.mdb_cursor_put(c, &kv, dv, MDB_MULTIPLE);
				r.rc("put MULTIPLE 3 stored " + std::to_string(dv[1].mv_size), rc);
				at += 2;
			} else {
				// Through a cursor, which must stand on the new item after
				// the sub-db's pages split under it.
				r.cput(c, k, item(id));
			}
			r.cget(c, MDB_GET_CURRENT);
			r.cget(c, MDB_NEXT_DUP);
			r.cget(c, MDB_PREV_DUP);
			r.cget(c, MDB_PREV_DUP);
		}
		r.stat(d);
		if (fixed) {
			// Page-sized reads of LEAF2 leaves spread under branch pages,
			// forwards and backwards, mixed with single steps.
			static const MDB_cursor_op steps[] = {MDB_NEXT_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_NEXT_DUP,
			                                      MDB_GET_MULTIPLE,  MDB_PREV_MULTIPLE, MDB_PREV_DUP,
			                                      MDB_PREV_MULTIPLE, MDB_NEXT_MULTIPLE};
			const std::string k0 = seed == first_seed + 2 ? "even" : "k";
			r.cget(c, MDB_SET, k0);
			while (r.cget(c, MDB_NEXT_MULTIPLE) == 0) {
			}
			r.cget(c, MDB_LAST_DUP);
			while (r.cget(c, MDB_PREV_MULTIPLE) == 0) {
			}
			r.cget(c, MDB_SET, k0);
			for (unsigned i = 0; i < 200; i++) r.cget(c, steps[rng.below(sizeof steps / sizeof steps[0])]);
		}
		r.commit();
		r.note_page_layout();
		r.begin();
		c = r.cursor(d);
		shuffle();
		static const MDB_cursor_op looks[] = {MDB_NEXT_DUP, MDB_PREV_DUP, MDB_NEXT, MDB_PREV, MDB_LAST_DUP,
		                                      MDB_FIRST_DUP};
		for (unsigned i = 0; i < n; i++) {
			std::string k = seed == first_seed + 2 ? (ids[i] % 2 ? "odd" : "even") : "k", v = item(ids[i]);
			if (i % 6 == 5 && r.cget(c, MDB_GET_BOTH, k, v) == 0) {
				r.cdel(c);
			} else {
				r.del(d, k, &v);
			}
			r.cget(c, MDB_GET_CURRENT);
			if (r.cget(c, MDB_GET_BOTH_RANGE, k, v) == 0)
				r.count(c);
			else
				r.cget(c, MDB_LAST);  // no relative moves after a failed search (above)
			r.cget(c, looks[rng.below(sizeof looks / sizeof looks[0])]);
			if (i % 10 == 0) r.stat(d);
			if (i % 97 == 96) {
				r.commit();
				r.note_page_layout();
				r.begin();
				c = r.cursor(d);
			}
		}
		r.stat(d);
		r.dump(d);
		r.commit();
	}
}

void dupfixed_511_shrink(Run &r) { long_dups_shrink(r, true, 31); }
void dupsort_long_shrink(Run &r) { long_dups_shrink(r, false, 41); }

// The same shapes with MDB_WRITEMAP: pages change in the map, not in copies.
void shapes_writemap(Run &r) {
	long_key_walk(r, 51, 0, 160, 1500, 400, MDB_NOSYNC | MDB_WRITEMAP);
	long_key_walk(r, 52, 0, 900, 1200, 480, MDB_NOSYNC | MDB_WRITEMAP);
	long_dups_shrink(r, false, 53, MDB_NOSYNC | MDB_WRITEMAP);
	long_dups_shrink(r, true, 56, MDB_NOSYNC | MDB_WRITEMAP);
}

}  // namespace

void add_shape_cases(std::vector<Case> &out) {
	out.push_back({"long_keys_grow", long_keys_grow});
	out.push_back({"long_keys_churn", long_keys_churn});
	out.push_back({"long_keys_runs", long_keys_runs});
	out.push_back({"long_keys_shrink", long_keys_shrink});
	out.push_back({"dupfixed_subdb_churn", dupfixed_subdb_churn});
	out.push_back({"dupfixed_511_shrink", dupfixed_511_shrink});
	out.push_back({"dupsort_long_shrink", dupsort_long_shrink});
	out.push_back({"shapes_writemap", shapes_writemap});
}

}  // namespace compat::edges
