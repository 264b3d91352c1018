// Running an exercise in a child process: a crash (signal, sanitizer
// abort) or a hang (alarm) of the library is reported to the test instead
// of taking the whole test binary down.
#pragma once

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "exercise.h"
#include "lmdb.h"
#include "image.h"
#include "test_support.h"

namespace hostile {

// Sanitizer builds run fewer random iterations.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

inline bool slow_build() {
#ifndef NDEBUG
	return true;  // Debug builds (the ASan preset is one) are several times slower
#else
	return kSanitized || std::getenv("ASAN_OPTIONS") || std::getenv("TSAN_OPTIONS");
#endif
}

struct RunResult {
	bool finished = false;  // child exited normally after the exercise
	int signal = 0;         // child killed by this signal (SIGALRM: hang)
	int exit_code = 0;
	Outcome out;

	std::string describe() const {
		char b[512];
		std::snprintf(b, sizeof b,
		              "finished=%d signal=%d%s exit=%d open_rc=%d seen=0x%x unexpected=%d (%s) "
		              "commit=%d copy=%d compact=%d items=%llu",
		              finished, signal, signal == SIGALRM ? " (hang)" : "", exit_code,
		              out.open_rc, out.seen, out.unexpected_rc, out.unexpected_op, out.commit_rc,
		              out.copy_rc, out.compact_rc, static_cast<unsigned long long>(out.items));
		return b;
	}
	bool clean() const { return finished && !out.unexpected_rc && out.done; }
};

// Shared memory for children to report through.
template <class T> T *shared_block() {
	void *p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) std::abort();
	return new (p) T();
}

// Run fn() in a child with a time limit; fn must not return a value.
template <class F> RunResult run_in_child(unsigned timeout_s, Outcome *shared, F &&fn) {
	RunResult r;
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid < 0) std::abort();
	if (pid == 0) {
		// The test framework's crash handlers belong to the parent.
		for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGALRM}) signal(sig, SIG_DFL);
		if (std::getenv("HOSTILE_TRACE")) {
			// Debugging aid: a stack trace of the crash on stderr.
			struct sigaction sa = {};
			sa.sa_handler = [](int) {
				void *frames[64];
				backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
				_exit(99);
			};
			for (int sig : {SIGSEGV, SIGBUS}) sigaction(sig, &sa, nullptr);
		}
		alarm(timeout_s);
		fn();
		test_support::child_exit(0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
	}
	if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
	if (WIFEXITED(status)) {
		r.exit_code = WEXITSTATUS(status);
		r.finished = r.exit_code == 0;
	}
	if (shared) r.out = *shared;
	return r;
}

inline void write_file(const std::string &path, const uint8_t *data, size_t n) {
	// A new file rather than a truncated one: ext4 flushes files that were
	// truncated and rewritten when they are closed, which costs a disk write.
	::unlink(path.c_str());
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) std::abort();
	size_t off = 0;
	while (off < n) {
		ssize_t w = ::write(fd, data + off, n - off);
		if (w <= 0) std::abort();
		off += size_t(w);
	}
	::close(fd);
}

// Put the image into dir as data.mdb (with a fresh lock file).
inline void install(const std::string &dir, const Image &im) {
	::unlink((dir + "/lock.mdb").c_str());
	write_file(dir + "/data.mdb", im.bytes.data(), im.bytes.size());
}

inline Image read_image(const std::string &path) {
	Image im;
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) std::abort();
	struct stat st;
	fstat(fd, &st);
	im.bytes.resize(size_t(st.st_size));
	size_t off = 0;
	while (off < im.bytes.size()) {
		ssize_t r = ::read(fd, im.bytes.data() + off, im.bytes.size() - off);
		if (r <= 0) std::abort();
		off += size_t(r);
	}
	::close(fd);
	fmt::Meta m;
	std::memcpy(&m, im.bytes.data() + fmt::kPageHeaderSize, sizeof m);
	im.psize = m.dbs[fmt::kFreeDbi].pad;
	return im;
}

// The reference environment, built once per process.
inline const Image &reference_image() {
	static Image im = [] {
		test_support::TempDir d;
		int rc = build_reference(d.path());
		if (rc) {
			std::fprintf(stderr, "build_reference: %s\n", mdb_strerror(rc));
			std::abort();
		}
		return read_image(d.file("data.mdb"));
	}();
	return im;
}

}  // namespace hostile
