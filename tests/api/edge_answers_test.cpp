// Answers at the edges of the API and of the lock table that no other test
// asked for (found by scripts/coverage_gaps.py; docs/coverage.md).  Where
// upstream answers, the answer here was checked against it (0.9.24); where
// upstream crashes, the answer is ours and documented.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "lmdb.h"
#include "lock/lock_table.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;

namespace {

MDB_env *open_env(const TempDir &dir, unsigned maxdbs = 0) {
	MDB_env *env = nullptr;
	REQUIRE(mdb_env_create(&env) == 0);
	if (maxdbs) REQUIRE(mdb_env_set_maxdbs(env, maxdbs) == 0);
	REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0644) == 0);
	return env;
}

}  // namespace

// Upstream reads the meta pages that are not there yet (a crash): ours
// answers with what is known, the map size and the reader limit.
TEST_CASE("mdb_env_info before mdb_env_open: the configured sizes, zeros elsewhere", "[api]") {
	MDB_env *env = nullptr;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, 1 << 20) == 0);
	REQUIRE(mdb_env_set_maxreaders(env, 77) == 0);
	MDB_envinfo info;
	std::memset(&info, 0x55, sizeof info);
	CHECK(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapsize == size_t(1) << 20);
	CHECK(info.me_maxreaders == 77);
	CHECK(info.me_mapaddr == nullptr);
	CHECK(info.me_last_pgno == 0);
	CHECK(info.me_last_txnid == 0);
	CHECK(info.me_numreaders == 0);
	mdb_env_close(env);
}

// As upstream: the main db's flags given to mdb_dbi_open(NULL) are stored
// with the next commit, and named dbs cannot live in a main db whose keys
// are not names (INTEGERKEY or DUPSORT).
TEST_CASE("mdb_dbi_open(NULL, flags) stores the main db's flags; named dbs then refused", "[api]") {
	TempDir dir;
	MDB_env *env = open_env(dir, 4);
	MDB_txn *txn;
	MDB_dbi dbi;
	unsigned flags = 0;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, nullptr, MDB_INTEGERKEY, &dbi) == 0);
	CHECK(dbi == 1);
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);

	env = open_env(dir, 4);
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	REQUIRE(mdb_dbi_flags(txn, dbi, &flags) == 0);
	CHECK(flags == MDB_INTEGERKEY);
	CHECK(mdb_dbi_open(txn, "named", MDB_CREATE, &dbi) == MDB_INCOMPATIBLE);
	CHECK(mdb_dbi_open(txn, "named", 0, &dbi) == MDB_NOTFOUND);
	// Opening the main db again with the flags it has changes nothing.
	REQUIRE(mdb_dbi_open(txn, nullptr, MDB_INTEGERKEY, &dbi) == 0);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

// As upstream: the ops that need a key or a data item say EINVAL without
// one, as does an op that does not exist.
TEST_CASE("mdb_cursor_get: EINVAL for a missing key or data item and for an unknown op", "[api]") {
	TempDir dir;
	MDB_env *env = open_env(dir);
	MDB_txn *txn;
	MDB_cursor *c;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_val k = val("a"), v = val("b"), d{};
	REQUIRE(mdb_put(txn, 1, &k, &v, 0) == 0);
	REQUIRE(mdb_cursor_open(txn, 1, &c) == 0);
	CHECK(mdb_cursor_get(c, &k, nullptr, MDB_GET_BOTH) == EINVAL);
	CHECK(mdb_cursor_get(c, &k, nullptr, MDB_GET_BOTH_RANGE) == EINVAL);
	CHECK(mdb_cursor_get(c, nullptr, &d, MDB_SET) == EINVAL);
	CHECK(mdb_cursor_get(c, nullptr, &d, MDB_SET_RANGE) == EINVAL);
	CHECK(mdb_cursor_get(c, &k, &d, MDB_cursor_op(99)) == EINVAL);
	// The cursor and the txn are fine after it.
	MDB_val kk{}, dd{};
	CHECK(mdb_cursor_get(c, &kk, &dd, MDB_FIRST) == 0);
	CHECK(test_support::str(dd) == "b");
	mdb_cursor_close(c);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

// Upstream's second commit of its env's write txn crashes; ours answers
// MDB_BAD_TXN, a further abort does nothing, and the env writes on.
TEST_CASE("A second commit or abort of an ended write txn: MDB_BAD_TXN, the env goes on", "[api]") {
	TempDir dir;
	MDB_env *env = open_env(dir);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_val k = val("a"), v = val("b");
	REQUIRE(mdb_put(txn, 1, &k, &v, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);
	CHECK(mdb_txn_commit(txn) == MDB_BAD_TXN);
	mdb_txn_abort(txn);
	MDB_txn *t2;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &t2) == 0);
	MDB_val got{};
	CHECK(mdb_get(t2, 1, &k, &got) == 0);
	CHECK(test_support::str(got) == "b");
	MDB_val k2 = val("c");
	CHECK(mdb_put(t2, 1, &k2, &v, 0) == 0);
	CHECK(mdb_txn_commit(t2) == 0);
	mdb_env_close(env);
}

TEST_CASE("Lock table not opened: EINVAL, no readers, nothing to release", "[lock]") {
	lmdb::lock::LockTable lt;
	CHECK_FALSE(lt.is_open());
	CHECK(lt.max_readers() == 0);
	CHECK(lt.lock_writer(false, nullptr, nullptr) == EINVAL);
	lmdb::lock::ReaderSlot *slot = reinterpret_cast<lmdb::lock::ReaderSlot *>(1);
	CHECK(lt.acquire_reader(&slot) == EINVAL);
	CHECK(slot == nullptr);
	lt.release_reader(nullptr);
	lt.close();
	CHECK_FALSE(lt.is_open());
}

// A copy into a pipe whose reader is gone: EPIPE, and the process is not
// killed by SIGPIPE (it is blocked for the copy, and a pending one dropped,
// as upstream does for its copy's writer).
TEST_CASE("mdb_env_copyfd2 into a pipe without a reader: EPIPE, no SIGPIPE", "[api]") {
	TempDir dir;
	MDB_env *env = open_env(dir);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	for (int i = 0; i < 200; i++) {
		std::string k = "key" + std::to_string(i), v(500, 'v');
		MDB_val kv = val(k), vv = val(v);
		REQUIRE(mdb_put(txn, 1, &kv, &vv, 0) == 0);
	}
	REQUIRE(mdb_txn_commit(txn) == 0);
	for (unsigned flags : {0u, unsigned(MDB_CP_COMPACT)}) {
		int p[2];
		REQUIRE(pipe(p) == 0);
		::close(p[0]);
		CHECK(mdb_env_copyfd2(env, p[1], flags) == EPIPE);
		::close(p[1]);
		sigset_t pending;
		sigpending(&pending);
		CHECK_FALSE(sigismember(&pending, SIGPIPE));
	}
	mdb_env_close(env);
}

// Two lock files in one process: the one opened first is closed first
// (it is not the newest entry of the process's list of lock files), and
// the other one goes on working.
TEST_CASE("Two lock tables in one process closed in the order they were opened", "[lock]") {
	TempDir a, b;
	lmdb::lock::LockTable la, lb;
	bool excl = false;
	REQUIRE(la.open(a.file("lock.mdb").c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	REQUIRE(lb.open(b.file("lock.mdb").c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	la.close();
	CHECK_FALSE(la.is_open());
	lmdb::lock::ReaderSlot *slot = nullptr;
	CHECK(lb.acquire_reader(&slot) == 0);
	CHECK(slot != nullptr);
	lb.release_reader(slot);
	CHECK(lb.lock_writer(false, nullptr, nullptr) == 0);
	lb.unlock_writer();
	// The first file opens again.
	REQUIRE(la.open(a.file("lock.mdb").c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	CHECK(la.max_readers() == 8);
}

// As upstream: an env that never had a commit (txnid 0), opened read-only
// first (its lock table is new and publishes txnid 0): read txns see the
// empty snapshot 0.
TEST_CASE("A read-only env on a file that never had a commit: snapshot 0, empty", "[api]") {
	TempDir dir;
	{
		MDB_env *env = open_env(dir);
		mdb_env_close(env);
	}
	REQUIRE(::unlink(dir.file("lock.mdb").c_str()) == 0);
	MDB_env *env = nullptr;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, dir.path().c_str(), MDB_RDONLY, 0644) == 0);
	for (int round = 0; round < 2; round++) {
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
		CHECK(mdb_txn_id(txn) == 0);
		MDB_stat st;
		REQUIRE(mdb_stat(txn, 1, &st) == 0);
		CHECK(st.ms_entries == 0);
		MDB_cursor *c;
		MDB_val k, v;
		REQUIRE(mdb_cursor_open(txn, 1, &c) == 0);
		CHECK(mdb_cursor_get(c, &k, &v, MDB_FIRST) == MDB_NOTFOUND);
		mdb_cursor_close(c);
		mdb_txn_abort(txn);
	}
	mdb_env_close(env);
}
