// MDB_CURRENT combined with other flags replaces the item under the cursor
// (upstream 0.9.24 honoured MDB_CURRENT only as the sole flag; later
// releases, and this library, in any combination).
#include <catch2/catch.hpp>

#include <cstring>

#include "lmdb.h"
#include "test_support.h"

using test_support::str;
using test_support::TempDir;
using test_support::val;

TEST_CASE("MDB_CURRENT|MDB_RESERVE replaces the current item in place of the cursor") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	for (const char *k : {"a", "b", "c"}) {
		MDB_val kk = val(k), vv = val("old value");
		REQUIRE(mdb_put(txn, dbi, &kk, &vv, 0) == 0);
	}
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	MDB_val k = val("b"), v;
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_SET) == 0);
	MDB_val same_key = val("b"), reserve{5, nullptr};  // the key must match the cursor's
	REQUIRE(mdb_cursor_put(c, &same_key, &reserve, MDB_CURRENT | MDB_RESERVE) == 0);
	REQUIRE(reserve.mv_data != nullptr);
	std::memcpy(reserve.mv_data, "fresh", 5);
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT) == 0);
	CHECK(str(k) == "b");
	CHECK(str(v) == "fresh");
	MDB_stat st;
	REQUIRE(mdb_stat(txn, dbi, &st) == 0);
	CHECK(st.ms_entries == 3);  // replaced, not added
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0);
	CHECK(str(k) == "c");
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
