// The on-disk structures have LMDB 0.9's byte layout on x86-64.
#include <catch2/catch.hpp>

#include <cstddef>

#include "format/layout.h"

using namespace lmdb::format;

TEST_CASE("page header, node and records have upstream's sizes and offsets") {
	CHECK(sizeof(PageHeader) == 16);
	CHECK(offsetof(PageHeader, pad) == 8);
	CHECK(offsetof(PageHeader, flags) == 10);
	CHECK(offsetof(PageHeader, lower) == 12);
	CHECK(offsetof(PageHeader, upper) == 14);
	CHECK(offsetof(PageHeader, overflow_pages) == 12);
	CHECK(sizeof(Node) == 8);
	CHECK(offsetof(Node, ksize) == 6);
	CHECK(sizeof(DbRecord) == 48);
	CHECK(offsetof(DbRecord, root) == 40);
	CHECK(sizeof(Meta) == 136);
	CHECK(offsetof(Meta, txnid) == 128);
}

TEST_CASE("overflow page count matches the upstream formula") {
	CHECK(overflow_pages_for(1, 4096) == 1);
	CHECK(overflow_pages_for(4096 - 16, 4096) == 1);
	CHECK(overflow_pages_for(4096 - 15, 4096) == 2);
	CHECK(overflow_pages_for(65536, 4096) == 17);
}
