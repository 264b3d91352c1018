// kill -9 of processes in the middle of things, on either library: a dead
// writer's mutex is recovered by the next writer (robust mutex, owner dead)
// and the data is exactly the last commit; a dead reader's slots are
// cleared by mdb_reader_check, and by the next sole opener.
#include <random>

#include "concurrency/concur_util.h"

using namespace concur;
using test_support::TempDir;

namespace {

constexpr unsigned kKeys = 40;
constexpr size_t kMap = size_t(64) << 20;

std::unique_ptr<Helper> start(Lib lib, const std::string &path, unsigned flags = MDB_NOSYNC, unsigned seed = 1) {
	auto h = std::make_unique<Helper>(lib);
	h->ok(open_cmd(path, flags, 0, 0, kKeys));
	h->ok("seed " + std::to_string(seed));
	return h;
}



std::string pid_column(pid_t pid) {
	char b[32];
	std::snprintf(b, sizeof b, "%10d ", int(pid));
	return b;
}

// Who acts after the victim: this process (our library, in-process) or a
// helper process of either library.
enum class Next { InProcess, OursHelper, UpstreamHelper };
const char *next_name(Next n) {
	return n == Next::InProcess ? "this process" : n == Next::OursHelper ? "our helper" : "upstream helper";
}

}  // namespace

TEST_CASE("faults: a writer killed inside its transaction", "[concurrency][faults]") {
	auto victim = GENERATE(Lib::Ours, Lib::Upstream);
	auto next = GENERATE(Next::InProcess, Next::OursHelper, Next::UpstreamHelper);
	INFO("killed: " << lib_name(victim) << " writer; next writer: " << next_name(next));
	TempDir dir;
	Env env;
	// MDB_NOTLS: this thread keeps a reader open while it takes snapshots.
	REQUIRE(env.open(dir.path(), MDB_NOSYNC | MDB_NOTLS, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	Rng rng(9);
	for (int i = 0; i < 10; i++) REQUIRE(transfer(env, rng, kKeys) == 0);
	size_t last_id;
	Snapshot last = snapshot_of(env, &last_id);
	REQUIRE(last.counter == 10);
	// A reader that stays open across the crash.
	MDB_txn *r0;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r0) == 0);

	auto v = start(victim, dir.path());
	CHECK(std::stoull(v->ok("wbegin")) == last_id + 1);
	for (int i = 0; i < 3; i++) v->ok("move");
	v->ok("put zzz 1");
	v->kill9();

	if (next == Next::InProcess) {
		MDB_txn *w;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
		CHECK(mdb_txn_id(w) == last_id + 1);
		Snapshot s;
		REQUIRE(scan(w, &s) == 0);
		CHECK(s == last);
		int64_t z;
		CHECK(get_i64(w, "zzz", &z) == MDB_NOTFOUND);
		REQUIRE(move(w, rng, kKeys) == 0);
		REQUIRE(mdb_txn_commit(w) == 0);
	} else {
		auto n = start(next == Next::OursHelper ? Lib::Ours : Lib::Upstream, dir.path());
		CHECK(std::stoull(n->ok("wbegin")) == last_id + 1);
		CHECK(parse_scan(n->ok("scan")) == last);
		CHECK(n->cmd("get zzz").rfind("err " + std::to_string(MDB_NOTFOUND), 0) == 0);
		n->ok("move");
		n->ok("commit");
	}
	size_t now_id;
	Snapshot now = snapshot_of(env, &now_id);
	CHECK(invariant_holds(now, kKeys));
	CHECK(now.counter == 11);
	CHECK(now_id == last_id + 1);
	Snapshot old;
	REQUIRE(scan(r0, &old) == 0);
	CHECK(old == last);
	mdb_txn_abort(r0);
	// Both libraries carry on writing.
	auto up = start(Lib::Upstream, dir.path(), MDB_NOSYNC, 3);
	auto ours = start(Lib::Ours, dir.path(), MDB_NOSYNC, 4);
	up->send("work 20 20");
	ours->send("work 20 20");
	CHECK(up->line().rfind("ok ", 0) == 0);
	CHECK(ours->line().rfind("ok ", 0) == 0);
	CHECK(snapshot_of(env).counter == 51);
}

TEST_CASE("faults: a writer killed at a random point of a commit loop", "[concurrency][faults]") {
	auto victim = GENERATE(Lib::Ours, Lib::Upstream);
	INFO("killed: " << lib_name(victim));
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	size_t base;
	snapshot_of(env, &base);
	std::mt19937 gen(std::random_device{}());
	for (int round = 0; round < 3; round++) {
		auto v = start(victim, dir.path(), MDB_NOSYNC, unsigned(round + 1));
		v->send("work 1000000 0");
		usleep(useconds_t(5000 + gen() % 30000));
		v->kill9();
		// The next writer gets the lock; the data is a complete commit.
		MDB_txn *w;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
		Snapshot s;
		REQUIRE(scan(w, &s) == 0);
		CHECK(invariant_holds(s, kKeys));
		CHECK(size_t(s.counter) == mdb_txn_id(w) - 1 - base);
		Rng rng(round);
		REQUIRE(move(w, rng, kKeys) == 0);
		REQUIRE(mdb_txn_commit(w) == 0);
		size_t id;
		Snapshot after = snapshot_of(env, &id);
		CHECK(invariant_holds(after, kKeys));
		CHECK(size_t(after.counter) == id - base);
	}
}

TEST_CASE("faults: slots of a killed reader are cleared by mdb_reader_check", "[concurrency][faults]") {
	auto victim = GENERATE(Lib::Ours, Lib::Upstream);
	auto checker = GENERATE(Next::InProcess, Next::OursHelper, Next::UpstreamHelper);
	INFO("killed: " << lib_name(victim) << " reader; checked by " << next_name(checker));
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto v = start(victim, dir.path());
	size_t snap = std::stoull(v->ok("rbegin"));
	pid_t vpid = v->pid();
	Rng rng(1);
	for (int i = 0; i < 5; i++) REQUIRE(transfer(env, rng, kKeys) == 0);
	std::string list = reader_list(env);
	CHECK(list.find(pid_column(vpid) ) != std::string::npos);
	CHECK(list.find(" " + std::to_string(snap) + "\n") != std::string::npos);
	v->kill9();
	// Still listed: nobody has checked yet.
	CHECK(reader_list(env).find(pid_column(vpid)) != std::string::npos);

	std::unique_ptr<Helper> h;
	if (checker != Next::InProcess)
		h = start(checker == Next::OursHelper ? Lib::Ours : Lib::Upstream, dir.path());
	auto check = [&] {
		if (!h) {
			int dead = -1;
			REQUIRE(mdb_reader_check(env, &dead) == 0);
			return dead;
		}
		return int(h->ok_num("rcheck"));
	};
	CHECK(check() == 1);
	list = reader_list(env);
	INFO(list);
	CHECK(list.find(pid_column(vpid)) == std::string::npos);
	CHECK(list.find(pid_column(getpid())) != std::string::npos);
	CHECK(check() == 0);
	// Writers and readers carry on.
	REQUIRE(transfer(env, rng, kKeys) == 0);
	CHECK(snapshot_of(env).counter == 6);
}

TEST_CASE("faults: the next sole opener starts with a clean lock table", "[concurrency][faults]") {
	auto victim = GENERATE(Lib::Ours, Lib::Upstream);
	auto opener = GENERATE(Lib::Ours, Lib::Upstream);
	INFO("killed: " << lib_name(victim) << "; reopened by " << lib_name(opener));
	TempDir dir;
	{
		Env env;
		REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
	}
	// One victim dies holding a read txn, another holding the writer lock.
	auto reader = start(victim, dir.path());
	auto writer = start(victim, dir.path());
	reader->ok("rbegin");
	writer->ok("wbegin");
	writer->ok("move");
	pid_t rpid = reader->pid();
	reader->kill9();
	writer->kill9();
	if (opener == Lib::Ours) {
		Env env;
		REQUIRE(env.open(dir.path(), MDB_NOSYNC | MDB_NOTLS) == 0);
		CHECK(reader_list(env) == "(no active readers)\n");
		Rng rng(2);
		REQUIRE(transfer(env, rng, kKeys) == 0);
		Snapshot s = snapshot_of(env);
		CHECK(invariant_holds(s, kKeys));
		CHECK(s.counter == 1);
	} else {
		auto h = start(Lib::Upstream, dir.path(), MDB_NOSYNC | MDB_NOTLS);
		h->send("rlist");
		std::string list = h->until_end();
		CHECK(list == "(no active readers)\n");
		CHECK(list.find(pid_column(rpid)) == std::string::npos);
		h->ok("work 1 0");
		CHECK(h->ok_num("check") == 1);
	}
}
