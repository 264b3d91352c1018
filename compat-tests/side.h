// One implementation under test with its own environment directory and its
// own handle tables.  Executes Ops (already checked legal by the Model) and
// reports everything observable in a Result.
#pragma once

#include <string>
#include <vector>

#include "api_table.h"
#include "dump.h"
#include "ops.h"
#include "page_layout.h"
#include "result.h"

namespace compat {

// Bytes of the key and value of one op, computed once for both sides.
struct Material {
  std::string key;
  std::string val;
};
Material materialize(const Op &op);

class Side {
 public:
  Side(const LmdbApi &api, std::string dir, const EnvConfig &cfg);
  ~Side();
  Side(const Side &) = delete;
  Side &operator=(const Side &) = delete;

  const LmdbApi &api() const { return api_; }
  const std::string &dir() const { return dir_; }
  // The data file's pages (page_layout.h), up to the last page in use.
  std::vector<PageDigest> page_layout(std::string *error) const;
  const char *name() const { return api_.name.c_str(); }
  MDB_env *env() const { return env_; }
  // The library's cursor in a slot (null if none); used by the oracle guard.
  MDB_cursor *cursor(int slot) const { return cur_[slot]; }

  void exec(const Op &op, const Material &m, Result &r);
  // Dump every database in `dbs` through the txn in `slot` (FullCheck).
  std::vector<DbDump> dump(int slot, const std::vector<int> &dbs);
  // Close cursors, abort transactions, close the environment.
  void shutdown();

 private:
  int open_env(Result &r, size_t mapsize);
  bool small_map() const { return cfg_.mapsize < (size_t(64) << 20); }
  // mdb_env_info's map size, last page and txn id, and the data file's size.
  void env_facts(Result &r);
  void after_write(int slot, int db, Result &r);
  void forget_txn(int slot, bool write);
  void add_item(Result &r, const char *kname, const MDB_val &k, const char *dname, const MDB_val &d);

  const LmdbApi &api_;
  std::string dir_;
  EnvConfig cfg_;
  MDB_env *env_ = nullptr;
  MDB_txn *txn_[kTxnSlots] = {};
  MDB_cursor *cur_[kCursorSlots] = {};
  int cur_txn_[kCursorSlots] = {};
  int cur_db_[kCursorSlots] = {};
  MDB_dbi dbi_[kDbCount] = {};
  bool custom_dcmp_[kDbCount] = {};  // opened with kCustomDupCmp
};

// The duplicate order installed with mdb_set_dupsort on databases opened
// with kCustomDupCmp: shorter items first, then by all bytes but the last in
// descending order.  Items differing only in their last byte are equal.
int custom_dup_cmp(const MDB_val *a, const MDB_val *b);

}  // namespace compat
