// Allocation-failure sweep: every heap allocation that src/ makes during an
// env open (new and existing file), a read txn, a commit (small, one that
// spills, one that deletes half the records), a nested txn, opening a new
// named db, cursor puts into a DUPSORT db, mdb_reader_check, a copy and a
// compacting copy, made to fail in turn (the Call::Alloc kind of the fault
// seam, src/util/fault.h).  For each case: the call answers ENOMEM, nothing
// crashes or leaks (the asan preset), and once the fault is gone the same
// handle reads what was committed and writes again, and a fresh handle sees
// exactly the last commit that returned 0.  One allocation may fail without
// the call failing: the position marks of the copy-on-write page check
// (btree/position_marks.h), whose caller then checks the page without them
// (navigate.cpp, nodes_placed); such a call must then have done its work.
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

// The main db's records and those of the DUPSORT db "dups".
struct Data {
	std::map<std::string, std::string> main;
	std::map<std::string, std::vector<std::string>> dups;
	bool operator==(const Data &o) const { return main == o.main && dups == o.dups; }
};

using test_support::ShmDir;

int open_env(const std::string &dir, MDB_env **out) {
	MDB_env *env = nullptr;
	int rc = mdb_env_create(&env);
	if (rc) return rc;
	mdb_env_set_mapsize(env, 16 << 20);
	mdb_env_set_maxdbs(env, 4);
	rc = mdb_env_open(env, dir.c_str(), 0, 0644);
	if (rc) {
		mdb_env_close(env);
		return rc;
	}
	*out = env;
	return 0;
}

// Puts `n` records of `vsize` bytes (one of 9000: an overflow value) from
// `round`, deletes the smallest key; `data` follows if the commit succeeds.
int commit_some(MDB_env *env, Data *data, int round, int n = 30, size_t vsize = 40) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	Data next = *data;
	for (int i = 0; i < n; i++) {
		std::string k = "k" + std::to_string((i * 7 + round * 13) % (n < 97 ? 97 : 4 * n));
		std::string v = std::to_string(round) + std::string(i == 3 ? 9000 : vsize + size_t(i % 17), char('a' + round % 26));
		MDB_val kv = val(k), vv = val(v);
		if ((rc = mdb_put(txn, 1, &kv, &vv, 0))) {
			mdb_txn_abort(txn);
			return rc;
		}
		next.main[k] = v;
	}
	std::string k = next.main.begin()->first;
	MDB_val kv = val(k);
	if ((rc = mdb_del(txn, 1, &kv, nullptr))) {
		mdb_txn_abort(txn);
		return rc;
	}
	next.main.erase(k);
	rc = mdb_txn_commit(txn);
	if (rc == 0) *data = next;
	return rc;
}

// Duplicates into "dups" through a cursor: a few keys with a handful of
// values (sub-pages) and one key with enough to need a sub-db.
int put_dups(MDB_env *env, Data *data, int round) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	MDB_dbi dbi;
	MDB_cursor *c = nullptr;
	Data next = *data;
	if ((rc = mdb_dbi_open(txn, "dups", MDB_DUPSORT | MDB_CREATE, &dbi)) || (rc = mdb_cursor_open(txn, dbi, &c))) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (int key = 0; key < 4; key++) {
		int nv = key == 0 ? 120 : 5;
		std::string k = "d" + std::to_string(key);
		for (int i = 0; i < nv; i++) {
			std::string v = "r" + std::to_string(round) + "v" + std::to_string(1000 + i) + std::string(30, 'x');
			MDB_val kv = val(k), vv = val(v);
			if ((rc = mdb_cursor_put(c, &kv, &vv, 0))) {
				mdb_cursor_close(c);
				mdb_txn_abort(txn);
				return rc;
			}
			auto &vs = next.dups[k];
			vs.insert(std::upper_bound(vs.begin(), vs.end(), v), v);
		}
	}
	mdb_cursor_close(c);
	rc = mdb_txn_commit(txn);
	if (rc == 0) *data = next;
	return rc;
}

// Deletes every other record of the main db.
int delete_half(MDB_env *env, Data *data) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	Data next = *data;
	bool odd = false;
	for (auto &kv : data->main) {
		if ((odd = !odd)) continue;
		MDB_val k = val(kv.first);
		if ((rc = mdb_del(txn, 1, &k, nullptr))) {
			mdb_txn_abort(txn);
			return rc;
		}
		next.main.erase(kv.first);
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) *data = next;
	return rc;
}

// A child txn that puts and deletes (its freed pages go to the parent's
// list), committed into its parent, which has a cursor open (the child
// keeps a copy of it) and commits.
int nested(MDB_env *env, Data *data) {
	MDB_txn *parent, *child;
	int rc = mdb_txn_begin(env, nullptr, 0, &parent);
	if (rc) return rc;
	Data next = *data;
	MDB_cursor *pc = nullptr;
	MDB_val k = val("parent"), v = val("p");
	if ((rc = mdb_put(parent, 1, &k, &v, 0)) || (rc = mdb_cursor_open(parent, 1, &pc)) ||
	    (rc = mdb_cursor_get(pc, &k, &v, MDB_FIRST)) || (rc = mdb_txn_begin(env, parent, 0, &child))) {
		mdb_txn_abort(parent);
		return rc;
	}
	next.main["parent"] = "p";
	for (int i = 0; i < 40; i++) {
		std::string ks = "child" + std::to_string(i), vs(300, char('c' + i % 20));
		MDB_val kv = val(ks), vv = val(vs);
		if ((rc = mdb_put(child, 1, &kv, &vv, 0))) {
			mdb_txn_abort(parent);  // ends the child too
			return rc;
		}
		next.main[ks] = vs;
	}
	// Every record of the base but the first ten: pages freed.
	int n = 0;
	for (auto &kv : data->main) {
		if (n++ < 10) continue;
		MDB_val kk = val(kv.first);
		if ((rc = mdb_del(child, 1, &kk, nullptr))) {
			mdb_txn_abort(parent);
			return rc;
		}
		next.main.erase(kv.first);
	}
	if ((rc = mdb_txn_commit(child))) {
		mdb_txn_abort(parent);
		return rc;
	}
	rc = mdb_txn_commit(parent);
	if (rc == 0) *data = next;
	return rc;
}

// Opens a new named db and puts into it.
int new_dbi(MDB_env *env, Data *data) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	MDB_dbi dbi;
	if ((rc = mdb_dbi_open(txn, "named", MDB_CREATE, &dbi))) {
		mdb_txn_abort(txn);
		return rc;
	}
	MDB_val k = val("n"), v = val("named");
	if ((rc = mdb_put(txn, dbi, &k, &v, 0))) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn);
	(void)data;  // "named" is not compared (its record is in the main db's view only as a db)
	return rc;
}

// What a read txn sees, or "" with the error in *rc.
int read_all(MDB_env *env, Data *got) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
	if (rc) return rc;
	MDB_cursor *c;
	MDB_val k, v;
	if ((rc = mdb_cursor_open(txn, 1, &c))) {
		mdb_txn_abort(txn);
		return rc;
	}
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		// Named dbs are records of the main db: skip them.
		std::string ks = str(k);
		if (ks == "dups" || ks == "named") continue;
		got->main[ks] = str(v);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return rc;
	}
	MDB_dbi dbi;
	rc = mdb_dbi_open(txn, "dups", 0, &dbi);
	if (rc == 0) {
		if ((rc = mdb_cursor_open(txn, dbi, &c))) {
			mdb_txn_abort(txn);
			return rc;
		}
		while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) got->dups[str(k)].push_back(str(v));
		mdb_cursor_close(c);
	}
	mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

// What a fresh handle sees: "" if it is `want`.
std::string verify(const std::string &dir, const Data &want) {
	MDB_env *env = nullptr;
	int rc = open_env(dir, &env);
	if (rc) return std::string("reopen: ") + mdb_strerror(rc);
	Data got;
	rc = read_all(env, &got);
	mdb_env_close(env);
	if (rc) return std::string("read: ") + mdb_strerror(rc);
	if (!(got == want))
		return "contents differ: " + std::to_string(got.main.size()) + "+" + std::to_string(got.dups.size()) +
		       " records, want " + std::to_string(want.main.size()) + "+" + std::to_string(want.dups.size());
	return "";
}

enum class Op { OpenNew, OpenExisting, ReadTxn, Commit, SpillCommit, DeleteHalf, Nested, NewDbi, CursorDups,
	        ReaderCheck, Copy, CopyCompact };
const char *op_name(Op o) {
	static const char *names[] = {"open (new env)", "open (existing env)", "read txn", "commit",
	                              "commit that spills", "commit that deletes half", "nested txn",
	                              "new named db", "cursor puts of duplicates", "mdb_reader_check",
	                              "copy", "compacting copy"};
	return names[unsigned(o)];
}

// Runs op `o` with the nth allocation failing (0: counting only); "" or
// what went wrong.  *allocs gets the number of allocations seen.
// A fired fault must give ENOMEM, or 0 where it was absorbed (*absorbed).
bool answer_ok(int rc, bool *absorbed) {
	if (!fault::fired()) return rc == 0;
	if (rc == 0) *absorbed = true;
	return rc == ENOMEM || rc == 0;
}

std::string run_case(Op o, unsigned nth, unsigned *allocs, bool *absorbed) {
	ShmDir dir;
	Data data;
	int rc;
	std::string what = std::string(op_name(o)) + ", allocation #" + std::to_string(nth);
	auto fail = [&](const std::string &why) {
		fault::disarm();
		return what + ": " + why;
	};
	auto arm = [&] {
		if (nth)
			fault::arm(Call::Alloc, nth, ENOMEM, false);
		else
			fault::count_all();
	};
	// The base: records in both dbs (several pages, a sub-db).
	if (o != Op::OpenNew) {
		MDB_env *env = nullptr;
		if ((rc = open_env(dir.path(), &env))) return fail("setup open");
		rc = commit_some(env, &data, 1, 200, 100);
		if (!rc) rc = put_dups(env, &data, 1);
		mdb_env_close(env);
		if (rc) return fail(std::string("setup: ") + mdb_strerror(rc));
	}
	std::string copy_dir = dir.path() + "/copy";
	if (o == Op::OpenNew || o == Op::OpenExisting) {
		MDB_env *env = nullptr;
		arm();
		rc = open_env(dir.path(), &env);
		fault::disarm();
		if (allocs) *allocs = fault::calls(Call::Alloc);
		if (fault::fired() ? rc != ENOMEM : rc != 0) return fail(std::string("open: ") + mdb_strerror(rc));
		if (rc == 0) mdb_env_close(env);
	} else {
		MDB_env *env = nullptr;
		if ((rc = open_env(dir.path(), &env))) return fail("open");
		if (o == Op::Copy || o == Op::CopyCompact) mkdir(copy_dir.c_str(), 0755);
		if (o == Op::SpillCommit) lmdb::set_dirty_limit(16);
		int dead = -1;
		Data seen;
		arm();
		switch (o) {
		case Op::ReadTxn: rc = read_all(env, &seen); break;
		case Op::Commit: rc = commit_some(env, &data, 2); break;
		case Op::SpillCommit: rc = commit_some(env, &data, 2, 300, 600); break;
		case Op::DeleteHalf: rc = delete_half(env, &data); break;
		case Op::Nested: rc = nested(env, &data); break;
		case Op::NewDbi: rc = new_dbi(env, &data); break;
		case Op::CursorDups: rc = put_dups(env, &data, 2); break;
		case Op::ReaderCheck: rc = mdb_reader_check(env, &dead); break;
		case Op::Copy: rc = mdb_env_copy2(env, copy_dir.c_str(), 0); break;
		case Op::CopyCompact: rc = mdb_env_copy2(env, copy_dir.c_str(), MDB_CP_COMPACT); break;
		default: break;
		}
		fault::disarm();
		lmdb::set_dirty_limit(0);
		if (allocs) *allocs = fault::calls(Call::Alloc);
		if (!answer_ok(rc, absorbed)) {
			mdb_env_close(env);
			return fail(std::string("returned ") + mdb_strerror(rc));
		}
		if (o == Op::ReadTxn && rc == 0 && !(seen == data)) {
			mdb_env_close(env);
			return fail("read txn saw other contents");
		}
		if (o == Op::ReaderCheck && rc == 0 && dead != 0) {
			mdb_env_close(env);
			return fail("mdb_reader_check found " + std::to_string(dead) + " dead readers");
		}
		// The same handle reads what was committed and writes again.
		Data got;
		if ((rc = read_all(env, &got)) || !(got == data)) {
			mdb_env_close(env);
			return fail(rc ? std::string("same handle, read: ") + mdb_strerror(rc) : "same handle sees other contents");
		}
		if ((rc = commit_some(env, &data, 3))) {
			mdb_env_close(env);
			return fail(std::string("same handle, commit after the fault: ") + mdb_strerror(rc));
		}
		mdb_env_close(env);
	}
	std::string v = verify(dir.path(), data);
	if (!v.empty()) return fail(v);
	// A copy made after the fault is whole.
	if (o == Op::Copy || o == Op::CopyCompact) {
		MDB_env *env = nullptr;
		std::string again = dir.path() + "/copy2";
		mkdir(again.c_str(), 0755);
		if ((rc = open_env(dir.path(), &env))) return fail("open for the second copy");
		rc = mdb_env_copy2(env, again.c_str(), o == Op::CopyCompact ? MDB_CP_COMPACT : 0);
		mdb_env_close(env);
		if (rc) return fail(std::string("copy after the fault: ") + mdb_strerror(rc));
		v = verify(again, data);
		if (!v.empty()) return fail("copy after the fault: " + v);
	}
	return "";
}

}  // namespace

TEST_CASE("allocation faults: every failing allocation answers ENOMEM and leaves the env usable", "[faults]") {
	const Op ops[] = {Op::OpenNew, Op::OpenExisting, Op::ReadTxn, Op::Commit, Op::SpillCommit, Op::DeleteHalf,
	                  Op::Nested, Op::NewDbi, Op::CursorDups, Op::ReaderCheck, Op::Copy, Op::CopyCompact};
	std::vector<std::string> failures;
	unsigned cases = 0, absorbed_cases = 0;
	for (Op o : ops) {
		unsigned n = 0;
		bool absorbed = false;
		std::string r = run_case(o, 0, &n, &absorbed);
		if (!r.empty()) failures.push_back(r);
		INFO(op_name(o));
		CHECK(n > 0);  // every op allocates something
		for (unsigned nth = 1; nth <= n; nth++) {
			cases++;
			unsigned seen = 0;
			absorbed = false;
			r = run_case(o, nth, &seen, &absorbed);
			if (!r.empty()) failures.push_back(r);
			absorbed_cases += absorbed;
		}
	}
	INFO(cases << " cases, " << absorbed_cases << " absorbed");
	std::string shown;
	for (size_t i = 0; i < failures.size() && i < 30; i++) shown += failures[i] + "\n";
	INFO(failures.size() << " failures:\n" << shown);
	CHECK(cases > 100);
	// Absorbed: only the page check's marks, allocated once per env.
	CHECK(absorbed_cases < cases / 10);
	CHECK(failures.empty());
}

TEST_CASE("allocation faults: a failing realloc keeps the old block", "[faults]") {
	void *p = lmdb::os::sys_malloc(16);
	REQUIRE(p);
	std::memset(p, 7, 16);
	fault::arm(Call::Alloc, 1, ENOMEM, false);
	void *q = lmdb::os::sys_realloc(p, 1 << 20);
	int e = errno;
	fault::disarm();
	CHECK(q == nullptr);
	CHECK(e == ENOMEM);
	CHECK(fault::fired());
	CHECK(static_cast<unsigned char *>(p)[15] == 7);
	std::free(p);
}
