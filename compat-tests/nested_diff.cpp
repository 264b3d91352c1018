// Differential test of nested write transactions: a seeded random stream of
// puts, deletes, gets, cursor moves, child begin/commit/abort (to depth 4)
// and top-level commit/abort, run in lock-step on our library and upstream's;
// every return code and every returned byte must agree, and after each
// top-level commit the data files' pages in use (page_layout.h).
// With --small-map the map holds only a few pages up to 2 MiB (from the seed)
// and values are often several pages long, so MDB_MAP_FULL happens in
// children and parents alike: what the failed txn, its parent and the
// commits answer afterwards, and the file after each top-level end.
//   lmdb_compat_nested [--seed S] [--ops N] [--small-map] [--writemap]
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <map>
#include <string>
#include <vector>

#include "api_table.h"
#include "page_layout.h"

using compat::LmdbApi;

namespace {

struct Side {
	const LmdbApi *api;
	std::string dir;
	MDB_env *env = nullptr;
	std::vector<MDB_txn *> stack;  // [0] top-level write txn, then children
	MDB_dbi dbi[3] = {0, 0, 0};
	MDB_cursor *cur = nullptr;     // a cursor of the innermost txn on db 1
};

struct Outcome {
	int rc = 0;
	std::string a, b;  // returned key and data bytes
	bool operator==(const Outcome &o) const { return rc == o.rc && a == o.a && b == o.b; }
};

std::string bytes(const MDB_val &v) {
	return v.mv_data ? std::string(static_cast<const char *>(v.mv_data), v.mv_size) : std::string();
}

std::string describe(const Outcome &o) {
	std::string s = "rc=" + std::to_string(o.rc) + " key[" + std::to_string(o.a.size()) + "]";
	s += " data[" + std::to_string(o.b.size()) + "]";
	if (o.b.size() <= 40) s += " \"" + o.b + "\"";
	return s;
}

int fail(uint64_t seed, long op, const char *what, const Outcome &u, const Outcome &o) {
	std::printf("==== MISMATCH ====\nseed 0x%016" PRIx64 " op %ld: %s\n  upstream: %s\n  ours:     %s\n",
	            seed, op, what, describe(u).c_str(), describe(o).c_str());
	std::printf("replay: lmdb_compat_nested --seed 0x%" PRIx64 " --ops %ld\n", seed, op + 1);
	return 1;
}

}  // namespace

int main(int argc, char **argv) {
	uint64_t seed = 0x7e57ed;
	long ops = 30000;
	bool small_map = false, writemap = false;
	for (int i = 1; i < argc; i++) {
		if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 0);
		else if (!std::strcmp(argv[i], "--ops") && i + 1 < argc) ops = std::strtol(argv[++i], nullptr, 0);
		else if (!std::strcmp(argv[i], "--small-map")) small_map = true;
		else if (!std::strcmp(argv[i], "--writemap")) writemap = true;
	}
	size_t mapsize = size_t(256) << 20;
	if (small_map) {
		std::mt19937_64 m(seed ^ 0x5A11);
		size_t pages = 6 + m() % (m() % 4 == 0 ? 500 : 120);
		mapsize = pages * 4096 + (m() % 3 == 0 ? 1 + m() % 4095 : 0);
	}
	const compat::ApiPair &pair = compat::apis();
	if (compat::is_placeholder(pair.ours)) return 77;
	std::printf("nested: seed 0x%016" PRIx64 ", %ld ops, map %zu bytes%s\n", seed, ops, mapsize,
	            writemap ? ", MDB_WRITEMAP" : "");
	char tmpl[] = "/tmp/lmdb-nested-XXXXXX";
	if (!mkdtemp(tmpl)) return 2;
	Side sides[2];
	sides[0].api = &pair.upstream;
	sides[1].api = &pair.ours;
	for (int s = 0; s < 2; s++) {
		Side &d = sides[s];
		d.dir = std::string(tmpl) + (s ? "/ours" : "/up");
		mkdir(d.dir.c_str(), 0755);
		const LmdbApi &a = *d.api;
		if (a.mdb_env_create(&d.env) || a.mdb_env_set_mapsize(d.env, mapsize) ||
		    a.mdb_env_set_maxdbs(d.env, 4) ||
		    a.mdb_env_open(d.env, d.dir.c_str(), MDB_NOSYNC | MDB_NOTLS | (writemap ? MDB_WRITEMAP : 0), 0644))
			return 2;
	}
	std::mt19937_64 rng(seed);
	int failures = 0;
	std::map<std::string, long> seen;  // (call, rc) counts
	long op;
	for (op = 0; op < ops && !failures; op++) {
		unsigned r = rng() % 100;
		unsigned which_db = unsigned(rng() % 3);
		std::string key = "k" + std::to_string(rng() % 400);
		size_t vlen = (rng() % 40 == 0) ? 2000 + rng() % 9000 : rng() % 150;
		if (small_map && rng() % 10 == 0) vlen = 4000 + rng() % 40000;
		std::string value(vlen, char('a' + rng() % 26));
		bool open_cursor_op = rng() % 8 == 0;
		// --small-map: sometimes a commit or abort ends an outer txn while
		// children are open (upstream commits the children first; a failed
		// child fails the parent's commit too).
		unsigned outer = small_map ? unsigned(rng() % 3) : 0;
		Outcome out[2];
		const char *what = "";
		for (int s = 0; s < 2; s++) {
			Side &d = sides[s];
			const LmdbApi &a = *d.api;
			Outcome &o = out[s];
			if (d.stack.empty()) {
				what = "begin top-level";
				MDB_txn *t;
				o.rc = a.mdb_txn_begin(d.env, nullptr, 0, &t);
				if (!o.rc) {
					d.stack.push_back(t);
					// (MDB_CREATE can meet a full map.)
					o.b = std::to_string(a.mdb_dbi_open(t, nullptr, 0, &d.dbi[0])) + " " +
					      std::to_string(a.mdb_dbi_open(t, "one", MDB_CREATE, &d.dbi[1])) + " " +
					      std::to_string(a.mdb_dbi_open(t, "two", MDB_CREATE, &d.dbi[2]));
				}
				continue;
			}
			MDB_txn *t = d.stack.back();
			MDB_dbi dbi = d.dbi[which_db == 0 ? 1 : which_db];
			if (r < 35) {
				what = "put";
				MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
				o.rc = a.mdb_put(t, dbi, &k, &v, 0);
			} else if (r < 50) {
				what = "del";
				MDB_val k{key.size(), key.data()};
				o.rc = a.mdb_del(t, dbi, &k, nullptr);
			} else if (r < 60) {
				what = "get";
				MDB_val k{key.size(), key.data()}, v{0, nullptr};
				o.rc = a.mdb_get(t, dbi, &k, &v);
				if (!o.rc) o.b = bytes(v);
			} else if (r < 70) {
				what = "cursor";
				if (!d.cur || open_cursor_op) {
					if (d.cur) a.mdb_cursor_close(d.cur);
					d.cur = nullptr;
					o.rc = a.mdb_cursor_open(t, d.dbi[1], &d.cur);
					if (o.rc) continue;
				}
				MDB_val k{key.size(), key.data()}, v{0, nullptr};
				static const MDB_cursor_op moves[] = {MDB_NEXT, MDB_PREV, MDB_SET_RANGE, MDB_FIRST,
				                                      MDB_LAST, MDB_GET_CURRENT, MDB_NEXT, MDB_NEXT};
				MDB_cursor_op m = moves[r % 8];
				o.rc = a.mdb_cursor_get(d.cur, &k, &v, m);
				if (!o.rc) {
					o.a = bytes(k);
					o.b = bytes(v);
				}
			} else if (r < 80 && d.stack.size() < 5) {
				what = "begin child";
				MDB_txn *c;
				if (d.cur) {  // cursors of the parent may not be used while a child runs
					a.mdb_cursor_close(d.cur);
					d.cur = nullptr;
				}
				o.rc = a.mdb_txn_begin(d.env, t, 0, &c);
				if (!o.rc) {
					d.stack.push_back(c);
					o.a = std::to_string(a.mdb_txn_id(c));
				}
			} else if (r < 96) {
				bool commit = r < 89;
				what = commit ? "commit" : "abort";
				if (d.cur && d.stack.size() > 1) {
					a.mdb_cursor_close(d.cur);  // a child's cursors die with it
					d.cur = nullptr;
				}
				if (d.stack.size() == 1) d.cur = nullptr;  // write-txn cursors are freed by its end
				size_t level = d.stack.size() - 1;
				if (outer == 1 && level > 0) level = (level * 7 + size_t(r)) % level;
				if (level != d.stack.size() - 1) what = commit ? "commit outer" : "abort outer";
				if (commit)
					o.rc = a.mdb_txn_commit(d.stack[level]);
				else
					a.mdb_txn_abort(d.stack[level]);
				d.stack.resize(level);
				if (!d.stack.empty()) {  // the parent's state after its children ended
					MDB_stat st;
					int src = a.mdb_stat(d.stack.back(), d.dbi[1], &st);
					o.a = "parent stat " + std::to_string(src) + " " + std::to_string(src ? 0 : st.ms_entries);
				}
				if (d.stack.empty()) {  // the pages a top-level txn left: the same pages in use
					MDB_envinfo info{};
					a.mdb_env_info(d.env, &info);
					std::string err;
					std::vector<compat::PageDigest> pages = compat::read_env_page_layout(a, d.env, d.dir, &err);
					o.b = "last_pgno " + std::to_string(info.me_last_pgno) + err;
					for (const compat::PageDigest &p : pages)
						o.b += " " + std::to_string(p.pgno) + ":" + std::to_string(p.digest);
				}
			} else {
				what = "stat";
				MDB_stat st;
				o.rc = a.mdb_stat(t, dbi, &st);
				if (!o.rc)
					o.b = std::to_string(st.ms_depth) + "/" + std::to_string(st.ms_branch_pages) + "/" +
					      std::to_string(st.ms_leaf_pages) + "/" + std::to_string(st.ms_overflow_pages) + "/" +
					      std::to_string(st.ms_entries);
			}
		}
		if (!(out[0] == out[1])) failures += fail(seed, op, what, out[0], out[1]);
		if (out[0].rc) seen[std::string(what) + " " + std::to_string(out[0].rc)]++;
	}
	for (Side &d : sides) {
		if (!d.stack.empty()) d.api->mdb_txn_abort(d.stack.front());
		d.api->mdb_env_close(d.env);
	}
	std::string cmd = std::string("rm -rf '") + tmpl + "'";
	if (std::system(cmd.c_str()) != 0) std::printf("could not remove %s\n", tmpl);
	std::string rcs;
	for (const auto &[k, n] : seen) rcs += " [" + k + "]=" + std::to_string(n);
	std::printf("nested: failed calls (call rc):%s\n", rcs.c_str());
	std::printf("nested: %s after %ld ops\n", failures ? "FAILED" : "all agree", op);
	return failures ? 1 : 0;
}
