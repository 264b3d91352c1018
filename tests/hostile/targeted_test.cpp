// Deterministic hostile files: the reference environment with one targeted
// corruption each.  Opening and reading everything (and, read-write, writing
// and committing and copying) must answer error codes, never crash or hang.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <vector>

#include "harness.h"

using namespace hostile;
using test_support::TempDir;
namespace fmt = lmdb::format;

namespace {

constexpr uint32_t kBroken = kBrokenMask;
constexpr uint32_t kNotFoundBit = 1u << kPageNotFound;
constexpr uint32_t kCorruptBit = 1u << kCorrupted;

enum Opts : unsigned {
	kNone = 0,
	kOpenFails = 1,     // mdb_env_open itself must answer one of `expect`
	kNoDetect = 2,      // the damage may go unnoticed (only cleanliness is checked)
	kWriteOnly = 4,     // only a write txn can notice (free-list damage)
	kCompactFails = 8,  // the compacting copy must fail
	kPlainFails = 16,   // the plain copy must fail too
};

using Mutator = std::function<void(Image &, PageMap &)>;

RunResult run_mode(const std::string &dir, const std::string &scratch, unsigned flags, bool copies) {
	static Outcome *shared = shared_block<Outcome>();
	*shared = Outcome();
	Plan plan;
	plan.env_flags = flags;
	plan.copies = copies;
	plan.copy_dir = scratch.c_str();
	return run_in_child(60, shared, [&] { exercise(dir, plan, shared); });
}

void check_case(const char *name, const Mutator &mutate, uint32_t expect, unsigned opts) {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	mutate(im, pm);
	TempDir d, scratch;
	for (unsigned flags : {unsigned(MDB_RDONLY), 0u, unsigned(MDB_WRITEMAP)}) {
		// Sanitizer and debug builds leave MDB_WRITEMAP to the release run
		// and the random test (CI time).
		if ((flags & MDB_WRITEMAP) && slow_build()) continue;
		install(d.path(), im);
		bool rw = !(flags & MDB_RDONLY);
		RunResult r = run_mode(d.path(), scratch.path(), flags, rw && !(flags & MDB_WRITEMAP));
		INFO("case: " << name << ", flags 0x" << std::hex << flags << std::dec << ": " << r.describe());
		CHECK(r.finished);
		CHECK(r.out.unexpected_rc == 0);
		if (opts & kOpenFails) {
			CHECK(r.out.open_rc != 0);
			int c = category_of(r.out.open_rc);
			CHECK((c >= 0 && (expect & (1u << c))));
		}
		if (!(opts & (kNoDetect | kOpenFails)) && (rw || !(opts & kWriteOnly))) {
			CHECK((r.out.seen & expect) != 0);
		}
		if (rw && !(flags & MDB_WRITEMAP) && r.out.open_rc == 0) {
			if (opts & kCompactFails) CHECK(r.out.compact_rc != 0);
			if (opts & kPlainFails) CHECK(r.out.copy_rc != 0);
		}
	}
}

TreePages &tree(PageMap &pm, const char *name) {
	auto it = pm.trees.find(name);
	if (it == pm.trees.end()) FAIL("no tree " << name << " in the reference");
	return it->second;
}

uint64_t pick(const TreePages &t, unsigned level, unsigned i = 0) {
	REQUIRE(t.level.size() > level);
	REQUIRE(t.level[level].size() > i);
	return t.level[level][i];
}

// Edit a db record stored (unaligned) in a node; written back at scope exit.
class RecordEdit {
public:
	RecordEdit(Image &im, Loc l) : at_(Image::ndata(im.node(l.pg, l.idx))) { std::memcpy(&rec_, at_, sizeof rec_); }
	~RecordEdit() { std::memcpy(at_, &rec_, sizeof rec_); }
	fmt::DbRecord *operator->() { return &rec_; }

private:
	uint8_t *at_;
	fmt::DbRecord rec_;
};

// Copies page `pg` (a page with a parent) to a new page at the end of the
// file, makes its parent point there and the meta count it; the new page
// number.
uint64_t move_to_end(Image &im, PageMap &pm, uint64_t pg) {
	uint64_t to = im.npages();
	im.bytes.resize(im.bytes.size() + im.psize);
	std::memcpy(im.page(to), im.page(pg), im.psize);
	im.hdr(to)->pgno = to;
	bool found = false;
	for (auto &[name, t] : pm.trees)
		for (auto &level : t.level)
			for (uint64_t b : level) {
				if (!(im.hdr(b)->flags & fmt::P_BRANCH)) continue;
				for (unsigned i = 0; i < im.nkeys(b); i++)
					if (Image::child(im.node(b, i)) == pg) {
						Image::set_child(im.node(b, i), to);
						found = true;
					}
			}
	REQUIRE(found);
	im.meta(im.cur_meta())->last_pgno = to;
	return to;
}

Mutator whole_file(std::function<void(std::vector<uint8_t> &)> f) {
	return [f](Image &im, PageMap &) { f(im.bytes); };
}

// In a child: the environment in `dir` opened for writing (MDB_NOSYNC), or
// exit code 3.
MDB_env *open_env_or_exit(const std::string &dir) {
	MDB_env *env;
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	if (mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644)) _exit(3);
	return env;
}

// A child that ran numbered steps: it finished, every step answered as
// expected (exit code 0, else the failing step's number) and it said done.
void expect_steps_passed(const RunResult &r) {
	INFO(r.describe());
	CHECK(r.finished);
	CHECK(r.exit_code == 0);
	CHECK(r.out.done);
}

// What check_tree_write hands its body: the environment (in `dir`), a write
// txn and the db "tree".
struct TreeWrite {
	const std::string &dir;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

// Installs `im` and runs `body` in a child on a write txn and the db "tree".
// body returns 0 when every step answered as expected, else the step's
// number (>= 5), which becomes the child's exit code.
void check_tree_write(const Image &im, const std::function<int(TreeWrite &)> &body) {
	TempDir d;
	install(d.path(), im);
	static Outcome *shared = shared_block<Outcome>();
	*shared = Outcome();
	RunResult r = run_in_child(60, shared, [&] {
		MDB_env *env = open_env_or_exit(d.path());
		MDB_txn *txn;
		MDB_dbi dbi;
		if (mdb_txn_begin(env, nullptr, 0, &txn) || mdb_dbi_open(txn, "tree", 0, &dbi)) _exit(4);
		TreeWrite w{d.path(), env, txn, dbi};
		if (int step = body(w)) _exit(step);
		mdb_env_close(env);
		shared->done = true;
		test_support::child_exit(0);
	});
	expect_steps_passed(r);
}

}  // namespace

TEST_CASE("hostile: the reference environment has the shapes the tests target", "[hostile]") {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	REQUIRE(im.psize >= 4096);
	CHECK(tree(pm, "tree").depth >= 3);
	CHECK(tree(pm, "dups").depth >= 2);
	CHECK(tree(pm, "dups/D0").depth >= 2);
	CHECK(tree(pm, "fixed/F").depth >= 2);
	CHECK(pm.bignodes.size() >= 3);
	CHECK(pm.subpage_nodes.size() >= 10);
	CHECK(pm.subdb_nodes.size() >= 2);
	CHECK(pm.fixed_subpage_nodes.size() >= 10);
	CHECK(pm.fixed_subdb_nodes.size() >= 1);
	CHECK(pm.free_records.size() >= 2);
	CHECK(pm.records.size() == kNumDbs);
	CHECK(tree(pm, "ints").depth >= 2);
	// And the untouched reference passes the exercise without any error.
	TempDir d, scratch;
	install(d.path(), im);
	RunResult r = run_mode(d.path(), scratch.path(), 0, true);
	INFO(r.describe());
	CHECK(r.clean());
	CHECK((r.out.seen & ~(bit(kSuccess) | bit(kNotFound))) == 0);
	CHECK(r.out.copy_rc == 0);
	CHECK(r.out.compact_rc == 0);
	CHECK(r.out.commit_rc == 0);
}

TEST_CASE("hostile: files that are not LMDB or of another version", "[hostile]") {
	check_case("text file", whole_file([](std::vector<uint8_t> &b) {
		           std::string s;
		           while (s.size() < 16384) s += "this is not an lmdb file. ";
		           b.assign(s.begin(), s.end());
	           }),
	           bit(kInvalid), kOpenFails);
	check_case("zeros", whole_file([](std::vector<uint8_t> &b) { b.assign(8192, 0); }), bit(kInvalid),
	           kOpenFails);
	check_case("random bytes", whole_file([](std::vector<uint8_t> &b) {
		           b.resize(65536);
		           uint64_t x = 88172645463325252ull;
		           for (auto &c : b) {
			           x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			           c = uint8_t(x);
		           }
	           }),
	           bit(kInvalid), kOpenFails);
	check_case("bad magic in meta 0", [](Image &im, PageMap &) { im.meta(0)->magic ^= 1; },
	           bit(kInvalid), kOpenFails);
	check_case("bad magic in meta 1", [](Image &im, PageMap &) { im.meta(1)->magic = 0; },
	           bit(kInvalid), kOpenFails);
	check_case("meta 0 not flagged as meta", [](Image &im, PageMap &) { im.hdr(0)->flags = fmt::P_LEAF; },
	           bit(kInvalid), kOpenFails);
	check_case("version 2 in both metas",
	           [](Image &im, PageMap &) { im.meta(0)->version = im.meta(1)->version = 2; },
	           bit(kVersionMismatch), kOpenFails);
	check_case("version 0 in meta 1", [](Image &im, PageMap &) { im.meta(1)->version = 0; },
	           bit(kVersionMismatch), kOpenFails);
}

TEST_CASE("hostile: truncated files", "[hostile]") {
	check_case("one page", whole_file([](std::vector<uint8_t> &b) { b.resize(4096); }), bit(kInvalid),
	           kOpenFails);
	check_case("half a meta page", whole_file([](std::vector<uint8_t> &b) { b.resize(100); }),
	           bit(kInvalid), kOpenFails);
	check_case("metas only", [](Image &im, PageMap &) { im.bytes.resize(2 * im.psize); }, kBroken,
	           kPlainFails | kCompactFails);
	check_case("half of it", [](Image &im, PageMap &) { im.bytes.resize(im.npages() / 2 * im.psize); },
	           kBroken, kCompactFails);
	check_case("half of it, mid-page",
	           [](Image &im, PageMap &) { im.bytes.resize(im.npages() / 2 * im.psize + 1000); }, kBroken,
	           kCompactFails);
	check_case("last page cut short", [](Image &im, PageMap &) { im.bytes.resize(im.bytes.size() - 100); },
	           kBroken, kNoDetect);
}

TEST_CASE("hostile: an empty data file", "[hostile]") {
	TempDir d;
	write_file(d.file("data.mdb"), nullptr, 0);
	static Outcome *shared = shared_block<Outcome>();
	Plan plan;
	// Read-only: nothing can be created; an error, the file stays empty.
	*shared = Outcome();
	plan.env_flags = MDB_RDONLY;
	RunResult r = run_in_child(60, shared, [&] { exercise(d.path(), plan, shared); });
	INFO(r.describe());
	CHECK(r.finished);
	CHECK(r.out.open_rc != 0);
	struct stat st;
	REQUIRE(stat(d.file("data.mdb").c_str(), &st) == 0);
	CHECK(st.st_size == 0);
	// Read-write: like upstream, a new environment is created in it.
	*shared = Outcome();
	plan.env_flags = 0;
	r = run_in_child(60, shared, [&] { exercise(d.path(), plan, shared); });
	INFO(r.describe());
	CHECK(r.clean());
	CHECK(r.out.open_rc == 0);
	CHECK((r.out.seen & ~(bit(kSuccess) | bit(kNotFound))) == 0);
	REQUIRE(stat(d.file("data.mdb").c_str(), &st) == 0);
	CHECK(st.st_size >= 2 * 4096);
}

TEST_CASE("hostile: bad page size in the meta", "[hostile]") {
	for (unsigned ps : {0u, 256u, 1000u, 4097u, 65536u, 1u << 20}) {
		check_case(("page size " + std::to_string(ps)).c_str(),
		           [ps](Image &im, PageMap &) { im.meta(0)->dbs[0].pad = im.meta(1)->dbs[0].pad = ps; },
		           bit(kInvalid), kOpenFails);
	}
	check_case("page size 8192 in both",
	           [](Image &im, PageMap &) { im.meta(0)->dbs[0].pad = im.meta(1)->dbs[0].pad = 8192; },
	           kBroken | bit(kInvalid), kNone);
	check_case("page size 1000 in the newer meta 1", [](Image &im, PageMap &) {
		im.meta(1)->txnid = im.meta(0)->txnid + 1;
		im.meta(1)->dbs[0].pad = 1000;
	}, bit(kInvalid), kOpenFails);
	check_case("page size 2048 in the newer meta 1", [](Image &im, PageMap &) {
		im.meta(1)->txnid = im.meta(0)->txnid + 1;
		im.meta(1)->dbs[0].pad = 2048;
	}, kBroken, kOpenFails);
}

TEST_CASE("hostile: root page numbers out of range", "[hostile]") {
	auto meta_of = [](Image &im) { return im.meta(im.cur_meta()); };
	check_case("main root past the end", [&](Image &im, PageMap &) {
		meta_of(im)->dbs[fmt::kMainDbi].root = im.npages() + 1000;
	}, kBroken, kPlainFails | kCompactFails);
	check_case("main root far out", [&](Image &im, PageMap &) {
		meta_of(im)->dbs[fmt::kMainDbi].root = uint64_t(1) << 50;
	}, kBroken, kPlainFails | kCompactFails);
	check_case("main root is meta page 1", [&](Image &im, PageMap &) {
		meta_of(im)->dbs[fmt::kMainDbi].root = 1;
	}, kBroken, kPlainFails | kCompactFails);
	check_case("free root past the end", [&](Image &im, PageMap &) {
		meta_of(im)->dbs[fmt::kFreeDbi].root = im.npages() + 5;
	}, kBroken, kWriteOnly | kPlainFails | kCompactFails);
	check_case("last_pgno 1", [&](Image &im, PageMap &) { meta_of(im)->last_pgno = 1; }, kBroken,
	           kPlainFails | kCompactFails);
	check_case("last_pgno beyond the file", [&](Image &im, PageMap &) {
		meta_of(im)->last_pgno = im.npages() * 3;
	}, kBroken, kNoDetect);
	check_case("named db root past the end", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("tree");
		RecordEdit r(im, l);
		r->root = im.npages() + 3;
	}, kBroken, kCompactFails);
	check_case("named db root is a leaf of another db", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("tree");
		RecordEdit r(im, l);
		r->root = pick(tree(pm, "big"), 0);
	}, kBroken, kNoDetect);
	check_case("sub-db root past the end", [](Image &im, PageMap &pm) {
		Loc l = pm.subdb_nodes.at(0);
		RecordEdit r(im, l);
		r->root = im.npages() + 7;
	}, kBroken, kCompactFails);
}

TEST_CASE("hostile: db flags in the meta page", "[hostile]") {
	// The free db is never DUPSORT; its internal cursors have no sub-cursor.
	for (uint16_t f : {uint16_t(MDB_DUPSORT), uint16_t(MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP),
	                   uint16_t(MDB_DUPFIXED), uint16_t(MDB_REVERSEKEY), uint16_t(0)}) {
		check_case(("free db flags " + std::to_string(f)).c_str(), [f](Image &im, PageMap &) {
			im.meta(im.cur_meta())->dbs[fmt::kFreeDbi].flags = f;
		}, kBroken, kNoDetect);
		check_case(("main db flags " + std::to_string(f)).c_str(), [f](Image &im, PageMap &) {
			im.meta(im.cur_meta())->dbs[fmt::kMainDbi].flags = f;
		}, kBroken | bit(kIncompatible), kNoDetect);
	}
}

// Flags the free or main db cannot have make mdb_env_open answer
// MDB_INVALID (issue 14; py-lmdb's CVE-2019-16224 patch rejects DUPFIXED
// without DUPSORT; a DUPSORT free db has no sub-cursor to read with).
TEST_CASE("hostile: impossible core db flags fail mdb_env_open with MDB_INVALID", "[hostile]") {
	for (uint16_t f : {uint16_t(MDB_DUPSORT | MDB_INTEGERKEY), uint16_t(MDB_DUPFIXED | MDB_INTEGERKEY),
	                   uint16_t(MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERKEY), uint16_t(MDB_REVERSEKEY | MDB_INTEGERKEY),
	                   uint16_t(MDB_INTEGERDUP | MDB_INTEGERKEY), uint16_t(0)}) {
		check_case(("free db flags " + std::to_string(f)).c_str(), [f](Image &im, PageMap &) {
			im.meta(im.cur_meta())->dbs[fmt::kFreeDbi].flags = f;
		}, bit(kInvalid), kOpenFails);
	}
	for (uint16_t f : {uint16_t(MDB_DUPFIXED), uint16_t(MDB_DUPFIXED | MDB_INTEGERDUP),
	                   uint16_t(MDB_DUPFIXED | MDB_INTEGERKEY), uint16_t(0x80), uint16_t(0x101)}) {
		check_case(("main db flags " + std::to_string(f)).c_str(), [f](Image &im, PageMap &) {
			im.meta(im.cur_meta())->dbs[fmt::kMainDbi].flags = f;
		}, bit(kInvalid), kOpenFails);
	}
}

// A named db's record with impossible flags (DUPFIXED without DUPSORT,
// unknown bits): mdb_dbi_open answers MDB_INVALID (as py-lmdb's patched
// LMDB does).  INTEGERDUP or REVERSEDUP without DUPSORT are accepted:
// upstream creates such dbs and ignores those flags.
TEST_CASE("hostile: impossible flags in a named db's record fail mdb_dbi_open", "[hostile]") {
	for (uint16_t f : {uint16_t(MDB_DUPFIXED), uint16_t(MDB_DUPFIXED | MDB_INTEGERDUP | MDB_INTEGERKEY),
	                   uint16_t(0x80), uint16_t(0xffff)}) {
		for (const char *db : {"fixed", "dups", "tree"}) {
			check_case((std::string(db) + " record flags " + std::to_string(f)).c_str(), [f, db](Image &im, PageMap &pm) {
				RecordEdit r(im, pm.records.at(db));
				r->flags = f;
			}, bit(kInvalid), kNone);
		}
	}
}

// LEAF2 pages: the page's item size (mp_pad) must be the db's; a sub-page's
// (its only source) must be a possible item size.
TEST_CASE("hostile: LEAF2 item size in the page header", "[hostile]") {
	Image probe = reference_image();
	PageMap probe_map = map_pages(probe);
	std::string subdb;
	for (auto &t : probe_map.trees)
		if (t.first.rfind("fixed/", 0) == 0) subdb = t.first;
	REQUIRE(!subdb.empty());
	const uint16_t pad = probe.hdr(probe_map.trees.at(subdb).level.back().at(0))->pad;
	REQUIRE(pad > 0);
	for (uint16_t bad : {uint16_t(0), uint16_t(pad + 1), uint16_t(pad - 1), uint16_t(4096), uint16_t(0xffff)}) {
		check_case(("sub-db leaf pad " + std::to_string(bad)).c_str(), [bad, subdb](Image &im, PageMap &pm) {
			for (uint64_t pg : tree(pm, subdb.c_str()).level.back()) im.hdr(pg)->pad = bad;
		}, kCorruptBit, kNone);
	}
	for (uint16_t bad : {uint16_t(0), uint16_t(512), uint16_t(4096)}) {
		check_case(("sub-page pad " + std::to_string(bad)).c_str(), [bad](Image &im, PageMap &pm) {
			REQUIRE(!pm.fixed_subpage_nodes.empty());
			for (const Loc &l : pm.fixed_subpage_nodes)
				reinterpret_cast<fmt::PageHeader *>(Image::ndata(im.node(l.pg, l.idx)))->pad = bad;
		}, kCorruptBit, kNone);
	}
}

TEST_CASE("hostile: db flags in a named db's record", "[hostile]") {
	// Found by the fuzzer: DUPFIXED without DUPSORT leaves the cursor with no
	// sub-cursor for MDB_GET_MULTIPLE.
	for (uint16_t f : {uint16_t(MDB_DUPFIXED), uint16_t(MDB_DUPFIXED | MDB_INTEGERDUP), uint16_t(0),
	                   uint16_t(MDB_INTEGERKEY), uint16_t(0xffff)}) {
		for (const char *db : {"fixed", "dups", "tree"}) {
			check_case((std::string(db) + " record flags " + std::to_string(f)).c_str(),
			           [f, db](Image &im, PageMap &pm) {
				           {
					           RecordEdit r(im, pm.records.at(db));
					           r->flags = f;
				           }
				           // And a first item that is a plain node.
				           uint64_t leaf = tree(pm, db).level.back().at(0);
				           im.node(leaf, 0)->flags = 0;
			           }, kBroken | bit(kIncompatible) | bit(kBadValSize), kNoDetect);
		}
	}
}

TEST_CASE("hostile: tree depth in the record", "[hostile]") {
	for (uint16_t depth : {uint16_t(1), uint16_t(2), uint16_t(9), uint16_t(0xffff)}) {
		check_case(("depth " + std::to_string(depth)).c_str(), [depth](Image &im, PageMap &pm) {
			Loc l = pm.records.at("tree");
			RecordEdit r(im, l);
			r->depth = depth;
		}, kBroken, kNone);
	}
}

TEST_CASE("hostile: child page numbers out of range", "[hostile]") {
	check_case("branch child past the end", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 1);
		Image::set_child(im.node(pg, 1), im.npages() + 10);
	}, kBroken, kCompactFails);
	check_case("branch child far out", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 0);
		Image::set_child(im.node(pg, 0), uint64_t(0xffff) << 32);
	}, kBroken, kCompactFails);
	check_case("branch child is meta page 0", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 1, 1);
		Image::set_child(im.node(pg, 0), 0);
	}, kBroken, kCompactFails);
	check_case("sub-db branch child past the end", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "dups/D0"), 0);
		Image::set_child(im.node(pg, 1), im.npages() + 1);
	}, kBroken, kCompactFails);
}

TEST_CASE("hostile: wrong page types", "[hostile]") {
	struct T {
		const char *name;
		unsigned level;
		uint16_t flags;
	};
	for (T t : {T{"branch flagged leaf", 1, fmt::P_LEAF}, T{"root flagged leaf", 0, fmt::P_LEAF},
	            T{"leaf flagged branch", 2, fmt::P_BRANCH}, T{"leaf flagged overflow", 2, fmt::P_OVERFLOW},
	            T{"leaf flagged meta", 2, fmt::P_META}, T{"leaf with no type", 2, 0},
	            T{"leaf flagged leaf2", 2, fmt::P_LEAF | fmt::P_LEAF2},
	            T{"branch flagged leaf2", 1, fmt::P_LEAF | fmt::P_LEAF2},
	            T{"branch flagged branch+leaf", 1, fmt::P_LEAF | fmt::P_BRANCH},
	            T{"leaf flagged sub-page", 2, fmt::P_LEAF | fmt::P_SUBP},
	            // A dirty page is written in place: never trust the flag from the file.
	            T{"leaf flagged dirty", 2, fmt::P_LEAF | fmt::P_DIRTY},
	            T{"branch flagged dirty", 1, fmt::P_BRANCH | fmt::P_DIRTY},
	            T{"root flagged dirty", 0, fmt::P_BRANCH | fmt::P_DIRTY}}) {
		check_case(t.name, [t](Image &im, PageMap &pm) {
			uint64_t pg = pick(tree(pm, "tree"), t.level, t.level ? 1 : 0);
			im.hdr(pg)->flags = t.flags;
		}, kBroken, kCompactFails);
	}
	check_case("sub-db leaf flagged branch", [](Image &im, PageMap &pm) {
		im.hdr(pick(tree(pm, "dups/D0"), 1, 1))->flags = fmt::P_BRANCH;
	}, kBroken, kNone);
	check_case("LEAF2 sub-db leaf flagged plain leaf", [](Image &im, PageMap &pm) {
		im.hdr(pick(tree(pm, "fixed/F"), 1, 0))->flags = fmt::P_LEAF;
	}, kBroken, kNoDetect);
	check_case("LEAF2 sub-db leaves flagged plain leaf, big key size", [](Image &im, PageMap &pm) {
		for (uint64_t pg : tree(pm, "fixed/F").level.back()) im.hdr(pg)->flags = fmt::P_LEAF;
		Loc l = pm.fixed_subdb_nodes.at(0);
		RecordEdit r(im, l);
		r->pad = 2000;
	}, kBroken, kNone);
	check_case("main db leaf flagged branch", [](Image &im, PageMap &pm) {
		im.hdr(pick(tree(pm, "main"), 0))->flags = fmt::P_BRANCH;
	}, kBroken, kCompactFails);
	check_case("free db leaf flagged branch", [](Image &im, PageMap &pm) {
		im.hdr(pick(tree(pm, "free"), 0))->flags = fmt::P_BRANCH;
	}, kBroken, kWriteOnly | kCompactFails);
}

TEST_CASE("hostile: lower/upper out of bounds", "[hostile]") {
	struct T {
		const char *name;
		const char *tree;
		unsigned level;
		int which;  // 0: lower > upper, 1: upper > psize, 2: lower < header, 3: lower odd huge
	};
	for (T t : {T{"leaf lower > upper", "tree", 2, 0}, T{"leaf upper > page", "tree", 2, 1},
	            T{"leaf lower < header", "tree", 2, 2}, T{"leaf lower = 0xffff", "tree", 2, 3},
	            T{"branch lower > upper", "tree", 1, 0}, T{"branch upper > page", "tree", 1, 1},
	            T{"branch lower < header", "tree", 1, 2}, T{"root lower = 0xffff", "tree", 0, 3},
	            T{"LEAF2 leaf upper > page", "fixed/F", 1, 1},
	            T{"LEAF2 leaf lower = 0xffff", "fixed/F", 1, 3},
	            T{"free leaf upper > page", "free", 0, 1}}) {
		check_case(t.name, [t](Image &im, PageMap &pm) {
			fmt::PageHeader *h = im.hdr(pick(tree(pm, t.tree), t.level));
			switch (t.which) {
			case 0: h->lower = uint16_t(h->upper + 2); break;
			case 1: h->upper = uint16_t(im.psize + 8); break;
			case 2: h->lower = 8; break;
			default: h->lower = 0xffff; break;
			}
		}, kBroken, std::string(t.tree) == "free" ? kWriteOnly : kNone);
	}
}

TEST_CASE("hostile: nodes outside their page", "[hostile]") {
	struct T {
		const char *name;
		unsigned level;
		unsigned idx;
		int what;  // 0: ptr at page end, 1: ptr inside header, 2: ksize huge, 3: dsize huge, 4: ptr odd past end
	};
	for (T t : {T{"leaf node ptr at page end", 2, 0, 0}, T{"leaf node ptr in header", 2, 1, 1},
	            T{"leaf key size larger than page", 2, 0, 2}, T{"leaf data size larger than page", 2, 1, 3},
	            T{"last leaf node data size 4G", 2, 0, 5},
	            T{"branch node ptr at page end", 1, 1, 0}, T{"branch node ptr in header", 1, 0, 1},
	            T{"branch key size larger than page", 1, 1, 2}, T{"root key size larger than page", 0, 1, 2},
	            T{"leaf node ptr 0xffff", 2, 1, 4}}) {
		check_case(t.name, [t](Image &im, PageMap &pm) {
			uint64_t pg = pick(tree(pm, "tree"), t.level, t.level ? 1 : 0);
			switch (t.what) {
			case 0: im.set_ptr(pg, t.idx, uint16_t(im.psize - 4)); break;
			case 1: im.set_ptr(pg, t.idx, 4); break;
			case 2: im.node(pg, t.idx)->ksize = 5000; break;
			case 3: Image::set_dsize(im.node(pg, t.idx), 100000); break;
			case 4: im.set_ptr(pg, t.idx, 0xffff); break;
			default: Image::set_dsize(im.node(pg, im.nkeys(pg) - 1), 0xffffffffu); break;
			}
		}, kBroken, kNone);
	}
	// Integer keys: the key size of node 1 picks the comparison on branch
	// pages, so it is read before any search probe.
	check_case("INTEGERKEY branch node 1 ptr far out", [](Image &im, PageMap &pm) {
		im.set_ptr(pick(tree(pm, "ints"), 0), 1, 0xfff0);
	}, kBroken, kCompactFails);
	check_case("INTEGERKEY leaf key of 2 bytes", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "ints"), 1, 1);
		fmt::Node *n = im.node(pg, im.nkeys(pg) - 1);
		n->ksize = 2;
		Image::set_dsize(n, Image::dsize(n) + 6);
	}, kBroken, kNoDetect);
	// Overlapping nodes, each inside its page and well-formed on its own: a
	// read finds nothing wrong, but the write paths move nodes by their sizes
	// and would run past the page, so copy-on-write must refuse the page.
	check_case("two leaf pointers to one node", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 2, 1);
		im.set_ptr(pg, 1, im.ptr(pg, 0));
	}, kBroken, kWriteOnly);
	check_case("leaf node inside another node's key", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 2, 1);
		uint16_t at = uint16_t(im.ptr(pg, 0) + 8 + 20);  // 200-byte keys: room for a small node
		auto *fake = reinterpret_cast<fmt::Node *>(im.page(pg) + at);
		fake->flags = 0;
		fake->ksize = 4;
		Image::set_dsize(fake, 8);
		im.set_ptr(pg, 1, at);
	}, kBroken, kWriteOnly);
	// The last node moved up one byte (its data one byte shorter): it still
	// ends at the page end, but nodes occupy an even number of bytes, so
	// deleting it would move one byte past the page.
	check_case("leaf node at an odd offset up to the page end", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 2, 1);
		unsigned last = 0;
		for (unsigned i = 1; i < im.nkeys(pg); i++)
			if (im.ptr(pg, i) > im.ptr(pg, last)) last = i;
		uint16_t at = im.ptr(pg, last);
		fmt::Node *n = im.node(pg, last);
		uint32_t span = 8 + n->ksize + Image::dsize(n);
		REQUIRE(at + span == im.psize);
		std::memmove(im.page(pg) + at + 1, im.page(pg) + at, span - 1);
		im.set_ptr(pg, last, uint16_t(at + 1));
		Image::set_dsize(im.node(pg, last), Image::dsize(im.node(pg, last)) - 1);
	}, kBroken, kWriteOnly);
	check_case("main db record node key size huge", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("dups");
		im.node(l.pg, l.idx)->ksize = 0xfff0;
	}, kBroken, kCompactFails);
}

TEST_CASE("hostile: overflow pages", "[hostile]") {
	auto ov = [](Image &im, Loc l) {
		uint64_t pg;
		std::memcpy(&pg, Image::ndata(im.node(l.pg, l.idx)), 8);
		return pg;
	};
	check_case("overflow count runs past the end", [&](Image &im, PageMap &pm) {
		im.hdr(ov(im, pm.bignodes.at(1)))->overflow_pages = 1000000;
	}, kBroken, kCompactFails);
	check_case("overflow count 0", [&](Image &im, PageMap &pm) {
		im.hdr(ov(im, pm.bignodes.at(1)))->overflow_pages = 0;
	}, kBroken, kCompactFails);
	check_case("overflow count smaller than the data", [&](Image &im, PageMap &pm) {
		Loc l = pm.bignodes.back();
		im.hdr(ov(im, l))->overflow_pages = 1;
		Image::set_dsize(im.node(l.pg, l.idx), 3 * im.psize);
	}, kBroken, kNone);
	check_case("overflow page number is a branch page", [&](Image &im, PageMap &pm) {
		Loc l = pm.bignodes.at(0);
		uint64_t br = pick(tree(pm, "tree"), 1);
		std::memcpy(Image::ndata(im.node(l.pg, l.idx)), &br, 8);
	}, kBroken, kCompactFails);
	check_case("overflow page number past the end", [&](Image &im, PageMap &pm) {
		Loc l = pm.bignodes.at(0);
		uint64_t pg = im.npages() + 2;
		std::memcpy(Image::ndata(im.node(l.pg, l.idx)), &pg, 8);
	}, kBroken, kCompactFails);
	check_case("overflow page number is a meta page", [&](Image &im, PageMap &pm) {
		Loc l = pm.bignodes.at(0);
		uint64_t pg = 1;
		std::memcpy(Image::ndata(im.node(l.pg, l.idx)), &pg, 8);
	}, kBroken, kCompactFails);
	check_case("overflow page flagged dirty", [&](Image &im, PageMap &pm) {
		for (Loc l : pm.bignodes) im.hdr(ov(im, l))->flags |= fmt::P_DIRTY;
	}, kBroken, kNone);
	check_case("overflow header flagged leaf", [&](Image &im, PageMap &pm) {
		im.hdr(ov(im, pm.bignodes.at(2)))->flags = fmt::P_LEAF;
	}, kBroken, kCompactFails);
	check_case("big node data size larger than its run", [&](Image &im, PageMap &pm) {
		Loc l = pm.bignodes.at(0);
		Image::set_dsize(im.node(l.pg, l.idx), 0x7fffffff);
	}, kBroken, kNone);
}

TEST_CASE("hostile: node flags that do not fit the db", "[hostile]") {
	check_case("F_DUPDATA in a non-dupsort db", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 2, 2);
		im.node(pg, 1)->flags |= fmt::F_DUPDATA;
	}, kCorruptBit, kNone);
	check_case("F_DUPDATA|F_SUBDATA in a non-dupsort db", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 2, 3);
		im.node(pg, 0)->flags |= fmt::F_DUPDATA | fmt::F_SUBDATA;
	}, kCorruptBit, kNone);
	check_case("F_SUBDATA in the main db with a short record", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("big");
		Image::set_dsize(im.node(l.pg, l.idx), 40);
	}, kCorruptBit, kCompactFails);
	check_case("F_SUBDATA in the main db with a long record", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("tree");
		Image::set_dsize(im.node(l.pg, l.idx), 60);
	}, kBroken, kCompactFails);
	check_case("dup sub-db record of wrong size", [](Image &im, PageMap &pm) {
		Loc l = pm.subdb_nodes.at(0);
		Image::set_dsize(im.node(l.pg, l.idx), 20);
	}, kCorruptBit, kCompactFails);
	check_case("F_BIGDATA on a sub-page node", [](Image &im, PageMap &pm) {
		Loc l = pm.subpage_nodes.at(3);
		im.node(l.pg, l.idx)->flags |= fmt::F_BIGDATA;
	}, kCorruptBit, kNone);
	// F_BIGDATA leaves the data size out of the node's bounds (the node
	// holds a page number), so a sub-page under that flag is not bounded by
	// its node: a huge size and header must not send the reader past the
	// page (or past the end of the file: SIGBUS).
	// The leaf moved to a new last page of the file, its sub-page's header
	// claiming just enough items that the last one's pointer lies past the
	// end of the file.
	check_case("F_BIGDATA on a sub-page node with a huge size and header", [](Image &im, PageMap &pm) {
		Loc l = pm.subpage_nodes.at(0);
		l.pg = move_to_end(im, pm, l.pg);
		fmt::Node *n = im.node(l.pg, l.idx);
		n->flags |= fmt::F_BIGDATA;
		Image::set_dsize(n, 0x7fffffff);
		uint8_t *sp = Image::ndata(n);
		size_t to_end = size_t(im.bytes.data() + im.bytes.size() - sp);
		REQUIRE(to_end + 2 <= 0xfffe);
		auto *h = reinterpret_cast<fmt::PageHeader *>(sp);
		h->lower = h->upper = uint16_t((to_end + 3) & ~size_t(1));
	}, kCorruptBit, kNone);
	check_case("F_BIGDATA on a sub-db record node", [](Image &im, PageMap &pm) {
		Loc l = pm.subdb_nodes.at(0);
		im.node(l.pg, l.idx)->flags |= fmt::F_BIGDATA;
	}, kCorruptBit, kNone);
	check_case("F_SUBDATA flag dropped from a main db record", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("fixed");
		im.node(l.pg, l.idx)->flags = 0;
	}, kBroken | bit(kIncompatible), kNone);
}

TEST_CASE("hostile: sub-pages", "[hostile]") {
	auto sub = [](Image &im, Loc l) {
		return reinterpret_cast<fmt::PageHeader *>(Image::ndata(im.node(l.pg, l.idx)));
	};
	auto subptr = [&](Image &im, Loc l, unsigned i, uint16_t v) {
		std::memcpy(reinterpret_cast<uint8_t *>(sub(im, l)) + fmt::kPageHeaderSize + 2 * i, &v, 2);
	};
	check_case("sub-page lower > upper", [&](Image &im, PageMap &pm) {
		fmt::PageHeader *h = sub(im, pm.subpage_nodes.at(2));
		h->lower = uint16_t(h->upper + 4);
	}, kBroken, kNone);
	check_case("sub-page upper past the node", [&](Image &im, PageMap &pm) {
		sub(im, pm.subpage_nodes.at(2))->upper = 3000;
	}, kBroken, kNone);
	check_case("sub-page lower past the node", [&](Image &im, PageMap &pm) {
		fmt::PageHeader *h = sub(im, pm.subpage_nodes.at(2));
		h->lower = 0xfff0;
		h->upper = 0xfff0;
	}, kBroken, kNone);
	check_case("sub-page node pointer far out", [&](Image &im, PageMap &pm) {
		subptr(im, pm.subpage_nodes.at(4), 1, 0xfff0);
	}, kBroken, kNone);
	check_case("sub-page node pointer in its header", [&](Image &im, PageMap &pm) {
		subptr(im, pm.subpage_nodes.at(4), 0, 2);
	}, kBroken, kNone);
	check_case("sub-page node key size huge", [&](Image &im, PageMap &pm) {
		Loc l = pm.subpage_nodes.at(5);
		fmt::PageHeader *h = sub(im, l);
		uint16_t off;
		std::memcpy(&off, reinterpret_cast<uint8_t *>(h) + fmt::kPageHeaderSize, 2);
		reinterpret_cast<fmt::Node *>(reinterpret_cast<uint8_t *>(h) + off)->ksize = 60000;
	}, kBroken, kNone);
	check_case("sub-page: two pointers to one node", [&](Image &im, PageMap &pm) {
		Loc l = pm.subpage_nodes.at(4);
		uint16_t first;
		std::memcpy(&first, reinterpret_cast<uint8_t *>(sub(im, l)) + fmt::kPageHeaderSize, 2);
		subptr(im, l, 1, first);
	}, kBroken, kWriteOnly);
	check_case("sub-page flagged branch", [&](Image &im, PageMap &pm) {
		sub(im, pm.subpage_nodes.at(6))->flags = fmt::P_BRANCH | fmt::P_SUBP;
	}, kBroken, kNone);
	check_case("DUPFIXED sub-page key size huge", [&](Image &im, PageMap &pm) {
		sub(im, pm.fixed_subpage_nodes.at(3))->pad = 4000;
	}, kBroken, kNone);
	// Writes copy pad bytes of each new item: a pad from the file larger
	// than the items must not make them read past the caller's data.
	for (unsigned i = 0; i < 6; i++) {
		check_case(("DUPFIXED sub-page pad larger than the items #" + std::to_string(i)).c_str(),
		           [&, i](Image &im, PageMap &pm) {
			           fmt::PageHeader *h = sub(im, pm.fixed_subpage_nodes.at(i));
			           h->lower = fmt::kPageHeaderSize + 2;
			           h->pad = 24;
		           }, kBroken | bit(kBadValSize), kNoDetect);
	}
	check_case("DUPFIXED sub-page lower huge", [&](Image &im, PageMap &pm) {
		fmt::PageHeader *h = sub(im, pm.fixed_subpage_nodes.at(3));
		h->lower = uint16_t(h->upper);
	}, kBroken, kNoDetect);
	check_case("DUPFIXED sub-db key size huge", [](Image &im, PageMap &pm) {
		Loc l = pm.fixed_subdb_nodes.at(0);
		RecordEdit r(im, l);
		r->pad = 4000;
	}, kBroken, kNone);
	check_case("DUPFIXED sub-db key size 0", [](Image &im, PageMap &pm) {
		Loc l = pm.fixed_subdb_nodes.at(0);
		RecordEdit r(im, l);
		r->pad = 0;
	}, kBroken, kNone);
}

TEST_CASE("hostile: cycles in the tree terminate", "[hostile]") {
	const uint32_t expect = kBroken;
	check_case("branch points to itself", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 1, 1);
		Image::set_child(im.node(pg, 1), pg);
	}, expect, kCompactFails);
	check_case("branch slot 0 points to itself", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 1, 0);
		Image::set_child(im.node(pg, 0), pg);
	}, expect, kCompactFails);
	check_case("root points to itself", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "tree"), 0);
		Image::set_child(im.node(pg, im.nkeys(pg) - 1), pg);
	}, expect, kCompactFails);
	check_case("branch points to the root", [](Image &im, PageMap &pm) {
		uint64_t root = pick(tree(pm, "tree"), 0);
		uint64_t pg = pick(tree(pm, "tree"), 1, 1);
		Image::set_child(im.node(pg, 0), root);
	}, expect, kCompactFails);
	check_case("every branch slot points to the root", [](Image &im, PageMap &pm) {
		uint64_t root = pick(tree(pm, "tree"), 0);
		for (uint64_t pg : tree(pm, "tree").level[1])
			for (unsigned i = 0; i < im.nkeys(pg); i++) Image::set_child(im.node(pg, i), root);
	}, expect, kCompactFails);
	check_case("all leaves shared (no cycle)", [](Image &im, PageMap &pm) {
		uint64_t leaf = pick(tree(pm, "tree"), 2);
		for (uint64_t pg : tree(pm, "tree").level[1])
			for (unsigned i = 0; i < im.nkeys(pg); i++) Image::set_child(im.node(pg, i), leaf);
	}, expect, kNoDetect);
	check_case("sub-db branch points to itself", [](Image &im, PageMap &pm) {
		uint64_t pg = pick(tree(pm, "dups/D0"), 0);
		Image::set_child(im.node(pg, 1), pg);
	}, expect, kCompactFails);
	check_case("main db record of a named db points at the main root", [](Image &im, PageMap &pm) {
		Loc l = pm.records.at("tree");
		RecordEdit r(im, l);
		r->root = pick(tree(pm, "main"), 0);
		r->depth = 1;
	}, expect | bit(kIncompatible), kNoDetect);
}

// Rewrite page pg as a branch page with `slots` slots all pointing at child.
static void make_branch(Image &im, uint64_t pg, unsigned slots, uint64_t child) {
	uint8_t *p = im.page(pg);
	std::memset(p, 0, im.psize);
	fmt::PageHeader *h = im.hdr(pg);
	h->pgno = pg;
	h->flags = fmt::P_BRANCH;
	unsigned upper = im.psize;
	for (unsigned i = 0; i < slots; i++) {
		unsigned ks = i ? 2 : 0;
		upper -= 8 + ks;
		fmt::Node *n = reinterpret_cast<fmt::Node *>(p + upper);
		Image::set_child(n, child);
		n->ksize = uint16_t(ks);
		if (ks) {
			p[upper + 8] = uint8_t('a' + i / 26);
			p[upper + 9] = uint8_t('a' + i % 26);
		}
		im.set_ptr(pg, i, uint16_t(upper));
	}
	h->lower = uint16_t(fmt::kPageHeaderSize + 2 * slots);
	h->upper = uint16_t(upper);
}

TEST_CASE("hostile: shared pages do not multiply the work", "[hostile]") {
	// A chain of branch pages whose every slot points at the next one: as a
	// tree it has 100^20 leaves.  Dropping the db and the compacting copy
	// must stop (each page of a tree is visited once), scans are capped by
	// the caller.
	check_case("dups db as a 20-level chain of shared branch pages", [](Image &im, PageMap &pm) {
		std::vector<uint64_t> chain = tree(pm, "tree").level.back();  // reuse tree's leaves
		REQUIRE(chain.size() >= 21);
		uint64_t leaf = pick(tree(pm, "dups"), 1);
		for (unsigned i = 0; i < 20; i++) make_branch(im, chain[i], 100, i + 1 < 20 ? chain[i + 1] : leaf);
		RecordEdit r(im, pm.records.at("dups"));
		r->root = chain[0];
		r->depth = 21;
	}, kBroken, kNoDetect | kCompactFails);
}

TEST_CASE("hostile: free-list records", "[hostile]") {
	auto rec = [](Image &im, Loc l) {
		return reinterpret_cast<uint64_t *>(Image::ndata(im.node(l.pg, l.idx)));
	};
	auto set = [](uint64_t *p, unsigned i, uint64_t v) { std::memcpy(p + i, &v, 8); };
	auto get = [](uint64_t *p, unsigned i) {
		uint64_t v;
		std::memcpy(&v, p + i, 8);
		return v;
	};
	check_case("free page number past the end", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.at(0));
		set(r, 1, im.npages() + 100);
	}, kCorruptBit, kWriteOnly);
	check_case("free page number is a meta page", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.at(0));
		set(r, get(r, 0), 1);
	}, kCorruptBit, kWriteOnly);
	check_case("free pages not sorted", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.at(0));
		REQUIRE(get(r, 0) >= 2);
		uint64_t a = get(r, 1), b = get(r, 2);
		set(r, 1, b);
		set(r, 2, a);
	}, kCorruptBit, kWriteOnly);
	check_case("free pages duplicated", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.at(0));
		set(r, 2, get(r, 1));
	}, kCorruptBit, kWriteOnly);
	check_case("free record count larger than its data", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.at(0));
		set(r, 0, get(r, 0) + 1);
	}, kCorruptBit, kWriteOnly);
	check_case("free record count huge", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.back());
		set(r, 0, ~uint64_t(0) / 4);
	}, kCorruptBit, kWriteOnly | kCompactFails);
	check_case("free record data size not a multiple of 8", [&](Image &im, PageMap &pm) {
		Loc l = pm.free_records.at(0);
		Image::set_dsize(im.node(l.pg, l.idx), Image::dsize(im.node(l.pg, l.idx)) - 3);
	}, kCorruptBit, kWriteOnly);
	check_case("free record key shorter than a txnid", [&](Image &im, PageMap &pm) {
		Loc l = pm.free_records.at(0);
		im.node(l.pg, l.idx)->ksize = 2;
	}, kBroken, kWriteOnly | kNoDetect);
	check_case("free page in use by a tree", [&](Image &im, PageMap &pm) {
		uint64_t *r = rec(im, pm.free_records.at(0));
		set(r, 1, pick(tree(pm, "tree"), 0));
	}, kBroken, kNoDetect);
}

TEST_CASE("hostile: a file corrupted while open keeps failing cleanly", "[hostile]") {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	uint64_t root = pick(tree(pm, "tree"), 0);
	// Every wrong answer counts; the child's exit code is 10 + their number.
	check_tree_write(im, [&](TreeWrite &w) {
		MDB_env *env = w.env;
		MDB_dbi dbi = w.dbi;
		MDB_txn *txn;
		if (mdb_txn_commit(w.txn)) return 5;
		// Scribble over the root page of "tree" behind the library's back.
		std::vector<uint8_t> junk(im.psize, 0xA5);
		int fd = ::open((w.dir + "/data.mdb").c_str(), O_WRONLY);
		if (pwrite(fd, junk.data(), junk.size(), off_t(root * im.psize)) != ssize_t(junk.size())) return 5;
		::close(fd);
		int bad = 0;
		for (int round = 0; round < 3; round++) {
			MDB_val k{5, const_cast<char *>("t0001")}, v{3, const_cast<char *>("abc")};
			if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) return 6;
			int rc = mdb_get(txn, dbi, &k, &v);
			if (rc == 0 || rc == MDB_NOTFOUND) bad++;
			MDB_cursor *c = nullptr;
			// The failed read blocks the txn: no cursor on it either.
			if (mdb_cursor_open(txn, dbi, &c) != MDB_BAD_TXN) bad++;
			mdb_txn_abort(txn);
			if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) return 6;
			if (mdb_cursor_open(txn, dbi, &c)) return 8;
			rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
			if (rc == 0 || rc == MDB_NOTFOUND) bad++;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			if (rc == 0 || rc == MDB_NOTFOUND) bad++;
			mdb_cursor_close(c);
			mdb_txn_abort(txn);
			if (mdb_txn_begin(env, nullptr, 0, &txn)) return 7;
			k = MDB_val{5, const_cast<char *>("t0001")};
			v = MDB_val{3, const_cast<char *>("abc")};
			rc = mdb_put(txn, dbi, &k, &v, 0);
			if (rc == 0) bad++;
			rc = mdb_put(txn, dbi, &k, &v, 0);  // the txn is now unusable
			if (rc == 0) bad++;
			rc = mdb_txn_commit(txn);
			if (rc == 0) bad++;
		}
		return bad ? 10 + bad : 0;
	});
}

// A put may leave the leaf it copied unchecked (it adds a node into the free
// space or, as here, overwrites a value in place); the next change to that
// leaf must check it whole and refuse the overlapping nodes.
TEST_CASE("hostile: a leaf left unchecked by a put is checked before the next change", "[hostile]") {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	uint64_t pg = pick(tree(pm, "tree"), 2, 1);
	REQUIRE(im.nkeys(pg) > 3);
	auto key_of = [&](unsigned i) {
		fmt::Node *n = im.node(pg, i);
		return std::string(reinterpret_cast<const char *>(n) + 8, n->ksize);
	};
	std::string k0 = key_of(0), k2 = key_of(2);
	uint32_t v2size = Image::dsize(im.node(pg, 2));
	im.set_ptr(pg, 1, im.ptr(pg, 0));  // two pointers to one node
	check_tree_write(im, [&](TreeWrite &w) {
		MDB_txn *txn = w.txn;
		MDB_dbi dbi = w.dbi;
		std::string val(v2size, 'v');  // same size: overwritten in place
		MDB_val k{k2.size(), k2.data()}, v{val.size(), val.data()};
		if (mdb_put(txn, dbi, &k, &v, 0) != 0) return 5;
		MDB_val got;
		if (mdb_get(txn, dbi, &k, &got) != 0 || got.mv_size != val.size() ||
		    std::memcmp(got.mv_data, val.data(), val.size()) != 0)
			return 6;
		MDB_val kd{k0.size(), k0.data()};
		if (mdb_del(txn, dbi, &kd, nullptr) != MDB_CORRUPTED) return 7;
		if (mdb_txn_commit(txn) == 0) return 8;
		return 0;
	});
}

// A put defers the whole-page check of the branch pages it passes (one put
// sets a child page number, or adds a node into free space): two pointers
// to one node of the branch page on the rightmost path pass the first put
// of a key past every other; the next change through that page checks it
// and is refused, and so is the commit.
TEST_CASE("hostile: a branch page left unchecked by a put is checked before the next change", "[hostile]") {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	uint64_t root = pick(tree(pm, "tree"), 0);
	uint64_t br = Image::child(im.node(root, im.nkeys(root) - 1));
	REQUIRE(im.hdr(br)->flags & fmt::P_BRANCH);
	REQUIRE(im.nkeys(br) > 3);
	im.set_ptr(br, 1, im.ptr(br, 0));  // two pointers to one node
	check_tree_write(im, [&](TreeWrite &w) {
		std::string val(40, 'v');
		MDB_val k{5, const_cast<char *>("\xff\xff\xff\xff\xff")}, v{val.size(), val.data()};
		if (mdb_put(w.txn, w.dbi, &k, &v, 0) != 0) return 5;
		MDB_val got;
		if (mdb_get(w.txn, w.dbi, &k, &got) != 0 || got.mv_size != val.size()) return 6;
		MDB_val k2{5, const_cast<char *>("\xff\xff\xff\xff\xfe")};
		if (mdb_put(w.txn, w.dbi, &k2, &v, 0) != MDB_CORRUPTED) return 7;
		if (mdb_txn_commit(w.txn) == 0) return 8;
		return 0;
	});
}

// No value is bigger than 0xffffffff bytes, so no run of overflow pages is
// longer than the pages such a value takes.  A longer run inside a (sparse)
// file big enough to hold it is damage: reading the value and dropping its
// db answer MDB_CORRUPTED (the drop would otherwise list every page of the
// run as free: a 16 TiB file made it ask for 24 GiB).
TEST_CASE("hostile: an overflow run longer than the largest value", "[hostile]") {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	Loc l = pm.bignodes.at(0);
	uint64_t ov;
	std::memcpy(&ov, Image::ndata(im.node(l.pg, l.idx)), 8);
	const uint64_t longest = (0xffffffffull + fmt::kPageHeaderSize - 1) / im.psize + 1;
	im.hdr(ov)->overflow_pages = uint32_t(longest + 1);
	const uint64_t last = ov + longest + 8;
	for (unsigned m = 0; m < 2; m++) im.meta(m)->last_pgno = last;
	TempDir d;
	install(d.path(), im);
	REQUIRE(::truncate((d.path() + "/data.mdb").c_str(), off_t((last + 1) * im.psize)) == 0);
	static Outcome *shared = shared_block<Outcome>();
	*shared = Outcome();
	RunResult r = run_in_child(60, shared, [&] {
		MDB_env *env;
		mdb_env_create(&env);
		mdb_env_set_maxdbs(env, 8);
		mdb_env_set_mapsize(env, size_t(last + 64) * im.psize);
		if (mdb_env_open(env, d.path().c_str(), MDB_NOSYNC, 0644)) _exit(3);
		MDB_txn *txn;
		MDB_dbi dbi;
		if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) || mdb_dbi_open(txn, "big", 0, &dbi)) _exit(4);
		MDB_cursor *c;
		if (mdb_cursor_open(txn, dbi, &c)) _exit(4);
		MDB_val k, v;
		int rc;
		while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		}
		if (rc != MDB_CORRUPTED) _exit(5);
		mdb_cursor_close(c);
		mdb_txn_commit(txn);  // (keeps the handle)
		if (mdb_txn_begin(env, nullptr, 0, &txn)) _exit(4);
		rc = mdb_drop(txn, dbi, 0);
		if (rc != MDB_CORRUPTED) _exit(6);
		mdb_txn_abort(txn);
		mdb_env_close(env);
		shared->done = true;
		test_support::child_exit(0);
	});
	expect_steps_passed(r);
}

// A delete that leaves its leaf under the fill threshold makes rebalance
// merge it into its left neighbour, reading its nodes without touching it
// again.  Both leaves are cut down to their three last-placed nodes (nearly
// empty, so they merge), and two of the right leaf's pointers name the same
// node: the delete is refused, nothing is merged.
TEST_CASE("hostile: a delete that would merge a damaged leaf is refused", "[hostile]") {
	Image im = reference_image();
	PageMap pm = map_pages(im);
	auto cut = [&](uint64_t pg, bool damage) {
		unsigned n = im.nkeys(pg);
		REQUIRE(n > 3);
		std::vector<unsigned> idx(n);
		for (unsigned i = 0; i < n; i++) idx[i] = i;
		std::sort(idx.begin(), idx.end(), [&](unsigned a, unsigned b) { return im.ptr(pg, a) > im.ptr(pg, b); });
		idx.resize(3);                       // the nodes nearest the page end ...
		std::sort(idx.begin(), idx.end());  // ... in key order
		uint16_t offs[3] = {im.ptr(pg, idx[0]), im.ptr(pg, idx[1]), im.ptr(pg, idx[2])};
		im.hdr(pg)->lower = uint16_t(fmt::kPageHeaderSize + 3 * 2);
		im.hdr(pg)->upper = std::min({offs[0], offs[1], offs[2]});
		im.set_ptr(pg, 0, offs[0]);
		im.set_ptr(pg, 1, damage ? offs[0] : offs[1]);
		im.set_ptr(pg, 2, offs[2]);
		fmt::Node *last = im.node(pg, 2);
		return std::string(reinterpret_cast<const char *>(last) + 8, last->ksize);
	};
	cut(pick(tree(pm, "tree"), 2, 0), false);
	std::string k2 = cut(pick(tree(pm, "tree"), 2, 1), true);
	check_tree_write(im, [&](TreeWrite &w) {
		MDB_val k{k2.size(), k2.data()};
		MDB_txn *txn = w.txn;
		MDB_dbi dbi = w.dbi;
		if (mdb_del(txn, dbi, &k, nullptr) != MDB_CORRUPTED) return 5;
		if (mdb_txn_commit(txn) == 0) return 6;
		return 0;
	});
}
