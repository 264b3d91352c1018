// The write txns' page buffers: a txn's first ones from the C heap, the
// rest from one region per env, rewound when the top-level txn ends; C heap
// memory when the region cannot serve.
#include <catch2/catch.hpp>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <cstring>
#include <set>
#include <vector>

#include "env/environment.h"
#include "test_support.h"
#include "txn/page_buffers.h"
#include "util/fault.h"

using lmdb::PageBuffers;
using test_support::str;
using test_support::TempDir;
using test_support::val;

namespace {
bool all_bytes(const void *p, size_t n, unsigned char b) {
	auto *c = static_cast<const unsigned char *>(p);
	for (size_t i = 0; i < n; i++)
		if (c[i] != b) return false;
	return true;
}
// The region is used only where transparent huge pages are on: the tests
// of the region pretend they are, whatever this machine's setting.
struct HugePages {
	explicit HugePages(int on) { PageBuffers::huge_pages_for_test = on; }
	~HugePages() { PageBuffers::huge_pages_for_test = -1; }
};
const HugePages pretend_on(1);

// Takes the buffers a txn gets from the C heap before the region serves.
std::vector<void *> take_heap_part(PageBuffers &pb, size_t psize) {
	std::vector<void *> out;
	for (size_t i = 0; i < PageBuffers::kHeapFirst; i++) {
		void *p = pb.take(psize, PageBuffers::Zero::kAll);
		REQUIRE(p);
		out.push_back(p);
	}
	return out;
}

void give_all(PageBuffers &pb, const std::vector<void *> &v) {
	for (void *p : v) pb.give(p);
}
}  // namespace

TEST_CASE("PageBuffers: a small txn's buffers come from the C heap and are reused") {
	PageBuffers pb;
	std::vector<void *> out;
	for (size_t i = 0; i < PageBuffers::kHeapFirst; i++) {
		void *p = pb.take(4096, PageBuffers::Zero::kAll);
		REQUIRE(p);
		CHECK(all_bytes(p, 4096, 0));
		std::memset(p, 0xC3, 4096);
		out.push_back(p);
	}
	CHECK(!pb.has_region());
	CHECK(pb.live() == PageBuffers::kHeapFirst);
	give_all(pb, out);
	CHECK(pb.live() == 0);
	pb.txn_ended();
	// The next txn gets the same memory back, zeroed again.
	std::set<void *> before(out.begin(), out.end());
	void *p = pb.take(4096, PageBuffers::Zero::kAll);
	CHECK(before.count(p) == 1);
	CHECK(all_bytes(p, 4096, 0));
	pb.give(p);
	CHECK(!pb.has_region());
	CHECK(pb.touched_bytes() == 0);
}

TEST_CASE("PageBuffers: Zero::kForeign zeroes fresh heap memory only") {
	// A copy of a page (page_touch, unspill) takes its buffer this way: the
	// bytes it does not copy may keep an earlier page buffer's contents, as
	// upstream's, but never what other code left in the C heap.
	for (int round = 0; round < 4; round++) {
		PageBuffers fresh;
		// Other code's leftovers, freed just before: malloc hands this
		// chunk back first, and it must arrive zeroed.
		void *junk = std::malloc(4096);
		REQUIRE(junk);
		std::memset(junk, 0x5A, 4096);
		std::free(junk);
		void *p = fresh.take(4096, PageBuffers::Zero::kForeign);
		REQUIRE(p);
		CHECK(all_bytes(p, 4096, 0));
		std::memset(p, 0xC3, 4096);
		fresh.give(p);
		// Taken again: one of ours, its bytes kept past the link word.
		void *q = fresh.take(4096, PageBuffers::Zero::kForeign);
		CHECK(q == p);
		CHECK(all_bytes(static_cast<char *>(q) + 64, 4096 - 64, 0xC3));
		fresh.give(q);
	}
	PageBuffers pb;
	// The region: a buffer never handed out is zero; a rewound one keeps
	// the bytes of the buffer it was.
	std::vector<void *> heap = take_heap_part(pb, 4096);
	void *r = pb.take(4096, PageBuffers::Zero::kForeign);
	REQUIRE(pb.owns_for_test(r));
	CHECK(all_bytes(r, 4096, 0));
	std::memset(r, 0x77, 4096);
	pb.give(r);
	give_all(pb, heap);
	pb.txn_ended();
	heap = take_heap_part(pb, 4096);
	void *again = pb.take(4096, PageBuffers::Zero::kForeign);
	CHECK(again == r);
	CHECK(all_bytes(static_cast<char *>(again) + 64, 4096 - 64, 0x77));
	pb.give(again);
	give_all(pb, heap);
	pb.txn_ended();
}

TEST_CASE("PageBuffers: distinct buffers, reuse, zero-fill") {
	for (size_t psize : {size_t(4096), size_t(65536)}) {
		PageBuffers pb;
		std::vector<void *> out = take_heap_part(pb, psize);
		REQUIRE(!pb.has_region());
		std::set<uintptr_t> seen;
		for (void *p : out) std::memset(p, 0x3C, psize);
		for (int i = 0; i < 600; i++) {
			void *p = pb.take(psize, PageBuffers::Zero::kAll);
			REQUIRE(p);
			if (i == 0) CHECK(pb.has_region());
			CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);  // cache-line aligned
			CHECK(all_bytes(p, psize, 0));
			std::memset(p, 0xA5, psize);
			out.push_back(p);
		}
		// No two buffers overlap, of either kind.
		for (void *p : out) {
			auto a = reinterpret_cast<uintptr_t>(p);
			auto it = seen.lower_bound(a);
			if (it != seen.end()) CHECK(*it >= a + psize);
			if (it != seen.begin()) CHECK(*std::prev(it) + psize <= a);
			seen.insert(a);
		}
		CHECK(pb.live() == out.size());
		CHECK(pb.touched_bytes() >= 600 * psize);
		// The buffers' headers do not all share one page offset (they would
		// all fall in the same cache sets): 64 in a row, 64 offsets.
		std::set<uintptr_t> offsets;
		for (size_t i = 0; i < 64; i++)
			offsets.insert(reinterpret_cast<uintptr_t>(out[PageBuffers::kHeapFirst + i]) % 4096);
		CHECK(offsets.size() == 64);
		// Given back: taken again first (last in, first out), zeroed again.
		void *r7 = out[PageBuffers::kHeapFirst + 7], *r8 = out[PageBuffers::kHeapFirst + 8];
		pb.give(r7);
		void *again = pb.take(psize, PageBuffers::Zero::kAll);
		CHECK(again == r7);
		CHECK(all_bytes(again, psize, 0));
		// Without zeroing (MDB_NOMEMINIT), a reused buffer keeps its bytes
		// past the link word.
		pb.give(r8);
		void *raw = pb.take(psize, PageBuffers::Zero::kNo);
		CHECK(raw == r8);
		CHECK(all_bytes(static_cast<char *>(raw) + 64, psize - 64, 0xA5));
		give_all(pb, out);
		CHECK(pb.live() == 0);
		pb.txn_ended();
	}
}

TEST_CASE("PageBuffers: a txn's end rewinds only when every buffer is back") {
	const size_t psize = 4096;
	PageBuffers pb;
	std::vector<void *> heap = take_heap_part(pb, psize);
	void *a = pb.take(psize, PageBuffers::Zero::kAll);
	void *b = pb.take(psize, PageBuffers::Zero::kAll);
	REQUIRE(pb.has_region());
	std::memset(a, 1, psize);
	std::memset(b, 2, psize);
	give_all(pb, heap);
	pb.give(a);
	pb.txn_ended();  // b is still out: nothing may be reused under it
	void *c = pb.take(psize, PageBuffers::Zero::kAll);  // the stack of the region is kept
	CHECK(c == a);
	heap = take_heap_part(pb, psize);  // then the kept heap buffers
	void *d = pb.take(psize, PageBuffers::Zero::kAll);    // then the region's bump pointer
	CHECK(pb.owns_for_test(d));
	CHECK(d != a);
	CHECK(d != b);
	CHECK(all_bytes(b, psize, 2));
	give_all(pb, heap);
	pb.give(b);
	pb.give(c);
	pb.give(d);
	pb.txn_ended();
	// Rewound: the first buffer of the region again, zeroed though its
	// memory was used.
	heap = take_heap_part(pb, psize);
	void *e = pb.take(psize, PageBuffers::Zero::kAll);
	CHECK(e == a);
	CHECK(all_bytes(e, psize, 0));
	give_all(pb, heap);
	pb.give(e);
}

TEST_CASE("PageBuffers: past the retained part, a txn's end gives the memory back") {
	const size_t psize = 4096;
	PageBuffers pb;
	std::vector<void *> heap = take_heap_part(pb, psize);
	const size_t n = PageBuffers::kRetainBytes / psize * 3;  // 48 MiB of buffers
	std::vector<void *> out;
	for (size_t i = 0; i < n; i++) {
		void *p = pb.take(psize, PageBuffers::Zero::kAll);
		REQUIRE(p);
		std::memset(p, 0x5A, psize);
		out.push_back(p);
	}
	CHECK(pb.touched_bytes() >= n * psize);
	CHECK(pb.touched_bytes() > PageBuffers::kRetainBytes * 2);
	give_all(pb, heap);
	give_all(pb, out);
	pb.txn_ended();
	CHECK(pb.touched_bytes() == PageBuffers::kRetainBytes);
	// The same addresses come back in order: the retained part zeroed by
	// take, the dropped part zero because its pages are new.
	heap = take_heap_part(pb, psize);
	for (size_t i = 0; i < n; i++) {
		void *p = pb.take(psize, PageBuffers::Zero::kAll);
		REQUIRE(p == out[i]);
		if (i % 97 == 0 || i == n - 1) CHECK(all_bytes(p, psize, 0));
	}
	give_all(pb, heap);
	give_all(pb, out);
	pb.txn_ended();
}

TEST_CASE("PageBuffers: an allocation fault refuses a buffer, from the heap or the region") {
	namespace f = lmdb::os::fault;
	PageBuffers pb;
	f::arm(lmdb::os::Call::Alloc, 2, ENOMEM, false);
	void *a = pb.take(4096, PageBuffers::Zero::kAll);
	void *b = pb.take(4096, PageBuffers::Zero::kAll);
	void *c = pb.take(4096, PageBuffers::Zero::kAll);
	f::disarm();
	CHECK(a);
	CHECK(!b);
	CHECK(c);
	CHECK(pb.live() == 2);
	pb.give(a);
	pb.give(c);
	// The same for a buffer of the region.  The kept heap buffers come
	// first and are not allocations: the fault counts from the first new one.
	std::vector<void *> heap = take_heap_part(pb, 4096);
	f::arm(lmdb::os::Call::Alloc, 1, ENOMEM, false);
	void *r = pb.take(4096, PageBuffers::Zero::kAll);
	f::disarm();
	CHECK(!r);
	CHECK(pb.live() == PageBuffers::kHeapFirst);
	r = pb.take(4096, PageBuffers::Zero::kAll);
	CHECK(r);
	CHECK(pb.has_region());
	pb.give(r);
	give_all(pb, heap);
}

TEST_CASE("PageBuffers: a region that cannot be mapped leaves every buffer to the C heap") {
	namespace f = lmdb::os::fault;
	PageBuffers pb;
	std::vector<void *> out = take_heap_part(pb, 4096);
	f::arm(lmdb::os::Call::Map, 1, ENOMEM, false);
	void *p = pb.take(4096, PageBuffers::Zero::kAll);  // would reserve the region: its mmap fails
	bool fired = f::fired();
	f::disarm();
	CHECK(fired);
	REQUIRE(p);
	out.push_back(p);
	CHECK(!pb.has_region());
	CHECK(!pb.owns_for_test(p));
	CHECK(all_bytes(p, 4096, 0));
	// Not tried again: the heap from now on.
	for (int i = 0; i < 100; i++) out.push_back(pb.take(4096, PageBuffers::Zero::kAll));
	CHECK(!pb.has_region());
	CHECK(pb.live() == out.size());
	give_all(pb, out);
	CHECK(pb.live() == 0);
}

// Under ASan: a closed env's region leaves no poisoned shadow behind for
// whatever the system maps at those addresses next (a data file's map).
TEST_CASE("PageBuffers: the region's addresses are usable again once it is gone") {
	void *first = nullptr;
	{
		PageBuffers pb;
		std::vector<void *> heap = take_heap_part(pb, 4096);
		first = pb.take(4096, PageBuffers::Zero::kAll);
		REQUIRE(first);
		REQUIRE(pb.touched_bytes() > 0);  // from the region, its first buffer
		pb.give(first);
		give_all(pb, heap);
		pb.txn_ended();
	}
	void *m = ::mmap(first, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
	                 -1, 0);
	REQUIRE(m == first);
	auto *bytes = static_cast<volatile unsigned char *>(m);
	unsigned sum = 0;
	for (size_t i = 0; i < (1 << 16); i += 64) sum += bytes[i];
	CHECK(sum == 0);
	::munmap(m, 1 << 16);
}

TEST_CASE("PageBuffers: without transparent huge pages, buffers come from the C heap") {
	PageBuffers::huge_pages_for_test = 0;
	PageBuffers pb;
	std::vector<void *> out;
	for (size_t i = 0; i < PageBuffers::kHeapFirst + 300; i++) out.push_back(pb.take(4096, PageBuffers::Zero::kAll));
	PageBuffers::huge_pages_for_test = 1;
	CHECK(!pb.has_region());
	CHECK(pb.live() == out.size());
	CHECK(all_bytes(out.back(), 4096, 0));
	give_all(pb, out);
	CHECK(pb.live() == 0);
}

TEST_CASE("PageBuffers: under a limit on address space, buffers come from the C heap") {
	struct rlimit old {};
	REQUIRE(::getrlimit(RLIMIT_AS, &old) == 0);
	REQUIRE(old.rlim_cur == RLIM_INFINITY);  // the test runs unlimited
	// A limit far above anything used, so that only its presence matters.
	struct rlimit lim = old;
	lim.rlim_cur = RLIM_INFINITY - 1;
	REQUIRE(::setrlimit(RLIMIT_AS, &lim) == 0);
	PageBuffers pb;
	std::vector<void *> out;
	for (size_t i = 0; i < PageBuffers::kHeapFirst + 300; i++) {
		void *p = pb.take(4096, PageBuffers::Zero::kAll);
		if (!p) break;
		out.push_back(p);
	}
	REQUIRE(::setrlimit(RLIMIT_AS, &old) == 0);
	REQUIRE(out.size() == PageBuffers::kHeapFirst + 300);
	CHECK(all_bytes(out.back(), 4096, 0));
	CHECK(!pb.has_region());
	CHECK(pb.live() == out.size());
	give_all(pb, out);  // kept or freed by the C heap (ASan/LSan check)
	CHECK(pb.live() == 0);
	// Still heap memory after the limit is gone: the choice is made once.
	out.clear();
	for (size_t i = 0; i < PageBuffers::kHeapFirst + 10; i++) out.push_back(pb.take(4096, PageBuffers::Zero::kAll));
	CHECK(!pb.has_region());
	give_all(pb, out);
}

TEST_CASE("page buffers of an env: released by address, rewound after each write txn") {
	TempDir dir;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, size_t(1) << 30) == 0);
	REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0664) == 0);
	auto &pb = env->page_buffers;

	// A one-page buffer whose header claims an overflow run goes back to
	// the region all the same (a page copied from a damaged file may say
	// anything); a run of pages goes back to the heap (LSan: no leak).
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	size_t before = pb.live();
	lmdb::Page *one = lmdb::page_buffer_alloc(env, 1);
	lmdb::Page *run = lmdb::page_buffer_alloc(env, 3);
	REQUIRE((one && run));
	CHECK(pb.live() == before + 1);
	CHECK(pb.runs_live() == 1);
	one->flags = lmdb::format::P_OVERFLOW;
	one->overflow_pages = 9;
	lmdb::page_buffer_release(env, one);
	CHECK(pb.runs_live() == 1);  // the one-page buffer was not taken for it
	lmdb::page_buffer_release(env, run);
	CHECK(pb.live() == before);
	CHECK(pb.runs_live() == 0);
	mdb_txn_abort(txn);
	CHECK(pb.live() == 0);

	// A txn bigger than the retained part, committed, then aborted, then
	// nested: every buffer is back when the top-level txn has ended.
	MDB_dbi dbi;
	std::string value(600, 'v');
	for (int round = 0; round < 3; round++) {
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
		REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
		MDB_txn *work = txn;
		if (round == 2) REQUIRE(mdb_txn_begin(env, txn, 0, &work) == 0);
		for (int i = 0; i < 40000; i++) {
			char k[16];
			std::snprintf(k, sizeof k, "%08d", (i * 7919) % 40000);
			MDB_val key = val(k), data = val(value);
			REQUIRE(mdb_put(work, dbi, &key, &data, 0) == 0);
		}
		CHECK(pb.live() > PageBuffers::kRetainBytes / 4096);
		if (round == 1) {
			mdb_txn_abort(txn);
		} else {
			if (work != txn) REQUIRE(mdb_txn_commit(work) == 0);
			REQUIRE(mdb_txn_commit(txn) == 0);
		}
		CHECK(pb.live() == 0);
		CHECK(pb.touched_bytes() <= PageBuffers::kRetainBytes);
	}
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_stat st;
	REQUIRE(mdb_stat(txn, dbi, &st) == 0);
	CHECK(st.ms_entries == 40000);
	MDB_val key = val("00039999"), data;
	REQUIRE(mdb_get(txn, dbi, &key, &data) == 0);
	CHECK(str(data) == value);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

namespace {
// Fills each buffer with a byte of its own and checks them all: the
// buffers handed out never overlap, whatever they came from.
void check_disjoint(const std::vector<void *> &v, size_t psize) {
	for (size_t i = 0; i < v.size(); i++) std::memset(v[i], int(i * 7 + 1) & 0xff, psize);
	for (size_t i = 0; i < v.size(); i++) REQUIRE(all_bytes(v[i], psize, (i * 7 + 1) & 0xff));
}
}  // namespace

TEST_CASE("PageBuffers: when the region cannot grow, the C heap serves until it can") {
	namespace f = lmdb::os::fault;
	PageBuffers pb;
	std::vector<void *> out = take_heap_part(pb, 4096);
	// The region's first writable part holds 2 MiB / (4096 + 64) buffers.
	size_t first_part = 0;
	for (;;) {
		f::count_all();
		void *p = pb.take(4096, PageBuffers::Zero::kAll);
		unsigned maps = f::calls(lmdb::os::Call::Map);
		f::disarm();
		REQUIRE(p);
		REQUIRE(pb.owns_for_test(p));
		out.push_back(p);
		if (first_part > 0 && maps > 0) break;  // this one needed the region to grow
		first_part++;
		REQUIRE(first_part < 10000);
	}
	CHECK(first_part == (size_t(2) << 20) / (4096 + 64));
	// Growing it the next time fails: that buffer comes from the heap, zeroed.
	f::arm(lmdb::os::Call::Map, 1, ENOMEM, false);
	void *h = nullptr;
	for (int i = 0; i < 10000 && !f::fired(); i++) {
		h = pb.take(4096, PageBuffers::Zero::kAll);
		REQUIRE(h);
		out.push_back(h);
		if (!f::fired()) REQUIRE(pb.owns_for_test(h));
	}
	bool fired = f::fired();
	f::disarm();
	CHECK(fired);
	CHECK(!pb.owns_for_test(h));
	CHECK(all_bytes(h, 4096, 0));
	// Growing works again: the region serves again.
	void *r = pb.take(4096, PageBuffers::Zero::kAll);
	REQUIRE(r);
	CHECK(pb.owns_for_test(r));
	CHECK(all_bytes(r, 4096, 0));
	out.push_back(r);
	check_disjoint(out, 4096);
	give_all(pb, out);
	CHECK(pb.live() == 0);
	pb.txn_ended();
}

TEST_CASE("PageBuffers: a full region leaves the rest of the txn to the C heap") {
	PageBuffers pb;
	pb.set_capacity_for_test(600);  // 2.4 MiB, rounded up to 4 MiB
	std::vector<void *> out = take_heap_part(pb, 4096);
	size_t in_region = 0;
	for (;;) {
		void *p = pb.take(4096, PageBuffers::Zero::kAll);
		REQUIRE(p);
		out.push_back(p);
		if (!pb.owns_for_test(p)) break;
		in_region++;
		REQUIRE(in_region < 5000);
	}
	// Every whole buffer of the 4 MiB, none past its end.
	CHECK(in_region == ((size_t(4) << 20) - 4096) / (4096 + 64) + 1);
	CHECK(all_bytes(out.back(), 4096, 0));
	for (int i = 0; i < 50; i++) {
		void *p = pb.take(4096, PageBuffers::Zero::kAll);
		REQUIRE(p);
		CHECK(!pb.owns_for_test(p));
		out.push_back(p);
	}
	check_disjoint(out, 4096);
	CHECK(pb.live() == out.size());
	give_all(pb, out);
	CHECK(pb.live() == 0);
	// The next txn has the whole region again.
	pb.txn_ended();
	out = take_heap_part(pb, 4096);
	void *p = pb.take(4096, PageBuffers::Zero::kNo);
	REQUIRE(p);
	CHECK(pb.owns_for_test(p));
	pb.give(p);
	give_all(pb, out);
}
