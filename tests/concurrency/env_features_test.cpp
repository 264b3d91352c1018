// Environment features around sharing: mdb_env_set_mapsize on an open
// environment, read-only environments (MDB_RDONLY on files and directories
// the process may not write), one MDB_env used by many threads for writes.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <thread>

#include "concurrency/concur_util.h"

using namespace concur;
using test_support::TempDir;

namespace {

constexpr unsigned kKeys = 20;

int fill(MDB_env *env, unsigned start, unsigned count, size_t size) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	std::string v(size, 'v');
	for (unsigned i = 0; i < count && !rc; i++) {
		char k[16];
		std::snprintf(k, sizeof k, "f%08u", start + i);
		MDB_val key{std::strlen(k), k}, val{v.size(), v.data()};
		rc = mdb_put(txn, 1, &key, &val, 0);
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

// Runs fn in a child process as an unprivileged user (as root, permission
// bits do not stop anything); the child's exit status is fn's result.
// Returns -1 if the child could not drop privileges.
template <class F>
int as_nobody(F fn) {
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");
			uid_t uid = pw ? pw->pw_uid : 65534;
			gid_t gid = pw ? pw->pw_gid : 65534;
			if (setgroups(0, nullptr) || setgid(gid) || setuid(uid)) _exit(100);
		}
		_exit(fn());
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Result codes of the child checks (exit statuses).
enum : int { kPass = 0, kOpenRc = 10, kTxn = 11, kData = 12, kLockFile = 13, kWriteOpen = 14 };

}  // namespace

TEST_CASE("env: mdb_env_set_mapsize on an open environment", "[concurrency][env]") {
	TempDir dir;
	const size_t small = size_t(1) << 20;
	{
		Env env;
		REQUIRE(env.open(dir.path(), MDB_NOSYNC, small) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
		CHECK(fill(env, 0, 400, 4000) == MDB_MAP_FULL);
		// Not while a write txn is active.
		MDB_txn *w;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
		CHECK(mdb_env_set_mapsize(env, 8 * small) == EINVAL);
		mdb_txn_abort(w);
		REQUIRE(mdb_env_set_mapsize(env, 8 * small) == 0);
		MDB_envinfo info;
		REQUIRE(mdb_env_info(env, &info) == 0);
		CHECK(info.me_mapsize == 8 * small);
		REQUIRE(fill(env, 0, 400, 4000) == 0);
		// Too small a size is raised to what the data needs.
		REQUIRE(mdb_env_set_mapsize(env, 4096) == 0);
		REQUIRE(mdb_env_info(env, &info) == 0);
		CHECK(info.me_mapsize >= (info.me_last_pgno + 1) * 4096);
		CHECK(info.me_mapsize < 8 * small);
		MDB_txn *r;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r) == 0);
		Snapshot s;
		REQUIRE(scan(r, &s) == 0);
		CHECK(invariant_holds(s, kKeys));
		mdb_txn_abort(r);
		// 0 goes back to the size recorded in the meta page.
		REQUIRE(mdb_env_set_mapsize(env, 0) == 0);
		REQUIRE(mdb_env_info(env, &info) == 0);
		CHECK(info.me_mapsize == 8 * small);
	}
	// The new size was recorded by the commit.
	Env env;
	REQUIRE(env.open(dir.path(), MDB_RDONLY) == 0);
	MDB_envinfo info;
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapsize == 8 * small);
}

TEST_CASE("env: one MDB_env, write txns from many threads in turn", "[concurrency][env]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, size_t(64) << 20) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	// Every thread commits through the same handle (and so the same
	// preallocated write txn), some of them with MDB_TRY_WRITE.
	constexpr int kThreads = 6, kCommits = 200;
	std::atomic<int> errors{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < kThreads; t++) {
		ts.emplace_back([&, t] {
			Rng rng(unsigned(t) + 10);
			for (int i = 0; i < kCommits; i++) {
				unsigned flags = (i % 3 == 0) ? MDB_TRY_WRITE : 0;
				int rc = transfer(env, rng, kKeys, flags);
				if (rc == EBUSY && flags) rc = transfer(env, rng, kKeys);
				if (rc) errors++;
			}
		});
	}
	for (auto &t : ts) t.join();
	CHECK(errors.load() == 0);
	MDB_txn *r;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r) == 0);
	Snapshot s;
	REQUIRE(scan(r, &s) == 0);
	mdb_txn_abort(r);
	CHECK(invariant_holds(s, kKeys));
	CHECK(s.counter == kThreads * kCommits);
}

TEST_CASE("env: MDB_RDONLY where the process may not write", "[concurrency][env]") {
	TempDir dir;
	std::string envdir = dir.file("env");
	REQUIRE(mkdir(envdir.c_str(), 0755) == 0);
	{
		Env env;
		REQUIRE(env.open(envdir, MDB_NOSYNC) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
	}
	// The unprivileged child must be able to reach the directory.
	REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
	std::string lock = envdir + "/lock.mdb";

	auto read_only_open = [&](int expect_rc) {
		return as_nobody([&] {
			MDB_env *env;
			if (mdb_env_create(&env)) return kOpenRc;
			int rc = mdb_env_open(env, envdir.c_str(), MDB_RDONLY, 0644);
			if (rc != expect_rc) return kOpenRc;
			if (rc) return kPass;
			MDB_txn *txn;
			MDB_dbi dbi;
			if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) || mdb_dbi_open(txn, nullptr, 0, &dbi))
				return kTxn;
			Snapshot s;
			if (scan(txn, &s) || !invariant_holds(s, kKeys)) return kData;
			mdb_txn_abort(txn);
			// A write txn or a write open is refused.
			if (mdb_txn_begin(env, nullptr, 0, &txn) != EACCES) return kTxn;
			mdb_env_close(env);
			if (mdb_env_create(&env)) return kOpenRc;
			rc = mdb_env_open(env, envdir.c_str(), 0, 0644);
			mdb_env_close(env);
			return rc == EACCES ? kPass : kWriteOpen;
		});
	};

	SECTION("a read-only data file in a writable directory: the lock file is created") {
		REQUIRE(unlink(lock.c_str()) == 0);
		REQUIRE(chmod(envdir.c_str(), 0777) == 0);
		REQUIRE(chmod((envdir + "/data.mdb").c_str(), 0444) == 0);
		CHECK(read_only_open(0) == kPass);
		struct stat st;
		CHECK(stat(lock.c_str(), &st) == 0);
	}
	SECTION("a read-only directory without a lock file: EACCES (only EROFS falls back)") {
		REQUIRE(unlink(lock.c_str()) == 0);
		REQUIRE(chmod(envdir.c_str(), 0555) == 0);
		CHECK(read_only_open(EACCES) == kPass);
		struct stat st;
		CHECK(stat(lock.c_str(), &st) == -1);
	}
	SECTION("a lock file the process may not write: EACCES") {
		REQUIRE(chmod(lock.c_str(), 0644) == 0);
		REQUIRE(chmod(envdir.c_str(), 0555) == 0);
		CHECK(read_only_open(EACCES) == kPass);
	}
	chmod(envdir.c_str(), 0755);
}

TEST_CASE("env: a fork child cannot use its parent's reader slots (MDB_BAD_RSLOT)", "[concurrency][env]") {
	unsigned flags = GENERATE(0u, unsigned(MDB_NOTLS));
	INFO("env flags " << flags);
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC | flags) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	MDB_txn *r;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r) == 0);
	mdb_txn_reset(r);
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		// Misuse on purpose: the parent's environment in the child.
		int code = 0;
		if (flags & MDB_NOTLS) {
			if (mdb_txn_renew(r) != MDB_BAD_RSLOT) code = 1;
		} else {
			MDB_txn *t;
			if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &t) != MDB_BAD_RSLOT) code = 1;
		}
		test_support::child_exit(code);
	}
	int st = 0;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK(WEXITSTATUS(st) == 0);
	// The parent's slot is untouched and still works.
	REQUIRE(mdb_txn_renew(r) == 0);
	Snapshot s;
	CHECK(scan(r, &s) == 0);
	CHECK(invariant_holds(s, kKeys));
	mdb_txn_abort(r);
}
