// lmdb_compat: differential tests of our liblmdb against upstream LMDB.
// See README.md for the modes and the replay workflow.
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api_table.h"
#include "crossfile.h"
#include "generator.h"
#include "matrix.h"
#include "runner.h"
#include "scenarios.h"
#include "shrink.h"

using namespace compat;

namespace {

constexpr int kExitSkip = 77;

// Seeds every ctest run uses, plus one fresh seed per run.
const uint64_t kFixedSeeds[] = {0x1ull,          0xC0FFEEull,         0xDEADBEEF12345678ull, 0x5EED000000000004ull,
                                0x0123456789ABCDEFull, 0x2Bull, 0x9E3779B97F4A7C15ull, 0x7777ull};

struct Args {
  bool ctest = false, scenarios = false, crossfile = false, random = false, shrink_mode = false, matrix = false;
  std::string matrix_filter;  // --matrix NAME: the flavours whose name contains it
  bool verbose = false, keep = false;
  bool have_seed = false;
  uint64_t seed = 0;
  uint64_t ops = 0;  // 0: mode default
  std::string replay, out;
  double shrink_budget = 300;
  GenOptions gen;
};

void usage() {
  fprintf(stderr,
          "usage: lmdb_compat [mode] [options]\n"
          "modes (default: --ctest):\n"
          "  --ctest               random runs: fixed seeds + one time-derived seed\n"
          "  --seed S [--ops N]    one random run (S decimal or 0x hex)\n"
          "  --shrink              with --seed S --ops N (or --replay F): minimise a failing run\n"
          "  --replay FILE         run an operation list written by --shrink\n"
          "  --scenarios           only the hand-written scenarios\n"
          "  --crossfile           only the file cross-compatibility tests (--seed, --ops)\n"
          "  --matrix [NAME]       every cursor op from every cursor state, per db flavour\n"
          "                        (all, or those whose name contains NAME: plain, dupsort,\n"
          "                        dupfixed, reversedup, integerdup, integerkey_dupsort,\n"
          "                        reversekey_dupsort, plain_pages, dupsort_pages,\n"
          "                        writemap_dupsort_pages, main_with_named;\n"
          "                        sizes_plain, sizes_dupsort)\n"
          "options:\n"
          "  --ops N               ops per seed (--ctest default 40000; single run default 50000)\n"
          "  --dupsort --reversekey --intkey --append   enable generator hooks\n"
          "  --small-map           maps of a few pages to 4 MiB: MDB_MAP_FULL at every kind of call\n"
          "  --shrink-time SECONDS time budget of --shrink (default 300)\n"
          "  --out FILE            where --shrink writes the reduced list\n"
          "  --keep                keep temporary directories\n"
          "  -v, --verbose\n"
          "environment: LMDB_COMPAT_SELFTEST=1 tests upstream against a second upstream copy;\n"
          "             LMDB_COMPAT_SEED=S replaces the time-derived seed of --ctest.\n");
}

bool parse(int argc, char **argv, Args *a) {
  for (int i = 1; i < argc; i++) {
    std::string s = argv[i];
    auto value = [&](const char *name) -> const char * {
      if (i + 1 >= argc) {
        fprintf(stderr, "%s needs a value\n", name);
        exit(2);
      }
      return argv[++i];
    };
    if (s == "--ctest") a->ctest = true;
    else if (s == "--scenarios") a->scenarios = true;
    else if (s == "--crossfile") a->crossfile = true;
    else if (s == "--matrix") {
      a->matrix = true;
      if (i + 1 < argc && argv[i + 1][0] != '-') a->matrix_filter = argv[++i];
    }
    else if (s == "--shrink") a->shrink_mode = true;
    else if (s == "--seed") {
      a->seed = strtoull(value("--seed"), nullptr, 0);
      a->have_seed = true;
      a->random = true;
    } else if (s == "--ops") a->ops = strtoull(value("--ops"), nullptr, 0);
    else if (s == "--replay") a->replay = value("--replay");
    else if (s == "--out") a->out = value("--out");
    else if (s == "--shrink-time") a->shrink_budget = atof(value("--shrink-time"));
    else if (s == "--dupsort") a->gen.dupsort = true;
    else if (s == "--reversekey") a->gen.reversekey = true;
    else if (s == "--intkey") a->gen.intkey = true;
    else if (s == "--append") a->gen.append = true;
    else if (s == "--small-map") {
      a->gen.small_map = true;
      a->gen.full_check_every = 300;
      a->gen.reopen_every = 3000;
    }
    else if (s == "--keep") a->keep = true;
    else if (s == "-v" || s == "--verbose") a->verbose = true;
    else if (s == "-h" || s == "--help") {
      usage();
      exit(0);
    } else {
      fprintf(stderr, "unknown argument: %s\n", s.c_str());
      usage();
      return false;
    }
  }
  if (a->crossfile) a->random = false;
  if (!a->ctest && !a->scenarios && !a->crossfile && !a->random && !a->matrix && a->replay.empty()) a->ctest = true;
  return true;
}

std::string g_self;  // how this program was invoked

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string gen_flags(const GenOptions &g) {
  std::string s;
  if (g.dupsort) s += " --dupsort";
  if (g.reversekey) s += " --reversekey";
  if (g.intkey) s += " --intkey";
  if (g.append) s += " --append";
  if (g.small_map) s += " --small-map";
  return s;
}

std::string prefix() {
  std::string env;
  if (selftest_mode()) env += "LMDB_COMPAT_SELFTEST=1 ";
  if (selftest_mode() && inject_fault_requested()) env += "LMDB_COMPAT_INJECT_FAULT=1 ";
  return env + g_self;
}

std::string replay_cmd(uint64_t seed, uint64_t ops, const GenOptions &g) {
  return prefix() + " --seed " + hex(seed) + " --ops " + std::to_string(ops) + gen_flags(g);
}

uint64_t fresh_seed() {
  if (const char *e = getenv("LMDB_COMPAT_SEED"); e && *e) return strtoull(e, nullptr, 0);
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  uint64_t x = (static_cast<uint64_t>(tv.tv_sec) << 20) ^ static_cast<uint64_t>(tv.tv_usec) ^
               (static_cast<uint64_t>(getpid()) << 40);
  return mix64(x);
}

// One random run; prints the failure with its replay command.
bool random_run(uint64_t seed, uint64_t nops, const Args &a, const std::vector<const LmdbApi *> &impls) {
  auto t0 = std::chrono::steady_clock::now();
  fprintf(stderr, "random: seed %s, %llu ops, env %s  (replay: %s)\n", hex(seed).c_str(),
          static_cast<unsigned long long>(nops), format_env(env_for_seed(seed, a.gen.small_map)).c_str(),
          replay_cmd(seed, nops, a.gen).c_str());
  RunOutcome o = run_random(seed, nops, a.gen, impls, false);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.ok) {
    fprintf(stderr, "random: seed %s ok: %llu ops executed, %llu skipped, max tree depth %u, %.1fs\n",
            hex(seed).c_str(), static_cast<unsigned long long>(o.executed), static_cast<unsigned long long>(o.skipped),
            o.max_depth, secs);
    if (a.verbose) fprintf(stderr, "%s", format_histogram(o).c_str());
    return true;
  }
  fprintf(stderr,
          "\n==== MISMATCH ====\nseed: %s\nop index: %lld%s\n%s"
          "replay:  %s\nshrink:  %s --shrink\n==================\n",
          hex(seed).c_str(), static_cast<long long>(o.failed_at),
          o.failed_at >= static_cast<int64_t>(nops) ? " (final check)" : "", o.report.c_str(),
          replay_cmd(seed, nops, a.gen).c_str(), replay_cmd(seed, nops, a.gen).c_str());
  return false;
}

int do_shrink(const Args &a, const std::vector<const LmdbApi *> &impls) {
  OpList list;
  if (!a.replay.empty()) {
    std::string err;
    if (!read_oplist(a.replay, &list, &err)) {
      fprintf(stderr, "%s\n", err.c_str());
      return 2;
    }
  } else {
    uint64_t nops = a.ops ? a.ops : 50000;
    bool failed = false;
    fprintf(stderr, "shrink: running seed %s (%llu ops) in a child process...\n", hex(a.seed).c_str(),
            static_cast<unsigned long long>(nops));
    list = record_run(a.seed, nops, a.gen, impls, &failed);
    if (!failed) {
      fprintf(stderr, "shrink: seed %s passes with %llu ops; nothing to shrink\n", hex(a.seed).c_str(),
              static_cast<unsigned long long>(nops));
      return 0;
    }
  }
  ShrinkOptions so;
  so.time_budget_s = a.shrink_budget;
  bool reproduced = false;
  OpList small = shrink(list, impls, so, &reproduced);
  if (!reproduced) {
    fprintf(stderr, "shrink: the failure does not reproduce in a child process\n");
    return 1;
  }
  std::string out = a.out.empty() ? "lmdb_compat-shrunk-" + hex(small.seed) + ".ops" : a.out;
  write_oplist(out, small, "reduced from " + std::to_string(list.ops.size()) + " ops");
  printf("# %zu ops (from %zu); %s\n", small.ops.size(), list.ops.size(), format_env(small.env).c_str());
  for (size_t i = 0; i < small.ops.size(); i++) printf("%4zu  %s\n", i, format_op(small.ops[i]).c_str());
  // Show the failure of the reduced list (in a child: it may crash).
  fflush(stdout);
  fflush(stderr);
  if (pid_t pid = fork(); pid == 0) {
    RunOutcome o = run_oplist(small, impls);
    if (!o.ok) printf("\nfailure of the reduced list at op %lld:\n%s", static_cast<long long>(o.failed_at), o.report.c_str());
    fflush(stdout);
    _exit(0);
  } else if (pid > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) printf("\nthe reduced list crashes the process (signal %d)\n", WTERMSIG(status));
  }
  printf("\nwritten to %s\nreplay: %s --replay %s\n", out.c_str(), prefix().c_str(), out.c_str());
  return 1;
}

int do_replay(const Args &a, const std::vector<const LmdbApi *> &impls) {
  OpList list;
  std::string err;
  if (!read_oplist(a.replay, &list, &err)) {
    fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  RunOutcome o = run_oplist(list, impls);
  if (o.ok) {
    fprintf(stderr, "replay: %zu ops, all agree (%llu skipped as illegal)\n", list.ops.size(),
            static_cast<unsigned long long>(o.skipped));
    return 0;
  }
  fprintf(stderr, "replay: MISMATCH at op %lld\n%s", static_cast<long long>(o.failed_at), o.report.c_str());
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  g_self = argv[0];
  Args a;
  if (!parse(argc, argv, &a)) return 2;
  TempDir::set_keep(a.keep);

  const ApiPair &p = apis();
  fprintf(stderr, "lmdb_compat: oracle %s [%s]; under test %s [%s]\n", p.upstream.name.c_str(),
          p.upstream.origin.c_str(), p.ours.name.c_str(), p.ours.origin.c_str());
  if (!selftest_mode() && is_placeholder(p.ours)) {
    fprintf(stderr,
            "SKIPPED: our liblmdb (%s) is still the ENOSYS placeholder; nothing to compare.\n"
            "         (LMDB_COMPAT_SELFTEST=1 validates the harness against upstream instead.)\n",
            p.ours.origin.c_str());
    return kExitSkip;
  }
  std::vector<const LmdbApi *> impls = {&p.upstream, &p.ours};
  install_crash_handler(prefix());

  if (a.shrink_mode) return do_shrink(a, impls);
  if (!a.replay.empty()) return do_replay(a, impls);

  int failures = 0;
  if (a.random) failures += !random_run(a.seed, a.ops ? a.ops : 50000, a, impls);
  if (a.scenarios) failures += run_scenarios(impls, a.verbose);
  if (a.matrix) failures += run_matrix(impls, a.matrix_filter, a.verbose);
  if (a.crossfile) failures += run_crossfile(a.have_seed ? a.seed : 0x5EEDull, a.ops ? a.ops : 20000, impls, a.verbose, a.gen);
  if (a.ctest) {
    uint64_t per_seed = a.ops ? a.ops : 40000;
    uint64_t fresh = fresh_seed();
    fprintf(stderr, "ctest: fresh seed for this run: %s (set LMDB_COMPAT_SEED to repeat)\n", hex(fresh).c_str());
    std::vector<uint64_t> seeds(std::begin(kFixedSeeds), std::end(kFixedSeeds));
    seeds.push_back(fresh);
    for (uint64_t s : seeds) failures += !random_run(s, per_seed, a, impls);
  }
  fprintf(stderr, "lmdb_compat: %s (%d failure%s)\n", failures ? "FAILED" : "all agree", failures,
          failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
