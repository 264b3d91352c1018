// Seeded random operation generator.  Deterministic: the same seed and
// options give the same operation stream (given the same oracle results),
// so `--seed S --ops N` replays a run exactly.
#pragma once

#include <cstdint>

#include "model.h"
#include "ops.h"
#include "rng.h"

namespace compat {

struct GenOptions {
  // Hooks for features not exercised by default (see README).
  bool dupsort = false;     // db1..db7, db9 have MDB_DUPSORT profiles (see db_profile_flags)
  bool reversekey = false;  // db7 is MDB_REVERSEKEY
  bool intkey = false;      // db9 is MDB_INTEGERKEY (keys are native unsigned / size_t)
  bool append = false;      // sometimes MDB_APPEND on puts
  bool nested = false;      // nested write txns (not modelled yet; rejected)
  // A map of a few pages up to 4 MiB (from the seed, not always a page
  // multiple), grown and shrunk by mdb_env_set_mapsize and reopens, so that
  // MDB_MAP_FULL happens at every kind of call; a txn that failed is probed
  // (reads, writes, cursors, reset/renew, commit) before it ends.
  bool small_map = false;
  uint32_t full_check_every = 2500;  // ops between full-content comparisons
  uint32_t reopen_every = 12000;     // mean ops between environment reopens
};

// The database flags a named database is always opened with (may include
// the harness bit kCustomDupCmp).
unsigned db_profile_flags(const GenOptions &o, int db);
// The fixed size of the data items of a MDB_DUPFIXED / MDB_INTEGERDUP
// profile (0: variable).
unsigned dup_item_size(const GenOptions &o, int db);

// Environment configuration for a seed (flags vary with the seed).
EnvConfig env_for_seed(uint64_t seed, bool small_map = false);
// The small map sizes of --small-map: `pages` 4 KiB pages, plus sometimes a
// part of one.
size_t small_map_size(Rng &r, size_t pages);

class Generator {
 public:
  Generator(uint64_t seed, const GenOptions &opt) : rng_(seed ^ 0xA5A5F00DCAFEull), opt_(opt) {}
  Op next(const Model &m);
  const GenOptions &options() const { return opt_; }

 private:
  Op when_idle(const Model &m);
  Op when_active(const Model &m);
  int pick_active(const Model &m, bool prefer_write);
  int pick_db(const Model &m, int txn, bool for_write);
  Op dbi_open_op(const Model &m, int txn);
  Op data_op(const Model &m);
  Op cursor_op(const Model &m);
  Op txn_end_op(const Model &m);
  Op failed_txn_op(const Model &m);
  uint32_t next_mapsize(const Model &m);
  KeyRef pick_key(const Model &m, int db, bool for_write);
  ValRef pick_val(int db);
  ValRef ordered_val(int db, uint32_t count);  // values after all earlier ones
  KeyRef pick_dup_key(const Model &m, int db, bool for_write);
  void pick_pair(const Model &m, int db, KeyRef *k, ValRef *v);
  void dup_put_flags(const Model &m, int db, Op *op, bool cursor);
  unsigned pick_cursor_get(int db);

  Rng rng_;
  GenOptions opt_;
  uint64_t step_ = 0;
  uint64_t next_check_ = 0;
  uint64_t next_reopen_ = 0;
  bool want_check_ = false;
  uint32_t ordered_[kDbCount] = {};  // next seed of ordered_val per database
};

}  // namespace compat
