#include "api_table.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
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
  if (api.origin == real_path(kUpstreamLibrary) || api.origin == real_path(oracle_library())) {
    *err = "the directly linked mdb_* symbols resolve to the upstream library " + api.origin +
           " (check the RPATH of this binary and LD_LIBRARY_PATH/LD_PRELOAD)";
    return false;
  }
  return true;
}

const char *oracle_library() {
  const char *e = getenv("LMDB_COMPAT_ORACLE");
  return e && *e ? e : kUpstreamLibrary;
}

bool load_upstream(LmdbApi &api, const std::string &label, std::string *err) {
  api.name = label;
  api.origin = oracle_library();
  void *h = dlmopen(LM_ID_NEWLM, api.origin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    *err = "dlmopen(" + api.origin + "): " + (e ? e : "?");
    return false;
  }
  // Every link-map namespace has its own libc with its own pthread key
  // numbering, but the per-thread key values live in the thread descriptor,
  // which all namespaces share.  Upstream keeps its reader slot in a pthread
  // key (unless MDB_NOTLS), so two copies -- or upstream and ours -- would
  // read each other's slots through equal key numbers.  Give each copy its
  // own key range by allocating (and never using) the keys below it.
  static unsigned copies = 0;
  copies++;
  using key_create_fn = int (*)(pthread_key_t *, void (*)(void *));
  auto key_create = reinterpret_cast<key_create_fn>(dlsym(h, "pthread_key_create"));
  if (!key_create) {
    *err = "pthread_key_create not found in the upstream namespace";
    return false;
  }
  pthread_key_t k = 0;
  const pthread_key_t floor = 256 * copies;
  do {
    if (key_create(&k, nullptr) != 0) {
      *err = "cannot reserve pthread keys in the upstream namespace";
      return false;
    }
  } while (k + 1 < floor);
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

bool inject_fault_requested() {
  const char *v = getenv("LMDB_COMPAT_INJECT_FAULT");
  return v && *v && strcmp(v, "0") != 0;
}

namespace {
decltype(&::mdb_put) g_real_put = nullptr;
// The values of which keys are damaged: 13 bytes (the random generator's
// long keys), or 511 with LMDB_COMPAT_INJECT_FAULT=boundary (diff_api's
// boundary profile has no 13-byte keys).
size_t g_fault_key_size = 13;

int faulty_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags) {
  if (key && data && key->mv_size == g_fault_key_size && data->mv_size > 100 && !(flags & MDB_RESERVE)) {
    std::string copy(static_cast<const char *>(data->mv_data), data->mv_size);
    copy[copy.size() / 2] ^= 0x20;
    MDB_val d{copy.size(), copy.data()};
    int rc = g_real_put(txn, dbi, key, &d, flags);
    if (rc == MDB_KEYEXIST) *data = d;
    return rc;
  }
  return g_real_put(txn, dbi, key, data, flags);
}
}  // namespace

void inject_fault(LmdbApi &api) {
  const char *v = getenv("LMDB_COMPAT_INJECT_FAULT");
  if (v && strcmp(v, "boundary") == 0) g_fault_key_size = 511;
  g_real_put = api.mdb_put;
  api.mdb_put = faulty_put;
  api.name += "+fault";
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
    if (selftest_mode() && inject_fault_requested()) inject_fault(p->ours);
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
