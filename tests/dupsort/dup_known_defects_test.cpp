// Duplicate-cursor behaviour where the differential oracle (Debian's LMDB
// 0.9.24) is known to be wrong or undefined, so compat-tests does not
// compare it (see compat-tests/oracle_guard.h).  Each case states the
// expected result: upstream's fixed behaviour where there is one, else the
// behaviour we define.
#include "dupsort/dup_fixture.h"

using namespace dup_test;

namespace {
void fill_abc(DupEnv &e) {
	for (const char *v : {"1", "2", "3"}) REQUIRE(e.put("a", v) == 0);
	REQUIRE(e.put("b", "x") == 0);
	for (const char *v : {"4", "5"}) REQUIRE(e.put("c", v) == 0);
}
}  // namespace

// ITS#9376 (fixed in 0.9.27): MDB_PREV* on an unpositioned cursor read the
// node past the last one.
TEST_CASE("ITS#9376: MDB_PREV on an unpositioned DUPSORT cursor returns the last item", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	fill_abc(e);
	for (MDB_cursor_op op : {MDB_PREV, MDB_PREV_DUP, MDB_PREV_NODUP}) {
		MDB_cursor *c = e.cursor();
		Got g = get(c, op);
		CHECK(g.rc == 0);
		CHECK(g.key == "c");
		CHECK(g.data == "5");
		g = get(c, MDB_PREV);
		CHECK(g.key == "c");
		CHECK(g.data == "4");
	}
	// An empty database has nothing.
	REQUIRE(mdb_drop(e.txn(), e.dbi(), 0) == 0);
	CHECK(get(e.cursor(), MDB_PREV).rc == MDB_NOTFOUND);
}

// ITS#9376: after deleting the last item the cursor is past the end; moving
// back must not read past the last node.
TEST_CASE("ITS#9376/ITS#9461: MDB_PREV after deleting the last item returns the item before it", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	fill_abc(e);
	MDB_cursor *c = e.cursor();
	REQUIRE(get(c, MDB_LAST).data == "5");
	REQUIRE(mdb_cursor_del(c, MDB_NODUPDATA) == 0);  // all of "c"
	CHECK(get(c, MDB_NEXT).rc == MDB_NOTFOUND);
	Got g = get(c, MDB_PREV);
	CHECK(g.key == "b");
	CHECK(g.data == "x");
	REQUIRE(mdb_cursor_del(c, 0) == 0);  // "b"
	g = get(c, MDB_PREV_DUP);  // past the end: there is no current key
	CHECK(g.key == "a");
	CHECK(g.data == "3");
	size_t n = 0;
	CHECK(mdb_cursor_count(c, &n) == 0);
	CHECK(n == 3);
}

// ITS#9723 (fixed in 0.9.30): MDB_FIRST_DUP kept the "at the end" mark of
// MDB_LAST, so MDB_NEXT answered MDB_NOTFOUND.
TEST_CASE("ITS#9723: MDB_NEXT after MDB_LAST and MDB_FIRST_DUP walks the duplicates", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	fill_abc(e);
	MDB_cursor *c = e.cursor();
	REQUIRE(get(c, MDB_LAST).data == "5");
	REQUIRE(get(c, MDB_FIRST_DUP).data == "4");
	Got g = get(c, MDB_NEXT);
	CHECK(g.rc == 0);
	CHECK(g.key == "c");
	CHECK(g.data == "5");
	CHECK(get(c, MDB_NEXT).rc == MDB_NOTFOUND);
	REQUIRE(get(c, MDB_LAST).data == "5");
	REQUIRE(get(c, MDB_LAST_DUP).data == "5");
	CHECK(get(c, MDB_NEXT).rc == MDB_NOTFOUND);
	REQUIRE(get(c, MDB_FIRST_DUP).data == "4");
	size_t n = 0;
	CHECK(mdb_cursor_count(c, &n) == 0);
	CHECK(n == 2);
	CHECK(get(c, MDB_NEXT_DUP).data == "5");
}

// ITS#8447 (fixed in 0.9.31): MDB_CURRENT with data of another size that
// still sorts into the same place replaces the duplicate (0.9.24 copied the
// new bytes over the old node and corrupted the sub-page).
TEST_CASE("ITS#8447: MDB_CURRENT replaces a duplicate with one of another size", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	for (const char *v : {"b", "d", "f"}) REQUIRE(e.put("k", v) == 0);
	MDB_cursor *c = e.cursor();
	REQUIRE(get(c, MDB_GET_BOTH, "k", "d").rc == 0);
	const std::string k = "k", longer = "dddd", shorter = "e";
	MDB_val kv = val(k), dv = val(longer);
	REQUIRE(mdb_cursor_put(c, &kv, &dv, MDB_CURRENT) == 0);
	Got g = get(c, MDB_GET_CURRENT);
	CHECK(g.data == "dddd");
	CHECK(e.all() == std::vector<std::pair<std::string, std::string>>{{"k", "b"}, {"k", "dddd"}, {"k", "f"}});
	dv = val(shorter);
	REQUIRE(mdb_cursor_put(c, &kv, &dv, MDB_CURRENT) == 0);
	CHECK(e.all() == std::vector<std::pair<std::string, std::string>>{{"k", "b"}, {"k", "e"}, {"k", "f"}});
	CHECK(e.entries() == 3);
	CHECK(get(c, MDB_NEXT_DUP).data == "f");
	CHECK(get(c, MDB_PREV_DUP).data == "e");
	CHECK(get(c, MDB_PREV_DUP).data == "b");
	// The same size, and a single item of any size, as upstream always did.
	dv = val(shorter);
	REQUIRE(get(c, MDB_SET, "k").data == "b");
	REQUIRE(e.put("z", "only") == 0);
	REQUIRE(get(c, MDB_SET, "z").rc == 0);
	const std::string z = "z", other = "a much longer single value";
	MDB_val zv = val(z), ov = val(other);
	REQUIRE(mdb_cursor_put(c, &zv, &ov, MDB_CURRENT) == 0);
	CHECK(get(c, MDB_GET_CURRENT).data == other);
	e.commit();
}

// NEXT_NODUP / PREV_NODUP on the only key of a DUPSORT database after a
// delete and a put must end (a known upstream problem not to copy).
TEST_CASE("MDB_NEXT_NODUP and MDB_PREV_NODUP terminate on the only key", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	for (const char *v : {"1", "2", "3"}) REQUIRE(e.put("k", v) == 0);
	MDB_cursor *c = e.cursor();
	MDB_cursor *d = e.cursor();
	REQUIRE(get(c, MDB_FIRST).data == "1");
	REQUIRE(get(d, MDB_LAST).data == "3");
	REQUIRE(mdb_cursor_del(c, 0) == 0);  // "1"
	REQUIRE(e.put("k", "0") == 0);
	REQUIRE(e.put("k", "9") == 0);
	for (MDB_cursor *cur : {c, d}) {
		for (MDB_cursor_op op : {MDB_NEXT_NODUP, MDB_PREV_NODUP}) {
			int steps = 0, rc = 0;
			while (steps < 5 && (rc = get(cur, op).rc) == 0) steps++;
			CHECK(rc == MDB_NOTFOUND);
			CHECK(steps <= 1);
		}
	}
	REQUIRE(get(c, MDB_FIRST).data == "0");
	CHECK(get(c, MDB_NEXT_NODUP).rc == MDB_NOTFOUND);
	REQUIRE(get(c, MDB_LAST).data == "9");
	CHECK(get(c, MDB_PREV_NODUP).rc == MDB_NOTFOUND);
	// Deleting the whole key, then putting it back.
	REQUIRE(mdb_cursor_del(c, MDB_NODUPDATA) == 0);
	REQUIRE(e.put("k", "5") == 0);
	for (MDB_cursor_op op : {MDB_NEXT_NODUP, MDB_PREV_NODUP}) {
		int steps = 0, rc = 0;
		while (steps < 5 && (rc = get(c, op).rc) == 0) steps++;
		CHECK(rc == MDB_NOTFOUND);
		CHECK(steps <= 1);
	}
	CHECK(e.all() == std::vector<std::pair<std::string, std::string>>{{"k", "5"}});
}

// After a failed MDB_SET the cursor stands where the key would be, on no
// item.  MDB_NEXT there returns the first duplicate of a key with
// duplicates (upstream does; MDB_NEXT_DUP too), and skips a key with one
// item (as in a plain database); MDB_PREV returns the item before it; the
// other duplicate-only operations have no current key.  (Upstream's
// sub-cursor is stale when the cursor was on another key before the
// search: it then returns that key's items; we return this key's.)
TEST_CASE("relative moves after a failed MDB_SET in a DUPSORT database", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	fill_abc(e);
	MDB_cursor *c = e.cursor();
	SECTION("MDB_NEXT") {
		REQUIRE(get(c, MDB_SET, "aa").rc == MDB_NOTFOUND);  // between "a" and "b"
		Got g = get(c, MDB_NEXT);
		CHECK(g.key == "c");
		CHECK(g.data == "4");
	}
	SECTION("MDB_NEXT at a key with duplicates") {
		REQUIRE(get(c, MDB_SET, "bb").rc == MDB_NOTFOUND);  // at "c"
		Got g = get(c, MDB_NEXT_DUP);
		CHECK(g.key == "c");
		CHECK(g.data == "4");
		REQUIRE(get(c, MDB_FIRST).rc == 0);  // the sub-cursor on the items of "a"
		REQUIRE(get(c, MDB_SET, "bb").rc == MDB_NOTFOUND);
		g = get(c, MDB_NEXT);
		CHECK(g.key == "c");
		CHECK(g.data == "4");
		g = get(c, MDB_NEXT);
		CHECK(g.key == "c");
		CHECK(g.data == "5");
	}
	SECTION("MDB_PREV") {
		REQUIRE(get(c, MDB_SET, "bb").rc == MDB_NOTFOUND);
		Got g = get(c, MDB_PREV);
		CHECK(g.key == "b");
		CHECK(g.data == "x");
		REQUIRE(get(c, MDB_SET, "bb").rc == MDB_NOTFOUND);
		CHECK(get(c, MDB_PREV_DUP).rc == MDB_NOTFOUND);
		REQUIRE(get(c, MDB_SET, "0").rc == MDB_NOTFOUND);  // before "a"
		CHECK(get(c, MDB_PREV).rc == MDB_NOTFOUND);
	}
	SECTION("past the last key") {
		REQUIRE(get(c, MDB_SET, "d").rc == MDB_NOTFOUND);
		CHECK(get(c, MDB_NEXT).rc == MDB_NOTFOUND);
		size_t n = 0;
		CHECK(mdb_cursor_count(c, &n) == MDB_NOTFOUND);
		Got g = get(c, MDB_PREV);
		CHECK(g.key == "c");
		CHECK(g.data == "5");
	}
	SECTION("operations that need a current duplicate") {
		REQUIRE(get(c, MDB_SET, "bb").rc == MDB_NOTFOUND);  // at "c"
		size_t n = 0;
		CHECK(mdb_cursor_count(c, &n) == EINVAL);
		CHECK(get(c, MDB_GET_CURRENT).rc == EINVAL);
		CHECK(get(c, MDB_FIRST_DUP).rc == EINVAL);
		const std::string k = "c", v = "6";
		MDB_val kv = val(k), dv = val(v);
		CHECK(mdb_cursor_put(c, &kv, &dv, MDB_CURRENT) == EINVAL);
		CHECK(mdb_cursor_del(c, 0) == EINVAL);
		CHECK(e.entries() == 6);
		// Deleting all duplicates of the key there works as for a plain db.
		CHECK(mdb_cursor_del(c, MDB_NODUPDATA) == 0);
		CHECK(e.entries() == 4);
		CHECK(e.all() == std::vector<std::pair<std::string, std::string>>{
		                     {"a", "1"}, {"a", "2"}, {"a", "3"}, {"b", "x"}});
		e.commit();
	}
}
