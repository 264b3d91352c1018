// The key comparators see sizes from the file: keys shorter than the
// integer they compare must not be read past their end (under ASan a
// heap-buffer-overflow would show it).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "btree/cursor.h"

namespace {

// A key in a heap block of exactly its size.
struct HeapKey {
	MDB_val v;
	explicit HeapKey(size_t n, unsigned char fill) {
		v.mv_size = n;
		v.mv_data = std::malloc(n ? n : 1);
		std::memset(v.mv_data, fill, n);
	}
	~HeapKey() { std::free(v.mv_data); }
};

}  // namespace

TEST_CASE("hostile: integer comparators never read past short keys", "[hostile]") {
	HeapKey k8(8, 1), k4(4, 1), k2(2, 1), k1(1, 9), k0(0, 0);
	// Every pairing (ASan reports any over-read).  The shorter key has
	// fewer bytes to compare: with these fills it sorts first.
	for (MDB_cmp_func *cmp : {lmdb::cmp_long, lmdb::cmp_int, lmdb::cmp_cint}) {
		for (HeapKey *a : {&k8, &k4, &k2, &k1, &k0}) {
			for (HeapKey *b : {&k8, &k4, &k2, &k1, &k0}) {
				int r = cmp(&a->v, &b->v);
				if (a == b) CHECK(r == 0);
			}
		}
	}
	CHECK(lmdb::cmp_long(&k2.v, &k8.v) < 0);
	CHECK(lmdb::cmp_long(&k8.v, &k2.v) > 0);
	CHECK(lmdb::cmp_long(&k0.v, &k4.v) < 0);
	CHECK(lmdb::cmp_int(&k2.v, &k4.v) < 0);
	CHECK(lmdb::cmp_int(&k1.v, &k4.v) < 0);
	CHECK(lmdb::cmp_cint(&k8.v, &k2.v) > 0);
	// Same-size keys still compare as native integers.
	uint64_t x = 0x100, y = 0xff;
	MDB_val a{8, &x}, b{8, &y};
	CHECK(lmdb::cmp_long(&a, &b) > 0);
	CHECK(lmdb::cmp_cint(&a, &b) > 0);
	unsigned u = 0x100, w = 0xff;
	MDB_val c{4, &u}, d{4, &w};
	CHECK(lmdb::cmp_int(&c, &d) > 0);
	CHECK(lmdb::cmp_cint(&c, &d) > 0);
}
