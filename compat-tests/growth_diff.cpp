// Differential test of file growth: the same stream of write transactions
// on our library and upstream's, each in an environment of its own, and the
// data file's page count (me_last_pgno + 1) and its pages in use (each
// one's nodes, page_layout.h) compared at checkpoints.  With a batch of
// more than ~130,000 pages' worth of changes a txn spills (a long run:
// --keys 3000000 --batch 1000000).  Pages
// freed by one transaction are reused by later ones through the free-page
// database; an allocator that reuses less than upstream's grows the file
// further (LMDB files never shrink).  Ours reuses pages as upstream does
// (docs/format.md, "Page reuse order"): the page counts must be equal at
// every checkpoint.
//   lmdb_compat_growth [--keys N] [--batch OPS_PER_TXN] [--verbose]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api_table.h"
#include "page_layout.h"
#include "rng.h"

using compat::LmdbApi;
using compat::Rng;  // both sides see the same operations

namespace {

std::vector<uint32_t> shuffled(uint32_t n, uint64_t seed) {
	std::vector<uint32_t> v(n);
	for (uint32_t i = 0; i < n; i++) v[i] = i;
	Rng r(seed);
	for (uint32_t i = n; i > 1; i--) std::swap(v[i - 1], v[r.below(i)]);
	return v;
}

struct Side {
	const LmdbApi *api;
	const char *name;
	std::string dir;
	MDB_env *env = nullptr;
	MDB_dbi dbi = 0;
};

struct Key {
	char b[16];
	MDB_val v{16, b};
	MDB_val *of(uint64_t id) {
		std::snprintf(b, sizeof b, "%015" PRIx64, id);  // 15 digits and the NUL
		b[15] = 'k';
		return &v;
	}
};

// One phase of the stream: `txns` write transactions of `per_txn` operations
// each; op(i) performs operation i on a side and returns its rc.
template <class Op>
bool run_phase(Side (&sides)[2], const char *phase, long txns, long per_txn, long checkpoint, Op op,
               bool verbose, bool *ok) {
	for (long t = 0; t < txns; t++) {
		for (Side &s : sides) {
			const LmdbApi &a = *s.api;
			MDB_txn *txn;
			int rc = a.mdb_txn_begin(s.env, nullptr, 0, &txn);
			for (long i = 0; !rc && i < per_txn; i++) rc = op(s, txn, t * per_txn + i);
			if (rc) {
				std::printf("%s: %s txn %ld: rc %d (%s)\n", phase, s.name, t, rc, a.mdb_strerror(rc));
				a.mdb_txn_abort(txn);
				return false;
			}
			if ((rc = a.mdb_txn_commit(txn))) {
				std::printf("%s: %s commit %ld: rc %d\n", phase, s.name, t, rc);
				return false;
			}
		}
		if ((checkpoint < 2 || (t + 1) % checkpoint == 0) || t + 1 == txns) {
			MDB_envinfo info[2];
			for (int k = 0; k < 2; k++) sides[k].api->mdb_env_info(sides[k].env, &info[k]);
			size_t up = info[0].me_last_pgno + 1, ours = info[1].me_last_pgno + 1;
			bool good = ours == up;
			if (verbose || !good)
				std::printf("%s after %ld txns: pages upstream %zu, ours %zu%s\n", phase, t + 1, up, ours,
				            good ? "" : "  <-- not upstream's");
			// At each phase's end, the same nodes in every page in use too
			// (page_layout.h).
			if (t + 1 == txns) {
				std::string err[2];
				std::vector<compat::PageDigest> layout[2];
				for (int k = 0; k < 2; k++)
					layout[k] = compat::read_env_page_layout(*sides[k].api, sides[k].env, sides[k].dir, &err[k]);
				std::string diff = err[0] + err[1];
				if (diff.empty()) diff = compat::compare_page_layouts(layout[0], layout[1]);
				if (!diff.empty()) {
					std::printf("%s after %ld txns: file layout: %s\n", phase, t + 1, diff.c_str());
					good = false;
				}
			}
			if (!good) *ok = false;
		}
	}
	return true;
}

}  // namespace

int main(int argc, char **argv) {
	uint32_t keys = 100000;
	long per_txn = 1000;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		if (!std::strcmp(argv[i], "--keys") && i + 1 < argc) keys = uint32_t(std::strtoul(argv[++i], nullptr, 0));
		if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) per_txn = std::strtol(argv[++i], nullptr, 0);
		if (!std::strcmp(argv[i], "--verbose")) verbose = true;
	}
	const compat::ApiPair &pair = compat::apis();
	if (compat::is_placeholder(pair.ours)) return 77;
	char tmpl[] = "/dev/shm/lmdb-growth-XXXXXX";
	if (!mkdtemp(tmpl)) return 2;
	Side sides[2];
	sides[0].api = &pair.upstream;
	sides[0].name = "upstream";
	sides[1].api = &pair.ours;
	sides[1].name = "ours";
	for (int s = 0; s < 2; s++) {
		Side &d = sides[s];
		d.dir = std::string(tmpl) + (s ? "/ours" : "/up");
		mkdir(d.dir.c_str(), 0755);
		const LmdbApi &a = *d.api;
		MDB_txn *txn;
		const size_t mapsize = std::max(size_t(1) << 30, size_t(keys) * 1024);  // room for the big runs
		if (a.mdb_env_create(&d.env) || a.mdb_env_set_mapsize(d.env, mapsize) ||
		    a.mdb_env_open(d.env, d.dir.c_str(), MDB_NOSYNC, 0644) || a.mdb_txn_begin(d.env, nullptr, 0, &txn) ||
		    a.mdb_dbi_open(txn, nullptr, 0, &d.dbi) || a.mdb_txn_commit(txn))
			return 2;
	}
	std::printf("growth: %u keys, 100-byte values, %ld operations per txn\n", keys, per_txn);
	char value[100];
	std::memset(value, 'v', sizeof value);
	Key k;
	const long txns = long(keys) / per_txn;
	bool ok = true;
	// 1. Fill in random order; 2. overwrite random keys; 3. delete all in
	// random order (merges free many pages per commit); 4. fill again.
	std::vector<uint32_t> order = shuffled(keys, 1);
	auto put = [&](Side &s, MDB_txn *txn, long i) {
		MDB_val v{sizeof value, value};
		return s.api->mdb_put(txn, s.dbi, k.of(order[size_t(i)]), &v, 0);
	};
	bool ran = run_phase(sides, "fill", txns, per_txn, txns / 4, put, verbose, &ok);
	Rng rng(2);
	std::vector<uint32_t> picks(keys);
	for (auto &p : picks) p = uint32_t(rng.below(keys));
	ran = ran && run_phase(sides, "overwrite", txns, per_txn, txns / 4,
	                       [&](Side &s, MDB_txn *txn, long i) {
		                       MDB_val v{sizeof value - 1, value};
		                       return s.api->mdb_put(txn, s.dbi, k.of(picks[size_t(i)]), &v, 0);
	                       },
	                       verbose, &ok);
	std::vector<uint32_t> del = shuffled(keys, 3);
	ran = ran && run_phase(sides, "delete", txns, per_txn, txns / 10,
	                       [&](Side &s, MDB_txn *txn, long i) {
		                       return s.api->mdb_del(txn, s.dbi, k.of(del[size_t(i)]), nullptr);
	                       },
	                       verbose, &ok);
	order = shuffled(keys, 4);
	ran = ran && run_phase(sides, "refill", txns, per_txn, txns / 4, put, verbose, &ok);
	for (Side &s : sides) s.api->mdb_env_close(s.env);
	std::string cmd = std::string("rm -rf '") + tmpl + "'";
	if (std::system(cmd.c_str()) != 0) std::printf("could not remove %s\n", tmpl);
	if (!ran) return 1;
	std::printf(ok ? "growth: the same pages as upstream at every checkpoint\n"
	               : "growth: FAILED\n");
	return ok ? 0 : 1;
}
