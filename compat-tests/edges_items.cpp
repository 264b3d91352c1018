// Boundary cases of items: DUPFIXED item sizes, empty duplicates, the
// MULTIPLE ops from many cursor states, wrong-size and reserved duplicates,
// the map's size and last page, error strings and calls on unopened
// environments (issue 13, groups 1 to 8).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "edges.h"

namespace compat::edges {

namespace {

// Item i of `size` bytes, big-endian, so byte order is numeric order.
std::string item(unsigned i, unsigned size) {
	std::string s(size, '\0');
	for (unsigned b = 0; b < size && b < 4; b++) s[size - 1 - b] = char((i >> (8 * b)) & 0xff);
	if (size > 4) s[0] = char('a' + i % 7);  // longer items: vary the front too
	return s;
}

// Distinct items of that size available.
unsigned item_space(unsigned size) { return size == 1 ? 256 : size == 2 ? 65536 : 1u << 24; }

void dupfixed_sizes(Run &r) {
	static const unsigned sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 255, 511};
	r.open_env();
	r.begin();
	for (unsigned size : sizes) {
		std::string name = "f" + std::to_string(size);
		MDB_dbi d = r.dbi(name.c_str(), MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
		unsigned n = std::min(item_space(size), 600u);
		// "a": one item; "b": two; "c": n, inserted in a scrambled order,
		// enough to outgrow the sub-page where the item size allows it.
		r.put(d, "a", item(7, size));
		r.put(d, "b", item(9, size));
		r.put(d, "b", item(3, size));
		for (unsigned i = 0; i < n; i++) {
			unsigned j = (i * 97) % n;
			if (r.put(d, "c", item(j, size))) break;
		}
		r.get(d, "a");
		r.get(d, "b");
		r.get(d, "c");
		r.stat(d);
		MDB_cursor *c = r.cursor(d);
		for (const char *k : {"a", "b", "c"}) {
			r.cget(c, MDB_SET, k);
			r.count(c);
			r.cget(c, MDB_GET_MULTIPLE);
			r.cget(c, MDB_LAST_DUP);
			r.cget(c, MDB_PREV_DUP);
			r.cget(c, MDB_GET_MULTIPLE);
		}
		r.cget(c, MDB_FIRST);
		while (r.cget(c, MDB_NEXT_MULTIPLE) == 0) {
		}
		r.cget(c, MDB_LAST);
		while (r.cget(c, MDB_PREV_MULTIPLE) == 0) {
		}
		// Delete every third item of "c", then a whole key.
		for (unsigned i = 0; i < n; i += 3) {
			std::string v = item(i, size);
			r.del(d, "c", &v);
		}
		r.del(d, "b");
		r.dump(d);
		r.stat(d);
		r.a.mdb_cursor_close(c);
	}
	r.commit();
	r.begin(MDB_RDONLY);
	for (unsigned size : sizes) {
		std::string name = "f" + std::to_string(size);
		MDB_dbi d = r.dbi(name.c_str(), 0);
		r.dump(d);
	}
	r.abort();
}

void dupsort_empty_items(Run &r) {
	r.open_env();
	r.begin();
	for (unsigned flags : {0u, unsigned(MDB_DUPFIXED)}) {
		MDB_dbi d = r.dbi(flags ? "fixed" : "plain", MDB_CREATE | MDB_DUPSORT | flags);
		// An empty item alone under its key, then another item: upstream
		// replaces the empty one.
		r.put(d, "k", "");
		r.put(d, "k", std::string(45, 'x'));
		r.get(d, "k");
		// An empty item again over an empty one.
		r.put(d, "e", "");
		r.put(d, "e", "");
		r.put(d, "e", "", MDB_NODUPDATA);
		r.put(d, "e", "", MDB_NOOVERWRITE);
		// An empty item added to one item, and to several.
		r.put(d, "n", "xyzw");
		if (!flags) {
			r.put(d, "n", "");
		} else if (r.ours) {
			// DUPFIXED: upstream makes a sub-page of 0-byte items and loses
			// "xyzw"; we refuse the empty item (docs/divergences.md).
			MDB_val kv{1, const_cast<char *>("n")}, vv{0, const_cast<char *>("")};
			int rc = r.a.mdb_put(r.txn, d, &kv, &vv, 0);
			r.ours_expect(rc == MDB_BAD_VALSIZE, "empty item onto one DUPFIXED item -> MDB_BAD_VALSIZE, got " + code(rc));
		}
		r.put(d, "m", "1111");
		r.put(d, "m", "2222");
		r.put(d, "m", "");
		r.put(d, "m", "3333");  // the txn goes on
		MDB_cursor *c = r.cursor(d);
		r.cget(c, MDB_SET, "m");
		r.count(c);
		r.cput(c, "m", "");
		r.cput(c, "m", "", MDB_CURRENT);
		r.cget(c, MDB_GET_CURRENT);
		r.cget(c, MDB_SET, "k");
		r.count(c);
		r.cget(c, MDB_SET, "e");
		r.count(c);
		if (r.ours && !flags) {
			// The second item through a cursor with MDB_APPENDDUP: 0.9.24
			// reads a stale sub-page there (it crashed in the cursor-state
			// matrix); we replace the empty item as without the flag.
			MDB_val kv{1, const_cast<char *>("a")}, empty{0, const_cast<char *>("")};
			int rc = r.a.mdb_put(r.txn, d, &kv, &empty, MDB_RESERVE);
			std::string big(255, 'q');
			MDB_val iv{big.size(), big.data()};
			int rc2 = r.a.mdb_cursor_put(c, &kv, &iv, MDB_APPENDDUP);
			size_t n = 0;
			MDB_val got{};
			int rc3 = r.a.mdb_cursor_count(c, &n);
			int rc4 = r.a.mdb_get(r.txn, d, &kv, &got);
			r.ours_expect(rc == 0 && rc2 == 0 && rc3 == 0 && n == 1 && rc4 == 0 && got.mv_size == 255,
			              "APPENDDUP onto a lone empty item replaces it: " + code(rc) + " " + code(rc2) + " " +
			                  code(rc3) + " count " + std::to_string(n) + " " + code(rc4) + " size " +
			                  std::to_string(got.mv_size));
			r.a.mdb_del(r.txn, d, &kv, nullptr);
		}
		r.a.mdb_cursor_close(c);
		r.dump(d);
		// Upstream counts a replaced lone empty item as still there; our
		// count is the number of items (docs/divergences.md).
		MDB_stat st{};
		r.a.mdb_stat(r.txn, d, &st);
		size_t items = 0;
		MDB_cursor *c2 = nullptr;
		r.a.mdb_cursor_open(r.txn, d, &c2);
		MDB_val k, v;
		while (r.a.mdb_cursor_get(c2, &k, &v, MDB_NEXT) == 0) items++;
		r.a.mdb_cursor_close(c2);
		r.ours_expect(st.ms_entries == items, "ms_entries " + std::to_string(st.ms_entries) + " == items " +
		                                          std::to_string(items));
	}
	r.commit();
}

// A fresh cursor in place of c (renew works in read txns only).
void fresh(Run &r, MDB_cursor *&c, MDB_dbi d) {
	r.a.mdb_cursor_close(c);
	c = nullptr;
	r.a.mdb_cursor_open(r.txn, d, &c);
}

// Every sequence of two cursor ops, from a fresh cursor and from cursors
// put on each kind of key first, then GET_CURRENT and GET_MULTIPLE: which
// state survives which op.  Rule (compat-tests/README.md): no PREV-family op
// on a cursor that is unpositioned or whose last op failed; 0.9.24 reads
// the node past the page's last there (fixed by ITS#9376; we answer as
// 0.9.27 and later do).
void multiple_after_states(Run &r) {
	static const MDB_cursor_op ops[] = {MDB_FIRST,     MDB_LAST,      MDB_NEXT,          MDB_PREV,
	                                    MDB_NEXT_DUP,  MDB_PREV_DUP,  MDB_NEXT_NODUP,    MDB_PREV_NODUP,
	                                    MDB_FIRST_DUP, MDB_LAST_DUP,  MDB_SET_RANGE,     MDB_SET,
	                                    MDB_GET_BOTH,  MDB_NEXT_MULTIPLE, MDB_PREV_MULTIPLE, MDB_GET_MULTIPLE,
	                                    MDB_GET_BOTH_RANGE, MDB_GET_CURRENT};
	auto returns_key = [](MDB_cursor_op op) {
		return op == MDB_FIRST || op == MDB_LAST || op == MDB_NEXT || op == MDB_PREV || op == MDB_NEXT_DUP ||
		       op == MDB_PREV_DUP || op == MDB_NEXT_NODUP || op == MDB_PREV_NODUP || op == MDB_SET_RANGE ||
		       op == MDB_GET_CURRENT || op == MDB_NEXT_MULTIPLE || op == MDB_PREV_MULTIPLE || op == MDB_SET ||
		       op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE;
	};
	auto is_prev = [](MDB_cursor_op op) {
		return op == MDB_PREV || op == MDB_PREV_DUP || op == MDB_PREV_NODUP || op == MDB_PREV_MULTIPLE;
	};
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("f12", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	// One item, two items, a full sub-page, a sub-db.
	r.put(d, "b", item(1, 12));
	r.put(d, "d", item(1, 12));
	r.put(d, "d", item(2, 12));
	for (unsigned i = 0; i < 20; i++) r.put(d, "f", item(i, 12));
	for (unsigned i = 0; i < 400; i++) r.put(d, "h", item(i, 12));
	r.put(d, "j", item(5, 12));
	r.commit();
	for (unsigned pass = 0; pass < 2; pass++) {
		r.begin(pass ? MDB_RDONLY : 0);
		MDB_cursor *c = r.cursor(d);
		for (const char *start : {"", "b", "d", "f", "h", "j", "z"}) {
			for (MDB_cursor_op first : ops) {
				for (MDB_cursor_op second : ops) {
					fresh(r, c, d);
					bool positioned = false;
					if (*start) positioned = r.cget(c, MDB_SET_RANGE, start) == 0;
					// The cursor's key, from the ops that return it; a failed
					// search may have moved it: unknown then.
					std::string key = *start && positioned ? r.last_key : "";
					bool ever_positioned = positioned;
					for (MDB_cursor_op op : {first, second, MDB_GET_CURRENT, MDB_GET_MULTIPLE}) {
						if (is_prev(op) && !positioned) {
							r.note("(PREV-family op on an unpositioned cursor: not compared)");
							break;
						}
						if (op == MDB_GET_MULTIPLE && (key == "b" || key == "j")) {
							// A key with one item: upstream may hand out the
							// items of the key it came from (its sub-cursor is
							// stale); nothing is right (docs/divergences.md).
							MDB_val k{0, nullptr}, v{3, const_cast<char *>("old")};
							int rc = r.a.mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
							r.ours_expect(rc == 0 && v.mv_size == 3,
							              "GET_MULTIPLE on one-item key " + key + ": 0 and nothing returned");
							r.note("(GET_MULTIPLE on a one-item key: not compared)");
							break;
						}
						int rc = r.cget(c, op, "c", item(2, 12));
						bool search = op == MDB_SET || op == MDB_SET_RANGE || op == MDB_GET_BOTH ||
						              op == MDB_GET_BOTH_RANGE;
						if (rc && search && ever_positioned) {
							// Upstream's sub-cursor is stale after a failed
							// search of a cursor that was on a key before:
							// the next moves return another key's items.
							r.note("(moves after a failed search: not compared)");
							break;
						}
						if (returns_key(op)) positioned = rc == 0;  // (GET_MULTIPLE answers 0 anywhere)
						ever_positioned |= positioned;
						if (returns_key(op))
							key = rc ? (op == MDB_SET || op == MDB_SET_RANGE || op == MDB_GET_BOTH ||
							                    op == MDB_GET_BOTH_RANGE
							                ? ""
							                : key)
							         : r.last_key;
					}
				}
			}
		}
		r.a.mdb_cursor_close(c);
		r.abort();
	}
}

// A DUPFIXED item of another size than the key's items: refused before any
// page is touched, the txn goes on.  (Upstream stores it, cut or padded:
// the key's items are then of mixed sizes; docs/divergences.md.)
void dupfixed_wrong_size(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("f4", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	r.put(d, "one", "1234");
	r.put(d, "two", "1234");
	r.put(d, "two", "5678");
	for (unsigned i = 0; i < 700; i++) r.put(d, "sub", item(i, 4));
	r.put(d, "new", "12345");  // a new key takes any size
	r.get(d, "new");
	if (r.ours) {
		for (const char *k : {"one", "two", "sub", "new"}) {
			for (size_t size : {size_t(1), size_t(3), size_t(5), size_t(8), size_t(511)}) {
				if (std::strcmp(k, "new") == 0 && size == 5) continue;
				std::string v(size, 'w'), kk(k);
				MDB_val kv{kk.size(), kk.data()}, vv{v.size(), v.data()};
				int rc = r.a.mdb_put(r.txn, d, &kv, &vv, 0);
				r.ours_expect(rc == MDB_BAD_VALSIZE, "put of a " + std::to_string(size) + "-byte item under '" + k +
				                                         "' -> MDB_BAD_VALSIZE, got " + code(rc));
				MDB_cursor *c = nullptr;
				r.a.mdb_cursor_open(r.txn, d, &c);
				MDB_val k2{kk.size(), kk.data()}, d2;
				rc = r.a.mdb_cursor_get(c, &k2, &d2, MDB_SET);
				r.ours_expect(rc == 0, "the txn still reads after the refused put");
				rc = r.a.mdb_cursor_put(c, &kv, &vv, 0);
				r.ours_expect(rc == MDB_BAD_VALSIZE, "cursor put of a wrong-size item -> MDB_BAD_VALSIZE");
				r.a.mdb_cursor_close(c);
			}
		}
	}
	r.put(d, "two", "0000");
	r.dump(d);
	r.stat(d);
	r.commit();
}

// MDB_RESERVE in a DUPSORT db: upstream reserves for a new key, and
// crashes on a key that has data; we answer EINVAL there and keep the txn.
void reserve_dupsort(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi("dups", MDB_CREATE | MDB_DUPSORT);
	MDB_val k{1, const_cast<char *>("r")}, v{10, nullptr};
	int rc = r.rc("reserve new key", r.a.mdb_put(r.txn, d, &k, &v, MDB_RESERVE));
	if (rc == 0) std::memset(v.mv_data, 'R', 10);
	r.put(d, "s", "1");
	r.put(d, "t", "1");
	r.put(d, "t", "2");
	if (r.ours) {
		for (const char *key : {"r", "s", "t"}) {
			MDB_val k2{1, const_cast<char *>(key)}, v2{10, nullptr};
			rc = r.a.mdb_put(r.txn, d, &k2, &v2, MDB_RESERVE);
			r.ours_expect(rc == EINVAL, std::string("RESERVE on existing dupsort key ") + key + " -> EINVAL, got " +
			                                code(rc));
			MDB_cursor *c = nullptr;
			r.a.mdb_cursor_open(r.txn, d, &c);
			r.a.mdb_cursor_get(c, &k2, &v2, MDB_SET);
			rc = r.a.mdb_cursor_put(c, &k2, &v2, MDB_RESERVE);
			r.ours_expect(rc == EINVAL, "cursor RESERVE on existing dupsort key -> EINVAL, got " + code(rc));
			rc = r.a.mdb_cursor_put(c, &k2, &v2, MDB_RESERVE | MDB_CURRENT);
			r.ours_expect(rc == EINVAL, "cursor RESERVE|CURRENT in a dupsort db -> EINVAL, got " + code(rc));
			r.a.mdb_cursor_close(c);
		}
	}
	r.put(d, "u", "1");
	r.dump(d);
	r.commit();
}

// Puts until the map is full: upstream never uses the map's last page.
void map_last_page(Run &r) {
	for (size_t mapsize : {size_t(256) << 10, size_t(64) << 10, size_t(67584), size_t(1) << 20}) {
		r.open_env(MDB_NOSYNC, mapsize);
		r.begin();
		MDB_dbi d = r.dbi(nullptr, 0);
		unsigned n = 0;
		int rc = 0;
		std::string v(100, 'v');
		for (; n < 100000; n++) {
			char key[16];
			std::snprintf(key, sizeof key, "%08u", n);
			MDB_val kv{8, key}, vv{v.size(), v.data()};
			if ((rc = r.a.mdb_put(r.txn, d, &kv, &vv, 0))) break;
		}
		r.note("puts before " + code(rc) + ": " + std::to_string(n));
		r.abort();
		// One put per txn, committed: the last page again.
		r.begin();
		for (n = 0; n < 100000; n++) {
			char key[16];
			std::snprintf(key, sizeof key, "%08u", n);
			MDB_val kv{8, key}, vv{v.size(), v.data()};
			if ((rc = r.a.mdb_put(r.txn, d, &kv, &vv, 0))) break;
			if (n % 50 == 49) {
				if ((rc = r.a.mdb_txn_commit(r.txn))) {
					r.txn = nullptr;
					break;
				}
				r.a.mdb_txn_begin(r.env, nullptr, 0, &r.txn);
			}
		}
		r.note("committed puts before " + code(rc) + ": " + std::to_string(n));
		if (r.txn) r.abort();
		MDB_envinfo info{};
		r.a.mdb_env_info(r.env, &info);
		r.note("mapsize " + std::to_string(info.me_mapsize) + " last_pgno " + std::to_string(info.me_last_pgno));
		r.close_env();
		std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
		if (std::system(rm.c_str())) r.note("rm failed");
	}
}

// The map size is kept as given, in the env and in the meta page.
void mapsize_as_given(Run &r) {
	for (size_t size : {size_t(67584), size_t(1) << 20, size_t(1048577), size_t(12345)}) {
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.rc("set_mapsize " + std::to_string(size), r.a.mdb_env_set_mapsize(env, size));
		r.rc("open", r.a.mdb_env_open(env, r.dir.c_str(), MDB_NOSYNC, 0644));
		MDB_envinfo info{};
		r.a.mdb_env_info(env, &info);
		r.note("mapsize " + std::to_string(info.me_mapsize));
		MDB_txn *t = nullptr;
		MDB_dbi d;
		r.a.mdb_txn_begin(env, nullptr, 0, &t);
		r.a.mdb_dbi_open(t, nullptr, 0, &d);
		MDB_val k{1, const_cast<char *>("k")}, v{1, const_cast<char *>("v")};
		r.rc("put", r.a.mdb_put(t, d, &k, &v, 0));
		r.rc("commit", r.a.mdb_txn_commit(t));
		r.rc("set_mapsize 0 (open)", r.a.mdb_env_set_mapsize(env, 0));
		r.a.mdb_env_info(env, &info);
		r.note("mapsize after set 0: " + std::to_string(info.me_mapsize));
		r.rc("set_mapsize +1 (open)", r.a.mdb_env_set_mapsize(env, size + 4097));
		r.a.mdb_env_info(env, &info);
		r.note("mapsize after grow: " + std::to_string(info.me_mapsize));
		r.a.mdb_txn_begin(env, nullptr, 0, &t);
		r.rc("put", r.a.mdb_put(t, d, &k, &v, 0));
		r.rc("commit", r.a.mdb_txn_commit(t));
		r.a.mdb_env_close(env);
		// Reopened with no size given: the size the meta page records.
		r.a.mdb_env_create(&env);
		r.rc("reopen", r.a.mdb_env_open(env, r.dir.c_str(), MDB_NOSYNC | MDB_RDONLY, 0644));
		r.a.mdb_env_info(env, &info);
		r.note("mapsize on reopen " + std::to_string(info.me_mapsize));
		r.a.mdb_env_close(env);
		std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
		if (std::system(rm.c_str())) r.note("rm failed");
	}
}

void error_strings(Run &r) {
	for (int rc = MDB_KEYEXIST; rc <= MDB_LAST_ERRCODE; rc++) r.note(code(rc) + ": " + r.a.mdb_strerror(rc));
	for (int rc : {0, 1, 2, 5, 12, 13, 16, 22, 28, 133}) r.note(code(rc) + ": " + r.a.mdb_strerror(rc));
	// Since 0.9.31 (ITS#8... "catch non-LMDB negative errors"), a negative code
	// outside LMDB's range is "Invalid error code"; 0.9.24 asks strerror().
	for (int rc : {-1, -2, MDB_KEYEXIST - 1, MDB_LAST_ERRCODE + 1, -30800, int(0x80000000u)}) {
		const char *s = r.a.mdb_strerror(rc);
		r.ours_expect(s && std::strcmp(s, "Invalid error code") == 0,
		              "strerror(" + code(rc) + ") = \"Invalid error code\", got \"" + (s ? s : "(null)") + "\"");
	}
}

void unopened_env_calls(Run &r) {
	MDB_env *env = nullptr;
	r.a.mdb_env_create(&env);
	int dead = -1;
	r.rc("reader_check unopened", r.a.mdb_reader_check(env, &dead));
	r.note("dead " + std::to_string(dead));
	r.rc("reader_check unopened null", r.a.mdb_reader_check(env, nullptr));
	r.a.mdb_env_close(env);
	r.open_env();
	r.begin();
	MDB_dbi d = r.dbi(nullptr, 0);
	r.put(d, "k", "v");
	r.commit();
	for (unsigned flags : {0x100u, 0x2u, 0x80000000u, unsigned(MDB_CP_COMPACT) | 0x10u}) {
		std::string to = r.dir + "/copy" + std::to_string(flags);
		mkdir(to.c_str(), 0755);
		r.rc("copy2 flags " + std::to_string(flags), r.a.mdb_env_copy2(r.env, to.c_str(), flags));
	}
}

// A data file of 0 bytes (a program that made the file itself, as PHP's dba
// does before the handler opens it).  Read-write it becomes a new
// environment; read-only upstream takes it for a new one too and fails to
// write its meta pages through the read-only descriptor: EBADF, which PHP
// shows as "Bad file descriptor".  A few bytes are not an LMDB file.
void empty_data_file(Run &r) {
	for (unsigned sub : {0u, unsigned(MDB_NOSUBDIR)}) {
		for (int len : {0, 100}) {
			for (unsigned flags : {unsigned(MDB_RDONLY), unsigned(MDB_RDONLY | MDB_FIXEDMAP), 0u}) {
				std::string path = sub ? r.dir + "/file.db" : r.dir;
				std::string data = sub ? path : path + "/data.mdb";
				std::string lock = sub ? path + "-lock" : path + "/lock.mdb";
				unlink(lock.c_str());
				if (FILE *f = std::fopen(data.c_str(), "w")) {
					for (int i = 0; i < len; i++) std::fputc('x', f);
					std::fclose(f);
				}
				MDB_env *env = nullptr;
				r.a.mdb_env_create(&env);
				std::string what = std::string(sub ? "nosubdir" : "subdir") + " len " + std::to_string(len) +
				                   " flags " + std::to_string(flags);
				r.rc(what, r.a.mdb_env_open(env, path.c_str(), sub | flags | MDB_NOSYNC, 0644));
				r.a.mdb_env_close(env);
				struct stat st;
				r.note("size " + std::to_string(stat(data.c_str(), &st) == 0 ? long(st.st_size) : -1L));
				unlink(data.c_str());
			}
		}
	}
}

}  // namespace

// MDB_MULTIPLE at the size boundaries: items of 1, 2, 8, 100 and 511 bytes,
// batches of 0, 1, 2 items, around what a sub-page holds and around what a
// LEAF2 page of the sub-db holds (4080 / size), and a few pages' worth; then
// onto the stored items: overlapping with MDB_NODUPDATA, after them and
// before them with MDB_APPENDDUP, and onto the key with MDB_NOOVERWRITE.
void multiple_sizes(Run &r) {
	r.open_env(MDB_NOSYNC, size_t(64) << 20);
	for (unsigned size : {1u, 2u, 8u, 100u, 511u}) {
		r.begin();
		std::string name = "m" + std::to_string(size);
		MDB_dbi d = r.dbi(name.c_str(), MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
		const unsigned space = item_space(size);
		const unsigned in_sub = (2038 - 8 - 8 - 16) / size, in_page = (4096 - 16) / size;
		MDB_cursor *c = r.cursor(d);
		for (unsigned n : {0u, 1u, 2u, in_sub - 1, in_sub, in_sub + 1, in_page - 1, in_page, in_page + 1,
		                   2 * in_page + 3}) {
			if (n > space / 2 || n > 3000) continue;
			const std::string k = "k" + std::to_string(n);
			auto run = [&](unsigned from, unsigned count) {
				std::string s;
				for (unsigned i = 0; i < count; i++) s += item(2 * (from + i), size);  // even items, ascending
				return s;
			};
			// (A count of 0 still stores the first item, on both sides.)
			r.cput_multiple(c, k, run(0, n ? n : 1), size, 0, long(n));
			r.count(c);
			r.stat(d);
			r.cput_multiple(c, k, run(n / 2, n ? n : 1), size, MDB_NODUPDATA);
			r.count(c);
			r.cput_multiple(c, k, run(n + 1, 3), size, MDB_APPENDDUP);
			r.cput_multiple(c, k, run(0, 2), size, MDB_APPENDDUP);
			r.cput_multiple(c, k, run(0, 2), size, MDB_NOOVERWRITE);
			r.count(c);
			for (MDB_cursor_op op : {MDB_FIRST_DUP, MDB_GET_MULTIPLE, MDB_NEXT_MULTIPLE, MDB_LAST_DUP, MDB_PREV_MULTIPLE})
				r.cget(c, op);
		}
		r.a.mdb_cursor_close(c);
		r.dump(d);
		r.stat(d);
		r.commit();
	}
}

void add_item_cases(std::vector<Case> &out) {
	out.push_back({"dupfixed_sizes", dupfixed_sizes});
	out.push_back({"dupsort_empty_items", dupsort_empty_items, true, false});  // ours alone writes more
	out.push_back({"multiple_after_states", multiple_after_states});
	out.push_back({"dupfixed_wrong_size", dupfixed_wrong_size});
	out.push_back({"reserve_dupsort", reserve_dupsort});
	out.push_back({"map_last_page", map_last_page});
	out.push_back({"mapsize_as_given", mapsize_as_given});
	out.push_back({"error_strings", error_strings});
	out.push_back({"unopened_env_calls", unopened_env_calls});
	out.push_back({"multiple_sizes", multiple_sizes});
	out.push_back({"empty_data_file", empty_data_file});
}

}  // namespace compat::edges

namespace compat::edges {

namespace {

// Duplicate flags without MDB_DUPSORT.  INTEGERDUP and REVERSEDUP alone are
// ignored, as upstream ignores them (compared, also after reopening the env,
// which reads the stored record).  DUPFIXED alone: upstream makes LEAF2
// leaves of 0-byte keys and loses every key (a get then answers
// MDB_NOTFOUND); we refuse to create such a db: EINVAL (docs/divergences.md).
void dup_flags_without_dupsort(Run &r) {
	r.open_env();
	r.begin();
	for (unsigned f : {unsigned(MDB_INTEGERDUP), unsigned(MDB_REVERSEDUP), unsigned(MDB_INTEGERDUP | MDB_REVERSEDUP)}) {
		MDB_dbi d = r.dbi(("f" + std::to_string(f)).c_str(), MDB_CREATE | f);
		for (const char *k : {"b", "a", "c"}) r.put(d, k, std::string("value of ") + k);
		r.put(d, "a", "x");
		r.dump(d);
	}
	r.commit();
	r.open_env();
	r.begin(MDB_RDONLY);
	for (unsigned f : {unsigned(MDB_INTEGERDUP), unsigned(MDB_REVERSEDUP), unsigned(MDB_INTEGERDUP | MDB_REVERSEDUP)}) {
		MDB_dbi d = r.dbi(("f" + std::to_string(f)).c_str(), 0);
		r.dump(d);
		unsigned flags = 0;
		r.rc("dbi_flags", r.a.mdb_dbi_flags(r.txn, d, &flags));
		r.note("flags " + std::to_string(flags));
	}
	r.abort();
	if (r.ours) {
		r.a.mdb_txn_begin(r.env, nullptr, 0, &r.txn);
		MDB_dbi d;
		for (unsigned f : {unsigned(MDB_DUPFIXED), unsigned(MDB_DUPFIXED | MDB_INTEGERDUP)}) {
			int rc = r.a.mdb_dbi_open(r.txn, "fixed-alone", MDB_CREATE | f, &d);
			r.ours_expect(rc == EINVAL, "DUPFIXED without DUPSORT: EINVAL, got " + code(rc));
			rc = r.a.mdb_dbi_open(r.txn, nullptr, f, &d);
			r.ours_expect(rc == EINVAL, "main db DUPFIXED without DUPSORT: EINVAL, got " + code(rc));
		}
		r.ours_expect(r.a.mdb_dbi_open(r.txn, "fixed-ok", MDB_CREATE | MDB_DUPFIXED | MDB_DUPSORT, &d) == 0,
		              "DUPFIXED with DUPSORT opens");
		r.ours_expect(r.a.mdb_txn_commit(r.txn) == 0, "the txn commits");
		r.txn = nullptr;
	}
}

// MDB_INTEGERKEY keys (and MDB_INTEGERDUP items without DUPFIXED) of an odd
// size other than unsigned int's or size_t's.  lmdb.h asks for those two
// sizes; upstream compares any other size from its end in 16-bit words
// (little-endian), so an odd size ends on a word whose high byte is the
// first byte of the key and whose low byte is the byte before it: keys
// that differ only in their first byte are still different keys, in the
// order of that byte.  (The byte before a node's key is the high byte of
// its size, 0 here, and the byte before a std::string's short buffer is the
// high byte of its length, 0 too, so upstream's answers are deterministic
// in this case.)  One leaf each: on branch pages upstream reads 4 bytes of
// any key that is not 8 bytes long.
void integer_odd_sizes(Run &r) {
	r.open_env();
	r.begin();
	MDB_dbi d1 = r.dbi("k1", MDB_CREATE | MDB_INTEGERKEY);
	for (const char *k : {"b", "a", "c", "b"}) r.put(d1, k, std::string("value of ") + k);
	for (const char *k : {"a", "b", "c", "d"}) r.get(d1, k);
	r.dump(d1);
	r.stat(d1);
	MDB_dbi d3 = r.dbi("k3", MDB_CREATE | MDB_INTEGERKEY);
	for (const char *k : {"bxy", "axy", "cxy", "ayy", "bxy", "axz"}) r.put(d3, k, k);
	for (const char *k : {"axy", "bxy", "cxy", "dxy", "axz"}) r.get(d3, k);
	r.dump(d3);
	MDB_dbi d5 = r.dbi("k5", MDB_CREATE | MDB_INTEGERKEY);
	for (const char *k : {"21234", "11234", "31234", "11235"}) r.put(d5, k, k);
	r.dump(d5);
	r.del(d5, "11234");
	r.get(d5, "31234");
	r.dump(d5);
	MDB_dbi dd = r.dbi("d1", MDB_CREATE | MDB_DUPSORT | MDB_INTEGERDUP);
	for (const char *v : {"b", "a", "c", "a"}) r.put(dd, "key", v);
	for (const char *v : {"xyz", "wyz"}) r.put(dd, "three", v);
	r.dump(dd);
	MDB_cursor *c = r.cursor(dd);
	r.cget(c, MDB_GET_BOTH, "key", "b");
	r.cget(c, MDB_GET_BOTH, "key", "d");
	r.cget(c, MDB_GET_BOTH_RANGE, "three", "vyz");
	r.count(c);
	r.commit();
}

// The values mdb_cmp and mdb_dcmp return, not only their signs: bytewise
// orders answer memcmp's value or the difference of the sizes; the integer
// order of MDB_INTEGERKEY keys (and of MDB_INTEGERDUP items without
// DUPFIXED) answers the difference of the first 16-bit digits that differ,
// counted from the most significant end (an odd size's first byte is the
// high byte of its digit); INTEGERDUP|DUPFIXED items answer -1, 0 or 1.
void cmp_values(Run &r) {
	static const unsigned flavours[] = {0,
	                                    MDB_REVERSEKEY,
	                                    MDB_INTEGERKEY,
	                                    MDB_DUPSORT,
	                                    MDB_DUPSORT | MDB_REVERSEDUP,
	                                    MDB_DUPSORT | MDB_INTEGERDUP,
	                                    MDB_DUPSORT | MDB_INTEGERDUP | MDB_DUPFIXED};
	static const std::string values[] = {std::string("a"),
	                                     std::string("b"),
	                                     std::string("abc"),
	                                     std::string("abd"),
	                                     std::string("bbc"),
	                                     std::string("zzzzz"),
	                                     std::string("\x01\x02\x03\x04", 4),
	                                     std::string("\x01\x02\x03\x05", 4),
	                                     std::string("\x05\x02\x03\x04", 4),
	                                     std::string("\x01\x02\x09\x04", 4),
	                                     std::string("\x01\x00\x00\x00\x00\x00\x00\x09", 8),
	                                     std::string("\x02\x00\x00\x00\x00\x00\x00\x01", 8),
	                                     std::string("\x02\x00\x00\x00\x00\x00\x07\x01", 8),
	                                     std::string("\xff\xff", 2),
	                                     std::string("\x00\xff", 2)};
	r.open_env();
	r.begin();
	for (unsigned f : flavours) {
		MDB_dbi d = r.dbi(("f" + std::to_string(f)).c_str(), MDB_CREATE | f);
		const bool integer = f & (MDB_INTEGERKEY | MDB_INTEGERDUP);
		std::string line = "flags " + std::to_string(f) + ":";
		for (const std::string &x : values)
			for (const std::string &y : values) {
				if (integer && x.size() != y.size()) continue;  // lmdb.h: one size per db
				MDB_val a{x.size(), const_cast<char *>(x.data())}, b{y.size(), const_cast<char *>(y.data())};
				line += " " + std::to_string(r.a.mdb_cmp(r.txn, d, &a, &b));
				if (f & MDB_DUPSORT) line += "/" + std::to_string(r.a.mdb_dcmp(r.txn, d, &a, &b));
			}
		r.note(line);
	}
	r.abort();
}

}  // namespace

void add_flag_cases(std::vector<Case> &out) {
	out.push_back({"cmp_values", cmp_values});
	out.push_back({"dup_flags_without_dupsort", dup_flags_without_dupsort, true, false});  // ours refuses what upstream creates
	out.push_back({"integer_odd_sizes", integer_odd_sizes});
}

}  // namespace compat::edges

namespace compat::edges {

namespace {

// Overflow pages freed and needed again within one txn: reused at once only
// once the txn has taken pages from the free db (as upstream), so both
// libraries end at the same last page (found by diff_api).
void overflow_reuse_layout(Run &r) {
	r.open_env();
	for (unsigned round = 0; round < 4; round++) {
		r.begin();
		MDB_dbi d = r.dbi(nullptr, 0);
		r.put(d, "key00001", std::string(2022, 'a'));   // inline (node of 2038 bytes)
		r.put(d, "key00002", std::string(2023, 'b'));   // one overflow page
		r.del(d, "key00002");
		r.put(d, "key00001", std::string(2023 + round * 4096, 'c'));  // overflow run
		r.put(d, "key0000" + std::to_string(3 + round), std::string(9000, 'd'));
		r.commit();
		MDB_envinfo info{};
		r.a.mdb_env_info(r.env, &info);
		r.note("last_pgno " + std::to_string(info.me_last_pgno) + " txn " + std::to_string(info.me_last_txnid));
	}
}

// The free db's records (every id and page number) and the last page.
void note_free_pages(Run &r, const std::string &when) {
	MDB_envinfo info{};
	r.a.mdb_env_info(r.env, &info);
	r.note(when + ": last_pgno " + std::to_string(info.me_last_pgno));
	r.begin(MDB_RDONLY);
	r.dump(0);
	r.abort();
}

// Pages reused as upstream reuses them, so that a file grows alike: a tree
// built in many txns (free records of every size, one of them more than a
// page of page numbers), big values put and deleted (overflow runs), then
// hundreds of one-put commits, some while a reader holds an old snapshot.
// Every free record and the last page are compared along the way (ours
// once wrote its own record with slack first, splitting the free db's last
// leaf early, and then reused other pages than upstream: found by the
// smallcommit benchmark, whose file grew 0.7% more than upstream's).
void freelist_churn_layout(Run &r) {
	r.open_env(MDB_NOSYNC, size_t(256) << 20);
	uint64_t x = 0x5EED;
	auto next = [&x] {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		return unsigned(x >> 33);
	};
	auto key = [](unsigned i) {
		char b[17];
		std::snprintf(b, sizeof b, "%016x", i * 2654435761u);
		return std::string(b, 16);
	};
	const unsigned n = 12000;
	MDB_dbi d = 0;
	for (unsigned t = 0; t < 12; t++) {  // random order, 1,000 a txn
		r.begin();
		d = r.dbi(nullptr, 0);
		for (unsigned i = 0; i < 1000; i++) {
			std::string v(100, char('a' + t));
			MDB_val k{16, nullptr}, vv{v.size(), v.data()};
			const std::string ks = key(next() % n);
			k.mv_data = const_cast<char *>(ks.data());
			r.a.mdb_put(r.txn, d, &k, &vv, 0);
		}
		r.commit();
	}
	note_free_pages(r, "built");
	r.begin();  // every leaf rewritten: a free record of more than a page
	for (unsigned i = 0; i < n; i += 7) r.put(d, key(i), std::string(90, 'r'));
	r.commit();
	r.begin();  // overflow runs taken and freed
	for (unsigned i = 0; i < 6; i++) r.put(d, "big" + std::to_string(i), std::string(5000 + i * 4096, 'B'));
	r.commit();
	r.begin();
	for (unsigned i = 0; i < 6; i += 2) r.del(d, "big" + std::to_string(i));
	r.commit();
	note_free_pages(r, "churned");
	MDB_txn *reader = nullptr;
	for (unsigned c = 0; c < 600; c++) {
		if (c == 200) r.rc("reader begin", r.a.mdb_txn_begin(r.env, nullptr, MDB_RDONLY, &reader));
		if (c == 400) {
			r.a.mdb_txn_abort(reader);
			reader = nullptr;
		}
		r.begin();
		const unsigned i = next() % n;
		if (c % 10 == 9)
			r.del(d, key(i));
		else
			r.put(d, key(i), std::string(80 + c % 40, char('A' + c % 26)));
		r.commit();
		if (c % 50 == 49) {
			MDB_envinfo info{};
			r.a.mdb_env_info(r.env, &info);
			r.note("commit " + std::to_string(c) + ": last_pgno " + std::to_string(info.me_last_pgno));
		}
	}
	note_free_pages(r, "small commits");
	r.note_page_layout();  // every page holds the same nodes
}

// Many more reclaimed pages than a txn uses: a tree emptied in one txn (a
// free record of far more than a page of page numbers), then one-put txns
// that each consume it and write the rest back under the older ids, shared
// out over several records (upstream's amortised sizes) -- also when the
// ids run short (a record of the second txn after the env's creation).
void freelist_big_leftovers(Run &r) {
	for (bool early : {true, false}) {
		r.open_env(MDB_NOSYNC, size_t(256) << 20);
		MDB_dbi d = 0;
		const unsigned rounds = early ? 1 : 4;
		for (unsigned t = 0; t < rounds; t++) {
			r.begin();
			d = r.dbi(nullptr, 0);
			for (unsigned i = t; i < 24000; i += rounds) {
				char k[16];
				std::snprintf(k, sizeof k, "%08x", i * 2654435761u);
				MDB_val kv{8, k}, vv{100, const_cast<char *>("0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789")};
				r.a.mdb_put(r.txn, d, &kv, &vv, 0);
			}
			r.commit();
		}
		r.begin();
		r.rc("drop", r.a.mdb_drop(r.txn, d, 0));  // every page freed at once
		r.commit();
		for (unsigned c = 0; c < 12; c++) {
			r.begin();
			r.put(d, "key" + std::to_string(c), std::string(50 + 300 * c, 'x'));
			r.commit();
			MDB_envinfo info{};
			r.a.mdb_env_info(r.env, &info);
			r.note("commit " + std::to_string(c) + ": last_pgno " + std::to_string(info.me_last_pgno));
			if (c % 4 == 0) note_free_pages(r, "after " + std::to_string(c));
		}
		r.note_page_layout();
		r.close_env();
		std::string cmd = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
		if (std::system(cmd.c_str()) != 0) r.note("could not remove the files");
	}
}

}  // namespace

void add_layout_cases(std::vector<Case> &out) {
	out.push_back({"overflow_reuse_layout", overflow_reuse_layout});
	out.push_back({"freelist_churn_layout", freelist_churn_layout});
	out.push_back({"freelist_big_leftovers", freelist_big_leftovers});
}

}  // namespace compat::edges
