#include "api_table.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace compat {

namespace {

std::string real_path(const char *p) {
  char buf[PATH_MAX];
  if (p && realpath(p, buf)) return buf;
  return p ? p : "";
}

}  // namespace

bool load_ours_direct(LmdbApi &api, std::string *err) {
  api.name = "ours";
#define COMPAT_FILL_DIRECT(fn) api.fn = &::fn;
  COMPAT_LMDB_FUNCTIONS(COMPAT_FILL_DIRECT)
#undef COMPAT_FILL_DIRECT
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void *>(api.mdb_env_create), &info) || !info.dli_fname) {
    *err = "dladdr failed for mdb_env_create";
    return false;
  }
  api.origin = real_path(info.dli_fname);
  if (api.origin == real_path(kUpstreamLibrary)) {
    *err = "the directly linked mdb_* symbols resolve to the upstream library " + api.origin +
           " (check the RPATH of this binary and LD_LIBRARY_PATH/LD_PRELOAD)";
    return false;
  }
  return true;
}

bool load_upstream(LmdbApi &api, const std::string &label, std::string *err) {
  api.name = label;
  api.origin = kUpstreamLibrary;
  void *h = dlmopen(LM_ID_NEWLM, kUpstreamLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    *err = std::string("dlmopen(") + kUpstreamLibrary + "): " + (e ? e : "?");
    return false;
  }
  std::string missing;
#define COMPAT_FILL_DLSYM(fn)                                          \
  api.fn = reinterpret_cast<decltype(api.fn)>(dlsym(h, #fn));          \
  if (!api.fn) missing += std::string(missing.empty() ? "" : " ") + #fn;
  COMPAT_LMDB_FUNCTIONS(COMPAT_FILL_DLSYM)
#undef COMPAT_FILL_DLSYM
  if (!missing.empty()) {
    *err = "upstream library lacks: " + missing;
    return false;
  }
  return true;
}

bool selftest_mode() {
  const char *v = getenv("LMDB_COMPAT_SELFTEST");
  return v && *v && strcmp(v, "0") != 0;
}

const ApiPair &apis() {
  static ApiPair *pair = [] {
    auto *p = new ApiPair;
    std::string err;
    if (!load_upstream(p->upstream, "upstream", &err)) {
      fprintf(stderr, "lmdb_compat: cannot load the oracle: %s\n", err.c_str());
      exit(2);
    }
    bool ok = selftest_mode() ? load_upstream(p->ours, "upstream#2(selftest)", &err)
                              : load_ours_direct(p->ours, &err);
    if (!ok) {
      fprintf(stderr, "lmdb_compat: cannot set up the implementation under test: %s\n", err.c_str());
      exit(2);
    }
    return p;
  }();
  return *pair;
}

bool is_placeholder(const LmdbApi &api) {
  MDB_env *env = nullptr;
  int rc = api.mdb_env_create(&env);
  if (rc == 0 && env) api.mdb_env_close(env);
  return rc == ENOSYS;
}

}  // namespace compat
