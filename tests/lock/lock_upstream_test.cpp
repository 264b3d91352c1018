// Cross-checks against upstream liblmdb: a lock file made by either side is
// accepted by the other, reader slots and the published txnid are seen by
// both, the writer mutex excludes across them, and each recovers a writer
// mutex left behind by the other's dead process.  Upstream and LockTable
// always run in different processes: POSIX record locks are per process.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "lock/lock_table.h"
#include "lock/lock_test_util.h"
#include "lock/upstream_lmdb.h"
#include "test_support.h"

using namespace lmdb::lock;
using namespace lock_test;
using test_support::TempDir;

namespace {

// Upstream is always opened with MDB_NOTLS.  Its reader slots then live in
// the transaction instead of a pthread key: the dlmopen()ed copy has its
// own libc, whose pthread key numbers collide with those of the main libc
// (used by this program, by LockTable and by the sanitizer runtimes), so a
// key-based slot lookup in upstream could find a foreign value.  The lock
// file protocol is the same either way.
constexpr unsigned kUpFlags = MDB_NOTLS;

// Commit one record with upstream; returns the mdb error code.
int upstream_put(const Upstream &up, MDB_env *env, const char *key) {
	MDB_txn *txn = nullptr;
	int rc = up.txn_begin(env, nullptr, 0, &txn);
	if (rc)
		return rc;
	MDB_dbi dbi;
	rc = up.dbi_open(txn, nullptr, 0, &dbi);
	MDB_val k{std::strlen(key), const_cast<char *>(key)};
	MDB_val v{1, const_cast<char *>("v")};
	if (!rc)
		rc = up.put(txn, dbi, &k, &v, 0);
	if (rc) {
		up.txn_abort(txn);
		return rc;
	}
	return up.txn_commit(txn);
}

std::string upstream_readers(const Upstream &up, MDB_env *env) {
	std::string text;
	up.reader_list(env, collect_msg, &text);
	return text;
}

void write_text(const std::string &path, const std::string &text) {
	std::ofstream(path) << text;
}
std::string read_text(const std::string &path) {
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

txnid_t count_calls(void *ctx) {
	++*static_cast<int *>(ctx);
	return 0;
}

}  // namespace

TEST_CASE("upstream's lock file is accepted and shared by LockTable", "[lock][upstream]") {
	const Upstream &up = Upstream::get();
	REQUIRE(up.ok);
	TempDir dir;
	MDB_env *env = nullptr;
	REQUIRE(up.env_create(&env) == 0);
	REQUIRE(up.env_open(env, dir.path().c_str(), kUpFlags, 0664) == 0);
	REQUIRE(upstream_put(up, env, "a") == 0);
	MDB_txn *rtxn = nullptr;
	REQUIRE(up.txn_begin(env, nullptr, MDB_RDONLY, &rtxn) == 0);
	REQUIRE(up.txn_id(rtxn) == 1);
	const pid_t parent = getpid();
	const std::string lockpath = dir.file("lock.mdb");
	const std::string ours = dir.file("ours.txt");

	Channel ch;
	REQUIRE(ch.ok());
	pid_t child = spawn([&] {
		LockTable lt;
		bool excl = true;
		if (lt.open(lockpath.c_str(), 0664, 0, 126, &excl) != 0 || excl)
			return 10;
		if (lt.max_readers() != 126 || lt.num_readers() != 1 || *lt.shared_txnid() != 1)
			return 11;
		if (lt.oldest_reader(100) != 1)
			return 12;
		std::string text;
		lt.reader_list(collect_msg, &text);
		if (text.rfind("    pid     thread     txnid\n", 0) != 0)
			return 13;
		std::string line = slot_line(parent, 0, "");
		if (text.find(line.substr(0, 11)) == std::string::npos ||
		    text.compare(text.size() - 3, 3, " 1\n") != 0)
			return 14;
		ReaderSlot *s = nullptr;
		if (lt.acquire_reader(&s) != 0)
			return 15;
		s->txnid = *lt.shared_txnid();
		ch.to_parent('r');
		if (ch.from_parent() != 'w')  // upstream holds the writer mutex
			return 16;
		if (lt.lock_writer(true, nullptr, nullptr) != EBUSY)
			return 17;
		ch.to_parent('b');
		if (ch.from_parent() != 'c')  // upstream committed txn 2
			return 18;
		if (*lt.shared_txnid() != 2)
			return 19;
		if (lt.lock_writer(true, nullptr, nullptr) != 0)
			return 20;
		lt.unlock_writer();
		text.clear();
		lt.reader_list(collect_msg, &text);
		write_text(ours, text);
		ch.to_parent('d');
		ch.from_parent();
		test_support::child_exit(0);  // dies with its slot taken
	});
	REQUIRE(ch.from_child() == 'r');
	std::string text = upstream_readers(up, env);
	CHECK(text.find(slot_line(child, 0, "").substr(0, 11)) != std::string::npos);
	int dead = -1;
	CHECK(up.reader_check(env, &dead) == 0);
	CHECK(dead == 0);  // upstream sees our liveness lock

	MDB_txn *wtxn = nullptr;
	REQUIRE(up.txn_begin(env, nullptr, 0, &wtxn) == 0);
	ch.to_child('w');
	CHECK(ch.from_child() == 'b');
	MDB_dbi dbi;
	REQUIRE(up.dbi_open(wtxn, nullptr, 0, &dbi) == 0);
	MDB_val k{1, const_cast<char *>("b")}, v{1, const_cast<char *>("v")};
	REQUIRE(up.put(wtxn, dbi, &k, &v, 0) == 0);
	REQUIRE(up.txn_commit(wtxn) == 0);
	ch.to_child('c');
	REQUIRE(ch.from_child() == 'd');
	// Both implementations print the same table the same way.
	CHECK(read_text(ours) == upstream_readers(up, env));
	ch.to_child('x');
	CHECK(wait_child(child) == 0);
	CHECK(up.reader_check(env, &dead) == 0);
	CHECK(dead == 1);
	up.txn_abort(rtxn);
	up.env_close(env);
}

TEST_CASE("LockTable's lock file is accepted by upstream; our writer mutex blocks it",
          "[lock][upstream]") {
	const Upstream &up = Upstream::get();
	REQUIRE(up.ok);
	TempDir dir;
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(dir.file("lock.mdb").c_str(), 0664, 0, 50, &excl) == 0);
	REQUIRE(excl);
	*lt.shared_txnid() = 0;
	REQUIRE(lt.share() == 0);
	REQUIRE(lt.lock_writer(false, nullptr, nullptr) == 0);

	Channel ch;
	REQUIRE(ch.ok());
	pid_t child = spawn([&] {
		MDB_env *env = nullptr;
		if (up.env_create(&env) != 0 || up.env_open(env, dir.path().c_str(), kUpFlags, 0664) != 0)
			return 10;
		MDB_txn *rtxn = nullptr;
		if (up.txn_begin(env, nullptr, MDB_RDONLY, &rtxn) != 0 || up.txn_id(rtxn) != 0)
			return 11;
		ch.to_parent('o');
		if (upstream_put(up, env, "k") != 0)  // waits for our writer mutex
			return 12;
		ch.to_parent('c');
		if (ch.from_parent() != 'x')
			return 13;
		up.txn_abort(rtxn);
		up.env_close(env);
		return 0;
	});
	REQUIRE(ch.from_child() == 'o');
	CHECK(lt.max_readers() == 50);
	CHECK(lt.oldest_reader(100) == 0);
	std::string text;
	lt.reader_list(collect_msg, &text);
	CHECK(text.find(slot_line(child, 0, "").substr(0, 11)) != std::string::npos);
	// Upstream's write transaction cannot start while we hold the mutex.
	CHECK(ch.from_child(300) == -1);
	lt.unlock_writer();
	CHECK(ch.from_child(3000) == 'c');
	CHECK(*lt.shared_txnid() == 1);
	ch.to_child('x');
	CHECK(wait_child(child) == 0);
	text.clear();
	lt.reader_list(collect_msg, &text);
	CHECK(text == "(no active readers)\n");
	int dead = -1;
	CHECK(lt.reader_check(&dead) == 0);
	CHECK(dead == 0);
}

TEST_CASE("a writer mutex abandoned by upstream is recovered by LockTable", "[lock][upstream]") {
	const Upstream &up = Upstream::get();
	REQUIRE(up.ok);
	TempDir dir;
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(dir.file("lock.mdb").c_str(), 0664, 0, 126, &excl) == 0);
	REQUIRE(lt.share() == 0);
	Channel ch;
	pid_t child = spawn([&] {
		MDB_env *env = nullptr;
		if (up.env_create(&env) != 0 || up.env_open(env, dir.path().c_str(), kUpFlags, 0664) != 0)
			return 10;
		MDB_txn *txn = nullptr;
		if (up.txn_begin(env, nullptr, 0, &txn) != 0)
			return 11;
		ch.to_parent('w');
		test_support::child_exit(0);  // dies inside the write transaction
	});
	REQUIRE(ch.from_child() == 'w');
	REQUIRE(wait_child(child) == 0);
	int calls = 0;
	CHECK(lt.lock_writer(true, count_calls, &calls) == 0);
	CHECK(calls == 1);
	lt.unlock_writer();
}

TEST_CASE("a writer mutex abandoned by LockTable is recovered by upstream", "[lock][upstream]") {
	const Upstream &up = Upstream::get();
	REQUIRE(up.ok);
	TempDir dir;
	MDB_env *env = nullptr;
	REQUIRE(up.env_create(&env) == 0);
	REQUIRE(up.env_open(env, dir.path().c_str(), kUpFlags, 0664) == 0);
	REQUIRE(upstream_put(up, env, "a") == 0);
	const std::string lockpath = dir.file("lock.mdb");

	pid_t child = spawn([&] {
		LockTable lt;
		bool excl = true;
		if (lt.open(lockpath.c_str(), 0664, 0, 126, &excl) != 0 || excl)
			return 10;
		ReaderSlot *s = nullptr;
		if (lt.acquire_reader(&s) != 0)
			return 11;
		s->txnid = 1;
		if (lt.lock_writer(false, nullptr, nullptr) != 0)
			return 12;
		test_support::child_exit(0);  // dies holding the writer mutex and a slot
	});
	REQUIRE(wait_child(child) == 0);
	CHECK(upstream_readers(up, env).find(slot_line(child, 0, "").substr(0, 11)) !=
	      std::string::npos);
	// Upstream's next writer (in a process of its own, in case it hangs)
	// finds the mutex owner-dead, repairs it and proceeds.
	child = spawn([&] {
		MDB_env *e2 = nullptr;
		if (up.env_create(&e2) != 0 || up.env_open(e2, dir.path().c_str(), kUpFlags, 0664) != 0)
			return 10;
		if (upstream_put(up, e2, "b") != 0)
			return 11;
		up.env_close(e2);
		return 0;
	});
	CHECK(wait_child(child, 5000) == 0);
	// The repair also cleared the dead process's reader slot.
	CHECK(upstream_readers(up, env) == "(no active readers)\n");
	up.env_close(env);
}
