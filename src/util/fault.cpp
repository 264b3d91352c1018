#include "util/fault.h"

#include <cerrno>
#include <cstdlib>
#include <pthread.h>

namespace lmdb::os::fault {

std::atomic<bool> g_armed{false};

namespace {

// The plan and the counters; the armed path is for tests, so one mutex.
// (pthread's: std::mutex would pull in the C++ runtime's exceptions.)
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
struct Guard {
	Guard() { pthread_mutex_lock(&g_mutex); }
	~Guard() { pthread_mutex_unlock(&g_mutex); }
};
Call g_kind = Call::Write;
bool g_one_kind = false;  // false: count every kind, fail none
unsigned g_nth = 0;
int g_err = 0;
bool g_after = false;
bool g_fired = false;
unsigned g_calls[kCallKinds] = {};

enum class Verdict { Pass, FailBefore, FailAfter };

Verdict next_call(Call kind) {
	Guard lock;
	unsigned n = ++g_calls[unsigned(kind)];
	if (!g_one_kind || kind != g_kind || n != g_nth || g_fired) return Verdict::Pass;
	g_fired = true;
	return g_after ? Verdict::FailAfter : Verdict::FailBefore;
}

int planned_error() {
	Guard lock;
	return g_err;
}

// Runs `call` unless the verdict fails before it; returns the failure
// value with errno set when the verdict is a failure.
template <class R, class F>
R run(Call kind, R failure, F call) {
	Verdict v = next_call(kind);
	if (v == Verdict::FailBefore) {
		errno = planned_error();
		return failure;
	}
	R r = call();
	if (v == Verdict::FailAfter) {
		errno = planned_error();
		return failure;
	}
	return r;
}

}  // namespace

void arm(Call kind, unsigned nth, int err, bool after) {
	Guard lock;
	g_kind = kind;
	g_one_kind = true;
	g_nth = nth;
	g_err = err;
	g_after = after;
	g_fired = false;
	for (unsigned &c : g_calls) c = 0;
	g_armed.store(true);
}

void count_all() {
	Guard lock;
	g_one_kind = false;
	g_fired = false;
	for (unsigned &c : g_calls) c = 0;
	g_armed.store(true);
}

void disarm() { g_armed.store(false); }

unsigned calls(Call kind) {
	Guard lock;
	return g_calls[unsigned(kind)];
}

bool fired() {
	Guard lock;
	return g_fired;
}

ssize_t pwrite_slow(int fd, const void *buf, size_t len, off_t off) {
	return run(Call::Write, ssize_t(-1), [&] { return ::pwrite(fd, buf, len, off); });
}
ssize_t pwritev_slow(int fd, const struct iovec *iov, int n, off_t off) {
	return run(Call::Write, ssize_t(-1), [&] { return ::pwritev(fd, iov, n, off); });
}
ssize_t write_slow(int fd, const void *buf, size_t len) {
	return run(Call::Write, ssize_t(-1), [&] { return ::write(fd, buf, len); });
}
int fdatasync_slow(int fd) {
	return run(Call::Sync, -1, [&] { return ::fdatasync(fd); });
}
int fsync_slow(int fd) {
	return run(Call::Sync, -1, [&] { return ::fsync(fd); });
}
int msync_slow(void *addr, size_t len, int flags) {
	return run(Call::Msync, -1, [&] { return ::msync(addr, len, flags); });
}
int ftruncate_slow(int fd, off_t len) {
	return run(Call::Truncate, -1, [&] { return ::ftruncate(fd, len); });
}
void *mmap_slow(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
	// A mapping made and then reported as failed would leak: a fault
	// after mmap is the same as one before it.
	Verdict v = next_call(Call::Map);
	if (v != Verdict::Pass) {
		errno = planned_error();
		return MAP_FAILED;
	}
	return ::mmap(addr, len, prot, flags, fd, off);
}
int mprotect_slow(void *addr, size_t len, int prot) {
	if (next_call(Call::Map) != Verdict::Pass) {
		errno = planned_error();
		return -1;
	}
	return ::mprotect(addr, len, prot);
}
int fallocate_slow(int fd, off_t off, off_t len) {
	Verdict v = next_call(Call::Allocate);
	if (v == Verdict::FailBefore) return planned_error();
	int r = ::posix_fallocate(fd, off, len);
	if (v == Verdict::FailAfter) return planned_error();
	return r;
}

// An allocation fails before it is made (after would be a leak), always
// with ENOMEM: that is what the callers check for (a null pointer).
bool alloc_fails() {
	if (next_call(Call::Alloc) == Verdict::Pass) return false;
	errno = ENOMEM;
	return true;
}
void *malloc_slow(size_t size) { return alloc_fails() ? nullptr : std::malloc(size); }
void *calloc_slow(size_t n, size_t size) { return alloc_fails() ? nullptr : std::calloc(n, size); }
void *realloc_slow(void *p, size_t size) { return alloc_fails() ? nullptr : std::realloc(p, size); }

}  // namespace lmdb::os::fault
