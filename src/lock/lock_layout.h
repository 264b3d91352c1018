// Byte layout of the lock file (lock.mdb) as LMDB 0.9 builds it on
// x86-64 Linux with process-shared robust pthread mutexes.  Plain data with
// fixed offsets; docs/lockfile.md describes it in prose.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace lmdb::lock {

using txnid_t = uint64_t;

inline constexpr uint32_t kLockMagic = 0xBEEFC0DE;
// Lock file format word: layout version 1 in the low 16 bits, bit 16 set
// because readers take a per-process liveness lock (a byte lock at offset
// `pid`) in the lock file.
inline constexpr uint32_t kLockVersion = 1;
inline constexpr uint32_t kLockFormat = kLockVersion | (1u << 16);
inline constexpr size_t kCacheLine = 64;

// A slot id that holds no snapshot.
inline constexpr txnid_t kNoSnapshot = ~txnid_t(0);

// One reader slot, one cache line.  pid 0 marks a free slot; txnid is
// kNoSnapshot while the slot is owned but no snapshot is held.
struct ReaderSlot {
	volatile txnid_t txnid;
	volatile pid_t pid;
	volatile pthread_t tid;
	char pad_[kCacheLine - 24];
};

// First cache line of the file.
struct LockHeader {
	uint32_t magic;               // kLockMagic
	uint32_t format;              // kLockFormat
	pthread_mutex_t reader_mutex; // guards slot allocation (numreaders)
	volatile txnid_t txnid;       // last committed txnid, published by writers
	volatile uint32_t numreaders; // high-water mark of slots ever handed out
	char pad_[kCacheLine - 60];
};

// Second cache line: the writer mutex.
struct WriterLine {
	pthread_mutex_t writer_mutex;
	char pad_[kCacheLine - sizeof(pthread_mutex_t)];
};

// The whole file: header, writer line, then `maxreaders` slots.
struct LockFile {
	LockHeader header;
	WriterLine writer;
	// ReaderSlot readers[maxreaders] follows (see slots()).

	ReaderSlot *slots() { return reinterpret_cast<ReaderSlot *>(this + 1); }
};

inline constexpr size_t kLockHeaderBytes = 2 * kCacheLine;  // 128

// Size of a lock file with room for `maxreaders` slots.
constexpr size_t lock_file_size(unsigned maxreaders) {
	return kLockHeaderBytes + size_t(maxreaders) * sizeof(ReaderSlot);
}
// Number of slots a lock file of `bytes` bytes holds (bytes >= 128).
constexpr unsigned slots_in_file(uint64_t bytes) {
	return unsigned((bytes - kLockHeaderBytes) / sizeof(ReaderSlot));
}

// The layout is pinned: glibc x86-64 pthread_mutex_t is 40 bytes.
static_assert(sizeof(pthread_mutex_t) == 40);
static_assert(sizeof(pthread_t) == 8 && sizeof(pid_t) == 4);
static_assert(sizeof(ReaderSlot) == 64);
static_assert(offsetof(ReaderSlot, txnid) == 0);
static_assert(offsetof(ReaderSlot, pid) == 8);
static_assert(offsetof(ReaderSlot, tid) == 16);
static_assert(sizeof(LockHeader) == 64);
static_assert(offsetof(LockHeader, magic) == 0);
static_assert(offsetof(LockHeader, format) == 4);
static_assert(offsetof(LockHeader, reader_mutex) == 8);
static_assert(offsetof(LockHeader, txnid) == 48);
static_assert(offsetof(LockHeader, numreaders) == 56);
static_assert(sizeof(WriterLine) == 64);
static_assert(offsetof(LockFile, header) == 0);
static_assert(offsetof(LockFile, writer) == 64);
static_assert(sizeof(LockFile) == kLockHeaderBytes);
static_assert(kLockFormat == 0x10001);
static_assert(lock_file_size(126) == 8192);

}  // namespace lmdb::lock
