// LockTable: opening and initialising the lock file, reader slots, the
// writer mutex, and recovery after dead processes and threads.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "lock/lock_table.h"
#include "util/fault.h"
#include "lock/lock_test_util.h"
#include "test_support.h"

using namespace lmdb::lock;
using namespace lock_test;
using test_support::TempDir;

namespace {

// The lock file mapped by the test itself, to look at or tamper with it.
class RawMap {
public:
	explicit RawMap(const std::string &path) {
		fd_ = ::open(path.c_str(), O_RDWR);
		if (fd_ < 0)
			return;
		size_ = size_t(lseek(fd_, 0, SEEK_END));
		void *p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
		if (p != MAP_FAILED)
			map_ = static_cast<LockFile *>(p);
	}
	~RawMap() {
		if (map_)
			munmap(map_, size_);
		if (fd_ >= 0)
			::close(fd_);
	}
	RawMap(const RawMap &) = delete;
	RawMap &operator=(const RawMap &) = delete;
	LockFile *operator->() const { return map_; }
	LockFile *get() const { return map_; }

private:
	int fd_ = -1;
	size_t size_ = 0;
	LockFile *map_ = nullptr;
};

void write_file(const std::string &path, const void *data, size_t n) {
	int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(::write(fd, data, n) == ssize_t(n));
	::close(fd);
}

// A child process holding a shared lock on byte 0 of `path` (as another
// environment user would) until released.
class SharedHolder {
public:
	explicit SharedHolder(const std::string &path) {
		pid_ = spawn([&] {
			int fd = ::open(path.c_str(), O_RDWR);
			if (fd < 0 || byte_lock(fd, F_SETLK, F_RDLCK, 0) != 0)
				return 1;
			ch_.to_parent('L');
			ch_.from_parent(10000);
			return 0;
		});
		locked_ = ch_.from_child() == 'L';
	}
	~SharedHolder() {
		ch_.to_child('x');
		wait_child(pid_);
	}
	bool locked() const { return locked_; }

private:
	Channel ch_;
	pid_t pid_ = -1;
	bool locked_ = false;
};

txnid_t txnid_42(void *ctx) {
	++*static_cast<int *>(ctx);
	return 42;
}

}  // namespace

TEST_CASE("first opener creates and initialises the lock file", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, 0, 10, &excl) == 0);
	CHECK(lt.is_open());
	CHECK(excl);
	CHECK(file_size(path) == 128 + 64 * 10);
	CHECK(lt.max_readers() == 10);
	CHECK(lt.num_readers() == 0);
	REQUIRE(lt.shared_txnid() != nullptr);
	CHECK(*lt.shared_txnid() == 0);
	{
		RawMap raw(path);
		REQUIRE(raw.get());
		CHECK(raw->header.magic == 0xBEEFC0DE);
		CHECK(raw->header.format == 0x10001);
		CHECK(raw->header.txnid == 0);
		CHECK(raw->header.numreaders == 0);
	}
	*lt.shared_txnid() = 9;
	CHECK(lt.share() == 0);
	lt.close();
	CHECK_FALSE(lt.is_open());
	lt.close();  // idempotent

	SECTION("a later sole opener reinitialises it") {
		REQUIRE(lt.open(path.c_str(), 0644, 0, 10, &excl) == 0);
		CHECK(excl);
		CHECK(*lt.shared_txnid() == 0);
	}
	SECTION("a sole opener asking for more slots grows the file") {
		REQUIRE(lt.open(path.c_str(), 0644, 0, 20, &excl) == 0);
		CHECK(excl);
		CHECK(lt.max_readers() == 20);
		CHECK(file_size(path) == 128 + 64 * 20);
	}
	SECTION("a sole opener asking for fewer slots keeps the file's size") {
		REQUIRE(lt.open(path.c_str(), 0644, 0, 4, &excl) == 0);
		CHECK(lt.max_readers() == 10);
		CHECK(file_size(path) == 128 + 64 * 10);
	}
	SECTION("a sole opener repairs a damaged header") {
		{
			RawMap raw(path);
			REQUIRE(raw.get());
			raw->header.magic = 0x12345678;
		}
		REQUIRE(lt.open(path.c_str(), 0644, 0, 10, &excl) == 0);
		CHECK(excl);
		RawMap raw(path);
		CHECK(raw->header.magic == 0xBEEFC0DE);
	}
}

TEST_CASE("an open gives the table's holes their blocks, and leaves a file without holes alone", "[lock]") {
	namespace fault = lmdb::os::fault;
	using lmdb::os::Call;
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	bool excl = false;
	const size_t size = 128 + 64 * 200;  // four pages: a whole one can be punched out
	auto blocks_bytes = [&] {
		struct stat st {};
		REQUIRE(::stat(path.c_str(), &st) == 0);
		return uint64_t(st.st_blocks) * 512;
	};
	{
		LockTable lt;
		REQUIRE(lt.open(path.c_str(), 0644, 0, 200, &excl) == 0);
		CHECK(blocks_bytes() >= size);
	}
	// Without holes: no fallocate (a short-lived process's open).
	{
		fault::count_all();
		LockTable lt;
		REQUIRE(lt.open(path.c_str(), 0644, 0, 200, &excl) == 0);
		CHECK(fault::calls(Call::Allocate) == 0);
		fault::disarm();
	}
	// A hole punched into the slots (as a sparse copy would have): the
	// next open fills it, so a store there can never be SIGBUS.
	{
		int fd = ::open(path.c_str(), O_RDWR);
		REQUIRE(fd >= 0);
		int prc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096);
		::close(fd);
		if (prc != 0) {
			WARN("the file system cannot punch holes: the refill is not checked here");
		} else {
			REQUIRE(blocks_bytes() < size);
			fault::count_all();
			LockTable lt;
			REQUIRE(lt.open(path.c_str(), 0644, 0, 200, &excl) == 0);
			CHECK(fault::calls(Call::Allocate) == 1);
			fault::disarm();
			CHECK(blocks_bytes() >= size);
		}
	}
}

TEST_CASE("a table past 1 MiB gets its blocks as readers reach them; ENOSPC there leaves the slot free", "[lock]") {
	namespace fault = lmdb::os::fault;
	using lmdb::os::Call;
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	const unsigned n = 40000;  // 2.5 MiB
	auto blocks_bytes = [&] {
		struct stat st {};
		REQUIRE(::stat(path.c_str(), &st) == 0);
		return uint64_t(st.st_blocks) * 512;
	};
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, MDB_NOTLS, n, &excl) == 0);
	CHECK(lt.max_readers() == n);
	CHECK(blocks_bytes() >= (uint64_t(1) << 20));
	CHECK(blocks_bytes() < lock_file_size(n));
	// The slots in the first MiB: no more blocks asked for.
	const unsigned first = unsigned(((uint64_t(1) << 20) - kLockHeaderBytes) / sizeof(ReaderSlot));
	std::vector<ReaderSlot *> slots;
	fault::count_all();
	for (unsigned i = 0; i < first; i++) {
		ReaderSlot *s = nullptr;
		REQUIRE(lt.acquire_reader(&s) == 0);
		slots.push_back(s);
	}
	CHECK(fault::calls(Call::Allocate) == 0);
	// The next one needs the next MiB: the file system is full.
	fault::arm(Call::Allocate, 1, ENOSPC, false);
	ReaderSlot *s = nullptr;
	CHECK(lt.acquire_reader(&s) == ENOSPC);
	CHECK(s == nullptr);
	CHECK(lt.num_readers() == first);
	fault::disarm();
	REQUIRE(lt.acquire_reader(&s) == 0);
	CHECK(lt.slot_index(s) == first);
	slots.push_back(s);
	CHECK(lt.num_readers() == first + 1);
	CHECK(blocks_bytes() >= (uint64_t(2) << 20));
	for (ReaderSlot *r : slots)
		lt.release_reader(r);
}

TEST_CASE("open errors", "[lock]") {
	TempDir dir;
	LockTable lt;
	bool excl = true;
	CHECK(lt.open(dir.file("missing/lock.mdb").c_str(), 0644, 0, 10, &excl) == ENOENT);
	CHECK_FALSE(excl);
	CHECK_FALSE(lt.is_open());
	CHECK(lt.open(dir.file("lock.mdb").c_str(), 0644, 0, 0, &excl) == EINVAL);
	REQUIRE(lt.open(dir.file("lock.mdb").c_str(), 0644, 0, 10, &excl) == 0);
	CHECK(lt.open(dir.file("lock.mdb").c_str(), 0644, 0, 10, &excl) == EINVAL);  // already open
	if (geteuid() != 0) {
		// A read-only directory: the lock file cannot be created.
		std::string ro = dir.file("ro");
		REQUIRE(mkdir(ro.c_str(), 0555) == 0);
		LockTable other;
		CHECK(other.open((ro + "/lock.mdb").c_str(), 0644, MDB_RDONLY, 10, &excl) == EACCES);
	}
}

TEST_CASE("a non-exclusive opener validates the table", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockFile good{};
	good.header.magic = kLockMagic;
	good.header.format = kLockFormat;
	std::string bytes(lock_file_size(5), '\0');
	LockTable lt;
	bool excl = true;

	SECTION("a valid table is used as it is") {
		good.header.txnid = 17;
		good.header.numreaders = 0;
		std::memcpy(bytes.data(), &good, sizeof(good));
		write_file(path, bytes.data(), bytes.size());
		SharedHolder other(path);
		REQUIRE(other.locked());
		REQUIRE(lt.open(path.c_str(), 0644, 0, 126, &excl) == 0);
		CHECK_FALSE(excl);
		CHECK(lt.max_readers() == 5);  // from the file size
		CHECK(*lt.shared_txnid() == 17);
		CHECK(file_size(path) == off_t(lock_file_size(5)));
	}
	SECTION("bad magic") {
		good.header.magic = 0xDEADBEEF;
		std::memcpy(bytes.data(), &good, sizeof(good));
		write_file(path, bytes.data(), bytes.size());
		SharedHolder other(path);
		REQUIRE(other.locked());
		CHECK(lt.open(path.c_str(), 0644, 0, 126, &excl) == MDB_INVALID);
		CHECK_FALSE(lt.is_open());
	}
	SECTION("other format") {
		good.header.format = 2;
		std::memcpy(bytes.data(), &good, sizeof(good));
		write_file(path, bytes.data(), bytes.size());
		SharedHolder other(path);
		REQUIRE(other.locked());
		CHECK(lt.open(path.c_str(), 0644, 0, 126, &excl) == MDB_VERSION_MISMATCH);
	}
	SECTION("a file too small for a table") {
		std::memcpy(bytes.data(), &good, sizeof(good));
		write_file(path, bytes.data(), 150);
		SharedHolder other(path);
		REQUIRE(other.locked());
		CHECK(lt.open(path.c_str(), 0644, 0, 126, &excl) == MDB_INVALID);
	}
}

TEST_CASE("two processes share reader slots and the writer mutex", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	REQUIRE(excl);
	*lt.shared_txnid() = 7;
	REQUIRE(lt.share() == 0);
	ReaderSlot *mine = nullptr;
	REQUIRE(lt.acquire_reader(&mine) == 0);
	mine->txnid = 7;
	const pid_t parent = getpid();

	Channel ch;
	REQUIRE(ch.ok());
	pid_t child = spawn([&] {
		LockTable c;
		bool cexcl = true;
		if (c.open(path.c_str(), 0644, MDB_NOTLS, 8, &cexcl) != 0 || cexcl)
			return 10;
		if (*c.shared_txnid() != 7 || c.num_readers() != 1 || c.oldest_reader(100) != 7)
			return 11;
		std::string text;
		c.reader_list(collect_msg, &text);
		if (text != "    pid     thread     txnid\n" +
		                slot_line(parent, (unsigned long)mine->tid, "7"))
			return 12;
		ReaderSlot *s = nullptr;
		if (c.acquire_reader(&s) != 0)
			return 13;
		s->txnid = 3;
		ch.to_parent('r');
		if (ch.from_parent() != 'w')  // parent holds the writer mutex
			return 14;
		if (c.lock_writer(true, nullptr, nullptr) != EBUSY)
			return 15;
		ch.to_parent('b');
		if (ch.from_parent() != 'u')  // parent released it
			return 16;
		if (c.lock_writer(true, nullptr, nullptr) != 0)
			return 17;
		c.unlock_writer();
		c.release_reader(s);
		c.close();
		return 0;
	});
	REQUIRE(ch.from_child() == 'r');
	CHECK(lt.num_readers() == 2);
	CHECK(lt.oldest_reader(100) == 3);
	std::string text;
	lt.reader_list(collect_msg, &text);
	CHECK(text.find(slot_line(child, 0, "3").substr(0, 11)) != std::string::npos);
	int dead = -1;
	CHECK(lt.reader_check(&dead) == 0);
	CHECK(dead == 0);  // the child is alive and holds its liveness lock

	REQUIRE(lt.lock_writer(false, nullptr, nullptr) == 0);
	ch.to_child('w');
	CHECK(ch.from_child() == 'b');
	lt.unlock_writer();
	ch.to_child('u');
	CHECK(wait_child(child) == 0);
	CHECK(lt.oldest_reader(100) == 7);  // the child released its slot
	lt.release_reader(mine);
	CHECK(lt.oldest_reader(100) == 100);
}

TEST_CASE("a process that died holding the writer mutex is recovered from", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, 0, 8, &excl) == 0);
	*lt.shared_txnid() = 5;
	REQUIRE(lt.share() == 0);

	Channel ch;
	pid_t child = spawn([&] {
		LockTable c;
		bool cexcl = true;
		if (c.open(path.c_str(), 0644, 0, 8, &cexcl) != 0)
			return 10;
		ReaderSlot *s = nullptr;
		if (c.acquire_reader(&s) != 0)
			return 11;
		s->txnid = 5;
		if (c.lock_writer(false, nullptr, nullptr) != 0)
			return 12;
		ch.to_parent('w');
		test_support::child_exit(0);  // dies holding both
	});
	REQUIRE(ch.from_child() == 'w');
	REQUIRE(wait_child(child) == 0);
	CHECK(lt.num_readers() == 1);
	CHECK(lt.oldest_reader(100) == 5);

	int calls = 0;
	CHECK(lt.lock_writer(true, txnid_42, &calls) == 0);
	CHECK(calls == 1);
	CHECK(*lt.shared_txnid() == 42);
	CHECK(lt.oldest_reader(100) == 100);  // the dead child's slot was cleared
	lt.unlock_writer();
	CHECK(lt.lock_writer(true, txnid_42, &calls) == 0);
	CHECK(calls == 1);  // no recovery this time
	lt.unlock_writer();
	CHECK(lt.lock_writer(false, nullptr, nullptr) == 0);
	lt.unlock_writer();
}

TEST_CASE("a dead process's reader slots are cleared by reader_check", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, 0, 8, &excl) == 0);
	REQUIRE(lt.share() == 0);
	ReaderSlot *mine = nullptr;
	REQUIRE(lt.acquire_reader(&mine) == 0);
	mine->txnid = 2;

	Channel ch;
	pid_t child = spawn([&] {
		LockTable c;
		bool cexcl = true;
		if (c.open(path.c_str(), 0644, 0, 8, &cexcl) != 0)
			return 10;
		ReaderSlot *s = nullptr;
		if (c.acquire_reader(&s) != 0)
			return 11;
		s->txnid = 1;
		ch.to_parent('r');
		ch.from_parent();
		test_support::child_exit(0);  // leaves the slot behind
	});
	REQUIRE(ch.from_child() == 'r');
	int dead = -1;
	CHECK(lt.reader_check(&dead) == 0);
	CHECK(dead == 0);
	CHECK(lt.oldest_reader(100) == 1);
	ch.to_child('x');
	REQUIRE(wait_child(child) == 0);
	CHECK(lt.reader_check(&dead) == 0);
	CHECK(dead == 1);
	CHECK(lt.oldest_reader(100) == 2);  // our own slot is untouched
	CHECK(lt.reader_check(&dead) == 0);
	CHECK(dead == 0);
	CHECK(lt.reader_check(nullptr) == 0);
}

TEST_CASE("MDB_READERS_FULL once every slot is taken", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;

	SECTION("MDB_NOTLS slots") {
		REQUIRE(lt.open(path.c_str(), 0644, MDB_NOTLS, 4, &excl) == 0);
		ReaderSlot *s[4] = {};
		for (auto &p : s)
			REQUIRE(lt.acquire_reader(&p) == 0);
		for (int i = 0; i < 4; i++)
			for (int j = i + 1; j < 4; j++)
				CHECK(s[i] != s[j]);
		CHECK(lt.num_readers() == 4);
		ReaderSlot *extra = nullptr;
		CHECK(lt.acquire_reader(&extra) == MDB_READERS_FULL);
		CHECK(extra == nullptr);
		lt.release_reader(s[1]);
		REQUIRE(lt.acquire_reader(&extra) == 0);
		CHECK(extra == s[1]);  // the first free slot
		CHECK(extra->txnid == kNoSnapshot);
		CHECK(extra->pid == getpid());
		CHECK(lt.num_readers() == 4);
	}
	SECTION("per-thread slots, freed when their thread exits") {
		REQUIRE(lt.open(path.c_str(), 0644, 0, 2, &excl) == 0);
		ReaderSlot *main_slot = nullptr;
		REQUIRE(lt.acquire_reader(&main_slot) == 0);
		int rc1 = -1, rc2 = -1;
		ReaderSlot *t1_slot = nullptr;
		std::thread([&] { rc1 = lt.acquire_reader(&t1_slot); }).join();
		CHECK(rc1 == 0);
		CHECK(t1_slot != main_slot);
		CHECK(t1_slot->pid == 0);  // released at thread exit
		std::atomic<bool> go{false};
		std::thread t2([&] {
			ReaderSlot *s = nullptr;
			ReaderSlot *t = nullptr;
			rc2 = lt.acquire_reader(&s);
			// A third thread while this one holds a slot: table full.
			std::thread([&] { rc1 = lt.acquire_reader(&t); }).join();
			go = true;
		});
		t2.join();
		CHECK(go);
		CHECK(rc2 == 0);
		CHECK(rc1 == MDB_READERS_FULL);
	}
}

TEST_CASE("a thread keeps its slot across transactions", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, 0, 8, &excl) == 0);
	ReaderSlot *a = nullptr, *b = nullptr;
	REQUIRE(lt.acquire_reader(&a) == 0);
	CHECK(a->pid == getpid());
	CHECK(a->tid == pthread_self());
	CHECK(a->txnid == kNoSnapshot);
	REQUIRE(lt.acquire_reader(&b) == 0);
	CHECK(a == b);
	CHECK(lt.num_readers() == 1);

	a->txnid = 3;  // still inside a read transaction
	CHECK(lt.acquire_reader(&b) == MDB_BAD_RSLOT);
	CHECK(b == nullptr);
	a->txnid = kNoSnapshot;

	SECTION("other threads get other slots") {
		ReaderSlot *other = nullptr;
		int rc = -1;
		std::thread([&] { rc = lt.acquire_reader(&other); }).join();
		CHECK(rc == 0);
		CHECK(other != a);
		CHECK(lt.num_readers() == 2);
	}
	SECTION("the kept slot is returned without touching the reader mutex") {
		RawMap raw(path);
		REQUIRE(raw.get());
		std::atomic<bool> locked{false};
		std::thread holder([&] {
			pthread_mutex_lock(&raw->header.reader_mutex);
			locked = true;
			usleep(1000 * 1000);
			pthread_mutex_unlock(&raw->header.reader_mutex);
		});
		while (!locked)
			usleep(1000);
		long long t0 = now_ms();
		REQUIRE(lt.acquire_reader(&b) == 0);
		CHECK(now_ms() - t0 < 500);
		CHECK(b == a);
		holder.join();
	}
	SECTION("release_reader frees it and the thread gets a fresh slot next time") {
		lt.release_reader(a);
		CHECK(a->pid == 0);
		REQUIRE(lt.acquire_reader(&b) == 0);
		CHECK(b == a);  // the first free slot again
		CHECK(b->pid == getpid());
	}
	SECTION("a fork child cannot use its parent's slot") {
		pid_t child = spawn([&] {
			ReaderSlot *s = nullptr;
			return lt.acquire_reader(&s) == MDB_BAD_RSLOT ? 0 : 1;
		});
		CHECK(wait_child(child) == 0);
		CHECK(a->pid == getpid());
	}
	SECTION("close gives the slots back") {
		lt.close();
		RawMap raw(path);
		REQUIRE(raw.get());
		CHECK(raw->slots()[0].pid == 0);
	}
}

TEST_CASE("oldest_reader takes the minimum over held snapshots", "[lock]") {
	TempDir dir;
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(dir.file("lock.mdb").c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	CHECK(lt.oldest_reader(10) == 10);
	ReaderSlot *s[3] = {};
	for (auto &p : s)
		REQUIRE(lt.acquire_reader(&p) == 0);
	CHECK(lt.oldest_reader(10) == 10);  // owned slots without snapshots
	s[0]->txnid = 5;
	s[1]->txnid = 3;
	CHECK(lt.oldest_reader(10) == 3);
	CHECK(lt.oldest_reader(2) == 2);
	lt.release_reader(s[1]);  // a released slot keeps its txnid but is free
	CHECK(lt.oldest_reader(10) == 5);
}

TEST_CASE("reader_list text", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	std::string text;
	CHECK(lt.reader_list(collect_msg, &text) == 0);
	CHECK(text == "(no active readers)\n");
	CHECK(lt.reader_list(nullptr, nullptr) == -1);

	// Slots written by hand: fixed pids and thread ids.
	{
		RawMap raw(path);
		REQUIRE(raw.get());
		ReaderSlot *slots = raw->slots();
		slots[0].pid = 12345;
		slots[0].tid = 0x7f00abcd;
		slots[0].txnid = 17;
		slots[1].pid = 0;  // free: not listed
		slots[1].txnid = 99;
		slots[2].pid = 7;
		slots[2].tid = 0;
		slots[2].txnid = kNoSnapshot;
		raw->header.numreaders = 3;
	}
	text.clear();
	CHECK(lt.reader_list(collect_msg, &text) == 0);
	CHECK(text ==
	      "    pid     thread     txnid\n"
	      "     12345 7f00abcd 17\n"
	      "         7 0 -\n");

	// The callback's negative return stops the listing.
	int calls = 0;
	auto stop = [](const char *, void *ctx) -> int {
		++*static_cast<int *>(ctx);
		return -5;
	};
	CHECK(lt.reader_list(stop, &calls) == -5);
	CHECK(calls == 1);
	// ... also when it returns it for a reader's line.
	calls = 0;
	auto stop_second = [](const char *, void *ctx) -> int { return ++*static_cast<int *>(ctx) == 2 ? -6 : 0; };
	CHECK(lt.reader_list(stop_second, &calls) == -6);
	CHECK(calls == 2);
}

TEST_CASE("MDB_NOLOCK: no file, no locking", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = true;
	REQUIRE(lt.open(path.c_str(), 0644, MDB_NOLOCK, 16, &excl) == 0);
	CHECK_FALSE(excl);
	CHECK(lt.is_open());
	CHECK(file_size(path) == -1);
	CHECK(lt.share() == 0);
	CHECK(lt.shared_txnid() == nullptr);
	CHECK(lt.max_readers() == 16);
	CHECK(lt.num_readers() == 0);
	ReaderSlot *s = nullptr;
	REQUIRE(lt.acquire_reader(&s) == 0);
	REQUIRE(s != nullptr);
	s->txnid = 4;
	CHECK(lt.oldest_reader(9) == 9);
	lt.release_reader(s);
	CHECK(lt.lock_writer(false, nullptr, nullptr) == 0);
	CHECK(lt.lock_writer(true, nullptr, nullptr) == 0);  // not even held
	lt.unlock_writer();
	lt.unlock_writer();
	std::string text;
	CHECK(lt.reader_list(collect_msg, &text) == 0);
	CHECK(text == "(no reader locks)\n");
	int dead = -1;
	CHECK(lt.reader_check(&dead) == 0);
	CHECK(dead == 0);
	lt.close();
	CHECK(file_size(path) == -1);
}

TEST_CASE("a thread that died holding the writer mutex panics its own table", "[lock]") {
	TempDir dir;
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(dir.file("lock.mdb").c_str(), 0644, 0, 8, &excl) == 0);
	int rc = -1;
	std::thread([&] { rc = lt.lock_writer(false, nullptr, nullptr); }).join();
	REQUIRE(rc == 0);
	int calls = 0;
	CHECK(lt.lock_writer(true, txnid_42, &calls) == MDB_PANIC);
	CHECK(calls == 1);
	// The mutex was repaired and released.
	CHECK(lt.lock_writer(true, nullptr, nullptr) == 0);
	lt.unlock_writer();
}

TEST_CASE("two tables of one process on the same file share its locks", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable a, b;
	bool excl = false;
	REQUIRE(a.open(path.c_str(), 0644, 0, 8, &excl) == 0);
	CHECK(excl);
	REQUIRE(b.open(path.c_str(), 0644, 0, 8, &excl) == 0);
	CHECK_FALSE(excl);  // not a second initialisation
	REQUIRE(a.share() == 0);
	REQUIRE(b.share() == 0);
	ReaderSlot *sa = nullptr, *sb = nullptr;
	REQUIRE(a.acquire_reader(&sa) == 0);
	REQUIRE(b.acquire_reader(&sb) == 0);
	CHECK(sa != sb);  // one slot per table and thread
	sa->txnid = 4;
	sb->txnid = 6;
	CHECK(b.oldest_reader(100) == 4);

	a.close();
	CHECK(sa->pid == 0);  // a's slot given back ...
	CHECK(sb->pid == getpid());  // ... b's kept
	CHECK(b.oldest_reader(100) == 6);

	// Another process still sees this one as a live user and reader.
	pid_t child = spawn([&] {
		int fd = ::open(path.c_str(), O_RDWR);
		if (fd < 0)
			return 10;
		if (byte_lock(fd, F_SETLK, F_WRLCK, 0) == 0)
			return 11;  // byte 0 should still be share-locked by the parent
		::close(fd);
		LockTable c;
		bool cexcl = true;
		if (c.open(path.c_str(), 0644, 0, 8, &cexcl) != 0 || cexcl)
			return 12;
		int dead = -1;
		if (c.reader_check(&dead) != 0 || dead != 0)
			return 13;
		return 0;
	});
	CHECK(wait_child(child) == 0);

	b.close();
	child = spawn([&] {
		int fd = ::open(path.c_str(), O_RDWR);
		if (fd < 0)
			return 10;
		return byte_lock(fd, F_SETLK, F_WRLCK, 0) == 0 ? 0 : 11;
	});
	CHECK(wait_child(child) == 0);
}

// reader_check looks at each pid once: slots of live pids in any order and
// repeated, among them a dead one's, which alone are cleared.  (A pid is
// alive while some process holds the byte lock at its offset: here a child
// holds those of two made-up pids.)
TEST_CASE("reader_check: live pids repeated and out of order, one dead pid among them", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	LockTable lt;
	bool excl = false;
	REQUIRE(lt.open(path.c_str(), 0644, MDB_NOTLS, 8, &excl) == 0);
	const pid_t live_a = 4000001, live_b = 3000001, dead = 2000001;
	Channel ch;
	pid_t child = spawn([&] {
		int fd = ::open(path.c_str(), O_RDWR);
		if (fd < 0 || byte_lock(fd, F_SETLK, F_WRLCK, live_a) != 0 || byte_lock(fd, F_SETLK, F_WRLCK, live_b) != 0)
			return 1;
		ch.to_parent('L');
		ch.from_parent(10000);
		return 0;
	});
	REQUIRE(ch.from_child() == 'L');
	{
		RawMap raw(path);
		REQUIRE(raw.get());
		ReaderSlot *slots = raw->slots();
		const pid_t pids[] = {live_a, live_b, live_a, dead, live_b, dead};
		for (unsigned i = 0; i < 6; i++) {
			slots[i].pid = pids[i];
			slots[i].txnid = 10 + i;
		}
		raw->header.numreaders = 6;
	}
	int ndead = -1;
	CHECK(lt.reader_check(&ndead) == 0);
	CHECK(ndead == 2);
	{
		RawMap raw(path);
		REQUIRE(raw.get());
		ReaderSlot *slots = raw->slots();
		const pid_t want[] = {live_a, live_b, live_a, 0, live_b, 0};
		for (unsigned i = 0; i < 6; i++) CHECK(slots[i].pid == want[i]);
	}
	ch.to_child('x');
	CHECK(wait_child(child) == 0);
	// The child is gone: its pids' slots go too.
	CHECK(lt.reader_check(&ndead) == 0);
	CHECK(ndead == 4);
}

// Without MDB_NOTLS a table needs a pthread key (for the thread's kept
// slot): with every key of the process taken, open fails with the error
// of pthread_key_create and leaves nothing behind (the lock file's entry
// is dropped, so a later open makes it again).
TEST_CASE("open without a free pthread key: EAGAIN, nothing left behind", "[lock]") {
	TempDir dir;
	std::string path = dir.file("lock.mdb");
	std::vector<pthread_key_t> keys;
	for (;;) {
		pthread_key_t k;
		if (pthread_key_create(&k, nullptr) != 0) break;
		keys.push_back(k);
		if (keys.size() > 100000) break;
	}
	LockTable lt;
	bool excl = false;
	int rc = lt.open(path.c_str(), 0644, 0, 8, &excl);
	for (pthread_key_t k : keys) pthread_key_delete(k);
	CHECK(rc == EAGAIN);
	CHECK_FALSE(lt.is_open());
	// The same file opens now, exclusively (no other user was left).
	REQUIRE(lt.open(path.c_str(), 0644, 0, 8, &excl) == 0);
	CHECK(excl);
	ReaderSlot *slot = nullptr;
	CHECK(lt.acquire_reader(&slot) == 0);
	lt.release_reader(slot);
}
