// Lock-step execution: every operation runs on each implementation (each in
// its own directory) and the results are compared after every call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api_table.h"
#include "generator.h"
#include "model.h"
#include "oracle_guard.h"
#include "ops.h"
#include "result.h"
#include "side.h"

namespace compat {

// A temporary directory, removed (recursively) when destroyed unless kept.
class TempDir {
 public:
  explicit TempDir(const std::string &tag);
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string sub(const std::string &name) const;  // creates path/name
  static void set_keep(bool keep);

 private:
  std::string path_;
};

class Runner {
 public:
  // impls[0] is the oracle; the model follows its results.
  Runner(const std::vector<const LmdbApi *> &impls, const EnvConfig &cfg, const TempDir &dir);
  // Same, with explicit environment directories (one per implementation).
  Runner(const std::vector<const LmdbApi *> &impls, const EnvConfig &cfg, const std::vector<std::string> &dirs);

  // Run one op on every side.  Ops the model deems illegal are skipped
  // (returns true).  Returns false on a disagreement; failure() tells why.
  bool step(const Op &op);

  const Model &model() const { return model_; }
  Side &side(size_t i) { return *sides_[i]; }
  size_t sides() const { return sides_.size(); }
  const Result &last(size_t i) const { return res_[i]; }
  bool last_skipped() const { return last_skipped_; }
  uint64_t executed() const { return executed_; }
  uint64_t skipped() const { return skipped_; }
  const std::string &failure() const { return failure_; }
  const std::map<std::string, uint64_t> &guarded() const { return guarded_; }
  const std::map<std::string, uint64_t> &coverage() const { return coverage_; }
  void shutdown();

 private:
  bool full_check(const Op &op);
  bool layout_check(const Op &op);  // the data files' pages in use

  Model model_;
  std::vector<std::unique_ptr<Side>> sides_;
  Result res_[2];
  bool last_skipped_ = false;
  uint64_t executed_ = 0, skipped_ = 0;
  std::string failure_;
  OracleGuard guard_;
  std::map<std::string, uint64_t> guarded_;   // ops skipped by the oracle guard, by reason
  std::map<std::string, uint64_t> coverage_;  // DUPSORT states reached
};

bool is_cursor_op(OpKind k);

// LMDB_COMPAT_TRACE=1: print every executed op and the oracle's result.
bool trace_enabled();

// Ops that end a random run: reopen the environment and compare everything.
std::vector<Op> final_check_ops();

struct RunOutcome {
  bool ok = true;
  int64_t failed_at = -1;  // index of the failing op
  std::string report;      // what differed
  OpList ops;              // the ops executed (if recorded)
  uint64_t executed = 0, skipped = 0;
  unsigned max_depth = 0;  // deepest tree seen (coverage indicator)
  std::map<std::pair<int, int>, uint64_t> histogram;  // (OpKind, rc) -> count
  std::map<std::string, uint64_t> guarded, coverage;
};
std::string format_histogram(const RunOutcome &o);

// Generate and run `nops` random ops from `seed` (plus the final check).
// on_op, if set, sees every op before it runs (used to record crashing runs).
RunOutcome run_random(uint64_t seed, uint64_t nops, const GenOptions &opt,
                      const std::vector<const LmdbApi *> &impls, bool record,
                      const std::function<void(const Op &)> &on_op = {});
// Run an explicit op list.
RunOutcome run_oplist(const OpList &list, const std::vector<const LmdbApi *> &impls,
                      std::vector<int64_t> *skipped_indices = nullptr);

// Crash reporting: what is running now (printed by the fatal-signal handler).
void set_crash_context(uint64_t seed, int64_t op_index);
void install_crash_handler(const std::string &replay_prefix);

}  // namespace compat
