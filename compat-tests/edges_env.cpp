// Environment set-up and misuse, differential: the reader table that an
// existing lock file decides, mdb_env_set_maxreaders at its limits, the
// files mdb_env_open meets (missing, empty, foreign, unreadable), calls on
// an env that is not open (never, or after a failed mdb_env_open, which
// upstream does not let a caller retry once the data file was opened), open
// and run-time flags, map size changes.  Calls where upstream crashes are
// made on ours alone and asserted (docs/divergences.md, section 7).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "edges.h"

namespace compat::edges {

namespace {

// A new directory under the side's own one.
std::string subdir(const Run &r, const std::string &name) {
	std::string d = r.dir + "/" + name;
	mkdir(d.c_str(), 0755);
	return d;
}

void write_file(const std::string &path, const std::string &bytes) {
	int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0) return;
	if (!bytes.empty() && ::write(fd, bytes.data(), bytes.size()) < 0) {
	}
	::close(fd);
}

long long file_size(const std::string &path) {
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 ? (long long)st.st_size : -1;
}

// The directory's files, names and sizes, in name order.
void note_files(Run &r, const std::string &dir) {
	std::vector<std::string> names;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.') names.push_back(e->d_name);
		closedir(d);
	}
	std::sort(names.begin(), names.end());
	std::string s = "files:";
	for (const std::string &n : names) s += " " + n + "=" + std::to_string(file_size(dir + "/" + n));
	r.note(s);
}

// mdb_env_info and mdb_env_get_maxreaders of an open env.  The map address
// is only compared as set or not (MDB_FIXEDMAP records where the map was).
void note_info(Run &r, MDB_env *env, const std::string &what) {
	MDB_envinfo in;
	std::memset(&in, 0, sizeof in);
	int rc = r.a.mdb_env_info(env, &in);
	unsigned maxr = 0;
	int rc2 = r.a.mdb_env_get_maxreaders(env, &maxr);
	unsigned flags = 0;
	int rc3 = r.a.mdb_env_get_flags(env, &flags);
	r.rc(what + " info mapaddr " + (in.me_mapaddr ? "set" : "null") + " mapsize " + std::to_string(in.me_mapsize) +
	         " last_pgno " + std::to_string(in.me_last_pgno) + " txnid " + std::to_string(in.me_last_txnid) +
	         " maxreaders " + std::to_string(in.me_maxreaders) + " numreaders " + std::to_string(in.me_numreaders),
	     rc);
	r.rc(what + " get_maxreaders " + std::to_string(maxr), rc2);
	r.rc(what + " get_flags " + std::to_string(flags), rc3);
}

// Read txns begun until one fails (at most `limit`), then all aborted: how
// many readers the table really holds.  The env must have MDB_NOTLS.
void note_readers_usable(Run &r, MDB_env *env, unsigned limit) {
	std::vector<MDB_txn *> txns;
	int rc = 0;
	while (txns.size() < limit) {
		MDB_txn *t = nullptr;
		if ((rc = r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &t)) != 0) break;
		txns.push_back(t);
	}
	r.rc("readers begun " + std::to_string(txns.size()) + ", then", rc);
	if (!txns.empty()) note_info(r, env, "with readers");
	for (MDB_txn *t : txns) r.a.mdb_txn_abort(t);
}

// An env with one committed item, closed again: data.mdb and lock.mdb.
void populate(Run &r, const std::string &dir, unsigned maxreaders = 0, unsigned flags = 0) {
	MDB_env *env = nullptr;
	r.a.mdb_env_create(&env);
	if (maxreaders) r.a.mdb_env_set_maxreaders(env, maxreaders);
	int rc = r.a.mdb_env_open(env, dir.c_str(), flags | MDB_NOSYNC, 0644);
	if (rc == 0) {
		MDB_txn *t = nullptr;
		MDB_dbi d;
		r.a.mdb_txn_begin(env, nullptr, 0, &t);
		r.a.mdb_dbi_open(t, nullptr, 0, &d);
		MDB_val k{1, const_cast<char *>("k")}, v{5, const_cast<char *>("value")};
		r.a.mdb_put(t, d, &k, &v, 0);
		rc = r.a.mdb_txn_commit(t);
	}
	r.rc("populate", rc);
	r.a.mdb_env_close(env);
}

// A child process that opens `dir` with `maxreaders` (first user: its
// table size decides) and holds it open until release() (its shared lock
// keeps the lock file from being re-made).
struct Holder {
	pid_t pid = -1;
	int go[2] = {-1, -1};
	char opened = '?';
	Holder(Run &r, const std::string &dir, unsigned maxreaders) {
		int ready[2];
		if (pipe(ready) || pipe(go)) return;
		pid = fork();
		if (pid == 0) {
			MDB_env *env = nullptr;
			r.a.mdb_env_create(&env);
			r.a.mdb_env_set_maxreaders(env, maxreaders);
			char c = r.a.mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644) ? 'x' : 'o';
			if (::write(ready[1], &c, 1) < 0 || ::read(go[0], &c, 1) < 0) {
			}
			r.a.mdb_env_close(env);
			_exit(0);
		}
		::close(ready[1]);
		if (::read(ready[0], &opened, 1) != 1) opened = '!';
		::close(ready[0]);
	}
	void release() {
		if (pid <= 0) return;
		if (::write(go[1], "q", 1) < 0) {
		}
		waitpid(pid, nullptr, 0);
		pid = -1;
		::close(go[0]);
		::close(go[1]);
	}
	~Holder() { release(); }
};

// 1. The reader table's size comes from the lock file when it exists: a
// bigger table is kept even by the exclusive opener, a smaller one is
// grown only by an exclusive opener; a non-exclusive opener takes what the
// first user made.  mdb_env_get_maxreaders and mdb_env_info report the
// table's size, which is what the readers find (MDB_READERS_FULL after it).
void env_maxreaders_lock_file(Run &r) {
	const unsigned pairs[][2] = {{300, 50}, {10, 50}, {300, 0}, {10, 0}, {200, 200}, {1, 0}};
	for (const auto &p : pairs) {
		std::string d = subdir(r, "m" + std::to_string(p[0]) + "_" + std::to_string(p[1]));
		r.note("lock file made with " + std::to_string(p[0]) + ", opened with " + std::to_string(p[1]));
		populate(r, d, p[0]);
		r.note("lock size " + std::to_string(file_size(d + "/lock.mdb")));
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		if (p[1]) r.rc("set_maxreaders", r.a.mdb_env_set_maxreaders(env, p[1]));
		if (r.rc("open", r.a.mdb_env_open(env, d.c_str(), MDB_NOTLS | MDB_NOSYNC, 0644)) == 0) {
			r.note("lock size " + std::to_string(file_size(d + "/lock.mdb")));
			note_info(r, env, "opened");
			note_readers_usable(r, env, 400);
		}
		r.a.mdb_env_close(env);
	}
	// Read-only: the same rule.
	{
		std::string d = subdir(r, "rdonly");
		populate(r, d, 40);
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.a.mdb_env_set_maxreaders(env, 5);
		if (r.rc("open rdonly", r.a.mdb_env_open(env, d.c_str(), MDB_RDONLY | MDB_NOTLS, 0644)) == 0) {
			note_info(r, env, "rdonly");
			note_readers_usable(r, env, 100);
		}
		r.a.mdb_env_close(env);
	}
	// Held by another process that made the table: a non-exclusive open.
	for (unsigned first : {10u, 300u}) {
		std::string d = subdir(r, "held" + std::to_string(first));
		populate(r, d);
		::unlink((d + "/lock.mdb").c_str());
		Holder h(r, d, first);
		r.note(std::string("holder opened: ") + h.opened);
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		if (r.rc("open while held", r.a.mdb_env_open(env, d.c_str(), MDB_NOTLS | MDB_NOSYNC, 0644)) == 0) {
			note_info(r, env, "held");
			note_readers_usable(r, env, 400);
		}
		r.a.mdb_env_close(env);
		h.release();
		r.note("lock size " + std::to_string(file_size(d + "/lock.mdb")));
	}
	// MDB_NOLOCK: no table, the configured number.
	{
		std::string d = subdir(r, "nolock");
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.a.mdb_env_set_maxreaders(env, 7);
		if (r.rc("open nolock", r.a.mdb_env_open(env, d.c_str(), MDB_NOLOCK | MDB_NOSYNC, 0644)) == 0)
			note_info(r, env, "nolock");
		r.a.mdb_env_close(env);
		note_files(r, d);
	}
}

// 2. mdb_env_set_maxreaders at its limits: 0 and after the open are EINVAL;
// any other value is taken, and the open makes a lock file of that many
// slots, sparse: UINT_MAX slots is a 256 GiB file that upstream opens.  Ours
// gives blocks to the first part of the table at the open and to the rest
// as readers reach it (ENOSPC there, never SIGBUS), and keeps no per-slot
// memory: the disk and memory used stay small.
void env_maxreaders_values(Run &r) {
	MDB_env *env = nullptr;
	r.a.mdb_env_create(&env);
	unsigned m = 0;
	r.rc("set_maxreaders 0", r.a.mdb_env_set_maxreaders(env, 0));
	r.a.mdb_env_get_maxreaders(env, &m);
	r.note("maxreaders " + std::to_string(m));
	r.rc("set_maxreaders 1", r.a.mdb_env_set_maxreaders(env, 1));
	std::string d = subdir(r, "one");
	if (r.rc("open", r.a.mdb_env_open(env, d.c_str(), MDB_NOTLS | MDB_NOSYNC, 0644)) == 0) {
		note_info(r, env, "one");
		note_readers_usable(r, env, 5);
		r.rc("set_maxreaders after open", r.a.mdb_env_set_maxreaders(env, 5));
		r.rc("set_maxreaders 0 after open", r.a.mdb_env_set_maxreaders(env, 0));
		note_info(r, env, "one");
	}
	r.a.mdb_env_close(env);
	note_files(r, d);
	for (unsigned v : {UINT_MAX, UINT_MAX - 1, 1u << 26, 20000u}) {
		d = subdir(r, "v" + std::to_string(v));
		r.a.mdb_env_create(&env);
		r.rc("set_maxreaders " + std::to_string(v), r.a.mdb_env_set_maxreaders(env, v));
		const unsigned want = v == 20000u ? 20001u : 3u;
		if (r.rc("open", r.a.mdb_env_open(env, d.c_str(), MDB_NOTLS | MDB_NOSYNC, 0644)) == 0) {
			note_info(r, env, "opened");
			note_readers_usable(r, env, want);
			MDB_txn *t = nullptr;
			r.rc("write txn", r.a.mdb_txn_begin(env, nullptr, 0, &t));
			if (t) r.rc("commit", r.a.mdb_txn_commit(t));
		}
		r.a.mdb_env_close(env);
		note_files(r, d);
		struct stat st;
		if (r.ours && ::stat((d + "/lock.mdb").c_str(), &st) == 0) {
			const unsigned long long used = (unsigned long long)st.st_blocks * 512;
			if (v == 20000u)  // every slot was taken: all have their blocks
				r.ours_expect(used >= 128ull + 64ull * v, "a lock table of 20000 readers all taken has its blocks, " +
				                                               std::to_string(used) + " bytes");
			else
				r.ours_expect(used <= (8ull << 20), "a lock table of " + std::to_string(v) + " slots uses " +
				                                         std::to_string(used) + " bytes of disk, not more than 8 MiB");
		}
		::unlink((d + "/lock.mdb").c_str());
	}
}

// After a failed mdb_env_open: what ours answers where upstream reads freed
// or unmapped memory (the path, the descriptor it closed).
void expect_failed_open_state(Run &r, MDB_env *env, const std::string &what) {
	if (!r.ours) return;
	const char *p = "x";
	r.ours_expect(r.a.mdb_env_get_path(env, &p) == 0 && p == nullptr, what + ": get_path gives NULL");
	int fd = 5;
	r.ours_expect(r.a.mdb_env_get_fd(env, &fd) == 0 && fd == -1, what + ": get_fd gives -1");
	MDB_stat st;
	r.ours_expect(r.a.mdb_env_stat(env, &st) == EINVAL, what + ": env_stat EINVAL");
	MDB_envinfo in;
	std::memset(&in, 0x55, sizeof in);
	r.ours_expect(r.a.mdb_env_info(env, &in) == 0 && in.me_mapaddr == nullptr && in.me_last_txnid == 0,
	              what + ": env_info without a map");
	int dead = -1;
	r.ours_expect(r.a.mdb_reader_check(env, &dead) == 0 && dead == 0, what + ": reader_check 0");
	MDB_txn *t = nullptr;
	r.ours_expect(r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &t) != 0, what + ": no read txn");
}

// One mdb_env_open on `path`; on failure, what the env answers next, and
// a retry on a good env: upstream refuses it (EINVAL) once the failed open
// had opened the data file.
void open_case(Run &r, const std::string &what, const std::string &path, unsigned flags,
               const std::string &retry_path = "") {
	MDB_env *env = nullptr;
	r.a.mdb_env_create(&env);
	int rc = r.rc("open " + what, r.a.mdb_env_open(env, path.c_str(), flags, 0644));
	if (rc == 0) {
		note_info(r, env, what);
		MDB_txn *t = nullptr;
		if (r.rc("read txn", r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &t)) == 0) {
			MDB_dbi d;
			r.rc("dbi_open", r.a.mdb_dbi_open(t, nullptr, 0, &d));
			r.a.mdb_txn_abort(t);
		}
		if (r.rc("write txn", r.a.mdb_txn_begin(env, nullptr, 0, &t)) == 0) r.a.mdb_txn_abort(t);
	} else {
		unsigned f = 0;
		r.rc("get_flags after failure " + std::to_string((r.a.mdb_env_get_flags(env, &f), f)), 0);
		r.rc("sync after failure", r.a.mdb_env_sync(env, 1));
		if (flags & MDB_RDONLY) {
			// (Without MDB_RDONLY upstream's write txn uses the freed
			// preallocated txn; ours answers EINVAL.)
			MDB_txn *t = nullptr;
			r.rc("write txn after a failed read-only open", r.a.mdb_txn_begin(env, nullptr, 0, &t));
		}
		expect_failed_open_state(r, env, what);
		if (!retry_path.empty()) {
			r.rc("retry", r.a.mdb_env_open(env, retry_path.c_str(), flags & ~unsigned(MDB_RDONLY), 0644));
			r.rc("get_flags after retry " + std::to_string((r.a.mdb_env_get_flags(env, &f), f)), 0);
		}
	}
	r.a.mdb_env_close(env);
}

// 3. The files mdb_env_open meets.  A read-only open of an empty data file
// tries to write its meta pages through the read-only descriptor: EBADF.
void env_open_files(Run &r) {
	std::string d = subdir(r, "empty_data");
	write_file(d + "/data.mdb", "");
	open_case(r, "rdonly, 0-byte data.mdb", d, MDB_RDONLY, subdir(r, "retry1"));
	note_files(r, d);
	open_case(r, "rdonly|fixedmap, 0-byte data.mdb", d, MDB_RDONLY | MDB_FIXEDMAP);
	open_case(r, "rdonly, missing data.mdb", subdir(r, "no_data"), MDB_RDONLY, d);
	note_files(r, r.dir + "/no_data");
	open_case(r, "missing dir", r.dir + "/nosuch", 0, subdir(r, "retry2"));
	open_case(r, "rdonly, missing dir", r.dir + "/nosuch", MDB_RDONLY);
	d = subdir(r, "files");
	open_case(r, "nosubdir, new file", d + "/new", MDB_NOSUBDIR);
	note_files(r, d);
	open_case(r, "nosubdir rdonly, missing file", d + "/nosuch", MDB_NOSUBDIR | MDB_RDONLY, d + "/retry3");
	write_file(d + "/empty", "");
	open_case(r, "nosubdir rdonly, 0-byte file", d + "/empty", MDB_NOSUBDIR | MDB_RDONLY, d + "/retry4");
	open_case(r, "nosubdir, 0-byte file", d + "/empty", MDB_NOSUBDIR);
	note_files(r, d);
	open_case(r, "nosubdir on a directory", subdir(r, "adir"), MDB_NOSUBDIR, d + "/retry5");
	open_case(r, "subdir on a file", d + "/empty", 0, subdir(r, "retry6"));
	write_file(d + "/short", "xxxx");
	open_case(r, "nosubdir, 4-byte file", d + "/short", MDB_NOSUBDIR, d + "/retry7");
	open_case(r, "nosubdir rdonly, 4-byte file", d + "/short", MDB_NOSUBDIR | MDB_RDONLY);
	write_file(d + "/zeros", std::string(5000, '\0'));
	open_case(r, "nosubdir, 5000 zero bytes", d + "/zeros", MDB_NOSUBDIR, d + "/retry8");
	note_files(r, d);
	// Lock files that an exclusive opener re-makes.
	d = subdir(r, "short_lock");
	populate(r, d);
	if (truncate((d + "/lock.mdb").c_str(), 100)) r.note("truncate failed");
	open_case(r, "lock file of 100 bytes", d, 0);
	note_files(r, d);
	d = subdir(r, "garbage_lock");
	populate(r, d);
	write_file(d + "/lock.mdb", std::string(8192, 'g'));
	open_case(r, "garbage lock file, rdonly", d, MDB_RDONLY);
	open_case(r, "garbage lock file", d, 0);
	// A lock file damaged while another process holds it: the non-exclusive
	// opener checks it.  Read-write: before the data file (a retry works);
	// read-only: after it (upstream refuses the retry).
	d = subdir(r, "held_garbage");
	populate(r, d);
	{
		Holder h(r, d, 126);
		r.note(std::string("holder opened: ") + h.opened);
		int fd = ::open((d + "/lock.mdb").c_str(), O_WRONLY);
		if (fd >= 0) {
			if (::pwrite(fd, "garbage!", 8, 0) != 8) r.note("pwrite failed");
			::close(fd);
		}
		open_case(r, "held lock file with a bad magic", d, 0, subdir(r, "retry9"));
		open_case(r, "held lock file with a bad magic, rdonly", d, MDB_RDONLY, subdir(r, "retry10"));
	}
	// A lock file emptied, or cut below one slot, while another process
	// holds it.  Empty: upstream maps 0 bytes, EINVAL.  Cut short:
	// upstream opens with a table of a nonsense size (4294967295 readers
	// for 100 bytes; 0.9.24 then crashes): ours MDB_INVALID.
	d = subdir(r, "held_cut");
	populate(r, d);
	{
		Holder h(r, d, 126);
		r.note(std::string("holder opened: ") + h.opened);
		if (truncate((d + "/lock.mdb").c_str(), 0)) r.note("truncate failed");
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.rc("open, held lock file emptied", r.a.mdb_env_open(env, d.c_str(), 0, 0644));
		r.a.mdb_env_close(env);
		if (r.ours) {
			for (off_t size : {off_t(8), off_t(100), off_t(191)}) {
				if (truncate((d + "/lock.mdb").c_str(), size)) r.note("truncate failed");
				r.a.mdb_env_create(&env);
				int rc = r.a.mdb_env_open(env, d.c_str(), 0, 0644);
				r.ours_expect(rc == MDB_INVALID, "a held lock file of " + std::to_string(size) +
				                                     " bytes: MDB_INVALID, got " + code(rc));
				r.a.mdb_env_close(env);
			}
		}
	}
	// Permissions, for the user running the test (root opens anything).
	d = subdir(r, "mode0");
	populate(r, d);
	chmod((d + "/data.mdb").c_str(), 0);
	open_case(r, "data.mdb of mode 0", d, 0);
	open_case(r, "data.mdb of mode 0, rdonly", d, MDB_RDONLY);
	d = subdir(r, "lockmode0");
	populate(r, d);
	chmod((d + "/lock.mdb").c_str(), 0);
	open_case(r, "lock.mdb of mode 0", d, 0);
	open_case(r, "lock.mdb of mode 0, rdonly", d, MDB_RDONLY);
}

// 3b. The same permissions for a user who is not root: a child process
// (as nobody when the test runs as root) makes its envs, takes the rights
// away and opens them; its answers come back through a pipe.
void env_open_permissions(Run &r) {
	// The child must reach the side's directory: every directory above it
	// up to the temporary one is made searchable.
	std::string dir = r.dir;
	for (int up = 0; up < 3; up++) {
		chmod(dir.c_str(), up == 0 ? 0777 : 0711);
		dir = dir.substr(0, dir.rfind('/'));
	}
	int out[2];
	if (pipe(out)) return;
	pid_t pid = fork();
	if (pid == 0) {
		::close(out[0]);
		if (geteuid() == 0 && (setgid(65534) || setuid(65534))) _exit(3);
		std::string log;
		auto note = [&](const std::string &s) { log += s + "\n"; };
		auto open_one = [&](const std::string &what, const std::string &path, unsigned flags) {
			MDB_env *env = nullptr;
			r.a.mdb_env_create(&env);
			int rc = r.a.mdb_env_open(env, path.c_str(), flags, 0644);
			std::string s = "open " + what + " -> " + std::to_string(rc);
			if (rc == 0) {
				MDB_txn *t = nullptr;
				s += ", read txn " + std::to_string(r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &t));
				if (t) r.a.mdb_txn_abort(t);
				t = nullptr;
				s += ", write txn " + std::to_string(r.a.mdb_txn_begin(env, nullptr, 0, &t));
				if (t) r.a.mdb_txn_abort(t);
			}
			note(s);
			r.a.mdb_env_close(env);
		};
		auto make = [&](const std::string &name) {
			std::string d = r.dir + "/" + name;
			mkdir(d.c_str(), 0755);
			MDB_env *env = nullptr;
			r.a.mdb_env_create(&env);
			int rc = r.a.mdb_env_open(env, d.c_str(), 0, 0644);
			r.a.mdb_env_close(env);
			note("make " + name + " -> " + std::to_string(rc));
			return d;
		};
		std::string d = make("u_data0");
		chmod((d + "/data.mdb").c_str(), 0);
		open_one("data.mdb mode 0", d, 0);
		open_one("data.mdb mode 0, rdonly", d, MDB_RDONLY);
		d = make("u_lock0");
		chmod((d + "/lock.mdb").c_str(), 0);
		open_one("lock.mdb mode 0", d, 0);
		open_one("lock.mdb mode 0, rdonly", d, MDB_RDONLY);
		d = make("u_data444");
		chmod((d + "/data.mdb").c_str(), 0444);
		open_one("data.mdb mode 0444", d, 0);
		open_one("data.mdb mode 0444, rdonly", d, MDB_RDONLY);
		d = make("u_dir555");
		::unlink((d + "/lock.mdb").c_str());
		chmod(d.c_str(), 0555);
		open_one("dir 0555 without lock.mdb", d, 0);
		open_one("dir 0555 without lock.mdb, rdonly", d, MDB_RDONLY);
		d = r.dir + "/u_empty555";
		mkdir(d.c_str(), 0555);
		open_one("empty dir 0555", d, 0);
		// New files made with a mode that does not let their owner write:
		// the data file is opened a second time for the meta writes
		// (not with MDB_WRITEMAP), which fails.
		for (unsigned wm : {0u, unsigned(MDB_WRITEMAP)})
			for (unsigned mode : {0u, 0444u, 0200u, 0600u}) {
				std::string what = "new env of mode " + std::to_string(mode) + (wm ? " writemap" : "");
				d = r.dir + "/u_mode" + std::to_string(mode) + "_" + std::to_string(wm);
				mkdir(d.c_str(), 0755);
				MDB_env *env = nullptr;
				r.a.mdb_env_create(&env);
				int rc = r.a.mdb_env_open(env, d.c_str(), wm, mode);
				std::string s = what + " -> " + std::to_string(rc);
				if (rc == 0) {
					MDB_txn *t = nullptr;
					MDB_dbi dbi;
					int wrc = r.a.mdb_txn_begin(env, nullptr, 0, &t);
					if (wrc == 0) {
						r.a.mdb_dbi_open(t, nullptr, 0, &dbi);
						MDB_val k{1, const_cast<char *>("k")};
						r.a.mdb_put(t, dbi, &k, &k, 0);
						wrc = r.a.mdb_txn_commit(t);
					}
					s += ", commit " + std::to_string(wrc);
				}
				r.a.mdb_env_close(env);
				struct stat st;
				for (const char *f : {"/data.mdb", "/lock.mdb"})
					if (::stat((d + f).c_str(), &st) == 0)
						s += std::string(" ") + (f + 1) + " " + std::to_string(st.st_mode & 07777) + " " +
						     std::to_string((long long)st.st_size);
				note(s);
			}
		if (::write(out[1], log.data(), log.size()) < 0) _exit(4);
		_exit(0);
	}
	::close(out[1]);
	std::string got;
	char buf[512];
	ssize_t n;
	while ((n = ::read(out[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
	::close(out[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	r.note("child exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
	size_t from = 0;
	for (size_t nl; (nl = got.find('\n', from)) != std::string::npos; from = nl + 1)
		r.note(got.substr(from, nl - from));
}

// 4. An env that was never opened.  mdb_env_sync syncs the descriptor it
// does not have (EBADF) unless MDB_NOSYNC spares it; upstream crashes on
// mdb_env_stat, mdb_env_info, the copies and mdb_txn_begin: asserted on
// ours (EINVAL, and an info of the settings so far).
void env_unopened_more(Run &r) {
	MDB_env *env = nullptr;
	r.a.mdb_env_create(&env);
	r.rc("sync force", r.a.mdb_env_sync(env, 1));
	r.rc("sync", r.a.mdb_env_sync(env, 0));
	r.rc("set_flags NOSYNC", r.a.mdb_env_set_flags(env, MDB_NOSYNC, 1));
	r.rc("sync with NOSYNC", r.a.mdb_env_sync(env, 0));
	r.rc("sync force with NOSYNC", r.a.mdb_env_sync(env, 1));
	const char *p = "x";
	int prc = r.a.mdb_env_get_path(env, &p);
	r.rc(std::string("get_path ") + (p ? "set" : "null"), prc);
	int fd = 5;
	r.rc("get_fd", r.a.mdb_env_get_fd(env, &fd));
	r.note("fd " + std::to_string(fd));
	unsigned f = 0;
	r.rc("get_flags", r.a.mdb_env_get_flags(env, &f));
	r.note("flags " + std::to_string(f));
	r.rc("set_flags RDONLY", r.a.mdb_env_set_flags(env, MDB_RDONLY, 1));
	r.rc("set_flags WRITEMAP", r.a.mdb_env_set_flags(env, MDB_WRITEMAP, 1));
	r.rc("set_flags NOMEMINIT|MAPASYNC", r.a.mdb_env_set_flags(env, MDB_NOMEMINIT | MDB_MAPASYNC, 1));
	r.rc("get_flags", r.a.mdb_env_get_flags(env, &f));
	r.note("flags " + std::to_string(f));
	r.rc("set_mapsize", r.a.mdb_env_set_mapsize(env, 1 << 20));
	r.rc("set_mapsize 0", r.a.mdb_env_set_mapsize(env, 0));
	r.rc("set_maxdbs", r.a.mdb_env_set_maxdbs(env, 3));
	r.rc("set_maxreaders", r.a.mdb_env_set_maxreaders(env, 3));
	unsigned m = 0;
	r.rc("get_maxreaders", r.a.mdb_env_get_maxreaders(env, &m));
	r.note("maxreaders " + std::to_string(m));
	r.rc("maxkeysize", r.a.mdb_env_get_maxkeysize(env));
	std::string text;
	auto collect = [](const char *msg, void *ctx) -> int {
		*static_cast<std::string *>(ctx) += msg;
		return 3;
	};
	r.rc("reader_list", r.a.mdb_reader_list(env, collect, &text));
	r.note("reader_list said " + text);
	if (r.ours) {
		MDB_stat st;
		r.ours_expect(r.a.mdb_env_stat(env, &st) == EINVAL, "env_stat of an unopened env: EINVAL");
		MDB_envinfo in;
		std::memset(&in, 0x55, sizeof in);
		r.ours_expect(r.a.mdb_env_info(env, &in) == 0 && in.me_mapaddr == nullptr && in.me_last_pgno == 0 &&
		                  in.me_last_txnid == 0 && in.me_maxreaders == 3 && in.me_numreaders == 0,
		              "env_info of an unopened env: the settings, zeros");
		std::string cp = subdir(r, "copy");
		r.ours_expect(r.a.mdb_env_copy(env, cp.c_str()) == EINVAL, "env_copy of an unopened env: EINVAL");
		r.ours_expect(r.a.mdb_env_copyfd2(env, 1, MDB_CP_COMPACT) == EINVAL, "env_copyfd2 of an unopened env: EINVAL");
		MDB_txn *t = nullptr;
		r.ours_expect(r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &t) == EINVAL, "read txn of an unopened env: EINVAL");
		r.ours_expect(r.a.mdb_txn_begin(env, nullptr, 0, &t) == EINVAL, "write txn of an unopened env: EINVAL");
	}
	// The same in a process that never opened an env (ours keeps a
	// process-wide pid from the first open for its fork check).
	if (r.ours) {
		int out[2];
		if (pipe(out) == 0) {
			pid_t pid = fork();
			if (pid == 0) {
				dup2(out[1], 1);
				::close(out[0]);
				execl("/proc/self/exe", "lmdb_compat_edges", "--fresh-unopened-sync", static_cast<char *>(nullptr));
				_exit(127);
			}
			::close(out[1]);
			std::string got;
			char buf[256];
			ssize_t n;
			while ((n = ::read(out[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
			::close(out[0]);
			int status = -1;
			waitpid(pid, &status, 0);
			r.ours_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			              "mdb_env_sync of an unopened env in a fresh process answers as upstream: " + got);
		}
	}
	// And it still opens.
	std::string d = subdir(r, "late");
	r.rc("open", r.a.mdb_env_open(env, d.c_str(), 0, 0644));
	note_info(r, env, "late");
	r.a.mdb_env_close(env);
}

// 5. Open flags: unknown bits are EINVAL before anything is touched (the
// env opens afterwards), MDB_WRITEMAP is dropped with MDB_RDONLY, a second
// open is EINVAL; mdb_env_set_flags changes only the four run-time flags.
void env_open_flags(Run &r) {
	for (unsigned bad : {0x2u, 0x8000u, 0x800000u << 1, 0x4000000u, 0x10000000u, 0x20000000u, 0x40000000u, 0x80000000u,
	                     unsigned(MDB_CREATE), unsigned(MDB_NOSYNC) | 0x100u}) {
		std::string d = subdir(r, "bad" + std::to_string(bad));
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.rc("open flags " + std::to_string(bad), r.a.mdb_env_open(env, d.c_str(), bad, 0644));
		unsigned f = 0;
		r.a.mdb_env_get_flags(env, &f);
		r.note("flags " + std::to_string(f));
		r.rc("then open 0", r.a.mdb_env_open(env, d.c_str(), 0, 0644));
		r.a.mdb_env_close(env);
	}
	const unsigned opens[] = {MDB_RDONLY | MDB_WRITEMAP, MDB_WRITEMAP, MDB_NOLOCK, MDB_NOTLS, MDB_NORDAHEAD,
	                          MDB_NOMEMINIT, MDB_MAPASYNC | MDB_WRITEMAP, MDB_NOMETASYNC, MDB_FIXEDMAP,
	                          MDB_FIXEDMAP | MDB_WRITEMAP, MDB_NOLOCK | MDB_RDONLY, MDB_NOSYNC | MDB_NOTLS};
	for (unsigned flags : opens) {
		std::string d = subdir(r, "f" + std::to_string(flags));
		if (flags & MDB_RDONLY) populate(r, d);
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		int rc = r.rc("open flags " + std::to_string(flags), r.a.mdb_env_open(env, d.c_str(), flags, 0644));
		note_info(r, env, "opened");
		r.rc("second open", r.a.mdb_env_open(env, d.c_str(), flags, 0644));
		r.rc("second open, other flags", r.a.mdb_env_open(env, d.c_str(), 0, 0644));
		for (unsigned ch : {unsigned(MDB_NOSYNC), unsigned(MDB_NOMETASYNC), unsigned(MDB_MAPASYNC),
		                    unsigned(MDB_NOMEMINIT), unsigned(MDB_RDONLY), unsigned(MDB_WRITEMAP), unsigned(MDB_NOTLS),
		                    unsigned(MDB_NOLOCK), unsigned(MDB_FIXEDMAP), unsigned(MDB_NOSUBDIR),
		                    unsigned(MDB_NORDAHEAD), 0u, 0x1u, unsigned(MDB_NOSYNC | MDB_RDONLY)}) {
			unsigned on = 0, off = 0;
			int a = r.a.mdb_env_set_flags(env, ch, 1);
			r.a.mdb_env_get_flags(env, &on);
			int b = r.a.mdb_env_set_flags(env, ch, 0);
			r.a.mdb_env_get_flags(env, &off);
			r.note("set_flags " + std::to_string(ch) + " on " + code(a) + " -> " + std::to_string(on) + ", off " +
			       code(b) + " -> " + std::to_string(off));
		}
		if (rc == 0) {
			MDB_txn *t = nullptr;
			if (r.rc("write txn", r.a.mdb_txn_begin(env, nullptr, 0, &t)) == 0) {
				MDB_dbi dbi;
				r.a.mdb_dbi_open(t, nullptr, 0, &dbi);
				MDB_val k{1, const_cast<char *>("a")}, v{1, const_cast<char *>("b")};
				r.rc("put", r.a.mdb_put(t, dbi, &k, &v, 0));
				r.rc("commit", r.a.mdb_txn_commit(t));
			}
			note_info(r, env, "after commit");
			r.rc("sync force", r.a.mdb_env_sync(env, 1));
			r.rc("sync", r.a.mdb_env_sync(env, 0));
			int dead = -1;
			r.rc("reader_check", r.a.mdb_reader_check(env, &dead));
			r.note("dead " + std::to_string(dead));
		}
		r.a.mdb_env_close(env);
		note_files(r, d);
		if (flags & MDB_FIXEDMAP) {
			// Reopened: the recorded address again; a second env of the
			// same file cannot map there while the first holds it.
			MDB_env *e1 = nullptr, *e2 = nullptr;
			r.a.mdb_env_create(&e1);
			r.rc("reopen fixedmap", r.a.mdb_env_open(e1, d.c_str(), flags, 0644));
			note_info(r, e1, "reopened");
			r.a.mdb_env_create(&e2);
			r.rc("second env, fixedmap", r.a.mdb_env_open(e2, d.c_str(), flags, 0644));
			r.a.mdb_env_close(e2);
			r.a.mdb_env_close(e1);
		}
	}
}

// Ours only (upstream crashes after it): a map size beyond the address
// space fails (ENOMEM; EFBIG from the file's truncation with MDB_WRITEMAP)
// and leaves the env at its old size, usable.
void expect_failed_remap(Run &r, unsigned wm) {
	if (!r.ours) return;
	std::string d = subdir(r, "remap" + std::to_string(wm));
	const std::string data = d + "/data.mdb";
	MDB_env *env = nullptr;
	r.a.mdb_env_create(&env);
	r.a.mdb_env_set_mapsize(env, 10 << 20);
	int rc = r.a.mdb_env_open(env, d.c_str(), wm | MDB_NOSYNC, 0644);
	r.ours_expect(rc == 0, "open for the remap check");
	MDB_txn *t = nullptr;
	MDB_dbi dbi = 0;
	std::string big(3000, 'x');
	if (rc == 0 && r.a.mdb_txn_begin(env, nullptr, 0, &t) == 0) {
		r.a.mdb_dbi_open(t, nullptr, 0, &dbi);
		for (int i = 0; i < 50; i++) {
			std::string k = "k" + std::to_string(10000 + i);
			MDB_val kv{k.size(), k.data()}, vv{big.size(), big.data()};
			r.a.mdb_put(t, dbi, &kv, &vv, 0);
		}
		r.ours_expect(r.a.mdb_txn_commit(t) == 0, "commit for the remap check");
	}
	if (rc == 0) {
		// More than the address space: the map cannot be made.
		MDB_envinfo before, after;
		r.a.mdb_env_info(env, &before);
		int big_rc = r.a.mdb_env_set_mapsize(env, size_t(-1) / 2);
		r.ours_expect(big_rc == (wm ? EFBIG : ENOMEM),
		              "set_mapsize beyond the address space: " + std::string(wm ? "EFBIG" : "ENOMEM") + ", got " +
		                  code(big_rc));
		r.ours_expect(r.a.mdb_env_info(env, &after) == 0 && after.me_mapsize == before.me_mapsize &&
		                  after.me_last_pgno == before.me_last_pgno,
		              "after a failed set_mapsize the old map is back (size " + std::to_string(after.me_mapsize) +
		                  ")");
		r.ours_expect(file_size(data) >= (long long)(after.me_last_pgno + 1) * 4096,
		              "after a failed set_mapsize the data file still holds every page");
		MDB_txn *w = nullptr;
		int wrc = r.a.mdb_txn_begin(env, nullptr, 0, &w);
		if (wrc == 0) {
			MDB_val k2{2, const_cast<char *>("zy")}, v2{1, const_cast<char *>("w")};
			wrc = r.a.mdb_put(w, dbi, &k2, &v2, 0);
			if (wrc)
				r.a.mdb_txn_abort(w);
			else
				wrc = r.a.mdb_txn_commit(w);
		}
		r.ours_expect(wrc == 0, "after a failed set_mapsize a write txn commits, got " + code(wrc));
		MDB_txn *rt = nullptr;
		MDB_val k3{6, const_cast<char *>("k10007")}, v3{0, nullptr};
		int rrc = r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &rt);
		if (rrc == 0) rrc = r.a.mdb_get(rt, dbi, &k3, &v3);
		r.ours_expect(rrc == 0 && v3.mv_size == 3000, "after a failed set_mapsize the data reads back");
		if (rt) r.a.mdb_txn_abort(rt);
	}
	r.a.mdb_env_close(env);
}

// 6. mdb_env_set_mapsize after the open: a size below the data is raised to
// it, 0 takes the meta page's size, a write txn makes it EINVAL (a read txn
// does not); mdb_env_set_maxdbs and _set_maxreaders are EINVAL.  A size
// that cannot be mapped: upstream answers ENOMEM and crashes on the next
// call (its map is gone); ours answers ENOMEM with the old map back.
void env_mapsize_changes(Run &r) {
	for (unsigned wm : {0u, unsigned(MDB_WRITEMAP)}) {
		std::string d = subdir(r, "wm" + std::to_string(wm));
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.rc("set_mapsize 10M", r.a.mdb_env_set_mapsize(env, 10 << 20));
		if (r.rc("open", r.a.mdb_env_open(env, d.c_str(), wm | MDB_NOSYNC, 0644))) {
			r.a.mdb_env_close(env);
			continue;
		}
		MDB_txn *t = nullptr;
		MDB_dbi dbi;
		std::string big(3000, 'x');
		r.a.mdb_txn_begin(env, nullptr, 0, &t);
		r.a.mdb_dbi_open(t, nullptr, 0, &dbi);
		for (int i = 0; i < 300; i++) {
			std::string k = "k" + std::to_string(10000 + i);
			MDB_val kv{k.size(), k.data()}, vv{big.size(), big.data()};
			r.a.mdb_put(t, dbi, &kv, &vv, 0);
		}
		r.rc("commit", r.a.mdb_txn_commit(t));
		const std::string data = d + "/data.mdb";
		auto state = [&](const std::string &what) {
			note_info(r, env, what);
			r.note("data size " + std::to_string(file_size(data)));
		};
		state("filled");
		for (size_t size : {size_t(4096), size_t(0), size_t(20) << 20, size_t(0), (size_t(20) << 20) + 1}) {
			r.rc("set_mapsize " + std::to_string(size), r.a.mdb_env_set_mapsize(env, size));
			state("after");
		}
		r.rc("write txn", r.a.mdb_txn_begin(env, nullptr, 0, &t));
		r.rc("set_mapsize in a write txn", r.a.mdb_env_set_mapsize(env, 30 << 20));
		r.rc("set_mapsize 0 in a write txn", r.a.mdb_env_set_mapsize(env, 0));
		MDB_val kv{2, const_cast<char *>("zz")}, vv{1, const_cast<char *>("v")};
		r.rc("put", r.a.mdb_put(t, dbi, &kv, &vv, 0));
		r.rc("commit", r.a.mdb_txn_commit(t));
		r.rc("set_mapsize 0", r.a.mdb_env_set_mapsize(env, 0));
		state("committed");
		r.rc("read txn", r.a.mdb_txn_begin(env, nullptr, MDB_RDONLY, &t));
		r.rc("set_mapsize in a read txn", r.a.mdb_env_set_mapsize(env, 40 << 20));
		MDB_val key{6, const_cast<char *>("k10007")}, val{0, nullptr};
		int rc = r.a.mdb_get(t, dbi, &key, &val);
		r.rc("get after the remap, size " + std::to_string(rc ? 0 : val.mv_size), rc);
		r.a.mdb_txn_abort(t);
		r.rc("set_maxdbs after open", r.a.mdb_env_set_maxdbs(env, 4));
		r.rc("set_maxreaders after open", r.a.mdb_env_set_maxreaders(env, 4));
		state("final");
		r.a.mdb_env_close(env);
		// Reopened: with no size the meta's, with a small one the data's.
		r.a.mdb_env_create(&env);
		r.rc("reopen", r.a.mdb_env_open(env, d.c_str(), wm, 0644));
		note_info(r, env, "reopened");
		r.a.mdb_env_close(env);
		r.a.mdb_env_create(&env);
		r.rc("set_mapsize 8192", r.a.mdb_env_set_mapsize(env, 8192));
		r.rc("reopen small", r.a.mdb_env_open(env, d.c_str(), wm, 0644));
		note_info(r, env, "reopened small");
		r.a.mdb_env_close(env);
		r.a.mdb_env_create(&env);
		r.rc("reopen rdonly", r.a.mdb_env_open(env, d.c_str(), wm | MDB_RDONLY, 0644));
		r.rc("set_mapsize rdonly", r.a.mdb_env_set_mapsize(env, 100 << 20));
		state("rdonly");
		r.a.mdb_env_close(env);
		expect_failed_remap(r, wm);
	}
}

// 7. mdb_env_set_maxdbs: compared up to a million handles (and after the
// open: EINVAL).  UINT_MAX - 1 and UINT_MAX wrap upstream's count of
// handles (dbs + 2) to 0 and 1, below its two core dbs: the open works and
// the first write overruns its arrays (a crash).  Ours refuses them: EINVAL.
void env_maxdbs_limits(Run &r) {
	for (unsigned dbs : {0u, 1u, 2u, 32767u, 65535u, 65536u, 1000000u}) {
		std::string d = subdir(r, "dbs" + std::to_string(dbs));
		MDB_env *env = nullptr;
		r.a.mdb_env_create(&env);
		r.rc("set_maxdbs " + std::to_string(dbs), r.a.mdb_env_set_maxdbs(env, dbs));
		if (r.rc("open", r.a.mdb_env_open(env, d.c_str(), MDB_NOSYNC, 0644)) == 0) {
			MDB_txn *t = nullptr;
			MDB_dbi dbi = 0;
			r.rc("write txn", r.a.mdb_txn_begin(env, nullptr, 0, &t));
			r.rc("dbi_open main", r.a.mdb_dbi_open(t, nullptr, 0, &dbi));
			for (const char *name : {"a", "b", "c"}) {
				int rc = r.a.mdb_dbi_open(t, name, MDB_CREATE, &dbi);
				r.rc(std::string("dbi_open ") + name + (rc ? "" : " = " + std::to_string(dbi)), rc);
				if (rc == 0) {
					MDB_val k{1, const_cast<char *>(name)};
					r.rc("put", r.a.mdb_put(t, dbi, &k, &k, 0));
				}
			}
			r.rc("commit", r.a.mdb_txn_commit(t));
			r.rc("set_maxdbs after open", r.a.mdb_env_set_maxdbs(env, 5));
		}
		r.a.mdb_env_close(env);
	}
	if (r.ours) {
		for (unsigned dbs : {UINT_MAX - 1, UINT_MAX}) {
			MDB_env *env = nullptr;
			r.a.mdb_env_create(&env);
			int rc = r.a.mdb_env_set_maxdbs(env, dbs);
			r.ours_expect(rc == EINVAL, "set_maxdbs " + std::to_string(dbs) + ": EINVAL, got " + code(rc));
			// The env keeps its former setting and works.
			std::string d = subdir(r, "wrap" + std::to_string(dbs));
			rc = r.a.mdb_env_open(env, d.c_str(), MDB_NOSYNC, 0644);
			MDB_txn *t = nullptr;
			MDB_dbi dbi = 0;
			if (rc == 0) rc = r.a.mdb_txn_begin(env, nullptr, 0, &t);
			if (rc == 0) rc = r.a.mdb_dbi_open(t, nullptr, 0, &dbi);
			MDB_val k{1, const_cast<char *>("k")};
			if (rc == 0) rc = r.a.mdb_put(t, dbi, &k, &k, 0);
			if (rc == 0) {
				rc = r.a.mdb_txn_commit(t);
				t = nullptr;
			}
			if (t) r.a.mdb_txn_abort(t);
			r.ours_expect(rc == 0, "after a refused set_maxdbs the env works, got " + code(rc));
			r.a.mdb_env_close(env);
		}
	}
}

}  // namespace

void add_env_cases(std::vector<Case> &out) {
	out.push_back({"env_maxreaders_lock_file", env_maxreaders_lock_file});
	out.push_back({"env_maxreaders_values", env_maxreaders_values});
	out.push_back({"env_open_files", env_open_files});
	out.push_back({"env_open_permissions", env_open_permissions});
	out.push_back({"env_unopened_more", env_unopened_more});
	out.push_back({"env_open_flags", env_open_flags});
	out.push_back({"env_mapsize_changes", env_mapsize_changes});
	out.push_back({"env_maxdbs_limits", env_maxdbs_limits});
}

}  // namespace compat::edges
