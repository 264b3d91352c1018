// Read txns step through the duplicates of the node a cursor was loaded from
// without checking that node again (XCursor::outer, btree/navigate.cpp);
// write txns never take that shortcut.  So the same moves, through a cursor
// of each kind over the same data, must give the same answers whatever moves
// come between the steps.
#include <cstdint>
#include <iterator>

#include "dupsort/dup_fixture.h"

using namespace dup_test;

namespace {

// Keys with 1, 2, 3 or 4 duplicates, 10 (a full sub-page) or 700 (a
// sub-database).
std::vector<std::string> fill(DupEnv &e) {
	std::vector<std::string> keys;
	for (unsigned i = 0; i < 40; i++) {
		std::string k = "k" + std::to_string(100 + i);
		keys.push_back(k);
		unsigned n = i % 5 == 4 ? (i == 19 ? 700 : 10) : i % 5 + 1;
		for (unsigned j = 0; j < n; j++) REQUIRE(e.put(k, item(j * 3)) == 0);
	}
	return keys;
}

}  // namespace

TEST_CASE("read and write txns answer the same cursor moves over duplicates", "[dupsort]") {
	for (unsigned flags : {unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED)}) {
		DupEnv e(flags);
		std::vector<std::string> keys = fill(e);
		e.commit();
		MDB_txn *w = nullptr, *r = nullptr;
		REQUIRE(mdb_txn_begin(e.env(), nullptr, 0, &w) == 0);
		REQUIRE(mdb_txn_begin(e.env(), nullptr, MDB_RDONLY, &r) == 0);
		MDB_cursor *cw = nullptr, *cr = nullptr;
		REQUIRE(mdb_cursor_open(w, e.dbi(), &cw) == 0);
		REQUIRE(mdb_cursor_open(r, e.dbi(), &cr) == 0);
		// Half the moves are MDB_NEXT, so runs of steps through one key's
		// duplicates are common.
		const MDB_cursor_op others[] = {MDB_NEXT_DUP,   MDB_PREV,           MDB_NEXT_NODUP, MDB_PREV_NODUP,
		                                MDB_FIRST_DUP,  MDB_LAST_DUP,       MDB_GET_CURRENT, MDB_SET,
		                                MDB_SET_RANGE,  MDB_GET_BOTH,       MDB_GET_BOTH_RANGE, MDB_FIRST,
		                                MDB_LAST,       MDB_PREV_DUP,       MDB_SET_KEY};
		uint64_t x = 12345;
		unsigned nexts_found = 0;
		for (int step = 0; step < 30000; step++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			MDB_cursor_op op = (x >> 60) < 8 ? MDB_NEXT : others[(x >> 33) % std::size(others)];
			std::string k = keys[(x >> 20) % keys.size()], d = item(unsigned((x >> 8) % 40));
			Got a = get(cw, op, k, d), b = get(cr, op, k, d);
			INFO("flags 0x" << std::hex << flags << std::dec << ", step " << step << ", op " << int(op));
			REQUIRE(a.rc == b.rc);
			REQUIRE(a.key == b.key);
			REQUIRE(a.data == b.data);
			if (op == MDB_NEXT && a.rc == 0) nexts_found++;
			if (step % 7000 == 6999) {
				// A renewed read txn and cursor start over, like a new cursor.
				mdb_txn_reset(r);
				REQUIRE(mdb_txn_renew(r) == 0);
				REQUIRE(mdb_cursor_renew(r, cr) == 0);
				mdb_cursor_close(cw);
				REQUIRE(mdb_cursor_open(w, e.dbi(), &cw) == 0);
			}
		}
		CHECK(nexts_found > 10000);
		mdb_cursor_close(cr);
		mdb_cursor_close(cw);
		mdb_txn_abort(r);
		mdb_txn_abort(w);
	}
}

// A read cursor renewed into a later snapshot in which its key's duplicates
// changed: the step after the renew must see the new ones.
TEST_CASE("a renewed read cursor scans the new snapshot's duplicates", "[dupsort]") {
	DupEnv e(MDB_DUPSORT);
	for (unsigned j = 0; j < 5; j++) REQUIRE(e.put("a", item(j)) == 0);
	e.commit();
	MDB_txn *r = nullptr;
	REQUIRE(mdb_txn_begin(e.env(), nullptr, MDB_RDONLY, &r) == 0);
	MDB_cursor *c = nullptr;
	REQUIRE(mdb_cursor_open(r, e.dbi(), &c) == 0);
	REQUIRE(get(c, MDB_FIRST).data == item(0));
	REQUIRE(get(c, MDB_NEXT).data == item(1));
	mdb_txn_reset(r);
	e.begin();
	REQUIRE(e.del("a") == 0);
	for (unsigned j = 10; j < 13; j++) REQUIRE(e.put("a", item(j)) == 0);
	e.commit();
	REQUIRE(mdb_txn_renew(r) == 0);
	REQUIRE(mdb_cursor_renew(r, c) == 0);
	CHECK(get(c, MDB_NEXT).data == item(10));  // a renewed cursor starts at the first item
	CHECK(get(c, MDB_NEXT).data == item(11));
	CHECK(get(c, MDB_NEXT).data == item(12));
	CHECK(get(c, MDB_NEXT).rc == MDB_NOTFOUND);
	mdb_cursor_close(c);
	mdb_txn_abort(r);
}
