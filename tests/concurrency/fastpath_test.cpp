// A read txn on a thread that already owns its reader slot must take no
// system call and no lock: begin/abort and reset/renew run in a child
// process under a seccomp filter that traps every system call (the trap
// reports the call and fails the test), while this process holds both
// mutexes of the lock file (a lock attempt would block: the child is
// then killed and the test fails).
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "concurrency/concur_util.h"
#include "lock/lock_layout.h"

using namespace concur;
using test_support::TempDir;

namespace {

int g_report_fd = -1;

// Async-signal-safe: report the trapped call and leave.
void on_sigsys(int, siginfo_t *si, void *) {
	char msg[32] = "syscall ";
	int nr = si->si_syscall, n = 8;
	char digits[12];
	int d = 0;
	do {
		digits[d++] = char('0' + nr % 10);
		nr /= 10;
	} while (nr && d < 11);
	while (d) msg[n++] = digits[--d];
	msg[n++] = '\n';
	if (write(g_report_fd, msg, size_t(n)) < 0) {
	}
	syscall(SYS_exit_group, 3);
}

// Every system call but these traps.  The sanitizers' allocators map
// memory on their own (quarantine, shadow); under them memory-management
// calls are let through too.
int trap_syscalls() {
	static const int allowed[] = {
	    __NR_write, __NR_exit_group, __NR_exit, __NR_rt_sigreturn,
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	    __NR_mmap, __NR_munmap, __NR_madvise, __NR_mprotect, __NR_brk,
#endif
	};
	constexpr size_t n = sizeof allowed / sizeof allowed[0];
	std::vector<sock_filter> prog;
	prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
	prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
	for (size_t i = 0; i < n; i++) {
		prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, unsigned(allowed[i]), 0, 1));
		prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
	prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog)) return errno;
	return 0;
}

// The child: warm up (slot, pages, allocator), wait for the go, then loop
// under the filter.  Reports "ok" or what went wrong on `report`.
[[noreturn]] void child(const std::string &path, unsigned env_flags, int report, int go) {
	auto fail = [&](const char *what) {
		if (write(report, what, std::strlen(what)) < 0) {
		}
		_exit(2);
	};
	Env env;
	if (env.open(path, env_flags)) fail("open\n");
	MDB_txn *txn;
	MDB_val key{4, const_cast<char *>("k000")}, val;
	for (int i = 0; i < 3; i++) {
		if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) fail("warm begin\n");
		if (mdb_get(txn, 1, &key, &val)) fail("warm get\n");
		mdb_txn_reset(txn);
		if (mdb_txn_renew(txn)) fail("warm renew\n");
		mdb_txn_abort(txn);
	}
	MDB_txn *held;
	if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &held)) fail("held begin\n");
	mdb_txn_reset(held);

	struct sigaction sa {};
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, nullptr);
	g_report_fd = report;
	if (write(report, "r", 1) != 1) fail("ready\n");
	char c;
	if (read(go, &c, 1) != 1) fail("go\n");
	if (trap_syscalls()) fail("seccomp\n");

	constexpr int kRounds = 100000;
	for (int i = 0; i < kRounds; i++) {
		if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) fail("begin\n");
		if (i % 1000 == 0 && mdb_get(txn, 1, &key, &val)) fail("get\n");
		mdb_txn_abort(txn);
	}
	for (int i = 0; i < kRounds; i++) {
		if (mdb_txn_renew(held)) fail("renew\n");
		mdb_txn_reset(held);
	}
	if (write(report, "ok\n", 3) < 0) {
	}
	syscall(SYS_exit_group, 0);
	_exit(0);
}

}  // namespace

TEST_CASE("fast path: a thread's read txns after the first take no system call and no lock",
          "[concurrency][fastpath]") {
	unsigned flags = GENERATE(0u, unsigned(MDB_NOTLS));
	INFO("env flags " << flags);
	TempDir dir;
	{
		Env env;
		REQUIRE(env.open(dir.path(), 0) == 0);
		REQUIRE(init_balances(env, 4) == 0);
	}
	// This process keeps the environment open so the lock file stays in use.
	Env env;
	REQUIRE(env.open(dir.path(), 0) == 0);

	int report[2], go[2];
	REQUIRE(pipe(report) == 0);
	REQUIRE(pipe(go) == 0);
	std::fflush(nullptr);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		child(dir.path(), flags, report[1], go[0]);
	}
	close(report[1]);
	close(go[0]);

	char ready = 0;
	{
		struct pollfd p = {report[0], POLLIN, 0};
		REQUIRE(poll(&p, 1, 30000) == 1);
		REQUIRE(read(report[0], &ready, 1) == 1);
	}
	REQUIRE(ready == 'r');
	// Hold both mutexes of the lock file.  (The child's first slot was
	// taken before: with MDB_NOTLS the slot of `held` is kept across
	// reset/renew, and begin/abort does take a new slot each time, so for
	// MDB_NOTLS only the reset/renew loop is lock-free -- see below.)
	int fd = open(dir.file("lock.mdb").c_str(), O_RDWR);
	REQUIRE(fd >= 0);
	void *map = mmap(nullptr, lmdb::lock::kLockHeaderBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(map != MAP_FAILED);
	auto *lf = static_cast<lmdb::lock::LockFile *>(map);
	bool hold_reader_mutex = !(flags & MDB_NOTLS);
	REQUIRE(pthread_mutex_lock(&lf->writer.writer_mutex) == 0);
	if (hold_reader_mutex) REQUIRE(pthread_mutex_lock(&lf->header.reader_mutex) == 0);

	REQUIRE(write(go[1], "g", 1) == 1);
	std::string result;
	long long deadline = now_ms() + 30000;
	for (;;) {
		struct pollfd p = {report[0], POLLIN, 0};
		if (poll(&p, 1, 100) > 0) {
			char b[64];
			ssize_t n = read(report[0], b, sizeof b);
			if (n <= 0) break;
			result.append(b, size_t(n));
			if (result.find('\n') != std::string::npos) break;
		}
		if (now_ms() > deadline) {
			result = "timed out: blocked on a lock?";
			kill(pid, SIGKILL);
			break;
		}
	}
	int st;
	waitpid(pid, &st, 0);
	if (hold_reader_mutex) pthread_mutex_unlock(&lf->header.reader_mutex);
	pthread_mutex_unlock(&lf->writer.writer_mutex);
	munmap(map, lmdb::lock::kLockHeaderBytes);
	close(fd);
	close(report[0]);
	close(go[1]);
	CHECK(result == "ok\n");
	CHECK(WIFEXITED(st));
}
