// Helpers for the lock table tests: child processes and a byte channel
// between parent and child.
#pragma once

#include "test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace lock_test {

inline long long now_ms() {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Two pipes: parent -> child and child -> parent.  Create before fork().
class Channel {
public:
	Channel() {
		if (pipe(down_) != 0 || pipe(up_) != 0)
			ok_ = false;
	}
	~Channel() {
		for (int fd : {down_[0], down_[1], up_[0], up_[1]})
			if (fd >= 0)
				close(fd);
	}
	Channel(const Channel &) = delete;
	Channel &operator=(const Channel &) = delete;
	bool ok() const { return ok_; }

	// Parent side.
	bool to_child(char c) { return put(down_[1], c); }
	int from_child(int timeout_ms = 5000) { return get(up_[0], timeout_ms); }
	// Child side.
	bool to_parent(char c) { return put(up_[1], c); }
	int from_parent(int timeout_ms = 5000) { return get(down_[0], timeout_ms); }

private:
	static bool put(int fd, char c) {
		for (;;) {
			ssize_t n = write(fd, &c, 1);
			if (n == 1)
				return true;
			if (n < 0 && errno == EINTR)
				continue;
			return false;
		}
	}
	// The next byte, -1 on timeout or error.
	static int get(int fd, int timeout_ms) {
		long long deadline = now_ms() + timeout_ms;
		for (;;) {
			long long left = deadline - now_ms();
			if (left < 0)
				left = 0;
			struct pollfd p = {fd, POLLIN, 0};
			int r = poll(&p, 1, int(left));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			unsigned char c;
			ssize_t n = read(fd, &c, 1);
			if (n == 1)
				return c;
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
	}
	int down_[2] = {-1, -1};
	int up_[2] = {-1, -1};
	bool ok_ = true;
};

// Run f() in a child process; its return value is the exit status.
template <class F>
pid_t spawn(F f) {
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		int rc = f();
		test_support::child_exit(rc);
	}
	return pid;
}

// Exit status of the child, -1 if killed by a signal, -2 on timeout (the
// child is then killed).
inline int wait_child(pid_t pid, int timeout_ms = 5000) {
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		int st = 0;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (r < 0)
			return -3;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -2;
		}
		usleep(2000);
	}
}

// Collects the text given to an MDB_msg_func.
inline int collect_msg(const char *msg, void *ctx) {
	static_cast<std::string *>(ctx)->append(msg);
	return 0;
}

inline off_t file_size(const std::string &path) {
	struct stat st;
	return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// fcntl() lock on one byte, EINTR retried; 0 or errno.
inline int byte_lock(int fd, int cmd, short type, off_t offset) {
	struct flock fl;
	std::memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = offset;
	fl.l_len = 1;
	while (fcntl(fd, cmd, &fl) != 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}

// Formats the reader_list line of one slot (upstream's format).
inline std::string slot_line(long pid, unsigned long tid, const char *txnid) {
	char buf[96];
	std::snprintf(buf, sizeof(buf), "%10ld %lx %s\n", pid, tid, txnid);
	return buf;
}

}  // namespace lock_test
