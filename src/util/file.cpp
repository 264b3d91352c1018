#include "util/file.h"

#include <climits>

#include "util/fault.h"

namespace lmdb::os {

ssize_t pread_full(int fd, void *buf, size_t len, off_t off) {
	size_t done = 0;
	while (done < len) {
		ssize_t n = ::pread(fd, static_cast<char *>(buf) + done, len - done, off + off_t(done));
		if (n < 0) {
			if (errno == EINTR) continue;
			return -errno;
		}
		if (n == 0) break;
		done += size_t(n);
	}
	return ssize_t(done);
}

int pwrite_full(int fd, const void *buf, size_t len, off_t off) {
	size_t done = 0;
	while (done < len) {
		ssize_t n = sys_pwrite(fd, static_cast<const char *>(buf) + done, len - done, off + off_t(done));
		if (n < 0) {
			if (errno == EINTR) continue;
			return errno;
		}
		if (n == 0) return EIO;
		done += size_t(n);
	}
	return 0;
}

int pwritev_full(int fd, struct iovec *iov, int iovcnt, off_t off) {
	while (iovcnt > 0) {
		// One buffer: pwrite, whose path through the kernel is shorter.
		ssize_t n = iovcnt == 1 ? sys_pwrite(fd, iov->iov_base, iov->iov_len, off)
		                        : sys_pwritev(fd, iov, iovcnt, off);
		if (n < 0) {
			if (errno == EINTR) continue;
			return errno;
		}
		if (n == 0) return EIO;
		off += n;
		// Skip the buffers written completely, trim a partial one.
		while (iovcnt > 0 && size_t(n) >= iov->iov_len) {
			n -= ssize_t(iov->iov_len);
			++iov;
			--iovcnt;
		}
		if (iovcnt > 0 && n > 0) {
			iov->iov_base = static_cast<char *>(iov->iov_base) + n;
			iov->iov_len -= size_t(n);
		}
	}
	return 0;
}

int data_sync(int fd) {
	while (sys_fdatasync(fd) != 0) {
		if (errno != EINTR) return errno;
	}
	return 0;
}

}  // namespace lmdb::os
