// Duplicates long enough (400-511 bytes) that a key's sub-db holds 7-8 of
// them a page, leaf or branch: a few hundred make a sub-db of depth 4, and
// the insert that takes it from depth 3 to 4 splits a leaf, its parent and
// the root in one cascade.  The cursor that put the item, and another
// cursor parked on the same key, must stand on real items afterwards: the
// cascade's inner splits have to fix up the outer split's cursor even
// though it is a sub-cursor, which the txn's cursor list reaches only
// through its main cursor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

using test_support::str;
using test_support::TempDir;
using test_support::val;

namespace {

std::string long_item(unsigned v) {
	std::string s(400 + (v * 53) % 112, char('a' + v % 26));
	for (unsigned p = 4, x = v; p-- > 0; x /= 10) s[p] = char('0' + x % 10);
	return s;
}

struct Env {
	TempDir dir;
	MDB_env *env = nullptr;
	Env() {
		REQUIRE(mdb_env_create(&env) == 0);
		REQUIRE(mdb_env_set_maxdbs(env, 2) == 0);
		REQUIRE(mdb_env_set_mapsize(env, 64 << 20) == 0);
		REQUIRE(mdb_env_open(env, dir.path().c_str(), MDB_NOSYNC, 0644) == 0);
	}
	~Env() { mdb_env_close(env); }
};

// A write txn of `e` with the db "d": DUPSORT, and DUPFIXED if `fixed`.
MDB_txn *begin_dups(Env &e, bool fixed, MDB_dbi *dbi) {
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, "d", MDB_CREATE | MDB_DUPSORT | (fixed ? MDB_DUPFIXED : 0), dbi) == 0);
	return txn;
}

// Item `id` of a db: 400-511 bytes, or 511 in a DUPFIXED one.
std::string dup_item(unsigned id, bool fixed) {
	std::string s = long_item(id);
	if (fixed) s.resize(511, '.');
	return s;
}

// The cursor's item, and its neighbours among the key's duplicates, are
// those of the model.
void check_around(MDB_cursor *c, const std::set<std::string> &model, const std::string &want) {
	MDB_val k, v;
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT) == 0);
	REQUIRE(str(v) == want);
	auto it = model.find(want);
	REQUIRE(it != model.end());
	int rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
	if (std::next(it) == model.end()) {
		REQUIRE(rc == MDB_NOTFOUND);
	} else {
		REQUIRE(rc == 0);
		REQUIRE(str(v) == *std::next(it));
		REQUIRE(mdb_cursor_get(c, &k, &v, MDB_PREV_DUP) == 0);
	}
	REQUIRE(str(v) == want);
	rc = mdb_cursor_get(c, &k, &v, MDB_PREV_DUP);
	if (it == model.begin()) {
		REQUIRE(rc == MDB_NOTFOUND);
	} else {
		REQUIRE(rc == 0);
		REQUIRE(str(v) == *std::prev(it));
		REQUIRE(mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP) == 0);
		REQUIRE(str(v) == want);
	}
}

}  // namespace

TEST_CASE("cursor puts into a DUPSORT sub-db growing to depth 4: the cursor stays on its item",
          "[dupsort][split]") {
	const unsigned fixed = GENERATE(0u, 1u);
	const unsigned seed = GENERATE(range(1u, 41u));
	CAPTURE(fixed, seed);
	Env e;
	MDB_dbi dbi;
	MDB_txn *txn = begin_dups(e, fixed, &dbi);
	// At most 8 items a page at every level of the sub-db: 600 items make at
	// least 75 leaves, 10 parents, 2 pages above them and a root (depth 4;
	// the sub-db's depth is not visible through the API).
	std::vector<unsigned> ids(600);
	for (unsigned i = 0; i < ids.size(); i++) ids[i] = i;
	std::mt19937 rng(seed);
	std::shuffle(ids.begin(), ids.end(), rng);
	MDB_cursor *c, *parked;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	REQUIRE(mdb_cursor_open(txn, dbi, &parked) == 0);
	std::set<std::string> model;
	std::string parked_on;
	for (unsigned id : ids) {
		std::string item = dup_item(id, fixed);
		MDB_val k = val("key"), v = val(item);
		REQUIRE(mdb_cursor_put(c, &k, &v, 0) == 0);
		model.insert(item);
		check_around(c, model, item);
		if (!parked_on.empty()) check_around(parked, model, parked_on);
		if (id % 5 == 0) {
			MDB_val pk = val("key"), pv = val(item);
			REQUIRE(mdb_cursor_get(parked, &pk, &pv, MDB_GET_BOTH) == 0);
			parked_on = item;
		}
		MDB_stat st;
		REQUIRE(mdb_stat(txn, dbi, &st) == 0);
		REQUIRE(st.ms_entries == model.size());
		size_t n = 0;
		REQUIRE(mdb_cursor_count(c, &n) == 0);
		REQUIRE(n == model.size());
	}
	// The items are read back in order, all of them.
	MDB_val k = val("key"), v;
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_SET) == 0);
	for (const std::string &want : model) {
		REQUIRE(str(v) == want);
		int rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		REQUIRE((rc == 0 || (rc == MDB_NOTFOUND && want == *model.rbegin())));
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
}

TEST_CASE("cursor deletes from a DUPSORT sub-db of depth 4: the cursors stay on real items",
          "[dupsort][split]") {
	const unsigned fixed = GENERATE(0u, 1u);
	const unsigned seed = GENERATE(range(1u, 21u));
	CAPTURE(fixed, seed);
	Env e;
	MDB_dbi dbi;
	MDB_txn *txn = begin_dups(e, fixed, &dbi);
	std::vector<std::string> items;
	std::set<std::string> model;
	for (unsigned id = 0; id < 600; id++) {
		std::string item = dup_item(id, fixed);
		MDB_val k = val("key"), v = val(item);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
		items.push_back(item);
		model.insert(item);
	}
	std::mt19937 rng(seed);
	std::shuffle(items.begin(), items.end(), rng);
	MDB_cursor *c, *parked;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	REQUIRE(mdb_cursor_open(txn, dbi, &parked) == 0);
	std::string parked_on;
	for (size_t i = 0; i + 1 < items.size(); i++) {
		const std::string &item = items[i];
		MDB_val k = val("key"), v = val(item);
		REQUIRE(mdb_cursor_get(c, &k, &v, MDB_GET_BOTH) == 0);
		REQUIRE(mdb_cursor_del(c, 0) == 0);
		model.erase(item);
		if (item == parked_on) parked_on.clear();
		// The deleting cursor now stands before the item that followed.
		auto after = model.upper_bound(item);
		MDB_val ck, cv;
		int rc = mdb_cursor_get(c, &ck, &cv, MDB_NEXT_DUP);
		if (after == model.end()) {
			REQUIRE(rc == MDB_NOTFOUND);
		} else {
			REQUIRE(rc == 0);
			REQUIRE(str(cv) == *after);
			check_around(c, model, *after);
		}
		if (!parked_on.empty()) check_around(parked, model, parked_on);
		if (i % 7 == 0) {
			// Park on a random remaining item.
			auto it = model.begin();
			std::advance(it, long(rng() % model.size()));
			MDB_val pk = val("key"), pv = val(*it);
			REQUIRE(mdb_cursor_get(parked, &pk, &pv, MDB_GET_BOTH) == 0);
			parked_on = *it;
		}
		size_t n = 0;
		REQUIRE(mdb_cursor_count(parked, &n) == 0);
		REQUIRE(n == model.size());
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
}

namespace {

// Where each cursor was put on purpose: (key, item), or nothing.
struct Parked {
	std::string key, item;
	bool on = false;
};

// A parked cursor reads its key and item, and its key's count of items.
void check_parked(MDB_cursor *c, const Parked &p, const std::set<std::string> &items) {
	MDB_val kv, v;
	REQUIRE(mdb_cursor_get(c, &kv, &v, MDB_GET_CURRENT) == 0);
	REQUIRE(str(kv) == p.key);
	REQUIRE(str(v) == p.item);
	size_t n = 0;
	REQUIRE(mdb_cursor_count(c, &n) == 0);
	REQUIRE(n == items.size());
}

}  // namespace

TEST_CASE("random cursor work on deep DUPSORT sub-dbs: parked cursors stay on their items", "[dupsort][split]") {
	const unsigned fixed = GENERATE(0u, 1u);
	const unsigned seed = GENERATE(range(1u, 7u));
	CAPTURE(fixed, seed);
	Env e;
	MDB_dbi dbi;
	MDB_txn *txn = begin_dups(e, fixed, &dbi);
	REQUIRE(mdb_txn_commit(txn) == 0);
	static const char *const keys[] = {"a", "b", "c"};
	std::map<std::string, std::set<std::string>> model, committed;
	std::mt19937 rng(seed);
	auto item_of = [&](unsigned id) { return dup_item(id, fixed); };
	constexpr int kCursors = 4;
	MDB_cursor *cs[kCursors];
	Parked parked[kCursors];
	auto begin = [&] {
		REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
		for (int i = 0; i < kCursors; i++) {
			REQUIRE(mdb_cursor_open(txn, dbi, &cs[i]) == 0);
			parked[i].on = false;
		}
	};
	auto unpark_on = [&](const std::string &k, const std::string &item) {
		for (Parked &p : parked)
			if (p.on && p.key == k && p.item == item) p.on = false;
	};
	begin();
	for (int step = 0; step < 6000; step++) {
		CAPTURE(step);
		const int ci = int(rng() % kCursors);
		const unsigned kpick = unsigned(rng() % 10);
		const std::string k = keys[kpick < 7 ? 0 : kpick < 9 ? 1 : 2];
		std::set<std::string> &items = model[k];
		const unsigned what = rng() % 100;
		if (what < 45) {
			std::string item = item_of(unsigned(rng() % 1000));
			MDB_val kv = val(k), v = val(item);
			int rc = mdb_cursor_put(cs[ci], &kv, &v, MDB_NODUPDATA);
			REQUIRE(rc == (items.count(item) ? MDB_KEYEXIST : 0));
			items.insert(item);
			parked[ci] = {k, item, true};
		} else if (what < 58) {
			std::string item = item_of(unsigned(rng() % 1000));
			MDB_val kv = val(k), v = val(item);
			REQUIRE(mdb_put(txn, dbi, &kv, &v, 0) == 0);
			items.insert(item);
		} else if (what < 72 && parked[ci].on) {
			REQUIRE(mdb_cursor_del(cs[ci], 0) == 0);
			std::string pk = parked[ci].key, pitem = parked[ci].item;
			model[pk].erase(pitem);
			unpark_on(pk, pitem);
		} else if (what < 78 && !items.empty()) {
			auto it = items.begin();
			std::advance(it, long(rng() % items.size()));
			std::string item = *it;
			MDB_val kv = val(k), v = val(item);
			REQUIRE(mdb_del(txn, dbi, &kv, &v) == 0);
			items.erase(item);
			unpark_on(k, item);
		} else if (what < 97 && !items.empty()) {
			auto it = items.begin();
			std::advance(it, long(rng() % items.size()));
			MDB_val kv = val(k), v = val(*it);
			REQUIRE(mdb_cursor_get(cs[ci], &kv, &v, MDB_GET_BOTH) == 0);
			parked[ci] = {k, *it, true};
		} else if (what >= 97 && rng() % 3 == 0) {
			// A child txn changes the same sub-dbs (plain puts and deletes,
			// and through a cursor of its own), then commits or aborts: the
			// parent's parked cursors follow their items or are restored.
			MDB_txn *child;
			REQUIRE(mdb_txn_begin(e.env, txn, 0, &child) == 0);
			auto before = model;
			MDB_cursor *cc;
			REQUIRE(mdb_cursor_open(child, dbi, &cc) == 0);
			for (int j = 0; j < 40; j++) {
				std::set<std::string> &its = model[k];
				std::string item = item_of(unsigned(rng() % 1000));
				MDB_val kv = val(k), v = val(item);
				if (rng() % 3 || its.empty()) {
					REQUIRE(mdb_cursor_put(cc, &kv, &v, 0) == 0);
					its.insert(item);
				} else {
					auto it = its.begin();
					std::advance(it, long(rng() % its.size()));
					std::string gone = *it;
					MDB_val gv = val(gone);
					REQUIRE(mdb_cursor_get(cc, &kv, &gv, MDB_GET_BOTH) == 0);
					REQUIRE(mdb_cursor_del(cc, 0) == 0);
					its.erase(gone);
					unpark_on(k, gone);
				}
			}
			if (rng() % 2) {
				REQUIRE(mdb_txn_commit(child) == 0);
			} else {
				mdb_txn_abort(child);
				model = before;
				// The parent's cursors are as they were before the child.
			}
		} else if (what >= 97 && rng() % 4 == 0) {
			if (rng() % 3) {
				REQUIRE(mdb_txn_commit(txn) == 0);
				committed = model;
			} else {
				mdb_txn_abort(txn);
				model = committed;
			}
			begin();
		}
		for (int i = 0; i < kCursors; i++) {
			if (!parked[i].on) continue;
			check_parked(cs[i], parked[i], model[parked[i].key]);
			if (step % 4 == 0) check_around(cs[i], model[parked[i].key], parked[i].item);
		}
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
	// What was committed reads back exactly.
	REQUIRE(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	std::map<std::string, std::set<std::string>> read;
	MDB_val kv, v;
	int rc;
	while ((rc = mdb_cursor_get(c, &kv, &v, MDB_NEXT)) == 0) read[str(kv)].insert(str(v));
	REQUIRE(rc == MDB_NOTFOUND);
	for (auto it = model.begin(); it != model.end();) it = it->second.empty() ? model.erase(it) : std::next(it);
	REQUIRE(read == model);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
}

TEST_CASE("random cursor work on a deep main tree of DUPSORT keys with sub-pages: parked cursors stay",
          "[dupsort][split]") {
	// Keys of 400-511 bytes (7-8 a page: the main tree reaches depth 4),
	// each with a few short duplicates in a sub-page, which moves with its
	// node on every split, move and merge of the main tree.
	// With long duplicates (200-240 bytes) a key's items outgrow the node
	// after a few: its sub-page becomes a sub-db, whose record then moves
	// with the node.
	const unsigned long_dups = GENERATE(0u, 1u);
	const unsigned seed = GENERATE(range(1u, 9u));
	CAPTURE(long_dups, seed);
	Env e;
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, "d", MDB_CREATE | MDB_DUPSORT, &dbi) == 0);
	std::map<std::string, std::set<std::string>> model;
	std::mt19937 rng(seed);
	constexpr int kCursors = 4;
	MDB_cursor *cs[kCursors];
	Parked parked[kCursors];
	for (MDB_cursor *&c : cs) REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	auto key_of = [](unsigned id) { return long_item(id); };
	auto dup_of = [&](unsigned d) {
		return std::string(long_dups ? 200 + d * 2 : 1 + d % 7, char('A' + d % 26));
	};
	for (int step = 0; step < 5000; step++) {
		CAPTURE(step);
		const int ci = int(rng() % kCursors);
		const std::string k = key_of(unsigned(rng() % (long_dups ? 60 : 500)));
		const unsigned what = rng() % 100;
		if (what < 40) {
			std::string d = dup_of(unsigned(rng() % 20));
			MDB_val kv = val(k), v = val(d);
			int rc = mdb_cursor_put(cs[ci], &kv, &v, MDB_NODUPDATA);
			REQUIRE(rc == (model[k].count(d) ? MDB_KEYEXIST : 0));
			model[k].insert(d);
			parked[ci] = {k, d, true};
		} else if (what < 55 && parked[ci].on) {
			// Through the cursor: its item, or with NODUPDATA all of its key's.
			const bool all = rng() % (long_dups ? 16 : 4) == 0;
			REQUIRE(mdb_cursor_del(cs[ci], all ? MDB_NODUPDATA : 0) == 0);
			std::string pk = parked[ci].key, pd = parked[ci].item;
			for (Parked &p : parked)
				if (p.on && p.key == pk && (all || p.item == pd)) p.on = false;
			if (all)
				model.erase(pk);
			else if (model[pk].erase(pd), model[pk].empty())
				model.erase(pk);
		} else if (what < 70 && model.count(k) && (!long_dups || rng() % 8 == 0)) {
			// By key: all of its items.
			MDB_val kv = val(k);
			REQUIRE(mdb_del(txn, dbi, &kv, nullptr) == 0);
			model.erase(k);
			for (Parked &p : parked)
				if (p.on && p.key == k) p.on = false;
		} else if (what < 95 && model.count(k)) {
			auto &items = model[k];
			auto it = items.begin();
			std::advance(it, long(rng() % items.size()));
			MDB_val kv = val(k), v = val(*it);
			REQUIRE(mdb_cursor_get(cs[ci], &kv, &v, MDB_GET_BOTH) == 0);
			parked[ci] = {k, *it, true};
		} else if (what >= 98) {
			REQUIRE(mdb_txn_commit(txn) == 0);
			REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
			for (int i = 0; i < kCursors; i++) {
				REQUIRE(mdb_cursor_open(txn, dbi, &cs[i]) == 0);
				parked[i].on = false;
			}
		}
		for (int i = 0; i < kCursors; i++) {
			if (!parked[i].on) continue;
			check_parked(cs[i], parked[i], model[parked[i].key]);
			if (step % 4 == 0) {
				// The next key in order, then back.
				auto next = model.upper_bound(parked[i].key);
				MDB_val kv, v;
				int rc = mdb_cursor_get(cs[i], &kv, &v, MDB_NEXT_NODUP);
				if (next == model.end()) {
					REQUIRE(rc == MDB_NOTFOUND);
				} else {
					REQUIRE(rc == 0);
					REQUIRE(str(kv) == next->first);
					REQUIRE(str(v) == *next->second.begin());
				}
				MDB_val pk = val(parked[i].key), pv = val(parked[i].item);
				REQUIRE(mdb_cursor_get(cs[i], &pk, &pv, MDB_GET_BOTH) == 0);
			}
		}
	}
	MDB_stat st;
	REQUIRE(mdb_stat(txn, dbi, &st) == 0);
	CHECK(st.ms_depth >= 3);
	if (long_dups) {
		// Some keys hold sub-dbs: 8 items of 200 bytes or more and a key of
		// 400 do not fit a node (at most 2,040 bytes on 4 KiB pages).
		size_t big = 0;
		for (auto &kv : model) big += kv.second.size() >= 8;
		CHECK(big >= 3);
	}
	size_t total = 0;
	for (auto &kv : model) total += kv.second.size();
	REQUIRE(st.ms_entries == total);
	REQUIRE(mdb_txn_commit(txn) == 0);
}

TEST_CASE("appends through a cursor to depth 4 (APPEND of long keys, APPENDDUP and MULTIPLE of long items)",
          "[dupsort][split]") {
	const int mode = GENERATE(0, 1, 2, 3);  // APPEND, APPENDDUP, APPENDDUP|DUPFIXED, MULTIPLE|DUPFIXED
	CAPTURE(mode);
	Env e;
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	const unsigned dbflags = mode == 0 ? 0u : mode == 1 ? unsigned(MDB_DUPSORT) : unsigned(MDB_DUPSORT | MDB_DUPFIXED);
	REQUIRE(mdb_dbi_open(txn, "d", MDB_CREATE | dbflags, &dbi) == 0);
	MDB_cursor *c, *parked;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	REQUIRE(mdb_cursor_open(txn, dbi, &parked) == 0);
	std::set<std::string> model;  // keys (mode 0) or the items of "key"
	std::string parked_on;
	auto item_of = [&](unsigned id) { return dup_item(id, mode >= 2); };
	auto look = [&](MDB_cursor *cur, const std::string &want) {
		MDB_val k, v;
		REQUIRE(mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT) == 0);
		REQUIRE(str(mode == 0 ? k : v) == want);
		auto it = model.find(want);
		REQUIRE(it != model.end());
		int rc = mdb_cursor_get(cur, &k, &v, mode == 0 ? MDB_PREV : MDB_PREV_DUP);
		if (it == model.begin()) {
			REQUIRE(rc == MDB_NOTFOUND);
			const std::string key = mode == 0 ? want : "key";
			MDB_val pk = val(key), pv = val(want);
			REQUIRE(mdb_cursor_get(cur, &pk, &pv, mode == 0 ? MDB_SET : MDB_GET_BOTH) == 0);
		} else {
			REQUIRE(rc == 0);
			REQUIRE(str(mode == 0 ? k : v) == *std::prev(it));
			REQUIRE(mdb_cursor_get(cur, &k, &v, mode == 0 ? MDB_NEXT : MDB_NEXT_DUP) == 0);
			REQUIRE(str(mode == 0 ? k : v) == want);
		}
	};
	for (unsigned id = 0; id < 600;) {
		if (mode == 3) {
			// 1 to 9 items at once.
			unsigned n = std::min(600u - id, 1u + id % 9);
			std::string run;
			for (unsigned j = 0; j < n; j++) run += item_of(id + j);
			MDB_val k = val("key");
			MDB_val dv[2] = {{511, run.data()}, {n, nullptr}};
			REQUIRE(mdb_cursor_put(c, &k, dv, MDB_MULTIPLE) == 0);
			REQUIRE(dv[1].mv_size == n);
			for (unsigned j = 0; j < n; j++) model.insert(item_of(id + j));
			id += n;
			look(c, item_of(id - 1));
		} else {
			const std::string item = item_of(id++);
			const std::string key = mode == 0 ? item : "key", data = mode == 0 ? "v" : item;
			MDB_val k = val(key), v = val(data);
			REQUIRE(mdb_cursor_put(c, &k, &v, mode == 0 ? MDB_APPEND : MDB_APPENDDUP) == 0);
			model.insert(item);
			look(c, item);
		}
		if (!parked_on.empty()) look(parked, parked_on);
		if (id % 13 == 0) {
			parked_on = *std::next(model.begin(), long(id * 7 % model.size()));
			const std::string key = mode == 0 ? parked_on : "key";
			MDB_val pk = val(key), pv = val(parked_on);
			REQUIRE(mdb_cursor_get(parked, &pk, &pv, mode == 0 ? MDB_SET : MDB_GET_BOTH) == 0);
		}
	}
	MDB_stat st;
	REQUIRE(mdb_stat(txn, dbi, &st) == 0);
	REQUIRE(st.ms_entries == 600);
	if (mode == 0) CHECK(st.ms_depth >= 4);
	REQUIRE(mdb_txn_commit(txn) == 0);
}
