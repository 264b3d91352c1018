// Upstream's fixes after Debian's 0.9.24 (LMDB CHANGES, 0.9.25 to 0.9.33),
// one test each, named after the ITS number: we behave like the fix.  The
// other ITS entries are named where their tests live, or why none applies,
// in docs/divergences.md.  (ITS#9376, 9461, 9723, 8447, 9500:
// tests/dupsort/; ITS#9068, 8662, 10125: tools/tests/tools_test.sh.)
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "format/layout.h"
#include "lmdb.h"
#include "test_support.h"
#include "txn/spill.h"

namespace fmt = lmdb::format;
using test_support::TempDir;

namespace {

MDB_val val(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }

// An empty environment with pages of `psize` bytes, written by hand (a new
// environment takes the OS page size; an existing file keeps its own).
void write_empty_env(const std::string &dir, unsigned psize) {
	std::string bytes(size_t(psize) * fmt::kNumMetas, '\0');
	for (unsigned i = 0; i < fmt::kNumMetas; i++) {
		char *page = &bytes[size_t(i) * psize];
		fmt::PageHeader h{};
		h.pgno = i;
		h.flags = fmt::P_META;
		std::memcpy(page, &h, sizeof h);
		fmt::Meta m{};
		m.magic = fmt::kMagic;
		m.version = fmt::kDataVersion;
		m.mapsize = size_t(64) << 20;
		m.dbs[fmt::kFreeDbi].pad = psize;
		m.dbs[fmt::kFreeDbi].flags = MDB_INTEGERKEY;
		m.dbs[fmt::kFreeDbi].root = fmt::kInvalidPgno;
		m.dbs[fmt::kMainDbi].root = fmt::kInvalidPgno;
		m.last_pgno = fmt::kNumMetas - 1;
		std::memcpy(page + fmt::kPageHeaderSize, &m, sizeof m);
	}
	FILE *f = std::fopen((dir + "/data.mdb").c_str(), "wb");
	REQUIRE(f);
	REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
	std::fclose(f);
}

// The environment in d (64 MiB map, MDB_NOSYNC), a write txn and its main db.
void begin_main(const TempDir &d, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi) {
	REQUIRE(mdb_env_create(env) == 0);
	REQUIRE(mdb_env_set_mapsize(*env, size_t(64) << 20) == 0);
	REQUIRE(mdb_env_open(*env, d.path().c_str(), MDB_NOSYNC, 0644) == 0);
	REQUIRE(mdb_txn_begin(*env, nullptr, 0, txn) == 0);
	REQUIRE(mdb_dbi_open(*txn, nullptr, 0, dbi) == 0);
}

}  // namespace

// 0.9.30: the number of keys below which a split looks for the point by
// size was 32 for every page size; it is psize / 128.  With 8 KiB pages
// this stream of mixed-size values leaves 119 leaves under 0.9.30 and
// later (130 under 0.9.24; counts taken from both builds).
TEST_CASE("ITS#9806: the split's small-page threshold scales with the page size", "[its]") {
	TempDir d;
	write_empty_env(d.path(), 8192);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	begin_main(d, &env, &txn, &dbi);
	std::string value(300, 'v');
	for (unsigned i = 0; i < 3000; i++) {
		unsigned j = (i * 7919u) % 3000u;
		char key[32];
		std::snprintf(key, sizeof key, "key%08u", j);
		MDB_val k{std::strlen(key), key}, v{(j % 2) ? 60u : 300u, value.data()};
		REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
	}
	MDB_stat st;
	REQUIRE(mdb_stat(txn, dbi, &st) == 0);
	CHECK(st.ms_psize == 8192);
	CHECK(st.ms_depth == 2);
	CHECK(st.ms_branch_pages == 1);
	CHECK(st.ms_leaf_pages == 119);
	CHECK(st.ms_entries == 3000);
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

// 0.9.33: a handle whose named db's record has gone (deleted by another
// process) answers MDB_BAD_DBI, not MDB_NOTFOUND, when a txn uses it.
TEST_CASE("ITS#9037: a handle whose db record was deleted elsewhere answers MDB_BAD_DBI", "[its]") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_maxdbs(env, 4) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), MDB_NOSYNC, 0644) == 0);
	MDB_txn *txn;
	MDB_dbi dbi;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	REQUIRE(mdb_dbi_open(txn, "gone", MDB_CREATE, &dbi) == 0);
	std::string k = "k", v = "v";
	MDB_val kv = val(k), vv = val(v);
	REQUIRE(mdb_put(txn, dbi, &kv, &vv, 0) == 0);
	REQUIRE(mdb_txn_commit(txn) == 0);

	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {  // another process deletes the db
		MDB_env *e2;
		MDB_txn *t2;
		MDB_dbi d2;
		if (mdb_env_create(&e2) || mdb_env_set_maxdbs(e2, 4) || mdb_env_open(e2, d.path().c_str(), MDB_NOSYNC, 0644))
			_exit(2);
		if (mdb_txn_begin(e2, nullptr, 0, &t2) || mdb_dbi_open(t2, "gone", 0, &d2) || mdb_drop(t2, d2, 1) ||
		    mdb_txn_commit(t2))
			_exit(3);
		mdb_env_close(e2);
		test_support::child_exit(0);
	}
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status));
	REQUIRE(WEXITSTATUS(status) == 0);

	for (unsigned flags : {0u, unsigned(MDB_RDONLY)}) {
		REQUIRE(mdb_txn_begin(env, nullptr, flags, &txn) == 0);
		MDB_val got;
		CHECK(mdb_get(txn, dbi, &kv, &got) == MDB_BAD_DBI);
		MDB_cursor *c;
		if (mdb_cursor_open(txn, dbi, &c) == 0) {
			CHECK(mdb_cursor_get(c, &kv, &got, MDB_FIRST) == MDB_BAD_DBI);
			mdb_cursor_close(c);
		}
		mdb_txn_abort(txn);
	}
	mdb_env_close(env);
}

// 0.9.25: the list of spilled pages of a top-level txn is freed when the txn
// ends (commit or abort); the sanitizer build's leak check sees any left.
TEST_CASE("ITS#9155: a txn that spilled pages leaves nothing behind when it ends", "[its]") {
	struct Budget {  // a small dirty-page budget, so the txn spills soon
		Budget() { lmdb::set_dirty_limit(64); }
		~Budget() { lmdb::set_dirty_limit(0); }
	} budget;
	for (bool commit : {false, true}) {
		TempDir d;
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		begin_main(d, &env, &txn, &dbi);
		std::string value(3000, 'x');  // one overflow page each
		for (unsigned i = 0; i < 2000; i++) {
			char key[16];
			std::snprintf(key, sizeof key, "%010u", i);
			MDB_val k{10, key}, v = val(value);
			REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
		}
		if (commit)
			REQUIRE(mdb_txn_commit(txn) == 0);
		else
			mdb_txn_abort(txn);
		mdb_env_close(env);
	}
}

// 0.9.33 (RE branch): a read-only process on a lock file whose reader table
// was just created reads the newest snapshot, not txn 0.
TEST_CASE("ITS#10212: a read-only env with a new lock file reads the last commit", "[its]") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), MDB_NOSYNC, 0644) == 0);
	MDB_dbi dbi;
	for (int i = 0; i < 5; i++) {
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
		REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
		std::string k = "key", v = "v" + std::to_string(i);
		MDB_val kv = val(k), vv = val(v);
		REQUIRE(mdb_put(txn, dbi, &kv, &vv, 0) == 0);
		REQUIRE(mdb_txn_commit(txn) == 0);
	}
	mdb_env_close(env);
	REQUIRE(std::remove((d.path() + "/lock.mdb").c_str()) == 0);
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), MDB_RDONLY, 0644) == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	CHECK(mdb_txn_id(txn) == 5);
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	std::string k = "key";
	MDB_val kv = val(k), got;
	REQUIRE(mdb_get(txn, dbi, &kv, &got) == 0);
	CHECK(std::string(static_cast<char *>(got.mv_data), got.mv_size) == "v4");
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
