// mdb_chk: check the integrity of an LMDB environment.
//
// The environment is opened through the public API and a read transaction
// pins a snapshot; the checker then reads the data file through a
// read-only mapping of its own and walks every tree of that snapshot from
// its meta page, trusting nothing it reads: every offset, size and page
// number is checked before it is used, tree depth is bounded and no page is
// entered twice, so that garbage yields problem reports and not crashes.
//
// Exit status: 0 clean, 1 problems found, 2 usage or open errors.
#include <fcntl.h>
#include <getopt.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "format/layout.h"
#include "lmdb.h"
#include "tool_progress.h"

namespace {

using namespace lmdb::format;

constexpr int kExitClean = 0;
constexpr int kExitProblems = 1;
constexpr int kExitError = 2;

// Pages between the end of the file and last_pgno that we are prepared to
// account for (they may legitimately exist: pages allocated and freed in
// one transaction are never written).  A meta claiming more than this is
// treated as garbage.
constexpr uint64_t kMaxPagesPastEof = 1u << 20;

const char *prog = "mdb_chk";

[[noreturn]] void usage() {
	std::fprintf(stderr, "usage: %s [-V] [-n] [-q] [-v] [-i] [-w] [-j] [-P] [-s subdb] envpath\n", prog);
	std::exit(kExitError);
}

std::string vformat(const char *fmt, va_list ap) {
	va_list copy;
	va_copy(copy, ap);
	int n = std::vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (n <= 0) return {};
	std::string s(size_t(n) + 1, '\0');
	std::vsnprintf(s.data(), s.size(), fmt, ap);
	s.resize(size_t(n));
	return s;
}

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	std::string s = vformat(fmt, ap);
	va_end(ap);
	return s;
}

// A database name as it is shown: printable ASCII as is, anything else
// (and the quote and backslash) escaped.
std::string show_name(const uint8_t *p, size_t n) {
	std::string s = "\"";
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			s += char(c);
		else
			s += format("\\x%02x", c);
	}
	s += '"';
	return s;
}

uint64_t rd64(const uint8_t *p) {
	uint64_t v;
	std::memcpy(&v, p, sizeof v);
	return v;
}
uint64_t even(uint64_t n) { return (n + 1) & ~uint64_t(1); }

// ---- key orders ----------------------------------------------------------------

struct Key {
	const uint8_t *p = nullptr;
	size_t n = 0;
	bool set = false;  // as a bound: false means unbounded
};

enum class Order : uint8_t { Bytes, Reverse, Integer };

int compare(Order o, const Key &a, const Key &b) {
	switch (o) {
	case Order::Bytes: {
		size_t n = std::min(a.n, b.n);
		int r = n ? std::memcmp(a.p, b.p, n) : 0;
		if (r) return r;
		return a.n < b.n ? -1 : a.n > b.n;
	}
	case Order::Reverse: {
		size_t n = std::min(a.n, b.n);
		for (size_t i = 1; i <= n; i++) {
			int d = int(a.p[a.n - i]) - int(b.p[b.n - i]);
			if (d) return d;
		}
		return a.n < b.n ? -1 : a.n > b.n;
	}
	case Order::Integer: {
		// Unsigned little-endian numbers of any size, by value.
		size_t na = a.n, nb = b.n;
		while (na && !a.p[na - 1]) na--;
		while (nb && !b.p[nb - 1]) nb--;
		if (na != nb) return na < nb ? -1 : 1;
		while (na--)
			if (a.p[na] != b.p[na]) return a.p[na] < b.p[na] ? -1 : 1;
		return 0;
	}
	}
	return 0;
}

Order key_order(uint16_t dbflags) {
	if (dbflags & MDB_REVERSEKEY) return Order::Reverse;
	if (dbflags & MDB_INTEGERKEY) return Order::Integer;
	return Order::Bytes;
}
Order dup_order(uint16_t dbflags) {
	if (dbflags & MDB_INTEGERDUP) return Order::Integer;
	if (dbflags & MDB_REVERSEDUP) return Order::Reverse;
	return Order::Bytes;
}

// ---- the checker -------------------------------------------------------------

struct Options {
	const char *path = nullptr;
	const char *subdb = nullptr;  // -s
	bool nosubdir = false;        // -n
	bool quiet = false;           // -q
	bool verbose = false;         // -v
	bool no_order = false;        // -i
	bool writer = false;          // -w
	bool json = false;            // -j: one JSON object on stdout instead of the text
	bool progress = false;        // -P: progress on stderr even when not a terminal
};

// A JSON string literal of s: control characters and bytes that are not
// ASCII are escaped (\u00XX), so any name gives valid JSON.
std::string json_str(const std::string &s) {
	std::string out = "\"";
	for (unsigned char c : s) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += char(c);
		} else if (c < 0x20 || c >= 0x7f) {
			char buf[8];
			std::snprintf(buf, sizeof buf, "\\u%04x", c);
			out += buf;
		} else {
			out += char(c);
		}
	}
	return out + "\"";
}

enum class Kind : uint8_t { Free, Main, Named, Dups };

// One tree being walked: what to expect of it and what was found.
struct Tree {
	std::string label;  // "main db", "free db", "db \"x\"", ...
	uint32_t owner = 0;
	Kind kind = Kind::Main;
	uint16_t flags = 0;       // database flags that govern the tree
	Order korder = Order::Bytes;
	Order dorder = Order::Bytes;
	bool check_order = true;
	bool leaf2 = false;       // leaves are LEAF2 pages of `pad`-byte keys
	uint32_t pad = 0;
	// found
	uint64_t branch = 0, leaf = 0, overflow = 0, entries = 0;
	unsigned leaf_level = 0;  // 0: no leaf reached yet
};

// A named database found in the main db.
struct NamedDb {
	const uint8_t *name;
	size_t name_len;
	DbRecord rec;
	pgno_t page;
	unsigned index;
};

// A freelist record found in the free db: the pages come later.
struct FreeRecord {
	txnid_t txnid;
	pgno_t page;       // leaf page of the free db holding the record
	unsigned index;
	const uint8_t *ids;  // the IDL (count, then page numbers)
	uint64_t size;
};

struct Totals {
	uint64_t tree_pages = 0, overflow_pages = 0, free_pages = 0, leaked = 0;
};

enum : uint32_t { kUnclaimed = 0, kOwnerMeta = 1, kOwnerFree = 2, kFirstTreeOwner = 3 };

class Checker {
public:
	explicit Checker(const Options &o) : opt_(o) {
		owner_names_ = {"", "meta pages", "the free list"};
	}
	~Checker() {
		if (map_) munmap(const_cast<uint8_t *>(map_), map_bytes_);
	}

	int map_file(int fd);
	bool read_meta(unsigned i, Meta *m, PageHeader *h) const;
	unsigned guess_page_size() const;
	bool choose_snapshot(txnid_t txnid, Meta *out, unsigned *slot) const;
	void check_metas();
	int run();

	uint64_t problems() const { return problems_; }
	// -j: the report as one JSON object; result is the exit status.
	void print_json(int result) const;
	struct tool_progress progress_{};
	void problem(pgno_t pg, const std::string &where, long key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
	void problem_noloc(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void note(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void verbose(const char *fmt, ...) __attribute__((format(printf, 2, 3)));

	// Set by the caller after choosing the snapshot.
	unsigned psize_ = 0;
	Meta meta_{};
	unsigned meta_slot_ = 0;
	bool offline_ = false;

private:
	const uint8_t *page_ptr(pgno_t pg, uint64_t count = 1) const {
		if (pg >= file_pages_ || count > file_pages_ - pg) return nullptr;
		return map_ + pg * psize_;
	}
	uint32_t new_owner(const std::string &label) {
		owner_names_.push_back(label);
		return uint32_t(owner_names_.size() - 1);
	}
	bool claim(pgno_t pg, uint32_t who, const std::string &where, pgno_t from, long key);

	void walk_tree(Tree &t, const DbRecord &rec, pgno_t rec_page, long rec_key);
	void walk_page(Tree &t, pgno_t pg, unsigned level, const Key &lo, const Key &hi, pgno_t parent, long pkey);
	bool check_header_bounds(const uint8_t *p, uint64_t size, pgno_t pg, const Tree &t, long key,
	                         const char *what);
	bool check_node_tiling(std::vector<std::pair<uint64_t, uint64_t>> &ext, uint64_t upper,
	                       uint64_t size, pgno_t pg, const Tree &t, long key, const char *what);
	void check_key(const Tree &t, Order o, const Key &k, pgno_t pg, long idx, const char *what);
	void leaf_node(Tree &t, pgno_t pg, unsigned idx, const Node *n, const uint8_t *data);
	const uint8_t *walk_overflow(Tree &t, pgno_t node_page, unsigned idx, pgno_t ov, uint64_t dsize);
	void walk_subpage(Tree &t, pgno_t pg, unsigned idx, const uint8_t *sp, uint64_t size);
	void check_free_record(const FreeRecord &fr);
	void print_stat(const char *title, const Tree &t);

	const Options &opt_;
	const uint8_t *map_ = nullptr;
	size_t map_bytes_ = 0;
	uint64_t file_pages_ = 0;
	pgno_t last_pgno_ = 0;     // of the snapshot (possibly clamped)
	std::vector<uint32_t> owner_;
	std::vector<std::string> owner_names_;
	std::vector<NamedDb> named_;
	std::vector<FreeRecord> free_records_;
	uint64_t problems_ = 0;
	Totals totals_;
	uint64_t claimed_ = 0;  // pages claimed so far (progress)
	// What -j reports.
	std::vector<std::string> problem_list_, note_list_;
	struct DbStat {
		std::string name;
		Tree tree;
	};
	std::vector<DbStat> db_stats_;
	bool have_totals_ = false, ran_ = false;
};

void Checker::problem(pgno_t pg, const std::string &where, long key, const char *fmt, ...) {
	problems_++;
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	std::string line = format("problem: page %" PRIu64 ": ", uint64_t(pg));
	if (!where.empty()) line += where + ": ";
	if (key >= 0) line += format("key %ld: ", key);
	line += msg;
	if (opt_.json)
		problem_list_.push_back(line.substr(9));  // without "problem: "
	else
		std::printf("%s\n", line.c_str());
}

void Checker::problem_noloc(const char *fmt, ...) {
	problems_++;
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	if (opt_.json)
		problem_list_.push_back(msg);
	else
		std::printf("problem: %s\n", msg.c_str());
}

void Checker::note(const char *fmt, ...) {
	if (opt_.quiet && !opt_.json) return;
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	if (opt_.json)
		note_list_.push_back(msg);
	else
		std::printf("note: %s\n", msg.c_str());
}

void Checker::verbose(const char *fmt, ...) {
	if (!opt_.verbose || opt_.quiet || opt_.json) return;
	va_list ap;
	va_start(ap, fmt);
	std::string msg = vformat(fmt, ap);
	va_end(ap);
	std::printf("%s\n", msg.c_str());
}

// ---- the file and its meta pages -------------------------------------------------

// Map the whole file read-only; again when it has grown since the last call.
int Checker::map_file(int fd) {
	struct stat st;
	if (fstat(fd, &st) != 0) return errno;
	if (st.st_size <= 0 || size_t(st.st_size) == map_bytes_) return 0;
	if (map_) {
		munmap(const_cast<uint8_t *>(map_), map_bytes_);
		map_ = nullptr;
		map_bytes_ = 0;
	}
	void *m = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) return errno;
	map_ = static_cast<const uint8_t *>(m);
	map_bytes_ = size_t(st.st_size);
	return 0;
}

// The header and meta record of meta page i, given psize_.  False when the
// file is too short to hold them.
bool Checker::read_meta(unsigned i, Meta *m, PageHeader *h) const {
	uint64_t off = uint64_t(i) * psize_;
	if (off + kPageHeaderSize + sizeof(Meta) > map_bytes_) return false;
	std::memcpy(h, map_ + off, sizeof *h);
	std::memcpy(m, map_ + off + kPageHeaderSize, sizeof *m);
	return true;
}

// The page size recorded in meta page 0; failing that, the first power of
// two at which a plausible second meta page sits.
unsigned Checker::guess_page_size() const {
	if (map_bytes_ >= kPageHeaderSize + sizeof(Meta)) {
		Meta m;
		std::memcpy(&m, map_ + kPageHeaderSize, sizeof m);
		unsigned ps = m.dbs[kFreeDbi].pad;
		if (ps >= kMinPageSize && ps <= kMaxPageSize && !(ps & (ps - 1))) return ps;
	}
	for (unsigned ps = kMinPageSize; ps <= kMaxPageSize; ps <<= 1) {
		if (ps + kPageHeaderSize + sizeof(Meta) > map_bytes_) break;
		Meta m;
		std::memcpy(&m, map_ + ps + kPageHeaderSize, sizeof m);
		if (m.magic == kMagic && m.dbs[kFreeDbi].pad == ps) return ps;
	}
	return 0;
}

// The meta whose txnid is `txnid` (read twice, to rule out a torn read while
// a writer rewrites the slot).  When both slots carry it (a fresh
// environment), slot 0 wins, as it does for the library.
bool Checker::choose_snapshot(txnid_t txnid, Meta *out, unsigned *slot) const {
	for (unsigned i = 0; i < kNumMetas; i++) {
		Meta a, b;
		PageHeader h;
		if (!read_meta(i, &a, &h) || a.txnid != txnid) continue;
		if (!read_meta(i, &b, &h) || std::memcmp(&a, &b, sizeof a) != 0) continue;
		*out = a;
		*slot = i;
		return true;
	}
	return false;
}

void Checker::check_metas() {
	for (unsigned i = 0; i < kNumMetas; i++) {
		Meta m;
		PageHeader h;
		std::string where = format("meta %u", i);
		if (!read_meta(i, &m, &h)) {
			problem(i, where, -1, "the file (%zu bytes) is too short to hold it", map_bytes_);
			continue;
		}
		if (h.pgno != i) problem(i, where, -1, "header says page %" PRIu64, uint64_t(h.pgno));
		if (h.flags != P_META) problem(i, where, -1, "page flags 0x%x, expected 0x%x (meta)", h.flags, P_META);
		if (m.magic != kMagic) {
			problem(i, where, -1, "bad magic 0x%08x (expected 0x%08x)", m.magic, kMagic);
			continue;
		}
		if (m.version != kDataVersion) {
			problem(i, where, -1, "data format version %u (expected %u)", m.version, kDataVersion);
			continue;
		}
		unsigned ps = m.dbs[kFreeDbi].pad;
		if (ps != psize_) problem(i, where, -1, "page size %u, the environment's is %u", ps, psize_);
		if (i != meta_slot_ && !offline_ && !opt_.writer) {
			// Writers carry on: the other meta may be newer than the snapshot
			// or being rewritten right now.  Its content is not ours to judge.
			Meta again;
			if (m.txnid > meta_.txnid || !read_meta(i, &again, &h) || std::memcmp(&m, &again, sizeof m)) continue;
		}
		if (!(m.dbs[kFreeDbi].flags & MDB_INTEGERKEY))
			problem(i, where, -1, "free db flags 0x%x lack MDB_INTEGERKEY", m.dbs[kFreeDbi].flags);
		if (m.dbs[kMainDbi].flags & ~kPersistentDbFlags)
			problem(i, where, -1, "main db flags 0x%x have unknown bits", m.dbs[kMainDbi].flags);
		if (m.last_pgno < kNumMetas - 1)
			problem(i, where, -1, "last page %" PRIu64 " is below the meta pages", uint64_t(m.last_pgno));
		else if (psize_ && (m.last_pgno + 1 > m.mapsize / psize_))
			problem(i, where, -1, "last page %" PRIu64 " does not fit in the map size %" PRIu64,
			        uint64_t(m.last_pgno), uint64_t(m.mapsize));
		for (unsigned d = 0; d < kCoreDbs; d++) {
			pgno_t root = m.dbs[d].root;
			if (root != kInvalidPgno && (root < kNumMetas || root > m.last_pgno))
				problem(i, where, -1, "%s root page %" PRIu64 " outside pages 2..%" PRIu64,
				        d == kFreeDbi ? "free db" : "main db", uint64_t(root), uint64_t(m.last_pgno));
		}
	}
}

// ---- page accounting -----------------------------------------------------------

bool Checker::claim(pgno_t pg, uint32_t who, const std::string &where, pgno_t from, long key) {
	if (pg < kNumMetas) {
		problem(from, where, key, "refers to meta page %" PRIu64, uint64_t(pg));
		return false;
	}
	if (pg > last_pgno_ || pg >= owner_.size()) {
		problem(from, where, key, "refers to page %" PRIu64 " beyond the last page %" PRIu64,
		        uint64_t(pg), uint64_t(meta_.last_pgno));
		return false;
	}
	uint32_t &o = owner_[pg];
	if (o != kUnclaimed) {
		const std::string &first = owner_names_[o];
		const std::string &second = owner_names_[who];
		std::string ref = format(" (referred to again from page %" PRIu64, uint64_t(from));
		if (key >= 0) ref += format(" key %ld", key);
		ref += ")";
		if (who == kOwnerFree)
			problem(pg, "", -1, "listed as free, but used by %s%s", first.c_str(), ref.c_str());
		else if (o == kOwnerFree)
			problem(pg, "", -1, "used by %s, but listed as free%s", second.c_str(), ref.c_str());
		else
			problem(pg, "", -1, "used twice: by %s and by %s%s", first.c_str(), second.c_str(), ref.c_str());
		return false;
	}
	o = who;
	tool_progress_update(&progress_, ++claimed_);
	return true;
}

// ---- trees -----------------------------------------------------------------------

void Checker::walk_tree(Tree &t, const DbRecord &rec, pgno_t rec_page, long rec_key) {
	if (rec.root == kInvalidPgno) {
		if (rec.depth || rec.branch_pages || rec.leaf_pages || rec.overflow_pages || rec.entries)
			problem(rec_page, t.label, rec_key,
			        "empty tree, but the record says depth %u, %" PRIu64 " branch, %" PRIu64
			        " leaf, %" PRIu64 " overflow pages, %" PRIu64 " entries",
			        rec.depth, uint64_t(rec.branch_pages), uint64_t(rec.leaf_pages),
			        uint64_t(rec.overflow_pages), uint64_t(rec.entries));
		return;
	}
	if (rec.depth == 0 || rec.depth > kMaxDepth)
		problem(rec_page, t.label, rec_key, "record says depth %u", rec.depth);
	Key none;
	walk_page(t, rec.root, 1, none, none, rec_page, rec_key);

	auto mismatch = [&](const char *what, uint64_t recorded, uint64_t found) {
		if (recorded != found)
			problem(rec_page, t.label, rec_key, "record says %" PRIu64 " %s, found %" PRIu64, recorded,
			        what, found);
	};
	mismatch("levels (depth)", rec.depth, t.leaf_level);
	mismatch("branch pages", rec.branch_pages, t.branch);
	mismatch("leaf pages", rec.leaf_pages, t.leaf);
	mismatch("overflow pages", rec.overflow_pages, t.overflow);
	mismatch("entries", rec.entries, t.entries);
}

// lower/upper of a page (or sub-page) of `size` bytes.
bool Checker::check_header_bounds(const uint8_t *p, uint64_t size, pgno_t pg, const Tree &t, long key,
                                  const char *what) {
	const PageHeader *h = header(p);
	unsigned lo = h->lower, up = h->upper;
	// LEAF2 pages hold no pointers: lower grows by 2 and upper falls by the
	// item size less 2 per item, so with 1-byte items upper passes the end
	// (their own check: items + free space fill the page exactly).
	if (lo < kPageHeaderSize || (lo - kPageHeaderSize) % 2 || lo > up || (up > size && !(h->flags & P_LEAF2))) {
		problem(pg, t.label, key, "%s: bad lower/upper %u/%u (size %" PRIu64 ")", what, lo, up, size);
		return false;
	}
	return true;
}

// The nodes of a page must lie between upper and the end without overlap,
// and (as the library packs them) fill that space exactly.
bool Checker::check_node_tiling(std::vector<std::pair<uint64_t, uint64_t>> &ext, uint64_t upper,
                                uint64_t size, pgno_t pg, const Tree &t, long key, const char *what) {
	std::sort(ext.begin(), ext.end());
	uint64_t at = upper;
	for (const auto &[b, e] : ext) {
		if (b < at && at != upper) {
			problem(pg, t.label, key, "%s: nodes overlap at offset %" PRIu64, what, b);
			return false;
		}
		if (b > at) {
			problem(pg, t.label, key, "%s: %" PRIu64 " unused bytes at offset %" PRIu64 " among the nodes",
			        what, b - at, at);
			return false;
		}
		at = even(e);
	}
	if (at < size) {
		problem(pg, t.label, key, "%s: %" PRIu64 " unused bytes at the end of the node area", what,
		        size - at);
		return false;
	}
	return true;
}

void Checker::check_key(const Tree &t, Order o, const Key &k, pgno_t pg, long idx, const char *what) {
	if (k.n > kMaxKeySize)
		problem(pg, t.label, idx, "%s of %zu bytes, longer than %u", what, k.n, kMaxKeySize);
	if (o == Order::Integer && k.n != sizeof(unsigned) && k.n != sizeof(size_t))
		problem(pg, t.label, idx, "integer %s of %zu bytes", what, k.n);
}

// One page of a tree at `level` (the root is level 1), reached from node
// `pkey` of page `parent`; its keys must lie in [lo, hi).
void Checker::walk_page(Tree &t, pgno_t pg, unsigned level, const Key &lo, const Key &hi,
                        pgno_t parent, long pkey) {
	if (level > kMaxDepth) {
		problem(parent, t.label, -1, "tree deeper than %u levels", kMaxDepth);
		return;
	}
	if (!claim(pg, t.owner, t.label, parent, pkey)) return;
	const uint8_t *p = page_ptr(pg);
	if (!p) {
		problem(pg, t.label, -1, "beyond the end of the file (%" PRIu64 " pages)", file_pages_);
		return;
	}
	totals_.tree_pages++;
	const PageHeader *h = header(p);
	if (h->pgno != pg) problem(pg, t.label, -1, "header says page %" PRIu64, uint64_t(h->pgno));
	const uint16_t f = h->flags;
	const bool is_branch = f == P_BRANCH;
	const bool is_leaf = f == P_LEAF || f == (P_LEAF | P_LEAF2);
	if (!is_branch && !is_leaf) {
		problem(pg, t.label, -1, "page flags 0x%x: not a branch or leaf page", f);
		return;
	}
	if (is_branch)
		t.branch++;
	else
		t.leaf++;
	if (!check_header_bounds(p, psize_, pg, t, -1, is_branch ? "branch page" : "leaf page")) return;
	const unsigned nkeys = num_keys(p);
	const uint64_t upper = h->upper;
	verbose("page %" PRIu64 ": %s, %s, level %u, %u keys, %u bytes free", uint64_t(pg),
	        is_branch ? "branch" : (f & P_LEAF2) ? "leaf2" : "leaf", t.label.c_str(), level, nkeys,
	        h->upper - h->lower);
	if (nkeys == 0) {
		problem(pg, t.label, -1, "%s page without keys", is_branch ? "branch" : "leaf");
		return;
	}
	const bool order = t.check_order;

	if (!is_branch) {
		if (t.leaf_level == 0)
			t.leaf_level = level;
		else if (level != t.leaf_level)
			problem(pg, t.label, -1, "leaf at level %u, other leaves are at level %u", level, t.leaf_level);
	}

	if (f & P_LEAF2) {
		if (!t.leaf2) {
			problem(pg, t.label, -1, "LEAF2 page in a database without fixed-size duplicates");
			return;
		}
		const unsigned ks = h->pad;
		if (ks != t.pad) problem(pg, t.label, -1, "LEAF2 key size %u, the record says %u", ks, t.pad);
		if (ks == 0) {
			problem(pg, t.label, -1, "LEAF2 page with key size 0");
			return;
		}
		if (kPageHeaderSize + uint64_t(nkeys) * ks + (h->upper - h->lower) != psize_) {
			problem(pg, t.label, -1, "LEAF2 page: %u keys of %u bytes do not match lower/upper %u/%u", nkeys,
			        ks, h->lower, h->upper);
			return;
		}
		Key prev;
		for (unsigned i = 0; i < nkeys; i++) {
			Key k{p + kPageHeaderSize + uint64_t(i) * ks, ks, true};
			check_key(t, t.korder, k, pg, i, "key");
			if (order && i && compare(t.korder, prev, k) >= 0)
				problem(pg, t.label, i, "keys out of order");
			prev = k;
		}
		if (order && lo.set && compare(t.korder, Key{p + kPageHeaderSize, ks, true}, lo) < 0)
			problem(pg, t.label, 0, "first key below its separator in parent page %" PRIu64, uint64_t(parent));
		if (order && hi.set && compare(t.korder, prev, hi) >= 0)
			problem(pg, t.label, long(nkeys - 1), "last key not below the next separator in parent page %" PRIu64,
			        uint64_t(parent));
		t.entries += nkeys;
		return;
	}
	if (t.leaf2 && !is_branch) problem(pg, t.label, -1, "leaf page where LEAF2 pages are expected");

	// Node bounds first; nothing below reads a node that failed them.
	std::vector<std::pair<uint64_t, uint64_t>> ext;
	ext.reserve(nkeys);
	const indx_unaligned *ptrs = node_ptrs(p);
	for (unsigned i = 0; i < nkeys; i++) {
		uint64_t off = ptrs[i];
		if (off < upper || off + kNodeHeaderSize > psize_) {
			problem(pg, t.label, i, "node offset %" PRIu64 " outside the node area %" PRIu64 "..%u", off, upper,
			        psize_);
			return;
		}
		const Node *n = reinterpret_cast<const Node *>(p + off);
		uint64_t end = off + kNodeHeaderSize + n->ksize;
		if (!is_branch) end += (n->flags & F_BIGDATA) ? sizeof(pgno_t) : (uint64_t(n->lo) | uint64_t(n->hi) << 16);
		if (end > psize_) {
			problem(pg, t.label, i, "node at offset %" PRIu64 " ends at %" PRIu64 ", past the page end %u", off,
			        end, psize_);
			return;
		}
		ext.emplace_back(off, end);
	}
	if (!check_node_tiling(ext, upper, psize_, pg, t, -1, is_branch ? "branch page" : "leaf page")) return;

	auto key_at = [&](unsigned i) {
		const Node *n = reinterpret_cast<const Node *>(p + ptrs[i]);
		return Key{reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize, n->ksize, true};
	};

	if (is_branch) {
		// Key 0 of a branch page is not used; keys 1.. separate the children.
		for (unsigned i = 1; i < nkeys; i++) {
			Key k = key_at(i);
			check_key(t, t.korder, k, pg, i, "key");
			if (t.leaf2 && k.n != t.pad)
				problem(pg, t.label, i, "key of %zu bytes in a tree of %u-byte keys", k.n, t.pad);
			if (!order) continue;
			if (i > 1 && compare(t.korder, key_at(i - 1), k) >= 0) problem(pg, t.label, i, "keys out of order");
			if (lo.set && compare(t.korder, k, lo) < 0)
				problem(pg, t.label, i, "separator below the separator in parent page %" PRIu64, uint64_t(parent));
			if (hi.set && compare(t.korder, k, hi) >= 0)
				problem(pg, t.label, i, "separator not below the next separator in parent page %" PRIu64,
				        uint64_t(parent));
		}
		for (unsigned i = 0; i < nkeys; i++) {
			const Node *n = reinterpret_cast<const Node *>(p + ptrs[i]);
			pgno_t child = pgno_t(n->lo) | pgno_t(n->hi) << 16 | pgno_t(n->flags) << 32;
			Key clo = i == 0 ? lo : key_at(i);
			Key chi = i + 1 == nkeys ? hi : key_at(i + 1);
			if (child < kNumMetas || child > last_pgno_) {
				problem(pg, t.label, i, "child page %" PRIu64 " outside pages 2..%" PRIu64, uint64_t(child),
				        uint64_t(meta_.last_pgno));
				continue;
			}
			walk_page(t, child, level + 1, clo, chi, pg, i);
		}
		return;
	}

	for (unsigned i = 0; i < nkeys; i++) {
		Key k = key_at(i);
		check_key(t, t.korder, k, pg, i, "key");
		if (order && i && compare(t.korder, key_at(i - 1), k) >= 0) problem(pg, t.label, i, "keys out of order");
	}
	if (order && lo.set && compare(t.korder, key_at(0), lo) < 0)
		problem(pg, t.label, 0, "first key below its separator in parent page %" PRIu64, uint64_t(parent));
	if (order && hi.set && compare(t.korder, key_at(nkeys - 1), hi) >= 0)
		problem(pg, t.label, long(nkeys - 1), "last key not below the next separator in parent page %" PRIu64,
		        uint64_t(parent));
	for (unsigned i = 0; i < nkeys; i++) {
		const Node *n = reinterpret_cast<const Node *>(p + ptrs[i]);
		leaf_node(t, pg, i, n, reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize + n->ksize);
	}
}

// Follow an overflow run; returns the value's bytes when they can be read.
const uint8_t *Checker::walk_overflow(Tree &t, pgno_t node_page, unsigned idx, pgno_t ov, uint64_t dsize) {
	if (ov < kNumMetas || ov > last_pgno_) {
		problem(node_page, t.label, idx, "overflow page %" PRIu64 " outside pages 2..%" PRIu64, uint64_t(ov),
		        uint64_t(meta_.last_pgno));
		return nullptr;
	}
	const uint8_t *p = page_ptr(ov);
	if (!p) {
		claim(ov, t.owner, t.label, node_page, idx);
		problem(ov, t.label, -1, "overflow page beyond the end of the file (%" PRIu64 " pages)", file_pages_);
		return nullptr;
	}
	const PageHeader *h = header(p);
	if (h->flags != P_OVERFLOW) {
		if (claim(ov, t.owner, t.label, node_page, idx))
			problem(ov, t.label, -1, "page flags 0x%x: not an overflow page (value of key %u on page %" PRIu64 ")",
			        h->flags, idx, uint64_t(node_page));
		return nullptr;
	}
	if (h->pgno != ov) problem(ov, t.label, -1, "header says page %" PRIu64, uint64_t(h->pgno));
	const uint64_t need = overflow_pages_for(dsize, psize_);
	uint64_t count = h->overflow_pages;
	if (count < need)
		problem(ov, t.label, -1, "overflow run of %" PRIu64 " pages, the value of %" PRIu64 " bytes needs %" PRIu64,
		        count, dsize, need);
	if (count == 0) count = 1;
	if (count - 1 > last_pgno_ - ov) {
		problem(ov, t.label, -1, "overflow run of %" PRIu64 " pages goes past the last page %" PRIu64, count,
		        uint64_t(meta_.last_pgno));
		count = last_pgno_ - ov + 1;
	}
	verbose("page %" PRIu64 ": overflow, %s, %" PRIu64 " pages", uint64_t(ov), t.label.c_str(), count);
	if (!claim(ov, t.owner, t.label, node_page, idx)) return nullptr;
	for (uint64_t j = 1; j < count; j++) claim(ov + j, t.owner, t.label, ov, -1);
	t.overflow += count;
	totals_.overflow_pages += count;
	if (count < need) return nullptr;
	if (!page_ptr(ov, need)) {
		problem(ov, t.label, -1, "overflow run of %" PRIu64 " pages goes past the end of the file", need);
		return nullptr;
	}
	return p + kPageHeaderSize;
}

void Checker::leaf_node(Tree &t, pgno_t pg, unsigned idx, const Node *n, const uint8_t *data) {
	const uint16_t nf = n->flags;
	const uint64_t dsize = uint64_t(n->lo) | uint64_t(n->hi) << 16;
	if (nf & ~(F_BIGDATA | F_SUBDATA | F_DUPDATA)) {
		problem(pg, t.label, idx, "unknown node flags 0x%x", nf);
		return;
	}
	if ((nf & F_BIGDATA) && (nf & (F_SUBDATA | F_DUPDATA))) {
		problem(pg, t.label, idx, "node flags 0x%x: a large value cannot be a database", nf);
		return;
	}
	if (t.kind == Kind::Dups) {
		// Keys of a duplicates tree are the data items; no data of their own.
		if (nf) problem(pg, t.label, idx, "node flags 0x%x in a tree of duplicates", nf);
		if (dsize) problem(pg, t.label, idx, "%" PRIu64 " bytes of data in a tree of duplicates", dsize);
		if (nf & F_BIGDATA) walk_overflow(t, pg, idx, rd64(data), dsize);
		t.entries++;
		return;
	}
	const bool dupsort = t.flags & MDB_DUPSORT;
	if (nf & F_BIGDATA) {
		if (dupsort) problem(pg, t.label, idx, "large value in a database with sorted duplicates");
		const uint8_t *v = walk_overflow(t, pg, idx, rd64(data), dsize);
		if (t.kind == Kind::Free && v) {
			Key k = {reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize, n->ksize, true};
			free_records_.push_back({k.n == 8 ? rd64(k.p) : 0, pg, idx, v, dsize});
		}
		t.entries++;
		return;
	}
	if (t.kind == Kind::Free) {
		if (nf) {
			problem(pg, t.label, idx, "node flags 0x%x in the free db", nf);
		} else if (n->ksize == 8) {
			free_records_.push_back({rd64(reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize), pg, idx, data,
			                         dsize});
		}
		t.entries++;
		return;
	}
	if (nf == F_SUBDATA) {
		if (t.kind != Kind::Main || dupsort) {
			problem(pg, t.label, idx, "database record outside the main db");
			t.entries++;
			return;
		}
		if (dsize != sizeof(DbRecord)) {
			problem(pg, t.label, idx, "database record of %" PRIu64 " bytes (expected %zu)", dsize,
			        sizeof(DbRecord));
			t.entries++;
			return;
		}
		NamedDb nd;
		nd.name = reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize;
		nd.name_len = n->ksize;
		std::memcpy(&nd.rec, data, sizeof nd.rec);
		nd.page = pg;
		nd.index = idx;
		named_.push_back(nd);
		t.entries++;
		return;
	}
	if (nf & F_DUPDATA) {
		if (!dupsort) {
			problem(pg, t.label, idx, "duplicates in a database without MDB_DUPSORT");
			t.entries++;
			return;
		}
		if (nf & F_SUBDATA) {
			if (dsize != sizeof(DbRecord)) {
				problem(pg, t.label, idx, "duplicates record of %" PRIu64 " bytes (expected %zu)", dsize,
				        sizeof(DbRecord));
				t.entries++;
				return;
			}
			DbRecord rec;
			std::memcpy(&rec, data, sizeof rec);
			Tree sub;
			sub.label = t.label + format(" dups of key %u on page %" PRIu64, idx, uint64_t(pg));
			sub.owner = new_owner(sub.label);
			sub.kind = Kind::Dups;
			uint16_t expect = 0;
			if (t.flags & MDB_DUPFIXED) expect = MDB_DUPFIXED | ((t.flags & MDB_INTEGERDUP) ? MDB_INTEGERKEY : 0);
			if (rec.flags != expect)
				problem(pg, t.label, idx, "duplicates record flags 0x%x, expected 0x%x", rec.flags, expect);
			sub.flags = expect;
			sub.korder = t.dorder;
			sub.check_order = t.check_order;
			sub.leaf2 = t.flags & MDB_DUPFIXED;
			sub.pad = rec.pad;
			if (sub.leaf2 && (rec.pad == 0 || rec.pad > kMaxKeySize))
				problem(pg, t.label, idx, "duplicates record: fixed size %u", rec.pad);
			walk_tree(sub, rec, pg, idx);
			if (rec.root != kInvalidPgno && sub.entries == 0)
				problem(pg, t.label, idx, "duplicates record with no duplicates found");
			if (rec.root == kInvalidPgno) problem(pg, t.label, idx, "empty duplicates record");
			t.entries += sub.entries;
			return;
		}
		walk_subpage(t, pg, idx, data, dsize);
		return;
	}
	// A plain value.  In a DUPSORT db it is a single data item and obeys the
	// same size limit as keys.
	if (dupsort && dsize > kMaxKeySize)
		problem(pg, t.label, idx, "data item of %" PRIu64 " bytes in a database with sorted duplicates", dsize);
	if (dupsort && (t.flags & MDB_INTEGERDUP) && dsize != sizeof(unsigned) && dsize != sizeof(size_t))
		problem(pg, t.label, idx, "integer data item of %" PRIu64 " bytes", dsize);
	t.entries++;
}

// The duplicates of one key, kept inside its leaf node as a small page.
void Checker::walk_subpage(Tree &t, pgno_t pg, unsigned idx, const uint8_t *sp, uint64_t size) {
	if (size < kPageHeaderSize) {
		problem(pg, t.label, idx, "duplicates sub-page of %" PRIu64 " bytes", size);
		return;
	}
	const PageHeader *h = header(sp);
	const bool fixed = t.flags & MDB_DUPFIXED;
	const uint16_t want = uint16_t(P_LEAF | P_SUBP | (fixed ? P_LEAF2 : 0));
	// The library leaves P_DIRTY set on sub-pages; it means nothing on disk.
	if ((h->flags & ~P_DIRTY) != want) {
		problem(pg, t.label, idx, "sub-page flags 0x%x, expected 0x%x", h->flags, want);
		return;
	}
	if (!check_header_bounds(sp, size, pg, t, idx, "sub-page")) return;
	const unsigned nkeys = num_keys(sp);
	if (nkeys == 0) {
		problem(pg, t.label, idx, "sub-page without duplicates");
		return;
	}
	Tree sub;  // for the order and key checks only
	sub.label = t.label;
	sub.korder = t.dorder;
	if (fixed) {
		const unsigned ks = h->pad;
		if (ks == 0 || kPageHeaderSize + uint64_t(nkeys) * ks + (h->upper - h->lower) != size) {
			problem(pg, t.label, idx, "sub-page: %u items of %u bytes do not match lower/upper %u/%u in %" PRIu64
			        " bytes", nkeys, ks, h->lower, h->upper, size);
			return;
		}
		Key prev;
		for (unsigned i = 0; i < nkeys; i++) {
			Key k{sp + kPageHeaderSize + uint64_t(i) * ks, ks, true};
			check_key(sub, sub.korder, k, pg, idx, "data item");
			if (t.check_order && i && compare(sub.korder, prev, k) >= 0)
				problem(pg, t.label, idx, "duplicates %u and %u out of order", i - 1, i);
			prev = k;
		}
		t.entries += nkeys;
		return;
	}
	const indx_unaligned *ptrs = node_ptrs(sp);
	std::vector<std::pair<uint64_t, uint64_t>> ext;
	Key prev;
	for (unsigned i = 0; i < nkeys; i++) {
		uint64_t off = ptrs[i];
		if (off < h->upper || off + kNodeHeaderSize > size) {
			problem(pg, t.label, idx, "sub-page node %u at offset %" PRIu64 " outside %u..%" PRIu64, i, off,
			        h->upper, size);
			return;
		}
		const Node *n = reinterpret_cast<const Node *>(sp + off);
		uint64_t dsize = uint64_t(n->lo) | uint64_t(n->hi) << 16;
		uint64_t end = off + kNodeHeaderSize + n->ksize + dsize;
		if (end > size) {
			problem(pg, t.label, idx, "sub-page node %u ends at %" PRIu64 ", past the sub-page end %" PRIu64, i,
			        end, size);
			return;
		}
		if (n->flags || dsize)
			problem(pg, t.label, idx, "sub-page node %u: flags 0x%x, %" PRIu64 " bytes of data", i, n->flags,
			        dsize);
		ext.emplace_back(off, end);
		Key k{reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize, n->ksize, true};
		check_key(sub, sub.korder, k, pg, idx, "data item");
		if (t.check_order && i && compare(sub.korder, prev, k) >= 0)
			problem(pg, t.label, idx, "duplicates %u and %u out of order", i - 1, i);
		prev = k;
	}
	check_node_tiling(ext, h->upper, size, pg, t, idx, "sub-page");
	t.entries += nkeys;
}

void Checker::check_free_record(const FreeRecord &fr) {
	static const std::string where = "free db";
	if (fr.txnid == 0 || fr.txnid > meta_.txnid)
		problem(fr.page, where, fr.index, "record of txn %" PRIu64 ", the snapshot is txn %" PRIu64,
		        uint64_t(fr.txnid), uint64_t(meta_.txnid));
	if (fr.size < sizeof(pgno_t) || fr.size % sizeof(pgno_t)) {
		problem(fr.page, where, fr.index, "free list of %" PRIu64 " bytes", fr.size);
		return;
	}
	uint64_t room = fr.size / sizeof(pgno_t) - 1;
	uint64_t count = rd64(fr.ids);
	if (count > room) {
		problem(fr.page, where, fr.index, "free list claims %" PRIu64 " pages, has room for %" PRIu64, count, room);
		count = room;
	}
	pgno_t prev = 0;
	for (uint64_t j = 0; j < count; j++) {
		pgno_t pg = rd64(fr.ids + (j + 1) * sizeof(pgno_t));
		if (j && pg >= prev)
			problem(fr.page, where, fr.index, "free list of txn %" PRIu64 ": page %" PRIu64 " after %" PRIu64
			        " (not descending)", uint64_t(fr.txnid), uint64_t(pg), uint64_t(prev));
		prev = pg;
		if (pg < kNumMetas || pg > last_pgno_) {
			problem(fr.page, where, fr.index, "free list of txn %" PRIu64 ": page %" PRIu64 " outside pages 2..%" PRIu64,
			        uint64_t(fr.txnid), uint64_t(pg), uint64_t(meta_.last_pgno));
			continue;
		}
		verbose("page %" PRIu64 ": free (txn %" PRIu64 ")", uint64_t(pg), uint64_t(fr.txnid));
		if (claim(pg, kOwnerFree, where, fr.page, fr.index)) totals_.free_pages++;
	}
}

void Checker::print_stat(const char *title, const Tree &t) {
	if (opt_.json) {
		db_stats_.push_back({title, t});
		return;
	}
	if (opt_.quiet) return;
	std::printf("Status of %s\n", title);
	std::printf("  Tree depth: %u\n", t.leaf_level);
	std::printf("  Branch pages: %" PRIu64 "\n", t.branch);
	std::printf("  Leaf pages: %" PRIu64 "\n", t.leaf);
	std::printf("  Overflow pages: %" PRIu64 "\n", t.overflow);
	std::printf("  Entries: %" PRIu64 "\n", t.entries);
}

int Checker::run() {
	ran_ = true;
	file_pages_ = map_bytes_ / psize_;
	last_pgno_ = meta_.last_pgno;
	// Progress: pages claimed by a tree or the free list, of all but the metas.
	tool_progress_set_total(&progress_, uint64_t(meta_.last_pgno) + 1 > kNumMetas
	                                        ? uint64_t(meta_.last_pgno) + 1 - kNumMetas : 0);
	if (!opt_.quiet && !opt_.json) {
		std::printf("Environment %s\n", opt_.path);
		std::printf("  Page size: %u\n", psize_);
		std::printf("  Snapshot: txn %" PRIu64 " (meta page %u)%s\n", uint64_t(meta_.txnid), meta_slot_,
		            offline_ ? ", without a read transaction" : "");
		std::printf("  Last page: %" PRIu64 "\n", uint64_t(meta_.last_pgno));
		std::printf("  Pages in the file: %" PRIu64 "\n", file_pages_);
		std::printf("  Map size: %" PRIu64 "\n", uint64_t(meta_.mapsize));
	}
	check_metas();
	if (last_pgno_ >= file_pages_) {
		if (last_pgno_ - file_pages_ >= kMaxPagesPastEof) {
			problem(meta_slot_, format("meta %u", meta_slot_), -1,
			        "last page %" PRIu64 " is far beyond the end of the file (%" PRIu64 " pages)",
			        uint64_t(last_pgno_), file_pages_);
			last_pgno_ = file_pages_ ? file_pages_ - 1 : 0;
		} else {
			note("last page %" PRIu64 " is beyond the end of the file (%" PRIu64 " pages); pages never written"
			     " must be free",
			     uint64_t(last_pgno_), file_pages_);
		}
	}
	owner_.assign(size_t(last_pgno_) + 1, kUnclaimed);
	for (unsigned i = 0; i < kNumMetas && i < owner_.size(); i++) owner_[i] = kOwnerMeta;

	const bool full = opt_.subdb == nullptr;

	Tree main;
	main.label = "main db";
	main.owner = new_owner(main.label);
	main.kind = Kind::Main;
	main.flags = meta_.dbs[kMainDbi].flags;
	main.korder = key_order(main.flags);
	main.dorder = dup_order(main.flags);
	main.check_order = !opt_.no_order;
	main.leaf2 = (main.flags & (MDB_DUPSORT | MDB_DUPFIXED)) == MDB_DUPFIXED;
	main.pad = meta_.dbs[kMainDbi].pad;
	walk_tree(main, meta_.dbs[kMainDbi], meta_slot_, -1);
	if (full) print_stat("Main DB", main);

	bool found_subdb = false;
	for (const NamedDb &nd : named_) {
		if (!full && (nd.name_len != std::strlen(opt_.subdb) || std::memcmp(nd.name, opt_.subdb, nd.name_len)))
			continue;
		found_subdb = true;
		Tree t;
		std::string name = show_name(nd.name, nd.name_len);
		t.label = "db " + name;
		t.owner = new_owner(t.label);
		t.kind = Kind::Named;
		t.flags = nd.rec.flags;
		if (t.flags & ~kPersistentDbFlags)
			problem(nd.page, t.label, nd.index, "database flags 0x%x have unknown bits", t.flags);
		t.korder = key_order(t.flags);
		t.dorder = dup_order(t.flags);
		t.check_order = !opt_.no_order;
		t.leaf2 = (t.flags & (MDB_DUPSORT | MDB_DUPFIXED)) == MDB_DUPFIXED;
		t.pad = nd.rec.pad;
		walk_tree(t, nd.rec, nd.page, nd.index);
		print_stat(name.c_str(), t);
	}
	if (!full) {
		if (!found_subdb) {
			std::fprintf(stderr, "%s: %s: no database named \"%s\"\n", prog, opt_.path, opt_.subdb);
			return kExitError;
		}
		if (!opt_.quiet && !opt_.json)
			std::printf("Only one database checked: the free list and page accounting were skipped.\n");
	} else {
		Tree fr;
		fr.label = "free db";
		fr.owner = new_owner(fr.label);
		fr.kind = Kind::Free;
		fr.flags = MDB_INTEGERKEY;
		fr.korder = Order::Integer;
		fr.check_order = true;
		walk_tree(fr, meta_.dbs[kFreeDbi], meta_slot_, -1);
		print_stat("Free DB", fr);
		for (const FreeRecord &r : free_records_) check_free_record(r);

		// Every page up to last_pgno belongs to exactly one owner.
		const pgno_t top = pgno_t(owner_.size()) - 1;
		for (pgno_t pg = kNumMetas; pg <= top; pg++) {
			if (owner_[pg] != kUnclaimed) continue;
			pgno_t end = pg;
			while (end < top && owner_[end + 1] == kUnclaimed) end++;
			if (end == pg)
				problem(pg, "", -1, "leaked: in no tree and not free");
			else
				problem(pg, "", -1, "leaked: pages %" PRIu64 "-%" PRIu64 " are in no tree and not free", uint64_t(pg),
				        uint64_t(end));
			totals_.leaked += end - pg + 1;
			pg = end;
		}
		have_totals_ = true;
		if (!opt_.quiet && !opt_.json) {
			std::printf("Free pages: %" PRIu64 " in %zu records\n", totals_.free_pages, free_records_.size());
			std::printf("Page usage: %" PRIu64 " pages: %u meta, %" PRIu64 " branch/leaf, %" PRIu64
			            " overflow, %" PRIu64 " free, %" PRIu64 " leaked\n",
			            uint64_t(meta_.last_pgno) + 1, kNumMetas, totals_.tree_pages, totals_.overflow_pages,
			            totals_.free_pages, totals_.leaked);
		}
	}
	if (!opt_.quiet && !opt_.json) {
		if (problems_)
			std::printf("%" PRIu64 " problem%s found.\n", problems_, problems_ == 1 ? "" : "s");
		else
			std::printf("No problems found.\n");
	}
	return problems_ ? kExitProblems : kExitClean;
}

void Checker::print_json(int result) const {
	std::string j = "{\n";
	auto field = [&j](const char *name, const std::string &value, bool last = false) {
		j += format("  \"%s\": %s%s\n", name, value.c_str(), last ? "" : ",");
	};
	auto num = [](uint64_t v) { return format("%" PRIu64, v); };
	field("path", json_str(opt_.path));
	field("status", json_str(result == kExitClean ? "clean" : result == kExitProblems ? "problems" : "error"));
	field("exit_code", format("%d", result));
	field("checked", ran_ ? "true" : "false");
	field("offline", offline_ ? "true" : "false");
	if (ran_) {
		field("page_size", num(psize_));
		field("snapshot_txnid", num(uint64_t(meta_.txnid)));
		field("meta_page", num(meta_slot_));
		field("last_pgno", num(uint64_t(meta_.last_pgno)));
		field("file_pages", num(file_pages_));
		field("map_size", num(uint64_t(meta_.mapsize)));
	}
	std::string dbs = "[";
	for (size_t i = 0; i < db_stats_.size(); i++) {
		const Tree &t = db_stats_[i].tree;
		dbs += format("%s\n    {\"name\": %s, \"depth\": %u, \"branch_pages\": %" PRIu64
		              ", \"leaf_pages\": %" PRIu64 ", \"overflow_pages\": %" PRIu64 ", \"entries\": %" PRIu64 "}",
		              i ? "," : "", json_str(db_stats_[i].name).c_str(), t.leaf_level, t.branch, t.leaf, t.overflow,
		              t.entries);
	}
	dbs += db_stats_.empty() ? "]" : "\n  ]";
	field("databases", dbs);
	if (have_totals_) {
		field("free_pages", num(totals_.free_pages));
		field("free_records", num(free_records_.size()));
		field("page_usage",
		      format("{\"total\": %" PRIu64 ", \"meta\": %u, \"tree\": %" PRIu64 ", \"overflow\": %" PRIu64
		             ", \"free\": %" PRIu64 ", \"leaked\": %" PRIu64 "}",
		             uint64_t(meta_.last_pgno) + 1, kNumMetas, totals_.tree_pages, totals_.overflow_pages,
		             totals_.free_pages, totals_.leaked));
	}
	auto list = [](const std::vector<std::string> &v) {
		std::string out = "[";
		for (size_t i = 0; i < v.size(); i++) out += (i ? ",\n    " : "\n    ") + json_str(v[i]);
		return out + (v.empty() ? "]" : "\n  ]");
	};
	field("problem_count", num(problems_));
	field("problems", list(problem_list_));
	field("notes", list(note_list_));
	field("elapsed_seconds", format("%.3f", tool_progress_elapsed(&progress_)), true);
	j += "}\n";
	std::fputs(j.c_str(), stdout);
}

// ---- opening -------------------------------------------------------------------

// Open failures that the content of the data file can cause: a damaged
// meta page, or one whose sizes the library cannot map.
bool is_format_error(int rc) {
	return rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ||
	       rc == ENOMEM || rc == EINVAL || rc == EFBIG || rc == EOVERFLOW;
}

const char *errstr(int rc) {
	const char *s = mdb_strerror(rc);
	return s ? s : "unknown error";
}

// Without the library (it refused the file): check the newest meta that
// looks valid, reporting the broken one.
int check_offline(Checker &c, const Options &opt, int open_rc) {
	std::string file = opt.path;
	if (!opt.nosubdir) file += "/data.mdb";
	int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		std::fprintf(stderr, "%s: %s: %s\n", prog, file.c_str(), std::strerror(errno));
		return kExitError;
	}
	int rc = c.map_file(fd);
	close(fd);
	if (rc) {
		std::fprintf(stderr, "%s: %s: cannot map: %s\n", prog, file.c_str(), std::strerror(rc));
		return kExitError;
	}
	c.problem_noloc("the library cannot open the environment: %s", errstr(open_rc));
	c.offline_ = true;
	c.psize_ = c.guess_page_size();
	if (!c.psize_) {
		c.problem_noloc("no valid page size found in the meta pages");
		return kExitProblems;
	}
	bool have = false;
	for (unsigned i = 0; i < kNumMetas; i++) {
		Meta m;
		PageHeader h;
		if (!c.read_meta(i, &m, &h) || m.magic != kMagic || m.version != kDataVersion ||
		    m.dbs[kFreeDbi].pad != c.psize_ || !(h.flags & P_META))
			continue;
		if (!have || m.txnid > c.meta_.txnid) {
			c.meta_ = m;
			c.meta_slot_ = i;
			have = true;
		}
	}
	if (!have) {
		// Still report what is wrong with each meta.
		c.meta_slot_ = kNumMetas;
		c.check_metas();
		c.problem_noloc("no valid meta page");
		return kExitProblems;
	}
	return c.run();
}

int check_env(const Options &opt) {
	MDB_env *env = nullptr;
	int rc = mdb_env_create(&env);
	if (rc) {
		std::fprintf(stderr, "%s: mdb_env_create: %s\n", prog, errstr(rc));
		return kExitError;
	}
	unsigned flags = (opt.nosubdir ? MDB_NOSUBDIR : 0) | (opt.writer ? 0 : MDB_RDONLY);
	rc = mdb_env_open(env, opt.path, flags, 0664);
	Checker c(opt);
	tool_progress_init(&c.progress_, prog, opt.progress, "pages", 0);
	if (rc) {
		mdb_env_close(env);
		if (is_format_error(rc)) {
			int result = check_offline(c, opt, rc);
			if (result != kExitError) tool_progress_finish(&c.progress_);
			if (opt.json && result != kExitError) c.print_json(result);
			return result;
		}
		std::fprintf(stderr, "%s: %s: cannot open environment: %s\n", prog, opt.path, errstr(rc));
		return kExitError;
	}
	mdb_filehandle_t fd;
	if ((rc = mdb_env_get_fd(env, &fd)) != 0) {
		std::fprintf(stderr, "%s: %s: no data file handle: %s\n", prog, opt.path, errstr(rc));
		mdb_env_close(env);
		return kExitError;
	}
	MDB_txn *txn = nullptr;
	bool found = false;
	txnid_t snap = 0;
	// A writer may overwrite the snapshot's meta slot two commits later:
	// retry with a fresh transaction until the meta read matches.
	for (int attempt = 0; attempt < 50 && !found; attempt++) {
		rc = mdb_txn_begin(env, nullptr, opt.writer ? 0 : MDB_RDONLY, &txn);
		if (rc) {
			std::fprintf(stderr, "%s: %s: cannot begin a transaction: %s\n", prog, opt.path, errstr(rc));
			mdb_env_close(env);
			return kExitError;
		}
		snap = mdb_txn_id(txn) - (opt.writer ? 1 : 0);
		// Mapped once the snapshot is pinned: its pages are in the file by now.
		if ((rc = c.map_file(fd)) != 0) {
			std::fprintf(stderr, "%s: %s: cannot map the data file: %s\n", prog, opt.path, std::strerror(rc));
			mdb_txn_abort(txn);
			mdb_env_close(env);
			return kExitError;
		}
		MDB_stat st;
		c.psize_ = c.guess_page_size();
		if (c.psize_ && c.choose_snapshot(snap, &c.meta_, &c.meta_slot_) &&
		    mdb_stat(txn, kMainDbi, &st) == 0 && st.ms_psize == c.psize_) {
			const DbRecord &m = c.meta_.dbs[kMainDbi];
			found = st.ms_depth == m.depth && st.ms_branch_pages == m.branch_pages &&
			        st.ms_leaf_pages == m.leaf_pages && st.ms_overflow_pages == m.overflow_pages &&
			        st.ms_entries == m.entries;
		}
		if (!found) {
			mdb_txn_abort(txn);
			txn = nullptr;
			if (attempt > 5) usleep(1000);
		}
	}
	int result;
	if (!found) {
		c.problem_noloc("no meta page matches the read transaction (txn %" PRIu64 ")", uint64_t(snap));
		result = kExitProblems;
	} else {
		result = c.run();
	}
	if (txn) mdb_txn_abort(txn);
	mdb_env_close(env);
	if (result != kExitError) tool_progress_finish(&c.progress_);
	if (opt.json && result != kExitError) c.print_json(result);
	return result;
}

}  // namespace

int main(int argc, char **argv) {
	if (argc > 0 && argv[0] && *argv[0]) prog = argv[0];
	Options opt;
	int ch;
	while ((ch = getopt(argc, argv, "VnqvijPs:w")) != -1) {
		switch (ch) {
		case 'V':
			std::printf("%s\n", MDB_VERSION_STRING);
			return kExitClean;
		case 'n': opt.nosubdir = true; break;
		case 'q': opt.quiet = true; break;
		case 'v': opt.verbose = true; break;
		case 'i': opt.no_order = true; break;
		case 's': opt.subdb = optarg; break;
		case 'w': opt.writer = true; break;
		case 'j': opt.json = true; break;
		case 'P': opt.progress = true; break;
		default: usage();
		}
	}
	if (optind != argc - 1) usage();
	opt.path = argv[optind];
	int rc = check_env(opt);
	if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
		std::fprintf(stderr, "%s: write error: %s\n", prog, std::strerror(errno));
		return kExitError;
	}
	return rc;
}
