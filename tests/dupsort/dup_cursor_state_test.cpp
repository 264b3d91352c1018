// Cursor states after deletes in DUPSORT databases: found by the
// differential test (compat-tests, --dupsort), each case checked here with
// the result upstream's fixed versions (0.9.32) give, or, where upstream
// itself is undefined, the behaviour we chose.
#include "dupsort/dup_fixture.h"

using namespace dup_test;

TEST_CASE("deleting a multi-page sub-database leaves no sub-cursor behind", "[dupsort]") {
	DupEnv e(MDB_DUPSORT | MDB_DUPFIXED);
	// Key "b" gets a sub-database of two levels (more items than one page holds).
	for (unsigned i = 0; i < 700; i++) REQUIRE(e.put("b", item(i)) == 0);
	REQUIRE(e.put("a", item(1)) == 0);
	MDB_cursor *c = e.cursor();
	REQUIRE(get(c, MDB_SET, "b").rc == 0);
	size_t n = 0;
	REQUIRE(mdb_cursor_count(c, &n) == 0);
	CHECK(n == 700);
	REQUIRE(mdb_cursor_del(c, MDB_NODUPDATA) == 0);
	CHECK(e.entries() == 1);
	// The cursor is past the last key now; its duplicates are gone.
	MDB_val k{0, nullptr}, d{0, nullptr};
	CHECK(mdb_cursor_get(c, &k, &d, MDB_GET_MULTIPLE) == MDB_SUCCESS);
	CHECK(d.mv_size == 0);
	CHECK(d.mv_data == nullptr);
	CHECK(mdb_cursor_get(c, &k, &d, MDB_PREV_MULTIPLE) == MDB_NOTFOUND);
	CHECK(get(c, MDB_NEXT).rc == MDB_NOTFOUND);
	Got g = get(c, MDB_PREV);
	CHECK(g.rc == 0);
	CHECK(g.key == "a");
	CHECK(g.data == item(1));
}

// Upstream (all versions up to 0.9.33) keeps a private copy of the current
// key's duplicate count and sub-database root in every cursor and does not
// refresh the copies of other cursors when one cursor deletes a duplicate
// (or adds one to a sub-database): their counts go stale and a delete
// through them can leave a key with no data behind.
TEST_CASE("other cursors on the key see duplicates deleted through one cursor", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	REQUIRE(e.put("k", "one") == 0);
	REQUIRE(e.put("k", "two") == 0);
	MDB_cursor *a = e.cursor();
	MDB_cursor *b = e.cursor();
	REQUIRE(get(a, MDB_GET_BOTH, "k", "two").rc == 0);
	REQUIRE(get(b, MDB_SET, "k").data == "one");
	REQUIRE(mdb_cursor_del(a, 0) == 0);
	size_t n = 0;
	REQUIRE(mdb_cursor_count(b, &n) == 0);
	CHECK(n == 1);
	REQUIRE(mdb_cursor_del(b, 0) == 0);
	CHECK(e.entries() == 0);
	CHECK(e.all().empty());
	CHECK(get(b, MDB_FIRST).rc == MDB_NOTFOUND);
}

TEST_CASE("other cursors on the key see a sub-database change through one cursor", "[dupsort]") {
	DupEnv e(MDB_DUPSORT | MDB_DUPFIXED);
	for (unsigned i = 0; i < 600; i += 2) REQUIRE(e.put("k", item(i)) == 0);
	MDB_cursor *a = e.cursor();
	MDB_cursor *b = e.cursor();
	REQUIRE(get(b, MDB_SET, "k").data == item(0));
	// Through a: enough inserts to split the sub-database's pages, then deletes.
	const std::string key = "k";
	for (unsigned i = 1; i < 600; i += 2) {
		MDB_val k = val(key);
		std::string it = item(i);
		MDB_val d = val(it);
		REQUIRE(mdb_cursor_put(a, &k, &d, 0) == 0);
	}
	size_t n = 0;
	REQUIRE(mdb_cursor_count(b, &n) == 0);
	CHECK(n == 600);
	REQUIRE(get(a, MDB_SET, "k").rc == 0);
	for (unsigned i = 0; i < 100; i++) REQUIRE(mdb_cursor_del(a, 0) == 0);
	REQUIRE(mdb_cursor_count(b, &n) == 0);
	CHECK(n == 500);
	// b stood on item 0, which is gone: deleting through b removes the key.
	REQUIRE(mdb_cursor_del(b, MDB_NODUPDATA) == 0);
	CHECK(e.entries() == 0);
	CHECK(e.all().empty());
	e.commit();
	e.begin();
	CHECK(e.all().empty());
}
