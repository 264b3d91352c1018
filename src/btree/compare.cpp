// Key and data orders: lexicographic bytes (default), reversed bytes, and
// native unsigned integers.
#include <cstdint>
#include <cstring>

#include "btree/cursor.h"

namespace lmdb {

int cmp_memn(const MDB_val *a, const MDB_val *b) {
	size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	int r = n ? std::memcmp(a->mv_data, b->mv_data, n) : 0;
	if (r) return r;
	return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size ? 1 : 0;
}

int cmp_memnr(const MDB_val *a, const MDB_val *b) {
	const unsigned char *pa = static_cast<const unsigned char *>(a->mv_data) + a->mv_size;
	const unsigned char *pb = static_cast<const unsigned char *>(b->mv_data) + b->mv_size;
	size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	while (n--) {
		int d = int(*--pa) - int(*--pb);
		if (d) return d;
	}
	return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size ? 1 : 0;
}

// Integer keys shorter than the integer compared: only damaged files (or
// misuse) have them.  Compare the bytes that are there, never more.
static int cmp_short_uint(const MDB_val *a, const MDB_val *b) {
	uint64_t x = 0, y = 0;
	std::memcpy(&x, a->mv_data, a->mv_size < sizeof x ? a->mv_size : sizeof x);
	std::memcpy(&y, b->mv_data, b->mv_size < sizeof y ? b->mv_size : sizeof y);
	if (x != y) return x < y ? -1 : 1;
	return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
}

int cmp_int(const MDB_val *a, const MDB_val *b) {
	if (a->mv_size < sizeof(unsigned) || b->mv_size < sizeof(unsigned)) return cmp_short_uint(a, b);
	unsigned x, y;
	std::memcpy(&x, a->mv_data, sizeof x);
	std::memcpy(&y, b->mv_data, sizeof y);
	return x < y ? -1 : x > y;
}

int cmp_long(const MDB_val *a, const MDB_val *b) {
	if (a->mv_size < sizeof(size_t) || b->mv_size < sizeof(size_t)) return cmp_short_uint(a, b);
	size_t x, y;
	std::memcpy(&x, a->mv_data, sizeof x);
	std::memcpy(&y, b->mv_data, sizeof y);
	return x < y ? -1 : x > y;
}

// Integers of either native size: compared as 16-bit digits from the most
// significant end (little-endian), over the size of the first operand.
// Other sizes are misuse, compared the same way; an odd size ends on a
// digit whose high byte is the first byte (upstream takes the byte before
// the value as its low byte, which we cannot read: it counts as equal).
int cmp_cint(const MDB_val *a, const MDB_val *b) {
	if (a->mv_size == sizeof(size_t) && b->mv_size == sizeof(size_t)) return cmp_long(a, b);
	if (a->mv_size == sizeof(unsigned) && b->mv_size == sizeof(unsigned)) return cmp_int(a, b);
	if (b->mv_size < a->mv_size) return cmp_short_uint(a, b);  // b would be over-read
	const unsigned char *pa = static_cast<const unsigned char *>(a->mv_data) + a->mv_size;
	const unsigned char *pb = static_cast<const unsigned char *>(b->mv_data) + a->mv_size;
	size_t words = a->mv_size / 2;
	while (words--) {
		pa -= 2;
		pb -= 2;
		unsigned x = unsigned(pa[0]) | unsigned(pa[1]) << 8;
		unsigned y = unsigned(pb[0]) | unsigned(pb[1]) << 8;
		if (x != y) return x < y ? -1 : 1;
	}
	if (a->mv_size & 1) {
		unsigned x = *--pa, y = *--pb;
		if (x != y) return x < y ? -1 : 1;
	}
	return 0;
}

// cmp_cint's order with upstream's value, for mdb_cmp and mdb_dcmp: the
// difference of the first digits that differ (an odd size's first byte
// alone is the high byte of its digit).
int cmp_cint_value(const MDB_val *a, const MDB_val *b) {
	if (b->mv_size < a->mv_size) return cmp_cint(a, b);
	const unsigned char *pa = static_cast<const unsigned char *>(a->mv_data) + a->mv_size;
	const unsigned char *pb = static_cast<const unsigned char *>(b->mv_data) + a->mv_size;
	for (size_t words = a->mv_size / 2; words--;) {
		pa -= 2;
		pb -= 2;
		int x = int(pa[0]) | int(pa[1]) << 8;
		int y = int(pb[0]) | int(pb[1]) << 8;
		if (x != y) return x - y;
	}
	if (a->mv_size & 1) return (int(pa[-1]) - int(pb[-1])) * 256;
	return 0;
}

void set_default_cmp(MDB_txn *txn, MDB_dbi dbi) { default_cmp_for(txn->dbs[dbi].flags, txn->dbxs[dbi]); }

void default_cmp_for(uint16_t f, DbAux &x) {
	x.cmp = (f & MDB_REVERSEKEY) ? cmp_memnr : (f & MDB_INTEGERKEY) ? cmp_cint : cmp_memn;
	if (!(f & MDB_DUPSORT))
		x.dcmp = nullptr;
	else if (f & MDB_INTEGERDUP)
		x.dcmp = (f & MDB_DUPFIXED) ? cmp_int : cmp_cint;
	else
		x.dcmp = (f & MDB_REVERSEDUP) ? cmp_memnr : cmp_memn;
}

}  // namespace lmdb
