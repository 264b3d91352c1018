#include "crossfile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "dump.h"
#include "generator.h"
#include "runner.h"

namespace compat {

namespace {

struct Checker {
  int failures = 0;
  bool verbose;
  uint64_t seed;
  GenOptions gen;

  void fail(const std::string &what) {
    fprintf(stderr, "CROSSFILE FAILED (seed 0x%016llx): %s\n", static_cast<unsigned long long>(seed), what.c_str());
    failures++;
  }

  // Page accounting of a closed environment: every page is either a meta
  // page, part of some tree, or on the free list.
  void accounting(const EnvDump &d, const std::string &label) {
    if (d.rc) return;
    size_t used = d.tree_pages + d.free_pages + 2;
    if (used != d.info.me_last_pgno + 1)
      fail(label + ": page accounting: tree pages " + std::to_string(d.tree_pages) + " + free pages " +
           std::to_string(d.free_pages) + " + 2 meta != last_pgno+1 = " + std::to_string(d.info.me_last_pgno + 1));
  }

  // Both implementations read the same file: they must agree on everything,
  // including the page layout numbers.
  EnvDump same_file(const LmdbApi &a, const LmdbApi &b, const std::string &dir, const EnvConfig &cfg,
                    const std::string &label) {
    unsigned fl = cfg.flags & ~static_cast<unsigned>(MDB_WRITEMAP | MDB_MAPASYNC);
    EnvDump da = dump_env(a, dir, fl, cfg.maxdbs, cfg.mapsize);
    EnvDump db = dump_env(b, dir, fl, cfg.maxdbs, cfg.mapsize);
    if (da.rc) fail(label + ": " + a.name + " cannot read: " + da.error);
    if (db.rc) fail(label + ": " + b.name + " cannot read: " + db.error);
    std::string diff = compare_env_dumps(da, db, true);
    if (!diff.empty()) fail(label + ": " + a.name + " and " + b.name + " read the same file differently: " + diff);
    accounting(da, label + " read by " + a.name);
    accounting(db, label + " read by " + b.name);
    size_t items = 0;
    for (const DbDump &d : da.dbs) items += d.items.size();
    if (verbose)
      fprintf(stderr, "crossfile: %-28s %zu dbs, %zu items, last_pgno %zu, txnid %zu\n", label.c_str(), da.dbs.size(),
              items, da.info.me_last_pgno, da.info.me_last_txnid);
    return da;
  }

  // A compacting copy (mdb_env_copyfd2 with MDB_CP_COMPACT) of the file in
  // dir made by one implementation; its bytes, or "" with *err set.
  std::string compact_copy(const LmdbApi &a, const std::string &dir, const EnvConfig &cfg, const std::string &out,
                           std::string *err) {
    unsigned fl = cfg.flags & ~static_cast<unsigned>(MDB_WRITEMAP | MDB_MAPASYNC);
    MDB_env *env = nullptr;
    int rc = a.mdb_env_create(&env);
    if (!rc) rc = a.mdb_env_set_maxdbs(env, cfg.maxdbs);
    if (!rc) rc = a.mdb_env_set_mapsize(env, cfg.mapsize);
    if (!rc) rc = a.mdb_env_open(env, dir.c_str(), fl | MDB_RDONLY, 0644);
    if (!rc) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) {
        rc = errno;
      } else {
        rc = a.mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
        ::close(fd);
      }
    }
    if (env) a.mdb_env_close(env);
    if (rc) {
      *err = a.name + ": " + rc_name(rc);
      return {};
    }
    std::ifstream in(out, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Both implementations compact the same file: upstream's compacting copy
  // is deterministic (pages in the same order, and the free space of each
  // page holding what its write buffer held there), so the two copies must
  // be the same bytes.
  void same_compaction(const LmdbApi &a, const LmdbApi &b, const std::string &dir, const EnvConfig &cfg,
                       const std::string &scratch, const std::string &label) {
    std::string ea, eb;
    std::string ca = compact_copy(a, dir, cfg, scratch + "/compact." + a.name, &ea);
    std::string cb = compact_copy(b, dir, cfg, scratch + "/compact." + b.name, &eb);
    if (ca.empty() || cb.empty()) {
      if (ea != eb) fail(label + ": compacting copy failed: '" + ea + "' vs '" + eb + "'");
      return;
    }
    if (ca == cb) return;
    size_t at = 0;
    while (at < ca.size() && at < cb.size() && ca[at] == cb[at]) at++;
    fail(label + ": compacting copies differ (" + a.name + " " + std::to_string(ca.size()) + " bytes, " + b.name +
         " " + std::to_string(cb.size()) + " bytes), first at byte " + std::to_string(at));
  }

  // A file of ~6 MiB written by `a` (so a compacting copy fills and reuses
  // both of upstream's 1 MiB write buffers): overflow items of 1 to 300
  // pages, small items, a sorted-duplicates db, then a third deleted.
  bool write_big(const LmdbApi &a, const std::string &dir, const EnvConfig &cfg) {
    unsigned fl = cfg.flags & ~static_cast<unsigned>(MDB_WRITEMAP | MDB_MAPASYNC | MDB_RDONLY);
    MDB_env *env = nullptr;
    MDB_txn *txn = nullptr;
    MDB_dbi main_dbi = 0, dup = 0;
    int rc = a.mdb_env_create(&env);
    if (!rc) rc = a.mdb_env_set_maxdbs(env, cfg.maxdbs);
    if (!rc) rc = a.mdb_env_set_mapsize(env, cfg.mapsize);
    if (!rc) rc = a.mdb_env_open(env, dir.c_str(), fl, 0644);
    if (!rc) rc = a.mdb_txn_begin(env, nullptr, 0, &txn);
    if (!rc) rc = a.mdb_dbi_open(txn, nullptr, 0, &main_dbi);
    if (!rc) rc = a.mdb_dbi_open(txn, "big-dups", MDB_CREATE | MDB_DUPSORT, &dup);
    std::string value;
    uint64_t x = seed | 1;
    for (unsigned i = 0; !rc && i < 3000; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t size = i % 97 == 0 ? (x % 300) * 4096 + 1 : (i % 7 == 0 ? 2000 + x % 9000 : x % 400);
      value.assign(size, char('a' + i % 26));
      char key[32];
      snprintf(key, sizeof key, "big%06u", unsigned(x % 1000000));
      MDB_val k{strlen(key), key}, v{value.size(), value.data()};
      rc = a.mdb_put(txn, main_dbi, &k, &v, 0);
      MDB_val dk{4, key + 3}, dv{6, key + 3};
      if (!rc) rc = a.mdb_put(txn, dup, &dk, &dv, 0);
      if (!rc && i % 3 == 0) rc = a.mdb_del(txn, main_dbi, &k, nullptr);
    }
    if (!rc) rc = a.mdb_txn_commit(txn);
    else if (txn) a.mdb_txn_abort(txn);
    if (env) a.mdb_env_close(env);
    if (rc) fail("writing the big file with " + a.name + ": " + rc_name(rc));
    return rc == 0;
  }

  bool lockstep(const std::vector<const LmdbApi *> &impls, const std::vector<std::string> &dirs, const EnvConfig &cfg,
                uint64_t run_seed, uint64_t n, const char *label) {
    Runner r(impls, cfg, dirs);
    Generator g(run_seed, gen);
    std::vector<Op> tail = final_check_ops();
    for (uint64_t i = 0; i < n + tail.size(); i++) {
      Op op = i < n ? g.next(r.model()) : tail[i - n];
      set_crash_context(run_seed, static_cast<int64_t>(i));
      if (!r.step(op)) {
        fail(std::string(label) + ": op " + std::to_string(i) + " (generator seed " + std::to_string(run_seed) +
             "):\n" + r.failure());
        return false;
      }
    }
    set_crash_context(run_seed, -1);
    r.shutdown();
    return true;
  }
};

}  // namespace

int run_crossfile(uint64_t seed, uint64_t nops, const std::vector<const LmdbApi *> &impls, bool verbose,
                  const GenOptions &gen) {
  Checker c{0, verbose, seed, gen};
  const LmdbApi &up = *impls[0];
  const LmdbApi &ours = *impls[1];
  TempDir tmp("crossfile");
  const std::string dir_u = tmp.sub("written_by_" + std::string("upstream"));
  const std::string dir_o = tmp.sub("written_by_" + std::string("ours"));
  EnvConfig cfg = env_for_seed(seed);

  // 1. A long random history, upstream writing dir_u and ours writing dir_o,
  //    compared after every operation.
  if (!c.lockstep({&up, &ours}, {dir_u, dir_o}, cfg, seed, nops, "history")) return c.failures;

  // 2. Each file read by both implementations; the two files hold the same data.
  EnvDump du = c.same_file(up, ours, dir_u, cfg, "upstream-written file");
  EnvDump dn = c.same_file(ours, up, dir_o, cfg, "ours-written file");
  if (std::string d = compare_env_dumps(du, dn, false); !d.empty()) c.fail("the two files differ in content: " + d);

  // 3. Swap writers: upstream continues the file ours wrote, ours continues
  //    the file upstream wrote -- again in lock step.
  if (!c.lockstep({&up, &ours}, {dir_o, dir_u}, cfg, seed + 1, nops / 2, "swapped continuation"))
    return c.failures;

  // 4. Re-read both files with both implementations.
  du = c.same_file(up, ours, dir_u, cfg, "upstream then ours");
  dn = c.same_file(ours, up, dir_o, cfg, "ours then upstream");
  if (std::string d = compare_env_dumps(du, dn, false); !d.empty())
    c.fail("after the swap the files differ in content: " + d);
  const std::string scratch = tmp.sub("copies");
  c.same_compaction(up, ours, dir_u, cfg, scratch, "upstream-written file");
  c.same_compaction(up, ours, dir_o, cfg, scratch, "ours-written file");
  const std::string dir_big = tmp.sub("big");
  if (c.write_big(up, dir_big, cfg)) c.same_compaction(up, ours, dir_big, cfg, scratch, "big upstream-written file");

  // 5. A file that ours created from scratch and only ours wrote, continued by
  //    upstream alone, then checked by ours (single-writer hand-over).
  const std::string dir_s = tmp.sub("solo");
  const std::string dir_ref = tmp.sub("solo_ref");
  if (!c.lockstep({&up, &ours}, {dir_ref, dir_s}, cfg, seed + 2, nops / 4, "solo history")) return c.failures;
  // Upstream continues ours' file while (another) upstream continues the
  // reference file; both runs must agree operation by operation.
  if (!c.lockstep({&up, &up}, {dir_ref, dir_s}, cfg, seed + 3, nops / 4, "hand-over continuation"))
    return c.failures;
  EnvDump ds = c.same_file(ours, up, dir_s, cfg, "handed over to upstream");
  EnvDump dr = dump_env(up, dir_ref, cfg.flags & ~static_cast<unsigned>(MDB_WRITEMAP | MDB_MAPASYNC), cfg.maxdbs,
                        cfg.mapsize);
  if (std::string d = compare_env_dumps(ds, dr, false); !d.empty())
    c.fail("handed-over file differs from the reference: " + d);
  return c.failures;
}

}  // namespace compat
