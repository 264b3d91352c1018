// Hostile-file testing: a reference environment built with the public API,
// and an "exercise" that opens an environment and touches everything in it
// (scans, point reads, writes, commit, copies), recording every return code.
// Shared by the unit tests in this directory and by fuzz/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hostile {

// What an exercise run saw.  Plain data: it crosses a fork() boundary
// through shared memory.
struct Outcome {
	int open_rc = 0;
	uint32_t seen = 0;           // bit per category (see category_of)
	int unexpected_rc = 0;       // first code outside the allowed set
	char unexpected_op[64] = {}; // the operation that returned it
	int commit_rc = 0;           // last write commit's answer
	uint64_t items = 0;          // items delivered by scans (sanity only)
	int copy_rc = 0;             // mdb_env_copy2 without compaction
	int compact_rc = 0;          // mdb_env_copy2 with MDB_CP_COMPACT
	bool done = false;           // the run reached its end
};

// Categories of return codes.  Everything else is "unexpected".
enum Category : unsigned {
	kSuccess, kNotFound, kCorrupted, kPageNotFound, kInvalid, kVersionMismatch,
	kCursorFull, kBadTxn, kIncompatible, kBadDbi, kMapFull, kMapResized, kBadValSize,
	kKeyExist, kNoMem, kTxnFull,
	kPageFull,  // upstream's "internal error" when a damaged page does not hold what it claims
	kOsError,  // an errno from mdb_env_open (a garbage map size cannot be mapped)
	kNumCategories
};
int category_of(int rc);  // -1 for unexpected codes
inline uint32_t bit(Category c) { return 1u << c; }
// The "this file is broken" answers.
inline constexpr uint32_t kBrokenMask = (1u << kCorrupted) | (1u << kPageNotFound) |
                                        (1u << kInvalid) | (1u << kVersionMismatch) |
                                        (1u << kCursorFull);

struct Plan {
	unsigned env_flags = 0;       // MDB_RDONLY, MDB_WRITEMAP, MDB_NOMEMINIT ...
	bool writes = true;           // write txns (ignored with MDB_RDONLY)
	bool backwards = true;        // reverse scans and range searches
	bool copies = false;          // mdb_env_copy2 plain and compacting
	bool rescan = true;           // scan again after the writes
	unsigned scan_cap = 20000;    // items per scan before giving up
	const char *copy_dir = nullptr;  // scratch directory for the copies
};

// Build the reference environment in dir (which must exist and be empty):
// named dbs with multi-level trees, overflow values, dupsort dbs with
// sub-pages and sub-dbs, a DUPFIXED db, and free-list records.
// Returns an LMDB error code.
int build_reference(const std::string &dir);

// Open dir and do everything in `plan`, recording into *out.
void exercise(const std::string &dir, const Plan &plan, Outcome *out);

// Names of the named databases of the reference environment.
inline constexpr unsigned kNumDbs = 5;
extern const char *const kDbNames[kNumDbs];

}  // namespace hostile
