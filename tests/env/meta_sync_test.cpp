// Synced commits write the meta page through a second descriptor of the
// data file opened with O_DSYNC, as upstream does (one system call for the
// meta page instead of a write and an fdatasync).
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;

namespace {

// Open descriptors of this process on `file`, with their open flags.
std::vector<long> open_flags_of(const std::string &file) {
	std::vector<long> out;
	char want[4096];
	if (!realpath(file.c_str(), want)) return out;
	DIR *d = opendir("/proc/self/fd");
	if (!d) return out;
	while (dirent *e = readdir(d)) {
		if (e->d_name[0] == '.') continue;
		std::string link = std::string("/proc/self/fd/") + e->d_name;
		char target[4096];
		ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
		if (n <= 0) continue;
		target[n] = 0;
		if (want != std::string(target)) continue;
		std::ifstream info(std::string("/proc/self/fdinfo/") + e->d_name);
		std::string key;
		while (info >> key) {
			if (key == "flags:") {
				std::string octal;
				info >> octal;
				out.push_back(std::strtol(octal.c_str(), nullptr, 8));
				break;
			}
		}
	}
	closedir(d);
	return out;
}

int dsync_count(const std::vector<long> &flags) {
	int n = 0;
	for (long f : flags) n += (f & O_DSYNC) == O_DSYNC && (f & O_ACCMODE) == O_WRONLY;
	return n;
}

}  // namespace

TEST_CASE("synced commits write the meta page through an O_DSYNC descriptor", "[env]") {
	TempDir d;
	std::string data = d.path() + "/data.mdb";
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	CHECK(dsync_count(open_flags_of(data)) == 1);
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	MDB_val k{1, const_cast<char *>("k")}, v{1, const_cast<char *>("v")};
	REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	CHECK(open_flags_of(data).empty());  // closed with the env

	// Read-only environments write nothing and keep no such descriptor; the
	// committed record is there for them.
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), MDB_RDONLY, 0644) == 0);
	CHECK(dsync_count(open_flags_of(data)) == 0);
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_val got;
	CHECK(mdb_get(txn, dbi, &k, &got) == 0);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
