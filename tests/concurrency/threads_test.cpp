// Many threads on one MDB_env: readers keep consistent, stable snapshots
// while writer threads commit; reader slots per thread (MDB_BAD_RSLOT,
// MDB_READERS_FULL, MDB_NOTLS), MDB_TRY_WRITE between threads, MDB_NOLOCK.
#include <sched.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "concurrency/concur_util.h"

using namespace concur;
using test_support::TempDir;

namespace {

constexpr unsigned kKeys = 40;

// Failures found on worker threads; checked on the main thread (Catch2's
// assertion macros are not thread-safe).
class Failures {
public:
	void add(const std::string &s) {
		std::lock_guard<std::mutex> g(m_);
		if (list_.size() < 20) list_.push_back(s);
	}
	std::vector<std::string> take() {
		std::lock_guard<std::mutex> g(m_);
		return list_;
	}

private:
	std::mutex m_;
	std::vector<std::string> list_;
};

std::string describe(const char *what, int rc) { return std::string(what) + ": " + mdb_strerror(rc); }

// Checks one read txn: the invariant, the link between txn id and counter
// (every commit after the initial one is one transfer), monotonic progress
// across the thread's txns, and a second scan after a yield seeing the same.
bool check_snapshot(MDB_txn *txn, size_t base_txnid, int64_t *last_counter, Failures &f) {
	Snapshot s1, s2;
	int rc = scan(txn, &s1);
	if (rc) {
		f.add(describe("scan", rc));
		return false;
	}
	if (!invariant_holds(s1, kKeys)) {
		f.add("invariant broken: sum " + std::to_string(s1.sum) + " over " + std::to_string(s1.count));
		return false;
	}
	if (size_t(s1.counter) != mdb_txn_id(txn) - base_txnid) {
		f.add("counter " + std::to_string(s1.counter) + " in snapshot " + std::to_string(mdb_txn_id(txn)));
		return false;
	}
	if (s1.counter < *last_counter) {
		f.add("counter went back from " + std::to_string(*last_counter) + " to " + std::to_string(s1.counter));
		return false;
	}
	*last_counter = s1.counter;
	sched_yield();
	if ((rc = scan(txn, &s2)) || !(s1 == s2)) {
		f.add("snapshot changed during the read txn");
		return false;
	}
	return true;
}

int64_t final_counter(MDB_env *env) {
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	Snapshot s;
	REQUIRE(scan(txn, &s) == 0);
	mdb_txn_abort(txn);
	CHECK(invariant_holds(s, kKeys));
	return s.counter;
}

// Writer threads commit transfers while reader threads check snapshots in
// several styles until the writers are done.
void run_readers_and_writers(unsigned env_flags) {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), env_flags | MDB_NOSYNC, size_t(64) << 20) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	size_t base;
	{
		MDB_txn *txn;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
		base = mdb_txn_id(txn);
		mdb_txn_abort(txn);
	}

	constexpr unsigned kWriters = 2, kCommits = 1500;
	Failures f;
	std::atomic<unsigned> writers_left{kWriters};
	std::atomic<long> reads{0};
	std::vector<std::thread> threads;
	for (unsigned w = 0; w < kWriters; w++) {
		threads.emplace_back([&, w] {
			Rng rng(w + 1);
			for (unsigned i = 0; i < kCommits; i++) {
				int rc = transfer(env, rng, kKeys);
				if (rc) {
					f.add(describe("transfer", rc));
					break;
				}
			}
			writers_left--;
		});
	}
	// Reader 1: begin / abort per snapshot.
	threads.emplace_back([&] {
		int64_t last = 0;
		// At least one pass each, however soon the writers finish.
		for (bool once = true; once || writers_left.load(); once = false) {
			MDB_txn *txn;
			int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
			if (rc) {
				f.add(describe("begin", rc));
				return;
			}
			bool good = check_snapshot(txn, base, &last, f);
			mdb_txn_abort(txn);
			if (!good) return;
			reads++;
		}
	});
	// Reader 2: one txn handle, reset / renew.
	threads.emplace_back([&] {
		int64_t last = 0;
		MDB_txn *txn;
		int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
		if (rc) {
			f.add(describe("begin", rc));
			return;
		}
		// At least one pass each, however soon the writers finish.
		for (bool once = true; once || writers_left.load(); once = false) {
			if (!check_snapshot(txn, base, &last, f)) break;
			reads++;
			mdb_txn_reset(txn);
			if ((rc = mdb_txn_renew(txn))) {
				f.add(describe("renew", rc));
				break;
			}
		}
		mdb_txn_abort(txn);
	});
	// Reader 3: a long snapshot held while short ones come and go.  With
	// MDB_NOTLS the short ones are in the same thread as the long one;
	// otherwise in a thread of their own each time.
	threads.emplace_back([&] {
		int64_t last_long = 0;
		// At least one pass each, however soon the writers finish.
		for (bool once = true; once || writers_left.load(); once = false) {
			MDB_txn *lng;
			int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &lng);
			if (rc) {
				f.add(describe("begin long", rc));
				return;
			}
			if (!check_snapshot(lng, base, &last_long, f)) return;
			Snapshot first;
			scan(lng, &first);
			for (int i = 0; i < 20; i++) {
				int64_t last_short = first.counter;
				auto one = [&] {
					MDB_txn *sh;
					int rc2 = mdb_txn_begin(env, nullptr, MDB_RDONLY, &sh);
					if (rc2) {
						f.add(describe("begin short", rc2));
						return;
					}
					check_snapshot(sh, base, &last_short, f);
					mdb_txn_abort(sh);
				};
				if (env_flags & MDB_NOTLS)
					one();
				else
					std::thread(one).join();
			}
			Snapshot again;
			scan(lng, &again);
			if (!(again == first)) f.add("long snapshot changed");
			mdb_txn_abort(lng);
			reads++;
		}
	});
	for (auto &t : threads) t.join();

	auto failures = f.take();
	for (auto &s : failures) UNSCOPED_INFO(s);
	CHECK(failures.empty());
	CHECK(reads.load() > 0);
	CHECK(final_counter(env) == int64_t(kWriters) * kCommits);
}

}  // namespace

TEST_CASE("threads: readers keep consistent snapshots while writer threads commit", "[concurrency][threads]") {
	run_readers_and_writers(0);
}

TEST_CASE("threads: the same with MDB_NOTLS, reset/renew and several txns per thread",
          "[concurrency][threads]") {
	run_readers_and_writers(MDB_NOTLS);
}

TEST_CASE("threads: MDB_WRITEMAP writers and readers", "[concurrency][threads]") {
	run_readers_and_writers(MDB_WRITEMAP);
}

TEST_CASE("threads: a thread's second read txn is MDB_BAD_RSLOT, not with MDB_NOTLS", "[concurrency][threads]") {
	TempDir dir;
	SECTION("thread-local slots") {
		Env env;
		REQUIRE(env.open(dir.path(), 0) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
		MDB_txn *r1, *r2;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r1) == 0);
		CHECK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r2) == MDB_BAD_RSLOT);
		// Another thread is not affected.
		int other = -1;
		std::thread([&] {
			MDB_txn *t;
			other = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t);
			if (!other) mdb_txn_abort(t);
		}).join();
		CHECK(other == 0);
		// A write txn in the same thread is not a reader.
		MDB_txn *w;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
		mdb_txn_abort(w);
		// After a reset the slot is free for a new txn; renewing the old
		// one while the new one is active is the misuse.
		mdb_txn_reset(r1);
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r2) == 0);
		CHECK(mdb_txn_renew(r1) == MDB_BAD_RSLOT);
		mdb_txn_abort(r2);
		CHECK(mdb_txn_renew(r1) == 0);
		Snapshot s;
		CHECK(scan(r1, &s) == 0);
		CHECK(invariant_holds(s, kKeys));
		mdb_txn_abort(r1);
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r2) == 0);
		mdb_txn_abort(r2);
	}
	SECTION("MDB_NOTLS: each txn has its own slot") {
		Env env;
		REQUIRE(env.open(dir.path(), MDB_NOTLS) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
		MDB_txn *r1, *r2;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r1) == 0);
		Rng rng(7);
		REQUIRE(transfer(env, rng, kKeys) == 0);
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &r2) == 0);
		CHECK(mdb_txn_id(r2) == mdb_txn_id(r1) + 1);
		Snapshot s1, s2;
		CHECK(scan(r1, &s1) == 0);
		CHECK(scan(r2, &s2) == 0);
		CHECK(s1.counter == 0);
		CHECK(s2.counter == 1);
		MDB_envinfo info;
		REQUIRE(mdb_env_info(env, &info) == 0);
		CHECK(info.me_numreaders == 2);
		// A NOTLS txn may even move to another thread.
		std::thread([&] { mdb_txn_abort(r1); }).join();
		mdb_txn_abort(r2);
	}
}

TEST_CASE("threads: MDB_READERS_FULL when every slot is taken", "[concurrency][threads]") {
	TempDir dir;
	constexpr unsigned kMax = 3;
	SECTION("one slot per thread") {
		Env env;
		REQUIRE(env.open(dir.path(), 0, 0, kMax) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
		// The main thread keeps the slot it took while opening: it holds a
		// read txn too, and kMax - 1 other threads take the other slots.
		MDB_txn *mine;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &mine) == 0);
		std::atomic<unsigned> holding{0};
		std::atomic<bool> release{false};
		std::atomic<int> errors{0};
		std::vector<std::thread> holders;
		for (unsigned i = 0; i + 1 < kMax; i++) {
			holders.emplace_back([&] {
				MDB_txn *t;
				int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t);
				if (rc) errors++;
				holding++;
				if (rc) return;
				while (!release.load()) usleep(1000);
				mdb_txn_abort(t);
				// The thread exits: its slot goes back.
			});
		}
		while (holding.load() < kMax - 1) usleep(1000);
		MDB_envinfo info;
		mdb_env_info(env, &info);
		int rc = -1, wrc = -1;
		std::thread([&] {
			MDB_txn *t;
			rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t);
			if (!rc) mdb_txn_abort(t);
			// Write txns need no slot.
			Rng rng(1);
			wrc = transfer(env, rng, kKeys);
		}).join();
		release = true;
		for (auto &t : holders) t.join();
		CHECK(errors.load() == 0);
		CHECK(info.me_numreaders == kMax);
		CHECK(info.me_maxreaders == kMax);
		CHECK(rc == MDB_READERS_FULL);
		CHECK(wrc == 0);
		// The holders' slots went back when their threads ended.
		std::thread([&] {
			MDB_txn *t;
			rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t);
			if (!rc) mdb_txn_abort(t);
		}).join();
		CHECK(rc == 0);
		mdb_txn_abort(mine);
	}
	SECTION("MDB_NOTLS: one slot per txn") {
		Env env;
		REQUIRE(env.open(dir.path(), MDB_NOTLS, 0, kMax) == 0);
		REQUIRE(init_balances(env, kKeys) == 0);
		MDB_txn *t[kMax + 1];
		for (unsigned i = 0; i < kMax; i++) REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &t[i]) == 0);
		CHECK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &t[kMax]) == MDB_READERS_FULL);
		// A reset NOTLS txn keeps its slot.
		mdb_txn_reset(t[0]);
		CHECK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &t[kMax]) == MDB_READERS_FULL);
		mdb_txn_abort(t[0]);
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &t[0]) == 0);
		for (unsigned i = 0; i < kMax; i++) mdb_txn_abort(t[i]);
	}
}

TEST_CASE("threads: MDB_TRY_WRITE returns EBUSY while another thread writes", "[concurrency][threads]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOSYNC) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);

	// Free writer lock: MDB_TRY_WRITE behaves like a plain write txn.
	MDB_txn *w;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_TRY_WRITE, &w) == 0);
	REQUIRE(put_i64(w, "marker", 1) == 0);
	REQUIRE(mdb_txn_commit(w) == 0);

	REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
	REQUIRE(put_i64(w, "marker", 2) == 0);
	int try_rc = -1;
	std::thread([&] {
		MDB_txn *t = nullptr;
		try_rc = mdb_txn_begin(env, nullptr, MDB_TRY_WRITE, &t);
		if (!try_rc) mdb_txn_abort(t);
	}).join();
	CHECK(try_rc == EBUSY);
	// A blocking writer in another thread gets the lock only after the
	// commit: its txn sees the committed marker.
	std::atomic<bool> started{false};
	int64_t seen = -1;
	int wait_rc = -1;
	std::thread waiter([&] {
		MDB_txn *t;
		started = true;
		wait_rc = mdb_txn_begin(env, nullptr, 0, &t);
		if (wait_rc) return;
		get_i64(t, "marker", &seen);
		put_i64(t, "marker", 3);
		wait_rc = mdb_txn_commit(t);
	});
	while (!started.load()) usleep(100);
	usleep(20000);
	REQUIRE(mdb_txn_commit(w) == 0);
	waiter.join();
	CHECK(wait_rc == 0);
	CHECK(seen == 2);
	// Free again.
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_TRY_WRITE, &w) == 0);
	int64_t m = 0;
	CHECK(get_i64(w, "marker", &m) == 0);
	CHECK(m == 3);
	mdb_txn_abort(w);
	// A read txn with the flag is an ordinary read txn.
	MDB_txn *r;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &w) == 0);
	std::thread([&] {
		try_rc = mdb_txn_begin(env, nullptr, MDB_RDONLY | MDB_TRY_WRITE, &r);
		if (!try_rc) mdb_txn_abort(r);
	}).join();
	CHECK(try_rc == 0);
	mdb_txn_abort(w);
}

TEST_CASE("threads: MDB_NOLOCK uses no lock file and no reader slots", "[concurrency][threads]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), MDB_NOLOCK | MDB_NOSYNC, 0, 2) == 0);
	struct stat st;
	CHECK(stat(dir.file("lock.mdb").c_str(), &st) == -1);
	CHECK(errno == ENOENT);
	REQUIRE(init_balances(env, kKeys) == 0);
	Rng rng(3);
	REQUIRE(transfer(env, rng, kKeys) == 0);
	// No slots: more read txns in one thread than maxreaders.
	MDB_txn *t[4];
	for (auto &x : t) REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &x) == 0);
	for (auto &x : t) {
		Snapshot s;
		CHECK(scan(x, &s) == 0);
		CHECK(invariant_holds(s, kKeys));
		CHECK(s.counter == 1);
	}
	CHECK(reader_list(env) == "(no reader locks)\n");
	int dead = -1;
	CHECK(mdb_reader_check(env, &dead) == 0);
	CHECK(dead == 0);
	MDB_envinfo info;
	REQUIRE(mdb_env_info(env, &info) == 0);
	CHECK(info.me_numreaders == 0);
	for (auto &x : t) mdb_txn_abort(x);
	// The application serialises writers itself; txns from threads in turn work.
	for (int i = 0; i < 3; i++) {
		int rc = -1;
		std::thread([&] { rc = transfer(env, rng, kKeys); }).join();
		CHECK(rc == 0);
	}
	CHECK(final_counter(env) == 4);
	CHECK(stat(dir.file("lock.mdb").c_str(), &st) == -1);
}

// A thread that ended its read txns and exited leaves its slot free and its
// retired txn blocks behind that slot; a thread started afterwards takes
// the slot over, reuses the blocks and reads correctly (ASan: no block
// leaked or freed twice at env close; TSan: the hand-over is ordered).
TEST_CASE("threads: a thread started after another exited takes over its slot", "[concurrency][threads]") {
	TempDir dir;
	Env env;
	REQUIRE(env.open(dir.path(), 0, 0, 4) == 0);
	REQUIRE(init_balances(env, kKeys) == 0);
	auto reader = [&](int txns, int *rc) {
		std::thread([&, txns, rc] {
			*rc = 0;
			std::vector<MDB_txn *> held;
			for (int i = 0; i < txns && !*rc; i++) {
				MDB_txn *t;
				if ((*rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &t)) != 0) break;
				Snapshot s;
				*rc = scan(t, &s);
				if (!*rc && !invariant_holds(s, kKeys)) *rc = -1;
				if (i % 3 == 2) {  // a reset and renewed txn too
					mdb_txn_reset(t);
					if (!*rc) *rc = mdb_txn_renew(t);
				}
				mdb_txn_abort(t);
			}
		}).join();
	};
	auto listed = [&] {
		std::string text;
		mdb_reader_list(
		    env, [](const char *msg, void *ctx) { *static_cast<std::string *>(ctx) += msg; return 0; }, &text);
		return text;
	};
	const std::string list_before = listed();
	MDB_envinfo before, after;
	REQUIRE(mdb_env_info(env, &before) == 0);
	for (int thread = 0; thread < 6; thread++) {
		int rc = -2;
		reader(10, &rc);
		CHECK(rc == 0);
		Rng rng{unsigned(thread)};
		REQUIRE(transfer(env, rng, kKeys) == 0);
	}
	REQUIRE(mdb_env_info(env, &after) == 0);
	// Six threads, one after another, used one slot between them.
	CHECK(after.me_numreaders <= before.me_numreaders + 1);
	// And gave it back when it exited: the reader table reads as before.
	CHECK(listed() == list_before);
}
