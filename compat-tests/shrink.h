// Test-case reduction: given a failing operation list, find a much shorter
// list that still fails (delta debugging, ddmin).  Every candidate runs in a
// forked child, so crashes and hangs of the implementation count as
// failures and do not take the shrinker down.
#pragma once

#include <vector>

#include "api_table.h"
#include "ops.h"

namespace compat {

struct ShrinkOptions {
  double time_budget_s = 300;
  unsigned child_timeout_s = 120;
  bool verbose = true;
};

// Returns the reduced list (the input itself if it does not fail).
OpList shrink(const OpList &failing, const std::vector<const LmdbApi *> &impls, const ShrinkOptions &opt,
              bool *reproduced);

}  // namespace compat
