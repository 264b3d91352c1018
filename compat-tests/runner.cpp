#include "runner.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lmdb.h"
#include "oracle_guard.h"

namespace compat {

// ---- temporary directories -------------------------------------------------

namespace {
bool g_keep_dirs = false;
}

void TempDir::set_keep(bool keep) { g_keep_dirs = keep; }

TempDir::TempDir(const std::string &tag) {
  const char *base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/lmdb_compat." + tag + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    perror("mkdtemp");
    exit(2);
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (g_keep_dirs) {
    fprintf(stderr, "kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::sub(const std::string &name) const {
  std::string p = path_ + "/" + name;
  mkdir(p.c_str(), 0755);
  return p;
}

// ---- the lock-step runner --------------------------------------------------

Runner::Runner(const std::vector<const LmdbApi *> &impls, const EnvConfig &cfg, const TempDir &dir) : model_(cfg) {
  for (size_t i = 0; i < impls.size() && i < 2; i++)
    sides_.push_back(std::make_unique<Side>(*impls[i], dir.sub("side" + std::to_string(i)), cfg));
}

Runner::Runner(const std::vector<const LmdbApi *> &impls, const EnvConfig &cfg, const std::vector<std::string> &dirs)
    : model_(cfg) {
  for (size_t i = 0; i < impls.size() && i < 2 && i < dirs.size(); i++)
    sides_.push_back(std::make_unique<Side>(*impls[i], dirs[i], cfg));
}

void Runner::shutdown() {
  for (auto &s : sides_) s->shutdown();
}

bool Runner::layout_check(const Op &op) {
  std::string err0, err;
  std::vector<PageDigest> pages0 = sides_[0]->page_layout(&err0);
  for (size_t i = 1; i < sides_.size() && err0.empty(); i++) {
    std::string diff = compare_page_layouts(pages0, sides_[i]->page_layout(&err));
    if (!err.empty()) diff = err;
    if (!diff.empty()) {
      failure_ = "operation: " + format_op(op) + "\nfile layout check (" + sides_[0]->name() + " vs " +
                 sides_[i]->name() + "): " + diff + "\n";
      return false;
    }
  }
  if (!err0.empty()) {
    failure_ = "operation: " + format_op(op) + "\nfile layout check: " + err0 + "\n";
    return false;
  }
  return true;
}

bool Runner::full_check(const Op &op) {
  std::vector<int> dbs;
  for (int d = 0; d < kDbCount; d++)
    if (model_.usable(op.txn, d)) dbs.push_back(d);
  std::vector<DbDump> first = sides_[0]->dump(op.txn, dbs);
  for (size_t i = 1; i < sides_.size(); i++) {
    std::vector<DbDump> other = sides_[i]->dump(op.txn, dbs);
    std::string diff = compare_dumps(first, other);
    if (!diff.empty()) {
      failure_ = "operation: " + format_op(op) + "\nfull content check (" + sides_[0]->name() + " vs " +
                 sides_[i]->name() + "): " + diff + "\n";
      return false;
    }
  }
  // With no write txn open the file holds committed pages only: the same
  // nodes in the same pages on every side.
  if (!model_.active(kWriteSlot) && !model_.active(kNestedSlot) && !layout_check(op)) return false;
  res_[0].clear();
  res_[0].set_rc("rc", 0);
  for (auto &d : first) {
    res_[0].num("entries", static_cast<int64_t>(d.items.size()));
    if (!(d.flags & MDB_DUPSORT)) continue;
    size_t run = 0;  // coverage: keys with many duplicates (sub-databases)
    for (size_t j = 0; j < d.items.size(); j++) {
      run = (j && d.items[j].first == d.items[j - 1].first) ? run + 1 : 1;
      if (run == 100) coverage_["keys with >= 100 duplicates at a full check"]++;
    }
  }
  return true;
}

bool Runner::step(const Op &op) {
  last_skipped_ = !model_.applicable(op);
  if (!last_skipped_ && is_cursor_op(op.kind)) {
    // The oracle's known DUPSORT cursor defects (see oracle_guard.h).
    std::string why = guard_.check(op, sides_[0]->cursor(op.cur));
    if (!why.empty()) {
      last_skipped_ = true;
      guarded_[why]++;
    }
  }
  if (last_skipped_) {
    skipped_++;
    return true;
  }
  executed_++;
  if (trace_enabled()) fprintf(stderr, "[%llu] %s\n", static_cast<unsigned long long>(executed_ + skipped_ - 1), format_op(op).c_str());
  if (op.kind == OpKind::FullCheck) return full_check(op);
  Material m = materialize(op);
  for (size_t i = 0; i < sides_.size(); i++) sides_[i]->exec(op, m, res_[i]);
  if (sides_.size() > 1 && !(res_[0] == res_[1])) {
    failure_ = "operation: " + format_op(op) + "\n" +
               format_results(res_[0], sides_[0]->name(), res_[1], sides_[1]->name());
    return false;
  }
  model_.apply(op, res_[0].rc, &res_[0]);
  // With a small map (--small-map) the files are compared after every end
  // of the write txn: what a failed or aborted txn left behind.
  if (model_.cfg().mapsize < (size_t(64) << 20) && sides_.size() > 1 && model_.env_open() &&
      (op.kind == OpKind::TxnCommit || op.kind == OpKind::TxnAbort) && op.txn == kWriteSlot &&
      !model_.active(kWriteSlot) && !layout_check(op))
    return false;
  {
    MDB_cursor *cs[kCursorSlots];
    for (int i = 0; i < kCursorSlots; i++) cs[i] = model_.cursor_usable(i) ? sides_[0]->cursor(i) : nullptr;
    guard_.after(op, res_[0].rc, cs);
  }
  if (is_cursor_op(op.kind) && op.kind != OpKind::CursorClose && model_.cursor_usable(op.cur)) {
    // (Not a detached cursor: its pages may lie in a map since replaced.)
    // Coverage: where the oracle's cursor stands now.
    OracleCursorState st = peek_oracle_cursor(sides_[0]->cursor(op.cur));
    if (st.dupdata()) coverage_[(st.node_flags & 0x02) ? "cursor on a sub-database" : "cursor on a sub-page"]++;
  }
  if (trace_enabled()) {
    std::string line = "      ->";
    for (const Field &f : res_[0].fields) line += " " + format_field(f);
    fprintf(stderr, "%s\n", line.c_str());
  }
  return true;
}

bool trace_enabled() {
  static const bool on = [] {
    const char *e = getenv("LMDB_COMPAT_TRACE");
    return e && *e && strcmp(e, "0") != 0;
  }();
  return on;
}

std::vector<Op> final_check_ops() {
  std::vector<Op> ops;
  Op o;
  o.kind = OpKind::EnvReopen;
  ops.push_back(o);
  o = Op{};
  o.kind = OpKind::TxnBegin;
  o.txn = 1;
  ops.push_back(o);
  for (int d = 0; d < kDbCount; d++) {
    o = Op{};
    o.kind = OpKind::DbiOpen;
    o.txn = 1;
    o.db = static_cast<uint8_t>(d);
    ops.push_back(o);
  }
  o = Op{};
  o.kind = OpKind::FullCheck;
  o.txn = 1;
  ops.push_back(o);
  o = Op{};
  o.kind = OpKind::EnvInfo;
  ops.push_back(o);
  o = Op{};
  o.kind = OpKind::TxnAbort;
  o.txn = 1;
  ops.push_back(o);
  return ops;
}

namespace {
unsigned depth_of(const Result &r) {
  for (const Field &f : r.fields)
    if (std::strcmp(f.name, "ms_depth") == 0) return static_cast<unsigned>(f.num);
  return 0;
}
}  // namespace

RunOutcome run_random(uint64_t seed, uint64_t nops, const GenOptions &opt, const std::vector<const LmdbApi *> &impls,
                      bool record, const std::function<void(const Op &)> &on_op) {
  RunOutcome out;
  TempDir dir("run");
  EnvConfig cfg = env_for_seed(seed, opt.small_map);
  Runner r(impls, cfg, dir);
  Generator g(seed, opt);
  out.ops.seed = seed;
  out.ops.env = cfg;
  std::vector<Op> tail = final_check_ops();
  for (uint64_t i = 0; i < nops + tail.size(); i++) {
    Op op = i < nops ? g.next(r.model()) : tail[i - nops];
    if (record) out.ops.ops.push_back(op);
    if (on_op) on_op(op);
    set_crash_context(seed, static_cast<int64_t>(i));
    if (!r.step(op)) {
      out.ok = false;
      out.failed_at = static_cast<int64_t>(i);
      out.report = r.failure();
      break;
    }
    if (!r.last_skipped()) {
      out.max_depth = std::max(out.max_depth, depth_of(r.last(0)));
      out.histogram[{static_cast<int>(op.kind), r.last(0).rc}]++;
    }
  }
  out.executed = r.executed();
  out.skipped = r.skipped();
  out.guarded = r.guarded();
  out.coverage = r.coverage();
  set_crash_context(seed, -1);
  return out;
}

bool is_cursor_op(OpKind k) {
  return k == OpKind::CursorGet || k == OpKind::CursorPut || k == OpKind::CursorDel || k == OpKind::CursorCount ||
         k == OpKind::CursorClose || k == OpKind::CursorRenew;
}

std::string format_histogram(const RunOutcome &o) {
  std::string out;
  int kind = -1;
  for (const auto &[k, n] : o.histogram) {
    if (k.first != kind) {
      kind = k.first;
      out += std::string(out.empty() ? "" : "\n") + "  " + kind_name(static_cast<OpKind>(kind)) + ":";
    }
    out += " " + rc_name(k.second) + "=" + std::to_string(n);
  }
  for (const auto &[why, n] : o.guarded) out += "\n  not compared (oracle defect): " + why + ": " + std::to_string(n);
  for (const auto &[what, n] : o.coverage) out += "\n  coverage: " + what + ": " + std::to_string(n);
  return out + "\n";
}

RunOutcome run_oplist(const OpList &list, const std::vector<const LmdbApi *> &impls,
                      std::vector<int64_t> *skipped_indices) {
  RunOutcome out;
  TempDir dir("replay");
  Runner r(impls, list.env, dir);
  for (size_t i = 0; i < list.ops.size(); i++) {
    set_crash_context(list.seed, static_cast<int64_t>(i));
    if (!r.step(list.ops[i])) {
      out.ok = false;
      out.failed_at = static_cast<int64_t>(i);
      out.report = r.failure();
      break;
    }
    if (r.last_skipped() && skipped_indices) skipped_indices->push_back(static_cast<int64_t>(i));
  }
  out.executed = r.executed();
  out.skipped = r.skipped();
  set_crash_context(list.seed, -1);
  return out;
}

// ---- crash reporting -------------------------------------------------------

namespace {
volatile uint64_t g_crash_seed = 0;
volatile int64_t g_crash_op = -1;
char g_crash_prefix[1024];

void on_fatal_signal(int sig) {
  char buf[1400];
  if (g_crash_op >= 0) {
    int n = snprintf(buf, sizeof buf,
                     "\n*** lmdb_compat: fatal signal %d at seed 0x%016llx, op index %lld\n"
                     "*** replay: %s --seed 0x%016llx --ops %lld\n",
                     sig, static_cast<unsigned long long>(g_crash_seed), static_cast<long long>(g_crash_op),
                     g_crash_prefix, static_cast<unsigned long long>(g_crash_seed),
                     static_cast<long long>(g_crash_op + 1));
    if (n > 0) {
      ssize_t w = write(2, buf, static_cast<size_t>(n));
      (void)w;
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}
}  // namespace

void set_crash_context(uint64_t seed, int64_t op_index) {
  g_crash_seed = seed;
  g_crash_op = op_index;
}

void install_crash_handler(const std::string &replay_prefix) {
  snprintf(g_crash_prefix, sizeof g_crash_prefix, "%s", replay_prefix.c_str());
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Keep the sanitizer's own SIGSEGV report; it ends in abort().
  for (int sig : {SIGABRT}) signal(sig, on_fatal_signal);
#else
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) signal(sig, on_fatal_signal);
#endif
}

}  // namespace compat
