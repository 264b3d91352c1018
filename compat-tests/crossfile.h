// File cross-compatibility: environments written by one implementation are
// read and then modified by the other, and every reading is compared.
#pragma once

#include <cstdint>
#include <vector>

#include "api_table.h"
#include "generator.h"

namespace compat {

// impls[0] = oracle, impls[1] = implementation under test.  Returns the
// number of failed checks.
int run_crossfile(uint64_t seed, uint64_t nops, const std::vector<const LmdbApi *> &impls, bool verbose,
                  const GenOptions &gen = GenOptions{});

}  // namespace compat
