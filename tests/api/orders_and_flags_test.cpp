// Key orders (custom comparators, mdb_cmp/mdb_dcmp, relfunc accepted) and
// environment flags set at open and at run time.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

using test_support::str;
using test_support::TempDir;
using test_support::val;

namespace {

// Orders keys by length first, then bytes.
int by_length(const MDB_val *a, const MDB_val *b) {
	if (a->mv_size != b->mv_size) return a->mv_size < b->mv_size ? -1 : 1;
	return std::memcmp(a->mv_data, b->mv_data, a->mv_size);
}

void relocate(MDB_val *, void *, void *, void *) {}

MDB_env *open_env(const std::string &path, unsigned flags = 0) {
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_maxdbs(env, 4) == 0);
	REQUIRE(mdb_env_open(env, path.c_str(), flags, 0644) == 0);
	return env;
}

}  // namespace

TEST_CASE("a custom key order is used for every operation") {
	TempDir d;
	MDB_env *env = open_env(d.path());
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, "len", MDB_CREATE, &dbi) == 0);
	REQUIRE(mdb_set_compare(txn, dbi, by_length) == 0);
	REQUIRE(mdb_set_relfunc(txn, dbi, relocate) == 0);
	REQUIRE(mdb_set_relctx(txn, dbi, nullptr) == 0);
	for (const char *k : {"ccc", "a", "bb", "aaaa", "b", "zz"}) {
		MDB_val kk = val(k), vv = val(k);
		REQUIRE(mdb_put(txn, dbi, &kk, &vv, 0) == 0);
	}
	MDB_val a = val("zz"), b = val("aaa");
	CHECK(mdb_cmp(txn, dbi, &a, &b) < 0);
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	std::vector<std::string> order;
	MDB_val k, v;
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) order.push_back(str(k));
	CHECK(order == std::vector<std::string>{"a", "b", "bb", "zz", "ccc", "aaaa"});
	MDB_val probe = val("cc");  // between "bb" and "zz"? no: "cc" > "bb", < "zz"
	REQUIRE(mdb_cursor_get(c, &probe, &v, MDB_SET_RANGE) == 0);
	CHECK(str(probe) == "zz");
	mdb_cursor_close(c);
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

TEST_CASE("reverse and integer key orders, and mdb_dcmp") {
	TempDir d;
	MDB_env *env = open_env(d.path());
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_dbi rev, ints, dups;
	REQUIRE(mdb_dbi_open(txn, "rev", MDB_CREATE | MDB_REVERSEKEY, &rev) == 0);
	REQUIRE(mdb_dbi_open(txn, "int", MDB_CREATE | MDB_INTEGERKEY, &ints) == 0);
	REQUIRE(mdb_dbi_open(txn, "dup", MDB_CREATE | MDB_DUPSORT | MDB_REVERSEDUP, &dups) == 0);
	for (const char *k : {"ab", "ba", "ca", "b"}) {
		MDB_val kk = val(k), vv = val(k);
		REQUIRE(mdb_put(txn, rev, &kk, &vv, 0) == 0);
	}
	for (unsigned n : {300u, 2u, 70000u, 1u}) {
		MDB_val kk{sizeof n, &n}, vv = val("x");
		REQUIRE(mdb_put(txn, ints, &kk, &vv, 0) == 0);
	}
	MDB_cursor *c;
	MDB_val k, v;
	std::vector<std::string> order;
	REQUIRE(mdb_cursor_open(txn, rev, &c) == 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) order.push_back(str(k));
	mdb_cursor_close(c);
	CHECK(order == std::vector<std::string>{"ba", "ca", "b", "ab"});
	std::vector<unsigned> nums;
	REQUIRE(mdb_cursor_open(txn, ints, &c) == 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		unsigned n;
		std::memcpy(&n, k.mv_data, sizeof n);
		nums.push_back(n);
	}
	mdb_cursor_close(c);
	CHECK(nums == std::vector<unsigned>{1, 2, 300, 70000});
	MDB_val x = val("ab"), y = val("ba");
	CHECK(mdb_dcmp(txn, dups, &x, &y) > 0);  // compared from the last byte
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

TEST_CASE("environment flags: open-time, run-time changes, sync") {
	TempDir d;
	MDB_env *env = open_env(d.path(), MDB_NOSYNC | MDB_NOMETASYNC | MDB_NORDAHEAD | MDB_NOMEMINIT | MDB_NOTLS);
	unsigned flags = 0;
	REQUIRE(mdb_env_get_flags(env, &flags) == 0);
	CHECK(flags == (MDB_NOSYNC | MDB_NOMETASYNC | MDB_NORDAHEAD | MDB_NOMEMINIT | MDB_NOTLS));
	REQUIRE(mdb_env_set_flags(env, MDB_NOSYNC, 0) == 0);
	REQUIRE(mdb_env_set_flags(env, MDB_MAPASYNC, 1) == 0);
	CHECK(mdb_env_set_flags(env, MDB_RDONLY, 1) == EINVAL);  // not changeable at run time
	REQUIRE(mdb_env_get_flags(env, &flags) == 0);
	CHECK(flags == (MDB_NOMETASYNC | MDB_MAPASYNC | MDB_NORDAHEAD | MDB_NOMEMINIT | MDB_NOTLS));
	CHECK(mdb_env_sync(env, 1) == 0);
	CHECK(mdb_env_sync(env, 0) == 0);
	// Per-transaction durability flags are accepted.
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_NOSYNC | MDB_NOMETASYNC, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	MDB_val k = val("k"), v = val("v");
	REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	const char *path = nullptr;
	REQUIRE(mdb_env_get_path(env, &path) == 0);
	CHECK(std::string(path) == d.path());
	int fd = -1;
	REQUIRE(mdb_env_get_fd(env, &fd) == 0);
	CHECK(fd >= 0);
	int ctx = 7;
	REQUIRE(mdb_env_set_userctx(env, &ctx) == 0);
	CHECK(mdb_env_get_userctx(env) == &ctx);
	mdb_env_close(env);
}

TEST_CASE("the map grows between transactions with mdb_env_set_mapsize") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, 32 * 4096) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	std::string value(1500, 'v');
	int rc = 0, stored = 0;
	for (int round = 0; round < 2; round++) {
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
		MDB_dbi dbi;
		REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
		for (int i = 0; i < 200; i++) {
			std::string key = "k" + std::to_string(stored + i);
			MDB_val k = val(key), v = val(value);
			if ((rc = mdb_put(txn, dbi, &k, &v, 0))) break;
		}
		if (round == 0) {
			CHECK(rc == MDB_MAP_FULL);
			mdb_txn_abort(txn);
			REQUIRE(mdb_env_set_mapsize(env, 4 << 20) == 0);
		} else {
			REQUIRE(rc == 0);
			REQUIRE(mdb_txn_commit(txn) == 0);
		}
	}
	MDB_envinfo info;
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapsize == size_t(4 << 20));
	mdb_env_close(env);
	// The new size is recorded in the file.
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), MDB_RDONLY, 0644) == 0);
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapsize == size_t(4 << 20));
	mdb_env_close(env);
}

TEST_CASE("MDB_FIXEDMAP records the map address and maps there again") {
	TempDir d;
	MDB_env *env = open_env(d.path(), MDB_FIXEDMAP);
	MDB_envinfo info;
	REQUIRE(mdb_env_info(env, &info) == 0);
	void *addr = info.me_mapaddr;
	CHECK(addr != nullptr);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	MDB_val k = val("k"), v = val("v");
	REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	env = open_env(d.path(), MDB_FIXEDMAP);
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapaddr == addr);
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_val out;
	REQUIRE(mdb_get(txn, dbi, &k, &out) == 0);
	// Data pointers are addresses inside the fixed map.
	CHECK(static_cast<char *>(out.mv_data) > static_cast<char *>(addr));
	mdb_txn_abort(txn);
	mdb_env_close(env);
	// A plain environment reports no fixed address.
	TempDir d2;
	env = open_env(d2.path());
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapaddr == nullptr);
	mdb_env_close(env);
}
