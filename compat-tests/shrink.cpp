#include "shrink.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "runner.h"

namespace compat {

namespace {

struct Trial {
  bool fails = false;
  int64_t failed_at = -1;          // -1 when it crashed or hung
  std::vector<int64_t> skipped;    // ops the model skipped (no effect)
};

bool read_all(int fd, void *p, size_t n) {
  char *c = static_cast<char *>(p);
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void write_all(int fd, const void *p, size_t n) {
  const char *c = static_cast<const char *>(p);
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w <= 0) return;
    c += w;
    n -= static_cast<size_t>(w);
  }
}

Trial run_trial(const OpList &l, const std::vector<const LmdbApi *> &impls, unsigned timeout_s) {
  Trial t;
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    return t;
  }
  TempDir scratch("shrink");  // holds the child's directories, even if it crashes
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    setenv("TMPDIR", scratch.path().c_str(), 1);
    alarm(timeout_s);
    // Quiet child: the parent prints the outcome.
    if (!freopen("/dev/null", "w", stderr)) _exit(3);
    std::vector<int64_t> skipped;
    RunOutcome o = run_oplist(l, impls, &skipped);
    int64_t hdr[2] = {o.ok ? -1 : o.failed_at, static_cast<int64_t>(skipped.size())};
    write_all(fds[1], hdr, sizeof hdr);
    write_all(fds[1], skipped.data(), skipped.size() * sizeof(int64_t));
    close(fds[1]);
    _exit(o.ok ? 0 : 1);
  }
  close(fds[1]);
  int64_t hdr[2] = {-1, 0};
  bool got = read_all(fds[0], hdr, sizeof hdr);
  if (got && hdr[1] > 0) {
    t.skipped.resize(static_cast<size_t>(hdr[1]));
    if (!read_all(fds[0], t.skipped.data(), t.skipped.size() * sizeof(int64_t))) t.skipped.clear();
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return t;
  t.fails = true;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && got) t.failed_at = hdr[0];
  return t;
}

// Keep only the ops that matter: cut after the failing op, drop skipped ops.
OpList tidy(const OpList &l, const Trial &t) {
  OpList out = l;
  out.ops.clear();
  size_t end = t.failed_at >= 0 ? static_cast<size_t>(t.failed_at) + 1 : l.ops.size();
  size_t k = 0;
  for (size_t i = 0; i < end && i < l.ops.size(); i++) {
    while (k < t.skipped.size() && t.skipped[k] < static_cast<int64_t>(i)) k++;
    if (k < t.skipped.size() && t.skipped[k] == static_cast<int64_t>(i)) continue;
    out.ops.push_back(l.ops[i]);
  }
  return out;
}

}  // namespace

OpList record_run(uint64_t seed, uint64_t nops, const GenOptions &gen, const std::vector<const LmdbApi *> &impls,
                  bool *failed) {
  OpList out;
  out.seed = seed;
  out.env = env_for_seed(seed, gen.small_map);
  *failed = false;
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    return out;
  }
  TempDir scratch("record");
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    setenv("TMPDIR", scratch.path().c_str(), 1);
    RunOutcome o = run_random(seed, nops, gen, impls, false, [&](const Op &op) { write_all(fds[1], &op, sizeof op); });
    if (!o.ok) fprintf(stderr, "%s", o.report.c_str());
    close(fds[1]);
    _exit(o.ok ? 0 : 1);
  }
  close(fds[1]);
  Op op;
  while (read_all(fds[0], &op, sizeof op)) out.ops.push_back(op);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  *failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return out;
}

OpList shrink(const OpList &failing, const std::vector<const LmdbApi *> &impls, const ShrinkOptions &opt,
              bool *reproduced) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };

  Trial first = run_trial(failing, impls, opt.child_timeout_s);
  *reproduced = first.fails;
  if (!first.fails) return failing;
  OpList cur = tidy(failing, first);
  if (opt.verbose) fprintf(stderr, "shrink: %zu ops fail; after cutting/skips: %zu\n", failing.ops.size(), cur.ops.size());

  size_t n = 2;
  uint64_t trials = 1;
  while (cur.ops.size() >= 2 && elapsed() < opt.time_budget_s) {
    size_t len = cur.ops.size();
    size_t chunk = (len + n - 1) / n;
    bool reduced = false;
    // Try removing each chunk (complement test); later chunks first, since the
    // failing op is at the end and early setup ops are often needed.
    for (size_t ci = 0; ci < n && elapsed() < opt.time_budget_s; ci++) {
      size_t b = ci * chunk, e = std::min(len, b + chunk);
      if (b >= e) continue;
      OpList cand = cur;
      cand.ops.erase(cand.ops.begin() + static_cast<long>(b), cand.ops.begin() + static_cast<long>(e));
      if (cand.ops.empty()) continue;
      Trial t = run_trial(cand, impls, opt.child_timeout_s);
      trials++;
      if (t.fails) {
        cur = tidy(cand, t);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
        if (opt.verbose)
          fprintf(stderr, "shrink: %zu ops (chunks %zu, %llu trials, %.0fs)\n", cur.ops.size(), n,
                  static_cast<unsigned long long>(trials), elapsed());
        break;
      }
    }
    if (!reduced) {
      if (n >= len) break;
      n = std::min(len, n * 2);
    }
  }
  if (opt.verbose)
    fprintf(stderr, "shrink: done, %zu ops after %llu trials in %.0fs%s\n", cur.ops.size(),
            static_cast<unsigned long long>(trials), elapsed(),
            elapsed() >= opt.time_budget_s ? " (time budget exhausted; result may not be minimal)" : "");
  return cur;
}

}  // namespace compat
