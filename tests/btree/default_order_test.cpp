// The default key order (bytes compared as unsigned, then the shorter key
// first) as the search inside a page applies it: its inline comparison
// reads keys in words of 8 and 4 bytes, so keys are made to differ at every
// position of a word, in bytes whose sign bit differs, with common prefixes
// of every length up to and past the inline limit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

using test_support::ShmDir;

namespace {

bool memn_less(const std::string &a, const std::string &b) {
	int r = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
	return r ? r < 0 : a.size() < b.size();
}

MDB_val val_of(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }

}  // namespace

TEST_CASE("default key order: searches agree with memcmp order on keys of 0-100 bytes", "[btree]") {
	std::mt19937 rng(29);
	const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff};
	auto byte = [&] { return char(bytes[rng() % sizeof bytes]); };
	// Keys around a few stems: a common prefix of 0-100 bytes, then one or
	// two bytes that differ, then a random tail (or none).
	std::vector<std::string> stems;
	for (int s = 0; s < 12; s++) {
		std::string stem(rng() % 101, '\0');
		for (char &c : stem) c = byte();
		stems.push_back(stem);
	}
	std::vector<std::string> keys;
	for (int k = 0; k < 3000; k++) {
		std::string key = stems[rng() % stems.size()];
		key.resize(rng() % (key.size() + 1));
		for (unsigned t = rng() % 4; t-- > 0 && key.size() < 100;) key.push_back(byte());
		if (key.empty()) key.push_back(byte());
		keys.push_back(key);
	}
	std::sort(keys.begin(), keys.end(), memn_less);
	keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
	std::vector<std::string> shuffled = keys;
	std::shuffle(shuffled.begin(), shuffled.end(), rng);

	ShmDir dir;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, size_t(64) << 20) == 0);
	REQUIRE(mdb_env_open(env, dir.path().c_str(), MDB_NOSYNC, 0644) == 0);
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	for (const std::string &k : shuffled) {
		MDB_val key = val_of(k), data = val_of(k);
		REQUIRE(mdb_put(txn, dbi, &key, &data, MDB_NOOVERWRITE) == 0);
	}
	REQUIRE(mdb_txn_commit(txn) == 0);

	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_cursor *mc;
	REQUIRE(mdb_cursor_open(txn, dbi, &mc) == 0);
	// A walk returns the keys in memcmp order.
	MDB_val key, data;
	size_t i = 0;
	for (int rc = mdb_cursor_get(mc, &key, &data, MDB_FIRST); rc == 0; rc = mdb_cursor_get(mc, &key, &data, MDB_NEXT)) {
		REQUIRE(i < keys.size());
		REQUIRE(std::string(static_cast<char *>(key.mv_data), key.mv_size) == keys[i]);
		i++;
	}
	REQUIRE(i == keys.size());
	// Every key is found, and a key between two neighbours lands on the
	// higher one (MDB_SET_RANGE).
	for (size_t j = 0; j < keys.size(); j++) {
		MDB_val k = val_of(keys[j]);
		REQUIRE(mdb_get(txn, dbi, &k, &data) == 0);
		std::string probe = keys[j];
		if (rng() % 2 && !probe.empty()) {
			probe.back() = char(probe.back() - 1);  // (wraps: then far below or above)
		} else {
			probe.push_back(byte());
		}
		auto it = std::lower_bound(keys.begin(), keys.end(), probe, memn_less);
		MDB_val p = val_of(probe);
		int rc = mdb_cursor_get(mc, &p, &data, MDB_SET_RANGE);
		INFO("key " << j << " probe size " << probe.size());
		if (it == keys.end()) {
			REQUIRE(rc == MDB_NOTFOUND);
		} else {
			REQUIRE(rc == 0);
			REQUIRE(std::string(static_cast<char *>(p.mv_data), p.mv_size) == *it);
		}
	}
	mdb_cursor_close(mc);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
