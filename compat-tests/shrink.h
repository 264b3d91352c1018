// Test-case reduction: given a failing operation list, find a much shorter
// list that still fails (delta debugging, ddmin).  Every candidate runs in a
// forked child, so crashes and hangs of the implementation count as
// failures and do not take the shrinker down.
#pragma once

#include <vector>

#include "api_table.h"
#include "generator.h"
#include "ops.h"

namespace compat {

struct ShrinkOptions {
  double time_budget_s = 300;
  unsigned child_timeout_s = 120;
  bool verbose = true;
};

// Runs a random test in a child process and records its ops, so a run that
// crashes still yields its op list.  *failed: the run mismatched or crashed.
OpList record_run(uint64_t seed, uint64_t nops, const GenOptions &gen, const std::vector<const LmdbApi *> &impls,
                  bool *failed);

// Returns the reduced list (the input itself if it does not fail).
OpList shrink(const OpList &failing, const std::vector<const LmdbApi *> &impls, const ShrinkOptions &opt,
              bool *reproduced);

}  // namespace compat
