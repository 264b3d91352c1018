// Per-page digests of a data file's trees (see page_layout.h).
#include "page_layout.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

namespace compat {

namespace {

constexpr unsigned kBranch = 0x01, kLeaf = 0x02, kOverflow = 0x04, kLeaf2 = 0x20;
constexpr unsigned kBigData = 0x01, kSubData = 0x02, kDupData = 0x04;  // node flags
constexpr size_t kHeader = 16, kNodeHeader = 8, kDbRecord = 48, kRootOffset = 40;

struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void mix(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ull;
  }
};

class Walker {
 public:
  Walker(const std::string &file, size_t psize, size_t pages) : f_(file), psize_(psize), pages_(pages) {}

  void tree(uint64_t root, int depth = 0) {
    if (root == ~uint64_t(0) || root < 2 || root >= pages_ || depth > 64 || seen_.count(root)) return;
    const size_t base = root * psize_;
    const unsigned flags = u16(base + 10), lower = u16(base + 12), upper = u16(base + 14);
    Fnv h;
    h.mix(f_.data() + base, 8);       // number
    h.mix(f_.data() + base + 10, 6);  // flags, bounds
    std::vector<uint64_t> children;
    if (flags & kOverflow) {
      seen_[root] = PageDigest{root, flags, h.h};
      return;
    }
    if (flags & kLeaf2) {
      h.mix(f_.data() + base + 8, 2);  // the key size
      if (lower >= kHeader && lower <= psize_) h.mix(f_.data() + base + kHeader, size_t(lower) - kHeader);
    } else if ((flags & (kBranch | kLeaf)) && lower >= kHeader && lower <= upper && upper <= psize_) {
      for (unsigned i = 0; i < (lower - kHeader) / 2; i++) {
        const size_t off = u16(base + kHeader + 2 * i);
        if (off + kNodeHeader > psize_) break;
        const unsigned lo = u16(base + off), hi = u16(base + off + 2), nf = u16(base + off + 4),
                       ks = u16(base + off + 6);
        const size_t dsize = size_t(lo) | size_t(hi) << 16, data = off + kNodeHeader + ks;
        size_t len = kNodeHeader + ks;
        if (flags & kLeaf) len += (nf & kBigData) ? 8 : dsize;
        if (off + len > psize_) break;
        if ((flags & kLeaf) && (nf & kDupData) && !(nf & kSubData)) {
          h.mix(f_.data() + base + off, kNodeHeader + ks);
          sub_page(h, base + data, dsize);
        } else {
          h.mix(f_.data() + base + off, len);
        }
        if (flags & kBranch) {
          children.push_back(uint64_t(lo) | uint64_t(hi) << 16 | uint64_t(nf) << 32);
        } else if (nf & kBigData) {
          children.push_back(u64(base + data));
        } else if ((nf & kSubData) && dsize == kDbRecord) {
          children.push_back(u64(base + data + kRootOffset));  // a named db or a sub-db
        }
      }
    }
    seen_[root] = PageDigest{root, flags, h.h};
    for (uint64_t c : children) tree(c, depth + 1);
  }

  // A node's sub-page of duplicates (`size` bytes at `at`): its flags,
  // bounds and items, as for a page (its number field and its gap are not
  // content).
  void sub_page(Fnv &h, size_t at, size_t size) const {
    if (size < kHeader) {
      h.mix(f_.data() + at, size);
      return;
    }
    const unsigned flags = u16(at + 10), lower = u16(at + 12), upper = u16(at + 14);
    h.mix(f_.data() + at + 10, 6);
    if (lower < kHeader || lower > upper || upper > size) return;
    if (flags & kLeaf2) {
      h.mix(f_.data() + at + 8, 2);
      h.mix(f_.data() + at + kHeader, size_t(lower) - kHeader);
      return;
    }
    for (unsigned i = 0; i < (lower - kHeader) / 2; i++) {
      const size_t off = u16(at + kHeader + 2 * i);
      if (off + kNodeHeader > size) break;
      const unsigned lo = u16(at + off), hi = u16(at + off + 2), ks = u16(at + off + 6);
      const size_t len = kNodeHeader + ks + (size_t(lo) | size_t(hi) << 16);
      if (off + len > size) break;
      h.mix(f_.data() + at + off, len);
    }
  }

  std::vector<PageDigest> result() const {
    std::vector<PageDigest> out;
    for (const auto &[pg, d] : seen_) out.push_back(d);
    return out;
  }

  unsigned u16(size_t off) const {
    uint16_t v;
    std::memcpy(&v, f_.data() + off, sizeof v);
    return v;
  }
  uint64_t u64(size_t off) const {
    uint64_t v;
    std::memcpy(&v, f_.data() + off, sizeof v);
    return v;
  }

 private:
  const std::string &f_;
  size_t psize_, pages_;
  std::map<uint64_t, PageDigest> seen_;
};

}  // namespace

std::vector<PageDigest> read_page_layout(const std::string &path, size_t psize, size_t pages, std::string *error) {
  std::string file(pages * psize, '\0');
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    *error = "data.mdb unreadable";
    return {};
  }
  // (The file may end before the last page: pages freed again in the txn
  // that took them were never written.  Those read as zeros.)
  size_t got = std::fread(file.data(), 1, file.size(), f);
  std::fclose(f);
  if (got < 2 * psize) {
    *error = "data.mdb shorter than its meta pages";
    return {};
  }
  Walker w(file, psize, pages);
  // The newer meta page (after the 16-byte page header: the free db's
  // record at 24, the main db's at 72, the txnid at 128).
  constexpr size_t kFreeDb = 24, kMainDb = 72, kTxnid = 128;
  const size_t meta = w.u64(kHeader + kTxnid) >= w.u64(psize + kHeader + kTxnid) ? 0 : psize;
  w.tree(w.u64(meta + kHeader + kFreeDb + kRootOffset));
  w.tree(w.u64(meta + kHeader + kMainDb + kRootOffset));
  return w.result();
}

std::vector<PageDigest> read_env_page_layout(const LmdbApi &api, MDB_env *env, const std::string &dir,
                                             std::string *error) {
  MDB_envinfo info{};
  MDB_stat st{};
  if (!env || api.mdb_env_info(env, &info) || api.mdb_env_stat(env, &st)) {
    *error = "no environment";
    return {};
  }
  return read_page_layout(dir + "/data.mdb", st.ms_psize, info.me_last_pgno + 1, error);
}

std::string compare_page_layouts(const std::vector<PageDigest> &a, const std::vector<PageDigest> &b) {
  for (size_t i = 0; i < a.size() && i < b.size(); i++) {
    if (a[i].pgno != b[i].pgno || a[i].flags != b[i].flags || a[i].digest != b[i].digest) {
      char line[160];
      std::snprintf(line, sizeof line, "page %llu (flags 0x%x) against page %llu (flags 0x%x)%s",
                    static_cast<unsigned long long>(a[i].pgno), a[i].flags,
                    static_cast<unsigned long long>(b[i].pgno), b[i].flags,
                    a[i].pgno == b[i].pgno && a[i].flags == b[i].flags ? ": other nodes" : "");
      return line;
    }
  }
  if (a.size() != b.size())
    return "pages in use: " + std::to_string(a.size()) + " against " + std::to_string(b.size());
  return "";
}

}  // namespace compat
