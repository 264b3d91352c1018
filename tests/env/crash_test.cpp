// Crash safety: a writer killed with SIGKILL at a random point of a stream
// of synced commits leaves an environment that opens and holds exactly the
// commits that returned success (possibly plus the one in flight), each
// complete, with every page accounted for.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;

namespace {


// Commit n rewrites a batch of records so that each commit touches many
// pages; record "count" holds n. Reports each finished commit on `fd`.
[[noreturn]] void writer(const std::string &dir, int fd, unsigned seed) {
	MDB_env *env;
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 64 << 20) || mdb_env_set_maxdbs(env, 2) ||
	    mdb_env_open(env, dir.c_str(), 0, 0644))
		_exit(2);
	std::mt19937 rng(seed);
	MDB_txn *txn;
	if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) _exit(3);
	MDB_dbi dbi;
	unsigned n = 0;
	if (mdb_dbi_open(txn, "d", 0, &dbi) == 0) {
		MDB_val k = val("count"), v;
		if (mdb_get(txn, dbi, &k, &v) == 0) std::memcpy(&n, v.mv_data, sizeof n);
	}
	mdb_txn_abort(txn);
	for (;;) {
		n++;
		if (mdb_txn_begin(env, nullptr, 0, &txn) || mdb_dbi_open(txn, "d", MDB_CREATE, &dbi)) _exit(4);
		for (int i = 0; i < 40; i++) {
			std::string key = "r" + std::to_string(rng() % 400);
			// Each record carries the commit number that last wrote it.
			std::string value = std::to_string(n) + ":" + std::string(rng() % 300, 'x');
			if (rng() % 20 == 0) value.append(6000, 'y');
			MDB_val k = val(key), v = val(value);
			if (mdb_put(txn, dbi, &k, &v, 0)) _exit(5);
		}
		MDB_val k = val("count"), v{sizeof n, &n};
		if (mdb_put(txn, dbi, &k, &v, 0)) _exit(6);
		if (mdb_txn_commit(txn)) _exit(7);
		if (write(fd, &n, sizeof n) != sizeof n) _exit(8);
	}
}

}  // namespace

TEST_CASE("SIGKILL during synced commits leaves exactly a committed prefix") {
	TempDir d;  // on the real file system, so fdatasync does real work
	std::mt19937 rng(2024);
	unsigned last_reported = 0;
	const int kKills = 200;
	for (int kill_no = 0; kill_no < kKills; kill_no++) {
		int fds[2];
		REQUIRE(pipe(fds) == 0);
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			writer(d.path(), fds[1], unsigned(rng() + kill_no));
		}
		close(fds[1]);
		usleep(kill_no == 0 ? 200000 : rng() % 20000);
		kill(pid, SIGKILL);
		int status;
		REQUIRE(waitpid(pid, &status, 0) == pid);
		REQUIRE(WIFSIGNALED(status));
		unsigned n;
		while (read(fds[0], &n, sizeof n) == sizeof n) last_reported = n;
		close(fds[0]);

		// The environment opens; "count" is the last reported commit or the
		// one that was in flight; no record is newer than "count".
		MDB_env *env;
		REQUIRE(mdb_env_create(&env) == 0);
		REQUIRE(mdb_env_set_maxdbs(env, 2) == 0);
		REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
		int dead = -1;
		REQUIRE(mdb_reader_check(env, &dead) == 0);
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
		MDB_dbi dbi;
		int rc = mdb_dbi_open(txn, "d", 0, &dbi);
		if (last_reported == 0 && rc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			mdb_env_close(env);
			continue;
		}
		REQUIRE(rc == 0);
		MDB_val k = val("count"), v;
		REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
		unsigned count;
		std::memcpy(&count, v.mv_data, sizeof count);
		INFO("kill " << kill_no << ": last reported commit " << last_reported << ", found " << count);
		REQUIRE((count == last_reported || count == last_reported + 1));
		last_reported = count;
		MDB_cursor *c;
		REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
		size_t entries = 0;
		while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
			entries++;
			std::string key(static_cast<char *>(k.mv_data), k.mv_size);
			if (key == "count") continue;
			std::string value(static_cast<char *>(v.mv_data), v.mv_size);
			unsigned wrote = unsigned(std::stoul(value.substr(0, value.find(':'))));
			REQUIRE(wrote <= count);
		}
		REQUIRE(rc == MDB_NOTFOUND);
		MDB_stat st;
		REQUIRE(mdb_stat(txn, dbi, &st) == 0);
		REQUIRE(st.ms_entries == entries);
		// Page accounting: tree pages + free pages + meta pages == used pages.
		MDB_envinfo info;
		REQUIRE(mdb_env_info(env, &info) == 0);
		MDB_stat main_st, free_st;
		REQUIRE(mdb_stat(txn, 1, &main_st) == 0);
		REQUIRE(mdb_stat(txn, 0, &free_st) == 0);
		MDB_cursor *fc;
		REQUIRE(mdb_cursor_open(txn, 0, &fc) == 0);
		size_t free_pages = 0;
		while (mdb_cursor_get(fc, &k, &v, MDB_NEXT) == 0) {
			size_t cnt;
			std::memcpy(&cnt, v.mv_data, sizeof cnt);
			free_pages += cnt;
		}
		mdb_cursor_close(fc);
		auto pages = [](const MDB_stat &s) {
			return s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages;
		};
		CHECK(2 + pages(st) + pages(main_st) + pages(free_st) + free_pages == info.me_last_pgno + 1);
		mdb_cursor_close(c);
		mdb_txn_abort(txn);
		mdb_env_close(env);
		// Every page reachable and consistent, by the integrity checker.
		if (kill_no % 10 == 0) {
			std::string cmd = "'" TOOLS_DIR "/mdb_chk' -q '" + d.path() + "' > /dev/null 2>&1";
			INFO("mdb_chk after kill " << kill_no);
			REQUIRE(std::system(cmd.c_str()) == 0);
		}
	}
}
