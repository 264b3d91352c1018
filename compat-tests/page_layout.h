// What a data file's trees hold, as two libraries that allocate pages the
// same way must agree on it: every page in use (reached from the newer
// meta page's free db and main db, through branch pages, named dbs,
// sub-dbs and overflow values), in page order, each with a digest of its
// number, flags, bounds and nodes (flags, key, data or child page).  Not
// content, so left out: free pages, the unused bytes between pointers and
// nodes and a node's padding (stale bytes of earlier page buffers), the
// pad field of pages other than LEAF2 ones, and the same inside a node's
// sub-page of duplicates (whose number field is not content either);
// overflow pages count by their header (the value is compared through the
// API).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api_table.h"

namespace compat {

struct PageDigest {
  uint64_t pgno = 0;
  unsigned flags = 0;
  uint64_t digest = 0;
};

// The pages in use of `path` (page size `psize`, `pages` pages); *error
// set (and an empty list returned) when it is unreadable or has no meta pages.
std::vector<PageDigest> read_page_layout(const std::string &path, size_t psize, size_t pages, std::string *error);

// The same for the open environment `env` of `api` in directory `dir`
// (its page size and last page asked of it).
std::vector<PageDigest> read_env_page_layout(const LmdbApi &api, MDB_env *env, const std::string &dir,
                                             std::string *error);

// Empty if equal, else the first difference.
std::string compare_page_layouts(const std::vector<PageDigest> &a, const std::vector<PageDigest> &b);

}  // namespace compat
