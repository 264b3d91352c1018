// Hand-written scenarios: small, fixed operation sequences with known
// expected outcomes (checked against the oracle too), and a lock-step probe
// of the environment-level API surface.
#pragma once

#include <vector>

#include "api_table.h"

namespace compat {

// Runs every scenario; returns the number that failed.
int run_scenarios(const std::vector<const LmdbApi *> &impls, bool verbose);

}  // namespace compat
