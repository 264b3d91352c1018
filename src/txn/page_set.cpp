#include "txn/page_set.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/fault.h"

namespace lmdb {

int PageSet::insert(pgno_t pg) {
	size_t c = pg / kChunkPages;
	if (c >= dir_size_) {
		size_t n = dir_size_ ? dir_size_ : 16;
		while (n <= c) n *= 2;
		void *d = os::sys_realloc(dir_, n * sizeof *dir_);
		if (!d) return ENOMEM;
		dir_ = static_cast<uint64_t **>(d);
		std::memset(dir_ + dir_size_, 0, (n - dir_size_) * sizeof *dir_);
		dir_size_ = n;
	}
	if (!dir_[c]) {
		dir_[c] = static_cast<uint64_t *>(os::sys_calloc(kWords, sizeof(uint64_t)));
		if (!dir_[c]) return ENOMEM;
		chunks_++;
	}
	size_t bit = pg % kChunkPages;
	uint64_t mask = uint64_t(1) << (bit % 64);
	uint64_t &word = dir_[c][bit / 64];
	if (!(word & mask)) {
		word |= mask;
		count_++;
	}
	return 0;
}

void PageSet::erase(pgno_t pg) {
	size_t c = pg / kChunkPages;
	if (c >= dir_size_ || !dir_[c]) return;
	size_t bit = pg % kChunkPages;
	uint64_t mask = uint64_t(1) << (bit % 64);
	uint64_t &word = dir_[c][bit / 64];
	if (word & mask) {
		word &= ~mask;
		count_--;
	}
}

void PageSet::release() {
	for (size_t c = 0; c < dir_size_; c++) std::free(dir_[c]);
	std::free(dir_);
	dir_ = nullptr;
	dir_size_ = chunks_ = count_ = 0;
}

size_t PageSet::bytes() const { return dir_size_ * sizeof *dir_ + chunks_ * kWords * sizeof(uint64_t); }

}  // namespace lmdb
