// A cursor's end-of-data mark must not survive a delete that leaves it on
// an existing item (found by the random differential test, seed
// 0xc2c5802e; upstream 0.9.24 got this right only by accident, 0.9.32 not).
#include <catch2/catch.hpp>

#include "lmdb.h"
#include "test_support.h"

using test_support::str;
using test_support::TempDir;
using test_support::val;

TEST_CASE("MDB_NEXT after deleting the last item finds a key appended meanwhile") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	MDB_val a = val("a"), va = val("first value");
	REQUIRE(mdb_put(txn, dbi, &a, &va, 0) == 0);
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	MDB_val k, v;
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_LAST) == 0);  // on "a", at the end
	MDB_val b = val("b"), vb = val("appended by mdb_put");
	REQUIRE(mdb_put(txn, dbi, &b, &vb, 0) == 0);
	REQUIRE(mdb_cursor_del(c, 0) == 0);                 // "a" goes; "b" is next
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0);
	CHECK(str(k) == "b");
	CHECK(mdb_cursor_get(c, &k, &v, MDB_NEXT) == MDB_NOTFOUND);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
