// Shared pieces of the concurrency tests: the balance model (the same as
// env_helper.c's), an RAII environment, and a driver for helper processes
// (env_helper.c built against our library or against upstream's).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

extern char **environ;

namespace concur {

inline constexpr int64_t kBalance = 1000;

inline long long now_ms() {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// xorshift64, one per thread or process.
struct Rng {
	uint64_t s;
	explicit Rng(uint64_t seed) : s(seed * 2654435761u + 1) {}
	uint64_t next() {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
};

inline std::string key_name(unsigned i) {
	char b[16];
	std::snprintf(b, sizeof b, "k%03u", i);
	return b;
}

inline int get_i64(MDB_txn *txn, const std::string &name, int64_t *out) {
	MDB_val k{name.size(), const_cast<char *>(name.data())}, v;
	int rc = mdb_get(txn, 1, &k, &v);
	if (rc) return rc;
	if (v.mv_size != sizeof(int64_t)) return MDB_CORRUPTED;
	std::memcpy(out, v.mv_data, sizeof *out);
	return 0;
}

inline int put_i64(MDB_txn *txn, const std::string &name, int64_t x) {
	MDB_val k{name.size(), const_cast<char *>(name.data())}, v{sizeof x, &x};
	return mdb_put(txn, 1, &k, &v, 0);
}

// What one scan of a snapshot found.
struct Snapshot {
	unsigned count = 0;
	int64_t sum = 0;
	int64_t counter = -1;
	bool operator==(const Snapshot &o) const {
		return count == o.count && sum == o.sum && counter == o.counter;
	}
};

inline int scan(MDB_txn *txn, Snapshot *s) {
	MDB_cursor *c;
	int rc = mdb_cursor_open(txn, 1, &c);
	if (rc) return rc;
	*s = Snapshot{};
	MDB_val k, v;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		int64_t x;
		if (v.mv_size != sizeof x) continue;
		std::memcpy(&x, v.mv_data, sizeof x);
		if (k.mv_size == 4 && static_cast<char *>(k.mv_data)[0] == 'k') {
			s->count++;
			s->sum += x;
		} else if (k.mv_size == 7 && !std::memcmp(k.mv_data, "counter", 7)) {
			s->counter = x;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

inline bool invariant_holds(const Snapshot &s, unsigned nkeys) {
	return s.count == nkeys && s.sum == int64_t(nkeys) * kBalance && s.counter >= 0;
}

inline int init_balances(MDB_env *env, unsigned nkeys) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, 0, &txn);
	if (rc) return rc;
	for (unsigned i = 0; i < nkeys && !rc; i++) rc = put_i64(txn, key_name(i), kBalance);
	if (!rc) rc = put_i64(txn, "counter", 0);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

// One transfer inside a write txn (no commit).
inline int move(MDB_txn *txn, Rng &rng, unsigned nkeys) {
	std::string a = key_name(unsigned(rng.next() % nkeys)), b = key_name(unsigned(rng.next() % nkeys));
	int64_t amount = int64_t(rng.next() % 100), x, y, c;
	int rc;
	if ((rc = get_i64(txn, a, &x)) || (rc = put_i64(txn, a, x - amount))) return rc;
	if ((rc = get_i64(txn, b, &y)) || (rc = put_i64(txn, b, y + amount))) return rc;
	if ((rc = get_i64(txn, "counter", &c)) || (rc = put_i64(txn, "counter", c + 1))) return rc;
	return 0;
}

inline int transfer(MDB_env *env, Rng &rng, unsigned nkeys, unsigned flags = 0) {
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, nullptr, flags, &txn);
	if (rc) return rc;
	if ((rc = move(txn, rng, nkeys))) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

// The main database's handle must be opened once before it is used.
inline int open_main_dbi(MDB_env *env) {
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
	if (rc) return rc;
	rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

// An environment of ours, closed at scope exit.
class Env {
public:
	Env() = default;
	~Env() { close(); }
	Env(const Env &) = delete;
	Env &operator=(const Env &) = delete;
	int open(const std::string &path, unsigned flags, size_t mapsize = 0, unsigned maxreaders = 0) {
		int rc = mdb_env_create(&env_);
		if (rc) return rc;
		if (mapsize && (rc = mdb_env_set_mapsize(env_, mapsize))) return rc;
		if (maxreaders && (rc = mdb_env_set_maxreaders(env_, maxreaders))) return rc;
		rc = mdb_env_open(env_, path.c_str(), flags, 0644);
		if (!rc) rc = open_main_dbi(env_);
		if (rc) close();
		return rc;
	}
	void close() {
		if (env_) mdb_env_close(env_);
		env_ = nullptr;
	}
	MDB_env *get() const { return env_; }
	operator MDB_env *() const { return env_; }

private:
	MDB_env *env_ = nullptr;
};

// The reader table as mdb_reader_list prints it.
inline std::string reader_list(MDB_env *env) {
	std::string out;
	mdb_reader_list(
	    env,
	    [](const char *msg, void *ctx) -> int {
		    static_cast<std::string *>(ctx)->append(msg);
		    return 0;
	    },
	    &out);
	return out;
}

// ---- helper processes ----------------------------------------------------------

enum class Lib { Ours, Upstream };

inline const char *lib_name(Lib l) { return l == Lib::Ours ? "ours" : "upstream"; }

// One env_helper process with a command pipe and a reply pipe.
class Helper {
public:
	explicit Helper(Lib lib) : lib_(lib) {
		int in[2], out[2];
		REQUIRE(pipe2(in, O_CLOEXEC) == 0);
		REQUIRE(pipe2(out, O_CLOEXEC) == 0);
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
		const char *path = lib == Lib::Ours ? CONCUR_HELPER_OURS : CONCUR_HELPER_UPSTREAM;
		// Nothing may redirect the helper to another liblmdb.so.0.
		std::vector<char *> envp;
		for (char **e = environ; *e; e++)
			if (std::strncmp(*e, "LD_LIBRARY_PATH=", 16) && std::strncmp(*e, "LD_PRELOAD=", 11))
				envp.push_back(*e);
		envp.push_back(nullptr);
		char *argv[] = {const_cast<char *>(path), nullptr};
		int rc = posix_spawn(&pid_, path, &fa, nullptr, argv, envp.data());
		posix_spawn_file_actions_destroy(&fa);
		::close(in[0]);
		::close(out[1]);
		to_ = in[1];
		from_ = out[0];
		REQUIRE(rc == 0);
	}
	~Helper() {
		if (pid_ > 0) {
			if (to_ >= 0) {
				const char q[] = "quit\n";
				if (write(to_, q, sizeof q - 1) < 0) {
				}
			}
			::close(to_);
			to_ = -1;
			// Give it a moment, then make sure it is gone.
			long long deadline = now_ms() + 10000;
			int st;
			while (waitpid(pid_, &st, WNOHANG) == 0) {
				if (now_ms() > deadline) {
					::kill(pid_, SIGKILL);
					waitpid(pid_, &st, 0);
					break;
				}
				usleep(1000);
			}
		}
		if (to_ >= 0) ::close(to_);
		if (from_ >= 0) ::close(from_);
	}
	Helper(const Helper &) = delete;
	Helper &operator=(const Helper &) = delete;

	Lib lib() const { return lib_; }
	pid_t pid() const { return pid_; }

	void send(const std::string &c) {
		std::string line = c + "\n";
		REQUIRE(write(to_, line.data(), line.size()) == ssize_t(line.size()));
	}
	// Whether a complete reply line is available within timeout_ms.
	bool ready(int timeout_ms) {
		if (buf_.find('\n') != std::string::npos) return true;
		long long deadline = now_ms() + timeout_ms;
		for (;;) {
			long long left = deadline - now_ms();
			struct pollfd p = {from_, POLLIN, 0};
			int r = poll(&p, 1, left > 0 ? int(left) : 0);
			if (r < 0 && errno == EINTR) continue;
			if (r <= 0) return false;
			char tmp[4096];
			ssize_t n = read(from_, tmp, sizeof tmp);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) return false;
			buf_.append(tmp, size_t(n));
			if (buf_.find('\n') != std::string::npos) return true;
		}
	}
	// The next reply line ("" when none came in time or the helper died).
	std::string line(int timeout_ms = 60000) {
		if (!ready(timeout_ms)) return "";
		size_t nl = buf_.find('\n');
		std::string l = buf_.substr(0, nl);
		buf_.erase(0, nl + 1);
		return l;
	}
	std::string cmd(const std::string &c, int timeout_ms = 60000) {
		send(c);
		std::string r = line(timeout_ms);
		INFO(lib_name(lib_) << " helper: " << c << " -> " << r);
		CHECK(!r.empty());
		return r;
	}
	// A command that must answer "ok..."; returns the text after "ok ".
	std::string ok(const std::string &c, int timeout_ms = 60000) {
		std::string r = cmd(c, timeout_ms);
		INFO(lib_name(lib_) << " helper: " << c << " -> " << r);
		REQUIRE(r.rfind("ok", 0) == 0);
		return r.size() > 3 ? r.substr(3) : "";
	}
	long long ok_num(const std::string &c, int timeout_ms = 60000) {
		return std::stoll(ok(c, timeout_ms));
	}
	// Everything up to the line "end" (mdb_reader_list output).
	std::string until_end() {
		std::string text;
		for (;;) {
			std::string l = line();
			REQUIRE(!l.empty());
			if (l == "end") return text;
			text += l + "\n";
		}
	}
	void kill9() {
		REQUIRE(pid_ > 0);
		::kill(pid_, SIGKILL);
		int st;
		waitpid(pid_, &st, 0);
		pid_ = -1;
	}

private:
	Lib lib_;
	pid_t pid_ = -1;
	int to_ = -1, from_ = -1;
	std::string buf_;
};

inline std::string open_cmd(const std::string &path, unsigned flags, size_t mapsize, unsigned maxreaders,
                            unsigned nkeys) {
	char b[64];
	std::snprintf(b, sizeof b, " %x %zu %u %u", flags, mapsize, maxreaders, nkeys);
	return "open " + path + b;
}

// A snapshot of this process's view of the environment (and its txn id).
inline Snapshot snapshot_of(MDB_env *env, size_t *txnid = nullptr) {
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
	Snapshot s;
	REQUIRE(scan(txn, &s) == 0);
	if (txnid) *txnid = mdb_txn_id(txn);
	mdb_txn_abort(txn);
	return s;
}

// "<count> <sum> <counter>" from a helper's scan command.
inline Snapshot parse_scan(const std::string &r) {
	Snapshot s;
	long long sum = 0, counter = 0;
	REQUIRE(std::sscanf(r.c_str(), "%u %lld %lld", &s.count, &sum, &counter) == 3);
	s.sum = sum;
	s.counter = counter;
	return s;
}

}  // namespace concur
