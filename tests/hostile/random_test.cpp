// Seeded random corruption of the reference environment: flip or overwrite
// bytes in random pages (mostly headers and node headers, sometimes the
// meta pages), then open read-only / read-write / with MDB_WRITEMAP, scan
// everything and write.  Each seed is deterministic; a failing seed is
// printed and can be replayed with HOSTILE_SEED=<seed> HOSTILE_ITERS=1.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>

#include "harness.h"

using namespace hostile;
using test_support::TempDir;
namespace fmt = lmdb::format;

namespace {

struct Rng {
	uint64_t s;
	explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
	uint64_t next() {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
	unsigned below(unsigned n) { return unsigned(next() % n); }
	bool chance(unsigned percent) { return below(100) < percent; }
};

// Values that tend to sit on boundaries of the checks.
uint64_t interesting(Rng &r, const Image &im) {
	uint64_t np = im.bytes.size() / im.psize;
	switch (r.below(12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 2;
	case 3: return np - 1;
	case 4: return np;
	case 5: return np + r.below(4);
	case 6: return im.psize;
	case 7: return im.psize - 1 - r.below(16);
	case 8: return 0xffff;
	case 9: return 0xffffffffu;
	case 10: return ~uint64_t(0);
	default: return r.below(np);
	}
}

void corrupt(Image &im, uint64_t seed) {
	Rng r(seed);
	const unsigned psize = im.psize;
	uint64_t np = im.bytes.size() / psize;
	unsigned n = 1 + r.below(4);
	for (unsigned k = 0; k < n; k++) {
		uint64_t pg;
		size_t off;
		if (r.chance(8)) {
			pg = r.below(2);
			off = r.below(fmt::kPageHeaderSize + sizeof(fmt::Meta));
		} else {
			pg = 2 + r.below(unsigned(np - 2));
			switch (r.below(4)) {
			case 0: off = r.below(fmt::kPageHeaderSize); break;             // page header
			case 1: off = fmt::kPageHeaderSize + r.below(64); break;        // node pointers
			case 2: {                                                       // a node header
				unsigned nk = (im.hdr(pg)->lower - 16u) / 2;
				if (nk && nk < psize / 2) {
					unsigned i = r.below(nk);
					uint16_t p;
					std::memcpy(&p, im.page(pg) + 16 + 2 * i, 2);
					off = p + r.below(24);
				} else {
					off = r.below(psize);
				}
				break;
			}
			default: off = r.below(psize); break;
			}
		}
		if (off >= psize) off = r.below(psize);
		uint8_t *at = im.page(pg) + off;
		switch (r.below(5)) {
		case 0: *at ^= uint8_t(1u << r.below(8)); break;
		case 1: *at = uint8_t(r.next()); break;
		case 2:
		case 3: {
			uint64_t v = interesting(r, im);
			unsigned width = 1u << r.below(4);  // 1, 2, 4 or 8 bytes
			if (off + width > psize) width = unsigned(psize - off);
			std::memcpy(at, &v, width);
			break;
		}
		default: {  // a run of garbage
			unsigned len = 1 + r.below(32);
			for (unsigned i = 0; i < len && off + i < psize; i++) at[i] = uint8_t(r.next());
			break;
		}
		}
	}
	if (r.chance(3)) im.bytes.resize(size_t(r.below(unsigned(np)) + 1) * psize);
}

struct Shared {
	Outcome out;
	uint64_t seed = 0;
	uint64_t ran = 0;
	bool failed = false;
};

uint64_t env_u64(const char *name, uint64_t dflt) {
	const char *v = std::getenv(name);
	return v && *v ? std::strtoull(v, nullptr, 0) : dflt;
}

}  // namespace

TEST_CASE("hostile: seeded random corruption", "[hostile][random]") {
	const uint64_t base = env_u64("HOSTILE_SEED", 0x5eed0001);
	const uint64_t iters = env_u64("HOSTILE_ITERS", slow_build() ? 150 : 2500);
	const uint64_t batch = 100;
	const Image &ref = reference_image();
	static Shared *sh = [] {
		void *p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) std::abort();
		return new (p) Shared();
	}();
	TempDir d, scratch;
	if (const char *dump = std::getenv("HOSTILE_DUMP")) {
		// Debugging aid: write the corrupted file of seed HOSTILE_SEED.
		Image im = ref;
		corrupt(im, base);
		write_file(dump, im.bytes.data(), im.bytes.size());
	}
	uint64_t ran = 0;
	for (uint64_t start = 0; start < iters; start += batch) {
		uint64_t end = std::min(iters, start + batch);
		*sh = Shared();
		RunResult r = run_in_child(300, nullptr, [&] {
			for (uint64_t i = start; i < end; i++) {
				uint64_t seed = base + i;
				sh->seed = seed;
				Image im = ref;
				corrupt(im, seed);
				install(d.path(), im);
				Rng pr(seed ^ 0xabcdef);
				Plan plan;
				unsigned m = pr.below(10);
				plan.env_flags = m < 3 ? MDB_RDONLY : m < 9 ? 0u : unsigned(MDB_WRITEMAP);
				plan.backwards = pr.chance(50);
				plan.rescan = pr.chance(50);
				plan.copies = pr.chance(10) && !(plan.env_flags & MDB_WRITEMAP);
				plan.copy_dir = scratch.path().c_str();
				sh->out = Outcome();
				exercise(d.path(), plan, &sh->out);
				if (sh->out.unexpected_rc || !sh->out.done) {
					sh->failed = true;
					_exit(2);
				}
				sh->ran++;
			}
		});
		ran += sh->ran;
		INFO("seed " << sh->seed << " (replay: HOSTILE_SEED=" << sh->seed
		             << " HOSTILE_ITERS=1 unit_tests '[random]'): " << r.describe()
		             << " outcome: unexpected " << sh->out.unexpected_rc << " in "
		             << sh->out.unexpected_op);
		REQUIRE(r.finished);
		REQUIRE(!sh->failed);
	}
	CHECK(ran == iters);
}
