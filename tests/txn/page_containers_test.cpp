// The page-number list and the dirty-page table of write transactions, and
// the selection of pages to write.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "txn/dirty_pages.h"
#include "txn/page_list.h"
#include "txn/page_writer.h"
#include "util/fault.h"

using lmdb::DirtyPages;
using lmdb::PageList;
using lmdb::pgno_t;

TEST_CASE("PageList sorts descending, merges and finds") {
	PageList l;
	for (pgno_t p : {5, 9, 2, 7}) REQUIRE(l.push(p) == 0);
	l.sort_descending();
	REQUIRE(l.size() == 4);
	CHECK((l[0] == 9 && l[1] == 7 && l[2] == 5 && l[3] == 2));
	pgno_t more[] = {8, 6, 3};
	REQUIRE(l.merge_descending(more, 3) == 0);
	std::vector<pgno_t> got(l.data(), l.data() + l.size());
	CHECK(got == std::vector<pgno_t>{9, 8, 7, 6, 5, 3, 2});
	CHECK(l.find_descending(6) == 3);
	CHECK(l.find_descending(4) == l.size());
	l.erase_at(0);
	CHECK(l[0] == 8);
	REQUIRE(l.push_range(100, 3) == 0);
	CHECK((l[l.size() - 1] == 102 && l.size() == 9));
}

TEST_CASE("PageList merges page numbers stored at any alignment") {
	// A free-list record is read where its node sits in the map: a damaged
	// page can put it at an odd address (UBSan checks the loads).
	const pgno_t src[] = {40, 30, 20, 10};
	alignas(8) unsigned char buf[sizeof src + 8];
	for (size_t shift = 0; shift < 8; shift++) {
		std::memcpy(buf + shift, src, sizeof src);
		PageList l;
		for (pgno_t p : {35, 25, 5}) REQUIRE(l.push(p) == 0);
		REQUIRE(l.merge_descending(buf + shift, 4) == 0);
		std::vector<pgno_t> got(l.data(), l.data() + l.size());
		CHECK(got == std::vector<pgno_t>{40, 35, 30, 25, 20, 10, 5});
	}
}

TEST_CASE("PageList merge keeps descending order on random input") {
	std::mt19937_64 rng(42);
	for (int round = 0; round < 50; round++) {
		std::set<pgno_t, std::greater<pgno_t>> all;
		PageList l;
		std::vector<pgno_t> b;
		for (int i = 0; i < 200; i++) {
			pgno_t p = rng() % 100000;
			if (!all.insert(p).second) continue;
			if (rng() & 1)
				l.push(p);
			else
				b.push_back(p);
		}
		l.sort_descending();
		std::sort(b.begin(), b.end(), std::greater<pgno_t>());
		REQUIRE(l.merge_descending(b.data(), b.size()) == 0);
		std::vector<pgno_t> got(l.data(), l.data() + l.size());
		CHECK(got == std::vector<pgno_t>(all.begin(), all.end()));
	}
}

TEST_CASE("PageList sorts lists of every small size and around the insertion-sort bound") {
	std::mt19937_64 rng(11);
	for (size_t n = 0; n <= 40; n++) {
		for (int round = 0; round < 20; round++) {
			PageList l;
			std::vector<pgno_t> want;
			for (size_t i = 0; i < n; i++) {
				pgno_t p = rng() % (round < 10 ? 8 : 1000000);  // with repeats, and without
				REQUIRE(l.push(p) == 0);
				want.push_back(p);
			}
			l.sort_descending();
			std::sort(want.begin(), want.end(), std::greater<pgno_t>());
			std::vector<pgno_t> got(l.data(), l.data() + l.size());
			CHECK(got == want);
		}
	}
}

TEST_CASE("DirtyPages behaves like a map under random inserts and erases") {
	std::mt19937_64 rng(7);
	DirtyPages d;
	std::map<pgno_t, void *> model;
	static char pages[4096];
	for (int i = 0; i < 200000; i++) {
		pgno_t p = rng() % 5000;
		void *ptr = pages + (rng() % 4096);
		switch (rng() % 3) {
		case 0:
		case 1:
			REQUIRE(d.insert(p, ptr) == 0);
			model[p] = ptr;
			break;
		default: {
			void *got = d.erase(p);
			auto it = model.find(p);
			CHECK(got == (it == model.end() ? nullptr : it->second));
			if (it != model.end()) model.erase(it);
		}
		}
		if (i % 1000 == 0) {
			REQUIRE(d.size() == model.size());
			for (auto &[k, v] : model) REQUIRE(d.find(k) == v);
		}
	}
	size_t seen = 0;
	d.for_each([&](pgno_t k, void *v) {
		seen++;
		CHECK(model.at(k) == v);
	});
	CHECK(seen == model.size());
	d.clear();
	CHECK(d.size() == 0);
	CHECK(d.find(1) == nullptr);
}

TEST_CASE("DirtyPages starts small and gives back a large table once mostly empty") {
	DirtyPages d;
	CHECK(d.capacity() == 0);
	int page;
	REQUIRE(d.insert(7, &page) == 0);
	CHECK(d.capacity() <= 64);  // a one-page txn touches little memory
	for (pgno_t p = 100; p < 100000; p++) REQUIRE(d.insert(p, &page) == 0);
	size_t big = d.capacity();
	CHECK(big >= 2 * d.size());
	d.clear();
	CHECK(d.size() == 0);
	CHECK(d.find(7) == nullptr);
	// The first small txn after it still uses the big table; clearing it
	// then gives it back, so later small txns do not clear it at each commit.
	for (pgno_t p = 1; p < 50; p++) REQUIRE(d.insert(p, &page) == 0);
	CHECK(d.capacity() == big);
	d.clear();
	CHECK(d.capacity() == 0);
	for (pgno_t p = 1; p < 50; p++) REQUIRE(d.insert(p, &page) == 0);
	CHECK(d.capacity() <= 128);
	CHECK(d.find(49) == &page);
	CHECK(d.find(50) == nullptr);
	d.clear();
	CHECK(d.find(49) == nullptr);
}

TEST_CASE("DirtyPages keeps a few pages without a table and moves them into one past eight") {
	DirtyPages d;
	static char pages[64];
	std::map<pgno_t, void *> model;
	auto same = [&] {
		REQUIRE(d.size() == model.size());
		for (auto &[k, v] : model) REQUIRE(d.find(k) == v);
		CHECK(d.find(999) == nullptr);
		size_t seen = 0;
		d.for_each([&](pgno_t k, void *v) {
			seen++;
			CHECK(model.at(k) == v);
		});
		CHECK(seen == model.size());
	};
	for (int round = 0; round < 3; round++) {
		const size_t table = d.capacity();  // none at first, then kept: 64 slots
		CHECK(table == (round ? 64u : 0u));
		for (pgno_t p = 1; p <= 8; p++) {
			REQUIRE(d.insert(p * 3, pages + p) == 0);
			model[p * 3] = pages + p;
			same();
		}
		CHECK(d.capacity() == table);  // eight pages: no table grown
		REQUIRE(d.insert(6, pages + 40) == 0);  // replaced, not added
		model[6] = pages + 40;
		same();
		CHECK(d.erase(9) == pages + 3);
		model.erase(9);
		CHECK(d.erase(9) == nullptr);
		same();
		for (pgno_t p = 100; p < 102; p++) {  // the ninth and tenth page
			REQUIRE(d.insert(p, pages + p - 90) == 0);
			model[p] = pages + p - 90;
			same();
		}
		CHECK(d.capacity() >= 2 * d.size());
		CHECK(d.erase(24) == pages + 8);
		model.erase(24);
		same();
		d.clear();
		model.clear();
		same();
	}
	// A table left by a big txn goes back at the end of the next txn that
	// did not need it.
	for (pgno_t p = 1; p < 20000; p++) REQUIRE(d.insert(p, pages) == 0);
	d.clear();
	CHECK(d.capacity() > 4096);
	REQUIRE(d.insert(5, pages) == 0);
	CHECK(d.find(5) == pages);
	d.clear();
	CHECK(d.capacity() == 0);
	CHECK(d.find(5) == nullptr);
}


TEST_CASE("take_highest_page_refs puts the highest page numbers first, sorted") {
	std::mt19937 rng(5);
	for (size_t n : {0u, 1u, 2u, 7u, 100u, 1000u}) {
		std::vector<lmdb::PageRef> all(n);
		for (size_t i = 0; i < n; i++) all[i] = lmdb::PageRef{lmdb::pgno_t(rng() % 5000) * 2 + i % 2, nullptr};
		std::vector<lmdb::pgno_t> expect;
		for (auto &r : all) expect.push_back(r.pgno);
		std::sort(expect.begin(), expect.end());
		for (size_t want : {size_t(0), size_t(1), n / 8, n / 2, n ? n - 1 : 0, n}) {
			if (want > n) continue;
			std::vector<lmdb::PageRef> items = all;
			lmdb::take_highest_page_refs(items.data(), n, want);
			std::vector<lmdb::pgno_t> got;
			for (size_t i = 0; i < want; i++) got.push_back(items[i].pgno);
			CHECK(got == std::vector<lmdb::pgno_t>(expect.end() - long(want), expect.end()));
			std::vector<lmdb::pgno_t> whole;
			for (auto &r : items) whole.push_back(r.pgno);
			std::sort(whole.begin(), whole.end());
			CHECK(whole == expect);  // nothing lost or duplicated
		}
	}
}

TEST_CASE("sort_page_refs sorts by page number at every size around the small-list cut, pages kept with their numbers") {
	std::mt19937 rng(17);
	for (size_t n = 0; n <= 40; n++) {
		for (int round = 0; round < 20; round++) {
			std::vector<lmdb::PageRef> items(n);
			std::vector<char> tags(n);
			for (size_t i = 0; i < n; i++) {
				// Few distinct values at small n: ties too.
				items[i] = lmdb::PageRef{lmdb::pgno_t(rng() % (round % 2 ? 4 : 1000)),
				                         reinterpret_cast<lmdb::format::PageHeader *>(&tags[i])};
			}
			std::vector<std::pair<lmdb::pgno_t, void *>> expect;
			for (auto &r : items) expect.emplace_back(r.pgno, r.page);
			std::sort(expect.begin(), expect.end());
			lmdb::sort_page_refs(items.data(), n);
			for (size_t i = 1; i < n; i++) CHECK(items[i - 1].pgno <= items[i].pgno);
			std::vector<std::pair<lmdb::pgno_t, void *>> got;
			for (auto &r : items) got.emplace_back(r.pgno, r.page);
			std::sort(got.begin(), got.end());
			CHECK(got == expect);  // every page still under its own number
		}
	}
}

TEST_CASE("PageSet agrees with std::set, at chunk edges and far apart") {
	lmdb::PageSet s;
	std::set<pgno_t> model;
	std::mt19937_64 rng(11);
	const pgno_t chunk = lmdb::PageSet::kChunkPages;
	std::vector<pgno_t> probes = {0, 1, 63, 64, chunk - 1, chunk, chunk + 1, 2 * chunk - 1, 2 * chunk,
	                              1000 * chunk + 5, (pgno_t(1) << 32) + 3};
	for (int i = 0; i < 3000; i++) probes.push_back(pgno_t(rng() % (40 * chunk)));
	for (int round = 0; round < 4; round++) {
		for (pgno_t pg : probes) {
			if (rng() % 3) {
				REQUIRE(s.insert(pg) == 0);
				model.insert(pg);
			} else {
				s.erase(pg);
				model.erase(pg);
			}
		}
		REQUIRE(s.size() == model.size());
		for (pgno_t pg : probes) REQUIRE(s.contains(pg) == (model.count(pg) == 1));
		CHECK(!s.contains(3 * (pgno_t(1) << 32)));  // past the directory
		std::vector<pgno_t> seen;
		s.for_each([&](pgno_t pg) { seen.push_back(pg); });
		CHECK(seen == std::vector<pgno_t>(model.begin(), model.end()));
	}
	CHECK(s.bytes() > 0);
	s.clear();
	CHECK(s.size() == 0);
	CHECK(s.bytes() == 0);
	for (pgno_t pg : probes) REQUIRE(!s.contains(pg));
	// Inserting twice counts once; erasing what is absent changes nothing.
	REQUIRE(s.insert(7) == 0);
	REQUIRE(s.insert(7) == 0);
	s.erase(8);
	s.erase(5 * chunk);
	CHECK(s.size() == 1);
}

TEST_CASE("PageSet: an allocation that fails leaves the set as it was") {
	namespace f = lmdb::os::fault;
	lmdb::PageSet s;
	REQUIRE(s.insert(3) == 0);
	for (unsigned nth = 1; nth <= 2; nth++) {
		f::arm(lmdb::os::Call::Alloc, nth, ENOMEM, false);
		int rc = 0;
		// A page in a new chunk past the directory: a realloc, then a calloc.
		for (pgno_t pg = 100 * lmdb::PageSet::kChunkPages; rc == 0 && !f::fired(); pg += lmdb::PageSet::kChunkPages * 50)
			rc = s.insert(pg);
		f::disarm();
		CHECK(rc == ENOMEM);
		CHECK(s.contains(3));
	}
	std::vector<pgno_t> seen;
	s.for_each([&](pgno_t pg) { seen.push_back(pg); });
	CHECK(seen.size() == s.size());
}
