// Several processes on one environment, on our library and on upstream's
// (env_helper.c built against each): writes serialise, every process sees
// the others' commits, snapshots stay consistent, the writer lock excludes
// across the two libraries, and a map grown by one process is adopted by
// another after MDB_MAP_RESIZED.
#include <thread>

#include "concurrency/concur_util.h"

using namespace concur;
using test_support::TempDir;

namespace {

constexpr unsigned kKeys = 40;
// Roomy: a reader that is descheduled for a while pins the pages of every
// commit made meanwhile.  Helpers opened without a size take it from the
// meta page.
constexpr size_t kMap = size_t(64) << 20;

// Start a helper on the environment at `path` and check which library it runs.
std::unique_ptr<Helper> start(Lib lib, const std::string &path, unsigned flags = MDB_NOSYNC,
                              size_t mapsize = 0, unsigned seed = 1) {
	auto h = std::make_unique<Helper>(lib);
	std::string where = h->ok("libpath");
	INFO("helper library: " << where);
	if (lib == Lib::Upstream)
		REQUIRE(where.rfind("/usr/lib/", 0) == 0);
	else
		REQUIRE(where.rfind("/usr/lib/", 0) != 0);
	h->ok(open_cmd(path, flags, mapsize, 0, kKeys));
	h->ok("seed " + std::to_string(seed));
	return h;
}



}  // namespace

TEST_CASE("processes: concurrent writers and readers in several processes", "[concurrency][processes]") {
	auto mix = GENERATE(std::vector<Lib>{Lib::Ours, Lib::Ours, Lib::Ours},
	                    std::vector<Lib>{Lib::Ours, Lib::Upstream, Lib::Ours, Lib::Upstream});
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	size_t base = 0;
	snapshot_of(env, &base);

	constexpr unsigned kWrites = 300, kReads = 200;
	std::vector<std::unique_ptr<Helper>> helpers;
	for (unsigned i = 0; i < mix.size(); i++) helpers.push_back(start(mix[i], dir.path(), MDB_NOSYNC, 0, i + 1));
	for (auto &h : helpers) h->send("work " + std::to_string(kWrites) + " " + std::to_string(kReads));

	// Meanwhile this process reads too.
	int64_t last = 0;
	long reads = 0;
	bool bad = false;
	auto all_ready = [&] {
		for (auto &h : helpers)
			if (!h->ready(0)) return false;
		return true;
	};
	while (!all_ready() && !bad) {
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
		Snapshot s1, s2;
		REQUIRE(scan(txn, &s1) == 0);
		std::this_thread::yield();
		REQUIRE(scan(txn, &s2) == 0);
		bad = !invariant_holds(s1, kKeys) || !(s1 == s2) || s1.counter < last ||
		      size_t(s1.counter) != mdb_txn_id(txn) - base;
		last = s1.counter;
		mdb_txn_abort(txn);
		reads++;
	}
	CHECK_FALSE(bad);
	for (auto &h : helpers) {
		std::string r = h->line();
		INFO(lib_name(h->lib()) << " helper: work -> " << r);
		CHECK(r.rfind("ok ", 0) == 0);
	}
	// Every process sees every other's commits.
	int64_t total = int64_t(kWrites) * int64_t(mix.size());
	for (auto &h : helpers) CHECK(h->ok_num("waitfor " + std::to_string(total) + " 20000") == total);
	Snapshot end = snapshot_of(env);
	CHECK(invariant_holds(end, kKeys));
	CHECK(end.counter == total);
}

TEST_CASE("mixed: the writer lock excludes across our library and upstream's", "[concurrency][processes]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto up = start(Lib::Upstream, dir.path());
	auto ours = start(Lib::Ours, dir.path());

	SECTION("ours holds the lock, upstream waits for the commit") {
		MDB_txn *w;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
		size_t our_id = mdb_txn_id(w);
		REQUIRE(put_i64(w, "marker", 7) == 0);
		up->send("wbegin");
		// Upstream must not get the lock while we hold it.
		CHECK_FALSE(up->ready(300));
		// Nor may our try-only begin in another process.
		CHECK(ours->cmd("trywbegin").rfind("err 16 ", 0) == 0);
		REQUIRE(mdb_txn_commit(w) == 0);
		std::string r = up->line();
		REQUIRE(r.rfind("ok ", 0) == 0);
		// Upstream's txn comes right after ours and sees our commit.
		CHECK(std::stoull(r.substr(3)) == our_id + 1);
		CHECK(up->ok_num("get marker") == 7);
		up->ok("put marker 8");
		up->ok("commit");
		CHECK(ours->ok_num("check") == 0);
	}
	SECTION("upstream holds the lock, ours waits or gets EBUSY") {
		size_t up_id = std::stoull(up->ok("wbegin"));
		up->ok("put marker 9");
		MDB_txn *w = nullptr;
		CHECK(mdb_txn_begin(env, nullptr, MDB_TRY_WRITE, &w) == EBUSY);
		CHECK(ours->cmd("trywbegin").rfind("err 16 ", 0) == 0);
		ours->send("wbegin");
		CHECK_FALSE(ours->ready(300));
		up->ok("commit");
		std::string r = ours->line();
		REQUIRE(r.rfind("ok ", 0) == 0);
		CHECK(std::stoull(r.substr(3)) == up_id + 1);
		CHECK(ours->ok_num("get marker") == 9);
		ours->ok("abort");
		// Free again: MDB_TRY_WRITE succeeds and sees upstream's commit.
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_TRY_WRITE, &w) == 0);
		int64_t m = 0;
		CHECK(get_i64(w, "marker", &m) == 0);
		CHECK(m == 9);
		mdb_txn_abort(w);
	}
}

TEST_CASE("mixed: snapshots stay stable while the other library commits", "[concurrency][processes]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto up = start(Lib::Upstream, dir.path());
	constexpr unsigned kCommits = 300;

	SECTION("an upstream reader, our writer") {
		up->ok("rbegin");
		Snapshot before = parse_scan(up->ok("scan"));
		Rng rng(5);
		for (unsigned i = 0; i < kCommits; i++) REQUIRE(transfer(env, rng, kKeys) == 0);
		// Our writer must not have reused pages of upstream's snapshot.
		CHECK(parse_scan(up->ok("scan")) == before);
		CHECK(before.counter == 0);
		up->ok("abort");
		CHECK(up->ok_num("check") == kCommits);
	}
	SECTION("our reader, an upstream writer") {
		MDB_txn *r;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r) == 0);
		Snapshot before;
		REQUIRE(scan(r, &before) == 0);
		up->ok("work " + std::to_string(kCommits) + " 0");
		Snapshot after;
		REQUIRE(scan(r, &after) == 0);
		CHECK(after == before);
		mdb_txn_abort(r);
		Snapshot now = snapshot_of(env);
		CHECK(invariant_holds(now, kKeys));
		CHECK(now.counter == kCommits);
	}
}

TEST_CASE("mixed: mdb_reader_list prints the same text in both libraries", "[concurrency][processes]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, kMap) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto up = start(Lib::Upstream, dir.path());
	auto ours = start(Lib::Ours, dir.path());
	MDB_txn *r;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r) == 0);
	up->ok("rbegin");
	Rng rng(1);
	REQUIRE(transfer(env, rng, kKeys) == 0);
	ours->ok("rbegin");
	std::string mine = reader_list(env);
	up->send("rlist");
	std::string theirs = up->until_end();
	ours->send("rlist");
	std::string helper = ours->until_end();
	INFO("ours:\n" << mine << "upstream:\n" << theirs);
	CHECK(mine == theirs);
	CHECK(helper == theirs);
	// A header and one line per process, two snapshots: 2 (ours) 3 (helpers).
	CHECK(mine.rfind("    pid     thread     txnid\n", 0) == 0);
	char line[64];
	std::snprintf(line, sizeof line, "%10d ", int(up->pid()));
	CHECK(mine.find(line) != std::string::npos);
	std::snprintf(line, sizeof line, "%10d ", int(getpid()));
	CHECK(mine.find(line) != std::string::npos);
	CHECK(std::count(mine.begin(), mine.end(), '\n') == 4);
	mdb_txn_abort(r);
	up->ok("abort");
	ours->ok("abort");
	// The slots stay with their threads, without a snapshot.
	mine = reader_list(env);
	up->send("rlist");
	CHECK(up->until_end() == mine);
	CHECK(std::count(mine.begin(), mine.end(), '-') == 3);
	// The same text when nobody reads.
	up->ok("close");
	ours->ok("close");
	env.close();
	REQUIRE(env.open(dir.path(), MDB_NOSYNC | MDB_NOTLS, kMap) == 0);
	CHECK(reader_list(env) == "(no active readers)\n");
	up->ok(open_cmd(dir.path(), MDB_NOSYNC | MDB_NOTLS, 0, 0, kKeys));
	up->send("rlist");
	CHECK(up->until_end() == "(no active readers)\n");
}

TEST_CASE("mixed: MDB_MAP_RESIZED after another process grew the map", "[concurrency][processes]") {
	const size_t small = size_t(1) << 20, big = size_t(8) << 20;
	auto grower = GENERATE(Lib::Ours, Lib::Upstream);
	INFO("the map is grown by " << lib_name(grower));
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, small) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto h = start(grower, dir.path(), MDB_NOSYNC, small);
	// Too much for 1 MiB; fine after growing the map (no txn is active).
	CHECK(h->cmd("fill 0 400 4000").rfind("err " + std::to_string(MDB_MAP_FULL), 0) == 0);
	h->ok("setmap " + std::to_string(big));
	h->ok("fill 0 400 4000");

	MDB_txn *txn;
	CHECK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == MDB_MAP_RESIZED);
	CHECK(mdb_txn_begin(env, nullptr, 0, &txn) == MDB_MAP_RESIZED);
	// The failed write txn let go of the writer lock.
	h->ok("fill 400 10 100");
	// Adopt the size recorded in the meta page.
	REQUIRE(mdb_env_set_mapsize(env, 0) == 0);
	MDB_envinfo info;
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_mapsize == big);
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	MDB_stat st;
	REQUIRE(mdb_stat(txn, 1, &st) == 0);
	CHECK(st.ms_entries == kKeys + 1 + 410);
	mdb_txn_abort(txn);
	Rng rng(2);
	REQUIRE(transfer(env, rng, kKeys) == 0);
	CHECK(h->ok_num("check") == 1);
	// The other side grows further; ours writes again with its smaller map
	// and must not shrink the recorded size.
	h->ok("setmap " + std::to_string(2 * big));
	h->ok("fill 1000 10 100");
	REQUIRE(transfer(env, rng, kKeys) == 0);
	h->ok("close");
	env.close();
	Env fresh;
	REQUIRE(fresh.open(dir.path(), MDB_RDONLY) == 0);
	REQUIRE(mdb_env_info(fresh, &info) == 0);
	CHECK(info.me_mapsize == 2 * big);
}

TEST_CASE("mixed: upstream adopts a map grown by our library", "[concurrency][processes]") {
	const size_t small = size_t(1) << 20, big = size_t(8) << 20;
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC, small) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto up = start(Lib::Upstream, dir.path(), MDB_NOSYNC, small);
	// mdb_env_set_mapsize on our open environment, then fill beyond 1 MiB.
	REQUIRE(mdb_env_set_mapsize(env, big) == 0);
	MDB_txn *w;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
	CHECK(mdb_env_set_mapsize(env, 2 * big) == EINVAL);  // not while a write txn is active
	std::string v(4000, 'x');
	for (unsigned i = 0; i < 400; i++) {
		char k[16];
		std::snprintf(k, sizeof k, "f%08u", i);
		MDB_val key{std::strlen(k), k}, val{v.size(), v.data()};
		REQUIRE(mdb_put(w, 1, &key, &val, 0) == 0);
	}
	REQUIRE(mdb_txn_commit(w) == 0);
	CHECK(up->cmd("rbegin").rfind("err " + std::to_string(MDB_MAP_RESIZED), 0) == 0);
	CHECK(up->cmd("wbegin").rfind("err " + std::to_string(MDB_MAP_RESIZED), 0) == 0);
	up->ok("setmap 0");
	up->ok("rbegin");
	Snapshot s = parse_scan(up->ok("scan"));
	CHECK(invariant_holds(s, kKeys));
	up->ok("abort");
	std::string info = up->ok("info");
	CHECK(std::stoull(info) == big);
	up->ok("work 5 5");
	CHECK(up->ok_num("check") == 5);
}
