// Boundary cases at a full or outgrown map: another process grows the map
// past ours (MDB_MAP_RESIZED until mdb_env_set_mapsize adopts the new size),
// and calls on a txn after MDB_MAP_FULL.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

}  // namespace

void add_mapfull_cases(std::vector<Case> &out) {
	out.push_back({"map_resized_elsewhere", map_resized_elsewhere});
}

}  // namespace compat::edges
