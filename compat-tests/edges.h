// Boundary cases, differential: each case is a short fixed call sequence run
// on upstream and on ours in a fresh environment; every call's return code
// and every byte it returns go into a transcript, and the two transcripts
// must be equal.  Where upstream's answer is a defect that we deliberately do
// not repeat (docs/divergences.md), the case asserts our answer with
// ours_expect() instead, outside the transcript.
#pragma once

#include <string>
#include <vector>

#include "api_table.h"

namespace compat::edges {

std::string hex(const MDB_val &v);
std::string code(int rc);

struct Run {
	Run(const LmdbApi &api, bool is_ours, std::string d) : a(api), ours(is_ours), dir(std::move(d)) {}
	~Run();
	Run(const Run &) = delete;
	Run &operator=(const Run &) = delete;

	const LmdbApi &a;
	const bool ours;
	const std::string dir;
	MDB_env *env = nullptr;
	MDB_txn *txn = nullptr;
	std::vector<std::string> log;
	std::vector<std::string> errors;  // failed ours_expect()s
	std::string last_key, last_data;  // of the last successful cget
	// The oracle's patch version (0.9.x): rules for defects fixed later.
	int oracle_patch = 0;
	bool oracle_before(int patch) const { return oracle_patch < patch; }

	// Transcript entries.
	int rc(const std::string &what, int r);
	void note(const std::string &s) { log.push_back(s); }
	// A ruled divergence or a rule of ours: asserted on our library only.
	void ours_expect(bool cond, const std::string &what);

	// Environment and transactions (all logged).
	int open_env(unsigned flags = MDB_NOSYNC, size_t mapsize = 0, unsigned maxdbs = 8);
	void close_env();
	int begin(unsigned flags = 0);
	int commit();
	void abort();
	MDB_dbi dbi(const char *name, unsigned flags);

	// Data calls on the current txn (logged with their results).
	int put(MDB_dbi d, const std::string &k, const std::string &v, unsigned flags = 0);
	int get(MDB_dbi d, const std::string &k);
	int del(MDB_dbi d, const std::string &k, const std::string *v = nullptr);
	MDB_cursor *cursor(MDB_dbi d);
	// A cursor op; key/data sent are `k`/`v` where the op reads them.
	int cget(MDB_cursor *c, MDB_cursor_op op, const std::string &k = "", const std::string &v = "");
	int cput(MDB_cursor *c, const std::string &k, const std::string &v, unsigned flags = 0);
	int cdel(MDB_cursor *c, unsigned flags = 0);
	// mdb_cursor_put(MDB_MULTIPLE | flags) of `items` (items.size() / size
	// items of `size` bytes each, or `count` of them if given: the buffer
	// must still hold one, which the library reads even for a count of 0),
	// logged with the number stored.
	int cput_multiple(MDB_cursor *c, const std::string &k, const std::string &items, unsigned size,
	                  unsigned flags = 0, long count = -1);
	int count(MDB_cursor *c);
	// mdb_cursor_count of a cursor whose key's items another cursor (or a
	// child txn) changed: upstream keeps the count of the sub-cursor it
	// copied (stale, docs/divergences.md); ours must count them all.  Not
	// in the transcript; asserted on ours.  `k` is the cursor's key; empty:
	// the key GET_CURRENT reads (where that fails, so must the count).
	void expect_true_count(MDB_cursor *c, MDB_dbi d, std::string k = "");
	int stat(MDB_dbi d);
	// Every pair of the db, in order.
	void dump(MDB_dbi d);
	// The file's pages as the transcript sees them: each page's number,
	// kind and nodes (flags, key, data or child page), not its unused
	// bytes (stale bytes of earlier buffers, which differ), one line per
	// page.  Reads data.mdb of the env, which must be open with no txn.
	void note_page_layout();
};

struct Case {
	const char *name;
	void (*fn)(Run &);
	bool upstream_runs = true;  // false: upstream crashes here; ours alone
	// The file's pages compared at the end (Run::note_page_layout); false
	// where the case does more on ours than on upstream (ours_expect parts
	// that write), so the files differ by design.
	bool same_layout = true;
};

// The cases, grouped by file (edges_*.cpp).
void add_item_cases(std::vector<Case> &out);
void add_cursor_cases(std::vector<Case> &out);
void add_issue18_cases(std::vector<Case> &out);
void add_issue18_more(std::vector<Case> &out);
void add_flag_cases(std::vector<Case> &out);
void add_layout_cases(std::vector<Case> &out);
void add_nested_cases(std::vector<Case> &out);
void add_shape_cases(std::vector<Case> &out);
void add_env_cases(std::vector<Case> &out);
void add_boundary_cases(std::vector<Case> &out);
void add_mapfull_cases(std::vector<Case> &out);

}  // namespace compat::edges
