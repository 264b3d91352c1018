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

// An empty item cannot be one of several duplicates (they are the keys of a
// sub-database).  As upstream does, a second value replaces a lone empty
// item (also with MDB_APPENDDUP), an empty item over a lone empty one is
// the same item, and an empty item added to other items is refused without
// harm to the transaction.
TEST_CASE("a second value replaces a lone empty item", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	REQUIRE(e.put("k", "") == 0);
	CHECK(e.put("k", "") == 0);  // the same empty item: nothing to do
	CHECK(e.put("k", "", MDB_NODUPDATA) == MDB_KEYEXIST);
	CHECK(e.put("k", "value") == 0);
	REQUIRE(e.put("m", "") == 0);
	CHECK(e.put("m", "value", MDB_APPENDDUP) == 0);
	CHECK(e.put("n", "one") == 0);
	CHECK(e.put("n", "") == MDB_BAD_VALSIZE);
	CHECK(e.put("n", "two") == 0);
	CHECK(e.put("n", "") == MDB_BAD_VALSIZE);
	REQUIRE(e.all() == std::vector<std::pair<std::string, std::string>>{
	                       {"k", "value"}, {"m", "value"}, {"n", "one"}, {"n", "two"}});
	CHECK(e.entries() == 4);
	CHECK(e.put("j", "x") == 0);  // the transaction is still usable
	e.commit();
}

// mdb_load -a stores the duplicates of a key with MDB_CURRENT|MDB_APPENDDUP
// on a cursor already on that key (ITS#9500: 0.9.24 replaced the current
// duplicate instead).
TEST_CASE("ITS#9500: MDB_CURRENT with MDB_APPENDDUP adds a duplicate to the current key", "[dupsort]") {
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
