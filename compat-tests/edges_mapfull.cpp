// Boundary cases at a full or outgrown map: another process grows the map
// past ours (MDB_MAP_RESIZED until mdb_env_set_mapsize adopts the new size),
// and calls on a txn after MDB_MAP_FULL.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "edges.h"

namespace compat::edges {

namespace {

std::string info_line(Run &r) {
	MDB_envinfo info{};
	int rc = r.a.mdb_env_info(r.env, &info);
	struct stat st {};
	long long size = stat((r.dir + "/data.mdb").c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
	return "env_info " + code(rc) + " mapsize " + std::to_string(info.me_mapsize) + " last_pgno " +
	       std::to_string(info.me_last_pgno) + " txnid " + std::to_string(info.me_last_txnid) + " file " +
	       std::to_string(size);
}

std::string key_of(unsigned i) {
	char b[16];
	std::snprintf(b, sizeof b, "k%06u", i);
	return b;
}

// In a child process: open the environment with a map of `mapsize` bytes
// and add `n` values of 1000 bytes after `first`, in one txn.  Returns the
// child's exit status (0: committed).
int grow_in_child(Run &r, unsigned flags, size_t mapsize, unsigned first, unsigned n) {
	std::fflush(stdout);
	std::fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		MDB_env *env = nullptr;
		MDB_txn *t = nullptr;
		MDB_dbi d = 0;
		int rc = r.a.mdb_env_create(&env);
		if (!rc) rc = r.a.mdb_env_set_mapsize(env, mapsize);
		if (!rc) rc = r.a.mdb_env_open(env, r.dir.c_str(), flags, 0644);
		if (!rc) rc = r.a.mdb_txn_begin(env, nullptr, 0, &t);
		if (!rc) rc = r.a.mdb_dbi_open(t, nullptr, 0, &d);
		std::string v(1000, 'g');
		for (unsigned i = first; !rc && i < first + n; i++) {
			std::string k = key_of(i);
			MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
			rc = r.a.mdb_put(t, d, &kv, &vv, 0);
		}
		if (!rc) rc = r.a.mdb_txn_commit(t);
		else if (t) r.a.mdb_txn_abort(t);
		if (env) r.a.mdb_env_close(env);
		_exit(rc ? 1 : 0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// In a child process: commit one 1500-byte value per txn (in a map of
// 1 MiB) until the file's last page is at least `last`.  Returns the
// child's exit status (0: reached).
int grow_to_page_in_child(Run &r, unsigned flags, size_t last) {
	std::fflush(stdout);
	std::fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		MDB_env *env = nullptr;
		int rc = r.a.mdb_env_create(&env);
		if (!rc) rc = r.a.mdb_env_set_mapsize(env, size_t(1) << 20);
		if (!rc) rc = r.a.mdb_env_open(env, r.dir.c_str(), flags, 0644);
		std::string v(1500, 'h');
		MDB_envinfo info{};
		for (unsigned i = 0; !rc && i < 1000; i++) {
			if ((rc = r.a.mdb_env_info(env, &info)) || info.me_last_pgno >= last) break;
			MDB_txn *t = nullptr;
			MDB_dbi d = 0;
			if ((rc = r.a.mdb_txn_begin(env, nullptr, 0, &t))) break;
			std::string k = "h" + std::to_string(10000 + i);
			MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
			rc = r.a.mdb_dbi_open(t, nullptr, 0, &d);
			if (!rc) rc = r.a.mdb_put(t, d, &kv, &vv, 0);
			if (!rc) rc = r.a.mdb_txn_commit(t);
			else r.a.mdb_txn_abort(t);
		}
		if (env) r.a.mdb_env_close(env);
		_exit(rc ? 1 : 0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The data another process wrote reaches our map's last page exactly, or
// one page past it: a txn may begin while the file's last page is the
// map's last one (next_pgno == pages in the map), and its first page
// allocation fails; one page more and begin answers MDB_MAP_RESIZED.
void map_resized_boundary(Run &r) {
	for (unsigned flags : {unsigned(MDB_NOSYNC), unsigned(MDB_NOSYNC | MDB_WRITEMAP)})
		for (size_t extra : {size_t(0), size_t(3000)})
			for (size_t past : {size_t(0), size_t(1), size_t(2)}) {
				const size_t pages = 24;
				r.note("== flags " + std::to_string(flags) + " map " + std::to_string(pages) + " pages + " +
				       std::to_string(extra) + ", other process up to page " + std::to_string(pages - 1 + past));
				r.open_env(flags, pages * 4096 + extra);
				r.begin();
				MDB_dbi d = r.dbi(nullptr, 0);
				r.put(d, "a", "b");
				r.commit();
				r.note("child " + std::to_string(grow_to_page_in_child(r, flags, pages - 1 + past)));
				r.note(info_line(r));
				if (r.begin(MDB_RDONLY) == 0) {
					r.get(d, "h10000");
					r.stat(d);
					r.abort();
				}
				if (r.begin() == 0) {
					r.get(d, "h10000");
					r.put(d, "new", "x");
					r.rc("commit", r.a.mdb_txn_commit(r.txn));
					r.txn = nullptr;
				}
				r.note(info_line(r));
				r.close_env();
				std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
				if (std::system(rm.c_str())) r.note("rm failed");
			}
}

// Another process opens the environment with a bigger map and commits data
// past the end of ours: our next txn_begin (read or write) answers
// MDB_MAP_RESIZED until mdb_env_set_mapsize(env, 0) takes the size the
// meta page records (or a size given explicitly, rounded up to the data).
void map_resized_elsewhere(Run &r) {
	for (unsigned flags : {unsigned(MDB_NOSYNC), unsigned(MDB_NOSYNC | MDB_WRITEMAP)}) {
		r.note("env flags " + std::to_string(flags));
		r.open_env(flags, size_t(16) << 12);
		r.begin();
		MDB_dbi d = r.dbi(nullptr, 0);
		for (unsigned i = 0; i < 3; i++) r.put(d, key_of(i), "small");
		r.commit();
		r.note(info_line(r));
		// A read txn that stays open across the other process's commit.
		r.begin(MDB_RDONLY);
		MDB_txn *reader = r.txn;
		r.txn = nullptr;
		r.note("child " + std::to_string(grow_in_child(r, flags, size_t(1) << 20, 100, 60)));
		r.note(info_line(r));
		{
			MDB_val k{7, const_cast<char *>("k000001")}, v{};
			r.rc("old reader get", r.a.mdb_get(reader, d, &k, &v));
			r.rc("old reader renew-less txn id " + std::to_string(r.a.mdb_txn_id(reader)), 0);
			r.a.mdb_txn_reset(reader);
			r.rc("old reader renew", r.a.mdb_txn_renew(reader));
			r.a.mdb_txn_abort(reader);
		}
		r.begin(MDB_RDONLY);
		if (r.txn) r.abort();
		r.begin();
		if (r.txn) r.abort();
		r.note(info_line(r));
		// An explicit size below the data is rounded up to the data.
		r.rc("set_mapsize 20 pages", r.a.mdb_env_set_mapsize(r.env, size_t(20) << 12));
		r.note(info_line(r));
		r.begin();
		if (r.txn) r.abort();
		r.rc("set_mapsize 0", r.a.mdb_env_set_mapsize(r.env, 0));
		r.note(info_line(r));
		r.begin();
		if (r.txn) {
			r.get(d, key_of(100));
			r.put(d, key_of(1000), std::string(3000, 'p'));
			r.commit();
		}
		r.note(info_line(r));
		r.close_env();
		std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
		if (std::system(rm.c_str())) r.note("rm failed");
	}
}

// The calls a txn can make, each as the first write of a txn on a map that
// is full (no page left at its end, none left to reclaim).
enum class Call {
	Put, PutReserve, PutAppend, PutBig, PutNoOverwriteExisting, PutExistingSameSize, CursorPut, CursorPutCurrent,
	Del, DelMissing, CursorDel, DropEmpty, DropDelete, DbiCreate, DbiOpenExisting, DupPut, DupPutSubDb, Multiple,
	ChildPut, ChildCommit, CommitEmpty, CommitAfterDel, Count_
};
const char *const kCallNames[] = {"put", "put RESERVE", "put APPEND", "put 3-page value", "put NOOVERWRITE existing",
                                  "put existing same size", "cursor_put", "cursor_put CURRENT", "del", "del missing",
                                  "cursor_del", "drop(0)", "drop(1)", "dbi_open CREATE", "dbi_open existing",
                                  "dupsort put", "dupsort put to a sub-db", "MULTIPLE", "child put",
                                  "child commit after put", "commit of an empty txn", "commit after del"};
static_assert(sizeof(kCallNames) / sizeof(kCallNames[0]) == size_t(Call::Count_));

std::string big_value(size_t n, char c) { return std::string(n, c); }

// Fill the map: one put per txn, each committed, until three txns in a row
// fail (pages freed by earlier commits are reclaimed first).
void fill_map(Run &r, MDB_dbi d, size_t vsize) {
	unsigned stored = 0, failed = 0, i = 0;
	std::string v = big_value(vsize, 'f');
	while (failed < 3 && i < 100000) {
		if (r.a.mdb_txn_begin(r.env, nullptr, 0, &r.txn)) break;
		std::string k = "fill" + std::to_string(100000 + i++);
		MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
		int rc = r.a.mdb_put(r.txn, d, &kv, &vv, 0);
		if (rc == 0) rc = r.a.mdb_txn_commit(r.txn);
		else r.a.mdb_txn_abort(r.txn);
		r.txn = nullptr;
		if (rc == 0) {
			stored++;
			failed = 0;
		} else {
			failed++;
		}
	}
	r.note("filled: " + std::to_string(stored) + " puts");
	r.note(info_line(r));
}

// What a txn answers after a failed call, and what its end leaves.
void probe_after(Run &r, MDB_dbi d, MDB_cursor *c) {
	r.get(d, "a-key");
	if (c) {
		r.cget(c, MDB_FIRST);
		r.cget(c, MDB_GET_CURRENT);
		r.cget(c, MDB_NEXT);
	}
	r.stat(d);
	unsigned flags = 0;
	r.rc("dbi_flags", r.a.mdb_dbi_flags(r.txn, d, &flags));
	MDB_cursor *c2 = nullptr;
	int orc = r.rc("cursor_open after", r.a.mdb_cursor_open(r.txn, d, &c2));
	if (!orc) {
		r.cget(c2, MDB_LAST);
		r.a.mdb_cursor_close(c2);
	}
	r.put(d, "z-small", "s");
	MDB_dbi again = 0;
	r.rc("dbi_open main", r.a.mdb_dbi_open(r.txn, nullptr, 0, &again));
	r.rc("dbi_open plain", r.a.mdb_dbi_open(r.txn, "plain", 0, &again));
	r.a.mdb_txn_reset(r.txn);  // ignored on a write txn
	r.rc("txn_renew (write txn)", r.a.mdb_txn_renew(r.txn));
	r.rc("txn_id " + std::to_string(r.a.mdb_txn_id(r.txn)), 0);
	MDB_txn *child = nullptr;
	int crc = r.rc("child begin", r.a.mdb_txn_begin(r.env, r.txn, 0, &child));
	if (!crc) r.a.mdb_txn_abort(child);
	r.note(info_line(r));
}

void run_call(Run &r, Call call, unsigned env_flags, size_t mapsize, bool brim) {
	r.note(std::string("== ") + kCallNames[int(call)] + ", map " + std::to_string(mapsize) + ", flags " +
	       std::to_string(env_flags) + (brim ? ", filled to the brim" : ""));
	if (r.open_env(env_flags, mapsize)) return;
	// The dbs, with some content, before the map fills.
	r.begin();
	MDB_dbi main = r.dbi(nullptr, 0);
	MDB_dbi plain = r.dbi("plain", MDB_CREATE);
	MDB_dbi dup = r.dbi("dup", MDB_CREATE | MDB_DUPSORT);
	MDB_dbi fixed = r.dbi("fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED);
	MDB_dbi empty = r.dbi("empty", MDB_CREATE);
	for (int i = 0; i < 20; i++) r.put(plain, "a-key" + std::to_string(i), big_value(40, 'p'));
	r.put(plain, "a-key", big_value(40, 'q'));
	r.put(plain, "m-over", big_value(5000, 'o'));
	for (int i = 0; i < 30; i++) r.put(dup, "d", "item" + std::to_string(100 + i));
	r.put(dup, "e", "one");
	for (int i = 0; i < 10; i++) r.put(fixed, "x", "fixed-item-" + std::to_string(10 + i));
	r.commit();
	fill_map(r, main, 300);
	// To the brim: then 1-byte values into the db the calls use, until no
	// page is left for even one of them.
	if (brim) fill_map(r, plain, 1);
	if (r.begin()) return;
	MDB_cursor *c = nullptr;
	int rc = 0;
	switch (call) {
		case Call::Put: rc = r.put(plain, "b-new", big_value(40, 'n')); break;
		case Call::PutReserve: {
			std::string k = "b-reserve";
			MDB_val kv{k.size(), k.data()}, vv{2000, nullptr};
			rc = r.rc("put RESERVE 2000", r.a.mdb_put(r.txn, plain, &kv, &vv, MDB_RESERVE));
			if (!rc) std::memset(vv.mv_data, 'r', vv.mv_size);
			break;
		}
		case Call::PutAppend: rc = r.put(plain, "zz-append", big_value(40, 'A'), MDB_APPEND); break;
		case Call::PutBig: rc = r.put(plain, "b-big", big_value(3 * 4096 - 100, 'B')); break;
		case Call::PutNoOverwriteExisting: rc = r.put(plain, "a-key", "x", MDB_NOOVERWRITE); break;
		case Call::PutExistingSameSize: rc = r.put(plain, "a-key", big_value(40, 'S')); break;
		case Call::CursorPut:
			c = r.cursor(plain);
			rc = r.cput(c, "b-cursor", "v");
			break;
		case Call::CursorPutCurrent:
			c = r.cursor(plain);
			r.cget(c, MDB_SET, "a-key");
			rc = r.cput(c, "a-key", big_value(40, 'C'), MDB_CURRENT);
			break;
		case Call::Del: rc = r.del(plain, "a-key"); break;
		case Call::DelMissing: rc = r.del(plain, "a-missing"); break;
		case Call::CursorDel:
			c = r.cursor(plain);
			r.cget(c, MDB_SET, "m-over");
			rc = r.cdel(c);
			break;
		case Call::DropEmpty: rc = r.rc("drop(0) plain", r.a.mdb_drop(r.txn, plain, 0)); break;
		case Call::DropDelete: rc = r.rc("drop(1) empty", r.a.mdb_drop(r.txn, empty, 1)); break;
		case Call::DbiCreate: {
			MDB_dbi nd = 0;
			rc = r.rc("dbi_open new CREATE", r.a.mdb_dbi_open(r.txn, "new", MDB_CREATE, &nd));
			break;
		}
		case Call::DbiOpenExisting: {
			MDB_dbi nd = 0;
			rc = r.rc("dbi_open plain again", r.a.mdb_dbi_open(r.txn, "plain", 0, &nd));
			break;
		}
		case Call::DupPut: rc = r.put(dup, "e", "two"); break;
		case Call::DupPutSubDb:
			// "d" holds a sub-page of 30 items; more items make it a sub-db.
			for (int i = 0; i < 200 && !rc; i++) rc = r.put(dup, "d", "more-item-" + std::to_string(1000 + i));
			break;
		case Call::Multiple: {
			c = r.cursor(fixed);
			std::string items;
			// 13-byte items, the size of the db's items.
			for (int i = 0; i < 400; i++) items += "multi-" + std::to_string(1000000 + i);
			rc = r.cput_multiple(c, "x", items, 13);
			break;
		}
		case Call::ChildPut:
		case Call::ChildCommit: {
			MDB_txn *parent = r.txn;
			if (r.rc("child begin", r.a.mdb_txn_begin(r.env, parent, 0, &r.txn))) {
				r.txn = parent;
				break;
			}
			rc = r.put(plain, "b-child", big_value(100, 'c'));
			if (call == Call::ChildCommit) {
				rc = r.rc("child commit", r.a.mdb_txn_commit(r.txn));
			} else {
				r.get(plain, "a-key");
				r.a.mdb_txn_abort(r.txn);
				r.note("child aborted");
			}
			r.txn = parent;
			break;
		}
		case Call::CommitEmpty: break;
		case Call::CommitAfterDel:
			for (int i = 0; i < 20; i++) r.del(plain, "a-key" + std::to_string(i));
			break;
		case Call::Count_: break;
	}
	r.note("call rc " + code(rc));
	if (call != Call::CommitEmpty) probe_after(r, plain, c);
	r.rc("commit", r.a.mdb_txn_commit(r.txn));
	r.txn = nullptr;
	r.note(info_line(r));
	// The file and the data after the txn's end, and after a reopen with a
	// bigger map, where the same call succeeds.
	r.begin(MDB_RDONLY);
	r.stat(plain);
	r.get(plain, "a-key");
	r.abort();
	r.note_page_layout();
	if (r.open_env(env_flags, mapsize + (size_t(64) << 12))) return;
	r.note(info_line(r));
	r.begin();
	plain = r.dbi("plain", 0);
	r.put(plain, "b-after", big_value(3000, 'y'));
	r.commit();
	r.note(info_line(r));
	r.close_env();
	std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
	if (std::system(rm.c_str())) r.note("rm failed");
}

// Each call as the first write of a txn on a full map, at map sizes of a
// few pages (whole and not), with and without MDB_WRITEMAP (no child txns
// there): its answer, what the txn answers afterwards (MDB_BAD_TXN), what
// commit answers, the env info and the file's pages after its end.
void map_full_every_call(Run &r) {
	for (unsigned flags : {unsigned(MDB_NOSYNC), unsigned(MDB_NOSYNC | MDB_WRITEMAP)}) {
		const size_t mapsize = (flags & MDB_WRITEMAP) ? (size_t(40) << 12) + 2000 : size_t(24) << 12;
		for (bool brim : {false, true})
			for (int call = 0; call < int(Call::Count_); call++) run_call(r, Call(call), flags, mapsize, brim);
	}
}

// A parent's cursors across a child that meets a full map: the child's
// puts (some splitting the pages under the parent's cursors) until
// MDB_MAP_FULL, then the child aborted, or committed (MDB_BAD_TXN, which
// marks the parent failed too), or left open while the parent commits
// (the child's commit fails first).  Then the parent's cursors and calls.
void parent_across_failed_child(Run &r) {
	for (int end = 0; end < 3; end++)
		for (unsigned before : {0u, 40u}) {
			r.note("== end " + std::to_string(end) + ", child puts before the failing one " + std::to_string(before));
			r.open_env(MDB_NOSYNC, size_t(48) << 12);
			r.begin();
			MDB_dbi d = r.dbi("t", MDB_CREATE);
			MDB_dbi dd = r.dbi("dups", MDB_CREATE | MDB_DUPSORT);
			for (int i = 0; i < 60; i++) r.put(d, "k" + std::to_string(100 + i), big_value(60, 'a'));
			for (int i = 0; i < 20; i++) r.put(dd, "dk", "item" + std::to_string(100 + i));
			r.commit();
			r.begin();
			MDB_cursor *c1 = r.cursor(d), *c2 = r.cursor(d), *c3 = r.cursor(dd);
			r.cget(c1, MDB_SET, "k130");
			r.cget(c2, MDB_LAST);
			r.cget(c3, MDB_SET, "dk");
			r.cget(c3, MDB_NEXT_DUP);
			MDB_txn *parent = r.txn;
			if (r.rc("child begin", r.a.mdb_txn_begin(r.env, parent, 0, &r.txn))) {
				r.txn = parent;
				r.abort();
				continue;
			}
			for (unsigned i = 0; i < before; i++) r.put(d, "k130" + std::to_string(i), big_value(60, 'c'));
			r.del(dd, "dk");
			int rc = 0;
			for (int i = 0; i < 200 && !rc; i++) rc = r.put(d, "big" + std::to_string(i), big_value(5000, 'B'));
			r.get(d, "k130");
			if (end == 0) {
				r.a.mdb_txn_abort(r.txn);
				r.note("child aborted");
			} else if (end == 1) {
				r.rc("child commit", r.a.mdb_txn_commit(r.txn));
			}
			MDB_txn *child = r.txn;
			r.txn = parent;
			if (end == 2) {
				r.rc("parent commit with the child open", r.a.mdb_txn_commit(parent));
				r.txn = nullptr;
				(void)child;
			} else {
				for (MDB_cursor *c : {c1, c2, c3}) {
					r.cget(c, MDB_GET_CURRENT);
					r.cget(c, MDB_NEXT);
					r.cget(c, MDB_PREV);
				}
				r.get(d, "k130");
				r.get(dd, "dk");
				r.put(d, "k-parent", "p");
				r.stat(d);
				r.rc("parent commit", r.a.mdb_txn_commit(parent));
				r.txn = nullptr;
			}
			r.note(info_line(r));
			r.begin(MDB_RDONLY);
			r.stat(d);
			r.get(d, "k-parent");
			r.get(dd, "dk");
			r.abort();
			r.note_page_layout();
			r.close_env();
			std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
			if (std::system(rm.c_str())) r.note("rm failed");
		}
}

// Ours only (upstream 0.9.24 and 0.9.32 die of SIGBUS after it): growing
// the map of an MDB_FIXEDMAP env with mdb_env_set_mapsize.  The kernel can
// rarely give the bigger map the same address (the pages after the old map
// are taken, here by the lock file's map): upstream unmaps, gets a map
// elsewhere, answers EBUSY and goes on with pointers into the old one.
// Ours answers EBUSY with the old map back (or 0 where the address was
// free) and goes on at the size it has.
void fixedmap_growth(Run &r) {
	for (unsigned wm : {0u, unsigned(MDB_WRITEMAP)}) {
		r.open_env(MDB_NOSYNC | MDB_FIXEDMAP | wm, size_t(64) << 12);
		r.begin();
		MDB_dbi d = r.dbi(nullptr, 0);
		r.put(d, "before", big_value(3000, 'b'));
		r.commit();
		MDB_envinfo before{}, after{};
		r.a.mdb_env_info(r.env, &before);
		int rc = r.a.mdb_env_set_mapsize(r.env, size_t(256) << 12);
		r.ours_expect(rc == 0 || rc == EBUSY, "FIXEDMAP growth: 0 or EBUSY, got " + code(rc));
		r.ours_expect(r.a.mdb_env_info(r.env, &after) == 0 && after.me_mapaddr == before.me_mapaddr &&
		                  after.me_mapsize == (rc ? before.me_mapsize : size_t(256) << 12),
		              "FIXEDMAP growth: the map stays at its address, at the old size after EBUSY");
		MDB_txn *t = nullptr;
		int brc = r.a.mdb_txn_begin(r.env, nullptr, 0, &t);
		r.ours_expect(brc == 0, "a write txn after the FIXEDMAP growth: " + code(brc));
		if (brc == 0) {
			MDB_val k{5, const_cast<char *>("after")}, v{3000, nullptr}, got{};
			std::string val = big_value(3000, 'a');
			v.mv_data = val.data();
			r.ours_expect(r.a.mdb_put(t, d, &k, &v, 0) == 0, "put after the FIXEDMAP growth");
			MDB_val k0{6, const_cast<char *>("before")};
			r.ours_expect(r.a.mdb_get(t, d, &k0, &got) == 0 && got.mv_size == 3000, "the data before is there");
			r.ours_expect(r.a.mdb_txn_commit(t) == 0, "commit after the FIXEDMAP growth");
		}
		r.close_env();
		std::string rm = "rm -f '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
		if (std::system(rm.c_str())) r.note("rm failed");
	}
}

// Copies of a full map, plain and compacting, after the map size changed:
// the map size and last page a copy records, seen by an open that sets no
// map size, and by one that sets a smaller one.
void copies_of_full_map(Run &r) {
	for (unsigned wm : {0u, unsigned(MDB_WRITEMAP)}) {
		r.open_env(MDB_NOSYNC | wm, (size_t(20) << 12) + 100);
		r.begin();
		MDB_dbi d = r.dbi(nullptr, 0);
		r.commit();
		fill_map(r, d, 300);
		r.begin();
		for (int i = 0; i < 30; i++) r.del(d, "fill" + std::to_string(100000 + 2 * i));
		r.commit();
		r.note(info_line(r));
		for (size_t size : {(size_t(64) << 12) + 1234, size_t(0), size_t(8) << 12}) {
			r.rc("set_mapsize " + std::to_string(size), r.a.mdb_env_set_mapsize(r.env, size));
			r.note(info_line(r));
			for (unsigned cp : {0u, unsigned(MDB_CP_COMPACT)}) {
				std::string to = r.dir + "/copy" + std::to_string(cp) + "_" + std::to_string(size);
				mkdir(to.c_str(), 0755);
				r.rc("copy2 " + std::to_string(cp), r.a.mdb_env_copy2(r.env, to.c_str(), cp));
				for (size_t open_size : {size_t(0), size_t(4) << 12}) {
					MDB_env *e = nullptr;
					r.a.mdb_env_create(&e);
					if (open_size) r.a.mdb_env_set_mapsize(e, open_size);
					if (r.rc("open copy", r.a.mdb_env_open(e, to.c_str(), MDB_NOSYNC | wm, 0644)) == 0) {
						MDB_envinfo info{};
						r.a.mdb_env_info(e, &info);
						r.note("copy: mapsize " + std::to_string(info.me_mapsize) + " last_pgno " +
						       std::to_string(info.me_last_pgno) + " txnid " + std::to_string(info.me_last_txnid));
						MDB_txn *t = nullptr;
						if (r.rc("copy: write txn", r.a.mdb_txn_begin(e, nullptr, 0, &t)) == 0) {
							MDB_dbi cd = 0;
							r.a.mdb_dbi_open(t, nullptr, 0, &cd);
							std::string big = big_value(9000, 'c');
							MDB_val k{3, const_cast<char *>("new")}, v{big.size(), big.data()};
							r.rc("copy: put", r.a.mdb_put(t, cd, &k, &v, 0));
							r.rc("copy: commit", r.a.mdb_txn_commit(t));
						}
					}
					r.a.mdb_env_close(e);
					std::string rm = "rm -f '" + to + "/lock.mdb'";
					if (std::system(rm.c_str())) r.note("rm failed");
				}
			}
		}
		r.close_env();
		std::string rm = "rm -rf '" + r.dir + "'/copy* '" + r.dir + "/data.mdb' '" + r.dir + "/lock.mdb'";
		if (std::system(rm.c_str())) r.note("rm failed");
	}
}

}  // namespace

void add_mapfull_cases(std::vector<Case> &out) {
	out.push_back({"copies_of_full_map", copies_of_full_map});
	out.push_back({"fixedmap_growth", fixedmap_growth, false, false});
	out.push_back({"parent_across_failed_child", parent_across_failed_child});
	out.push_back({"map_resized_elsewhere", map_resized_elsewhere});
	out.push_back({"map_resized_boundary", map_resized_boundary});
	out.push_back({"map_full_every_call", map_full_every_call});
}

}  // namespace compat::edges
