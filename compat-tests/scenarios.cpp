#include "scenarios.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "dump.h"
#include "runner.h"

namespace compat {

namespace {

constexpr int kAnyRc = 0x7fffffff;

// ---- a tiny DSL for op-based scenarios ---------------------------------------

struct Step {
  Op op;
  int expect = kAnyRc;
  std::function<std::string(const Result &)> check;  // returns "" if fine
};

struct Scenario {
  const char *name;
  EnvConfig cfg;
  std::vector<Step> steps;

  Scenario(const char *n, unsigned env_flags = MDB_NOSYNC | MDB_NOTLS) : name(n) { cfg.flags = env_flags; }

  Step &add(Op op, int expect) {
    steps.push_back(Step{op, expect, {}});
    return steps.back();
  }
  static Op mk(OpKind k, int txn = 0, int db = 0) {
    Op o;
    o.kind = k;
    o.txn = static_cast<uint8_t>(txn);
    o.db = static_cast<uint8_t>(db);
    return o;
  }
  Step &reopen() { return add(mk(OpKind::EnvReopen), 0); }
  Step &begin(int slot, int expect = 0) { return add(mk(OpKind::TxnBegin, slot), expect); }
  Step &commit(int slot, int expect = 0) { return add(mk(OpKind::TxnCommit, slot), expect); }
  Step &abort(int slot) { return add(mk(OpKind::TxnAbort, slot), 0); }
  Step &reset(int slot) { return add(mk(OpKind::TxnReset, slot), 0); }
  Step &renew(int slot, int expect = 0) { return add(mk(OpKind::TxnRenew, slot), expect); }
  Step &txn_id(int slot) { return add(mk(OpKind::TxnId, slot), 0); }
  Step &open(int txn, int db, unsigned flags, int expect = 0) {
    Op o = mk(OpKind::DbiOpen, txn, db);
    o.flags = flags;
    return add(o, expect);
  }
  Step &close_dbi(int db) { return add(mk(OpKind::DbiClose, 0, db), 0); }
  Step &stat(int txn, int db, int expect = 0) { return add(mk(OpKind::Stat, txn, db), expect); }
  Step &drop(int txn, int db, int del, int expect = 0) {
    Op o = mk(OpKind::Drop, txn, db);
    o.arg = static_cast<uint32_t>(del);
    return add(o, expect);
  }
  Step &put(int txn, int db, KeyRef k, ValRef v, unsigned flags, int expect) {
    Op o = mk(OpKind::Put, txn, db);
    o.key = k;
    o.val = v;
    o.flags = flags;
    return add(o, expect);
  }
  Step &get(int txn, int db, KeyRef k, int expect) {
    Op o = mk(OpKind::Get, txn, db);
    o.key = k;
    return add(o, expect);
  }
  Step &del(int txn, int db, KeyRef k, int expect) {
    Op o = mk(OpKind::Del, txn, db);
    o.key = k;
    return add(o, expect);
  }
  Step &copen(int txn, int db, int cur, int expect = 0) {
    Op o = mk(OpKind::CursorOpen, txn, db);
    o.cur = static_cast<uint8_t>(cur);
    return add(o, expect);
  }
  Step &cclose(int cur) {
    Op o = mk(OpKind::CursorClose);
    o.cur = static_cast<uint8_t>(cur);
    return add(o, 0);
  }
  Step &cget(int cur, unsigned cop, int expect, KeyRef k = {}) {
    Op o = mk(OpKind::CursorGet);
    o.cur = static_cast<uint8_t>(cur);
    o.arg = cop;
    o.key = k;
    return add(o, expect);
  }
  Step &cput(int cur, KeyRef k, ValRef v, unsigned flags, int expect) {
    Op o = mk(OpKind::CursorPut);
    o.cur = static_cast<uint8_t>(cur);
    o.key = k;
    o.val = v;
    o.flags = flags;
    return add(o, expect);
  }
  Step &cdel(int cur, int expect) {
    Op o = mk(OpKind::CursorDel);
    o.cur = static_cast<uint8_t>(cur);
    return add(o, expect);
  }
  Step &check(int txn) { return add(mk(OpKind::FullCheck, txn), 0); }
};

KeyRef K(uint32_t id, uint16_t len = 8) { return KeyRef{id, len, KeyKind::Plain}; }
KeyRef DbKey(uint32_t i) { return KeyRef{i, static_cast<uint16_t>(db_name(i).size()), KeyKind::DbName}; }
ValRef V(uint32_t seed, uint32_t len) { return ValRef{seed, len}; }

const Field *find(const Result &r, const char *name) {
  for (const Field &f : r.fields)
    if (strcmp(f.name, name) == 0) return &f;
  return nullptr;
}

std::function<std::string(const Result &)> bytes_is(const char *name, std::string want) {
  return [name, want](const Result &r) -> std::string {
    const Field *f = find(r, name);
    if (!f || !f->is_bytes) return std::string("no field ") + name;
    if (f->bytes != want) return std::string(name) + " is " + preview(f->bytes) + ", expected " + preview(want);
    return {};
  };
}

std::function<std::string(const Result &)> num_is(const char *name, int64_t want) {
  return [name, want](const Result &r) -> std::string {
    const Field *f = find(r, name);
    if (!f || f->is_bytes) return std::string("no field ") + name;
    if (f->num != want) return std::string(name) + " is " + std::to_string(f->num) + ", expected " + std::to_string(want);
    return {};
  };
}

std::string key_of(KeyRef k) { return key_bytes(k); }
std::string val_of(ValRef v) { return val_bytes(v); }

// ---- the scenarios -------------------------------------------------------------

std::vector<Scenario> build_scenarios() {
  std::vector<Scenario> all;
  const int W = kWriteSlot, R = 1;

  {  // Cursor and point reads on an empty database.
    Scenario s("empty_db");
    s.reopen();
    s.begin(R);
    s.open(R, 0, 0);
    s.get(R, 0, K(1), MDB_NOTFOUND);
    s.stat(R, 0).check = num_is("ms_entries", 0);
    s.stat(R, 0).check = num_is("ms_depth", 0);
    s.copen(R, 0, 0);
    for (unsigned op : {MDB_FIRST, MDB_LAST, MDB_NEXT, MDB_PREV}) s.cget(0, op, MDB_NOTFOUND);
    s.cget(0, MDB_SET, MDB_NOTFOUND, K(1));
    s.cget(0, MDB_SET_KEY, MDB_NOTFOUND, K(1));
    s.cget(0, MDB_SET_RANGE, MDB_NOTFOUND, K(1));
    s.cclose(0);
    s.abort(R);
    s.begin(W);
    s.open(W, 0, 0);
    s.copen(W, 0, 1);
    s.cget(1, MDB_GET_CURRENT, EINVAL);
    s.cdel(1, EINVAL);
    s.cget(1, MDB_FIRST, MDB_NOTFOUND);
    s.del(W, 0, K(1), MDB_NOTFOUND);
    s.commit(W);
    all.push_back(s);
  }
  {  // One key: every way of reading it.
    Scenario s("single_key");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.put(W, 0, K(7), V(1, 100), 0, 0);
    s.get(W, 0, K(7), 0).check = bytes_is("data", val_of(V(1, 100)));
    s.stat(W, 0).check = num_is("ms_entries", 1);
    s.commit(W);
    s.reopen();
    s.begin(R);
    s.open(R, 0, 0);
    s.get(R, 0, K(7), 0).check = bytes_is("data", val_of(V(1, 100)));
    s.copen(R, 0, 0);
    s.cget(0, MDB_FIRST, 0).check = bytes_is("key", key_of(K(7)));
    s.cget(0, MDB_NEXT, MDB_NOTFOUND);
    s.cget(0, MDB_LAST, 0).check = bytes_is("data", val_of(V(1, 100)));
    s.cget(0, MDB_PREV, MDB_NOTFOUND);
    s.cget(0, MDB_GET_CURRENT, 0).check = bytes_is("key", key_of(K(7)));
    s.cget(0, MDB_SET_KEY, 0, K(7)).check = bytes_is("key", key_of(K(7)));
    s.cget(0, MDB_SET_RANGE, 0, KeyRef{0, 1, KeyKind::Int}).check = bytes_is("key", key_of(K(7)));  // "\0"
    s.stat(R, 0).check = num_is("ms_depth", 1);
    s.cclose(0);
    s.commit(R);
    all.push_back(s);
  }
  {  // put / get / del round trips, MDB_NOOVERWRITE and MDB_RESERVE.
    Scenario s("put_del_roundtrip");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.put(W, 0, K(1), V(1, 10), 0, 0);
    s.put(W, 0, K(1), V(2, 20), MDB_NOOVERWRITE, MDB_KEYEXIST).check = bytes_is("existing", val_of(V(1, 10)));
    s.put(W, 0, K(1), V(3, 30), 0, 0);
    s.get(W, 0, K(1), 0).check = bytes_is("data", val_of(V(3, 30)));
    s.put(W, 0, K(2), V(4, 3000), MDB_RESERVE, 0).check = num_is("reserved_size", 3000);
    s.get(W, 0, K(2), 0).check = bytes_is("data", val_of(V(4, 3000)));
    s.stat(W, 0).check = num_is("ms_overflow_pages", 1);
    s.del(W, 0, K(1), 0);
    s.get(W, 0, K(1), MDB_NOTFOUND);
    s.del(W, 0, K(1), MDB_NOTFOUND);
    s.del(W, 0, K(2), 0);
    s.stat(W, 0).check = num_is("ms_entries", 0);
    s.stat(W, 0).check = num_is("ms_overflow_pages", 0);
    s.commit(W);
    all.push_back(s);
  }
  {  // Large values live on overflow pages.
    Scenario s("overflow_values");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.put(W, 0, K(1), V(1, 20000), 0, 0).check = num_is("ms_overflow_pages", 5);
    s.put(W, 0, K(1), V(2, 5000), 0, 0);
    s.get(W, 0, K(1), 0).check = bytes_is("data", val_of(V(2, 5000)));
    s.commit(W);
    s.begin(W);
    s.get(W, 0, K(1), 0).check = bytes_is("data", val_of(V(2, 5000)));
    s.put(W, 0, K(1), V(3, 10), 0, 0).check = num_is("ms_overflow_pages", 0);
    s.commit(W);
    all.push_back(s);
  }
  {  // Key size limits.
    Scenario s("bad_valsize");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.put(W, 0, K(1, 0), V(1, 1), 0, MDB_BAD_VALSIZE);
    s.put(W, 0, K(1, 512), V(1, 1), 0, MDB_BAD_VALSIZE);
    s.put(W, 0, K(1, 511), V(1, 1), 0, 0);
    s.get(W, 0, K(1, 511), 0);
    s.get(W, 0, K(1, 0), MDB_BAD_VALSIZE);
    s.del(W, 0, K(1, 0), MDB_BAD_VALSIZE);
    s.get(W, 0, K(1, 512), kAnyRc);
    s.del(W, 0, K(1, 512), kAnyRc);
    s.copen(W, 0, 0);
    s.cget(0, MDB_SET, MDB_BAD_VALSIZE, K(1, 0));
    s.cget(0, MDB_SET_RANGE, MDB_BAD_VALSIZE, K(1, 0));
    s.cput(0, K(2, 0), V(1, 1), 0, MDB_BAD_VALSIZE);
    s.cput(0, K(2, 512), V(1, 1), 0, MDB_BAD_VALSIZE);
    // Size errors do not poison the transaction.
    s.put(W, 0, K(3), V(3, 3), 0, 0);
    s.commit(W);
    all.push_back(s);
  }
  {  // Writes in a read-only transaction.
    Scenario s("eacces_in_read_txn");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.open(W, 1, MDB_CREATE);
    s.put(W, 1, K(1), V(1, 5), 0, 0);
    s.commit(W);
    s.begin(R);
    s.open(R, 0, 0);
    s.open(R, 1, 0);
    s.open(R, 2, MDB_CREATE, EACCES);
    s.put(R, 1, K(2), V(1, 5), 0, EACCES);
    s.del(R, 1, K(1), EACCES);
    s.drop(R, 1, 0, EACCES);
    s.copen(R, 1, 0);
    s.cget(0, MDB_FIRST, 0);
    s.cput(0, K(2), V(1, 5), 0, EACCES);
    s.cdel(0, EACCES);
    s.get(R, 1, K(1), 0).check = bytes_is("data", val_of(V(1, 5)));
    s.commit(R);
    s.cclose(0);
    all.push_back(s);
  }
  {  // A failed operation that poisons the write txn: MDB_BAD_TXN afterwards.
    Scenario s("bad_txn_after_failure");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.open(W, 1, MDB_CREATE);
    s.commit(W);
    s.begin(W);
    s.put(W, 0, K(5), V(1, 5), 0, 0);
    // Main-db records of named dbs cannot be overwritten or deleted as data.
    s.put(W, 0, DbKey(1), V(1, 5), MDB_NOOVERWRITE, MDB_KEYEXIST);
    s.get(W, 0, DbKey(1), 0).check = num_is("rc", 0);
    s.put(W, 0, DbKey(1), V(1, 5), 0, MDB_INCOMPATIBLE);
    s.put(W, 0, K(6), V(1, 5), 0, 0);  // a refused put does not poison the txn
    s.del(W, 0, DbKey(1), MDB_INCOMPATIBLE);  // ... but a refused delete does
    s.put(W, 0, K(7), V(1, 5), 0, MDB_BAD_TXN);
    s.get(W, 0, K(5), MDB_BAD_TXN);
    s.copen(W, 0, 0, MDB_BAD_TXN);
    s.stat(W, 0, MDB_BAD_TXN);
    s.commit(W, MDB_BAD_TXN);
    s.begin(W);
    s.get(W, 0, K(5), MDB_NOTFOUND);
    s.commit(W);
    all.push_back(s);
  }
  {  // Named databases: not found, created, full, dropped.
    Scenario s("named_dbs");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.open(W, 8, 0, MDB_NOTFOUND);
    for (int d = 1; d <= 7; d++) s.open(W, d, MDB_CREATE);
    s.open(W, 9, MDB_CREATE);
    s.open(W, 8, MDB_CREATE, MDB_DBS_FULL);  // maxdbs = 8
    s.put(W, 3, K(1), V(1, 5), 0, 0);
    s.stat(W, 3).check = num_is("ms_entries", 1);
    s.stat(W, 0).check = num_is("ms_entries", 8);
    s.get(W, 0, DbKey(3), 0);
    s.commit(W);
    s.begin(W);
    s.drop(W, 3, 0);
    s.stat(W, 3).check = num_is("ms_entries", 0);
    s.drop(W, 4, 1);
    s.commit(W);
    s.begin(W);
    s.open(W, 4, 0, MDB_NOTFOUND);
    s.open(W, 3, 0);
    s.get(W, 3, K(1), MDB_NOTFOUND);
    s.commit(W);
    s.close_dbi(3);
    s.begin(R);
    s.open(R, 3, 0);
    s.check(R);
    s.abort(R);
    all.push_back(s);
  }
  {  // Snapshot isolation, reset / renew, txn ids.
    Scenario s("snapshots_and_renew");
    s.reopen();
    s.begin(W).check = num_is("txn_id", 1);
    s.open(W, 0, 0);
    s.put(W, 0, K(1), V(1, 5), 0, 0);
    s.commit(W).check = num_is("me_last_txnid", 1);
    s.begin(R).check = num_is("txn_id", 1);
    s.begin(W).check = num_is("txn_id", 2);
    s.put(W, 0, K(2), V(2, 5), 0, 0);
    s.get(R, 0, K(2), MDB_NOTFOUND);
    s.commit(W);
    s.get(R, 0, K(2), MDB_NOTFOUND);
    s.reset(R);
    s.txn_id(R);
    s.renew(R).check = num_is("txn_id", 2);
    s.get(R, 0, K(2), 0);
    s.copen(R, 0, 0);
    s.cget(0, MDB_LAST, 0);
    s.reset(R);
    s.renew(R);
    s.add(Scenario::mk(OpKind::CursorRenew, R), 0).op.cur = 0;
    s.cget(0, MDB_FIRST, 0);
    s.abort(R);
    s.begin(2);
    s.add(Scenario::mk(OpKind::CursorRenew, 2), 0).op.cur = 0;
    s.cget(0, MDB_NEXT, 0);
    s.cget(0, MDB_NEXT, 0);
    s.cget(0, MDB_NEXT, MDB_NOTFOUND);
    s.commit(2);
    s.cclose(0);
    all.push_back(s);
  }
  {  // Several cursors on one database while it is modified.
    Scenario s("cursors_across_writes");
    s.reopen();
    s.begin(W);
    s.open(W, 0, 0);
    s.open(W, 1, MDB_CREATE);
    for (uint32_t i = 0; i < 300; i++) s.put(W, 1, K(i, static_cast<uint16_t>(200 + i % 100)), V(i, 40), 0, 0);
    s.copen(W, 1, 0);
    s.copen(W, 1, 1);
    s.copen(W, 1, 2);
    s.cget(0, MDB_FIRST, 0);
    s.cget(1, MDB_LAST, 0);
    s.cget(2, MDB_SET_RANGE, kAnyRc, K(5, 50));
    for (uint32_t i = 300; i < 600; i++) s.put(W, 1, K(i, static_cast<uint16_t>(200 + i % 100)), V(i, 40), 0, 0);
    s.cget(0, MDB_GET_CURRENT, 0);
    s.cget(1, MDB_GET_CURRENT, 0);
    s.cget(2, MDB_NEXT, 0);
    s.cdel(0, 0);
    s.cget(0, MDB_GET_CURRENT, 0);
    s.cget(0, MDB_NEXT, 0);
    s.cput(1, K(0), V(9, 100), MDB_CURRENT, 0);
    s.cget(1, MDB_PREV, 0);
    for (uint32_t i = 0; i < 600; i += 2) s.del(W, 1, K(i, static_cast<uint16_t>(200 + i % 100)), kAnyRc);
    s.cget(0, MDB_GET_CURRENT, kAnyRc);
    s.cget(1, MDB_NEXT, kAnyRc);
    s.cget(2, MDB_PREV, kAnyRc);
    s.stat(W, 1);
    s.check(W);
    s.commit(W);
    all.push_back(s);
  }
  return all;
}

bool run_one(const Scenario &s, const std::vector<const LmdbApi *> &impls, bool verbose) {
  TempDir dir("scenario");
  Runner r(impls, s.cfg, dir);
  for (size_t i = 0; i < s.steps.size(); i++) {
    const Step &st = s.steps[i];
    std::string why;
    if (!r.step(st.op)) {
      why = r.failure();
    } else if (r.last_skipped()) {
      why = "scenario op is not legal in the model: " + format_op(st.op) + "\n";
    } else {
      const Result &res = r.last(0);
      if (st.expect != kAnyRc && res.rc != st.expect)
        why = "operation: " + format_op(st.op) + "\nrc " + rc_name(res.rc) + ", expected " + rc_name(st.expect) + "\n";
      else if (st.check)
        why = st.check(res);
      if (!why.empty() && why.back() != '\n') why = "operation: " + format_op(st.op) + "\n" + why + "\n";
    }
    if (!why.empty()) {
      fprintf(stderr, "SCENARIO %s FAILED at step %zu\n%s", s.name, i, why.c_str());
      return false;
    }
  }
  if (verbose) fprintf(stderr, "scenario %-24s ok (%zu steps)\n", s.name, s.steps.size());
  return true;
}

// ---- API surface, called directly in lock step --------------------------------

int reverse_cmp(const MDB_val *a, const MDB_val *b) {
  size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = static_cast<const unsigned char *>(a->mv_data)[a->mv_size - 1 - i];
    unsigned char y = static_cast<const unsigned char *>(b->mv_data)[b->mv_size - 1 - i];
    if (x != y) return x < y ? -1 : 1;
  }
  return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size ? 1 : 0;
}

int collect_line(const char *msg, void *ctx) {
  static_cast<std::string *>(ctx)->append(msg);
  return 0;
}

int sign(int x) { return (x > 0) - (x < 0); }

// Runs the probe sequence against one implementation; returns a transcript.
std::string api_transcript(const LmdbApi &a, const std::string &dir) {
  std::string t;
  auto rec = [&t](const std::string &what, long long v) { t += what + " = " + std::to_string(v) + "\n"; };
  auto recs = [&t](const std::string &what, const std::string &v) { t += what + " = \"" + v + "\"\n"; };
  int maj = -1, min = -1, pat = -1;
  a.mdb_version(&maj, &min, &pat);
  rec("version.major", maj);
  rec("version.minor", min);
  for (int code = MDB_KEYEXIST; code <= MDB_LAST_ERRCODE; code++) recs("strerror(" + rc_name(code) + ")", a.mdb_strerror(code));
  for (int code : {0, ENOENT, EACCES, EINVAL, ENOMEM}) recs("strerror(" + std::to_string(code) + ")", a.mdb_strerror(code));

  MDB_env *env = nullptr;
  rec("env_create", a.mdb_env_create(&env));
  rec("set_maxreaders", a.mdb_env_set_maxreaders(env, 100));
  unsigned readers = 0;
  rec("get_maxreaders.rc", a.mdb_env_get_maxreaders(env, &readers));
  rec("get_maxreaders", readers);
  rec("set_maxdbs", a.mdb_env_set_maxdbs(env, 4));
  rec("set_mapsize", a.mdb_env_set_mapsize(env, 1 << 24));
  int ctx_val = 42;
  rec("set_userctx", a.mdb_env_set_userctx(env, &ctx_val));
  rec("get_userctx_ok", a.mdb_env_get_userctx(env) == &ctx_val);
  rec("set_assert", a.mdb_env_set_assert(env, nullptr));
  rec("env_open", a.mdb_env_open(env, dir.c_str(), MDB_NOSYNC | MDB_NOTLS, 0644));
  unsigned fl = 0;
  rec("get_flags.rc", a.mdb_env_get_flags(env, &fl));
  rec("get_flags", fl);
  rec("set_flags(NOMETASYNC,1)", a.mdb_env_set_flags(env, MDB_NOMETASYNC, 1));
  a.mdb_env_get_flags(env, &fl);
  rec("get_flags", fl);
  rec("set_flags(NOSYNC,0)", a.mdb_env_set_flags(env, MDB_NOSYNC, 0));
  a.mdb_env_get_flags(env, &fl);
  rec("get_flags", fl);
  rec("set_flags(RDONLY,1)", a.mdb_env_set_flags(env, MDB_RDONLY, 1));
  const char *path = nullptr;
  rec("get_path.rc", a.mdb_env_get_path(env, &path));
  rec("get_path_ok", path && dir == path);
  int fd = -1;
  rec("get_fd.rc", a.mdb_env_get_fd(env, &fd));
  rec("get_fd_valid", fd >= 0);
  rec("maxkeysize", a.mdb_env_get_maxkeysize(env));
  rec("set_maxdbs_after_open", a.mdb_env_set_maxdbs(env, 8));

  MDB_txn *txn = nullptr;
  rec("txn_begin", a.mdb_txn_begin(env, nullptr, 0, &txn));
  rec("txn_env_ok", a.mdb_txn_env(txn) == env);
  MDB_dbi main_dbi = 0, rev = 0;
  rec("open_main", a.mdb_dbi_open(txn, nullptr, 0, &main_dbi));
  rec("main_dbi", main_dbi);
  rec("open_rev", a.mdb_dbi_open(txn, "rev", MDB_CREATE | MDB_REVERSEKEY, &rev));
  rec("rev_dbi", rev);
  MDB_dbi cus = 0;
  rec("open_custom", a.mdb_dbi_open(txn, "custom", MDB_CREATE, &cus));
  rec("set_compare", a.mdb_set_compare(txn, cus, reverse_cmp));
  rec("set_relfunc", a.mdb_set_relfunc(txn, cus, nullptr));
  rec("set_relctx", a.mdb_set_relctx(txn, cus, nullptr));
  const char *keys[] = {"abc", "abd", "zza", "b", "ab", "ba", "c"};
  for (MDB_dbi d : {main_dbi, rev, cus}) {
    for (const char *k : keys) {
      MDB_val kv{strlen(k), const_cast<char *>(k)}, dv{1, const_cast<char *>("v")};
      rec(std::string("put ") + k, a.mdb_put(txn, d, &kv, &dv, 0));
    }
    MDB_cursor *c = nullptr;
    rec("cursor_open", a.mdb_cursor_open(txn, d, &c));
    rec("cursor_dbi_ok", a.mdb_cursor_dbi(c) == d);
    rec("cursor_txn_ok", a.mdb_cursor_txn(c) == txn);
    MDB_val k, v;
    std::string order;
    for (int rc = a.mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = a.mdb_cursor_get(c, &k, &v, MDB_NEXT))
      order += std::string(static_cast<char *>(k.mv_data), k.mv_size) + ",";
    recs("order", order);
    a.mdb_cursor_close(c);
    MDB_val x{2, const_cast<char *>("ab")}, y{3, const_cast<char *>("abc")}, z{2, const_cast<char *>("ba")};
    rec("cmp(ab,abc)", sign(a.mdb_cmp(txn, d, &x, &y)));
    rec("cmp(abc,ba)", sign(a.mdb_cmp(txn, d, &y, &z)));
    rec("cmp(ba,ba)", sign(a.mdb_cmp(txn, d, &z, &z)));
    unsigned dfl = 0;
    rec("dbi_flags.rc", a.mdb_dbi_flags(txn, d, &dfl));
    rec("dbi_flags", dfl);
  }
  MDB_dbi dups = 0;
  rec("open_dups", a.mdb_dbi_open(txn, "dups", MDB_CREATE | MDB_DUPSORT, &dups));
  rec("set_dupsort", a.mdb_set_dupsort(txn, dups, reverse_cmp));
  {
    MDB_val x{2, const_cast<char *>("ab")}, z{2, const_cast<char *>("ba")};
    rec("dcmp(ab,ba)", sign(a.mdb_dcmp(txn, dups, &x, &z)));
    rec("dcmp(ba,ab)", sign(a.mdb_dcmp(txn, dups, &z, &x)));
  }
  rec("commit", a.mdb_txn_commit(txn));

  MDB_txn *rtx = nullptr;
  rec("begin_read", a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &rtx));
  std::string readers_text;
  rec("reader_list", a.mdb_reader_list(env, collect_line, &readers_text));
  recs("reader_list_text", readers_text);
  int dead = -1;
  rec("reader_check", a.mdb_reader_check(env, &dead));
  rec("reader_check_dead", dead);
  MDB_stat st{};
  rec("env_stat", a.mdb_env_stat(env, &st));
  rec("env_stat.entries", static_cast<long long>(st.ms_entries));
  rec("env_stat.psize", st.ms_psize);
  a.mdb_txn_abort(rtx);

  rec("env_sync(1)", a.mdb_env_sync(env, 1));
  rec("env_sync(0)", a.mdb_env_sync(env, 0));
  rec("set_mapsize(open)", a.mdb_env_set_mapsize(env, 1 << 25));
  MDB_envinfo info{};
  rec("env_info", a.mdb_env_info(env, &info));
  rec("me_mapsize", static_cast<long long>(info.me_mapsize));
  rec("me_last_txnid", static_cast<long long>(info.me_last_txnid));
  rec("me_maxreaders", info.me_maxreaders);

  // Copies: plain, compacting, and to a file descriptor.  Their contents
  // are read back through the same implementation.
  std::string copy1 = dir + "-copy", copy2 = dir + "-compact", copy3 = dir + "-fd.mdb";
  mkdir(copy1.c_str(), 0755);
  mkdir(copy2.c_str(), 0755);
  rec("env_copy", a.mdb_env_copy(env, copy1.c_str()));
  rec("env_copy2(compact)", a.mdb_env_copy2(env, copy2.c_str(), MDB_CP_COMPACT));
  int cfd = open(copy3.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  rec("env_copyfd", a.mdb_env_copyfd(env, cfd));
  close(cfd);
  cfd = open((copy3 + "2").c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  rec("env_copyfd2(compact)", a.mdb_env_copyfd2(env, cfd, MDB_CP_COMPACT));
  close(cfd);
  a.mdb_env_close(env);
  for (const auto &[p, fl2] : {std::pair<std::string, unsigned>{copy1, 0}, {copy2, 0}, {copy3, MDB_NOSUBDIR},
                               {copy3 + "2", MDB_NOSUBDIR}}) {
    EnvDump d = dump_env(a, p, fl2, 4, 1 << 24);
    rec("copy.rc(" + p.substr(dir.size()) + ")", d.rc);
    long long entries = 0;
    for (const DbDump &db : d.dbs) entries += static_cast<long long>(db.items.size());
    rec("copy.items", entries);
    rec("copy.dbs", static_cast<long long>(d.dbs.size()));
  }
  return t;
}

bool run_api_surface(const std::vector<const LmdbApi *> &impls, bool verbose) {
  TempDir dir("api");
  std::vector<std::string> transcripts;
  for (size_t i = 0; i < impls.size(); i++)
    transcripts.push_back(api_transcript(*impls[i], dir.sub("side" + std::to_string(i))));
  for (size_t i = 1; i < transcripts.size(); i++) {
    if (transcripts[i] == transcripts[0]) continue;
    // Report the first differing line.
    size_t a = 0, b = 0;
    const std::string &x = transcripts[0], &y = transcripts[i];
    while (true) {
      size_t ea = x.find('\n', a), eb = y.find('\n', b);
      std::string la = x.substr(a, ea == std::string::npos ? std::string::npos : ea - a);
      std::string lb = y.substr(b, eb == std::string::npos ? std::string::npos : eb - b);
      if (la != lb) {
        fprintf(stderr, "SCENARIO api_surface FAILED\n  %s: %s\n  %s: %s\n", impls[0]->name.c_str(), la.c_str(),
                impls[i]->name.c_str(), lb.c_str());
        return false;
      }
      if (ea == std::string::npos || eb == std::string::npos) break;
      a = ea + 1;
      b = eb + 1;
    }
  }
  // The oracle itself must behave as documented for a few key facts.
  const std::string &t = transcripts[0];
  for (const char *must : {"maxkeysize = 511\n", "get_maxreaders = 100\n", "order = \"ab,abc,abd,b,ba,c,custom,rev,zza,\"\n",
                           "order = \"ba,zza,b,ab,c,abc,abd,\"\n", "dcmp(ab,ba) = 1\n", "reader_check_dead = 0\n"}) {
    if (t.find(must) == std::string::npos) {
      fprintf(stderr, "SCENARIO api_surface FAILED: transcript lacks '%s'\n%s", must, t.c_str());
      return false;
    }
  }
  if (verbose) fprintf(stderr, "scenario %-24s ok\n", "api_surface");
  return true;
}

}  // namespace

int run_scenarios(const std::vector<const LmdbApi *> &impls, bool verbose) {
  int failed = 0;
  for (const Scenario &s : build_scenarios()) failed += !run_one(s, impls, verbose);
  failed += !run_api_surface(impls, verbose);
  return failed;
}

}  // namespace compat
