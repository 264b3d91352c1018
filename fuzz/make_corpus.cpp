// Seed corpus for lmdb_fuzz: a few environments built with the public API
// (empty, small mixed, the full hostile-test reference), each behind the
// op-selection bytes with several op choices.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hostile/exercise.h"
#include "lmdb.h"

namespace {

std::string tmpdir() {
	char t[] = "/tmp/lmdb-corpus-XXXXXX";
	if (!mkdtemp(t)) std::exit(1);
	return t;
}

std::vector<char> slurp(const std::string &path) {
	std::vector<char> v;
	FILE *f = std::fopen(path.c_str(), "rb");
	if (!f) return v;
	char buf[65536];
	size_t n;
	while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
	std::fclose(f);
	return v;
}

void cleanup(const std::string &d) {
	::unlink((d + "/data.mdb").c_str());
	::unlink((d + "/lock.mdb").c_str());
	::rmdir(d.c_str());
}

int check(int rc, const char *what) {
	if (rc) {
		std::fprintf(stderr, "%s: %s\n", what, mdb_strerror(rc));
		std::exit(1);
	}
	return rc;
}

// A small environment: a couple of named dbs, a sub-page of duplicates, one
// overflow value.  Few pages, so the fuzzer's mutations hit structure.
void build_small(const std::string &dir, bool empty) {
	MDB_env *env;
	check(mdb_env_create(&env), "env_create");
	mdb_env_set_maxdbs(env, 8);
	check(mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644), "env_open");
	if (!empty) {
		MDB_txn *txn;
		MDB_dbi a, b, c;
		check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
		check(mdb_dbi_open(txn, "tree", MDB_CREATE, &a), "dbi tree");
		check(mdb_dbi_open(txn, "dups", MDB_CREATE | MDB_DUPSORT, &b), "dbi dups");
		check(mdb_dbi_open(txn, "fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, &c),
		      "dbi fixed");
		char k[16], v[32];
		for (int i = 0; i < 20; i++) {
			std::snprintf(k, sizeof k, "t%05d", i);
			std::snprintf(v, sizeof v, "value-%d", i);
			MDB_val kk{std::strlen(k), k}, vv{std::strlen(v), v};
			check(mdb_put(txn, a, &kk, &vv, 0), "put tree");
		}
		std::string big(6000, 'B');
		MDB_val bk{2, const_cast<char *>("b0")}, bv{big.size(), big.data()};
		check(mdb_put(txn, a, &bk, &bv, 0), "put big");
		for (int i = 0; i < 4; i++) {
			for (int j = 0; j < 3; j++) {
				std::snprintf(k, sizeof k, "d%03d", i);
				std::snprintf(v, sizeof v, "x%03d", j);
				MDB_val kk{std::strlen(k), k}, vv{std::strlen(v), v};
				check(mdb_put(txn, b, &kk, &vv, 0), "put dups");
				uint64_t x = uint64_t(i) * 10 + j;
				MDB_val xv{sizeof x, &x};
				check(mdb_put(txn, c, &kk, &xv, 0), "put fixed");
			}
		}
		check(mdb_txn_commit(txn), "commit");
		// A second txn leaves a free-list record behind.
		check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
		MDB_val dk{6, const_cast<char *>("t00003")};
		check(mdb_del(txn, a, &dk, nullptr), "del");
		check(mdb_txn_commit(txn), "commit");
	}
	mdb_env_close(env);
}

}  // namespace

int main(int argc, char **argv) {
	if (argc != 2) {
		std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	std::string out = argv[1];
	::mkdir(out.c_str(), 0755);
	struct Seed {
		const char *name;
		std::vector<char> image;
	};
	std::vector<Seed> seeds;
	for (int which = 0; which < 3; which++) {
		std::string d = tmpdir();
		if (which == 0) build_small(d, true);
		if (which == 1) build_small(d, false);
		if (which == 2) check(hostile::build_reference(d), "build_reference");
		seeds.push_back({which == 0 ? "empty" : which == 1 ? "small" : "reference", slurp(d + "/data.mdb")});
		cleanup(d);
	}
	// Op bytes: read-write, read-only, writemap; with and without copies.
	const uint8_t ops[] = {0x00, 0x0d, 0x01, 0x05, 0x02, 0x1c, 0x20, 0x13};
	for (const Seed &s : seeds) {
		for (uint8_t op : ops) {
			char name[64];
			std::snprintf(name, sizeof name, "%s/%s-%02x", out.c_str(), s.name, op);
			FILE *f = std::fopen(name, "wb");
			if (!f) return 1;
			const uint8_t hdr[4] = {op, 0x03, 0, 0};
			std::fwrite(hdr, 1, sizeof hdr, f);
			std::fwrite(s.image.data(), 1, s.image.size(), f);
			std::fclose(f);
		}
	}
	return 0;
}
