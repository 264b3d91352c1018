// Bad input gets upstream's answer: return codes for invalid sizes, writes
// in read-only transactions, failed transactions, handle limits, a full
// map, and files that are not (or no longer) LMDB files.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;

namespace {

struct Env {
	MDB_env *env = nullptr;
	explicit Env(const std::string &path, size_t mapsize = 1 << 20, unsigned maxdbs = 4,
	             unsigned flags = 0) {
		REQUIRE(mdb_env_create(&env) == 0);
		REQUIRE(mdb_env_set_mapsize(env, mapsize) == 0);
		REQUIRE(mdb_env_set_maxdbs(env, maxdbs) == 0);
		rc = mdb_env_open(env, path.c_str(), flags, 0644);
	}
	~Env() { mdb_env_close(env); }
	int rc;
};


}  // namespace

TEST_CASE("key sizes outside 1..511 are MDB_BAD_VALSIZE") {
	TempDir d;
	Env e(d.path());
	REQUIRE(e.rc == 0);
	CHECK(mdb_env_get_maxkeysize(e.env) == 511);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	std::string big(512, 'k'), max(511, 'k');
	MDB_val empty{0, nullptr}, data = val("v"), k512 = val(big), k511 = val(max);
	CHECK(mdb_put(txn, dbi, &empty, &data, 0) == MDB_BAD_VALSIZE);
	CHECK(mdb_put(txn, dbi, &k512, &data, 0) == MDB_BAD_VALSIZE);
	CHECK(mdb_put(txn, dbi, &k511, &data, 0) == 0);
	CHECK(mdb_get(txn, dbi, &empty, &data) == MDB_BAD_VALSIZE);
	MDB_val out;
	CHECK(mdb_get(txn, dbi, &k511, &out) == 0);
	CHECK(out.mv_size == 1);
	// A failed size check does not poison the transaction.
	CHECK(mdb_txn_commit(txn) == 0);
}

TEST_CASE("writes in a read-only transaction are EACCES") {
	TempDir d;
	Env e(d.path());
	REQUIRE(e.rc == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	MDB_val k = val("k"), v = val("v");
	CHECK(mdb_put(txn, dbi, &k, &v, 0) == EACCES);
	CHECK(mdb_del(txn, dbi, &k, nullptr) == EACCES);
	CHECK(mdb_drop(txn, dbi, 0) == EACCES);
	MDB_dbi named;
	CHECK(mdb_dbi_open(txn, "x", MDB_CREATE, &named) == EACCES);  // creating needs a write txn
	CHECK(mdb_dbi_open(txn, "x", 0, &named) == MDB_NOTFOUND);
	mdb_txn_abort(txn);
}

TEST_CASE("more named databases than maxdbs is MDB_DBS_FULL") {
	TempDir d;
	Env e(d.path(), 1 << 20, 2);
	REQUIRE(e.rc == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	MDB_dbi a, b, c;
	CHECK(mdb_dbi_open(txn, "a", MDB_CREATE, &a) == 0);
	CHECK(mdb_dbi_open(txn, "b", MDB_CREATE, &b) == 0);
	CHECK(mdb_dbi_open(txn, "c", MDB_CREATE, &c) == MDB_DBS_FULL);
	CHECK(mdb_dbi_open(txn, "a", 0, &c) == 0);  // an open name is found again
	CHECK(c == a);
	CHECK(mdb_txn_commit(txn) == 0);
}

TEST_CASE("invalid database handles are EINVAL") {
	TempDir d;
	Env e(d.path());
	REQUIRE(e.rc == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	MDB_val k = val("k"), v = val("v");
	CHECK(mdb_put(txn, 99, &k, &v, 0) == EINVAL);
	CHECK(mdb_get(txn, 99, &k, &v) == EINVAL);
	MDB_cursor *cur;
	CHECK(mdb_cursor_open(txn, 99, &cur) == EINVAL);
	CHECK(mdb_cursor_open(txn, 0, &cur) == EINVAL);  // the free db, in a write txn
	mdb_txn_abort(txn);
}

TEST_CASE("a full map fails with MDB_MAP_FULL and leaves the txn only abortable") {
	TempDir d;
	Env e(d.path(), 64 * 4096);
	REQUIRE(e.rc == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	int rc = 0;
	std::string value(1000, 'v');
	for (int i = 0; i < 10000 && rc == 0; i++) {
		std::string key = "key" + std::to_string(i);
		MDB_val k = val(key), v = val(value);
		rc = mdb_put(txn, dbi, &k, &v, 0);
	}
	CHECK(rc == MDB_MAP_FULL);
	MDB_val k = val("another"), v = val("x");
	CHECK(mdb_put(txn, dbi, &k, &v, 0) == MDB_BAD_TXN);
	CHECK(mdb_get(txn, dbi, &k, &v) == MDB_BAD_TXN);
	CHECK(mdb_txn_commit(txn) == MDB_BAD_TXN);  // and the txn is gone
	// The environment is still usable.
	REQUIRE(mdb_txn_begin(e.env, nullptr, 0, &txn) == 0);
	CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
}

TEST_CASE("files that are not LMDB environments are rejected") {
	TempDir d;
	auto write_file = [&](const std::string &bytes) {
		int fd = ::open(d.file("data.mdb").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		REQUIRE(fd >= 0);
		REQUIRE(::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size()));
		::close(fd);
	};
	SECTION("text file") {
		write_file(std::string(8192, 'x'));
		Env e(d.path());
		CHECK(e.rc == MDB_INVALID);
	}
	SECTION("short file") {
		write_file(std::string(100, '\0'));
		Env e(d.path());
		CHECK(e.rc == MDB_INVALID);
	}
	SECTION("another data version") {
		{
			Env e(d.path());
			REQUIRE(e.rc == 0);
		}
		int fd = ::open(d.file("data.mdb").c_str(), O_RDWR);
		REQUIRE(fd >= 0);
		uint32_t version = 999;
		for (off_t page : {off_t(0), off_t(sysconf(_SC_PAGESIZE))})
			REQUIRE(::pwrite(fd, &version, sizeof version, page + 16 + 4) == 4);
		::close(fd);
		Env e(d.path());
		CHECK(e.rc == MDB_VERSION_MISMATCH);
	}
	SECTION("missing directory") {
		Env e(d.file("nothere"));
		CHECK(e.rc == ENOENT);
	}
	SECTION("read-only open of a missing environment") {
		Env e(d.path(), 1 << 20, 4, MDB_RDONLY);
		CHECK(e.rc == ENOENT);
	}
}

TEST_CASE("mdb_strerror describes library codes and errno values") {
	CHECK(std::string(mdb_strerror(0)) == "Successful return: 0");
	CHECK(std::string(mdb_strerror(MDB_NOTFOUND)) == "MDB_NOTFOUND: No matching key/data pair found");
	CHECK(std::string(mdb_strerror(MDB_BAD_DBI)).rfind("MDB_BAD_DBI:", 0) == 0);
	CHECK(std::string(mdb_strerror(ENOENT)) == std::string(strerror(ENOENT)));
	int major = -1, minor = -1, patch = -1;
	CHECK(std::string(mdb_version(&major, &minor, &patch)) == "LMDB 0.9.33: (May 21, 2024)");
	CHECK((major == 0 && minor == 9 && patch == 33));
}
