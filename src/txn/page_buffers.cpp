#include "txn/page_buffers.h"

#include <sys/mman.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "env/environment.h"
#include "util/fault.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define LMDB_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define LMDB_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define LMDB_POISON(p, n) ((void)(p), (void)(n))
#define LMDB_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace lmdb {

namespace {
constexpr size_t kHuge = size_t(2) << 20;     // a transparent huge page
constexpr size_t kMaxStep = size_t(64) << 20;  // most the region grows by at once
// Buffers are laid out one cache line apart from page alignment (buffer k
// at k * (psize + kSkew)): page-aligned buffers would put every page's
// header and pointer array in the same few cache sets, and a txn's work on
// many dirty pages evicted itself (fillrandom 0.79 against heap buffers,
// whose allocator headers skew them by 16 bytes).
constexpr size_t kSkew = 64;

// Drops the pages of [p, p + n) and makes the range inaccessible again.
bool drop(char *p, size_t n) {
	return ::mmap(p, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) !=
	       MAP_FAILED;
}
}  // namespace

int PageBuffers::huge_pages_for_test = -1;

PageBuffers::~PageBuffers() {
	while (heap_free_) {
		void *p = heap_free_;
		std::memcpy(&heap_free_, p, sizeof heap_free_);
		std::free(p);
	}
	if (!base_) return;
	// The address range goes back to the system, which may map it again
	// for something else (a data file): it must not stay poisoned.
	LMDB_UNPOISON(base_, reserved_);
	::munmap(base_, reserved_);
}

// Whether the system gives huge pages to a region that asks for them
// (transparent_hugepage "always" or "madvise").  Without them the region
// measured slower than heap buffers (fillrandom 0.90): it is not used.
bool huge_pages_available() {
	if (PageBuffers::huge_pages_for_test >= 0) return PageBuffers::huge_pages_for_test != 0;
	int fd = ::open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0) return false;
	char buf[128];
	ssize_t n = ::read(fd, buf, sizeof buf - 1);
	::close(fd);
	if (n <= 0) return false;
	buf[n] = '\0';
	return std::strstr(buf, "[always]") || std::strstr(buf, "[madvise]");
}

// Address space only (no memory is committed for it): huge-page aligned so
// that each 2 MiB of it can be one huge page.
// Not under a limit on address space (ulimit -v): there a gigabyte of
// reserve could make the program's own allocations fail, so the buffers
// come from the C heap as they did before the region.  Nor without huge
// pages.
bool PageBuffers::reserve(size_t psize) {
	struct rlimit as {};
	if (::getrlimit(RLIMIT_AS, &as) != 0 || as.rlim_cur != RLIM_INFINITY || !huge_pages_available()) {
		failed_ = true;
		return false;
	}
	size_t want = (psize + kSkew) * capacity_;
	want = (want + kHuge - 1) & ~(kHuge - 1);
	void *m = os::sys_mmap(nullptr, want + kHuge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		failed_ = true;
		return false;
	}
	char *raw = static_cast<char *>(m);
	char *aligned = reinterpret_cast<char *>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
	if (aligned > raw) ::munmap(raw, size_t(aligned - raw));
	char *end = raw + want + kHuge;
	if (end > aligned + want) ::munmap(aligned + want, size_t(end - (aligned + want)));
	base_ = aligned;
	reserved_ = want;
	LMDB_POISON(base_, reserved_);
	return true;
}

// Makes the next part of the region writable, with huge pages asked for:
// 2 MiB, then steps that double what is writable (at most kMaxStep).
bool PageBuffers::extend(size_t psize) {
	size_t step = writable_ == 0 ? kHuge : (writable_ < kMaxStep ? writable_ : kMaxStep);
	if (step < psize) step = (psize + kHuge - 1) & ~(kHuge - 1);
	if (step > reserved_ - writable_) step = reserved_ - writable_;
	if (step < psize) return false;
	char *p = base_ + writable_;
	// A failure leaves this buffer (and the next ones, until a later
	// extend succeeds) to the C heap.
	if (os::sys_mprotect(p, step, PROT_READ | PROT_WRITE) != 0) return false;
	// Advice only: without it (or without THP) the buffers still work.
	::madvise(p, step, MADV_HUGEPAGE);
	writable_ += step;
	return true;
}

bool PageBuffers::room(size_t psize) {
	while (used_ + psize > writable_)
		if (!extend(psize)) return false;
	return true;
}

void *PageBuffers::take_heap(size_t psize, Zero zero) {
	void *p = heap_free_;
	bool foreign = false;
	if (p) {
		std::memcpy(&heap_free_, p, sizeof heap_free_);
		heap_kept_--;
	} else if (!(p = os::sys_malloc(psize))) {
		return nullptr;
	} else {
		foreign = true;
	}
	if (zero == Zero::kAll || (zero == Zero::kForeign && foreign)) std::memset(p, 0, psize);
	heap_live_++;
	return p;
}

void *PageBuffers::take_general(size_t psize, Zero zero) {
	psize_ = psize;
	if (free_) {
		void *p = free_;
		LMDB_UNPOISON(p, psize);
		std::memcpy(&free_, p, sizeof free_);
		if (zero == Zero::kAll) std::memset(p, 0, psize);
		live_++;
		return p;
	}
	// The region once a txn has outgrown the heap part (or the region is
	// already there), unless kept heap buffers are waiting; the heap for
	// the rest, for a region that cannot be had, and for a full one.
	const bool region = !heap_free_ && !failed_ && (base_ || heap_live_ >= kHeapFirst);
	if (region && (base_ || reserve(psize)) && room(psize)) {
		if (os::sys_alloc_refused()) return nullptr;
		char *p = base_ + used_;
		bool fresh = used_ >= touched_;  // never handed out since mapped: still zero
		used_ += psize + kSkew;
		if (used_ > touched_) touched_ = used_;
		LMDB_UNPOISON(p, psize);
		if (zero == Zero::kAll && !fresh) std::memset(p, 0, psize);
		live_++;
		return p;
	}
	return take_heap(psize, zero);
}

// Out of line: runs are rare, and inlined here it kept `take` from being
// inlined into page_buffer_alloc (30 instructions a buffer).
[[gnu::noinline]] void *PageBuffers::take_run(size_t psize, unsigned npages) {
	psize_ = psize;
	void *p = os::sys_malloc(psize * npages);
	if (p) runs_live_++;
	return p;
}

void PageBuffers::give_general(void *p) {
	if (!p) return;
	if (!owns(p)) {
		// A run of pages is told by the size the C heap gave it, never by
		// its header; only asked while a run is out (most txns have none).
		if (runs_live_ && ::malloc_usable_size(p) >= 2 * psize_) {
			runs_live_--;
			std::free(p);
			return;
		}
		heap_live_--;
		if (heap_kept_ < kHeapKept) {
			std::memcpy(p, &heap_free_, sizeof heap_free_);
			heap_free_ = p;
			heap_kept_++;
		} else {
			std::free(p);
		}
		return;
	}
	std::memcpy(p, &free_, sizeof free_);
	free_ = p;
	live_--;
	// The link stays readable; the rest is out of bounds until taken again.
	LMDB_POISON(static_cast<char *>(p) + sizeof free_, psize_ - sizeof free_);
}

void PageBuffers::txn_ended() {
	if (live_ != 0 || !base_) return;
	free_ = nullptr;
	used_ = 0;
	LMDB_POISON(base_, writable_);
	if (writable_ > kRetainBytes && drop(base_ + kRetainBytes, writable_ - kRetainBytes)) {
		writable_ = kRetainBytes;
		if (touched_ > kRetainBytes) touched_ = kRetainBytes;
	}
}

// ---- the environment's page buffers ---------------------------------------

Page *page_buffer_alloc_run(MDB_env *env, unsigned npages, BufferFill fill) {
	const bool zero = !(env->flags & MDB_NOMEMINIT) && fill == BufferFill::kZero;
	const size_t psize = env->psize;
	char *p = static_cast<char *>(env->page_buffers.take_run(psize, npages));
	if (p && zero) {
		// Keep unused bytes deterministic: never write stale heap contents.
		// A run of pages holds one value that fills all but the last page:
		// only the header and that last page can keep unused bytes.
		std::memset(p, 0, format::kPageHeaderSize);
		std::memset(p + psize * (npages - 1), 0, psize);
	}
	return reinterpret_cast<Page *>(p);
}

}  // namespace lmdb
