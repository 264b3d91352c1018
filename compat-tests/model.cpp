#include "model.h"

#include <string>

#include "lmdb.h"

namespace compat {

bool Model::notls() const { return (cfg_.flags & MDB_NOTLS) != 0; }

bool Model::usable(int slot, int db) const {
  const Txn &t = txns_[slot];
  return t.st == TxnState::Active && handles_[db].gen != 0 && t.usable[db] == handles_[db].gen;
}

int Model::active_count() const {
  int n = 0;
  for (const Txn &t : txns_) n += t.st == TxnState::Active;
  return n;
}

bool Model::any_active_other_than(int slot) const {
  for (int i = 0; i < kTxnSlots; i++)
    if (i != slot && txns_[i].st == TxnState::Active) return true;
  return false;
}

bool Model::dbi_open_busy(int slot) const {
  for (int i = 0; i < kTxnSlots; i++)
    if (i != slot && txns_[i].st == TxnState::Active && txns_[i].did_dbi_open) return true;
  return false;
}

bool Model::dbi_open_allowed(int slot, int db) const {
  if (!active(slot)) return false;
  if (db == 0) return true;
  // lmdb.h: a transaction that called mdb_dbi_open must finish before any
  // other transaction may call it.  Also require that the transaction has
  // seen every handle of the environment (it began after the last change of
  // the handle table), otherwise upstream may register a name twice.
  if (dbi_open_busy(slot) || txns_[slot].epoch != epoch_) return false;
  // A read txn on an older snapshot could open a database that a later
  // commit deleted; the handle would then refer to a missing record in every
  // newer txn (upstream crashes on it).  Only open from the latest snapshot.
  // For the same reason not while a write txn (which may have dropped it) is
  // active either.
  if (slot != kWriteSlot && (txns_[slot].commits != commits_ || active(kWriteSlot))) return false;
  const Handle &h = handles_[db];
  return h.pending_txn == -1 || h.pending_txn == slot;
}

bool Model::cursor_usable(int cur) const {
  const Cursor &c = cursors_[cur];
  return c.open && c.txn >= 0 && active(c.txn) && handles_[c.db].gen == c.gen;
}

bool Model::cursors_on(int db, bool attached_only) const {
  for (const Cursor &c : cursors_)
    if (c.open && c.db == db && c.gen == handles_[db].gen && (!attached_only || c.txn >= 0)) return true;
  return false;
}

unsigned Model::required_item_size(int db) const {
  const unsigned f = handles_[db].flags;
  if (!(f & MDB_DUPSORT) || !(f & (MDB_DUPFIXED | MDB_INTEGERDUP))) return 0;
  switch (db) {  // generator.cpp, dup_item_size()
    case 1: return 16;
    case 3: return sizeof(size_t);
    case 6: return 12;
    default: return sizeof(unsigned int);
  }
}

// Ops generated for one database can meet another one after shrinking (a
// cursor slot reused): keep key and data sizes valid for integer keys and
// fixed-size duplicates.
bool Model::sizes_ok(int db, const Op &op) const {
  const unsigned f = handles_[db].flags;
  const bool put = op.kind == OpKind::Put || op.kind == OpKind::CursorPut;
  const bool uses_key = !(op.kind == OpKind::CursorPut && (op.flags & MDB_CURRENT)) && op.kind != OpKind::CursorDel &&
                        op.kind != OpKind::CursorCount;
  if ((f & MDB_INTEGERKEY) && uses_key && (op.kind != OpKind::CursorGet || op.arg == MDB_SET ||
                                          op.arg == MDB_SET_KEY || op.arg == MDB_SET_RANGE ||
                                          op.arg == MDB_GET_BOTH || op.arg == MDB_GET_BOTH_RANGE)) {
    if (op.key.kind != KeyKind::Int || op.key.len != sizeof(unsigned int)) return false;
  }
  const unsigned need = required_item_size(db);
  if (!need) return true;
  const bool uses_data = (put && !(op.kind == OpKind::CursorPut && (op.flags & MDB_CURRENT) && op.arg == kCurrentSameData)) ||
                         (op.kind == OpKind::Del && op.arg == 1) ||
                         (op.kind == OpKind::CursorGet && (op.arg == MDB_GET_BOTH || op.arg == MDB_GET_BOTH_RANGE));
  if (!uses_data) return true;
  const uint32_t n = val_len(op.val);
  return n == need || (put && n > 511);
}

bool Model::applicable(const Op &op) const {
  if (op.kind == OpKind::EnvReopen) return true;
  if (!env_open_) return false;
  if (op.txn >= kTxnSlots || op.cur >= kCursorSlots || op.db >= kDbCount) return false;
  const int s = op.txn;
  const bool is_read_slot = s >= 1 && s <= kReadSlots;
  switch (op.kind) {
    case OpKind::EnvReopen:
      return true;
    case OpKind::TxnBegin:
      if (txns_[s].st != TxnState::None) return false;
      if (s == kNestedSlot) return false;  // hook: nested txns not modelled yet
      if (s == kWriteSlot) return notls() || active_count() == 0;
      // Without MDB_NOTLS a thread may hold only one transaction at a time.
      return notls() || active_count() == 0;
    case OpKind::TxnCommit:
      return txns_[s].st == TxnState::Active;
    case OpKind::TxnAbort:
      return txns_[s].st != TxnState::None;
    case OpKind::TxnReset:
      // On the write txn: upstream ignores it (reset is for read-only txns).
      return (is_read_slot || s == kWriteSlot) && txns_[s].st == TxnState::Active;
    case OpKind::TxnRenew:
      // On the active write txn: EINVAL, nothing changes.
      if (s == kWriteSlot) return txns_[s].st == TxnState::Active;
      return is_read_slot && txns_[s].st == TxnState::Reset && (notls() || active_count() == 0);
    case OpKind::TxnId:
      return txns_[s].st != TxnState::None;
    case OpKind::DbiOpen:
      return dbi_open_allowed(s, op.db) && (op.db != 0 || op.flags == 0);
    case OpKind::DbiClose:
      return op.db != 0 && handles_[op.db].in_env && handles_[op.db].pending_txn == -1 && active_count() == 0;
    case OpKind::DbiFlags:
    case OpKind::Stat:
      return usable(s, op.db);
    case OpKind::Get:
    case OpKind::Put:
    case OpKind::Del:
      return usable(s, op.db) && sizes_ok(op.db, op);
    case OpKind::EnvStat:
    case OpKind::EnvInfo:
      return true;
    case OpKind::Drop:
      if (!usable(s, op.db) || op.arg > 1) return false;
      if (op.db == 0) return false;  // emptying main would orphan named dbs
      if (op.arg == 1) return s == kWriteSlot && !cursors_on(op.db, true);
      return true;
    case OpKind::CursorOpen:
      return usable(s, op.db) && !cursors_[op.cur].open;
    case OpKind::CursorClose:
      return cursors_[op.cur].open;
    case OpKind::CursorRenew: {
      const Cursor &c = cursors_[op.cur];
      return c.open && active(s) && handles_[c.db].gen == c.gen && usable(s, c.db);
    }
    case OpKind::CursorGet:
      if (!cursor_usable(op.cur) || !sizes_ok(cursors_[op.cur].db, op)) return false;
      switch (op.arg) {
        case MDB_FIRST: case MDB_LAST: case MDB_SET: case MDB_SET_KEY: case MDB_SET_RANGE:
        case MDB_GET_BOTH: case MDB_GET_BOTH_RANGE:
          return true;
        default:
          return !cursors_[op.cur].tainted;
      }
    case OpKind::CursorPut:
      return cursor_usable(op.cur) && sizes_ok(cursors_[op.cur].db, op) &&
             (!(op.flags & MDB_CURRENT) || !cursors_[op.cur].tainted);
    case OpKind::CursorDel:
    case OpKind::CursorCount:
      return cursor_usable(op.cur) && !cursors_[op.cur].tainted;
    case OpKind::FullCheck:
      return active(s);
    case OpKind::EnvSetMapsize:
      // lmdb.h: only while no txn of this process is active.  While the
      // write txn is active upstream refuses it (EINVAL) before anything
      // else, whatever read txns there are.
      return active_count() == 0 || active(kWriteSlot);
    case OpKind::Count_:
      break;
  }
  return false;
}

void Model::snapshot_handles(int slot) {
  Txn &t = txns_[slot];
  t.epoch = epoch_;
  t.commits = commits_;
  t.did_dbi_open = false;
  for (int d = 0; d < kDbCount; d++) t.usable[d] = handles_[d].in_env ? handles_[d].gen : 0;
}

void Model::end_txn(int slot, bool keep, bool reset) {
  Txn &t = txns_[slot];
  bool changed = false;
  for (int d = 1; d < kDbCount; d++) {
    Handle &h = handles_[d];
    if (h.pending_txn != slot) continue;
    changed = true;
    if (keep) {
      h.in_env = true;
      h.pending_txn = -1;
    } else {
      h = Handle{};
    }
  }
  if (changed) epoch_++;
  for (Cursor &c : cursors_) {
    if (!c.open || c.txn != slot) continue;
    if (c.write)
      c = Cursor{};  // freed by the library together with the write txn
    else
      c.txn = -1;    // read-only cursors outlive their txn (close or renew)
  }
  t = Txn{};
  if (reset) t.st = TxnState::Reset;
}

void Model::taint_cursors(int txn, int db, int except) {
  for (int i = 0; i < kCursorSlots; i++) {
    Cursor &c = cursors_[i];
    if (i != except && c.open && c.txn == txn && c.db == db && c.failed_set) c.tainted = true;
  }
}

void Model::apply(const Op &op, int rc, const Result *r) {
  const int s = op.txn;
  if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL || rc == MDB_PAGE_FULL || rc == MDB_BAD_TXN) {
    // Which txn did the call belong to?
    int t = -1;
    if (op.kind == OpKind::CursorPut || op.kind == OpKind::CursorDel) t = cursors_[op.cur].txn;
    else if (op.kind == OpKind::Put || op.kind == OpKind::Del || op.kind == OpKind::Drop || op.kind == OpKind::DbiOpen)
      t = s;
    if (t >= 0 && txns_[t].st == TxnState::Active) txns_[t].failed = true;
  }
  switch (op.kind) {
    case OpKind::EnvSetMapsize:
      if (rc == 0 && op.arg) mapsize_ = op.arg;
      break;
    case OpKind::EnvReopen:
      mapsize_ = op.arg > kReopenNoMapsize ? op.arg : op.arg ? size_t(1) << 20 : cfg_.mapsize;
      for (auto &h : handles_) h = Handle{};
      for (auto &t : txns_) t = Txn{};
      for (auto &c : cursors_) c = Cursor{};
      env_open_ = rc == 0;
      epoch_++;
      break;
    case OpKind::TxnBegin:
      if (rc == 0) {
        txns_[s].st = TxnState::Active;
        snapshot_handles(s);
      }
      break;
    case OpKind::TxnCommit:
      if (s == kWriteSlot && rc == 0) commits_++;
      end_txn(s, rc == 0, false);
      break;
    case OpKind::TxnAbort:
      end_txn(s, false, false);
      break;
    case OpKind::TxnReset:
      if (s != kWriteSlot) end_txn(s, false, true);
      break;
    case OpKind::TxnRenew:
      if (rc == 0 && s != kWriteSlot) {
        txns_[s].st = TxnState::Active;
        snapshot_handles(s);
      }
      break;
    case OpKind::DbiOpen: {
      Txn &t = txns_[s];
      if (op.db != 0) t.did_dbi_open = true;
      if (rc != 0) break;
      Handle &h = handles_[op.db];
      if (op.db == 0) {
        // The main database handle is permanent and valid in every txn.
        if (h.gen == 0) h.gen = next_gen_++;
        h.in_env = true;
        for (auto &tx : txns_)
          if (tx.st != TxnState::None) tx.usable[0] = h.gen;
        break;
      }
      if (h.gen == 0) {
        h.gen = next_gen_++;
        h.pending_txn = s;
      }
      t.usable[op.db] = h.gen;
      if (r)
        for (const Field &f : r->fields)
          if (std::string(f.name) == "dbi_flags") h.flags = static_cast<unsigned>(f.num);
      break;
    }
    case OpKind::DbiClose:
      handles_[op.db] = Handle{};
      epoch_++;
      break;
    case OpKind::Drop:
      if (rc == 0) taint_cursors(s, op.db, -1);
      if (op.arg == 1 && rc == 0) {
        handles_[op.db] = Handle{};
        for (auto &t : txns_) t.usable[op.db] = 0;
        epoch_++;
      }
      break;
    case OpKind::Put:
    case OpKind::CursorPut: {
      const bool via_cursor = op.kind == OpKind::CursorPut;
      const int db = via_cursor ? cursors_[op.cur].db : op.db;
      const int txn = via_cursor ? cursors_[op.cur].txn : s;
      if (rc == 0 && !(op.flags & MDB_CURRENT)) {
        recent_[db][recent_n_[db]++ % kRecent] = op.key;
        pairs_[db][pairs_n_[db]++ % kRecent] = Pair{op.key, op.val};
      }
      if (rc == 0) taint_cursors(txn, db, via_cursor ? op.cur : -1);
      if (via_cursor && rc == 0) cursors_[op.cur].failed_set = cursors_[op.cur].tainted = false;
      break;
    }
    case OpKind::Del:
      if (rc == 0) taint_cursors(s, op.db, -1);
      break;
    case OpKind::CursorDel:
      if (rc == 0) taint_cursors(cursors_[op.cur].txn, cursors_[op.cur].db, op.cur);
      break;
    case OpKind::CursorGet: {
      Cursor &c = cursors_[op.cur];
      switch (op.arg) {
        case MDB_SET: case MDB_SET_KEY: case MDB_SET_RANGE: case MDB_GET_BOTH: case MDB_GET_BOTH_RANGE:
          c.failed_set = rc != 0;
          if (rc == 0) c.tainted = false;
          break;
        case MDB_FIRST: case MDB_LAST:
          if (rc == 0) c.failed_set = c.tainted = false;
          break;
        default:
          break;
      }
      break;
    }
    case OpKind::CursorOpen:
      if (rc == 0) cursors_[op.cur] = Cursor{true, s, s == kWriteSlot, op.db, handles_[op.db].gen};
      break;
    case OpKind::CursorClose:
      cursors_[op.cur] = Cursor{};
      break;
    case OpKind::CursorRenew:
      if (rc == 0) {
        cursors_[op.cur].txn = s;
        cursors_[op.cur].failed_set = cursors_[op.cur].tainted = false;
      }
      break;
    default:
      break;
  }
}

}  // namespace compat
