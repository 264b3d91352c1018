// lmdb_compat_edges: runs every boundary case on upstream and on ours and
// compares the transcripts.   lmdb_compat_edges [-v] [case-name-substring]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "edges.h"
#include "page_layout.h"

namespace compat::edges {

std::string hex(const MDB_val &v) {
	static const char digits[] = "0123456789abcdef";
	std::string s = "[" + std::to_string(v.mv_size) + "]";
	const auto *p = static_cast<const unsigned char *>(v.mv_data);
	if (!p) return v.mv_size ? s + "<null>" : s;
	// Long values: the first 24 bytes and an FNV-1a digest of all of them.
	size_t shown = v.mv_size > 64 ? 24 : v.mv_size;
	for (size_t i = 0; i < shown; i++) {
		s += digits[p[i] >> 4];
		s += digits[p[i] & 15];
	}
	if (shown < v.mv_size) {
		uint64_t h = 0xcbf29ce484222325ull;
		for (size_t i = 0; i < v.mv_size; i++) h = (h ^ p[i]) * 0x100000001b3ull;
		char buf[24];
		std::snprintf(buf, sizeof buf, "..#%016llx", static_cast<unsigned long long>(h));
		s += buf;
	}
	return s;
}

std::string code(int rc) { return std::to_string(rc); }

Run::~Run() { close_env(); }

int Run::rc(const std::string &what, int r) {
	log.push_back(what + " -> " + code(r));
	static const bool trace = std::getenv("EDGES_TRACE") != nullptr;
	if (trace) std::fprintf(stderr, "%s %s\n", ours ? "ours" : "up  ", log.back().c_str());
	return r;
}

void Run::ours_expect(bool cond, const std::string &what) {
	if (ours && !cond) errors.push_back(what);
}

int Run::open_env(unsigned flags, size_t mapsize, unsigned maxdbs) {
	close_env();
	int r = a.mdb_env_create(&env);
	if (r) return rc("env_create", r);
	if (mapsize) rc("set_mapsize " + std::to_string(mapsize), a.mdb_env_set_mapsize(env, mapsize));
	a.mdb_env_set_maxdbs(env, maxdbs);
	return rc("env_open", a.mdb_env_open(env, dir.c_str(), flags, 0644));
}

void Run::close_env() {
	if (txn) abort();
	if (env) a.mdb_env_close(env);
	env = nullptr;
}

int Run::begin(unsigned flags) {
	int r = a.mdb_txn_begin(env, nullptr, flags, &txn);
	if (r) txn = nullptr;
	return rc("begin", r);
}

int Run::commit() {
	int r = a.mdb_txn_commit(txn);
	txn = nullptr;
	return rc("commit", r);
}

void Run::abort() {
	a.mdb_txn_abort(txn);
	txn = nullptr;
}

MDB_dbi Run::dbi(const char *name, unsigned flags) {
	MDB_dbi d = 0;
	rc(std::string("dbi_open ") + (name ? name : "(main)"), a.mdb_dbi_open(txn, name, flags, &d));
	return d;
}

static MDB_val val_of(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }
static std::string shown(const std::string &s) { return hex(val_of(s)); }

int Run::put(MDB_dbi d, const std::string &k, const std::string &v, unsigned flags) {
	MDB_val kv = val_of(k), vv = val_of(v);
	int r = a.mdb_put(txn, d, &kv, &vv, flags);
	std::string what = "put " + shown(k) + " " + shown(v) + " f=" + std::to_string(flags);
	if (r == MDB_KEYEXIST) what += " existing " + hex(vv);
	return rc(what, r);
}

int Run::get(MDB_dbi d, const std::string &k) {
	MDB_val kv = val_of(k), vv{0, nullptr};
	int r = a.mdb_get(txn, d, &kv, &vv);
	return rc("get " + shown(k) + (r ? "" : " = " + hex(vv)), r);
}

int Run::del(MDB_dbi d, const std::string &k, const std::string *v) {
	MDB_val kv = val_of(k), vv = v ? val_of(*v) : MDB_val{0, nullptr};
	return rc("del " + shown(k) + (v ? " " + shown(*v) : ""), a.mdb_del(txn, d, &kv, v ? &vv : nullptr));
}

MDB_cursor *Run::cursor(MDB_dbi d) {
	MDB_cursor *c = nullptr;
	rc("cursor_open", a.mdb_cursor_open(txn, d, &c));
	return c;
}

int Run::cget(MDB_cursor *c, MDB_cursor_op op, const std::string &k, const std::string &v) {
	MDB_val kv = val_of(k), vv = val_of(v);
	if (k.empty() && op != MDB_SET && op != MDB_SET_KEY && op != MDB_SET_RANGE && op != MDB_GET_BOTH &&
	    op != MDB_GET_BOTH_RANGE)
		kv = MDB_val{0, nullptr};
	int r = a.mdb_cursor_get(c, &kv, &vv, op);
	std::string what = "cget op=" + std::to_string(op);
	if (!k.empty()) what += " " + shown(k);
	if (!r) {
		what += " = " + hex(kv) + " " + hex(vv);
		last_key.assign(static_cast<const char *>(kv.mv_data), kv.mv_data ? kv.mv_size : 0);
		last_data.assign(static_cast<const char *>(vv.mv_data), vv.mv_data ? vv.mv_size : 0);
	}
	return rc(what, r);
}

int Run::cput(MDB_cursor *c, const std::string &k, const std::string &v, unsigned flags) {
	MDB_val kv = val_of(k), vv = val_of(v);
	return rc("cput " + shown(k) + " " + shown(v) + " f=" + std::to_string(flags),
	          a.mdb_cursor_put(c, &kv, &vv, flags));
}

int Run::cdel(MDB_cursor *c, unsigned flags) {
	return rc("cdel f=" + std::to_string(flags), a.mdb_cursor_del(c, flags));
}

int Run::cput_multiple(MDB_cursor *c, const std::string &k, const std::string &items, unsigned size,
                       unsigned flags, long count) {
	MDB_val kv = val_of(k);
	const size_t n = count >= 0 ? size_t(count) : size ? items.size() / size : 0;
	MDB_val dv[2] = {{size, const_cast<char *>(items.data())}, {n, nullptr}};
	int r = a.mdb_cursor_put(c, &kv, dv, MDB_MULTIPLE | flags);
	return rc("put MULTIPLE " + shown(k) + " " + std::to_string(n) + " of " +
	              std::to_string(size) + " f=" + std::to_string(flags) + " stored " + std::to_string(dv[1].mv_size),
	          r);
}

int Run::count(MDB_cursor *c) {
	size_t n = 0;
	int r = a.mdb_cursor_count(c, &n);
	return rc("count" + (r ? std::string() : " = " + std::to_string(n)), r);
}

void Run::expect_true_count(MDB_cursor *c, MDB_dbi d, std::string k) {
	if (!ours) return;
	size_t n = 0;
	if (k.empty()) {
		MDB_val kv, vv;
		if (a.mdb_cursor_get(c, &kv, &vv, MDB_GET_CURRENT) != 0) {
			ours_expect(a.mdb_cursor_count(c, &n) != 0, "count where GET_CURRENT fails: an error");
			return;
		}
		k.assign(static_cast<const char *>(kv.mv_data), kv.mv_size);
	}
	int r = a.mdb_cursor_count(c, &n);
	// The key's items, through a fresh cursor.
	size_t want = 0;
	MDB_cursor *fresh = nullptr;
	a.mdb_cursor_open(txn, d, &fresh);
	MDB_val kv = val_of(k), vv;
	if (a.mdb_cursor_get(fresh, &kv, &vv, MDB_SET) == 0) a.mdb_cursor_count(fresh, &want);
	a.mdb_cursor_close(fresh);
	ours_expect(r == 0 && n == want, "count of " + k + " after another cursor's change: " + std::to_string(want) +
	                                     ", got rc " + code(r) + " n " + std::to_string(n));
}

int Run::stat(MDB_dbi d) {
	MDB_stat st{};
	int r = a.mdb_stat(txn, d, &st);
	std::string s = "stat";
	if (!r)
		s += " depth=" + std::to_string(st.ms_depth) + " branch=" + std::to_string(st.ms_branch_pages) +
		     " leaf=" + std::to_string(st.ms_leaf_pages) + " ovf=" + std::to_string(st.ms_overflow_pages) +
		     " entries=" + std::to_string(st.ms_entries);
	return rc(s, r);
}

void Run::dump(MDB_dbi d) {
	MDB_cursor *c = nullptr;
	if (rc("dump cursor_open", a.mdb_cursor_open(txn, d, &c))) return;
	MDB_val k, v;
	int r;
	while ((r = a.mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) note("  " + hex(k) + " " + hex(v));
	rc("dump end", r);
	a.mdb_cursor_close(c);
}

void Run::note_page_layout() {
	std::string error;
	std::vector<PageDigest> pages = read_env_page_layout(a, env, dir, &error);
	if (!error.empty()) note("layout: " + error);
	for (const PageDigest &p : pages) {
		char line[64];
		std::snprintf(line, sizeof line, "page %llu flags 0x%x nodes %016llx", static_cast<unsigned long long>(p.pgno),
		              p.flags, static_cast<unsigned long long>(p.digest));
		note(line);
	}
}

}  // namespace compat::edges

using namespace compat::edges;

// --fresh-unopened-sync: mdb_env_sync of an env that was never opened, in
// a process where no env was ever opened (env_unopened_more execs this);
// prints both libraries' answers, status 0 when they agree.
static int fresh_unopened_sync(const compat::ApiPair &pair) {
	std::string out[2];
	int i = 0;
	for (const compat::LmdbApi *a : {&pair.upstream, &pair.ours}) {
		MDB_env *env = nullptr;
		a->mdb_env_create(&env);
		out[i] += std::to_string(a->mdb_env_sync(env, 1)) + " " + std::to_string(a->mdb_env_sync(env, 0));
		a->mdb_env_set_flags(env, MDB_NOSYNC, 1);
		out[i] += " " + std::to_string(a->mdb_env_sync(env, 0)) + " " + std::to_string(a->mdb_env_sync(env, 1));
		a->mdb_env_close(env);
		i++;
	}
	std::printf("upstream %s, ours %s\n", out[0].c_str(), out[1].c_str());
	return out[0] == out[1] ? 0 : 1;
}

int main(int argc, char **argv) {
	if (argc == 2 && !std::strcmp(argv[1], "--fresh-unopened-sync")) return fresh_unopened_sync(compat::apis());
	bool verbose = false;
	const char *only = nullptr;
	for (int i = 1; i < argc; i++) {
		if (!std::strcmp(argv[i], "-v"))
			verbose = true;
		else
			only = argv[i];
	}
	const compat::ApiPair &pair = compat::apis();
	if (compat::is_placeholder(pair.ours)) return 77;
	std::vector<Case> cases;
	add_item_cases(cases);
	add_cursor_cases(cases);
	add_issue18_cases(cases);
	add_issue18_more(cases);
	add_flag_cases(cases);
	add_layout_cases(cases);
	add_nested_cases(cases);
	add_shape_cases(cases);
	add_env_cases(cases);
	add_boundary_cases(cases);
	add_mapfull_cases(cases);
	char tmpl[] = "/tmp/lmdb-edges-XXXXXX";
	if (!mkdtemp(tmpl)) return 2;
	int failed = 0, ran = 0;
	for (const Case &c : cases) {
		if (only && !std::strstr(c.name, only)) continue;
		ran++;
		std::string base = std::string(tmpl) + "/" + c.name;
		mkdir(base.c_str(), 0755);
		std::string udir = base + "/up", odir = base + "/ours";
		mkdir(udir.c_str(), 0755);
		mkdir(odir.c_str(), 0755);
		Run up(pair.upstream, false, udir), ours(pair.ours, true, odir);
		pair.upstream.mdb_version(nullptr, nullptr, &up.oracle_patch);
		ours.oracle_patch = up.oracle_patch;
		if (c.upstream_runs) c.fn(up);
		c.fn(ours);
		// Then the file's pages: every page holds the same nodes on both
		// sides (pages are allocated as upstream allocates them).
		for (Run *r : {&up, &ours}) {
			if (!c.same_layout || !r->env || (r == &up && !c.upstream_runs)) continue;
			if (r->txn) r->abort();
			r->note_page_layout();
		}
		up.close_env();
		ours.close_env();
		bool same = !c.upstream_runs || up.log == ours.log;
		if (same && ours.errors.empty()) {
			std::printf("ok   %s (%zu calls)\n", c.name, ours.log.size());
			if (verbose)
				for (const std::string &l : ours.log) std::printf("       %s\n", l.c_str());
			continue;
		}
		failed++;
		std::printf("FAIL %s\n", c.name);
		for (size_t i = 0; i < ours.errors.size() && i < 6; i++)
			std::printf("  ours: expected %s\n", ours.errors[i].c_str());
		if (ours.errors.size() > 6) std::printf("  (%zu more)\n", ours.errors.size() - 6);
		if (!same) {
			// The calls before the first difference (a few), the difference,
			// and how much follows: later lines only repeat its consequences.
			size_t n = std::max(up.log.size(), ours.log.size()), i = 0;
			while (i < n && i < up.log.size() && i < ours.log.size() && up.log[i] == ours.log[i]) i++;
			for (size_t j = i > 8 ? i - 8 : 0; j < i; j++) std::printf("     %s\n", ours.log[j].c_str());
			std::printf("  !! upstream: %s\n  !! ours:     %s\n", i < up.log.size() ? up.log[i].c_str() : "(end)",
			            i < ours.log.size() ? ours.log[i].c_str() : "(end)");
			std::printf("     (call %zu of %zu; -v prints every call)\n", i + 1, n);
			if (verbose)
				for (size_t j = i + 1; j < n; j++)
					std::printf("     %s | %s\n", j < up.log.size() ? up.log[j].c_str() : "(end)",
					            j < ours.log.size() ? ours.log[j].c_str() : "(end)");
		}
	}
	std::string cmd = std::string("rm -rf '") + tmpl + "'";
	if (std::getenv("EDGES_KEEP"))
		std::printf("kept %s\n", tmpl);  // both sides' files, one directory per case
	else if (std::system(cmd.c_str()) != 0)
		std::printf("could not remove %s\n", tmpl);
	std::printf("%d passed, %d failed\n", ran - failed, failed);
	return failed ? 1 : (ran ? 0 : 2);
}
