// Thin RAII and retry wrappers over POSIX file calls (the OS layer).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

namespace lmdb::os {

// An owned file descriptor, closed on destruction.
class FileHandle {
public:
	FileHandle() = default;
	~FileHandle() { reset(); }
	FileHandle(const FileHandle &) = delete;
	FileHandle &operator=(const FileHandle &) = delete;

	int get() const { return fd_; }
	bool valid() const { return fd_ >= 0; }
	void reset(int fd = -1) {
		if (fd_ >= 0) ::close(fd_);
		fd_ = fd;
	}

private:
	int fd_ = -1;
};

// Read exactly len bytes at off; returns bytes read (short at EOF) or -errno.
ssize_t pread_full(int fd, void *buf, size_t len, off_t off);
// Write exactly len bytes at off; returns 0 or an errno value.
int pwrite_full(int fd, const void *buf, size_t len, off_t off);
// Write a vector of buffers at off, retrying partial writes; 0 or errno.
int pwritev_full(int fd, struct iovec *iov, int iovcnt, off_t off);
// fdatasync with EINTR retry; 0 or errno.
int data_sync(int fd);

}  // namespace lmdb::os
