// Full-content snapshots of databases, used by the periodic full checks of
// the random runs and by the file cross-compatibility tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "api_table.h"

namespace compat {

struct DbDump {
  int db = 0;            // database number (0 = main)
  int rc = 0;            // first error while dumping (0, or e.g. MDB_BAD_TXN)
  MDB_stat st{};
  unsigned flags = 0;
  std::vector<std::pair<std::string, std::string>> items;
};

// Dump one database through a fresh cursor in txn.  Records of named
// databases inside the main database are compared whole, root page number
// included: pages are allocated as upstream allocates them.
DbDump dump_db(const LmdbApi &api, MDB_txn *txn, MDB_dbi dbi, int db);

// Empty string if equal, else a description of the first difference.
std::string compare_dumps(const std::vector<DbDump> &a, const std::vector<DbDump> &b);

// Everything an environment holds, read through one implementation.
struct EnvDump {
  int rc = 0;                 // error opening the environment, if any
  std::string error;          // description of that error
  MDB_envinfo info{};
  std::vector<DbDump> dbs;    // main + every named db that exists
  // Page accounting (only meaningful with no live readers): pages of all
  // trees + pages on the free list + 2 meta pages == me_last_pgno + 1.
  size_t tree_pages = 0;
  size_t free_pages = 0;
  // With DUPSORT databases, mdb_stat does not count the pages of the
  // sub-databases: then tree_pages is taken from a compacting copy (which
  // holds every live page but none of the free database) plus the free
  // database's own pages.
  bool has_subdbs = false;
};

EnvDump dump_env(const LmdbApi &api, const std::string &dir, unsigned env_flags, unsigned maxdbs,
                 size_t mapsize);
std::string compare_env_dumps(const EnvDump &a, const EnvDump &b, bool compare_layout);

}  // namespace compat
