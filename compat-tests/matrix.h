// Every cursor operation from every cursor state, systematically: for each
// kind of database (plain; sorted duplicates in sub-pages and sub-dbs, fixed
// size, reverse or integer order; integer and reverse keys), a cursor is put
// on each kind of position, moved by one op, changed by one action (a
// delete, a replacement, a put or delete by someone else), moved by a second
// op, then probed (GET_CURRENT, NEXT, PREV, count; the bystander too).  Each sequence runs in
// its own write txn, which is aborted.  The lists run through the same
// runner (and oracle guard) as the random runs; a failing list is written
// out for --replay and --shrink.
#pragma once

#include <string>
#include <vector>

#include "api_table.h"
#include "ops.h"

namespace compat {

// The names of the flavours, in order.
std::vector<std::string> matrix_flavors();

// The operation list of one flavour (index into matrix_flavors()).
OpList matrix_list(size_t flavor);

// Runs the flavours whose name contains `filter` ("" = all); returns the
// number that failed.
int run_matrix(const std::vector<const LmdbApi *> &impls, const std::string &filter, bool verbose);

}  // namespace compat
