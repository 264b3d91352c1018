// Fault sweep: every system call that changes a file or a mapping during a
// commit, an open (new and existing environment), a copy, a compacting copy
// and mdb_env_sync, made to fail in turn (EIO, ENOSPC, EFBIG; before the call takes
// effect and after it), under each set of env flags.  For each case: the
// error reaches the caller, nothing crashes, a fresh env handle (after the
// faulted one is closed) sees exactly the last commit that returned 0, and
// once the fault is gone the same handle -- or, where the env was marked
// fatal, a reopened one -- writes again.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"
#include "txn/spill.h"
#include "util/fault.h"

using lmdb::os::Call;
namespace fault = lmdb::os::fault;
using test_support::str;
using test_support::val;

namespace {

using Data = std::map<std::string, std::string>;

using test_support::ShmDir;

int open_env(const std::string &dir, unsigned flags, MDB_env **out) {
	MDB_env *env = nullptr;
	int rc = mdb_env_create(&env);
	if (rc) return rc;
	mdb_env_set_mapsize(env, 8 << 20);
	rc = mdb_env_open(env, dir.c_str(), flags, 0644);
	if (rc) {
		mdb_env_close(env);
		return rc;
	}
	*out = env;
	return 0;
}

// One commit that dirties several pages, an overflow value among them, and
// deletes a key; `data` follows it if the commit returns 0.
int commit_some(MDB_env *env, Data *data, int round) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	Data next = *data;
	for (int i = 0; i < 30; i++) {
		std::string k = "k" + std::to_string((i * 7 + round * 13) % 97);
		std::string v = std::to_string(round) + std::string(size_t(i == 3 ? 9000 : 40 + i), 'a' + char(round % 26));
		MDB_val kv = val(k), vv = val(v);
		if ((rc = mdb_put(txn, 1, &kv, &vv, 0))) {
			mdb_txn_abort(txn);
			return rc;
		}
		next[k] = v;
	}
	if (!next.empty()) {
		std::string k = next.begin()->first;
		MDB_val kv = val(k);
		if ((rc = mdb_del(txn, 1, &kv, nullptr))) {
			mdb_txn_abort(txn);
			return rc;
		}
		next.erase(k);
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) *data = next;
	return rc;
}

// One commit of 300 records of 600 bytes (more pages than a small dirty
// limit lets a txn keep in memory).
int commit_big(MDB_env *env, Data *data) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	Data next = *data;
	for (int i = 0; i < 300; i++) {
		std::string k = "big" + std::to_string(i * 7919 % 1000), v(600, char('A' + i % 26));
		MDB_val kv = val(k), vv = val(v);
		if ((rc = mdb_put(txn, 1, &kv, &vv, 0))) {
			mdb_txn_abort(txn);
			return rc;
		}
		next[k] = v;
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) *data = next;
	return rc;
}

// What a fresh handle sees.  "" if it is `want`, else what differs.
std::string verify(const std::string &dir, unsigned flags, const Data &want) {
	MDB_env *env = nullptr;
	int rc = open_env(dir, flags, &env);
	if (rc) return std::string("reopen: ") + mdb_strerror(rc);
	MDB_txn *txn;
	if ((rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn))) {
		mdb_env_close(env);
		return std::string("read txn: ") + mdb_strerror(rc);
	}
	Data got;
	MDB_cursor *c;
	MDB_val k, v;
	mdb_cursor_open(txn, 1, &c);
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) got[str(k)] = str(v);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	if (rc != MDB_NOTFOUND) return std::string("scan: ") + mdb_strerror(rc);
	if (got != want) return "contents differ: " + std::to_string(got.size()) + " records, want " + std::to_string(want.size());
	return "";
}

enum class Op { Commit, SpillCommit, OpenNew, OpenExisting, Copy, CopyCompact, Sync };
const char *op_name(Op o) {
	switch (o) {
	case Op::Commit: return "commit";
	case Op::SpillCommit: return "commit that spills";
	case Op::OpenNew: return "open (new env)";
	case Op::OpenExisting: return "open (existing env)";
	case Op::Copy: return "copy";
	case Op::CopyCompact: return "compacting copy";
	case Op::Sync: return "mdb_env_sync";
	}
	return "?";
}
const char *call_name(Call c) {
	static const char *names[] = {"write", "sync", "msync", "ftruncate", "mmap", "fallocate", "alloc"};
	return names[unsigned(c)];
}

struct Case {
	unsigned flags;
	Op op;
	Call kind;
	unsigned nth;  // 0: count only
	int err;
	bool after;
};

std::string describe(const Case &c) {
	return std::string(op_name(c.op)) + ", flags 0x" + std::to_string(c.flags) + ", " + call_name(c.kind) + " #" +
	       std::to_string(c.nth) + " -> " + std::strerror(c.err) + (c.after ? " after" : " before");
}

void arm(const Case &c) {
	if (c.nth)
		fault::arm(c.kind, c.nth, c.err, c.after);
	else
		fault::count_all();
}

// Runs one case; returns "" or what went wrong.  With nth == 0 the calls
// are only counted (into counts[]).
std::string run_case(const Case &c, unsigned *counts) {
	ShmDir dir;
	Data data;
	int rc;
	auto fail = [&](const std::string &what) {
		fault::disarm();
		return describe(c) + ": " + what;
	};
	// A base environment with one commit, except for the new-env open.
	if (c.op != Op::OpenNew) {
		MDB_env *env = nullptr;
		if ((rc = open_env(dir.path(), c.flags, &env))) return fail("setup open");
		rc = commit_some(env, &data, 1);
		mdb_env_close(env);
		if (rc) return fail("setup commit");
	}
	std::string copy_dir = dir.path() + "/copy";
	bool fatal = false;
	if (c.op == Op::OpenNew || c.op == Op::OpenExisting) {
		MDB_env *env = nullptr;
		arm(c);
		rc = open_env(dir.path(), c.flags, &env);
		fault::disarm();
		if (c.nth && fault::fired() && rc != c.err) return fail("open returned " + std::to_string(rc));
		if (!c.nth && rc) return fail("open without fault: " + std::to_string(rc));
		if (rc == 0) mdb_env_close(env);
	} else {
		MDB_env *env = nullptr;
		if ((rc = open_env(dir.path(), c.flags, &env))) return fail("open");
		if (c.op == Op::Commit) {
			arm(c);
			rc = commit_some(env, &data, 2);
			fault::disarm();
		} else if (c.op == Op::SpillCommit) {
			// A txn bigger than the dirty-page limit writes pages early.
			lmdb::set_dirty_limit(16);
			arm(c);
			rc = commit_big(env, &data);
			fault::disarm();
			lmdb::set_dirty_limit(0);
		} else if (c.op == Op::Sync) {
			arm(c);
			rc = mdb_env_sync(env, 1);
			fault::disarm();
		} else {
			mkdir(copy_dir.c_str(), 0755);
			arm(c);
			rc = mdb_env_copy2(env, copy_dir.c_str(), c.op == Op::CopyCompact ? MDB_CP_COMPACT : 0);
			fault::disarm();
		}
		// (A failed reservation ahead of need is retried for exactly
		// the pages needed: one failing fallocate may be absorbed.)
		bool absorbed = c.kind == Call::Allocate && rc == 0;
		if (c.nth && fault::fired() && rc != c.err && !absorbed)
			return fail("returned " + std::to_string(rc) + " (" + mdb_strerror(rc) + ")");
		if (!c.nth && rc) return fail(std::string("without fault: ") + mdb_strerror(rc));
		// The same handle writes again, unless the env was marked fatal.
		MDB_txn *t;
		int brc = mdb_txn_begin(env, nullptr, 0, &t);
		if (brc == MDB_PANIC) {
			fatal = true;
		} else if (brc) {
			mdb_env_close(env);
			return fail(std::string("begin after the fault: ") + mdb_strerror(brc));
		} else {
			mdb_txn_abort(t);
			if ((rc = commit_some(env, &data, 3))) {
				mdb_env_close(env);
				return fail(std::string("same handle, commit after the fault: ") + mdb_strerror(rc));
			}
		}
		mdb_env_close(env);
	}
	if (counts)
		for (unsigned k = 0; k < lmdb::os::kCallKinds; k++) counts[k] = fault::calls(Call(k));
	// A fresh handle sees exactly the last successful commit.
	std::string v = verify(dir.path(), c.flags, data);
	if (!v.empty()) return fail(v);
	// And writes (after a reopen if the env was fatal).
	{
		MDB_env *env = nullptr;
		if ((rc = open_env(dir.path(), c.flags, &env))) return fail("reopen for writing");
		rc = commit_some(env, &data, 4);
		mdb_env_close(env);
		if (rc) return fail(std::string(fatal ? "reopened" : "fresh") + " handle cannot commit: " + mdb_strerror(rc));
	}
	v = verify(dir.path(), c.flags, data);
	if (!v.empty()) return fail("after the last commit: " + v);
	// A copy made after the fault is whole.
	if (c.op == Op::Copy || c.op == Op::CopyCompact) {
		MDB_env *env = nullptr;
		std::string again = dir.path() + "/copy2";
		mkdir(again.c_str(), 0755);
		if ((rc = open_env(dir.path(), c.flags, &env))) return fail("open for the second copy");
		rc = mdb_env_copy2(env, again.c_str(), c.op == Op::CopyCompact ? MDB_CP_COMPACT : 0);
		mdb_env_close(env);
		if (rc) return fail(std::string("copy after the fault: ") + mdb_strerror(rc));
		v = verify(again, c.flags, data);
		if (!v.empty()) return fail("copy after the fault: " + v);
	}
	return "";
}

}  // namespace

TEST_CASE("fault sweep: every failing system call of commit, open and copy", "[faults]") {
	const unsigned flag_sets[] = {0, MDB_NOMETASYNC, MDB_NOSYNC, MDB_WRITEMAP, MDB_WRITEMAP | MDB_MAPASYNC};
	const Op ops[] = {Op::Commit, Op::SpillCommit, Op::OpenNew, Op::OpenExisting, Op::Copy, Op::CopyCompact, Op::Sync};
	const int errs[] = {EIO, ENOSPC, EFBIG};
	std::vector<std::string> failures;
	unsigned cases = 0;
	for (unsigned flags : flag_sets) {
		for (Op op : ops) {
			// (A WRITEMAP txn never spills: its pages are in the map.)
			if (op == Op::SpillCommit && (flags & MDB_WRITEMAP)) continue;
			unsigned counts[lmdb::os::kCallKinds] = {};
			std::string r = run_case(Case{flags, op, Call::Write, 0, 0, false}, counts);
			if (!r.empty()) failures.push_back(r);
			// Every op makes at least one call that can fail.
			unsigned total = 0;
			for (unsigned k = 0; k < lmdb::os::kCallKinds; k++)
				if (Call(k) != Call::Alloc) total += counts[k];
			if (total == 0) failures.push_back(std::string(op_name(op)) + ": no call seen");
			for (unsigned k = 0; k < lmdb::os::kCallKinds; k++) {
				// (Allocations: tests/env/alloc_fault_test.cpp.)
				if (Call(k) == Call::Alloc) continue;
				// Every call, with each error; where an op makes many
				// calls of a kind (a txn that spills), the first three,
				// the last two and three between, one error each (in
				// turn), to keep the sweep to a few seconds.
				const unsigned n = counts[k];
				std::vector<unsigned> picks;
				for (unsigned i = 1; i <= n; i++)
					if (n <= 8 || i <= 3 || i + 1 >= n || i == n / 4 || i == n / 2 || i == 3 * n / 4)
						picks.push_back(i);
				for (unsigned nth : picks) {
					for (int e : errs) {
						if (n > 8 && e != errs[nth % 3]) continue;
						for (bool after : {false, true}) {
							cases++;
							r = run_case(Case{flags, op, Call(k), nth, e, after}, nullptr);
							if (!r.empty()) failures.push_back(r);
						}
					}
				}
			}
		}
	}
	INFO(cases << " cases");
	std::string shown;
	for (size_t i = 0; i < failures.size() && i < 30; i++) shown += failures[i] + "\n";
	INFO(failures.size() << " failures:\n" << shown);
	CHECK(cases > 100);
	CHECK(failures.empty());
}

TEST_CASE("fault seam: disarmed, nothing is counted", "[faults]") {
	fault::count_all();
	fault::disarm();
	ShmDir dir;
	MDB_env *env = nullptr;
	REQUIRE(open_env(dir.path(), 0, &env) == 0);
	Data d;
	REQUIRE(commit_some(env, &d, 1) == 0);
	mdb_env_close(env);
	for (unsigned k = 0; k < lmdb::os::kCallKinds; k++) CHECK(fault::calls(Call(k)) == 0);
}

TEST_CASE("mdb_env_copy2 syncs the copy before it returns", "[faults]") {
	for (unsigned cflags : {0u, unsigned(MDB_CP_COMPACT)}) {
		ShmDir dir;
		MDB_env *env = nullptr;
		REQUIRE(open_env(dir.path(), 0, &env) == 0);
		Data d;
		REQUIRE(commit_some(env, &d, 1) == 0);
		std::string dst = dir.path() + "/copy";
		mkdir(dst.c_str(), 0755);
		fault::count_all();
		int rc = mdb_env_copy2(env, dst.c_str(), cflags);
		unsigned syncs = fault::calls(Call::Sync);
		fault::disarm();
		mdb_env_close(env);
		CHECK(rc == 0);
		CHECK(syncs == 1);
	}
}
