// What the harness knows about the objects it created: which transactions,
// cursors and database handles exist and in which state.  The model decides
// which operations are legal -- only sequences that lmdb.h defines are ever
// executed (no closed or foreign handles, no cursor of an ended write
// transaction, no concurrent mdb_dbi_open, ...) -- and it is updated from the
// oracle's return codes after every operation.
#pragma once

#include <cstdint>

#include "ops.h"
#include "result.h"

namespace compat {

class Model {
 public:
  enum class TxnState : uint8_t { None, Active, Reset };

  struct Handle {
    uint64_t gen = 0;       // 0: no handle for this database
    bool in_env = false;    // committed into the environment
    int pending_txn = -1;   // opened (DB_NEW) in this txn, not yet committed
    unsigned flags = 0;     // the database's flags (mdb_dbi_flags after opening)
  };
  struct Txn {
    TxnState st = TxnState::None;
    uint64_t epoch = 0;               // handle-table epoch when it began
    uint64_t commits = 0;             // write commits seen when it began
    uint64_t usable[kDbCount] = {};   // handle generation usable in it
    bool did_dbi_open = false;
    // A write op of this txn failed in a way that marks the txn as failed
    // upstream (MDB_MAP_FULL and the like): later calls answer MDB_BAD_TXN.
    // Only the generator looks at it (to probe the txn, then end it).
    bool failed = false;
  };
  struct Cursor {
    bool open = false;
    int txn = -1;          // slot it is bound to, -1 once that txn ended
    bool write = false;    // belongs to a write txn (freed with it)
    uint8_t db = 0;
    uint64_t gen = 0;      // handle generation it was opened on
    // Upstream 0.9.24 crashes when a cursor whose last MDB_SET* failed is
    // moved relatively after the database changed under it.  Such a cursor
    // is "tainted" until it is positioned absolutely again.
    bool failed_set = false;
    bool tainted = false;
  };

  explicit Model(const EnvConfig &cfg) : cfg_(cfg), mapsize_(cfg.mapsize) {}

  const EnvConfig &cfg() const { return cfg_; }
  // The map size last asked for (config, reopen or mdb_env_set_mapsize).
  size_t mapsize() const { return mapsize_; }
  bool env_open() const { return env_open_; }
  bool notls() const;
  const Txn &txn(int slot) const { return txns_[slot]; }
  const Cursor &cursor(int slot) const { return cursors_[slot]; }
  const Handle &handle(int db) const { return handles_[db]; }
  bool active(int slot) const { return txns_[slot].st == TxnState::Active; }
  bool usable(int slot, int db) const;
  int active_count() const;
  bool any_active_other_than(int slot) const;
  // True if a live txn other than `slot` has called mdb_dbi_open.
  bool dbi_open_busy(int slot) const;
  bool dbi_open_allowed(int slot, int db) const;
  bool cursor_usable(int cur) const;
  bool cursors_on(int db, bool attached_only) const;

  // Generator support: keys recently stored in each database (a ring), so
  // reads and deletes hit existing keys often.
  static constexpr unsigned kRecent = 64;
  const KeyRef *recent_keys(int db, unsigned *n) const {
    *n = recent_n_[db] < kRecent ? recent_n_[db] : kRecent;
    return recent_[db];
  }

  // Key/value pairs recently stored in each database (for deletes of one
  // duplicate and MDB_GET_BOTH).
  struct Pair {
    KeyRef key;
    ValRef val;
  };
  const Pair *recent_pairs(int db, unsigned *n) const {
    *n = pairs_n_[db] < kRecent ? pairs_n_[db] : kRecent;
    return pairs_[db];
  }

  bool applicable(const Op &op) const;
  // `r`: the oracle's full result (for mdb_dbi_open: the database flags).
  void apply(const Op &op, int rc, const Result *r = nullptr);

  // Data items of MDB_DUPFIXED / MDB_INTEGERDUP databases must all have one
  // size (mixing sizes is undefined); 0 = any size.  The sizes are those of
  // the generator's database profiles.
  unsigned required_item_size(int db) const;

 private:
  void end_txn(int slot, bool keep, bool reset);
  void taint_cursors(int txn, int db, int except);
  void snapshot_handles(int slot);
  bool sizes_ok(int db, const Op &op) const;

  EnvConfig cfg_;
  size_t mapsize_ = 0;
  bool env_open_ = false;
  uint64_t epoch_ = 1;
  uint64_t commits_ = 0;  // successful write commits so far
  uint64_t next_gen_ = 1;
  Handle handles_[kDbCount];
  Txn txns_[kTxnSlots];
  Cursor cursors_[kCursorSlots];
  KeyRef recent_[kDbCount][kRecent];
  unsigned recent_n_[kDbCount] = {};
  Pair pairs_[kDbCount][kRecent];
  unsigned pairs_n_[kDbCount] = {};
};

}  // namespace compat
