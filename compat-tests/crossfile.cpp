#include "crossfile.h"

#include <cstdio>
#include <filesystem>

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
