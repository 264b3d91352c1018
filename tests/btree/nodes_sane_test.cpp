// The whole-page check done at copy-on-write (nodes_sane, btree/navigate.cpp)
// against a plain pairwise check, on pages with nodes at random offsets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "btree/cursor.h"
#include "btree/offset_set.h"
#include "btree/position_marks.h"

using namespace lmdb;

namespace {

constexpr size_t kSize = 4096;

struct alignas(8) PageBuf {
	unsigned char b[kSize];
	Page *page() { return reinterpret_cast<Page *>(b); }
};

// What the check must answer: every node's padded extent inside
// [upper, size), no two overlapping.
bool expected_sane(Page *p, bool leaf) {
	unsigned n = numkeys(p);
	std::vector<std::pair<size_t, size_t>> ext;
	for (unsigned i = 0; i < n; i++) {
		size_t off = ptrs(p)[i];
		if (off < p->upper || off + kNodeHdr > kSize) return false;
		const Node *nd = node_at(p, i);
		size_t span = kNodeHdr + nd->ksize + (leaf ? node_dsize(nd) : 0);
		if (off + even(span) > kSize) return false;
		ext.push_back({off, off + even(span)});
	}
	for (size_t i = 0; i < ext.size(); i++)
		for (size_t j = i + 1; j < ext.size(); j++)
			if (ext[i].first < ext[j].second && ext[j].first < ext[i].second) return false;
	return true;
}

}  // namespace

TEST_CASE("OffsetSet: duplicates and ascending order", "[btree]") {
	OffsetSet s(100, 4096);
	for (size_t at : {4095, 100, 163, 164, 2000, 127, 128}) CHECK(s.insert(at));
	CHECK_FALSE(s.insert(163));
	CHECK_FALSE(s.insert(4095));
	std::vector<size_t> seen;
	CHECK(s.each_ascending([&](size_t at) { seen.push_back(at); return true; }));
	CHECK(seen == std::vector<size_t>{100, 127, 128, 163, 164, 2000, 4095});
	size_t visits = 0;
	CHECK_FALSE(s.each_ascending([&](size_t at) { visits++; return at < 150; }));
	CHECK(visits == 4);  // stops at the first false
}

TEST_CASE("PositionMarks: one claim per mark, across generations and sizes", "[btree]") {
	PositionMarks marks;
	PositionMarks::Page m;
	REQUIRE(marks.begin(64, &m));
	m.mark(10);
	CHECK(m.claim(10));
	CHECK_FALSE(m.claim(10));  // claimed once only
	CHECK_FALSE(m.claim(12));  // never marked
	// Marks of earlier pages never count, also past the generation counter's
	// wrap-around (every 32k pages).
	uint16_t leftover = 12;
	m.mark(leftover);
	for (unsigned page = 0; page < 70000; page++) {
		size_t size = page % 3 ? 4096 : 32768;
		REQUIRE(marks.begin(size, &m));
		REQUIRE_FALSE(m.claim(leftover));  // marked for the page before
		uint16_t pos = uint16_t(page * 7 % 4090);
		REQUIRE_FALSE(m.claim(pos));
		m.mark(pos);
		REQUIRE(m.claim(pos));
		REQUIRE_FALSE(m.claim(pos));
		leftover = uint16_t(pos + 2 + page % 5);
		REQUIRE_FALSE(m.claim(size + page % 7));  // past the page
		m.mark(leftover);
	}
}

TEST_CASE("nodes_sane: overlap and bounds agree with a pairwise check", "[btree]") {
	std::mt19937 rng(11);
	PositionMarks marks;  // one for all pages, as an environment keeps it
	unsigned sane = 0, rounds = 0;
	for (int round = 0; round < 30000; round++) {
		PageBuf buf;
		std::memset(buf.b, 0, kSize);
		Page *p = buf.page();
		bool leaf = rng() % 4 != 0;
		unsigned n = 1 + rng() % 30;
		p->flags = leaf ? format::P_LEAF : format::P_BRANCH;
		p->lower = uint16_t(kPageHdr + 2 * n);
		// Mostly nodes packed down from the end of the page, as LMDB writes
		// them (sizes even or not), with some disturbed; else anywhere.
		std::vector<unsigned> offs(n), spans(n);
		bool packed = rng() % 3 != 0;
		size_t at = kSize;
		for (unsigned i = 0; i < n; i++) {
			spans[i] = kNodeHdr + rng() % (packed ? 120 : 400);
			if (packed) {
				at -= even(size_t(spans[i]));
				offs[i] = unsigned(at);
			} else {
				offs[i] = unsigned(p->lower + rng() % (kSize - p->lower));
			}
		}
		if (packed && at < p->lower) continue;
		if (packed && rng() % 2) {
			unsigned i = rng() % n;
			int delta = int(rng() % 7) - 3;
			offs[i] = unsigned(int(offs[i]) + delta);
			if (rng() % 2) spans[i] += rng() % 5;
		}
		if (packed && n > 1 && rng() % 8 == 0) {  // two pointers to one node
			unsigned i = rng() % n, j = rng() % n;
			offs[j] = offs[i];
			spans[j] = spans[i];
		}
		// Pointers in key order, which is not the order of placement; or,
		// for half the pages, in the order of placement (keys added in
		// order: the layout nodes_chained takes in one pass).
		bool chained = rng() % 2;
		for (unsigned i = n; i > 1 && !chained; i--) {
			unsigned j = rng() % i;
			std::swap(offs[i - 1], offs[j]);
			std::swap(spans[i - 1], spans[j]);
		}
		unsigned upper = packed ? unsigned(at) : kSize;
		for (unsigned o : offs) upper = std::min(upper, o);
		if (upper < p->lower) continue;
		p->upper = uint16_t(upper);
		if (rng() % 10 == 0 && upper + 2 <= kSize) p->upper = uint16_t(upper + 2);  // a node below upper
		for (unsigned i = 0; i < n; i++) {
			ptrs(p)[i] = indx_t(offs[i]);
			if (offs[i] + kNodeHdr > kSize) continue;
			Node *nd = node_at(p, i);
			nd->flags = 0;
			if (leaf) {
				nd->ksize = uint16_t(rng() % (spans[i] - kNodeHdr + 1));
				set_node_dsize(nd, spans[i] - kNodeHdr - nd->ksize);
			} else {
				nd->ksize = uint16_t(spans[i] - kNodeHdr);
				set_node_pgno(nd, 3);
			}
		}
		// Headers written over each other may have left flags set: those
		// pages test other rules.
		bool flags_clean = true;
		for (unsigned i = 0; i < n; i++)
			if (offs[i] + kNodeHdr <= kSize && node_at(p, i)->flags && leaf) flags_clean = false;
		if (!flags_clean) continue;
		bool want = expected_sane(p, leaf);
		rounds++;
		sane += want;
		INFO("round " << round << " nodes " << n << " packed " << packed << " chained " << chained << " leaf " << leaf);
		REQUIRE(nodes_sane(p, kSize, 0, false, &marks) == want);
		REQUIRE(nodes_sane(p, kSize, 0, false, nullptr) == want);  // the general check alone
	}
	// Both answers are well represented.
	CHECK(rounds > 20000);
	CHECK(sane > rounds / 5);
	CHECK(sane < rounds * 4 / 5);
}

// Layouts the random pages seldom make: nodes that each start at a distinct
// place and end where another node starts or at the page end, but overlap.
TEST_CASE("nodes_sane: nested and chained overlaps", "[btree]") {
	PositionMarks marks;
	// Leaf nodes with no key: a node's span is the header plus its data.
	auto page_with = [](PageBuf &buf, std::vector<std::pair<unsigned, unsigned>> nodes) {  // (offset, span)
		std::memset(buf.b, 0, kSize);
		Page *p = buf.page();
		p->flags = format::P_LEAF;
		p->lower = uint16_t(kPageHdr + 2 * nodes.size());
		unsigned upper = kSize;
		for (size_t i = 0; i < nodes.size(); i++) {
			ptrs(p)[i] = indx_t(nodes[i].first);
			upper = std::min(upper, nodes[i].first);
		}
		p->upper = uint16_t(upper);
		// Written from the highest offset down, so that the lower nodes'
		// headers are the ones left where nodes overlap.
		std::vector<size_t> order(nodes.size());
		for (size_t i = 0; i < order.size(); i++) order[i] = i;
		std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return nodes[a].first > nodes[b].first; });
		for (size_t i : order) {
			Node *nd = node_at(p, unsigned(i));
			nd->flags = 0;
			nd->ksize = 0;
			set_node_dsize(nd, nodes[i].second - kNodeHdr);
		}
		return p;
	};
	PageBuf buf;
	// Tiles the page: sane.
	Page *p = page_with(buf, {{4000, 96}, {3900, 100}, {3800, 100}});
	CHECK(nodes_sane(p, kSize, 0, false, &marks));
	// In the order of placement (node n-1 at upper, each ending where the
	// one before it starts): one node too long, over the next one's start.
	p = page_with(buf, {{4000, 96}, {3900, 104}, {3800, 100}});
	CHECK(expected_sane(p, true) == false);
	CHECK_FALSE(nodes_sane(p, kSize, 0, false, &marks));
	// The last one past the page end.
	p = page_with(buf, {{4000, 98}, {3900, 100}, {3800, 100}});
	CHECK(expected_sane(p, true) == false);
	CHECK_FALSE(nodes_sane(p, kSize, 0, false, &marks));
	// One too short: a gap before the next one's start.
	p = page_with(buf, {{4000, 96}, {3900, 96}, {3800, 100}});
	CHECK(expected_sane(p, true) == true);  // fine, but not tiled: the general check says so
	CHECK(nodes_sane(p, kSize, 0, false, &marks));
	// Two nodes ending at the page end, one inside the other.
	p = page_with(buf, {{3900, 196}, {4000, 96}});
	CHECK(expected_sane(p, true) == false);
	CHECK_FALSE(nodes_sane(p, kSize, 0, false, &marks));
	CHECK_FALSE(nodes_sane(p, kSize, 0, false, nullptr));
	// Two nodes ending where a third starts, one inside the other.
	p = page_with(buf, {{4000, 96}, {3800, 200}, {3900, 100}});
	CHECK(expected_sane(p, true) == false);
	CHECK_FALSE(nodes_sane(p, kSize, 0, false, &marks));
	CHECK_FALSE(nodes_sane(p, kSize, 0, false, nullptr));
}
