// Data items of DUPSORT databases: size limits and the empty item.
#include "dupsort/dup_fixture.h"

using namespace dup_test;

TEST_CASE("duplicate data items are limited to the maximum key size", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	const int maxkey = mdb_env_get_maxkeysize(e.env());
	REQUIRE(maxkey == 511);
	CHECK(e.put("k", std::string(512, 'x')) == MDB_BAD_VALSIZE);
	CHECK(e.put("k", std::string(511, 'x')) == 0);
	CHECK(e.put("k", std::string(512, 'y')) == MDB_BAD_VALSIZE);
	CHECK(e.put("k", std::string(511, 'y')) == 0);
	CHECK(e.entries() == 2);
	MDB_cursor *c = e.cursor();
	const std::string k = "k", big(600, 'z');
	MDB_val kv = val(k), dv = val(big);
	CHECK(mdb_cursor_put(c, &kv, &dv, 0) == MDB_BAD_VALSIZE);
	// The refused puts did not poison the transaction.
	CHECK(e.put("j", "x") == 0);
	e.commit();
}

// An empty item cannot become one of several duplicates (the duplicates are
// the keys of a sub-database, which must not be empty).  Upstream silently
// drops the empty item when a second value arrives, and then reads a node
// of an empty sub-page (garbage) for MDB_APPENDDUP; we refuse the put.
TEST_CASE("an empty single item is not silently dropped by a second value", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	REQUIRE(e.put("k", "") == 0);
	CHECK(e.put("k", "value") == MDB_BAD_VALSIZE);
	CHECK(e.put("k", "value", MDB_APPENDDUP) == MDB_BAD_VALSIZE);
	CHECK(e.put("k", "") == 0);  // the same empty item: nothing to do
	CHECK(e.put("k", "", MDB_NODUPDATA) == MDB_KEYEXIST);
	REQUIRE(e.all() == std::vector<std::pair<std::string, std::string>>{{"k", ""}});
	CHECK(e.put("j", "x") == 0);  // the transaction is still usable
	e.commit();
}

// mdb_load -a stores the duplicates of a key with MDB_CURRENT|MDB_APPENDDUP
// on a cursor already on that key (ITS#9500: 0.9.24 replaced the current
// duplicate instead).
TEST_CASE("MDB_CURRENT with MDB_APPENDDUP adds a duplicate to the current key", "[dupsort]") {
	for (unsigned flags : {unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED)}) {
		DupEnv e(flags);
		MDB_cursor *c = e.cursor();
		const std::string k = "key";
		std::vector<std::string> items;
		for (unsigned i = 0; i < 300; i++) items.push_back(item(i));
		MDB_val kv = val(k), dv = val(items[0]);
		REQUIRE(mdb_cursor_put(c, &kv, &dv, MDB_APPEND) == 0);
		for (unsigned i = 1; i < items.size(); i++) {
			dv = val(items[i]);
			REQUIRE(mdb_cursor_put(c, &kv, &dv, MDB_CURRENT | MDB_APPENDDUP) == 0);
		}
		dv = val(items[5]);
		CHECK(mdb_cursor_put(c, &kv, &dv, MDB_CURRENT | MDB_APPENDDUP) == MDB_KEYEXIST);
		auto all = e.all();
		REQUIRE(all.size() == items.size());
		for (unsigned i = 0; i < items.size(); i++) CHECK(all[i].second == items[i]);
	}
}
