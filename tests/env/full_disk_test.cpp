// A full file system: no SIGBUS on any path (a new environment's lock file,
// commits with and without MDB_WRITEMAP, files that grow), the committed
// data intact, and writing works again once space is freed.
//
// Each scenario runs in a forked child that mounts a small tmpfs in a
// private mount namespace (we run as root).  Where that is not allowed the
// child limits file sizes instead (RLIMIT_FSIZE): writes past the limit
// fail with EFBIG, which checks the same error paths, but not SIGBUS from
// mapped pages nor MDB_WRITEMAP (its file is as long as the map from the
// open on), so the test says which one it ran.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;

namespace {

constexpr size_t kFsSize = 4 << 20;  // the tmpfs

enum class Mode { Tmpfs, FileSizeLimit };

// Fills the file system up with `path` (until ENOSPC / EFBIG).
void fill(const std::string &path) {
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
	static char buf[4096];
	std::memset(buf, 'f', sizeof buf);
	while (write(fd, buf, sizeof buf) > 0) {
	}
	// The last partial block too.
	while (write(fd, buf, 1) > 0) {
	}
	close(fd);
}

MDB_env *open_env(const std::string &dir, unsigned flags, int *rc_out = nullptr) {
	MDB_env *env;
	if (mdb_env_create(&env)) return nullptr;
	mdb_env_set_mapsize(env, 64 << 20);  // far more than the file system holds
	int rc = mdb_env_open(env, dir.c_str(), flags, 0644);
	if (rc_out) *rc_out = rc;
	if (rc) {
		mdb_env_close(env);
		return nullptr;
	}
	return env;
}

// Commits records i0.. of 1000 bytes until `n` of them or a failure.
int put_range(MDB_env *env, int i0, int n, int per_txn = 20) {
	for (int i = i0; i < i0 + n; i += per_txn) {
		MDB_txn *t;
		int rc = mdb_txn_begin(env, nullptr, 0, &t);
		if (rc) return rc;
		for (int j = i; j < i + per_txn && j < i0 + n; j++) {
			std::string k = "k" + std::to_string(100000 + j), v(1000, char('a' + j % 26));
			MDB_val kv = val(k), vv = val(v);
			if ((rc = mdb_put(t, 1, &kv, &vv, 0))) {
				mdb_txn_abort(t);
				return rc;
			}
		}
		if ((rc = mdb_txn_commit(t))) return rc;
	}
	return 0;
}

// Records k100000.. present, exactly `n` of them.
bool holds(const std::string &dir, unsigned flags, int n) {
	MDB_env *env = open_env(dir, flags);
	if (!env) return false;
	MDB_txn *t;
	MDB_stat st;
	bool ok = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t) == 0 && mdb_stat(t, 1, &st) == 0 &&
	          st.ms_entries == size_t(n);
	for (int j = 0; ok && j < n; j += 7) {
		std::string k = "k" + std::to_string(100000 + j);
		MDB_val kv = val(k), vv;
		ok = mdb_get(t, 1, &kv, &vv) == 0 && vv.mv_size == 1000 &&
		     static_cast<char *>(vv.mv_data)[999] == char('a' + j % 26);
	}
	mdb_txn_abort(t);
	mdb_env_close(env);
	return ok;
}

bool full_error(int rc) { return rc == ENOSPC || rc == EFBIG || rc == MDB_MAP_FULL; }

// The scenarios, in the child.  Returns 0 or the number of the failed check.
int scenarios(const std::string &root, Mode mode) {
	const std::string filler = root + "/filler";
	auto make_room = [&] {
		unlink(filler.c_str());
		if (mode == Mode::FileSizeLimit) {
			struct rlimit rl;
			getrlimit(RLIMIT_FSIZE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_FSIZE, &rl);
		}
	};
	auto make_full = [&](size_t limit) {
		if (mode == Mode::Tmpfs) {
			fill(filler);
		} else {
			// The soft limit only: the hard one could not be raised again.
			struct rlimit rl;
			getrlimit(RLIMIT_FSIZE, &rl);
			rl.rlim_cur = limit;
			setrlimit(RLIMIT_FSIZE, &rl);
		}
	};
	int rc = 0;
	// 1. A new environment on a full file system.
	{
		std::string dir = root + "/new";
		mkdir(dir.c_str(), 0755);
		make_full(0);
		MDB_env *env = open_env(dir, 0, &rc);
		if (env) {
			// (The file-size fallback can leave room for the lock file.)
			if (mode == Mode::Tmpfs) return 1;
			if (!full_error(put_range(env, 0, 20))) return 2;
			mdb_env_close(env);
		} else if (!full_error(rc)) {
			return 3;
		}
		make_room();
		env = open_env(dir, 0, &rc);
		if (!env) return 4;
		if (put_range(env, 0, 20)) return 5;
		mdb_env_close(env);
		if (!holds(dir, 0, 20)) return 6;
	}
	// 2. Growing environments fill the file system: with and without
	// WRITEMAP, synced or not.
	const unsigned flag_sets[] = {0, MDB_NOSYNC, MDB_WRITEMAP, MDB_WRITEMAP | MDB_MAPASYNC};
	for (unsigned fi = 0; fi < 4; fi++) {
		unsigned flags = flag_sets[fi];
		// A WRITEMAP data file is as long as its map from the open on:
		// a file-size limit never bites.  Only a full file system does.
		if (mode == Mode::FileSizeLimit && (flags & MDB_WRITEMAP)) continue;
		std::string dir = root + "/grow" + std::to_string(fi);
		mkdir(dir.c_str(), 0755);
		MDB_env *env = open_env(dir, flags, &rc);
		if (!env) return 10 + int(fi);
		if (put_range(env, 0, 200)) return 20 + int(fi);
		// Fill: the file system itself, or a size limit just past the
		// data file's current size.
		struct stat st;
		stat((dir + "/data.mdb").c_str(), &st);
		make_full(mode == Mode::Tmpfs ? 0 : size_t(st.st_size) + 64 * 1024);
		// Commits until one fails; count the ones that succeeded.
		int n = 200, step = 20;
		for (;;) {
			rc = put_range(env, n, step, step);
			if (rc) break;
			n += step;
			if (n > 20000) return 30 + int(fi);  // never filled up
		}
		if (!full_error(rc) && rc != MDB_PANIC) return 40 + int(fi);
		// The handle goes on failing cleanly while full.
		int rc2 = put_range(env, n, step, step);
		if (!full_error(rc2) && rc2 != MDB_PANIC) return 50 + int(fi);
		mdb_env_close(env);
		make_room();
		if (!holds(dir, flags, n)) return 60 + int(fi);
		// Room again: writing works, and nothing was lost.
		env = open_env(dir, flags, &rc);
		if (!env) return 70 + int(fi);
		if (put_range(env, n, 100)) return 80 + int(fi);
		mdb_env_close(env);
		if (!holds(dir, flags, n + 100)) return 90 + int(fi);
		// Leave the space for the next flag set.
		std::string cmd = "rm -rf '" + dir + "'";
		if (std::system(cmd.c_str())) return 99;
	}
	return 0;
}

// Runs the scenarios in a child; "" or what happened.
std::string run(Mode *used) {
	TempDir d;
	int pipefd[2];
	if (pipe(pipefd)) return "pipe";
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		alarm(120);
		signal(SIGXFSZ, SIG_IGN);
		Mode mode = Mode::Tmpfs;
		std::string opts = "size=" + std::to_string(kFsSize);
		if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
		    mount("tmpfs", d.path().c_str(), "tmpfs", 0, opts.c_str()) != 0)
			mode = Mode::FileSizeLimit;
		if (write(pipefd[1], &mode, sizeof mode) != sizeof mode) _exit(250);
		int r = scenarios(d.path(), mode);
		if (mode == Mode::Tmpfs) umount(d.path().c_str());
		test_support::child_exit(r);
	}
	close(pipefd[1]);
	if (read(pipefd[0], used, sizeof *used) != sizeof *used) *used = Mode::FileSizeLimit;
	close(pipefd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status)) return WEXITSTATUS(status) ? "failed check #" + std::to_string(WEXITSTATUS(status)) : "";
	if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
	return "?";
}

}  // namespace

TEST_CASE("full disk: no SIGBUS, committed data intact, writes resume after space is freed", "[faults][fulldisk]") {
	Mode mode = Mode::Tmpfs;
	std::string r = run(&mode);
	if (mode != Mode::Tmpfs) WARN("no private mount namespace: ran with RLIMIT_FSIZE instead (no SIGBUS check, no MDB_WRITEMAP case)");
	CHECK(r == "");
}
