// The whole public C API of lmdb.h as a table of function pointers, so one
// harness can drive two implementations side by side: ours (linked directly)
// and upstream's liblmdb.so.0 (loaded into its own link-map namespace).
#pragma once

#include <string>

#include "lmdb.h"

namespace compat {

// Every function declared in include/lmdb.h, in header order.
#define COMPAT_LMDB_FUNCTIONS(X) \
  X(mdb_version)                 \
  X(mdb_strerror)                \
  X(mdb_env_create)              \
  X(mdb_env_open)                \
  X(mdb_env_copy)                \
  X(mdb_env_copyfd)              \
  X(mdb_env_copy2)               \
  X(mdb_env_copyfd2)             \
  X(mdb_env_stat)                \
  X(mdb_env_info)                \
  X(mdb_env_sync)                \
  X(mdb_env_close)               \
  X(mdb_env_set_flags)           \
  X(mdb_env_get_flags)           \
  X(mdb_env_get_path)            \
  X(mdb_env_get_fd)              \
  X(mdb_env_set_mapsize)         \
  X(mdb_env_set_maxreaders)      \
  X(mdb_env_get_maxreaders)      \
  X(mdb_env_set_maxdbs)          \
  X(mdb_env_get_maxkeysize)      \
  X(mdb_env_set_userctx)         \
  X(mdb_env_get_userctx)         \
  X(mdb_env_set_assert)          \
  X(mdb_txn_begin)               \
  X(mdb_txn_env)                 \
  X(mdb_txn_id)                  \
  X(mdb_txn_commit)              \
  X(mdb_txn_abort)               \
  X(mdb_txn_reset)               \
  X(mdb_txn_renew)               \
  X(mdb_dbi_open)                \
  X(mdb_stat)                    \
  X(mdb_dbi_flags)               \
  X(mdb_dbi_close)               \
  X(mdb_drop)                    \
  X(mdb_set_compare)             \
  X(mdb_set_dupsort)             \
  X(mdb_set_relfunc)             \
  X(mdb_set_relctx)              \
  X(mdb_get)                     \
  X(mdb_put)                     \
  X(mdb_del)                     \
  X(mdb_cursor_open)             \
  X(mdb_cursor_close)            \
  X(mdb_cursor_renew)            \
  X(mdb_cursor_txn)              \
  X(mdb_cursor_dbi)              \
  X(mdb_cursor_get)              \
  X(mdb_cursor_put)              \
  X(mdb_cursor_del)              \
  X(mdb_cursor_count)            \
  X(mdb_cmp)                     \
  X(mdb_dcmp)                    \
  X(mdb_reader_list)             \
  X(mdb_reader_check)

struct LmdbApi {
  std::string name;    // "ours" / "upstream" / "upstream#2"
  std::string origin;  // file the functions come from
#define COMPAT_DECLARE_MEMBER(fn) decltype(&::fn) fn = nullptr;
  COMPAT_LMDB_FUNCTIONS(COMPAT_DECLARE_MEMBER)
#undef COMPAT_DECLARE_MEMBER
};

// Path of the upstream library used as the oracle.
inline constexpr const char *kUpstreamLibrary = "/usr/lib/x86_64-linux-gnu/liblmdb.so.0";
// The oracle actually loaded: kUpstreamLibrary, or $LMDB_COMPAT_ORACLE (for
// local triage against another upstream build; never used by ctest).
const char *oracle_library();

// Our library, through the symbols the executable was linked against.
// Fails (returns false, message in *err) if those symbols resolve to the
// upstream library file, which would make every comparison meaningless.
bool load_ours_direct(LmdbApi &api, std::string *err);

// Upstream, loaded with dlmopen(LM_ID_NEWLM) so that its internal calls never
// bind to our same-named symbols.  Each call loads a fresh, independent copy.
bool load_upstream(LmdbApi &api, const std::string &label, std::string *err);

// True when LMDB_COMPAT_SELFTEST=1: "ours" is then a second upstream copy.
bool selftest_mode();

// The pair every test uses: [0] upstream (oracle), [1] ours (or, in
// self-test mode, a second upstream copy).  Exits with a message on failure.
struct ApiPair {
  LmdbApi upstream;
  LmdbApi ours;
};
const ApiPair &apis();

// Harness validation: LMDB_COMPAT_INJECT_FAULT=1 (self-test mode only) makes
// the implementation under test corrupt one byte of some stored values
// (keys of exactly 13 bytes, values longer than 100 bytes), which the tests
// must detect.
bool inject_fault_requested();
void inject_fault(LmdbApi &api);

// True if the implementation is the ENOSYS placeholder (no engine yet).
bool is_placeholder(const LmdbApi &api);

}  // namespace compat
