#include "dump.h"

#include <cstring>
#include <filesystem>

#include "keyspace.h"
#include "ops.h"

namespace compat {

namespace {
std::string stat_str(const MDB_stat &s) {
  return "psize=" + std::to_string(s.ms_psize) + " depth=" + std::to_string(s.ms_depth) +
         " branch=" + std::to_string(s.ms_branch_pages) + " leaf=" + std::to_string(s.ms_leaf_pages) +
         " overflow=" + std::to_string(s.ms_overflow_pages) + " entries=" + std::to_string(s.ms_entries);
}

bool stat_eq(const MDB_stat &a, const MDB_stat &b) {
  return a.ms_psize == b.ms_psize && a.ms_depth == b.ms_depth && a.ms_branch_pages == b.ms_branch_pages &&
         a.ms_leaf_pages == b.ms_leaf_pages && a.ms_overflow_pages == b.ms_overflow_pages &&
         a.ms_entries == b.ms_entries;
}
}  // namespace

DbDump dump_db(const LmdbApi &api, MDB_txn *txn, MDB_dbi dbi, int db) {
  DbDump d;
  d.db = db;
  if ((d.rc = api.mdb_stat(txn, dbi, &d.st)) != 0) return d;
  if ((d.rc = api.mdb_dbi_flags(txn, dbi, &d.flags)) != 0) return d;
  MDB_cursor *c = nullptr;
  if ((d.rc = api.mdb_cursor_open(txn, dbi, &c)) != 0) return d;
  MDB_val k{}, v{};
  int rc = api.mdb_cursor_get(c, &k, &v, MDB_FIRST);
  while (rc == 0) {
    std::string key(static_cast<const char *>(k.mv_data), k.mv_size);
    std::string val(static_cast<const char *>(v.mv_data), v.mv_size);
    d.items.emplace_back(std::move(key), std::move(val));
    rc = api.mdb_cursor_get(c, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) d.rc = rc;
  api.mdb_cursor_close(c);
  return d;
}

std::string compare_dumps(const std::vector<DbDump> &a, const std::vector<DbDump> &b) {
  if (a.size() != b.size())
    return "different number of databases: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  for (size_t i = 0; i < a.size(); i++) {
    const DbDump &x = a[i], &y = b[i];
    std::string where = "db" + std::to_string(x.db) + (x.db == 0 ? " (main)" : "") + ": ";
    if (x.db != y.db) return where + "database numbers differ";
    if (x.rc != y.rc) return where + "dump error " + rc_name(x.rc) + " vs " + rc_name(y.rc);
    if (!stat_eq(x.st, y.st)) return where + "mdb_stat differs: {" + stat_str(x.st) + "} vs {" + stat_str(y.st) + "}";
    if (x.flags != y.flags)
      return where + "flags differ: " + std::to_string(x.flags) + " vs " + std::to_string(y.flags);
    size_t n = std::min(x.items.size(), y.items.size());
    for (size_t j = 0; j < n; j++) {
      if (x.items[j].first != y.items[j].first)
        return where + "item " + std::to_string(j) + " key " + preview(x.items[j].first) + " vs " +
               preview(y.items[j].first);
      if (x.items[j].second != y.items[j].second)
        return where + "item " + std::to_string(j) + " key " + preview(x.items[j].first) + " data " +
               preview(x.items[j].second) + " vs " + preview(y.items[j].second);
    }
    if (x.items.size() != y.items.size())
      return where + "item count " + std::to_string(x.items.size()) + " vs " + std::to_string(y.items.size());
  }
  return {};
}

EnvDump dump_env(const LmdbApi &api, const std::string &dir, unsigned env_flags, unsigned maxdbs, size_t mapsize) {
  EnvDump out;
  MDB_env *env = nullptr;
  MDB_txn *txn = nullptr;
  auto fail = [&](const char *what, int rc) {
    out.rc = rc;
    out.error = std::string(what) + ": " + rc_name(rc);
  };
  if (int rc = api.mdb_env_create(&env)) {
    fail("mdb_env_create", rc);
    return out;
  }
  int rc = api.mdb_env_set_maxdbs(env, maxdbs);
  if (!rc) rc = api.mdb_env_set_mapsize(env, mapsize);
  if (rc) fail("mdb_env_set_*", rc);
  if (!rc && (rc = api.mdb_env_open(env, dir.c_str(), env_flags, 0644))) fail("mdb_env_open", rc);
  if (!rc && (rc = api.mdb_env_info(env, &out.info))) fail("mdb_env_info", rc);
  if (!rc && (rc = api.mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn))) fail("mdb_txn_begin", rc);
  if (!rc) {
    MDB_dbi main_dbi;
    if ((rc = api.mdb_dbi_open(txn, nullptr, 0, &main_dbi))) fail("mdb_dbi_open(NULL)", rc);
    if (!rc) {
      out.dbs.push_back(dump_db(api, txn, main_dbi, 0));
      for (int i = 1; i < kDbCount; i++) {
        MDB_dbi d;
        int r = api.mdb_dbi_open(txn, db_name(i).c_str(), 0, &d);
        // (MDB_INCOMPATIBLE: the name is a plain key of the main db -- the
        // random stream dropped the db and put that key -- which the main
        // db's dump compares.)
        if (r == MDB_NOTFOUND || r == MDB_INCOMPATIBLE) continue;
        if (r) {
          fail(("mdb_dbi_open(" + db_name(i) + ")").c_str(), r);
          break;
        }
        out.dbs.push_back(dump_db(api, txn, d, i));
      }
      for (const DbDump &d : out.dbs) {
        out.tree_pages += d.st.ms_branch_pages + d.st.ms_leaf_pages + d.st.ms_overflow_pages;
        if (d.flags & MDB_DUPSORT) out.has_subdbs = true;
      }
      // The free database (dbi 0): its own pages, plus the page lists it holds.
      MDB_stat fs{};
      MDB_cursor *c = nullptr;
      if (!rc && !(rc = api.mdb_stat(txn, 0, &fs)) && !(rc = api.mdb_cursor_open(txn, 0, &c))) {
        out.tree_pages += fs.ms_branch_pages + fs.ms_leaf_pages + fs.ms_overflow_pages;
        MDB_val k, v;
        int r = api.mdb_cursor_get(c, &k, &v, MDB_FIRST);
        while (r == 0) {
          size_t count;
          memcpy(&count, v.mv_data, sizeof count);
          out.free_pages += count;
          r = api.mdb_cursor_get(c, &k, &v, MDB_NEXT);
        }
        api.mdb_cursor_close(c);
        if (r != MDB_NOTFOUND) fail("free list walk", r);
      } else if (rc) {
        fail("free db", rc);
      }
    }
    api.mdb_txn_abort(txn);
  }
  if (!out.rc && out.has_subdbs) {
    // Count the live pages with a compacting copy: its last page number + 1
    // = 2 meta pages + the pages of every tree and sub-database.
    std::string copy = dir + "/compact-copy";
    std::filesystem::remove_all(copy);
    std::filesystem::create_directory(copy);
    MDB_env *ce = nullptr;
    MDB_envinfo ci{};
    int rc2 = api.mdb_env_copy2(env, copy.c_str(), MDB_CP_COMPACT);
    if (!rc2) rc2 = api.mdb_env_create(&ce);
    if (!rc2) rc2 = api.mdb_env_set_maxdbs(ce, maxdbs);
    if (!rc2) rc2 = api.mdb_env_set_mapsize(ce, mapsize);
    if (!rc2) rc2 = api.mdb_env_open(ce, copy.c_str(), MDB_RDONLY, 0644);
    if (!rc2) rc2 = api.mdb_env_info(ce, &ci);
    if (ce) api.mdb_env_close(ce);
    std::filesystem::remove_all(copy);
    if (rc2) {
      fail("compacting copy", rc2);
    } else {
      size_t free_db_pages = 0;
      for (const DbDump &d : out.dbs) free_db_pages += d.st.ms_branch_pages + d.st.ms_leaf_pages + d.st.ms_overflow_pages;
      free_db_pages = out.tree_pages - free_db_pages;
      out.tree_pages = ci.me_last_pgno + 1 - 2 + free_db_pages;
    }
  }
  api.mdb_env_close(env);
  return out;
}

std::string compare_env_dumps(const EnvDump &a, const EnvDump &b, bool compare_layout) {
  if (a.rc || b.rc) {
    if (a.rc != b.rc || a.error != b.error) return "open/read failed: '" + a.error + "' vs '" + b.error + "'";
    return {};
  }
  if (a.info.me_last_txnid != b.info.me_last_txnid)
    return "me_last_txnid " + std::to_string(a.info.me_last_txnid) + " vs " + std::to_string(b.info.me_last_txnid);
  if (compare_layout) {
    if (a.info.me_last_pgno != b.info.me_last_pgno)
      return "me_last_pgno " + std::to_string(a.info.me_last_pgno) + " vs " + std::to_string(b.info.me_last_pgno);
    if (a.free_pages != b.free_pages)
      return "free pages " + std::to_string(a.free_pages) + " vs " + std::to_string(b.free_pages);
  }
  return compare_dumps(a.dbs, b.dbs);
}

}  // namespace compat
