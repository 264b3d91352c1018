// Hot backup while a writer keeps committing: every copy (plain and
// compacting) is one consistent snapshot, and upstream's tools read it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;

namespace {

constexpr int kAccounts = 200;
constexpr long kTotal = 1000L * kAccounts;

// Sum of all balances and the number of accounts in one snapshot.
void check_snapshot(const std::string &path, unsigned flags) {
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_maxdbs(env, 2) == 0);
	REQUIRE(mdb_env_open(env, path.c_str(), flags | MDB_RDONLY, 0644) == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, "bank", 0, &dbi) == 0);
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	MDB_val k, v;
	long sum = 0;
	int n = 0;
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		long b;
		REQUIRE(v.mv_size >= sizeof b);
		std::memcpy(&b, v.mv_data, sizeof b);
		sum += b;
		n++;
	}
	CHECK(n == kAccounts);
	CHECK(sum == kTotal);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

std::string run(const std::string &cmd) {
	std::string out;
	FILE *p = popen(cmd.c_str(), "r");
	if (!p) return out;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
	pclose(p);
	return out;
}

}  // namespace

TEST_CASE("copies taken while a writer commits are consistent snapshots") {
	TempDir d;
	std::string src = d.file("src");
	REQUIRE(mkdir(src.c_str(), 0755) == 0);
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, 64 << 20) == 0);
	REQUIRE(mdb_env_set_maxdbs(env, 2) == 0);
	REQUIRE(mdb_env_open(env, src.c_str(), MDB_NOSYNC, 0644) == 0);
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, "bank", MDB_CREATE, &dbi) == 0);
	for (int i = 0; i < kAccounts; i++) {
		std::string key = "acct" + std::to_string(i);
		std::string value(sizeof(long) + (i % 7 == 0 ? 5000 : 50), 'p');  // some overflow values
		long b = 1000;
		std::memcpy(value.data(), &b, sizeof b);
		MDB_val k = val(key), v = val(value);
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	REQUIRE(mdb_txn_commit(txn) == 0);

	std::atomic<bool> stop{false};
	std::atomic<int> commits{0};
	std::thread writer([&] {
		std::mt19937 rng(5);
		while (!stop) {
			MDB_txn *t;
			if (mdb_txn_begin(env, nullptr, 0, &t)) return;
			for (int i = 0; i < 10; i++) {
				std::string a = "acct" + std::to_string(rng() % kAccounts);
				std::string b = "acct" + std::to_string(rng() % kAccounts);
				MDB_val ka = val(a), kb = val(b), va, vb;
				mdb_get(t, dbi, &ka, &va);
				std::string sa(static_cast<char *>(va.mv_data), va.mv_size);
				long x;
				std::memcpy(&x, sa.data(), sizeof x);
				x -= 7;
				std::memcpy(sa.data(), &x, sizeof x);
				MDB_val nva = val(sa);
				mdb_put(t, dbi, &ka, &nva, 0);
				mdb_get(t, dbi, &kb, &vb);
				std::string sb(static_cast<char *>(vb.mv_data), vb.mv_size);
				std::memcpy(&x, sb.data(), sizeof x);
				x += 7;
				std::memcpy(sb.data(), &x, sizeof x);
				MDB_val nvb = val(sb);
				mdb_put(t, dbi, &kb, &nvb, 0);
			}
			if (mdb_txn_commit(t) == 0) commits++;
		}
	});

	for (int i = 0; i < 12; i++) {
		unsigned flags = (i % 2) ? MDB_CP_COMPACT : 0;
		std::string dst = d.file("copy" + std::to_string(i));
		REQUIRE(mkdir(dst.c_str(), 0755) == 0);
		REQUIRE(mdb_env_copy2(env, dst.c_str(), flags) == 0);
		check_snapshot(dst, 0);
		if (i < 2) {
			// Upstream's mdb_dump reads the copy exactly as our mdb_dump does.
			std::string deb = run("/usr/bin/mdb_dump -a '" + dst + "' 2>&1");
			std::string ours = run("'" TOOLS_DIR "/mdb_dump' -a '" + dst + "' 2>&1");
			CHECK(deb.find("HEADER=END") != std::string::npos);
			CHECK(deb == ours);
		}
	}
	// A copy to a descriptor (a pipe-like sequential file) works too.
	std::string fdcopy = d.file("fdcopy.mdb");
	int fd = ::open(fdcopy.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(mdb_env_copyfd2(env, fd, MDB_CP_COMPACT) == 0);
	::close(fd);
	check_snapshot(fdcopy, MDB_NOSUBDIR);
	stop = true;
	writer.join();
	CHECK(commits > 0);
	mdb_env_close(env);
}
