// Transactions larger than the dirty-page budget spill pages to the file and
// keep going, with bounded memory, correct contents and live cursors.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"
#include "btree/page_access.h"
#include "txn/spill.h"
#include "txn/transaction.h"
#include "util/fault.h"

using test_support::TempDir;
using test_support::val;

namespace {
struct LimitGuard {
	explicit LimitGuard(size_t n) { lmdb::set_dirty_limit(n); }
	~LimitGuard() { lmdb::set_dirty_limit(0); }
};

// An environment in `dir` with room for the big txns here (and `maxdbs`
// named dbs if not 0).
MDB_env *open_env(const TempDir &dir, unsigned maxdbs = 0) {
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, 256 << 20) == 0);
	if (maxdbs) REQUIRE(mdb_env_set_maxdbs(env, maxdbs) == 0);
	REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0644) == 0);
	return env;
}

// A write txn on env and the handle of its main db.
MDB_txn *begin_write_main(MDB_env *env, MDB_dbi *dbi) {
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, dbi) == 0);
	return txn;
}
}  // namespace

TEST_CASE("a transaction past the dirty budget spills and stays correct") {
	LimitGuard guard(64);
	TempDir d;
	MDB_env *env = open_env(d, 2);
	std::mt19937 rng(99);
	std::map<std::string, std::string> model;
	for (int round = 0; round < 3; round++) {
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
		MDB_dbi dbi;
		REQUIRE(mdb_dbi_open(txn, "data", MDB_CREATE, &dbi) == 0);
		MDB_cursor *held;
		REQUIRE(mdb_cursor_open(txn, dbi, &held) == 0);
		std::string pinned = "pinned-key";
		std::string pinned_val(100, 'p');
		MDB_val pk = val(pinned), pv = val(pinned_val);
		REQUIRE(mdb_cursor_put(held, &pk, &pv, 0) == 0);
		model[pinned] = pinned_val;
		size_t max_dirty = 0;
		for (int i = 0; i < 20000; i++) {
			std::string key = "k" + std::to_string(rng() % 8000);
			if (rng() % 4) {
				std::string value(rng() % 30 == 0 ? 5000 : 20 + rng() % 200, char('a' + rng() % 26));
				MDB_val k = val(key), v = val(value);
				REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
				model[key] = value;
			} else {
				MDB_val k = val(key);
				int rc = mdb_del(txn, dbi, &k, nullptr);
				REQUIRE(rc == (model.erase(key) ? 0 : MDB_NOTFOUND));
			}
			max_dirty = std::max(max_dirty, txn->dirty.size());
			if (i % 2000 == 0) {
				MDB_val k, v;
				REQUIRE(mdb_cursor_get(held, &k, &v, MDB_GET_CURRENT) == 0);
				CHECK(std::string(static_cast<char *>(k.mv_data), k.mv_size) == pinned);
				CHECK(std::string(static_cast<char *>(v.mv_data), v.mv_size) == pinned_val);
			}
		}
		CHECK((txn->flags & lmdb::kTxnSpills) != 0);
		CHECK(max_dirty <= 64 * 3);
		// Everything reads back inside the txn...
		for (auto &[key, value] : model) {
			MDB_val k = val(key), v;
			REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
			REQUIRE(std::string(static_cast<char *>(v.mv_data), v.mv_size) == value);
		}
		mdb_cursor_close(held);
		if (round == 1) {
			mdb_txn_abort(txn);  // spilled pages of an aborted txn are never seen
			model.clear();
			MDB_txn *rd;
			REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &rd) == 0);
			REQUIRE(mdb_dbi_open(rd, "data", 0, &dbi) == 0);
			MDB_cursor *c;
			REQUIRE(mdb_cursor_open(rd, dbi, &c) == 0);
			MDB_val k, v;
			while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
				model[std::string(static_cast<char *>(k.mv_data), k.mv_size)] =
				    std::string(static_cast<char *>(v.mv_data), v.mv_size);
			mdb_cursor_close(c);
			mdb_txn_abort(rd);
		} else {
			REQUIRE(mdb_txn_commit(txn) == 0);
		}
	}
	// ...and after commit, from a fresh snapshot.
	MDB_txn *rd;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &rd) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(rd, "data", 0, &dbi) == 0);
	MDB_stat st;
	REQUIRE(mdb_stat(rd, dbi, &st) == 0);
	CHECK(st.ms_entries == model.size());
	for (auto &[key, value] : model) {
		MDB_val k = val(key), v;
		REQUIRE(mdb_get(rd, dbi, &k, &v) == 0);
		REQUIRE(std::string(static_cast<char *>(v.mv_data), v.mv_size) == value);
	}
	mdb_txn_abort(rd);
	mdb_env_close(env);
}

// A page written early (spilled) is read back from the file when the txn
// changes it again: a copy of file contents like any other, so it is checked
// whole then, and damage done to the file meanwhile is refused, not trusted.
TEST_CASE("a spilled page damaged in the file is refused when taken back") {
	LimitGuard guard(64);
	TempDir d;
	MDB_env *env = open_env(d);
	MDB_dbi dbi;
	MDB_txn *txn = begin_write_main(env, &dbi);
	std::vector<std::string> keys;
	for (int i = 0; i < 6000; i++) {
		char b[16];
		std::snprintf(b, sizeof b, "key%06d", (i * 7919) % 6000);
		keys.push_back(b);
		std::string value(60, 'v');
		MDB_val k = val(keys.back()), v = val(value);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	REQUIRE((txn->flags & lmdb::kTxnSpills) != 0);
	// A spilled leaf with a few nodes: give its second pointer the first's
	// offset, in the file, behind the library's back.
	unsigned psize = txn->env->psize;
	lmdb::pgno_t victim = 0;
	txn->spilled.for_each([&](lmdb::pgno_t pg) {
		const auto *p = reinterpret_cast<const lmdb::Page *>(txn->env->map + size_t(psize) * pg);
		if (!victim && p->flags == lmdb::format::P_LEAF && lmdb::numkeys(p) >= 3) victim = pg;
	});
	REQUIRE(victim != 0);
	{
		std::string file = d.path() + "/data.mdb";
		int fd = ::open(file.c_str(), O_RDWR);
		REQUIRE(fd >= 0);
		std::vector<unsigned char> page(psize);
		REQUIRE(::pread(fd, page.data(), psize, off_t(victim) * psize) == ssize_t(psize));
		std::memcpy(page.data() + lmdb::kPageHdr + 2, page.data() + lmdb::kPageHdr, 2);
		REQUIRE(::pwrite(fd, page.data(), psize, off_t(victim) * psize) == ssize_t(psize));
		::close(fd);
	}
	// Deleting everything touches every leaf, the damaged one too.
	int rc = 0;
	for (const std::string &key : keys) {
		MDB_val k = val(key);
		rc = mdb_del(txn, dbi, &k, nullptr);
		if (rc != 0 && rc != MDB_NOTFOUND) break;
	}
	CHECK(rc == MDB_CORRUPTED);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

// Which pages a spill writes: an eighth of the budget, the highest-numbered
// ones (the txn's newest); what stays in memory is what later puts are most
// likely to need again without a read back through the map.
TEST_CASE("a spill writes an eighth of the budget, the highest page numbers") {
	constexpr size_t kLimit = 256;
	LimitGuard guard(kLimit);
	TempDir d;
	MDB_env *env = open_env(d);
	MDB_dbi dbi;
	MDB_txn *txn = begin_write_main(env, &dbi);
	std::mt19937 rng(7);
	std::string value(200, 'v');
	int i = 0;
	for (; i < 100000 && txn->spilled.size() == 0; i++) {
		char b[16];
		std::snprintf(b, sizeof b, "%010u", unsigned(rng()));
		MDB_val k = val(b), v = val(value);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	REQUIRE(txn->spilled.size() == kLimit / 8);
	lmdb::pgno_t lowest_spilled = ~lmdb::pgno_t(0);
	txn->spilled.for_each([&](lmdb::pgno_t pg) { lowest_spilled = std::min(lowest_spilled, pg); });
	// Above the lowest spilled page, only what the spill had to keep (the
	// cursor's path) and what the put then allocated may still be dirty.
	size_t above = 0;
	txn->dirty.for_each([&](lmdb::pgno_t pg, void *) { above += pg > lowest_spilled; });
	CHECK(above <= 2 * size_t(txn->dbs[lmdb::format::kMainDbi].depth) + 2);
	CHECK(txn->dirty.size() + txn->spilled.size() >= kLimit - 8);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

// The copy back of a spilled big value needs a buffer of its pages from the
// heap (single pages come back into buffers the spill freed): when that
// allocation fails the put fails with ENOMEM and changes nothing, and the
// txn goes on (as upstream: nothing was half done).
TEST_CASE("a spilled big value that cannot be read back fails the put, not the txn") {
	namespace f = lmdb::os::fault;
	constexpr size_t kLimit = 256;
	LimitGuard guard(kLimit);
	TempDir d;
	MDB_env *env = open_env(d);
	MDB_dbi dbi;
	MDB_txn *txn = begin_write_main(env, &dbi);
	const unsigned psize = txn->env->psize;
	std::string big(3 * psize - 100, 'b');
	std::vector<std::string> keys;
	for (int i = 0; txn->spilled.size() < 3 * kLimit / 8; i++) {
		char b[16];
		std::snprintf(b, sizeof b, "key%06d", i);
		keys.push_back(b);
		MDB_val k = val(keys.back()), v = val(big);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
		REQUIRE(keys.size() < 100000);
	}
	// A key whose value's pages were spilled: its data is read from the map.
	std::string victim;
	for (const std::string &key : keys) {
		MDB_val k = val(key), v;
		REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
		auto *p = static_cast<const char *>(v.mv_data);
		if (p >= txn->env->map && p < txn->env->map + txn->env->mapsize &&
		    txn->spilled.contains(lmdb::pgno_t(size_t(p - txn->env->map) / psize))) {
			victim = key;
			break;
		}
	}
	REQUIRE(!victim.empty());
	std::string other(big.size(), 'o');
	MDB_val k = val(victim), v = val(other);
	size_t spilled = txn->spilled.size();
	f::arm(lmdb::os::Call::Alloc, 1, ENOMEM, false);
	int rc = mdb_put(txn, dbi, &k, &v, 0);
	bool fired = f::fired();
	f::disarm();
	CHECK(fired);
	CHECK(rc == ENOMEM);
	CHECK(txn->spilled.size() == spilled);
	MDB_val got;
	REQUIRE(mdb_get(txn, dbi, &k, &got) == 0);
	CHECK(std::string(static_cast<char *>(got.mv_data), got.mv_size) == big);
	// Memory back: the same put works, in place of the spilled pages.
	REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	CHECK(txn->spilled.size() < spilled);
	REQUIRE(mdb_txn_commit(txn) == 0);
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	REQUIRE(mdb_get(txn, dbi, &k, &got) == 0);
	CHECK(std::string(static_cast<char *>(got.mv_data), got.mv_size) == other);
	MDB_stat st;
	REQUIRE(mdb_stat(txn, dbi, &st) == 0);
	CHECK(st.ms_entries == keys.size());
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

// Pages under parked cursors are never spilled away from them: four cursors
// stand on items of deep sub-dbs (duplicates of 400-511 bytes, 7-8 a page)
// while a budget of 64 dirty pages makes nearly every put spill, in the
// txn and in child txns.
TEST_CASE("spilling under cursors parked in deep DUPSORT sub-dbs") {
	LimitGuard guard(64);
	const unsigned seed = GENERATE(1u, 2u, 3u);
	CAPTURE(seed);
	TempDir d;
	MDB_env *env = open_env(d, 2);
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, "dups", MDB_CREATE | MDB_DUPSORT, &dbi) == 0);
	std::mt19937 rng(seed);
	auto item_of = [](unsigned v) {
		std::string s(400 + (v * 53) % 112, char('a' + v % 26));
		for (unsigned p = 4, x = v; p-- > 0; x /= 10) s[p] = char('0' + x % 10);
		return s;
	};
	std::map<std::string, std::set<std::string>> model;
	struct Parked {
		std::string key, item;
		bool on = false;
	} parked[4];
	MDB_cursor *cs[4];
	for (MDB_cursor *&c : cs) REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	auto check_parked = [&] {
		for (int i = 0; i < 4; i++) {
			if (!parked[i].on) continue;
			MDB_val k, v;
			REQUIRE(mdb_cursor_get(cs[i], &k, &v, MDB_GET_CURRENT) == 0);
			REQUIRE(test_support::str(k) == parked[i].key);
			REQUIRE(test_support::str(v) == parked[i].item);
			size_t n = 0;
			REQUIRE(mdb_cursor_count(cs[i], &n) == 0);
			REQUIRE(n == model[parked[i].key].size());
		}
	};
	for (int step = 0; step < 4000; step++) {
		CAPTURE(step);
		const int ci = int(rng() % 4);
		const std::string k = "key" + std::to_string(rng() % 4);
		const unsigned what = unsigned(rng() % 100);
		if (what < 60) {
			std::string item = item_of(unsigned(rng() % 3000));
			MDB_val kv = val(k), v = val(item);
			int rc = mdb_cursor_put(cs[ci], &kv, &v, MDB_NODUPDATA);
			REQUIRE(rc == (model[k].count(item) ? MDB_KEYEXIST : 0));
			model[k].insert(item);
			parked[ci] = {k, item, true};
		} else if (what < 75 && parked[ci].on) {
			REQUIRE(mdb_cursor_del(cs[ci], 0) == 0);
			Parked gone = parked[ci];
			model[gone.key].erase(gone.item);
			for (Parked &p : parked)
				if (p.on && p.key == gone.key && p.item == gone.item) p.on = false;
		} else if (what < 97 && !model[k].empty()) {
			auto it = model[k].begin();
			std::advance(it, long(rng() % model[k].size()));
			MDB_val kv = val(k), v = val(*it);
			REQUIRE(mdb_cursor_get(cs[ci], &kv, &v, MDB_GET_BOTH) == 0);
			parked[ci] = {k, *it, true};
		} else if (what >= 97) {
			// A child txn puts enough to spill, then ends.
			MDB_txn *child;
			REQUIRE(mdb_txn_begin(env, txn, 0, &child) == 0);
			auto before = model;
			for (int j = 0; j < 60; j++) {
				std::string item = item_of(unsigned(rng() % 3000));
				MDB_val kv = val(k), v = val(item);
				REQUIRE(mdb_put(child, dbi, &kv, &v, 0) == 0);
				model[k].insert(item);
			}
			if (rng() % 2) {
				REQUIRE(mdb_txn_commit(child) == 0);
			} else {
				mdb_txn_abort(child);
				model = before;
			}
		}
		check_parked();
	}
	CHECK((txn->flags & lmdb::kTxnSpills) != 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	// The committed items read back exactly.
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	std::map<std::string, std::set<std::string>> read;
	MDB_val k, v;
	int rc;
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) read[test_support::str(k)].insert(test_support::str(v));
	REQUIRE(rc == MDB_NOTFOUND);
	for (auto it = model.begin(); it != model.end();) it = it->second.empty() ? model.erase(it) : std::next(it);
	REQUIRE(read == model);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

// A big value this txn wrote, then spilled, then freed again: its pages go
// back onto the txn's reclaimed list (once it has read a free record), as
// upstream gives them back to its list of reusable pages, not among the
// pages this txn freed from earlier snapshots; so both libraries lay out
// the same pages (docs/format.md, "Page reuse order").
TEST_CASE("a spilled big value freed in its own txn goes back to the reclaimed pages") {
	TempDir d;
	MDB_env *env = open_env(d);
	MDB_dbi dbi;
	std::string small(200, 's');
	auto key = [](unsigned i) {
		char b[16];
		std::snprintf(b, sizeof b, "k%08u", i);
		return std::string(b);
	};
	// Pages on the free list, none of them in a long run: 600 values of two
	// overflow pages each, every other one deleted.
	MDB_txn *txn = begin_write_main(env, &dbi);
	const std::string two_pages(5000, 't');
	for (unsigned i = 0; i < 600; i++) {
		const std::string ks = key(i);
		MDB_val k = val(ks), v = val(two_pages);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
	txn = begin_write_main(env, &dbi);
	for (unsigned i = 0; i < 600; i += 2) {
		const std::string ks = key(i);
		MDB_val k = val(ks);
		REQUIRE(mdb_del(txn, dbi, &k, nullptr) == 0);
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
	// (A record becomes reusable once a newer snapshot exists.)
	txn = begin_write_main(env, &dbi);
	MDB_val zk = val("z"), zv = val("z");
	REQUIRE(mdb_put(txn, dbi, &zk, &zv, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);

	LimitGuard guard(512);
	txn = begin_write_main(env, &dbi);
	const lmdb::txnid_t own_id = txn->txnid;
	// The big value: a run of 101 pages from the end of the file (the
	// reclaimed pages hold no run that long), after the txn read the free
	// records.
	std::string big(100 * 4096, 'B');
	MDB_val bk = val("big"), bv = val(big);
	REQUIRE(mdb_put(txn, dbi, &bk, &bv, 0) == 0);
	REQUIRE(txn->last_reclaimed != 0);
	MDB_val got;
	REQUIRE(mdb_get(txn, dbi, &bk, &got) == 0);
	const lmdb::pgno_t run =
	    reinterpret_cast<const lmdb::format::PageHeader *>(static_cast<const char *>(got.mv_data) -
	                                                       lmdb::format::kPageHeaderSize)
	        ->pgno;
	// Small puts (their pages come from the reclaimed ones, below the run)
	// until a spill writes the run out: the highest pages go first.
	for (unsigned i = 0; i < 20000 && !txn->spilled.contains(run); i++) {
		const std::string ks = key(100000 + i);
		MDB_val k = val(ks), v = val(small);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	REQUIRE(txn->spilled.contains(run));
	REQUIRE(mdb_del(txn, dbi, &bk, nullptr) == 0);
	CHECK_FALSE(txn->spilled.contains(run));
	const lmdb::pgno_t run_end = run + 101;  // 100 pages of value and its header
	for (lmdb::pgno_t pg = run; pg < run_end; pg++) {
		CHECK(txn->reclaimed.find_descending(pg) < txn->reclaimed.size());
		CHECK(std::find(txn->free_pgs.data(), txn->free_pgs.data() + txn->free_pgs.size(), pg) ==
		      txn->free_pgs.data() + txn->free_pgs.size());
	}
	REQUIRE(mdb_txn_commit(txn) == 0);

	// In the file: not under this txn's id (the pages it freed from older
	// snapshots), but among the reusable pages written back under older ids.
	MDB_txn *rd;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &rd) == 0);
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(rd, 0, &c) == 0);
	MDB_val k, v;
	std::set<lmdb::pgno_t> own, older;
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		lmdb::txnid_t id;
		std::memcpy(&id, k.mv_data, sizeof id);
		size_t n;
		std::memcpy(&n, v.mv_data, sizeof n);
		for (size_t j = 1; j <= n; j++) {
			lmdb::pgno_t pg;
			std::memcpy(&pg, static_cast<const char *>(v.mv_data) + j * sizeof pg, sizeof pg);
			(id == own_id ? own : older).insert(pg);
		}
	}
	for (lmdb::pgno_t pg = run; pg < run_end; pg++) {
		CHECK(older.count(pg) == 1);
		CHECK(own.count(pg) == 0);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(rd);
	mdb_env_close(env);
}
