// Misuse answered with error codes (docs/divergences.md, "Misuse answered
// with error codes").  Each scenario runs in a forked child with a time
// limit, so that a hang or a crash is reported as such instead of stopping
// the test run.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>
#include <string>

#include "lmdb.h"
#include "test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

using test_support::TempDir;
using test_support::val;

namespace {

// Runs fn in a child; "" if it returned 0 in time, else what happened.
std::string in_child(const std::function<int()> &fn, unsigned seconds = 10) {
	pid_t pid = fork();
	if (pid == 0) {
		alarm(seconds);
		int r = fn();
#if defined(__SANITIZE_ADDRESS__)
		// _exit skips the leak check: correct use must not leak.
		if (r == 0 && __lsan_do_recoverable_leak_check()) r = 252;
#endif
		test_support::child_exit(r < 0 || r > 252 ? 251 : r);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status)) {
		int c = WEXITSTATUS(status);
		if (c == 252) return "leaked memory";
		return c == 0 ? "" : "failed check #" + std::to_string(c);
	}
	if (WIFSIGNALED(status)) {
		int s = WTERMSIG(status);
		return s == SIGALRM ? "hung" : std::string("killed by signal ") + strsignal(s);
	}
	return "?";
}

MDB_env *open_env(const std::string &dir, unsigned flags = 0) {
	MDB_env *env;
	if (mdb_env_create(&env)) return nullptr;
	mdb_env_set_maxdbs(env, 4);
	if (mdb_env_open(env, dir.c_str(), flags, 0644)) {
		mdb_env_close(env);
		return nullptr;
	}
	return env;
}

int put_some(MDB_env *env, int n = 10) {
	MDB_txn *t;
	if (mdb_txn_begin(env, nullptr, 0, &t)) return 1;
	for (int i = 0; i < n; i++) {
		std::string k = "key" + std::to_string(i), v = "value" + std::to_string(i);
		MDB_val kv = val(k), vv = val(v);
		if (mdb_put(t, 1, &kv, &vv, 0)) return 2;
	}
	return mdb_txn_commit(t) ? 3 : 0;
}

#define EXPECT_RC(n, expr, want)            \
	do {                                    \
		if ((expr) != (want)) return (n);   \
	} while (0)

}  // namespace

TEST_CASE("misuse: a second write txn in the thread that holds one", "[misuse]") {
	TempDir d;
	for (unsigned flags : {0u, unsigned(MDB_NOTLS), unsigned(MDB_NOLOCK)}) {
		INFO("flags " << flags);
		CHECK(in_child([&] {
			      MDB_env *env = open_env(d.path(), flags);
			      if (!env) return 1;
			      MDB_txn *w, *w2 = nullptr;
			      EXPECT_RC(2, mdb_txn_begin(env, nullptr, 0, &w), 0);
			      EXPECT_RC(3, mdb_txn_begin(env, nullptr, 0, &w2), EDEADLK);
			      EXPECT_RC(4, mdb_txn_begin(env, nullptr, MDB_TRY_WRITE, &w2), EDEADLK);
			      // The first one is unharmed.
			      MDB_val k = val("a"), v = val("b");
			      EXPECT_RC(5, mdb_put(w, 1, &k, &v, 0), 0);
			      EXPECT_RC(6, mdb_txn_commit(w), 0);
			      EXPECT_RC(7, mdb_txn_begin(env, nullptr, 0, &w), 0);
			      mdb_txn_abort(w);
			      mdb_env_close(env);
			      return 0;
		      }) == "");
	}
}

TEST_CASE("misuse: a write txn through a second handle of the same env in one thread", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *a = open_env(d.path()), *b = open_env(d.path());
		      if (!a || !b) return 1;
		      MDB_txn *w, *w2;
		      EXPECT_RC(2, mdb_txn_begin(a, nullptr, 0, &w), 0);
		      EXPECT_RC(3, mdb_txn_begin(b, nullptr, 0, &w2), EDEADLK);
		      EXPECT_RC(4, mdb_txn_commit(w), 0);
		      EXPECT_RC(5, mdb_txn_begin(b, nullptr, 0, &w2), 0);
		      mdb_txn_abort(w2);
		      mdb_env_close(a);
		      mdb_env_close(b);
		      return 0;
	      }) == "");
}

TEST_CASE("misuse: mdb_env_copy in the thread that holds the write txn", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path());
		      if (!env || put_some(env)) return 1;
		      MDB_txn *w;
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, 0, &w), 0);
		      std::string dst = d.path() + "/copy";
		      mkdir(dst.c_str(), 0755);
		      EXPECT_RC(3, mdb_env_copy(env, dst.c_str()), EDEADLK);
		      // The compacting copy takes no writer lock: it works.
		      std::string dst2 = d.path() + "/copy2";
		      mkdir(dst2.c_str(), 0755);
		      EXPECT_RC(4, mdb_env_copy2(env, dst2.c_str(), MDB_CP_COMPACT), 0);
		      mdb_txn_abort(w);
		      std::string dst3 = d.path() + "/copy3";
		      mkdir(dst3.c_str(), 0755);
		      EXPECT_RC(5, mdb_env_copy(env, dst3.c_str()), 0);
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}

TEST_CASE("misuse: a cursor used after its read-only txn was aborted", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path());
		      if (!env || put_some(env)) return 1;
		      MDB_txn *r;
		      MDB_cursor *c;
		      MDB_val k, v;
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
		      EXPECT_RC(3, mdb_cursor_open(r, 1, &c), 0);
		      EXPECT_RC(4, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
		      mdb_txn_abort(r);
		      // Other allocations may take the txn's memory in between.
		      for (int i = 0; i < 4; i++) {
			      MDB_txn *x;
			      if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &x) == 0) mdb_txn_abort(x);
		      }
		      EXPECT_RC(5, mdb_cursor_get(c, &k, &v, MDB_NEXT), MDB_BAD_TXN);
		      EXPECT_RC(6, mdb_cursor_get(c, &k, &v, MDB_FIRST), MDB_BAD_TXN);
		      size_t n;
		      EXPECT_RC(7, mdb_cursor_count(c, &n), MDB_INCOMPATIBLE);
		      if (mdb_cursor_txn(c) != nullptr) return 8;
		      // Still renewable into a new read txn, and closable.
		      EXPECT_RC(9, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
		      EXPECT_RC(10, mdb_cursor_renew(r, c), 0);
		      EXPECT_RC(11, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
		      mdb_txn_abort(r);
		      mdb_cursor_close(c);
		      // A cursor closed before its txn ends: unaffected.
		      EXPECT_RC(12, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
		      MDB_cursor *c1, *c2;
		      EXPECT_RC(13, mdb_cursor_open(r, 1, &c1), 0);
		      EXPECT_RC(14, mdb_cursor_open(r, 1, &c2), 0);
		      mdb_cursor_close(c1);
		      mdb_txn_commit(r);
		      EXPECT_RC(15, mdb_cursor_get(c2, &k, &v, MDB_FIRST), MDB_BAD_TXN);
		      mdb_cursor_close(c2);
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}

// PHP's dba (Debian's php8.2-dba, and PHP's later versions too) iterates
// with one read txn and a cursor: dba_firstkey opens them and resets the
// txn, dba_nextkey renews it, moves the cursor and resets it again; a
// dba_fetch or dba_exists in between renews it too, but on a key it does not
// find it aborts the txn (upstream frees it) and the next dba_nextkey renews
// the aborted handle.  Upstream's renew works on the freed block (nothing
// took the memory) and the iteration goes on; its next abort of that txn
// then crashes (the freed block's first words are the allocator's), and so
// does PHP at the loop's end.  Here an ended read txn whose block nobody has
// reused is renewed like a reset one, and the cursors opened on it go on;
// its later end is an ordinary one.
TEST_CASE("misuse: a read txn renewed after its abort, as PHP's dba iteration does", "[misuse]") {
	TempDir d;
	for (unsigned flags : {0u, unsigned(MDB_NOTLS), unsigned(MDB_NOLOCK)}) {
		INFO("flags " << flags);
		CHECK(in_child([&] {
			      MDB_env *env = open_env(d.path(), flags);
			      if (!env || put_some(env)) return 1;
			      MDB_txn *t, *w;
			      MDB_cursor *c;
			      MDB_val k, v;
			      auto key_is = [&](const char *want) { return k.mv_size == std::strlen(want) && !std::memcmp(k.mv_data, want, k.mv_size); };
			      EXPECT_RC(2, mdb_txn_begin(env, nullptr, MDB_RDONLY, &t), 0);
			      EXPECT_RC(3, mdb_cursor_open(t, 1, &c), 0);
			      EXPECT_RC(4, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
			      mdb_txn_reset(t);
			      EXPECT_RC(5, mdb_txn_renew(t), 0);
			      MDB_val missing = val("nothere");
			      EXPECT_RC(6, mdb_get(t, 1, &missing, &v), MDB_NOTFOUND);
			      mdb_txn_abort(t);
			      // Ended: as upstream, which reads the freed block.
			      EXPECT_RC(7, mdb_cursor_get(c, &k, &v, MDB_NEXT), MDB_BAD_TXN);
			      // With MDB_NOTLS or MDB_NOLOCK the block goes to a list that
			      // other threads take blocks from: its cursors are let go at
			      // once (MDB_BAD_TXN for good, mdb_cursor_txn NULL).
			      bool kept = flags == 0;
			      EXPECT_RC(8, mdb_cursor_put(c, &k, &v, 0), kept ? EACCES : MDB_BAD_TXN);
			      EXPECT_RC(35, mdb_cursor_del(c, 0), kept ? EACCES : MDB_BAD_TXN);
			      if (mdb_cursor_txn(c) != (kept ? t : nullptr)) return 9;
			      // The renew upstream answers 0 to, and the iteration goes on.
			      EXPECT_RC(10, mdb_txn_renew(t), 0);
			      if (!kept) {
				      EXPECT_RC(17, mdb_cursor_get(c, &k, &v, MDB_NEXT), MDB_BAD_TXN);
				      EXPECT_RC(18, mdb_cursor_renew(t, c), 0);
				      EXPECT_RC(19, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
			      }
			      EXPECT_RC(11, mdb_cursor_get(c, &k, &v, MDB_NEXT), 0);
			      if (!key_is("key1")) return 12;
			      MDB_val k3 = val("key3");
			      EXPECT_RC(13, mdb_get(t, 1, &k3, &v), 0);
			      mdb_txn_reset(t);
			      EXPECT_RC(14, mdb_txn_renew(t), 0);
			      EXPECT_RC(15, mdb_cursor_get(c, &k, &v, MDB_NEXT), 0);
			      if (!key_is("key2")) return 16;
			      // (Upstream crashes from here on: its second abort of the
			      // block frees it again.)  Aborted again, a commit in
			      // between, renewed: the new snapshot.
			      mdb_txn_abort(t);
			      EXPECT_RC(20, mdb_txn_begin(env, nullptr, 0, &w), 0);
			      MDB_val kn = val("key9x"), vn = val("new");
			      EXPECT_RC(21, mdb_put(w, 1, &kn, &vn, 0), 0);
			      EXPECT_RC(22, mdb_txn_commit(w), 0);
			      EXPECT_RC(23, mdb_txn_renew(t), 0);
			      if (!kept) EXPECT_RC(33, mdb_cursor_renew(t, c), 0);
			      EXPECT_RC(24, mdb_get(t, 1, &kn, &v), 0);
			      // (The cursor goes on as after a reset and renew: from the
			      // pages it was on, as upstream.)
			      EXPECT_RC(25, mdb_cursor_get(c, &k, &v, MDB_NEXT), 0);
			      if (!key_is(kept ? "key3" : "key0")) return 26;  // (renewed: from the start)
			      // Committed (a read txn's commit ends it as well), renewed.
			      EXPECT_RC(27, mdb_txn_commit(t), 0);
			      EXPECT_RC(28, mdb_txn_renew(t), 0);
			      if (!kept) EXPECT_RC(34, mdb_cursor_renew(t, c), 0);
			      EXPECT_RC(29, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
			      if (!key_is("key0")) return 30;
			      mdb_cursor_close(c);
			      mdb_txn_abort(t);
			      // Once a new txn has the block, the old handle names it:
			      // that txn is live, so a renew is refused.
			      MDB_txn *x;
			      EXPECT_RC(31, mdb_txn_begin(env, nullptr, MDB_RDONLY, &x), 0);
			      if (x == t) EXPECT_RC(32, mdb_txn_renew(t), EINVAL);
			      mdb_txn_abort(x);
			      // Two ended txns: the older one, not first in the list of
			      // kept blocks, is renewed too; a cursor left open on a block
			      // that a new txn takes answers MDB_BAD_TXN.
			      MDB_txn *t1, *t2;
			      EXPECT_RC(40, mdb_txn_begin(env, nullptr, MDB_RDONLY, &t1), 0);
			      EXPECT_RC(41, mdb_cursor_open(t1, 1, &c), 0);
			      EXPECT_RC(42, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
			      mdb_txn_abort(t1);
			      if (!kept) {  // (a thread has one txn with a kept slot)
				      EXPECT_RC(43, mdb_txn_begin(env, nullptr, MDB_RDONLY, &t2), 0);
				      MDB_txn *t3;
				      EXPECT_RC(44, mdb_txn_begin(env, nullptr, MDB_RDONLY, &t3), 0);
				      mdb_txn_abort(t3);
				      mdb_txn_abort(t2);
				      EXPECT_RC(45, mdb_txn_renew(t1), 0);
				      EXPECT_RC(46, mdb_cursor_get(c, &k, &v, MDB_NEXT), MDB_BAD_TXN);
				      mdb_txn_abort(t1);
			      }
			      for (int i = 0; i < 3; i++) {
				      if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &x)) return 48;
				      mdb_txn_abort(x);
			      }
			      EXPECT_RC(49, mdb_cursor_get(c, &k, &v, MDB_NEXT), MDB_BAD_TXN);
			      mdb_cursor_close(c);
			      // A cursor still open when the env closes.
			      EXPECT_RC(50, mdb_txn_begin(env, nullptr, MDB_RDONLY, &t), 0);
			      EXPECT_RC(51, mdb_cursor_open(t, 1, &c), 0);
			      mdb_txn_abort(t);
			      mdb_env_close(env);
			      mdb_cursor_close(c);
			      return 0;
		      }) == "");
	}
}

// mdb_cursor_renew from every state of the txn it is given and of the
// cursor's own txn.  (Upstream dereferences a NULL txn; we answer EINVAL.)
TEST_CASE("misuse: mdb_cursor_renew into reset, write and live read txns", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path(), MDB_NOTLS);  // two read txns in one thread
		      if (!env || put_some(env)) return 1;
		      MDB_txn *r1, *r2, *w;
		      MDB_cursor *c;
		      MDB_val k, v;
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r1), 0);
		      EXPECT_RC(3, mdb_cursor_open(r1, 1, &c), 0);
		      EXPECT_RC(4, mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
		      EXPECT_RC(5, mdb_cursor_renew(nullptr, c), EINVAL);
		      EXPECT_RC(6, mdb_cursor_renew(r1, nullptr), EINVAL);
		      // Into a reset txn: refused (EINVAL, as upstream: a reset txn has
		      // no dbs), and the cursor stays usable in r1.
		      EXPECT_RC(7, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r2), 0);
		      mdb_txn_reset(r2);
		      EXPECT_RC(8, mdb_cursor_renew(r2, c), EINVAL);
		      EXPECT_RC(9, mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT), 0);
		      if (mdb_cursor_txn(c) != r1) return 10;
		      // Into a write txn (whose cursors it tracks): refused.
		      EXPECT_RC(11, mdb_txn_begin(env, nullptr, 0, &w), 0);
		      EXPECT_RC(12, mdb_cursor_renew(w, c), EINVAL);
		      mdb_txn_abort(w);
		      // Into the renewed r2 while r1 is still alive: the cursor moves
		      // to r2 and r1's end no longer touches it.
		      EXPECT_RC(13, mdb_txn_renew(r2), 0);
		      EXPECT_RC(14, mdb_cursor_renew(r2, c), 0);
		      if (mdb_cursor_txn(c) != r2) return 15;
		      mdb_txn_abort(r1);
		      EXPECT_RC(16, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
		      if (std::string(static_cast<char *>(k.mv_data), k.mv_size) != "key0") return 17;
		      // Renewed into the txn it already has: a fresh, unpositioned cursor.
		      EXPECT_RC(18, mdb_cursor_renew(r2, c), 0);
		      EXPECT_RC(19, mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT), EINVAL);
		      EXPECT_RC(20, mdb_cursor_get(c, &k, &v, MDB_NEXT), 0);
		      if (std::string(static_cast<char *>(k.mv_data), k.mv_size) != "key0") return 21;
		      mdb_txn_abort(r2);
		      mdb_cursor_close(c);
		      // A write txn's cursor cannot be renewed, into any txn.
		      MDB_cursor *wc;
		      EXPECT_RC(22, mdb_txn_begin(env, nullptr, 0, &w), 0);
		      EXPECT_RC(23, mdb_cursor_open(w, 1, &wc), 0);
		      EXPECT_RC(24, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r1), 0);
		      EXPECT_RC(25, mdb_cursor_renew(r1, wc), EINVAL);
		      mdb_txn_abort(r1);
		      mdb_txn_abort(w);
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}

TEST_CASE("misuse: cursors of a write txn used after it ended", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path());
		      if (!env || put_some(env)) return 1;
		      MDB_txn *w, *child;
		      MDB_cursor *c, *cc;
		      MDB_val k = val("zz"), v = val("1");
		      // A child txn's cursor after the child committed.
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, 0, &w), 0);
		      EXPECT_RC(3, mdb_txn_begin(env, w, 0, &child), 0);
		      EXPECT_RC(4, mdb_cursor_open(child, 1, &cc), 0);
		      EXPECT_RC(5, mdb_cursor_get(cc, &k, &v, MDB_FIRST), 0);
		      EXPECT_RC(6, mdb_txn_commit(child), 0);
		      EXPECT_RC(7, mdb_cursor_get(cc, &k, &v, MDB_NEXT), MDB_BAD_TXN);
		      EXPECT_RC(8, mdb_cursor_put(cc, &k, &v, 0), MDB_BAD_TXN);
		      EXPECT_RC(9, mdb_cursor_del(cc, 0), MDB_BAD_TXN);
		      // The parent goes on; a cursor of its own after it commits.
		      EXPECT_RC(10, mdb_cursor_open(w, 1, &c), 0);
		      EXPECT_RC(11, mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
		      EXPECT_RC(12, mdb_txn_commit(w), 0);
		      EXPECT_RC(13, mdb_cursor_get(c, &k, &v, MDB_FIRST), MDB_BAD_TXN);
		      // Closing such a cursor is harmless (upstream: a double free).
		      mdb_cursor_close(c);
		      // After an abort too.
		      EXPECT_RC(14, mdb_txn_begin(env, nullptr, 0, &w), 0);
		      EXPECT_RC(15, mdb_cursor_open(w, 1, &c), 0);
		      mdb_txn_abort(w);
		      EXPECT_RC(16, mdb_cursor_get(c, &k, &v, MDB_FIRST), MDB_BAD_TXN);
		      // Many txns that leave their cursors to the commit: the
		      // memory is reused, not accumulated (ASan sees the rest).
		      for (int i = 0; i < 1000; i++) {
			      EXPECT_RC(17, mdb_txn_begin(env, nullptr, 0, &w), 0);
			      EXPECT_RC(18, mdb_cursor_open(w, 1, &c), 0);
			      EXPECT_RC(19, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
			      EXPECT_RC(20, mdb_txn_commit(w), 0);
		      }
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}

TEST_CASE("misuse: a txn used after it ended", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path());
		      if (!env || put_some(env)) return 1;
		      MDB_txn *w, *r;
		      MDB_val k = val("key1"), v = val("x");
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, 0, &w), 0);
		      EXPECT_RC(3, mdb_txn_commit(w), 0);
		      // The handle of a committed top-level write txn (the db
		      // handles are gone with it: EINVAL, as upstream).
		      EXPECT_RC(4, mdb_put(w, 1, &k, &v, 0), EINVAL);
		      EXPECT_RC(5, mdb_get(w, 1, &k, &v), EINVAL);
		      EXPECT_RC(6, mdb_txn_commit(w), MDB_BAD_TXN);
		      MDB_cursor *c;
		      EXPECT_RC(7, mdb_cursor_open(w, 1, &c), EINVAL);
		      // A reset read txn.
		      EXPECT_RC(8, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
		      mdb_txn_reset(r);
		      EXPECT_RC(9, mdb_get(r, 1, &k, &v), EINVAL);
		      EXPECT_RC(10, mdb_cursor_open(r, 1, &c), EINVAL);
		      EXPECT_RC(11, mdb_txn_renew(r), 0);
		      EXPECT_RC(12, mdb_get(r, 1, &k, &v), 0);
		      mdb_txn_abort(r);
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}

// What every call must answer on the handle of a read txn that ended
// (committed or aborted): nothing touches freed memory, a second abort or
// commit is harmless.  `base`: the first check number.
int check_ended_read_txn(MDB_env *env, MDB_txn *r, int base) {
	MDB_val k = val("key1"), v;
	MDB_cursor *c;
	MDB_dbi dbi;
	MDB_stat st;
	MDB_txn *t;
	EXPECT_RC(base, mdb_get(r, 1, &k, &v), EINVAL);
	EXPECT_RC(base + 1, mdb_cursor_open(r, 1, &c), EINVAL);
	EXPECT_RC(base + 2, mdb_stat(r, 1, &st), EINVAL);
	EXPECT_RC(base + 3, mdb_dbi_open(r, nullptr, 0, &dbi), MDB_BAD_TXN);
	mdb_txn_reset(r);
	EXPECT_RC(base + 5, mdb_txn_commit(r), MDB_BAD_TXN);
	mdb_txn_abort(r);
	mdb_txn_abort(r);
	EXPECT_RC(base + 6, mdb_txn_id(r), 0u);
	if (mdb_txn_env(r) != env) return base + 7;
	EXPECT_RC(base + 8, mdb_txn_begin(env, r, 0, &t), EINVAL);
	// Renewed, as upstream renews the freed block (see "renewed after its
	// abort" below), then ended again.
	EXPECT_RC(base + 4, mdb_txn_renew(r), 0);
	EXPECT_RC(base + 9, mdb_get(r, 1, &k, &v), 0);
	mdb_txn_abort(r);
	return 0;
}

TEST_CASE("misuse: read and nested txn handles used after they ended", "[misuse]") {
	TempDir d;
	for (unsigned flags : {0u, unsigned(MDB_NOTLS), unsigned(MDB_NOLOCK)}) {
		INFO("flags " << flags);
		CHECK(in_child([&] {
			      MDB_env *env = open_env(d.path(), flags);
			      if (!env || put_some(env)) return 1;
			      MDB_txn *r, *w, *child;
			      MDB_val k = val("key1"), v;
			      EXPECT_RC(2, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
			      EXPECT_RC(3, mdb_get(r, 1, &k, &v), 0);
			      mdb_txn_abort(r);
			      if (int rc = check_ended_read_txn(env, r, 10)) return rc;
			      EXPECT_RC(4, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
			      EXPECT_RC(5, mdb_txn_commit(r), 0);
			      if (int rc = check_ended_read_txn(env, r, 20)) return rc;
			      // A reset txn, then aborted.
			      EXPECT_RC(6, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
			      mdb_txn_reset(r);
			      mdb_txn_abort(r);
			      if (int rc = check_ended_read_txn(env, r, 30)) return rc;
			      // A read txn whose begin failed (the thread's slot is in
			      // use: MDB_BAD_RSLOT, or with MDB_NOTLS/MDB_NOLOCK a
			      // second txn), then nested txns: each reuses only blocks
			      // of its own kind (ASan sees a mix-up).
			      MDB_txn *r2;
			      EXPECT_RC(7, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
			      int rc2 = mdb_txn_begin(env, nullptr, MDB_RDONLY, &r2);
			      EXPECT_RC(8, rc2, flags ? 0 : MDB_BAD_RSLOT);
			      if (rc2 == 0) mdb_txn_abort(r2);
			      mdb_txn_abort(r);
			      // A nested txn after its commit, and after its abort; the
			      // parent goes on.
			      EXPECT_RC(40, mdb_txn_begin(env, nullptr, 0, &w), 0);
			      EXPECT_RC(41, mdb_txn_begin(env, w, 0, &child), 0);
			      MDB_val k2 = val("nested"), v2 = val("1");
			      EXPECT_RC(42, mdb_put(child, 1, &k2, &v2, 0), 0);
			      EXPECT_RC(43, mdb_txn_commit(child), 0);
			      EXPECT_RC(44, mdb_put(child, 1, &k2, &v2, 0), EINVAL);
			      EXPECT_RC(45, mdb_get(child, 1, &k2, &v), EINVAL);
			      EXPECT_RC(46, mdb_txn_commit(child), MDB_BAD_TXN);
			      mdb_txn_abort(child);
			      MDB_txn *t;
			      EXPECT_RC(47, mdb_txn_begin(env, child, 0, &t), MDB_BAD_TXN);
			      EXPECT_RC(48, mdb_txn_begin(env, w, 0, &child), 0);
			      mdb_txn_abort(child);
			      mdb_txn_abort(child);
			      EXPECT_RC(49, mdb_txn_commit(child), MDB_BAD_TXN);
			      EXPECT_RC(50, mdb_get(w, 1, &k2, &v), 0);
			      EXPECT_RC(51, mdb_txn_commit(w), 0);
			      // Many txns: the kept blocks are reused, not accumulated
			      // (ASan's leak check runs at the child's exit).
			      for (int i = 0; i < 1000; i++) {
				      EXPECT_RC(60, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
				      EXPECT_RC(61, mdb_get(r, 1, &k, &v), 0);
				      mdb_txn_abort(r);
				      mdb_txn_abort(r);
			      }
			      EXPECT_RC(62, mdb_txn_begin(env, nullptr, 0, &w), 0);
			      for (int i = 0; i < 1000; i++) {
				      EXPECT_RC(63, mdb_txn_begin(env, w, 0, &child), 0);
				      EXPECT_RC(64, mdb_put(child, 1, &k2, &v2, 0), 0);
				      EXPECT_RC(65, mdb_txn_commit(child), 0);
				      EXPECT_RC(66, mdb_txn_commit(child), MDB_BAD_TXN);
			      }
			      EXPECT_RC(67, mdb_txn_commit(w), 0);
			      // Threads, each with its own read txns (and MDB_NOTLS: each
			      // txn of any thread) ending and beginning at the same time.
			      std::atomic<int> failed{0};
			      std::vector<std::thread> threads;
			      for (int n = 0; n < 4; n++)
				      threads.emplace_back([&] {
					      for (int i = 0; i < 500; i++) {
						      MDB_txn *x;
						      MDB_val kx = val("key2"), vx;
						      if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &x) || mdb_get(x, 1, &kx, &vx)) {
							      failed++;
							      return;
						      }
						      mdb_txn_abort(x);
						      // (Only a kept slot's blocks stay with the thread;
						      // otherwise another thread may own x again.)
						      if (!(flags & (MDB_NOTLS | MDB_NOLOCK)) && mdb_get(x, 1, &kx, &vx) != EINVAL) failed++;
					      }
				      });
			      for (auto &th : threads) th.join();
			      EXPECT_RC(70, failed.load(), 0);
			      mdb_env_close(env);
			      return 0;
		      }) == "");
	}
}

TEST_CASE("misuse: an environment used in a fork child", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path());
		      if (!env || put_some(env)) return 1;
		      MDB_txn *r;
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, MDB_RDONLY, &r), 0);
		      pid_t pid = fork();
		      if (pid == 0) {
			      MDB_txn *t;
			      int rc1 = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t);
			      int rc2 = mdb_txn_begin(env, nullptr, 0, &t);
			      std::string dst = d.path() + "/copy";
			      mkdir(dst.c_str(), 0755);
			      int rc3 = mdb_env_copy(env, dst.c_str());
			      int rc4 = mdb_env_sync(env, 1);
			      // mdb_env_close is allowed in the child.
			      mdb_env_close(env);
			      test_support::child_exit(rc1 == MDB_BAD_RSLOT && rc2 == EINVAL && rc3 == EINVAL && rc4 == EINVAL ? 0 : 1);
		      }
		      int status;
		      waitpid(pid, &status, 0);
		      if (!WIFEXITED(status) || WEXITSTATUS(status)) return 3;
		      // The parent's reader and writer are unaffected by the child:
		      // its slot is still in the table under the parent's pid.
		      std::string list;
		      mdb_reader_list(
			  env,
			  [](const char *msg, void *ctx) {
				  *static_cast<std::string *>(ctx) += msg;
				  return 0;
			  },
			  &list);
		      if (list.find(" " + std::to_string(getpid()) + " ") == std::string::npos) return 8;
		      MDB_val k = val("key1"), v;
		      EXPECT_RC(4, mdb_get(r, 1, &k, &v), 0);
		      mdb_txn_abort(r);
		      EXPECT_RC(5, put_some(env), 0);
		      MDB_stat st;
		      EXPECT_RC(6, mdb_env_stat(env, &st), 0);
		      int dead = -1;
		      EXPECT_RC(7, mdb_reader_check(env, &dead), 0);
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}

TEST_CASE("misuse: the same env opened twice in a process, and closing one keeps the other handle locks", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *a = open_env(d.path()), *b = open_env(d.path());
		      if (!a || !b || put_some(a)) return 1;
		      MDB_txn *r;
		      EXPECT_RC(2, mdb_txn_begin(b, nullptr, MDB_RDONLY, &r), 0);
		      mdb_env_close(a);
		      // Another process must still see this one as a user of the
		      // env: it may not take the exclusive lock that would let it
		      // reset the reader table under b's reader.
		      pid_t pid = fork();
		      if (pid == 0) {
			      // A fresh process: exec a shell that tries the lock.
			      std::string lock = d.path() + "/lock.mdb";
			      int fd = open(lock.c_str(), O_RDWR);
			      struct flock fl{};
			      fl.l_type = F_WRLCK;
			      fl.l_whence = SEEK_SET;
			      fl.l_start = 0;
			      fl.l_len = 1;
			      // (F_GETLK from a child process reports the parent's lock.)
			      if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0) _exit(2);
			      test_support::child_exit(fl.l_type == F_UNLCK ? 1 : 0);
		      }
		      int status;
		      waitpid(pid, &status, 0);
		      if (!WIFEXITED(status) || WEXITSTATUS(status)) return 3;
		      // And a new env in another process sees b's reader.
		      MDB_envinfo info;
		      EXPECT_RC(4, mdb_env_info(b, &info), 0);
		      if (info.me_numreaders < 1) return 5;
		      MDB_val k = val("key1"), v;
		      EXPECT_RC(6, mdb_get(r, 1, &k, &v), 0);
		      mdb_txn_abort(r);
		      EXPECT_RC(7, put_some(b), 0);
		      mdb_env_close(b);
		      return 0;
	      }) == "");
}

// mdb_cursor_put without a data argument (upstream dereferences it: a
// crash), and with the duplicate flag of a node (F_DUPDATA, 0x04: the value
// of MDB_DUPSORT, easily passed by mistake) onto a new key: upstream writes a
// node marked as holding duplicates that it does not hold, and crashes or
// asserts on the next read of it.  Here: EINVAL, and the bit is ignored (as
// upstream ignores it on an existing key), for every db kind.
TEST_CASE("misuse: mdb_cursor_put without data or with a node flag", "[misuse]") {
	TempDir d;
	CHECK(in_child([&] {
		      MDB_env *env = open_env(d.path());
		      if (!env) return 1;
		      MDB_txn *t;
		      EXPECT_RC(2, mdb_txn_begin(env, nullptr, 0, &t), 0);
		      int n = 0;
		      for (unsigned dbf : {0u, unsigned(MDB_DUPSORT), unsigned(MDB_DUPSORT | MDB_DUPFIXED),
		                           unsigned(MDB_INTEGERKEY)}) {
			      MDB_dbi dbi;
			      std::string name = "db" + std::to_string(n++);
			      EXPECT_RC(3, mdb_dbi_open(t, name.c_str(), MDB_CREATE | dbf, &dbi), 0);
			      MDB_val k = val("aaaa"), v = val("1111");
			      EXPECT_RC(4, mdb_put(t, dbi, &k, &v, 0), 0);
			      MDB_cursor *c;
			      EXPECT_RC(5, mdb_cursor_open(t, dbi, &c), 0);
			      EXPECT_RC(6, mdb_cursor_put(c, &k, nullptr, 0), EINVAL);
			      EXPECT_RC(7, mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
			      EXPECT_RC(8, mdb_cursor_put(c, &k, nullptr, MDB_CURRENT), EINVAL);
			      MDB_val k2 = val("bbbb"), v2 = val("2222");
			      EXPECT_RC(9, mdb_cursor_put(c, &k2, &v2, 0x04), 0);
			      MDB_val k3 = val("aaaa"), v3 = val("3333");
			      EXPECT_RC(10, mdb_cursor_put(c, &k3, &v3, 0x04), 0);
			      MDB_cursor *w;
			      EXPECT_RC(11, mdb_cursor_open(t, dbi, &w), 0);
			      MDB_val a, b;
			      int items = 0, rc;
			      while ((rc = mdb_cursor_get(w, &a, &b, MDB_NEXT)) == 0) items++;
			      EXPECT_RC(12, rc, MDB_NOTFOUND);
			      EXPECT_RC(13, items, (dbf & MDB_DUPSORT) ? 3 : 2);
			      MDB_val g = val("bbbb");
			      EXPECT_RC(14, mdb_get(t, dbi, &g, &b), 0);
			      mdb_cursor_close(w);
			      mdb_cursor_close(c);
		      }
		      EXPECT_RC(15, mdb_txn_commit(t), 0);
		      mdb_env_close(env);
		      return 0;
	      }) == "");
}
