#include "side.h"

#include <sys/stat.h>

#include <cstring>

namespace compat {

int custom_dup_cmp(const MDB_val *a, const MDB_val *b) {
  if (a->mv_size != b->mv_size) return a->mv_size < b->mv_size ? -1 : 1;
  size_t n = a->mv_size ? a->mv_size - 1 : 0;
  int r = n ? memcmp(a->mv_data, b->mv_data, n) : 0;
  return r < 0 ? 1 : r > 0 ? -1 : 0;
}

Material materialize(const Op &op) {
  Material m;
  if (op.kind == OpKind::CursorPut && (op.flags & MDB_MULTIPLE)) {
    // op.arg items, contiguous, each of the value's size.
    m.key = key_bytes(op.key);
    for (uint32_t i = 0; i < op.arg; i++) m.val += val_bytes(ValRef{op.val.seed + i, op.val.len});
    return m;
  }
  switch (op.kind) {
    case OpKind::Get:
    case OpKind::Del:
    case OpKind::Put:
    case OpKind::CursorGet:
    case OpKind::CursorPut:
      m.key = key_bytes(op.key);
      m.val = val_bytes(op.val);
      break;
    default:
      break;
  }
  return m;
}

Side::Side(const LmdbApi &api, std::string dir, const EnvConfig &cfg) : api_(api), dir_(std::move(dir)), cfg_(cfg) {
  for (int &t : cur_txn_) t = -1;
}

Side::~Side() { shutdown(); }

void Side::shutdown() {
  for (int i = 0; i < kCursorSlots; i++) {
    if (cur_[i]) api_.mdb_cursor_close(cur_[i]);
    cur_[i] = nullptr;
    cur_txn_[i] = -1;
  }
  for (int s = kTxnSlots - 1; s >= 0; s--) {
    if (txn_[s]) api_.mdb_txn_abort(txn_[s]);
    txn_[s] = nullptr;
  }
  if (env_) api_.mdb_env_close(env_);
  env_ = nullptr;
  for (auto &d : dbi_) d = 0;
  for (auto &c : custom_dcmp_) c = false;
}

void Side::env_facts(Result &r) {
  MDB_envinfo info{};
  int rc = api_.mdb_env_info(env_, &info);
  r.num("info.rc", rc);
  if (rc == 0) {
    r.num("me_mapsize", static_cast<int64_t>(info.me_mapsize));
    r.num("me_last_pgno", static_cast<int64_t>(info.me_last_pgno));
    r.num("me_last_txnid", static_cast<int64_t>(info.me_last_txnid));
  }
  struct stat st {};
  r.num("file_size", stat((dir_ + "/data.mdb").c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1);
}

int Side::open_env(Result &r, size_t mapsize) {
  int rc = api_.mdb_env_create(&env_);
  r.num("create.rc", rc);
  if (rc) {
    env_ = nullptr;
    return rc;
  }
  if (!rc && mapsize != kReopenNoMapsize)
    rc = api_.mdb_env_set_mapsize(env_, mapsize == kReopenMapsizeZero ? 0 : mapsize);
  if (!rc) rc = api_.mdb_env_set_maxdbs(env_, cfg_.maxdbs);
  if (!rc) rc = api_.mdb_env_set_maxreaders(env_, cfg_.maxreaders);
  r.num("config.rc", rc);
  if (!rc) rc = api_.mdb_env_open(env_, dir_.c_str(), cfg_.flags, 0644);
  if (rc) {
    api_.mdb_env_close(env_);
    env_ = nullptr;
  }
  return rc;
}

// Forget the handles the library frees by itself when a txn ends.
void Side::forget_txn(int slot, bool write) {
  txn_[slot] = nullptr;
  for (int i = 0; i < kCursorSlots; i++) {
    if (cur_[i] && cur_txn_[i] == slot) {
      if (write) cur_[i] = nullptr;  // freed with the write txn
      cur_txn_[i] = -1;
    }
  }
}

void Side::add_item(Result &r, const char *kname, const MDB_val &k, const char *dname, const MDB_val &d) {
  if (kname) r.bytes(kname, k.mv_data, k.mv_size);
  if (dname) {
    r.bytes(dname, d.mv_data, d.mv_size);
  }
}

// After a successful modification: the database's statistics and flags.
void Side::after_write(int slot, int db, Result &r) {
  MDB_stat st{};
  int rc = api_.mdb_stat(txn_[slot], dbi_[db], &st);
  r.num("stat.rc", rc);
  if (rc == 0) {
    r.num("ms_psize", st.ms_psize);
    r.num("ms_depth", st.ms_depth);
    r.num("ms_branch_pages", static_cast<int64_t>(st.ms_branch_pages));
    r.num("ms_leaf_pages", static_cast<int64_t>(st.ms_leaf_pages));
    r.num("ms_overflow_pages", static_cast<int64_t>(st.ms_overflow_pages));
    r.num("ms_entries", static_cast<int64_t>(st.ms_entries));
  }
  unsigned fl = 0;
  rc = api_.mdb_dbi_flags(txn_[slot], dbi_[db], &fl);
  r.num("flags.rc", rc);
  if (rc == 0) r.num("dbi_flags", fl);
}

void Side::exec(const Op &op, const Material &m, Result &r) {
  r.clear();
  const int s = op.txn;
  MDB_val key{m.key.size(), const_cast<char *>(m.key.data())};
  MDB_val val{m.val.size(), const_cast<char *>(m.val.data())};
  switch (op.kind) {
    case OpKind::EnvReopen: {
      shutdown();
      r.set_rc("rc", open_env(r, op.arg ? op.arg : cfg_.mapsize));
      if (r.rc == 0 && small_map()) env_facts(r);
      break;
    }
    case OpKind::EnvSetMapsize: {
      r.set_rc("rc", api_.mdb_env_set_mapsize(env_, op.arg));
      env_facts(r);
      break;
    }
    case OpKind::TxnBegin: {
      MDB_txn *t = nullptr;
      unsigned fl = op.flags | (s == kWriteSlot ? 0u : static_cast<unsigned>(MDB_RDONLY));
      r.set_rc("rc", api_.mdb_txn_begin(env_, nullptr, fl, &t));
      if (r.rc == 0) {
        txn_[s] = t;
        r.num("txn_id", static_cast<int64_t>(api_.mdb_txn_id(t)));
      }
      break;
    }
    case OpKind::TxnCommit: {
      r.set_rc("rc", api_.mdb_txn_commit(txn_[s]));
      forget_txn(s, s == kWriteSlot);
      MDB_envinfo info{};
      int rc = api_.mdb_env_info(env_, &info);
      r.num("info.rc", rc);
      r.num("me_last_txnid", static_cast<int64_t>(info.me_last_txnid));
      if (small_map()) env_facts(r);
      break;
    }
    case OpKind::TxnAbort:
      api_.mdb_txn_abort(txn_[s]);
      forget_txn(s, s == kWriteSlot);
      r.set_rc("rc", 0);
      if (small_map() && s == kWriteSlot) env_facts(r);
      break;
    case OpKind::TxnReset:
      api_.mdb_txn_reset(txn_[s]);
      // The txn object stays; its cursors need mdb_cursor_renew.  (A write
      // txn is not reset: upstream ignores the call.)
      for (int i = 0; i < kCursorSlots; i++)
        if (s != kWriteSlot && cur_[i] && cur_txn_[i] == s) cur_txn_[i] = -1;
      r.set_rc("rc", 0);
      r.num("txn_id", static_cast<int64_t>(api_.mdb_txn_id(txn_[s])));
      break;
    case OpKind::TxnRenew:
      r.set_rc("rc", api_.mdb_txn_renew(txn_[s]));
      if (r.rc == 0) r.num("txn_id", static_cast<int64_t>(api_.mdb_txn_id(txn_[s])));
      break;
    case OpKind::TxnId:
      r.set_rc("rc", 0);
      r.num("txn_id", static_cast<int64_t>(api_.mdb_txn_id(txn_[s])));
      break;
    case OpKind::DbiOpen: {
      MDB_dbi d = 0;
      std::string name = db_name(op.db);
      r.set_rc("rc", api_.mdb_dbi_open(txn_[s], op.db ? name.c_str() : nullptr, op.flags & ~kCustomDupCmp, &d));
      if (r.rc == 0) {
        dbi_[op.db] = d;
        r.num("dbi", d);
        if (op.flags & kCustomDupCmp) {
          r.num("set_dupsort.rc", api_.mdb_set_dupsort(txn_[s], d, custom_dup_cmp));
          custom_dcmp_[op.db] = true;
        }
        unsigned fl = 0;
        r.num("flags.rc", api_.mdb_dbi_flags(txn_[s], d, &fl));
        r.num("dbi_flags", fl);
      }
      break;
    }
    case OpKind::DbiClose:
      api_.mdb_dbi_close(env_, dbi_[op.db]);
      dbi_[op.db] = 0;
      r.set_rc("rc", 0);
      break;
    case OpKind::DbiFlags: {
      unsigned fl = 0;
      r.set_rc("rc", api_.mdb_dbi_flags(txn_[s], dbi_[op.db], &fl));
      if (r.rc == 0) r.num("dbi_flags", fl);
      break;
    }
    case OpKind::Stat: {
      MDB_stat st{};
      r.set_rc("rc", api_.mdb_stat(txn_[s], dbi_[op.db], &st));
      if (r.rc == 0) {
        r.num("ms_psize", st.ms_psize);
        r.num("ms_depth", st.ms_depth);
        r.num("ms_branch_pages", static_cast<int64_t>(st.ms_branch_pages));
        r.num("ms_leaf_pages", static_cast<int64_t>(st.ms_leaf_pages));
        r.num("ms_overflow_pages", static_cast<int64_t>(st.ms_overflow_pages));
        r.num("ms_entries", static_cast<int64_t>(st.ms_entries));
      }
      break;
    }
    case OpKind::EnvStat: {
      MDB_stat st{};
      r.set_rc("rc", api_.mdb_env_stat(env_, &st));
      if (r.rc == 0) {
        r.num("ms_psize", st.ms_psize);
        r.num("ms_depth", st.ms_depth);
        r.num("ms_branch_pages", static_cast<int64_t>(st.ms_branch_pages));
        r.num("ms_leaf_pages", static_cast<int64_t>(st.ms_leaf_pages));
        r.num("ms_overflow_pages", static_cast<int64_t>(st.ms_overflow_pages));
        r.num("ms_entries", static_cast<int64_t>(st.ms_entries));
      }
      break;
    }
    case OpKind::EnvInfo: {
      // me_last_pgno: pages are reused as upstream reuses them, so the file
      // ends at the same page (docs/format.md, "Page reuse order").
      // me_numreaders depends on the reader slot policy: not compared.
      MDB_envinfo info{};
      r.set_rc("rc", api_.mdb_env_info(env_, &info));
      if (r.rc == 0) {
        r.num("me_mapsize", static_cast<int64_t>(info.me_mapsize));
        r.num("me_last_txnid", static_cast<int64_t>(info.me_last_txnid));
        r.num("me_last_pgno", static_cast<int64_t>(info.me_last_pgno));
        r.num("me_maxreaders", info.me_maxreaders);
        r.num("me_mapaddr_null", info.me_mapaddr == nullptr);
      }
      break;
    }
    case OpKind::Drop:
      r.set_rc("rc", api_.mdb_drop(txn_[s], dbi_[op.db], static_cast<int>(op.arg)));
      if (r.rc == 0) {
        if (op.arg == 1)
          dbi_[op.db] = 0;
        else
          after_write(s, op.db, r);
      }
      break;
    case OpKind::Get: {
      MDB_val d{};
      r.set_rc("rc", api_.mdb_get(txn_[s], dbi_[op.db], &key, &d));
      if (r.rc == 0) add_item(r, "key", key, "data", d);
      break;
    }
    case OpKind::Put: {
      MDB_val d = val;
      r.set_rc("rc", api_.mdb_put(txn_[s], dbi_[op.db], &key, &d, op.flags));
      if (r.rc == 0 && (op.flags & MDB_RESERVE)) {
        r.num("reserved_size", static_cast<int64_t>(d.mv_size));
        memcpy(d.mv_data, m.val.data(), m.val.size());
      }
      if (r.rc == MDB_KEYEXIST && (op.flags & MDB_NOOVERWRITE)) add_item(r, "key", key, "existing", d);
      if (r.rc == 0) after_write(s, op.db, r);
      break;
    }
    case OpKind::Del: {
      r.set_rc("rc", api_.mdb_del(txn_[s], dbi_[op.db], &key, op.arg ? &val : nullptr));
      if (r.rc == 0) after_write(s, op.db, r);
      break;
    }
    case OpKind::CursorOpen: {
      MDB_cursor *c = nullptr;
      r.set_rc("rc", api_.mdb_cursor_open(txn_[s], dbi_[op.db], &c));
      if (r.rc == 0) {
        cur_[op.cur] = c;
        cur_txn_[op.cur] = s;
        cur_db_[op.cur] = op.db;
        r.num("cursor_txn_ok", api_.mdb_cursor_txn(c) == txn_[s]);
        r.num("cursor_dbi_ok", api_.mdb_cursor_dbi(c) == dbi_[op.db]);
      }
      break;
    }
    case OpKind::CursorClose:
      api_.mdb_cursor_close(cur_[op.cur]);
      cur_[op.cur] = nullptr;
      cur_txn_[op.cur] = -1;
      r.set_rc("rc", 0);
      break;
    case OpKind::CursorRenew:
      r.set_rc("rc", api_.mdb_cursor_renew(txn_[s], cur_[op.cur]));
      if (r.rc == 0) {
        cur_txn_[op.cur] = s;
        r.num("cursor_txn_ok", api_.mdb_cursor_txn(cur_[op.cur]) == txn_[s]);
      }
      break;
    case OpKind::CursorGet: {
      MDB_val k = key, d = val;
      r.set_rc("rc", api_.mdb_cursor_get(cur_[op.cur], &k, &d, static_cast<MDB_cursor_op>(op.arg)));
      if (r.rc == 0) add_item(r, "key", k, "data", d);
      break;
    }
    case OpKind::CursorPut: {
      MDB_cursor *c = cur_[op.cur];
      const int db = cur_db_[op.cur];
      MDB_val k = key, d = val;
      std::string cur_key, cur_data;
      if (op.flags & MDB_CURRENT) {
        // The key must be the one at the cursor: fetch it first.
        MDB_val ck{}, cd{};
        int rc = api_.mdb_cursor_get(c, &ck, &cd, MDB_GET_CURRENT);
        r.num("current.rc", rc);
        if (rc != 0) {
          r.set_rc("rc", rc);
          r.num("put_skipped", 1);
          break;
        }
        cur_key.assign(static_cast<const char *>(ck.mv_data), ck.mv_size);
        k = MDB_val{cur_key.size(), cur_key.data()};
        r.bytes("current.key", cur_key.data(), cur_key.size());
        if (op.arg == kCurrentSameData) {
          cur_data.assign(static_cast<const char *>(cd.mv_data), cd.mv_size);
          if (custom_dcmp_[db] && !cur_data.empty()) cur_data.back() = static_cast<char>(cur_data.back() ^ 0x5A);
          d = MDB_val{cur_data.size(), cur_data.data()};
        }
      }
      MDB_val multi[2] = {{val_len(op.val), const_cast<char *>(m.val.data())}, {op.arg, nullptr}};
      r.set_rc("rc", api_.mdb_cursor_put(c, &k, (op.flags & MDB_MULTIPLE) ? multi : &d, op.flags));
      if (op.flags & MDB_MULTIPLE) r.num("multiple.count", static_cast<int64_t>(multi[1].mv_size));
      if (r.rc == 0 && (op.flags & MDB_RESERVE)) {
        r.num("reserved_size", static_cast<int64_t>(d.mv_size));
        memcpy(d.mv_data, m.val.data(), m.val.size());
      }
      if (r.rc == MDB_KEYEXIST && (op.flags & MDB_NOOVERWRITE)) add_item(r, "key", k, "existing", d);
      if (r.rc == 0) after_write(cur_txn_[op.cur], db, r);
      break;
    }
    case OpKind::CursorDel:
      r.set_rc("rc", api_.mdb_cursor_del(cur_[op.cur], op.flags));
      if (r.rc == 0) after_write(cur_txn_[op.cur], cur_db_[op.cur], r);
      break;
    case OpKind::CursorCount: {
      size_t n = 0;
      r.set_rc("rc", api_.mdb_cursor_count(cur_[op.cur], &n));
      if (r.rc == 0) r.num("count", static_cast<int64_t>(n));
      break;
    }
    case OpKind::FullCheck:  // handled by the runner through dump()
    case OpKind::Count_:
      r.set_rc("rc", 0);
      break;
  }
}

std::vector<PageDigest> Side::page_layout(std::string *error) const {
  return read_env_page_layout(api_, env_, dir_, error);
}

std::vector<DbDump> Side::dump(int slot, const std::vector<int> &dbs) {
  std::vector<DbDump> out;
  for (int db : dbs) out.push_back(dump_db(api_, txn_[slot], dbi_[db], db));
  return out;
}

}  // namespace compat
