// Objects on the C heap.  The library needs no C++ runtime at all: the
// shared library carries what it uses, and liblmdb.a links into C programs
// with the C compiler alone (as Debian's does), so no operator new/delete.
// nullptr when memory is short, as `new (std::nothrow)` would answer.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

#include "util/fault.h"

namespace lmdb {

template <class T, class... Args> T *heap_new(Args &&...args) {
	static_assert(alignof(T) <= alignof(std::max_align_t));
	void *p = lmdb::os::sys_malloc(sizeof(T));
	return p ? ::new (p) T(std::forward<Args>(args)...) : nullptr;
}

template <class T> void heap_delete(T *p) {
	if (!p) return;
	p->~T();
	std::free(p);
}

// n value-initialised objects; heap_delete_array(p, n) ends them.
template <class T> T *heap_new_array(size_t n) {
	static_assert(alignof(T) <= alignof(std::max_align_t));
	if (n > size_t(-1) / sizeof(T)) return nullptr;
	T *p = static_cast<T *>(lmdb::os::sys_malloc(n ? n * sizeof(T) : 1));
	if (p)
		for (size_t i = 0; i < n; i++) ::new (p + i) T();
	return p;
}

template <class T> void heap_delete_array(T *p, size_t n) {
	if (!p) return;
	for (size_t i = n; i-- > 0;) p[i].~T();
	std::free(p);
}

}  // namespace lmdb
