// A DUPFIXED key with thousands of values: its sub-db is a tree of LEAF2
// leaves under branch pages, and deleting most of the values rebalances
// it (LEAF2 leaves moved between and merged into their neighbours, the
// parent's separator keys taken from LEAF2 pages).  After every commit the
// values read back are exactly those of a model.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;

namespace {

// Big-endian, so that the byte order is the numeric order.
std::string item(uint64_t n) {
	std::string s(8, '\0');
	for (int i = 7; i >= 0; i--, n >>= 8) s[size_t(i)] = char(n & 0xff);
	return s;
}

// The values of `key` in order, through the LEAF2 bulk reads.
std::set<std::string> read_values(MDB_txn *txn, MDB_dbi dbi, const std::string &key, size_t *count) {
	std::set<std::string> out;
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	MDB_val k = val(key), v{};
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET);
	if (rc == 0) {
		REQUIRE(mdb_cursor_count(c, count) == 0);
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
		while (rc == 0) {
			REQUIRE(v.mv_size % 8 == 0);
			for (size_t off = 0; off < v.mv_size; off += 8)
				out.insert(std::string(static_cast<const char *>(v.mv_data) + off, 8));
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE);
		}
	} else {
		*count = 0;
	}
	CHECK(rc == MDB_NOTFOUND);
	mdb_cursor_close(c);
	return out;
}

}  // namespace

TEST_CASE("DUPFIXED sub-db of many LEAF2 leaves: deletes rebalance it, values stay exact", "[dupsort]") {
	TempDir dir;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_maxdbs(env, 2) == 0);
	REQUIRE(mdb_env_set_mapsize(env, 64 << 20) == 0);
	REQUIRE(mdb_env_open(env, dir.path().c_str(), MDB_NOSYNC, 0644) == 0);
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, "fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &dbi) == 0);
	std::set<std::string> model;
	const std::string key = "k";
	for (uint64_t i = 0; i < 12000; i++) {
		std::string s = item(i * 3);
		MDB_val k = val(key), v = val(s);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
		model.insert(s);
	}
	// Neighbour keys, so that the big key is not alone in its leaf.
	for (const char *nk : {"a", "z"}) {
		std::string s = item(1);
		MDB_val k = val(nk), v = val(s);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
	{
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
		size_t count = 0;
		CHECK(read_values(txn, dbi, key, &count) == model);
		CHECK(count == model.size());
		mdb_txn_abort(txn);
	}
	// Rounds of deletes: from the front (the leftmost leaves, whose
	// separators change), a block in the middle (whole leaves emptied),
	// then at random, down to a handful of values.
	std::mt19937_64 rng(20261202);
	int round = 0;
	while (model.size() > 5) {
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
		std::vector<std::string> victims;
		if (round == 0) {
			for (auto it = model.begin(); victims.size() < 700; ++it) victims.push_back(*it);
		} else if (round == 1) {
			auto it = model.begin();
			std::advance(it, long(model.size() / 2));
			for (; victims.size() < 1500; ++it) victims.push_back(*it);
		} else {
			std::vector<std::string> all(model.begin(), model.end());
			size_t n = std::max<size_t>(all.size() / 3, all.size() - 5 < 3 ? all.size() - 5 : 3);
			std::shuffle(all.begin(), all.end(), rng);
			victims.assign(all.begin(), all.begin() + long(std::min(n, all.size() - 5)));
		}
		for (const std::string &s : victims) {
			MDB_val k = val(key), v = val(s);
			INFO("round " << round);
			REQUIRE(mdb_del(txn, dbi, &k, &v) == 0);
			model.erase(s);
		}
		REQUIRE(mdb_txn_commit(txn) == 0);
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
		size_t count = 0;
		INFO("round " << round << ", " << model.size() << " values left");
		CHECK(read_values(txn, dbi, key, &count) == model);
		CHECK(count == model.size());
		size_t nc = 0;
		CHECK(read_values(txn, dbi, "a", &nc).size() == 1);
		CHECK(read_values(txn, dbi, "z", &nc).size() == 1);
		mdb_txn_abort(txn);
		round++;
	}
	CHECK(round > 5);
	mdb_env_close(env);
}
