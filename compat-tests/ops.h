// The operation vocabulary of the differential tests.  An Op names its
// objects symbolically (transaction slot, cursor slot, database number), so
// the same list can be executed against each implementation and any
// sub-list of it stays meaningful (see Model::applicable).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keyspace.h"

namespace compat {

// Transaction slots: slot 0 is the write transaction, 1..kReadSlots are
// read-only transactions.  (Slot kNestedSlot is reserved for a nested write
// transaction, a hook not used by the generator yet.)
inline constexpr int kWriteSlot = 0;
inline constexpr int kReadSlots = 4;
inline constexpr int kNestedSlot = kReadSlots + 1;
inline constexpr int kTxnSlots = kNestedSlot + 1;
inline constexpr int kCursorSlots = 8;
// Database numbers: 0 is the main (unnamed) database, 1..kNamedDbs are
// "db1".."dbN".  More names than maxdbs allows, so MDB_DBS_FULL can occur.
inline constexpr int kNamedDbs = 9;
inline constexpr int kDbCount = kNamedDbs + 1;

enum class OpKind : uint8_t {
  EnvReopen,    // close everything (cursors, txns, env) and open the env again
                //   (arg != 0: with that map size in bytes instead of the config's;
                //   kReopenMapsizeZero: mdb_env_set_mapsize(env, 0) before the open,
                //   kReopenNoMapsize: no mdb_env_set_mapsize call)
  TxnBegin,     // txn: slot (0 = write, else read-only); flags: extra txn flags
  TxnCommit,    // txn
  TxnAbort,     // txn
  TxnReset,     // txn (read-only)
  TxnRenew,     // txn (read-only)
  TxnId,        // txn
  DbiOpen,      // txn, db, flags
  DbiClose,     // db
  DbiFlags,     // txn, db
  Stat,         // txn, db
  EnvStat,      //
  EnvInfo,      //
  Drop,         // txn, db, arg = del (0/1)
  Get,          // txn, db, key
  Put,          // txn, db, key, val, flags
  Del,          // txn, db, key, (arg=1: with val, DUPSORT)
  CursorOpen,   // txn, db, cur
  CursorClose,  // cur
  CursorRenew,  // txn, cur
  CursorGet,    // cur, arg = MDB_cursor_op, key/val for the ops taking them
  CursorPut,    // cur, key, val, flags (MDB_CURRENT: key taken from GET_CURRENT;
                //   arg=1: data is the current data, see kCurrentSameData;
                //   MDB_MULTIPLE: arg items of val's size, seeds val.seed+i)
  CursorDel,    // cur, flags
  CursorCount,  // cur
  FullCheck,    // txn: dump every database usable in txn and compare
  EnvSetMapsize,  // arg: mdb_env_set_mapsize(env, arg) on the open env (no txn active)
  Count_
};

// Harness-only bit in DbiOpen flags: install custom_dup_cmp (mdb_set_dupsort)
// after a successful open.  Never passed to the library.
inline constexpr uint32_t kCustomDupCmp = 0x80000000u;
// CursorPut with MDB_CURRENT and arg == kCurrentSameData: the new data is the
// cursor's current data, with its last byte changed if the database has the
// custom duplicate order (so it still sorts into the same place).
inline constexpr uint32_t kCurrentSameData = 1;
// EnvReopen's arg values that are not sizes.
inline constexpr uint32_t kReopenMapsizeZero = 1;
inline constexpr uint32_t kReopenNoMapsize = 2;

struct Op {
  OpKind kind = OpKind::EnvStat;
  uint8_t txn = 0;
  uint8_t cur = 0;
  uint8_t db = 0;
  uint32_t flags = 0;
  uint32_t arg = 0;
  KeyRef key;
  ValRef val;
};

const char *kind_name(OpKind k);
const char *cursor_op_name(unsigned op);
std::string rc_name(int rc);
std::string put_flags_name(unsigned flags);

// One line, human readable and machine readable: "put txn=0 db=3 ...".
std::string format_op(const Op &op);
bool parse_op(const std::string &line, Op *op, std::string *err);

// The environment every run uses; chosen from the seed, recorded in replay files.
struct EnvConfig {
  size_t mapsize = size_t(1) << 29;
  unsigned maxdbs = 8;
  unsigned maxreaders = 126;
  unsigned flags = 0;  // env open flags (MDB_NOSYNC, MDB_NOTLS, MDB_WRITEMAP, ...)
};

std::string format_env(const EnvConfig &c);
bool parse_env(const std::string &line, EnvConfig *c);

// A replayable operation list with its environment.
struct OpList {
  uint64_t seed = 0;
  EnvConfig env;
  std::vector<Op> ops;
};
bool write_oplist(const std::string &path, const OpList &l, const std::string &comment);
bool read_oplist(const std::string &path, OpList *l, std::string *err);

}  // namespace compat
