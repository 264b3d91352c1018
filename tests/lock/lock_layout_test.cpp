// The lock file has LMDB 0.9's layout on x86-64 Linux.
#include <catch2/catch.hpp>

#include <cstddef>

#include "lock/lock_layout.h"

using namespace lmdb::lock;

TEST_CASE("lock file header, writer line and reader slots have upstream's offsets", "[lock]") {
	CHECK(sizeof(pthread_mutex_t) == 40);
	CHECK(offsetof(LockHeader, magic) == 0);
	CHECK(offsetof(LockHeader, format) == 4);
	CHECK(offsetof(LockHeader, reader_mutex) == 8);
	CHECK(offsetof(LockHeader, txnid) == 48);
	CHECK(offsetof(LockHeader, numreaders) == 56);
	CHECK(sizeof(LockHeader) == 64);
	CHECK(offsetof(LockFile, writer) == 64);
	CHECK(offsetof(WriterLine, writer_mutex) == 0);
	CHECK(sizeof(LockFile) == 128);
	CHECK(sizeof(ReaderSlot) == 64);
	CHECK(offsetof(ReaderSlot, txnid) == 0);
	CHECK(offsetof(ReaderSlot, pid) == 8);
	CHECK(offsetof(ReaderSlot, tid) == 16);
}

TEST_CASE("lock file constants and size formula", "[lock]") {
	CHECK(kLockMagic == 0xBEEFC0DEu);
	CHECK(kLockFormat == 0x00010001u);
	CHECK(kNoSnapshot == ~uint64_t(0));
	CHECK(lock_file_size(1) == 192);
	CHECK(lock_file_size(126) == 8192);
	CHECK(slots_in_file(8192) == 126);
	CHECK(slots_in_file(8192 + 63) == 126);
	CHECK(slots_in_file(192) == 1);
}
