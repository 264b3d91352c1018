// lmdb_bench: one benchmark binary for any liblmdb.so.0.
//
// It uses nothing but the public C API of lmdb.h, so the same executable
// measures whichever library the dynamic loader hands it (LD_LIBRARY_PATH
// decides; the binary carries a RUNPATH, never an RPATH).  The first output
// line names the library actually loaded (mdb_version() and the file that
// holds it, found with dladdr), so a run can never silently measure the wrong
// one.
//
// Every workload runs in a child process of its own: state, page cache use of
// the maps and peak RSS (wait4's rusage) do not leak from one workload into the
// next.  The parent stays small and never calls into the library.
//
// Output: JSON lines on stdout, one "library" record, then one "result" (or
// "error") record per workload, then a "done" record.  See bench/README.md.

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lmdb.h"

namespace {

// ---- small utilities --------------------------------------------------------

[[noreturn]] void die(const char *fmt, ...) {
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	std::vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	throw std::runtime_error(buf);
}

const char *errstr(int rc) {
	const char *s = mdb_strerror(rc);
	if (s)
		return s;
	return std::strerror(rc);
}

// Abort the workload (child) when a library call fails.
#define CK(call)                                                                   \
	do {                                                                             \
		int rc_ = (call);                                                              \
		if (rc_ != 0)                                                                  \
			die("%s failed: %d (%s) at line %d", #call, rc_, errstr(rc_), __LINE__); \
	} while (0)

std::string json_escape(std::string_view s) {
	std::string out;
	for (unsigned char ch : s) {
		switch (ch) {
		case '"': out += "\\\""; break;
		case '\\': out += "\\\\"; break;
		case '\n': out += "\\n"; break;
		case '\t': out += "\\t"; break;
		default:
			if (ch < 0x20) {
				char b[8];
				std::snprintf(b, sizeof b, "\\u%04x", ch);
				out += b;
			} else {
				out += static_cast<char>(ch);
			}
		}
	}
	return out;
}

double now_seconds() {
	using namespace std::chrono;
	return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// splitmix64: a fixed, seedable generator so both libraries see the same keys.
struct Rng {
	uint64_t s;
	explicit Rng(uint64_t seed) : s(seed) {}
	uint64_t next() {
		uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	// Uniform in [0, n) (multiply-shift; the bias is irrelevant here).
	uint64_t below(uint64_t n) {
		return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
	}
};

std::vector<uint32_t> permutation(uint64_t n, uint64_t seed) {
	std::vector<uint32_t> p(n);
	for (uint64_t i = 0; i < n; i++)
		p[i] = static_cast<uint32_t>(i);
	Rng r(seed);
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = r.below(i);
		std::swap(p[i - 1], p[j]);
	}
	return p;
}

// Keys are 16 bytes: the hexadecimal form of a 64-bit number, so byte order
// equals numeric order.  Present records use even numbers (2*i), so every odd
// number is a key known to be missing and sitting between two present ones.
constexpr size_t KEY_LEN = 16;
constexpr size_t VAL_LEN = 100;

inline void format_key(char *out, uint64_t v) {
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		out[i] = hex[v & 15];
		v >>= 4;
	}
}

struct KeyBuf {
	char b[KEY_LEN];
	MDB_val val;
	KeyBuf() { val = {KEY_LEN, b}; }
	MDB_val *present(uint64_t i) {
		format_key(b, 2 * i);
		val = {KEY_LEN, b};
		return &val;
	}
	MDB_val *missing(uint64_t i) {
		format_key(b, 2 * i + 1);
		val = {KEY_LEN, b};
		return &val;
	}
};

// Values are slices of one random block; their content does not matter to a
// B+tree but should not be trivially uniform.
struct ValueSource {
	std::vector<unsigned char> block;
	explicit ValueSource(size_t max_len) : block(max_len + 8192) {
		Rng r(0x5eed);
		for (size_t i = 0; i < block.size(); i += 8) {
			uint64_t x = r.next();
			std::memcpy(&block[i], &x, std::min<size_t>(8, block.size() - i));
		}
	}
	MDB_val get(uint64_t i, size_t len, uint64_t salt = 0) {
		size_t off = static_cast<size_t>((i * 7 + salt * 131) % 8192);
		return MDB_val{len, &block[off]};
	}
};

bool is_tmpfs(const std::string &path) {
	struct statfs s;
	if (statfs(path.c_str(), &s) != 0)
		return false;
	return s.f_type == TMPFS_MAGIC;
}

uint64_t file_size(const std::string &path) {
	struct stat st;
	if (stat(path.c_str(), &st) != 0)
		return 0;
	return static_cast<uint64_t>(st.st_size);
}

void remove_tree(const std::string &path) {
	DIR *d = opendir(path.c_str());
	if (!d) {
		unlink(path.c_str());
		return;
	}
	while (struct dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n == "." || n == "..")
			continue;
		std::string p = path + "/" + n;
		struct stat st;
		if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p.c_str());
	}
	closedir(d);
	rmdir(path.c_str());
}

void make_dir(const std::string &path) {
	if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
		die("mkdir %s: %s", path.c_str(), std::strerror(errno));
}

void copy_file(const std::string &from, const std::string &to) {
	int in = open(from.c_str(), O_RDONLY);
	if (in < 0)
		die("open %s: %s", from.c_str(), std::strerror(errno));
	int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die("open %s: %s", to.c_str(), std::strerror(errno));
	struct stat st;
	fstat(in, &st);
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
		if (n <= 0)
			break;
		left -= n;
	}
	if (left > 0) {  // fallback: plain read/write
		lseek(in, st.st_size - left, SEEK_SET);
		lseek(out, st.st_size - left, SEEK_SET);
		std::vector<char> buf(1 << 20);
		ssize_t n;
		while ((n = read(in, buf.data(), buf.size())) > 0)
			if (write(out, buf.data(), static_cast<size_t>(n)) != n)
				die("write %s: %s", to.c_str(), std::strerror(errno));
	}
	close(in);
	close(out);
}

// ---- configuration ------------------------------------------------------------

struct Config {
	uint64_t keys = 1000000;
	bool quick = false;
	bool keys_given = false;
	std::string shm_base = "/dev/shm";
	std::string disk_base = "/var/tmp";
	uint64_t sync_ops = 10000;
	uint64_t short_ops = 3000;
	uint64_t point_ops = 0;  // --point-ops: lookups of readrandom/readmissing/seekrandom (0: keys)
	bool sync_given = false, short_given = false;
	size_t mapsize = size_t(32) << 30;
	bool mapsize_given = false;
	std::vector<std::string> only;
	uint64_t seed = 42;
	std::string fixtures;  // --fixtures: where fixtures are kept between runs
	bool shared_fixtures = false;  // --shared-fixtures: any library's fixture will do
	bool fixtures_only = false;    // --fixtures-only: build or check them, run nothing
	unsigned reps = 1;     // --reps: runs of each workload, each in its own process
	bool scale = false;    // --scale: the scale workloads too, when no --only

	// Derived per-workload sizes.
	uint64_t big_values() const { return std::max<uint64_t>(keys / 200, 10); }
	uint64_t big_reads() const { return std::max<uint64_t>(keys / 2, 100); }
	uint64_t txn_ops() const { return keys * 10; }
	uint64_t dups_per_key() const { return 10; }
	// Scale workloads (bench/README.md, "Scale workloads").
	uint64_t many_dbs() const { return std::max<uint64_t>(keys / 1000, 10); }
	uint64_t dbi_passes() const { return std::clamp<uint64_t>(64000 / many_dbs(), 1, 1000); }
	uint64_t big_dups() const { return keys; }
	uint64_t spill_puts() const { return 3 * keys; }
};

// Where one run keeps its files.
struct Paths {
	std::string shm;       // <shm_base>/lmdb_bench.<pid>
	std::string disk;      // <disk_base>/lmdb_bench.<pid>
	std::string fixtures;  // --fixtures, else shm (removed at the end)
};

struct Result {
	uint64_t ops = 0;
	double seconds = 0;
	uint64_t db_bytes = 0;
	uint64_t checksum = 0;  // keeps reads from being optimised away; also printed
};

// ---- taking turns with a partner process (--baton) ------------------------------
//
// bench/compare can run the two libraries' processes of a workload at the
// same time, taking turns: each side runs one slice of its timed loop (1/64
// of its operations), stops its clock and hands over to the other, which
// does the same.  A slow spell of the machine (this is a shared VM) then
// falls on both sides alike instead of on whichever run it happened to hit.
// The protocol on the two pipes, one byte each: the workload writes 'r' when
// it wants a turn (at the start of its timed part and after each slice) and
// waits for 'g'; it writes 'd' when its timed part is over (or it failed),
// then waits for a last 'g', which comes once both sides are done: nothing
// of one side runs while the other side's clock runs.
// Without --baton every call below is a no-op apart from reading the clock.
class Baton {
public:
	void attach(int rfd, int wfd) {
		rfd_ = rfd;
		wfd_ = wfd;
	}
	bool paired() const { return wfd_ >= 0; }
	// Ask for the next turn and wait for it.
	void wait_turn() {
		if (!paired() || finished_)
			return;
		send('r');
		if (!await_go())
			die("baton: lost the partner");
	}
	// The timed part is over (once per run, also after a failure).
	void finish() {
		if (finished_)
			return;
		finished_ = true;
		skipped();
	}
	// A run that will not happen (its fixture failed): no turns, just done;
	// returns once the partner is done too.
	void skipped() {
		if (!paired())
			return;
		send('d');
		await_go();
	}

private:
	void send(char c) {
		while (write(wfd_, &c, 1) < 0 && errno == EINTR) {
		}
	}
	bool await_go() {
		char c = 0;
		ssize_t n;
		while ((n = read(rfd_, &c, 1)) < 0 && errno == EINTR) {
		}
		return n == 1 && c == 'g';
	}
	int rfd_ = -1, wfd_ = -1;
	bool finished_ = false;
};

Baton baton;

constexpr unsigned kSlices = 64;

// The clock of a workload's timed part, run in slices: at() is called with
// the number of operations done so far; at each slice boundary the clock
// stops while the partner has its turn.
class Stopwatch {
public:
	Stopwatch() = default;
	explicit Stopwatch(uint64_t total_ops) { start(total_ops); }
	// Waits for the first turn, then starts the clock.
	void start(uint64_t total_ops) {
		step_ = std::max<uint64_t>(total_ops / kSlices, 1);
		next_ = baton.paired() ? step_ : UINT64_MAX;
		baton.wait_turn();
		t0_ = now_seconds();
	}
	void at(uint64_t done) {
		if (done == next_) [[unlikely]]
			hand_over();
	}
	void hand_over() {
		total_ += now_seconds() - t0_;
		baton.wait_turn();
		next_ += step_;
		t0_ = now_seconds();
	}
	uint64_t step() const { return step_; }
	// Untimed setup inside the timed loop (e.g. opening an environment):
	// pause() stops the clock, resume() restarts it; at() is only called
	// while the clock runs.
	void pause() { total_ += now_seconds() - t0_; }
	void resume() { t0_ = now_seconds(); }
	// Stops the clock; the seconds timed.
	double stop() {
		total_ += now_seconds() - t0_;
		baton.finish();
		return total_;
	}

private:
	double t0_ = 0, total_ = 0;
	uint64_t step_ = 1, next_ = UINT64_MAX;
};

struct Ctx {
	const Config &cfg;
	const Paths &paths;
	ValueSource &values;
	std::string workdir;  // fresh, empty, on tmpfs; removed after the workload
};

// ---- environment helpers -------------------------------------------------------

struct Env {
	MDB_env *env = nullptr;
	MDB_dbi dbi = 0;
	std::string dir;
	Env(const std::string &d, size_t mapsize, unsigned env_flags = 0, const char *dbname = nullptr,
	    unsigned db_flags = 0)
	    : dir(d) {
		CK(mdb_env_create(&env));
		CK(mdb_env_set_mapsize(env, mapsize));
		CK(mdb_env_set_maxdbs(env, 4));
		CK(mdb_env_set_maxreaders(env, 126));
		CK(mdb_env_open(env, d.c_str(), env_flags, 0644));
		MDB_txn *txn;
		CK(mdb_txn_begin(env, nullptr, 0, &txn));
		CK(mdb_dbi_open(txn, dbname, db_flags | MDB_CREATE, &dbi));
		CK(mdb_txn_commit(txn));
	}
	~Env() { close(); }
	void close() {
		if (env) {
			mdb_env_close(env);
			env = nullptr;
		}
	}
	uint64_t data_size() const { return file_size(dir + "/data.mdb"); }
	Env(const Env &) = delete;
	Env &operator=(const Env &) = delete;
};

// Writes records [0,n) in the given order (identity when order is empty),
// committing every `batch` puts (0: one transaction).
void load(Env &e, ValueSource &vs, uint64_t n, const std::vector<uint32_t> &order, uint64_t batch,
          unsigned put_flags, Stopwatch *sw = nullptr) {
	KeyBuf k;
	MDB_txn *txn;
	CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < n; i++) {
		if (sw)
			sw->at(i);
		uint64_t id = order.empty() ? i : order[i];
		MDB_val v = vs.get(id, VAL_LEN);
		CK(mdb_put(txn, e.dbi, k.present(id), &v, put_flags));
		if (batch && (i + 1) % batch == 0 && i + 1 < n) {
			CK(mdb_txn_commit(txn));
			CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
		}
	}
	CK(mdb_txn_commit(txn));
}

// ---- fixtures: databases built once per run, by the library under test ---------

enum Fixture { FX_MAIN, FX_DUP, FX_BIG, FX_DUP1M, FX_COUNT };
const char *fixture_name[FX_COUNT] = {"main", "dup", "big", "dup1m"};

std::string fixture_dir(const Paths &p, Fixture f) { return p.fixtures + "/fixture_" + fixture_name[f]; }

// What a fixture was built from, kept in its directory (--fixtures): a
// later run reuses the fixture only if this text is the same, so every
// fixture is built by the library under test with the run's sizes.  The
// library is named by its contents (digest), not its path: compare loads
// a fresh copy of each library every round, and a rebuilt library at the
// same path is another library.
// A digest of a file's bytes (FNV-1a, 64 bits) and its size, "?" if unreadable.
std::string file_digest(const std::string &path) {
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "?";
	uint64_t h = 0xcbf29ce484222325ULL, size = 0;
	unsigned char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		size += uint64_t(n);
	}
	close(fd);
	char out[64];
	std::snprintf(out, sizeof out, "%016" PRIx64 " %" PRIu64 " bytes", h, size);
	return out;
}

// With --shared-fixtures the library is left out: both sides of a compare
// read one fixture (for sizes whose two copies would not fit in memory).
std::string fixture_stamp(const Config &cfg, const std::string &library, Fixture f) {
	return std::string("fixture ") + fixture_name[f] + "\nlibrary " +
	       (cfg.shared_fixtures ? std::string("any (--shared-fixtures)") : library) + "\nkeys " + std::to_string(cfg.keys) +
	       "\nseed " + std::to_string(cfg.seed) + "\n";
}

std::string stamp_path(const Paths &p, Fixture f) { return fixture_dir(p, f) + "/built-by"; }

bool fixture_current(const Paths &p, Fixture f, const std::string &stamp) {
	int fd = open(stamp_path(p, f).c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	std::string text(4096, '\0');
	ssize_t n = read(fd, text.data(), text.size());
	close(fd);
	return n >= 0 && text.substr(0, static_cast<size_t>(n)) == stamp;
}

void write_stamp(const Paths &p, Fixture f, const std::string &stamp) {
	int fd = open(stamp_path(p, f).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, stamp.data(), stamp.size()) != static_cast<ssize_t>(stamp.size()))
		die("write %s: %s", stamp_path(p, f).c_str(), std::strerror(errno));
	close(fd);
}

void build_dup(Env &e, ValueSource &vs, uint64_t n, uint64_t dups, uint64_t seed, Stopwatch *sw);
void build_big(Env &e, ValueSource &vs, uint64_t n, Stopwatch *sw);
void build_big_dup(Env &e, uint64_t n, uint64_t seed, Stopwatch *sw);

void build_fixture(const Config &cfg, const Paths &p, ValueSource &vs, Fixture f) {
	std::string dir = fixture_dir(p, f);
	remove_tree(dir);
	make_dir(dir);
	switch (f) {
	case FX_MAIN: {
		// Random insertion order in batches: pages end up as a real workload
		// leaves them (not the perfectly packed result of an append).
		Env e(dir, cfg.mapsize);
		load(e, vs, cfg.keys, permutation(cfg.keys, cfg.seed + 1), 1000, 0);
		break;
	}
	case FX_DUP: {
		Env e(dir, cfg.mapsize, 0, "dup", MDB_DUPSORT);
		build_dup(e, vs, cfg.keys, cfg.dups_per_key(), cfg.seed + 2, nullptr);
		break;
	}
	case FX_BIG: {
		Env e(dir, cfg.mapsize);
		build_big(e, vs, cfg.big_values(), nullptr);
		break;
	}
	case FX_DUP1M: {
		Env e(dir, cfg.mapsize, 0, "dup", MDB_DUPSORT);
		build_big_dup(e, cfg.big_dups(), cfg.seed + 3, nullptr);
		break;
	}
	default: break;
	}
}

// ---- the workloads ---------------------------------------------------------------

// The result of a workload timed by `sw` over `n` ops on the env `e` of
// the work dir, closed first so that the file's final size is read.
Result private_result(Stopwatch &sw, uint64_t n, Env &e, const Ctx &c) {
	Result r;
	r.seconds = sw.stop();
	r.ops = n;
	e.close();
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

Result fill_workload(Ctx &c, bool random, uint64_t batch, unsigned put_flags) {
	uint64_t n = c.cfg.keys;
	std::vector<uint32_t> order;
	if (random)
		order = permutation(n, c.cfg.seed + 10);
	Env e(c.workdir, c.cfg.mapsize);
	Stopwatch sw(n);
	load(e, c.values, n, order, batch, put_flags, &sw);
	return private_result(sw, n, e, c);
}

Result w_fillseq(Ctx &c) { return fill_workload(c, false, 0, 0); }
Result w_fillseq_batch(Ctx &c) { return fill_workload(c, false, 1000, 0); }
Result w_fillrandom(Ctx &c) { return fill_workload(c, true, 0, 0); }
Result w_fillrandom_batch(Ctx &c) { return fill_workload(c, true, 1000, 0); }
Result w_append(Ctx &c) { return fill_workload(c, false, 0, MDB_APPEND); }

// Copies the main fixture into the work directory (for workloads that modify it).
void private_copy(Ctx &c) { copy_file(fixture_dir(c.paths, FX_MAIN) + "/data.mdb", c.workdir + "/data.mdb"); }

Result w_overwrite(Ctx &c) {
	private_copy(c);
	uint64_t n = c.cfg.keys;
	Env e(c.workdir, c.cfg.mapsize);
	Rng rng(c.cfg.seed + 20);
	KeyBuf k;
	Stopwatch sw(n);
	MDB_txn *txn;
	CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		uint64_t id = rng.below(n);
		MDB_val v = c.values.get(id, VAL_LEN, 1);
		CK(mdb_put(txn, e.dbi, k.present(id), &v, 0));
		if ((i + 1) % 1000 == 0 && i + 1 < n) {
			CK(mdb_txn_commit(txn));
			CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
		}
	}
	CK(mdb_txn_commit(txn));
	return private_result(sw, n, e, c);
}

// Small tools sharing state on tmpfs: one put per durable write txn, to a
// random existing key of the main fixture (a private copy in the shm dir,
// where a commit's sync costs next to nothing).  Opt-in, not in the suite.
Result w_smallcommit(Ctx &c) {
	private_copy(c);
	uint64_t n = c.cfg.keys / 10;
	if (n == 0)
		n = 1;
	Env e(c.workdir, c.cfg.mapsize);
	Rng rng(c.cfg.seed + 25);
	KeyBuf k;
	Stopwatch sw(n);
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		uint64_t id = rng.below(c.cfg.keys);
		MDB_val v = c.values.get(id, VAL_LEN, 2);
		MDB_txn *txn;
		CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
		CK(mdb_put(txn, e.dbi, k.present(id), &v, 0));
		CK(mdb_txn_commit(txn));
	}
	return private_result(sw, n, e, c);
}

Result w_deleterandom(Ctx &c) {
	private_copy(c);
	uint64_t n = c.cfg.keys;
	std::vector<uint32_t> order = permutation(n, c.cfg.seed + 30);
	Env e(c.workdir, c.cfg.mapsize);
	KeyBuf k;
	Stopwatch sw(n);
	MDB_txn *txn;
	CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		CK(mdb_del(txn, e.dbi, k.present(order[i]), nullptr));
		if ((i + 1) % 1000 == 0 && i + 1 < n) {
			CK(mdb_txn_commit(txn));
			CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
		}
	}
	CK(mdb_txn_commit(txn));
	Result r;
	r.seconds = sw.stop();
	r.ops = n;
	MDB_stat st;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	CK(mdb_stat(txn, e.dbi, &st));
	mdb_txn_abort(txn);
	if (st.ms_entries != 0)
		die("deleterandom: %zu entries left", st.ms_entries);
	e.close();
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

// Cursor walk over the main fixture, forwards or backwards, `passes` times.
Result scan_workload(Ctx &c, bool reverse) {
	Env e(fixture_dir(c.paths, FX_MAIN), c.cfg.mapsize);
	const uint64_t passes = 5;
	MDB_txn *txn;
	MDB_cursor *cur;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	CK(mdb_cursor_open(txn, e.dbi, &cur));
	Result r;
	Stopwatch sw(passes * c.cfg.keys);
	for (uint64_t p = 0; p < passes; p++) {
		MDB_val key, data;
		uint64_t count = 0;
		int rc = mdb_cursor_get(cur, &key, &data, reverse ? MDB_LAST : MDB_FIRST);
		while (rc == 0) {
			count++;
			sw.at(r.ops + count);
			r.checksum += data.mv_size + static_cast<unsigned char>(static_cast<char *>(key.mv_data)[15]);
			rc = mdb_cursor_get(cur, &key, &data, reverse ? MDB_PREV : MDB_NEXT);
		}
		if (rc != MDB_NOTFOUND)
			die("cursor walk: %s", errstr(rc));
		if (count != c.cfg.keys)
			die("cursor walk saw %" PRIu64 " records, expected %" PRIu64, count, c.cfg.keys);
		r.ops += count;
	}
	r.seconds = sw.stop();
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	r.db_bytes = e.data_size();
	return r;
}

Result w_readseq(Ctx &c) { return scan_workload(c, false); }
Result w_readreverse(Ctx &c) { return scan_workload(c, true); }

enum class Lookup { Present, Missing, SeekRange };

// `n` point operations with random keys inside one read transaction.  After
// every `step` operations (at most `pauses` times) it calls pause().
// (Not inlined: bench/cost_model.sh measures this function alone.)
template <class Pause>
[[gnu::noinline]] uint64_t lookups(MDB_env *env, MDB_dbi dbi, uint64_t keys, uint64_t n, uint64_t seed, Lookup how,
                 uint64_t *found_out, uint64_t step, uint64_t pauses, Pause pause) {
	MDB_txn *txn;
	CK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn));
	MDB_cursor *cur = nullptr;
	if (how == Lookup::SeekRange)
		CK(mdb_cursor_open(txn, dbi, &cur));
	Rng rng(seed);
	KeyBuf k;
	uint64_t sum = 0, found = 0, next = step;
	for (uint64_t i = 0; i < n; i++) {
		if (i == next && pauses) [[unlikely]] {
			pause();
			next += step;
			pauses--;
		}
		uint64_t id = rng.below(keys);
		MDB_val data;
		int rc;
		if (how == Lookup::SeekRange) {
			MDB_val *key = k.missing(id);
			rc = mdb_cursor_get(cur, key, &data, MDB_SET_RANGE);
		} else {
			rc = mdb_get(txn, dbi, how == Lookup::Present ? k.present(id) : k.missing(id), &data);
		}
		if (rc == 0) {
			found++;
			sum += data.mv_size + *static_cast<unsigned char *>(data.mv_data);
		} else if (rc != MDB_NOTFOUND) {
			die("lookup: %s", errstr(rc));
		}
	}
	if (cur)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	*found_out = found;
	return sum;
}

Result point_workload(Ctx &c, Lookup how) {
	Env e(fixture_dir(c.paths, FX_MAIN), c.cfg.mapsize);
	uint64_t n = c.cfg.point_ops ? c.cfg.point_ops : c.cfg.keys, found = 0;
	Result r;
	Stopwatch sw(n);
	r.checksum = lookups(e.env, e.dbi, c.cfg.keys, n, c.cfg.seed + 40, how, &found, sw.step(),
	                     baton.paired() ? UINT64_MAX : 0, [&] { sw.hand_over(); });
	r.seconds = sw.stop();
	r.ops = n;
	if (how == Lookup::Present && found != n)
		die("readrandom found %" PRIu64 " of %" PRIu64, found, n);
	if (how == Lookup::Missing && found != 0)
		die("readmissing found %" PRIu64 " records that should not exist", found);
	if (how == Lookup::SeekRange && found == 0)
		die("seekrandom found nothing");
	r.db_bytes = e.data_size();
	return r;
}

Result w_readrandom(Ctx &c) { return point_workload(c, Lookup::Present); }
Result w_readmissing(Ctx &c) { return point_workload(c, Lookup::Missing); }
Result w_seekrandom(Ctx &c) { return point_workload(c, Lookup::SeekRange); }

Result threaded_reads(Ctx &c, unsigned nthreads) {
	Env e(fixture_dir(c.paths, FX_MAIN), c.cfg.mapsize);
	uint64_t total = c.cfg.keys;
	// Threads report ready, the clock starts, then all are released at once.
	std::latch ready(nthreads), start(1);
	std::vector<std::thread> threads;
	std::vector<uint64_t> sums(nthreads), founds(nthreads);
	std::atomic<bool> failed{false};
	std::string failure;
	// In a paired run all threads stop at each slice boundary (the same
	// number of them in every thread), and the last to arrive hands over.
	std::optional<Stopwatch> sw;
	const uint64_t step = std::max<uint64_t>(total / nthreads / kSlices, 1);
	const uint64_t pauses = baton.paired() && total / nthreads >= kSlices ? kSlices - 1 : 0;
	// (A lost partner ends the child here: the completion may not throw.)
	auto hand_over = [&]() noexcept { sw->hand_over(); };
	std::barrier sync(std::ptrdiff_t(nthreads), hand_over);
	for (unsigned t = 0; t < nthreads; t++) {
		uint64_t share = total / nthreads + (t < total % nthreads ? 1 : 0);
		threads.emplace_back([&, t, share] {
			ready.count_down();
			start.wait();
			try {
				sums[t] = lookups(e.env, e.dbi, c.cfg.keys, share, c.cfg.seed + 50 + t, Lookup::Present,
				                  &founds[t], step, pauses, [&] { sync.arrive_and_wait(); });
				if (founds[t] != share)
					die("thread %u found %" PRIu64 " of %" PRIu64, t, founds[t], share);
			} catch (const std::exception &ex) {
				if (!failed.exchange(true))
					failure = ex.what();
				sync.arrive_and_drop();
			}
		});
	}
	ready.wait();
	sw.emplace(total);
	start.count_down();
	for (auto &th : threads)
		th.join();
	Result r;
	r.seconds = sw->stop();
	if (failed)
		die("%s", failure.c_str());
	r.ops = total;
	for (auto s : sums)
		r.checksum += s;
	r.db_bytes = e.data_size();
	return r;
}

Result w_readrandom_t1(Ctx &c) { return threaded_reads(c, 1); }
Result w_readrandom_t2(Ctx &c) { return threaded_reads(c, 2); }
Result w_readrandom_t4(Ctx &c) { return threaded_reads(c, 4); }

Result w_fillsync(Ctx &c) {
	// Durable commits on a real disk: here fsync latency is part of the figure.
	std::string dir = c.paths.disk + "/fillsync";
	remove_tree(dir);
	make_dir(dir);
	uint64_t n = c.cfg.sync_ops;
	Result r;
	{
		Env e(dir, size_t(1) << 30);
		KeyBuf k;
		Stopwatch sw(n);
		for (uint64_t i = 0; i < n; i++) {
			sw.at(i);
			MDB_txn *txn;
			CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
			MDB_val v = c.values.get(i, VAL_LEN);
			CK(mdb_put(txn, e.dbi, k.present(i), &v, 0));
			CK(mdb_txn_commit(txn));
		}
		r.seconds = sw.stop();
		r.ops = n;
	}
	r.db_bytes = file_size(dir + "/data.mdb");
	remove_tree(dir);
	return r;
}

// n items: key (item / dups) holds `dups` distinct 100-byte values, all
// inserted in random item order in one transaction.  Timed by sw if given.
void build_dup(Env &e, ValueSource &vs, uint64_t n, uint64_t dups, uint64_t seed, Stopwatch *sw) {
	std::vector<uint32_t> order = permutation(n, seed);
	KeyBuf k;
	unsigned char val[VAL_LEN];
	MDB_txn *txn;
	if (sw)
		sw->start(n);
	CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < n; i++) {
		if (sw)
			sw->at(i);
		uint64_t item = order[i];
		MDB_val src = vs.get(item, VAL_LEN);
		std::memcpy(val, src.mv_data, VAL_LEN);
		format_key(reinterpret_cast<char *>(val), item % dups);  // distinct, sorted prefix
		MDB_val v{VAL_LEN, val};
		CK(mdb_put(txn, e.dbi, k.present(item / dups), &v, 0));
	}
	CK(mdb_txn_commit(txn));
}

Result w_dupsort_fill(Ctx &c) {
	Result r;
	{
		Env e(c.workdir, c.cfg.mapsize, 0, "dup", MDB_DUPSORT);
		Stopwatch sw;
		build_dup(e, c.values, c.cfg.keys, c.cfg.dups_per_key(), c.cfg.seed + 2, &sw);
		r.seconds = sw.stop();
	}
	r.ops = c.cfg.keys;
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

Result w_dupsort_scan(Ctx &c) {
	Env e(fixture_dir(c.paths, FX_DUP), c.cfg.mapsize, 0, "dup", MDB_DUPSORT);
	MDB_txn *txn;
	MDB_cursor *cur;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	CK(mdb_cursor_open(txn, e.dbi, &cur));
	Result r;
	const uint64_t passes = 3;
	Stopwatch sw(passes * c.cfg.keys);
	for (uint64_t p = 0; p < passes; p++) {
		MDB_val key, data;
		uint64_t count = 0;
		int rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
		while (rc == 0) {
			count++;
			sw.at(r.ops + count);
			r.checksum += data.mv_size + *static_cast<unsigned char *>(data.mv_data);
			rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
		}
		if (rc != MDB_NOTFOUND)
			die("dupsort scan: %s", errstr(rc));
		if (count != c.cfg.keys)
			die("dupsort scan saw %" PRIu64 " items, expected %" PRIu64, count, c.cfg.keys);
		r.ops += count;
	}
	r.seconds = sw.stop();
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	r.db_bytes = e.data_size();
	return r;
}

constexpr size_t BIG_LEN = 64 * 1024;

// Sequential keys, 64 KiB values (overflow pages), 100 puts per transaction.
// Timed by sw if given.
void build_big(Env &e, ValueSource &vs, uint64_t n, Stopwatch *sw) {
	KeyBuf k;
	MDB_txn *txn;
	if (sw)
		sw->start(n);
	CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < n; i++) {
		if (sw)
			sw->at(i);
		MDB_val v = vs.get(i, BIG_LEN);
		CK(mdb_put(txn, e.dbi, k.present(i), &v, 0));
		if ((i + 1) % 100 == 0 && i + 1 < n) {
			CK(mdb_txn_commit(txn));
			CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
		}
	}
	CK(mdb_txn_commit(txn));
}

Result w_fill64k(Ctx &c) {
	Result r;
	{
		Env e(c.workdir, c.cfg.mapsize);
		Stopwatch sw;
		build_big(e, c.values, c.cfg.big_values(), &sw);
		r.seconds = sw.stop();
	}
	r.ops = c.cfg.big_values();
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

Result w_read64k(Ctx &c) {
	Env e(fixture_dir(c.paths, FX_BIG), c.cfg.mapsize);
	uint64_t n = c.cfg.big_reads(), nvals = c.cfg.big_values();
	MDB_txn *txn;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	Rng rng(c.cfg.seed + 60);
	KeyBuf k;
	Result r;
	Stopwatch sw(n);
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		MDB_val data;
		CK(mdb_get(txn, e.dbi, k.present(rng.below(nvals)), &data));
		if (data.mv_size != BIG_LEN)
			die("read64k: value of %zu bytes", data.mv_size);
		// Touch one byte per 4 KiB: the value has to be really mapped in.
		const unsigned char *p = static_cast<const unsigned char *>(data.mv_data);
		for (size_t off = 0; off < BIG_LEN; off += 4096)
			r.checksum += p[off];
	}
	r.seconds = sw.stop();
	r.ops = n;
	mdb_txn_abort(txn);
	r.db_bytes = e.data_size();
	return r;
}

Result w_txn_begin_abort(Ctx &c) {
	Env e(fixture_dir(c.paths, FX_MAIN), c.cfg.mapsize);
	MDB_txn *txn;
	// First begin binds a reader slot to this thread; the loop measures the
	// steady state on a thread that already owns its slot.
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	mdb_txn_abort(txn);
	uint64_t n = c.cfg.txn_ops();
	Result r;
	Stopwatch sw(n);
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
		r.checksum += mdb_txn_id(txn);
		mdb_txn_abort(txn);
	}
	r.seconds = sw.stop();
	r.ops = n;
	r.db_bytes = e.data_size();
	return r;
}

Result w_txn_reset_renew(Ctx &c) {
	Env e(fixture_dir(c.paths, FX_MAIN), c.cfg.mapsize);
	MDB_txn *txn;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	uint64_t n = c.cfg.txn_ops();
	Result r;
	Stopwatch sw(n);
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		mdb_txn_reset(txn);
		CK(mdb_txn_renew(txn));
		r.checksum += mdb_txn_id(txn);
	}
	r.seconds = sw.stop();
	r.ops = n;
	mdb_txn_abort(txn);
	r.db_bytes = e.data_size();
	return r;
}

Result w_shortlived(Ctx &c) {
	// Many processes, one after the other: each opens the environment, writes
	// one record, closes and exits.  Measures open/lock-file/first-commit cost.
	uint64_t n = c.cfg.short_ops;
	std::fflush(nullptr);
	Stopwatch sw(n);
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		pid_t pid = fork();
		if (pid < 0)
			die("fork: %s", std::strerror(errno));
		if (pid == 0) {
			int code = 0;
			MDB_env *env;
			MDB_txn *txn;
			MDB_dbi dbi;
			KeyBuf k;
			MDB_val v = c.values.get(i, VAL_LEN);
			if (mdb_env_create(&env) || mdb_env_set_mapsize(env, size_t(1) << 30) ||
			    mdb_env_open(env, c.workdir.c_str(), 0, 0644)) {
				code = 3;
			} else {
				if (mdb_txn_begin(env, nullptr, 0, &txn) || mdb_dbi_open(txn, nullptr, 0, &dbi) ||
				    mdb_put(txn, dbi, k.present(i), &v, 0) || mdb_txn_commit(txn))
					code = 4;
				mdb_env_close(env);
			}
			_exit(code);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("short-lived child %" PRIu64 " failed (status 0x%x)", i, status);
	}
	Result r;
	r.seconds = sw.stop();
	r.ops = n;
	{
		Env e(c.workdir, size_t(1) << 30);
		MDB_txn *txn;
		MDB_stat st;
		CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
		CK(mdb_stat(txn, e.dbi, &st));
		mdb_txn_abort(txn);
		if (st.ms_entries != n)
			die("shortlived: %zu records, expected %" PRIu64, st.ms_entries, n);
	}
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

// ---- scale workloads (opt-in: --scale, or by name with --only) --------------------

// Many named databases: names "db000000".. in one environment whose maxdbs
// is just large enough.
std::string db_name(uint64_t i) {
	char b[32];
	std::snprintf(b, sizeof b, "db%06" PRIu64, i);
	return b;
}

MDB_env *open_many_env(const std::string &dir, size_t mapsize, uint64_t ndbs) {
	MDB_env *env;
	CK(mdb_env_create(&env));
	CK(mdb_env_set_mapsize(env, mapsize));
	CK(mdb_env_set_maxdbs(env, MDB_dbi(ndbs)));
	CK(mdb_env_open(env, dir.c_str(), 0, 0644));
	return env;
}

// Creates the named databases in one write transaction, one record each.
void create_many(Ctx &c, uint64_t ndbs, const std::vector<std::string> &names) {
	MDB_env *env = open_many_env(c.workdir, c.cfg.mapsize, ndbs);
	MDB_txn *txn;
	KeyBuf k;
	CK(mdb_txn_begin(env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < ndbs; i++) {
		MDB_dbi dbi;
		CK(mdb_dbi_open(txn, names[i].c_str(), MDB_CREATE, &dbi));
		MDB_val v = c.values.get(i, VAL_LEN);
		CK(mdb_put(txn, dbi, k.present(0), &v, 0));
	}
	CK(mdb_txn_commit(txn));
	mdb_env_close(env);
}

// Each pass opens the environment afresh (untimed) and then every handle,
// in random order, in one read transaction that is committed (so the
// handles stay open, as an application keeps them).
Result w_dbi_open_many(Ctx &c) {
	const uint64_t ndbs = c.cfg.many_dbs(), passes = c.cfg.dbi_passes();
	std::vector<std::string> names(ndbs);
	for (uint64_t i = 0; i < ndbs; i++)
		names[i] = db_name(i);
	create_many(c, ndbs, names);
	std::vector<uint32_t> order = permutation(ndbs, c.cfg.seed + 70);
	Result r;
	Stopwatch sw(passes * ndbs);
	for (uint64_t p = 0; p < passes; p++) {
		sw.pause();
		MDB_env *env = open_many_env(c.workdir, c.cfg.mapsize, ndbs);
		sw.resume();
		MDB_txn *txn;
		CK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn));
		for (uint64_t i = 0; i < ndbs; i++) {
			sw.at(r.ops + i);
			MDB_dbi dbi;
			CK(mdb_dbi_open(txn, names[order[i]].c_str(), 0, &dbi));
			r.checksum += dbi;
		}
		CK(mdb_txn_commit(txn));
		r.ops += ndbs;
		sw.pause();
		mdb_env_close(env);
		sw.resume();
	}
	r.seconds = sw.stop();
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

// With all handles open: each pass is one write transaction putting one
// record into every database (random order), committed, then one read
// transaction getting it back from every database.
Result w_dbi_touch_many(Ctx &c) {
	const uint64_t ndbs = c.cfg.many_dbs(), passes = c.cfg.dbi_passes();
	std::vector<std::string> names(ndbs);
	for (uint64_t i = 0; i < ndbs; i++)
		names[i] = db_name(i);
	create_many(c, ndbs, names);
	MDB_env *env = open_many_env(c.workdir, c.cfg.mapsize, ndbs);
	std::vector<MDB_dbi> dbis(ndbs);
	MDB_txn *txn;
	CK(mdb_txn_begin(env, nullptr, 0, &txn));
	for (uint64_t i = 0; i < ndbs; i++)
		CK(mdb_dbi_open(txn, names[i].c_str(), 0, &dbis[i]));
	CK(mdb_txn_commit(txn));
	std::vector<uint32_t> order = permutation(ndbs, c.cfg.seed + 71);
	KeyBuf k;
	Result r;
	Stopwatch sw(passes * ndbs);
	for (uint64_t p = 0; p < passes; p++) {
		CK(mdb_txn_begin(env, nullptr, 0, &txn));
		for (uint64_t i = 0; i < ndbs; i++) {
			sw.at(r.ops + i);
			MDB_val v = c.values.get(p + i, VAL_LEN);
			CK(mdb_put(txn, dbis[order[i]], k.present(p + 1), &v, 0));
		}
		CK(mdb_txn_commit(txn));
		CK(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn));
		for (uint64_t i = 0; i < ndbs; i++) {
			MDB_val data;
			CK(mdb_get(txn, dbis[i], k.present(p + 1), &data));
			r.checksum += data.mv_size;
		}
		mdb_txn_abort(txn);
		r.ops += ndbs;
	}
	r.seconds = sw.stop();
	if (r.checksum != passes * ndbs * VAL_LEN)
		die("dbi_touch_many: checksum %" PRIu64 ", expected %" PRIu64, r.checksum, passes * ndbs * VAL_LEN);
	mdb_env_close(env);
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

// One key ("0000000000000000") with n duplicates, 16-byte values (the
// hexadecimal form of 2*i, sorted), inserted in random order in one
// transaction.  Timed by sw if given.
void build_big_dup(Env &e, uint64_t n, uint64_t seed, Stopwatch *sw) {
	std::vector<uint32_t> order = permutation(n, seed);
	KeyBuf k, v;
	MDB_txn *txn;
	if (sw)
		sw->start(n);
	CK(mdb_txn_begin(e.env, nullptr, 0, &txn));
	MDB_val *key = k.present(0);
	for (uint64_t i = 0; i < n; i++) {
		if (sw)
			sw->at(i);
		CK(mdb_put(txn, e.dbi, key, v.present(order[i]), 0));
	}
	CK(mdb_txn_commit(txn));
}

Result w_dup_fill_1m(Ctx &c) {
	Result r;
	{
		Env e(c.workdir, c.cfg.mapsize, 0, "dup", MDB_DUPSORT);
		Stopwatch sw;
		build_big_dup(e, c.cfg.big_dups(), c.cfg.seed + 3, &sw);
		r.seconds = sw.stop();
		MDB_txn *txn;
		MDB_stat st;
		CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
		CK(mdb_stat(txn, e.dbi, &st));
		mdb_txn_abort(txn);
		if (st.ms_entries != c.cfg.big_dups())
			die("dup_fill_1m: %zu items, expected %" PRIu64, st.ms_entries, c.cfg.big_dups());
	}
	r.ops = c.cfg.big_dups();
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

// MDB_SET on the key, then MDB_NEXT_DUP over all its duplicates, 5 passes.
Result w_dup_scan_1m(Ctx &c) {
	Env e(fixture_dir(c.paths, FX_DUP1M), c.cfg.mapsize, 0, "dup", MDB_DUPSORT);
	const uint64_t n = c.cfg.big_dups(), passes = 5;
	MDB_txn *txn;
	MDB_cursor *cur;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	CK(mdb_cursor_open(txn, e.dbi, &cur));
	KeyBuf k;
	Result r;
	Stopwatch sw(passes * n);
	for (uint64_t p = 0; p < passes; p++) {
		MDB_val data;
		uint64_t count = 0;
		int rc = mdb_cursor_get(cur, k.present(0), &data, MDB_SET);
		while (rc == 0) {
			count++;
			sw.at(r.ops + count);
			r.checksum += data.mv_size + static_cast<unsigned char>(static_cast<char *>(data.mv_data)[15]);
			MDB_val key;
			rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT_DUP);
		}
		if (rc != MDB_NOTFOUND)
			die("dup scan: %s", errstr(rc));
		if (count != n)
			die("dup scan saw %" PRIu64 " duplicates, expected %" PRIu64, count, n);
		r.ops += count;
	}
	r.seconds = sw.stop();
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	r.db_bytes = e.data_size();
	return r;
}

// n cursor MDB_GET_BOTH of random present duplicates of the one key.
Result w_dup_get_1m(Ctx &c) {
	Env e(fixture_dir(c.paths, FX_DUP1M), c.cfg.mapsize, 0, "dup", MDB_DUPSORT);
	const uint64_t n = c.cfg.big_dups();
	MDB_txn *txn;
	MDB_cursor *cur;
	CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
	CK(mdb_cursor_open(txn, e.dbi, &cur));
	KeyBuf k, v;
	Rng rng(c.cfg.seed + 80);
	Result r;
	Stopwatch sw(n);
	for (uint64_t i = 0; i < n; i++) {
		sw.at(i);
		MDB_val *want = v.present(rng.below(n));
		int rc = mdb_cursor_get(cur, k.present(0), want, MDB_GET_BOTH);
		if (rc != 0)
			die("dup_get_1m: MDB_GET_BOTH: %s", errstr(rc));
		r.checksum += static_cast<unsigned char>(static_cast<char *>(want->mv_data)[15]);
	}
	r.seconds = sw.stop();
	r.ops = n;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	r.db_bytes = e.data_size();
	return r;
}

// One write transaction of 3*N random-order puts (keys as everywhere),
// committed: it dirties more pages than the dirty-page budget of a write
// transaction (upstream: 131,071 pages) from N = 1,000,000 on, so pages are
// spilled to the file before the commit.
Result w_bigtxn_spill(Ctx &c) {
	const uint64_t n = c.cfg.spill_puts();
	std::vector<uint32_t> order = permutation(n, c.cfg.seed + 90);
	Result r;
	{
		Env e(c.workdir, c.cfg.mapsize);
		Stopwatch sw(n);
		load(e, c.values, n, order, 0, 0, &sw);
		r.seconds = sw.stop();
		MDB_txn *txn;
		MDB_stat st;
		CK(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn));
		CK(mdb_stat(txn, e.dbi, &st));
		mdb_txn_abort(txn);
		if (st.ms_entries != n)
			die("bigtxn_spill: %zu records, expected %" PRIu64, st.ms_entries, n);
	}
	r.ops = n;
	r.db_bytes = file_size(c.workdir + "/data.mdb");
	return r;
}

// ---- registry ----------------------------------------------------------------------

struct Workload {
	const char *name;
	Result (*fn)(Ctx &);
	int fixture;  // -1: none
	const char *what;
	bool scale = false;  // opt-in: --scale, or named with --only
};

const Workload WORKLOADS[] = {
	{"fillseq", w_fillseq, -1, "N puts, ascending keys, one write transaction"},
	{"fillseq_batch", w_fillseq_batch, -1, "N puts, ascending keys, 1,000 per transaction"},
	{"fillrandom", w_fillrandom, -1, "N puts, random order (each key once), one transaction"},
	{"fillrandom_batch", w_fillrandom_batch, -1, "N puts, random order, 1,000 per transaction"},
	{"overwrite", w_overwrite, FX_MAIN, "N puts of random existing keys, 1,000 per transaction"},
	{"readseq", w_readseq, FX_MAIN, "cursor MDB_FIRST/MDB_NEXT over all N records, 5 passes"},
	{"readreverse", w_readreverse, FX_MAIN, "cursor MDB_LAST/MDB_PREV over all N records, 5 passes"},
	{"readrandom", w_readrandom, FX_MAIN, "N mdb_get of random present keys, one read transaction"},
	{"readmissing", w_readmissing, FX_MAIN, "N mdb_get of random absent keys (all MDB_NOTFOUND)"},
	{"seekrandom", w_seekrandom, FX_MAIN, "N cursor MDB_SET_RANGE to random absent keys"},
	{"deleterandom", w_deleterandom, FX_MAIN, "delete all N keys in random order, 1,000 per transaction"},
	{"fillsync", w_fillsync, -1, "small durable commits (one put each) on a disk directory"},
	{"append", w_append, -1, "N puts with MDB_APPEND, ascending keys, one transaction"},
	{"dupsort_fill", w_dupsort_fill, -1, "N items into an MDB_DUPSORT db, 10 values per key, random order"},
	{"dupsort_scan", w_dupsort_scan, FX_DUP, "cursor MDB_NEXT over the N dupsort items, 3 passes"},
	{"fill64k", w_fill64k, -1, "N/200 puts of 64 KiB values, ascending keys, 100 per transaction"},
	{"read64k", w_read64k, FX_BIG, "N/2 mdb_get of random 64 KiB values, touching each 4 KiB"},
	{"txn_begin_abort", w_txn_begin_abort, FX_MAIN, "10*N read-only mdb_txn_begin + mdb_txn_abort (slot already owned)"},
	{"txn_reset_renew", w_txn_reset_renew, FX_MAIN, "10*N mdb_txn_reset + mdb_txn_renew of one read txn"},
	{"shortlived", w_shortlived, -1, "processes that open the env, put one record, close, exit"},
	{"readrandom_t1", w_readrandom_t1, FX_MAIN, "N random gets shared by 1 reader thread"},
	{"readrandom_t2", w_readrandom_t2, FX_MAIN, "N random gets shared by 2 reader threads"},
	{"readrandom_t4", w_readrandom_t4, FX_MAIN, "N random gets shared by 4 reader threads"},
	{"smallcommit", w_smallcommit, FX_MAIN, "N/10 durable write txns of one put each (random existing keys), on tmpfs", true},
	{"dbi_open_many", w_dbi_open_many, -1, "N/1000 named dbs: mdb_dbi_open of each, fresh env each pass", true},
	{"dbi_touch_many", w_dbi_touch_many, -1, "N/1000 named dbs: one put (one txn) and one get in each, per pass", true},
	{"dup_fill_1m", w_dup_fill_1m, -1, "one key, N DUPSORT duplicates (16 bytes), random order, one txn", true},
	{"dup_scan_1m", w_dup_scan_1m, FX_DUP1M, "MDB_SET then MDB_NEXT_DUP over the N duplicates, 5 passes", true},
	{"dup_get_1m", w_dup_get_1m, FX_DUP1M, "N MDB_GET_BOTH of random duplicates of the one key", true},
	{"bigtxn_spill", w_bigtxn_spill, -1, "3*N random puts in one txn (spills past 131071 dirty pages)", true},
};

// ---- child process plumbing ----------------------------------------------------------

struct ChildOutcome {
	bool ok = false;
	Result result;
	std::string error;
	long maxrss_kb = 0;
	double wall = 0;
};

// Runs fn in a forked child; the child reports a Result or an error text on a pipe.
ChildOutcome run_in_child(const std::function<Result()> &fn) {
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe: %s", std::strerror(errno));
	std::fflush(nullptr);
	double t0 = now_seconds();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", std::strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		std::string msg;
		int code = 0;
		try {
			Result r = fn();
			msg.assign(1, 'R');
			msg.append(reinterpret_cast<const char *>(&r), sizeof r);
		} catch (const std::exception &ex) {
			msg = std::string("E") + ex.what();
			code = 1;
		}
		size_t off = 0;
		while (off < msg.size()) {
			ssize_t w = write(fds[1], msg.data() + off, msg.size() - off);
			if (w <= 0)
				break;
			off += static_cast<size_t>(w);
		}
		close(fds[1]);
		_exit(code);
	}
	close(fds[1]);
	std::string msg;
	char buf[4096];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof buf)) > 0)
		msg.append(buf, static_cast<size_t>(n));
	close(fds[0]);
	int status = 0;
	struct rusage ru;
	std::memset(&ru, 0, sizeof ru);
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
	}
	ChildOutcome out;
	out.wall = now_seconds() - t0;
	out.maxrss_kb = ru.ru_maxrss;
	if (!msg.empty() && msg[0] == 'R' && msg.size() == 1 + sizeof(Result) && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		std::memcpy(&out.result, msg.data() + 1, sizeof(Result));
		out.ok = true;
	} else if (!msg.empty() && msg[0] == 'E') {
		out.error = msg.substr(1);
	} else if (WIFSIGNALED(status)) {
		out.error = "child killed by signal " + std::to_string(WTERMSIG(status));
	} else {
		out.error = "child exited with status " + std::to_string(WEXITSTATUS(status));
	}
	return out;
}

// ---- command line ---------------------------------------------------------------------

void usage(FILE *f) {
	std::fprintf(f,
	             "usage: lmdb_bench [options]\n"
	             "  --keys N        records per workload (default 1000000; --quick: 10000)\n"
	             "  --quick         small sizes, for a smoke test\n"
	             "  --only A,B,...  run only these workloads (see --list); 'scale' names all\n"
	             "                  the scale workloads\n"
	             "  --scale         run the scale workloads too (without --only they are left out)\n"
	             "  --list          print the workloads and exit ([scale]: a scale workload)\n"
	             "  --dir PATH      base directory for the databases (default /dev/shm, tmpfs)\n"
	             "  --disk-dir PATH base directory for fillsync (default /var/tmp, a real disk)\n"
	             "  --sync-ops N    commits in fillsync (default 10000; --quick: 100)\n"
	             "  --short-ops N   processes in shortlived (default 3000; --quick: 50)\n"
	             "  --point-ops N   lookups of readrandom, readmissing, seekrandom (default: --keys)\n"
	             "  --mapsize BYTES map size (default 32 GiB; --quick: 1 GiB)\n"
	             "  --seed N        seed of the key sequences (default 42)\n"
	             "  --reps N        run each workload N times, each in a fresh process (default 1)\n"
	             "  --fixtures DIR  keep the read fixtures in DIR and reuse them in later runs\n"
	             "                  (rebuilt when the library, --keys or --seed differ)\n"
	             "  --shared-fixtures  reuse a fixture whichever library built it\n"
	             "  --fixtures-only build (or find current) the selected workloads' fixtures,\n"
	             "                  then stop without running the workloads\n"
	             "  --baton R,W     take turns with a partner process (bench/compare): timed\n"
	             "                  parts run in 64 slices, handing over between slices by\n"
	             "                  reading 'g' from descriptor R and writing 'r'/'d' to W\n"
	             "The library is whichever liblmdb.so.0 the dynamic loader picks:\n"
	             "set LD_LIBRARY_PATH to choose.  Output: JSON lines on stdout.\n");
}

uint64_t parse_u64(const char *opt, const char *s) {
	char *end;
	errno = 0;
	unsigned long long v = std::strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		std::fprintf(stderr, "lmdb_bench: bad number for %s: %s\n", opt, s);
		std::exit(2);
	}
	return v;
}

bool known_workload(const std::string &name) {
	for (const auto &w : WORKLOADS)
		if (name == w.name)
			return true;
	return false;
}

Config parse_args(int argc, char **argv) {
	Config c;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto value = [&]() -> const char * {
			if (i + 1 >= argc) {
				std::fprintf(stderr, "lmdb_bench: %s needs a value\n", a.c_str());
				std::exit(2);
			}
			return argv[++i];
		};
		if (a == "--keys") {
			c.keys = parse_u64("--keys", value());
			c.keys_given = true;
		} else if (a == "--quick") {
			c.quick = true;
		} else if (a == "--scale") {
			c.scale = true;
		} else if (a == "--only") {
			std::string list = value();
			size_t pos = 0;
			while (pos <= list.size()) {
				size_t comma = list.find(',', pos);
				if (comma == std::string::npos)
					comma = list.size();
				std::string name = list.substr(pos, comma - pos);
				if (name == "scale") {  // the group: every scale workload
					for (const auto &w : WORKLOADS)
						if (w.scale)
							c.only.push_back(w.name);
				} else if (!name.empty()) {
					if (!known_workload(name)) {
						std::fprintf(stderr, "lmdb_bench: unknown workload '%s' (see --list)\n", name.c_str());
						std::exit(2);
					}
					c.only.push_back(name);
				}
				pos = comma + 1;
			}
		} else if (a == "--list") {
			for (const auto &w : WORKLOADS)
				std::printf("%-18s %s%s\n", w.name, w.scale ? "[scale] " : "", w.what);
			std::exit(0);
		} else if (a == "--dir") {
			c.shm_base = value();
		} else if (a == "--disk-dir") {
			c.disk_base = value();
		} else if (a == "--sync-ops") {
			c.sync_ops = parse_u64("--sync-ops", value());
			c.sync_given = true;
		} else if (a == "--point-ops") {
			c.point_ops = parse_u64("--point-ops", value());
		} else if (a == "--short-ops") {
			c.short_ops = parse_u64("--short-ops", value());
			c.short_given = true;
		} else if (a == "--mapsize") {
			c.mapsize = parse_u64("--mapsize", value());
			c.mapsize_given = true;
		} else if (a == "--seed") {
			c.seed = parse_u64("--seed", value());
		} else if (a == "--fixtures") {
			c.fixtures = value();
		} else if (a == "--shared-fixtures") {
			c.shared_fixtures = true;
		} else if (a == "--fixtures-only") {
			c.fixtures_only = true;
		} else if (a == "--baton") {
			int rfd = -1, wfd = -1;
			if (std::sscanf(value(), "%d,%d", &rfd, &wfd) != 2 || rfd < 0 || wfd < 0 ||
			    fcntl(rfd, F_GETFD) < 0 || fcntl(wfd, F_GETFD) < 0) {
				std::fprintf(stderr, "lmdb_bench: --baton needs two open descriptors, R,W\n");
				std::exit(2);
			}
			baton.attach(rfd, wfd);
		} else if (a == "--reps") {
			uint64_t n = parse_u64("--reps", value());
			if (n < 1 || n > 1000) {
				std::fprintf(stderr, "lmdb_bench: --reps must be in 1..1000\n");
				std::exit(2);
			}
			c.reps = unsigned(n);
		} else if (a == "-h" || a == "--help") {
			usage(stdout);
			std::exit(0);
		} else {
			std::fprintf(stderr, "lmdb_bench: unknown option %s\n", a.c_str());
			usage(stderr);
			std::exit(2);
		}
	}
	if (c.quick) {
		if (!c.keys_given)
			c.keys = 10000;
		if (!c.sync_given)
			c.sync_ops = 100;
		if (!c.short_given)
			c.short_ops = 50;
		if (!c.mapsize_given)
			c.mapsize = size_t(1) << 30;
	}
	if (c.keys < 1 || c.keys > 1000000000ULL) {
		std::fprintf(stderr, "lmdb_bench: --keys must be in 1..1000000000\n");
		std::exit(2);
	}
	return c;
}

bool selected(const Config &c, const Workload &w) {
	if (c.only.empty())
		return !w.scale || c.scale;
	return std::find(c.only.begin(), c.only.end(), w.name) != c.only.end();
}

// The file the loader gave us for liblmdb.so.0 as it named it, and its real
// path; "?" where unknown.
std::string library_path() {
	Dl_info info;
	std::memset(&info, 0, sizeof info);
	if (dladdr(reinterpret_cast<void *>(&mdb_version), &info) && info.dli_fname)
		return info.dli_fname;
	return "?";
}
std::string library_realpath(const std::string &path) {
	char buf[PATH_MAX];
	return path != "?" && realpath(path.c_str(), buf) ? std::string(buf) : std::string("?");
}

// The "library" record: what the loader actually gave us.
// Returns the library's real path.
std::string print_library(const Config &c) {
	int major = -1, minor = -1, patch = -1;
	const char *ver = mdb_version(&major, &minor, &patch);
	std::string path = library_path(), real = library_realpath(path);
	std::printf("{\"type\":\"library\",\"version\":\"%s\",\"major\":%d,\"minor\":%d,\"patch\":%d,"
	            "\"path\":\"%s\",\"realpath\":\"%s\",\"keys\":%" PRIu64 ",\"quick\":%s,"
	            "\"dir\":\"%s\",\"dir_tmpfs\":%s,\"disk_dir\":\"%s\",\"disk_dir_tmpfs\":%s,"
	            "\"pid\":%d}\n",
	            json_escape(ver ? ver : "").c_str(), major, minor, patch, json_escape(path).c_str(),
	            json_escape(real).c_str(), c.keys, c.quick ? "true" : "false",
	            json_escape(c.shm_base).c_str(), is_tmpfs(c.shm_base) ? "true" : "false",
	            json_escape(c.disk_base).c_str(), is_tmpfs(c.disk_base) ? "true" : "false",
	            static_cast<int>(getpid()));
	std::fflush(stdout);
	return real;
}

}  // namespace

int main(int argc, char **argv) {
	Config cfg = parse_args(argc, argv);
	const std::string library_file = print_library(cfg);
	if (!is_tmpfs(cfg.shm_base))
		std::fprintf(stderr, "lmdb_bench: warning: %s is not tmpfs\n", cfg.shm_base.c_str());

	Paths paths;
	std::string tag = "/lmdb_bench." + std::to_string(getpid());
	paths.shm = cfg.shm_base + tag;
	paths.disk = cfg.disk_base + tag;
	paths.fixtures = cfg.fixtures.empty() ? paths.shm : cfg.fixtures;
	const std::string library = file_digest(library_file);
	int failures = 0;
	double t_start = now_seconds();
	try {
		make_dir(paths.shm);
		make_dir(paths.disk);
		if (!cfg.fixtures.empty())
			make_dir(paths.fixtures);
		// The value block is made before any fork, so children share it.
		ValueSource values(BIG_LEN);
		bool built[FX_COUNT] = {};
		bool broken[FX_COUNT] = {};
		for (const auto &w : WORKLOADS) {
			if (!selected(cfg, w))
				continue;
			if (w.fixture >= 0) {
				Fixture f = static_cast<Fixture>(w.fixture);
				std::string stamp = fixture_stamp(cfg, library, f);
				if (!built[f] && !cfg.fixtures.empty() && fixture_current(paths, f, stamp)) {
					built[f] = true;
					std::printf("{\"type\":\"fixture\",\"name\":\"%s\",\"reused\":true}\n", fixture_name[f]);
				}
				if (!built[f] && !broken[f]) {
					ChildOutcome o = run_in_child([&]() -> Result {
						build_fixture(cfg, paths, values, f);
						return Result{};
					});
					if (o.ok) {
						built[f] = true;
						if (!cfg.fixtures.empty())
							write_stamp(paths, f, stamp);
						std::printf("{\"type\":\"fixture\",\"name\":\"%s\",\"wall_seconds\":%.3f,\"peak_rss_kb\":%ld}\n",
						            fixture_name[f], o.wall, o.maxrss_kb);
					} else {
						broken[f] = true;
						std::printf("{\"type\":\"error\",\"workload\":\"fixture_%s\",\"message\":\"%s\"}\n",
						            fixture_name[f], json_escape(o.error).c_str());
						failures++;
					}
				}
				if (!built[f]) {
					std::printf("{\"type\":\"error\",\"workload\":\"%s\",\"message\":\"fixture %s unavailable\"}\n",
					            w.name, fixture_name[f]);
					failures++;
					for (unsigned rep = 1; rep <= cfg.reps; rep++)
						baton.skipped();
					continue;
				}
			}
			if (cfg.fixtures_only)
				continue;
			// Each repetition in a fresh child process, with a fresh work
			// directory: the same run as the first, not a warmed-up one.
			for (unsigned rep = 1; rep <= cfg.reps; rep++) {
				std::string workdir = paths.shm + "/w_" + w.name;
				remove_tree(workdir);
				make_dir(workdir);
				Ctx ctx{cfg, paths, values, workdir};
				ChildOutcome o = run_in_child([&]() {
					// Done, also when the workload throws: the partner must not wait.
					struct Finish {
						~Finish() { baton.finish(); }
					} finish;
					return w.fn(ctx);
				});
				remove_tree(workdir);
				if (o.ok) {
					const Result &r = o.result;
					double secs = r.seconds > 0 ? r.seconds : 1e-9;
					std::printf("{\"type\":\"result\",\"workload\":\"%s\",\"rep\":%u,\"ops\":%" PRIu64
					            ",\"seconds\":%.6f,\"ops_per_sec\":%.1f,\"ns_per_op\":%.1f,\"db_bytes\":%" PRIu64
					            ",\"peak_rss_kb\":%ld,\"wall_seconds\":%.3f,\"checksum\":%" PRIu64 "}\n",
					            w.name, rep, r.ops, r.seconds, static_cast<double>(r.ops) / secs,
					            secs * 1e9 / static_cast<double>(r.ops ? r.ops : 1), r.db_bytes, o.maxrss_kb,
					            o.wall, r.checksum);
				} else {
					std::printf("{\"type\":\"error\",\"workload\":\"%s\",\"message\":\"%s\"}\n", w.name,
					            json_escape(o.error).c_str());
					failures++;
				}
				std::fflush(stdout);
			}
		}
	} catch (const std::exception &ex) {
		std::printf("{\"type\":\"error\",\"workload\":\"\",\"message\":\"%s\"}\n", json_escape(ex.what()).c_str());
		failures++;
	}
	remove_tree(paths.shm);
	remove_tree(paths.disk);
	std::printf("{\"type\":\"done\",\"failures\":%d,\"seconds\":%.3f}\n", failures, now_seconds() - t_start);
	return failures ? 1 : 0;
}
