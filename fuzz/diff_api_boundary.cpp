// diff_api_boundary: seeded runs of diff_api's boundary profile, without
// libFuzzer (so it builds with gcc in every preset and runs as a ctest).
//
// Each seed makes one input of diff_api's byte code (BoundaryGen in
// diff_api.cpp): key sizes 0-5, 7-9, 15-17, 255, 510-512; value sizes 0-5,
// 7-9, 15-17, 255, 510-512, the overflow threshold for the key and one
// either side, whole overflow pages and one either side; databases with any
// combination of flags; every put flag combination on mdb_put and
// mdb_cursor_put; every cursor op from the states the other calls leave the
// four cursors in; nested txns that commit or abort.  The input runs on our
// library and on upstream's (dlmopen, $LMDB_COMPAT_ORACLE for another build)
// under diff_api's rules, every return code and returned byte compared.
//
//   diff_api_boundary [--seed S] [--count N] [--seconds T] [--keep-going] [-v]
//   diff_api_boundary --seed S --write FILE       the seed's input, for
//       DIFF_API_PROFILE=boundary build/fuzz/fuzz/diff_api FILE (libFuzzer)
//   diff_api_boundary --replay FILE               run one input (trace on failure)
//   diff_api_boundary --shrink (--seed S | --replay FILE) [--out FILE]
//       drop operations while the same divergence (or crash) remains
//
// DIFF_API_TRACE=1, DIFF_API_EMIT_C=1, DIFF_API_STATS=1 and
// DIFF_API_KNOWN_OFF work as for diff_api (fuzz/README.md).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int *, char ***);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
std::vector<uint8_t> diff_api_boundary_input(uint64_t seed);
void diff_api_driver_mode(bool quiet);
std::string diff_api_take_divergence();
unsigned long long diff_api_calls();
std::vector<std::vector<uint8_t>> diff_api_split(const std::vector<uint8_t> &in);

namespace {

const char *g_prog = "diff_api_boundary";
volatile uint64_t g_cur_seed = 0;
volatile int g_have_seed = 0;

volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

void on_fatal(int sig) {
  char buf[200];
  int n = g_have_seed ? snprintf(buf, sizeof buf, "\n%s: signal %d at seed %" PRIu64 "; replay: %s --seed %" PRIu64
                                                  " --count 1\n",
                                 g_prog, sig, static_cast<uint64_t>(g_cur_seed), g_prog,
                                 static_cast<uint64_t>(g_cur_seed))
                      : snprintf(buf, sizeof buf, "\n%s: signal %d\n", g_prog, sig);
  if (n > 0) (void)!write(2, buf, static_cast<size_t>(n));
  signal(sig, SIG_DFL);
  raise(sig);
}

bool read_file(const char *path, std::vector<uint8_t> *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  uint8_t buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  fclose(f);
  return true;
}

bool write_file(const char *path, const std::vector<uint8_t> &in) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(in.data(), 1, in.size(), f) == in.size();
  return fclose(f) == 0 && ok;
}

// Runs one input in this process; the divergence's signature or "".
std::string run_one(const std::vector<uint8_t> &in) {
  LLVMFuzzerTestOneInput(in.data(), in.size());
  return diff_api_take_divergence();
}

// Runs one input in a child: "" (agrees), the divergence's signature, or
// "signal N" when the child died.
std::string run_child(const std::vector<uint8_t> &in) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2), dup2(devnull, 1);
    diff_api_driver_mode(true);
    std::string sig = run_one(in);
    (void)!write(fds[1], sig.data(), sig.size());
    _exit(0);
  }
  close(fds[1]);
  std::string sig;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) sig.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) return "signal " + std::to_string(WTERMSIG(st));
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return "exit " + std::to_string(WEXITSTATUS(st));
  return sig;
}

std::vector<uint8_t> join(const std::vector<std::vector<uint8_t>> &parts) {
  std::vector<uint8_t> in;
  for (const auto &p : parts) in.insert(in.end(), p.begin(), p.end());
  return in;
}

// ddmin over the operations (the header stays); each candidate runs in a
// child and counts if it shows the same divergence (or dies the same way).
std::vector<uint8_t> shrink(const std::vector<uint8_t> &in, const std::string &target) {
  auto parts = diff_api_split(in);
  std::vector<uint8_t> header = parts.front();
  std::vector<std::vector<uint8_t>> ops(parts.begin() + 1, parts.end());
  auto build = [&](const std::vector<std::vector<uint8_t>> &o) {
    std::vector<std::vector<uint8_t>> all{header};
    all.insert(all.end(), o.begin(), o.end());
    return join(all);
  };
  size_t chunk = ops.size() / 2;
  unsigned runs = 0;
  while (chunk >= 1) {
    bool progress = false;
    for (size_t start = 0; start < ops.size();) {
      std::vector<std::vector<uint8_t>> cand(ops.begin(), ops.begin() + static_cast<long>(start));
      const size_t end = start + chunk < ops.size() ? start + chunk : ops.size();
      cand.insert(cand.end(), ops.begin() + static_cast<long>(end), ops.end());
      runs++;
      if (run_child(build(cand)) == target) {
        ops = std::move(cand);
        progress = true;
      } else {
        start += chunk;
      }
    }
    if (!progress) chunk /= 2;
  }
  // Smaller argument bytes where the same divergence remains (sizes, counts).
  for (size_t i = 0; i < ops.size(); i++)
    for (size_t j = 1; j < ops[i].size(); j++) {
      for (uint8_t v : {uint8_t(0), uint8_t(1)}) {
        if (ops[i][j] <= v) break;
        auto cand = ops;
        cand[i][j] = v;
        runs++;
        if (run_child(build(cand)) == target) {
          ops = std::move(cand);
          break;
        }
      }
    }
  fprintf(stderr, "%s: shrunk to %zu operations (%u runs)\n", g_prog, ops.size(), runs);
  return build(ops);
}

void usage() {
  fprintf(stderr,
          "usage: %s [--seed S] [--count N] [--seconds T] [--keep-going] [-v]\n"
          "       %s --seed S --write FILE\n"
          "       %s --replay FILE\n"
          "       %s --shrink (--seed S | --replay FILE) [--out FILE]\n",
          g_prog, g_prog, g_prog, g_prog);
  exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  uint64_t seed = 1, count = 200;
  double seconds = 0;
  bool keep_going = false, verbose = false, do_shrink = false;
  const char *replay = nullptr, *write_to = nullptr, *out = nullptr;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--seed")
      seed = strtoull(next(), nullptr, 0);
    else if (a == "--count")
      count = strtoull(next(), nullptr, 0);
    else if (a == "--seconds")
      seconds = strtod(next(), nullptr);
    else if (a == "--keep-going")
      keep_going = true;
    else if (a == "-v")
      verbose = true;
    else if (a == "--replay")
      replay = next();
    else if (a == "--write")
      write_to = next();
    else if (a == "--shrink")
      do_shrink = true;
    else if (a == "--out")
      out = next();
    else
      usage();
  }
  signal(SIGSEGV, on_fatal);
  signal(SIGBUS, on_fatal);
  signal(SIGABRT, on_fatal);
  signal(SIGFPE, on_fatal);
  diff_api_driver_mode(false);
  LLVMFuzzerInitialize(&argc, &argv);

  std::vector<uint8_t> one;
  if (replay && !read_file(replay, &one)) {
    fprintf(stderr, "%s: cannot read %s\n", g_prog, replay);
    return 2;
  }
  if (write_to) {
    if (!write_file(write_to, diff_api_boundary_input(seed))) return 2;
    fprintf(stderr, "%s: seed %" PRIu64 " written to %s\n", g_prog, seed, write_to);
    return 0;
  }
  if (do_shrink) {
    if (!replay) one = diff_api_boundary_input(seed);
    const std::string target = run_child(one);
    if (target.empty()) {
      fprintf(stderr, "%s: the input agrees; nothing to shrink\n", g_prog);
      return 0;
    }
    fprintf(stderr, "%s: shrinking: %s\n", g_prog, target.c_str());
    std::vector<uint8_t> small = shrink(one, target);
    std::string path = out ? out : "diff_api_boundary-shrunk-" + std::to_string(seed) + ".bin";
    if (!write_file(path.c_str(), small)) return 2;
    fprintf(stderr, "%s: written to %s; replay: %s --replay %s\n", g_prog, path.c_str(), g_prog, path.c_str());
    run_one(small);  // the trace of the shrunk input
    return 1;
  }
  if (replay) {
    std::string sig = run_one(one);
    return sig.empty() ? 0 : 1;
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::map<std::string, std::vector<uint64_t>> found;
  // The seeds run in a worker process; with --keep-going a worker that dies
  // (a crash of either library) is reported and a new one goes on with the
  // next seed.  Progress and counters live in shared memory.
  struct Progress {
    uint64_t cur, done;
    unsigned long long calls;
  };
  auto *pr = static_cast<Progress *>(
      mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (pr == MAP_FAILED) return 2;
  *pr = Progress{seed, 0, 0};
  uint64_t start = seed;
  const uint64_t end = seed + count;
  while (start < end) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    fflush(nullptr);
    pid_t pid = keep_going ? fork() : 0;
    if (pid == 0) {
      if (keep_going) close(fds[0]);
      const unsigned long long base = pr->calls;
      for (uint64_t s = start; s < end; s++) {
        if (seconds > 0 && elapsed() >= seconds) break;
        pr->cur = s;
        g_cur_seed = s;
        g_have_seed = 1;
        if (verbose) fprintf(stderr, "seed %" PRIu64 "\n", s);
        std::string sig = run_one(diff_api_boundary_input(s));
        pr->done++;
        pr->calls = base + diff_api_calls();
        if (keep_going && pr->done % 20000 == 0)
          fprintf(stderr, "%s: %" PRIu64 " seeds (up to %" PRIu64 "), %llu calls, %.0f s\n", g_prog, pr->done, s,
                  pr->calls, elapsed());
        if (sig.empty()) continue;
        fprintf(stderr, "%s: seed %" PRIu64 " diverges: %s\n  replay: %s --seed %" PRIu64
                        " --count 1\n  shrink: %s --shrink --seed %" PRIu64 "\n",
                g_prog, s, sig.c_str(), g_prog, s, g_prog, s);
        if (!keep_going) {
          found[sig].push_back(s);
          break;
        }
        std::string line = std::to_string(s) + "\t" + sig + "\n";
        (void)!write(fds[1], line.data(), line.size());
      }
      if (keep_going) _exit(0);
      close(fds[0]);
      close(fds[1]);
      break;
    }
    close(fds[1]);
    // SIGINT/SIGTERM end a long run with its summary (the worker is stopped).
    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) != 0) {
      if (n > 0) {
        text.append(buf, static_cast<size_t>(n));
      } else if (errno != EINTR) {
        break;
      } else if (g_stop) {
        kill(pid, SIGKILL);
      }
    }
    close(fds[0]);
    for (size_t p = 0, q; (q = text.find('\n', p)) != std::string::npos; p = q + 1) {
      const std::string line = text.substr(p, q - p);
      const size_t tab = line.find('\t');
      found[line.substr(tab + 1)].push_back(strtoull(line.c_str(), nullptr, 10));
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if ((WIFEXITED(st) && WEXITSTATUS(st) == 0) || g_stop) break;
    const std::string what = WIFSIGNALED(st) ? "crash: signal " + std::to_string(WTERMSIG(st))
                                             : "worker exit " + std::to_string(WEXITSTATUS(st));
    found[what].push_back(pr->cur);
    pr->done++;
    start = pr->cur + 1;
  }
  fprintf(stderr, "%s: %" PRIu64 " seeds from %" PRIu64 ", %llu calls compared, %.1f s, %zu kind(s) of divergence\n",
          g_prog, pr->done, seed, pr->calls, elapsed(), found.size());
  for (auto &[sig, seeds] : found) {
    fprintf(stderr, "  %zu x %s: seeds", seeds.size(), sig.c_str());
    for (size_t i = 0; i < seeds.size() && i < 12; i++) fprintf(stderr, " %" PRIu64, seeds[i]);
    fprintf(stderr, "\n");
  }
  return found.empty() ? 0 : 1;
}
