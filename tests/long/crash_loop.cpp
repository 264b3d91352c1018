// crash_loop: the long version of crash_test.cpp, a separate program (not
// in CI).  It starts a writer process, kills it with SIGKILL at a random
// moment, checks the environment, and repeats.
//
//   crash_loop DIR KILLS [default|nosync|nometasync|writemap|mapasync] [SEED]
//
// The writer reports each commit that returned 0 through a pipe.  After a
// kill, the environment must hold the last reported commit or the one that
// was in flight (the page cache survives a process kill, so this holds for
// every flag set, NOSYNC included), and that commit whole: every one of the
// kStamp stamp records carries its number, no record is newer, the entry
// count matches a scan and every page is accounted for.  Every 100th kill
// (and the last) also runs mdb_chk when MDB_CHK names it.  Exit status 0:
// every kill checked out; 1: a lost or torn commit (printed).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "lmdb.h"

namespace {

constexpr int kStamp = 8;

MDB_val val(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }
// (A literal must not become a temporary std::string that dies at once.)
MDB_val val(const char *s) { return MDB_val{std::strlen(s), const_cast<char *>(s)}; }

unsigned flags_of(const std::string &name) {
	if (name == "nosync") return MDB_NOSYNC;
	if (name == "nometasync") return MDB_NOMETASYNC;
	if (name == "writemap") return MDB_WRITEMAP;
	if (name == "mapasync") return MDB_WRITEMAP | MDB_MAPASYNC;
	return 0;
}

[[noreturn]] void writer(const std::string &dir, unsigned flags, int fd, unsigned seed) {
	MDB_env *env;
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 256 << 20) || mdb_env_set_maxdbs(env, 2) ||
	    mdb_env_open(env, dir.c_str(), flags, 0644))
		_exit(2);
	std::mt19937 rng(seed);
	MDB_txn *txn;
	MDB_dbi dbi;
	unsigned n = 0;
	if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) _exit(3);
	if (mdb_dbi_open(txn, "d", 0, &dbi) == 0) {
		MDB_val k = val("count"), v;
		if (mdb_get(txn, dbi, &k, &v) == 0) std::memcpy(&n, v.mv_data, sizeof n);
	}
	mdb_txn_abort(txn);
	for (;;) {
		n++;
		if (mdb_txn_begin(env, nullptr, 0, &txn) || mdb_dbi_open(txn, "d", MDB_CREATE, &dbi)) _exit(4);
		for (int i = 0; i < 40; i++) {
			std::string key = "r" + std::to_string(rng() % 2000);
			std::string value = std::to_string(n) + ":" + std::string(rng() % 300, 'x');
			if (rng() % 20 == 0) value.append(6000, 'y');
			MDB_val k = val(key), v = val(value);
			if (rng() % 8 == 0) {
				int rc = mdb_del(txn, dbi, &k, nullptr);
				if (rc && rc != MDB_NOTFOUND) _exit(5);
			} else if (mdb_put(txn, dbi, &k, &v, 0)) {
				_exit(5);
			}
		}
		for (int i = 0; i < kStamp; i++) {
			// Spread over the key space: different leaves.
			std::string key = "s" + std::to_string(i) + std::string(i * 20, 'z');
			MDB_val k = val(key), v{sizeof n, &n};
			if (mdb_put(txn, dbi, &k, &v, 0)) _exit(6);
		}
		MDB_val k = val("count"), v{sizeof n, &n};
		if (mdb_put(txn, dbi, &k, &v, 0)) _exit(6);
		if (mdb_txn_commit(txn)) _exit(7);
		if (write(fd, &n, sizeof n) != sizeof n) _exit(8);
	}
}

int failures = 0;
#define EXPECT(cond, ...)                                            \
	do {                                                             \
		if (!(cond)) {                                               \
			std::fprintf(stderr, "kill %d: ", kill_no);              \
			std::fprintf(stderr, __VA_ARGS__);                       \
			std::fputc('\n', stderr);                                \
			failures++;                                              \
			return false;                                            \
		}                                                            \
	} while (0)

// Checks the environment after kill number kill_no; updates *last.
bool check(const std::string &dir, unsigned flags, int kill_no, unsigned *last) {
	MDB_env *env;
	EXPECT(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 2) == 0, "create");
	int rc = mdb_env_open(env, dir.c_str(), flags, 0644);
	EXPECT(rc == 0, "open: %s", mdb_strerror(rc));
	int dead = 0;
	mdb_reader_check(env, &dead);
	MDB_txn *txn;
	EXPECT(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0, "begin");
	MDB_dbi dbi;
	rc = mdb_dbi_open(txn, "d", 0, &dbi);
	bool ok = true;
	if (rc == MDB_NOTFOUND && *last == 0) {
		mdb_txn_abort(txn);
		mdb_env_close(env);
		return true;
	}
	auto fail = [&](const char *what, unsigned a, unsigned b) {
		std::fprintf(stderr, "kill %d: %s (%u, %u)\n", kill_no, what, a, b);
		failures++;
		ok = false;
	};
	MDB_val k, v;
	unsigned count = 0;
	if (rc) {
		fail("no database", unsigned(rc), 0);
	} else {
		k = val("count");
		if (mdb_get(txn, dbi, &k, &v) || v.mv_size != sizeof count) {
			fail("no count record", 0, 0);
		} else {
			std::memcpy(&count, v.mv_data, sizeof count);
			if (count != *last && count != *last + 1) fail("lost commit: reported, found", *last, count);
		}
		for (int i = 0; ok && i < kStamp; i++) {
			std::string key = "s" + std::to_string(i) + std::string(i * 20, 'z');
			k = val(key);
			unsigned s = 0;
			if (mdb_get(txn, dbi, &k, &v) || v.mv_size != sizeof s) {
				fail("stamp missing", unsigned(i), 0);
				break;
			}
			std::memcpy(&s, v.mv_data, sizeof s);
			if (s != count) fail("torn commit: stamp, count", s, count);
		}
		MDB_cursor *c;
		size_t entries = 0;
		if (ok && mdb_cursor_open(txn, dbi, &c) == 0) {
			while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
				entries++;
				if (static_cast<char *>(k.mv_data)[0] != 'r') continue;
				std::string value(static_cast<char *>(v.mv_data), v.mv_size);
				unsigned wrote = unsigned(std::strtoul(value.c_str(), nullptr, 10));
				if (wrote > count) fail("record newer than count", wrote, count);
			}
			if (rc != MDB_NOTFOUND) fail("scan error", unsigned(rc), 0);
			mdb_cursor_close(c);
			MDB_stat st, main_st, free_st;
			MDB_envinfo info;
			mdb_stat(txn, dbi, &st);
			mdb_stat(txn, 1, &main_st);
			mdb_stat(txn, 0, &free_st);
			mdb_env_info(env, &info);
			if (st.ms_entries != entries) fail("entry count, scan", unsigned(st.ms_entries), unsigned(entries));
			size_t free_pages = 0;
			if (mdb_cursor_open(txn, 0, &c) == 0) {
				while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
					size_t cnt;
					std::memcpy(&cnt, v.mv_data, sizeof cnt);
					free_pages += cnt;
				}
				mdb_cursor_close(c);
			}
			auto pages = [](const MDB_stat &s) { return s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages; };
			size_t used = 2 + pages(st) + pages(main_st) + pages(free_st) + free_pages;
			if (used != info.me_last_pgno + 1) fail("page accounting: used, last_pgno+1", unsigned(used), unsigned(info.me_last_pgno + 1));
		}
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
	if (ok) *last = count;
	return ok;
}

}  // namespace

int main(int argc, char **argv) {
	if (argc < 3) {
		std::fprintf(stderr, "usage: %s DIR KILLS [default|nosync|nometasync|writemap|mapasync] [SEED]\n", argv[0]);
		return 2;
	}
	std::string dir = argv[1];
	long kills = std::atol(argv[2]);
	std::string mode = argc > 3 ? argv[3] : "default";
	unsigned flags = flags_of(mode);
	std::mt19937 rng(argc > 4 ? unsigned(std::atol(argv[4])) : 2024u);
	const char *chk = std::getenv("MDB_CHK");
	unsigned last = 0;
	long commits_seen = 0;
	for (int kill_no = 0; kill_no < kills; kill_no++) {
		int fds[2];
		if (pipe(fds)) return 2;
		pid_t pid = fork();
		if (pid < 0) return 2;
		if (pid == 0) {
			close(fds[0]);
			writer(dir, flags, fds[1], unsigned(rng() + kill_no));
		}
		close(fds[1]);
		usleep(kill_no == 0 ? 200000 : useconds_t(rng() % 20000));
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status)) {
			std::fprintf(stderr, "kill %d: writer exited with status %d before the kill\n", kill_no,
			             WEXITSTATUS(status));
			failures++;
		}
		unsigned n, before = last;
		while (read(fds[0], &n, sizeof n) == sizeof n) last = n;
		close(fds[0]);
		commits_seen += last - before;
		check(dir, flags, kill_no, &last);
		if (chk && (kill_no % 100 == 0 || kill_no == kills - 1)) {
			std::string cmd = std::string("'") + chk + "' -q '" + dir + "' > /dev/null 2>&1";
			if (std::system(cmd.c_str()) != 0) {
				std::fprintf(stderr, "kill %d: mdb_chk failed\n", kill_no);
				failures++;
			}
		}
		if (failures > 20) break;
		if ((kill_no + 1) % 1000 == 0)
			std::printf("%s: %d kills, %ld commits, %d failures\n", mode.c_str(), kill_no + 1, commits_seen, failures);
		std::fflush(stdout);
	}
	std::printf("%s: done, %ld kills, %ld commits reported, last commit %u, %d failures\n", mode.c_str(), kills,
	            commits_seen, last, failures);
	return failures ? 1 : 0;
}
