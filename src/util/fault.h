// The OS layer's system calls that change files or mappings, and the heap
// allocations of src/ (malloc, calloc, realloc), in one place, with a seam
// for fault-injection tests: a test arms it to fail the Nth call of a kind
// with a chosen errno, either before the call (nothing happens) or after it
// (the call took effect, the caller is told it failed, as when a write
// reached the page cache and writeback then failed).  An allocation, like
// a mapping, only fails before: it returns nullptr, errno ENOMEM whatever
// errno was chosen, and realloc leaves the old block as it was.
//
// Disarmed, each wrapper costs one relaxed load of a global and a branch
// that is always predicted.  The arming functions are internal symbols:
// the unit tests reach them through the static library; the shared
// library does not export them (src/api/exports.map, tests/abi_check.sh).
#pragma once

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fcntl.h>

namespace lmdb::os {

// (Allocate is posix_fallocate, blocks of a file; Alloc is the heap.)
enum class Call : unsigned { Write, Sync, Msync, Truncate, Map, Allocate, Alloc, Count_ };
inline constexpr unsigned kCallKinds = unsigned(Call::Count_);

namespace fault {
extern std::atomic<bool> g_armed;

// Test hooks.  arm(): from now on count the calls of `kind`; the `nth`
// (1-based; 0 = only count) fails with `err`, before it takes effect or,
// if `after`, once it has.  Each call of the kind fails only once.
void arm(Call kind, unsigned nth, int err, bool after);
// Count the calls of every kind, failing none.
void count_all();
void disarm();
// Calls of `kind` seen since arm()/count_all().
unsigned calls(Call kind);
// Whether the armed fault has fired.
bool fired();

// The armed paths (fault.cpp).
ssize_t pwrite_slow(int fd, const void *buf, size_t len, off_t off);
ssize_t pwritev_slow(int fd, const struct iovec *iov, int n, off_t off);
ssize_t write_slow(int fd, const void *buf, size_t len);
int fdatasync_slow(int fd);
int fsync_slow(int fd);
int msync_slow(void *addr, size_t len, int flags);
int ftruncate_slow(int fd, off_t len);
void *mmap_slow(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int mprotect_slow(void *addr, size_t len, int prot);
int fallocate_slow(int fd, off_t off, off_t len);
bool alloc_fails();  // counts an Alloc call; true if it is the one to fail
void *malloc_slow(size_t size);
void *calloc_slow(size_t n, size_t size);
void *realloc_slow(void *p, size_t size);
}  // namespace fault

#define LMDB_FAULT_ARMED() __builtin_expect(fault::g_armed.load(std::memory_order_relaxed), 0)

inline ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off) {
	if (LMDB_FAULT_ARMED()) return fault::pwrite_slow(fd, buf, len, off);
	return ::pwrite(fd, buf, len, off);
}
inline ssize_t sys_pwritev(int fd, const struct iovec *iov, int n, off_t off) {
	if (LMDB_FAULT_ARMED()) return fault::pwritev_slow(fd, iov, n, off);
	return ::pwritev(fd, iov, n, off);
}
inline ssize_t sys_write(int fd, const void *buf, size_t len) {
	if (LMDB_FAULT_ARMED()) return fault::write_slow(fd, buf, len);
	return ::write(fd, buf, len);
}
inline int sys_fdatasync(int fd) {
	if (LMDB_FAULT_ARMED()) return fault::fdatasync_slow(fd);
	return ::fdatasync(fd);
}
inline int sys_fsync(int fd) {
	if (LMDB_FAULT_ARMED()) return fault::fsync_slow(fd);
	return ::fsync(fd);
}
inline int sys_msync(void *addr, size_t len, int flags) {
	if (LMDB_FAULT_ARMED()) return fault::msync_slow(addr, len, flags);
	return ::msync(addr, len, flags);
}
inline int sys_ftruncate(int fd, off_t len) {
	if (LMDB_FAULT_ARMED()) return fault::ftruncate_slow(fd, len);
	return ::ftruncate(fd, len);
}
inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
	if (LMDB_FAULT_ARMED()) return fault::mmap_slow(addr, len, prot, flags, fd, off);
	return ::mmap(addr, len, prot, flags, fd, off);
}
// Counted and failed as a mapping (Call::Map), before it takes effect.
inline int sys_mprotect(void *addr, size_t len, int prot) {
	if (LMDB_FAULT_ARMED()) return fault::mprotect_slow(addr, len, prot);
	return ::mprotect(addr, len, prot);
}
// posix_fallocate's convention: 0 or an errno value (errno untouched).
inline int sys_fallocate(int fd, off_t off, off_t len) {
	if (LMDB_FAULT_ARMED()) return fault::fallocate_slow(fd, off, len);
	return ::posix_fallocate(fd, off, len);
}

// Every heap allocation of src/ (freed with std::free).
inline void *sys_malloc(size_t size) {
	if (LMDB_FAULT_ARMED()) return fault::malloc_slow(size);
	return std::malloc(size);
}
// For memory the library hands out from its own reserve (page buffers):
// counted and failed as an allocation would be.
inline bool sys_alloc_refused() {
	if (LMDB_FAULT_ARMED()) return fault::alloc_fails();
	return false;
}
inline void *sys_calloc(size_t n, size_t size) {
	if (LMDB_FAULT_ARMED()) return fault::calloc_slow(n, size);
	return std::calloc(n, size);
}
inline void *sys_realloc(void *p, size_t size) {
	if (LMDB_FAULT_ARMED()) return fault::realloc_slow(p, size);
	return std::realloc(p, size);
}

#undef LMDB_FAULT_ARMED

}  // namespace lmdb::os
