// The reference environment and the exercise run over possibly hostile
// files (see exercise.h).
#include "exercise.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "lmdb.h"

namespace hostile {

const char *const kDbNames[kNumDbs] = {"tree", "big", "dups", "fixed", "ints"};

namespace {

constexpr unsigned kTreeKeys = 400, kTreeExtra = 30;
constexpr unsigned kBigKeys = 10;
constexpr unsigned kDupKeys = 40, kDupsEach = 3, kDupBig = 300;
constexpr unsigned kFixKeys = 20, kFixEach = 4, kFixBig = 1200;
constexpr unsigned kIntKeys = 600;
constexpr size_t kMapSize = size_t(16) << 20;

std::string tree_key(unsigned i) {
	char b[16];
	std::snprintf(b, sizeof b, "t%05u", i);
	std::string s(b);
	s.resize(200, char('a' + i % 26));
	return s;
}
std::string tree_val(unsigned i, unsigned gen) {
	char b[48];
	std::snprintf(b, sizeof b, "value-%05u-gen%u-", i, gen);
	std::string s(b);
	s.resize(40, '.');
	return s;
}
std::string big_key(unsigned i) {
	char b[8];
	std::snprintf(b, sizeof b, "b%02u", i);
	return b;
}
std::string big_val(unsigned i, unsigned gen) {
	size_t n = (i % 2) ? 20 : 2500 + i * 1800 + gen * 900;
	// Byte k is 'A' + (7k + i + gen) mod 26: one period of 26 bytes, repeated
	// (the fuzzer calls this for megabytes per input).
	char period[26];
	for (size_t k = 0; k < 26; k++) period[k] = char('A' + (k * 7 + i + gen) % 26);
	std::string s;
	s.reserve(n);
	while (s.size() < n) s.append(period, std::min<size_t>(26, n - s.size()));
	return s;
}
std::string dup_key(unsigned i) {
	char b[8];
	std::snprintf(b, sizeof b, "d%03u", i);
	return b;
}
std::string dup_val(unsigned i, unsigned j) {
	char b[24];
	std::snprintf(b, sizeof b, "x%03u-%03u", i, j);
	return b;
}
std::string bigdup_val(unsigned j) {
	char b[40];
	std::snprintf(b, sizeof b, "dupval-%05u-", j);
	std::string s(b);
	s.resize(32, 'z');
	return s;
}
std::string int_key(unsigned i) {
	uint64_t x = uint64_t(i) * 7 + 3;
	return std::string(reinterpret_cast<const char *>(&x), sizeof x);
}
std::string fix_key(unsigned i) {
	char b[8];
	std::snprintf(b, sizeof b, "f%02u", i);
	return b;
}

MDB_val V(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }

unsigned db_flags(unsigned which) {
	switch (which) {
	case 2: return MDB_DUPSORT;
	case 3: return MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP;
	case 4: return MDB_INTEGERKEY;
	default: return 0;
	}
}

#define CHECK_RC(expr)              \
	do {                            \
		int rc_ = (expr);           \
		if (rc_) return rc_;        \
	} while (0)

}  // namespace

int build_reference(const std::string &dir) {
	MDB_env *env = nullptr;
	MDB_txn *txn = nullptr, *reader = nullptr;
	MDB_dbi dbi[kNumDbs];
	CHECK_RC(mdb_env_create(&env));
	struct Closer {
		MDB_env *&e;
		MDB_txn *&r;
		~Closer() {
			if (r) mdb_txn_abort(r);
			mdb_env_close(e);
		}
	} closer{env, reader};
	CHECK_RC(mdb_env_set_maxdbs(env, 8));
	CHECK_RC(mdb_env_set_mapsize(env, kMapSize));
	CHECK_RC(mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0644));

	// txn 1: everything.
	CHECK_RC(mdb_txn_begin(env, nullptr, 0, &txn));
	for (unsigned d = 0; d < kNumDbs; d++) {
		int rc = mdb_dbi_open(txn, kDbNames[d], MDB_CREATE | db_flags(d), &dbi[d]);
		if (rc) {
			mdb_txn_abort(txn);
			return rc;
		}
	}
	auto put = [&](MDB_dbi db, MDB_val k, MDB_val v) { return mdb_put(txn, db, &k, &v, 0); };
	int rc = 0;
	for (unsigned i = 0; i < kTreeKeys && !rc; i++) rc = put(dbi[0], V(tree_key(i)), V(tree_val(i, 0)));
	for (unsigned i = 0; i < kBigKeys && !rc; i++) rc = put(dbi[1], V(big_key(i)), V(big_val(i, 0)));
	for (unsigned i = 0; i < kDupKeys && !rc; i++)
		for (unsigned j = 0; j < kDupsEach && !rc; j++) rc = put(dbi[2], V(dup_key(i)), V(dup_val(i, j)));
	for (unsigned j = 0; j < kDupBig && !rc; j++) rc = put(dbi[2], V("D0"), V(bigdup_val(j)));
	for (unsigned j = 0; j < kDupBig && !rc; j++) rc = put(dbi[2], V("D1"), V(bigdup_val(j)));
	for (unsigned i = 0; i < kFixKeys && !rc; i++) {
		for (unsigned j = 0; j < kFixEach && !rc; j++) {
			uint64_t x = uint64_t(i) * 1000 + j;
			rc = put(dbi[3], V(fix_key(i)), MDB_val{sizeof x, &x});
		}
	}
	for (unsigned j = 0; j < kFixBig && !rc; j++) {
		uint64_t x = uint64_t(j) * 3;
		rc = put(dbi[3], V("F"), MDB_val{sizeof x, &x});
	}
	for (unsigned i = 0; i < kIntKeys && !rc; i++) rc = put(dbi[4], V(int_key(i)), V(tree_val(i, 2) + tree_val(i, 3)));
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	CHECK_RC(mdb_txn_commit(txn));

	// A reader keeps the pages freed below from being reused, so the free
	// db ends up with several records.
	CHECK_RC(mdb_txn_begin(env, nullptr, MDB_RDONLY, &reader));

	CHECK_RC(mdb_txn_begin(env, nullptr, 0, &txn));
	for (unsigned i = 3; i < kTreeKeys && !rc; i += 7) {
		std::string ks = tree_key(i);
		MDB_val k = V(ks);
		rc = mdb_del(txn, dbi[0], &k, nullptr);
	}
	for (unsigned i = 0; i < kBigKeys && !rc; i += 2) rc = put(dbi[1], V(big_key(i)), V(big_val(i, 1)));
	for (unsigned j = 250; j < kDupBig && !rc; j++) {
		std::string ks = "D1", vs = bigdup_val(j);
		MDB_val k = V(ks), v = V(vs);
		rc = mdb_del(txn, dbi[2], &k, &v);
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	CHECK_RC(mdb_txn_commit(txn));

	CHECK_RC(mdb_txn_begin(env, nullptr, 0, &txn));
	for (unsigned i = kTreeKeys; i < kTreeKeys + kTreeExtra && !rc; i++)
		rc = put(dbi[0], V(tree_key(i)), V(tree_val(i, 1)));
	if (!rc) {
		std::string ks = fix_key(5);
		MDB_val k = V(ks);
		rc = mdb_del(txn, dbi[3], &k, nullptr);
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	CHECK_RC(mdb_txn_commit(txn));

	CHECK_RC(mdb_txn_begin(env, nullptr, 0, &txn));
	for (unsigned i = 5; i < kTreeKeys && !rc; i += 11) {
		std::string ks = tree_key(i);
		MDB_val k = V(ks);
		rc = mdb_del(txn, dbi[0], &k, nullptr);
		if (rc == MDB_NOTFOUND) rc = 0;
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	CHECK_RC(mdb_txn_commit(txn));
	return MDB_SUCCESS;
}

// ---- the exercise ------------------------------------------------------------

int category_of(int rc) {
	switch (rc) {
	case MDB_SUCCESS: return kSuccess;
	case MDB_NOTFOUND: return kNotFound;
	case MDB_CORRUPTED: return kCorrupted;
	case MDB_PAGE_NOTFOUND: return kPageNotFound;
	case MDB_INVALID: return kInvalid;
	case MDB_VERSION_MISMATCH: return kVersionMismatch;
	case MDB_CURSOR_FULL: return kCursorFull;
	case MDB_BAD_TXN: return kBadTxn;
	case MDB_INCOMPATIBLE: return kIncompatible;
	case MDB_BAD_DBI: return kBadDbi;
	case MDB_MAP_FULL: return kMapFull;
	case MDB_MAP_RESIZED: return kMapResized;
	case MDB_BAD_VALSIZE: return kBadValSize;
	case MDB_KEYEXIST: return kKeyExist;
	case ENOMEM: return kNoMem;
	case MDB_TXN_FULL: return kTxnFull;
	case MDB_PAGE_FULL: return kPageFull;
	default: return -1;
	}
}

namespace {

class Runner {
public:
	Runner(const Plan &plan, Outcome *out) : plan_(plan), out_(out) {}

	// Record rc of operation `op`; returns rc.
	int note(int rc, const char *op, bool os_errors_ok = false) {
		int c = category_of(rc);
		if (c < 0 && os_errors_ok && rc > 0) c = kOsError;
		if (c < 0) {
			if (!out_->unexpected_rc) {
				out_->unexpected_rc = rc;
				std::snprintf(out_->unexpected_op, sizeof out_->unexpected_op, "%s", op);
			}
		} else {
			out_->seen |= 1u << c;
		}
		return rc;
	}

	void run(const std::string &dir) {
		MDB_env *env = nullptr;
		if (note(mdb_env_create(&env), "env_create")) return;
		mdb_env_set_maxdbs(env, 8);
		int rc = note(mdb_env_open(env, dir.c_str(), plan_.env_flags | MDB_NOSYNC, 0644), "env_open", true);
		out_->open_rc = rc;
		if (rc) {
			mdb_env_close(env);
			out_->done = true;
			return;
		}
		env_ = env;
		MDB_stat st;
		MDB_envinfo info;
		note(mdb_env_stat(env, &st), "env_stat");
		note(mdb_env_info(env, &info), "env_info");

		read_all();
		if (plan_.copies && plan_.copy_dir) copies();
		if (!(plan_.env_flags & MDB_RDONLY) && plan_.writes) {
			write_all();
			if (plan_.rescan) read_all();
		}
		mdb_env_close(env);
		env_ = nullptr;
		out_->done = true;
	}

private:
	const Plan &plan_;
	Outcome *out_;
	MDB_env *env_ = nullptr;

	// A fresh read txn with the db `name` (nullptr: main) open.
	int begin_read(const char *name, MDB_txn **txn, MDB_dbi *dbi) {
		int rc = note(mdb_txn_begin(env_, nullptr, MDB_RDONLY, txn), "txn_begin(ro)");
		if (rc) return rc;
		rc = note(mdb_dbi_open(*txn, name, 0, dbi), "dbi_open(ro)");
		if (rc) {
			mdb_txn_abort(*txn);
			return rc;
		}
		return 0;
	}

	void scan(MDB_txn *txn, MDB_dbi dbi, MDB_cursor_op first, MDB_cursor_op next,
	          std::vector<std::string> *keys, const char *what) {
		MDB_cursor *c;
		if (note(mdb_cursor_open(txn, dbi, &c), "cursor_open")) return;
		MDB_val k, v;
		int rc = note(mdb_cursor_get(c, &k, &v, first), what);
		unsigned n = 0;
		while (rc == 0 && n++ < plan_.scan_cap) {
			out_->items++;
			if (keys && keys->size() < 2000 && (keys->empty() || keys->back().size() != k.mv_size ||
			                                    std::memcmp(keys->back().data(), k.mv_data, k.mv_size)))
				keys->emplace_back(static_cast<char *>(k.mv_data), k.mv_size);
			// Touch the bytes so that a bad pointer shows up here.
			volatile unsigned char sink = 0;
			if (v.mv_size) sink = sink + static_cast<unsigned char *>(v.mv_data)[v.mv_size - 1];
			if (k.mv_size) sink = sink + static_cast<unsigned char *>(k.mv_data)[k.mv_size - 1];
			if (next == MDB_NEXT_NODUP || next == MDB_PREV_NODUP) {
				size_t cnt;
				note(mdb_cursor_count(c, &cnt), "cursor_count");
			}
			rc = note(mdb_cursor_get(c, &k, &v, next), what);
		}
		mdb_cursor_close(c);
	}

	void read_db(const char *name, unsigned flags, const std::vector<std::string> &expected) {
		MDB_txn *txn;
		MDB_dbi dbi;
		std::vector<std::string> keys;
		if (begin_read(name, &txn, &dbi)) return;
		MDB_stat st;
		note(mdb_stat(txn, dbi, &st), "stat");
		unsigned dbf = 0;
		note(mdb_dbi_flags(txn, dbi, &dbf), "dbi_flags");
		scan(txn, dbi, MDB_FIRST, MDB_NEXT, &keys, "scan next");
		mdb_txn_abort(txn);

		if (plan_.backwards) {
			if (begin_read(name, &txn, &dbi)) return;
			scan(txn, dbi, MDB_LAST, MDB_PREV, nullptr, "scan prev");
			mdb_txn_abort(txn);
			if (flags & MDB_DUPSORT) {
				if (begin_read(name, &txn, &dbi)) return;
				scan(txn, dbi, MDB_FIRST, MDB_NEXT_NODUP, nullptr, "scan nodup");
				mdb_txn_abort(txn);
			}
		}
		if (flags & MDB_DUPFIXED) {
			if (begin_read(name, &txn, &dbi)) return;
			MDB_cursor *c;
			if (!note(mdb_cursor_open(txn, dbi, &c), "cursor_open")) {
				MDB_val k, v;
				int rc = note(mdb_cursor_get(c, &k, &v, MDB_FIRST), "multi first");
				unsigned n = 0;
				while (rc == 0 && n++ < plan_.scan_cap) {
					rc = note(mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE), "get multiple");
					if (rc) break;
					volatile unsigned char sink = 0;
					if (v.mv_size) sink = sink + static_cast<unsigned char *>(v.mv_data)[v.mv_size - 1];
					rc = note(mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE), "next multiple");
					if (rc == MDB_NOTFOUND) rc = note(mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP), "multi nodup");
				}
				mdb_cursor_close(c);
			}
			mdb_txn_abort(txn);
		}

		// Point reads: everything the scan delivered and everything the
		// reference ever stored.  A fresh txn each time an error blocks one.
		if (begin_read(name, &txn, &dbi)) return;
		auto get_all = [&](const std::vector<std::string> &list) {
			for (const std::string &s : list) {
				MDB_val k{s.size(), const_cast<char *>(s.data())}, v;
				int rc = note(mdb_get(txn, dbi, &k, &v), "get");
				if (rc == 0 && v.mv_size) {
					volatile unsigned char sink = static_cast<unsigned char *>(v.mv_data)[v.mv_size - 1];
					(void)sink;
				}
				if (rc && rc != MDB_NOTFOUND) {
					mdb_txn_abort(txn);
					if (begin_read(name, &txn, &dbi)) {
						txn = nullptr;
						return;
					}
				}
			}
		};
		get_all(keys);
		if (txn) {
			std::set<std::string> seen(keys.begin(), keys.end());
			std::vector<std::string> rest;
			for (const std::string &s : expected)
				if (!seen.count(s)) rest.push_back(s);
			get_all(rest);
		}
		if (txn && plan_.backwards) {
			MDB_cursor *c;
			if (!note(mdb_cursor_open(txn, dbi, &c), "cursor_open")) {
				for (size_t i = 0; i < expected.size(); i += 5) {
					MDB_val k{expected[i].size(), const_cast<char *>(expected[i].data())}, v;
					int rc = note(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE), "set_range");
					if (rc == 0) rc = note(mdb_cursor_get(c, &k, &v, MDB_NEXT), "next after range");
					if (rc == 0) rc = note(mdb_cursor_get(c, &k, &v, MDB_PREV), "prev after range");
					if (rc == 0 && (flags & MDB_DUPSORT)) {
						note(mdb_cursor_get(c, &k, &v, MDB_LAST_DUP), "last_dup");
						note(mdb_cursor_get(c, &k, &v, MDB_FIRST_DUP), "first_dup");
						note(mdb_cursor_get(c, &k, &v, MDB_GET_BOTH), "get_both");
					}
					if (rc && rc != MDB_NOTFOUND) break;
				}
				mdb_cursor_close(c);
			}
		}
		if (txn) mdb_txn_abort(txn);
	}

	// Built once per process: the fuzzer calls read_all ~1,000 times a
	// second, and building these lists took a fifth of its time.
	static const std::vector<std::string> &expected_keys(unsigned which) {
		static const std::vector<std::string> lists[kNumDbs] = {make_keys(0), make_keys(1), make_keys(2),
		                                                        make_keys(3), make_keys(4)};
		return lists[which];
	}
	static std::vector<std::string> make_keys(unsigned which) {
		std::vector<std::string> v;
		switch (which) {
		case 0:
			for (unsigned i = 0; i < kTreeKeys + kTreeExtra; i++) v.push_back(tree_key(i));
			break;
		case 1:
			for (unsigned i = 0; i < kBigKeys; i++) v.push_back(big_key(i));
			break;
		case 2:
			for (unsigned i = 0; i < kDupKeys; i++) v.push_back(dup_key(i));
			v.push_back("D0");
			v.push_back("D1");
			break;
		case 3:
			for (unsigned i = 0; i < kFixKeys; i++) v.push_back(fix_key(i));
			v.push_back("F");
			break;
		case 4:
			for (unsigned i = 0; i < kIntKeys; i++) v.push_back(int_key(i));
			break;
		}
		return v;
	}

	void read_all() {
		std::vector<std::string> names;
		for (const char *n : kDbNames) names.push_back(n);
		names.push_back("missing");
		read_db(nullptr, 0, names);
		for (unsigned d = 0; d < kNumDbs; d++) read_db(kDbNames[d], db_flags(d), expected_keys(d));
		read_db("missing", 0, {});
	}

	// One write txn per db: puts between existing keys, overwrites, deletes.
	void write_db(unsigned which) {
		MDB_txn *txn;
		if (note(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin(rw)")) return;
		MDB_dbi dbi;
		if (note(mdb_dbi_open(txn, kDbNames[which], 0, &dbi), "dbi_open(rw)")) {
			mdb_txn_abort(txn);
			return;
		}
		auto put = [&](const std::string &k, const std::string &v, unsigned fl, const char *what) {
			MDB_val kk = V(k), vv = V(v);
			return note(mdb_put(txn, dbi, &kk, &vv, fl), what);
		};
		auto del = [&](const std::string &k, const std::string *v, const char *what) {
			MDB_val kk = V(k), vv;
			if (v) vv = V(*v);
			return note(mdb_del(txn, dbi, &kk, v ? &vv : nullptr), what);
		};
		int rc = 0;
		auto ok = [&](int r) {
			if (r && r != MDB_NOTFOUND && r != MDB_KEYEXIST) rc = r;
			return rc == 0;
		};
		switch (which) {
		case 0:
			for (unsigned i = 0; i < kTreeKeys + kTreeExtra && ok(0); i += 3) {
				if (i % 2)
					ok(del(tree_key(i), nullptr, "del tree"));
				else
					ok(put(tree_key(i), tree_val(i, 7), 0, "put tree"));
				std::string k = tree_key(i);
				k[6] = '~';  // sorts after key i
				ok(put(k, "new", 0, "put tree new"));
			}
			break;
		case 1:
			for (unsigned i = 0; i < kBigKeys && ok(0); i++) {
				if (i % 3 == 0)
					ok(del(big_key(i), nullptr, "del big"));
				else
					ok(put(big_key(i), big_val(i + 1, 3), 0, "put big"));
			}
			ok(put("b99", big_val(2, 5), 0, "put big new"));
			break;
		case 2:
			for (unsigned i = 0; i < kDupKeys && ok(0); i += 2) {
				std::string v = dup_val(i, 1);
				ok(del(dup_key(i), &v, "del dup"));
				ok(put(dup_key(i), dup_val(i, 50), 0, "put dup"));
				if (i % 8 == 0) ok(del(dup_key(i + 1), nullptr, "del dupkey"));
			}
			for (unsigned j = 0; j < kDupBig && ok(0); j += 4) {
				std::string v = bigdup_val(j);
				ok(del("D0", &v, "del bigdup"));
				ok(put("D1", bigdup_val(j + 1000), 0, "put bigdup"));
			}
			ok(del("D1", nullptr, "del D1"));
			break;
		case 3: {
			MDB_val kk, vv;
			for (unsigned i = 0; i < kFixKeys && ok(0); i += 3) {
				uint64_t x = uint64_t(i) * 1000 + 77;
				std::string k = fix_key(i);
				kk = V(k);
				vv = MDB_val{sizeof x, &x};
				ok(note(mdb_put(txn, dbi, &kk, &vv, 0), "put fixed"));
				x = uint64_t(i) * 1000 + 1;
				vv = MDB_val{sizeof x, &x};
				ok(note(mdb_del(txn, dbi, &kk, &vv), "del fixed"));
			}
			for (unsigned j = 0; j < kFixBig && ok(0); j += 9) {
				uint64_t x = uint64_t(j) * 3;
				kk = MDB_val{1, const_cast<char *>("F")};
				vv = MDB_val{sizeof x, &x};
				ok(note(mdb_del(txn, dbi, &kk, &vv), "del F"));
			}
			break;
		}
		case 4:
			for (unsigned i = 0; i < kIntKeys && ok(0); i += 5) {
				if (i % 2)
					ok(del(int_key(i), nullptr, "del int"));
				else
					ok(put(int_key(i + 1000), tree_val(i, 9), 0, "put int"));
			}
			break;
		}
		if (rc) {
			mdb_txn_abort(txn);
			return;
		}
		out_->commit_rc = note(mdb_txn_commit(txn), "commit");
	}

	void write_all() {
		for (unsigned d = 0; d < kNumDbs; d++) write_db(d);
		// Drop one db entirely (walks every page of it) and create another.
		MDB_txn *txn;
		if (note(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin(rw)")) return;
		MDB_dbi dbi, nd;
		int rc = note(mdb_dbi_open(txn, kDbNames[2], 0, &dbi), "dbi_open(rw)");
		if (!rc) rc = note(mdb_drop(txn, dbi, 1), "drop");
		if (!rc) rc = note(mdb_dbi_open(txn, "created", MDB_CREATE, &nd), "dbi_open(create)");
		for (unsigned i = 0; i < 50 && !rc; i++) {
			std::string k = tree_key(i), v = big_val(i, 0);
			MDB_val kk = V(k), vv = V(v);
			rc = note(mdb_put(txn, nd, &kk, &vv, 0), "put created");
		}
		if (!rc)
			out_->commit_rc = note(mdb_txn_commit(txn), "commit");
		else
			mdb_txn_abort(txn);
	}

	void copies() {
		std::string d1 = std::string(plan_.copy_dir) + "/plain";
		std::string d2 = std::string(plan_.copy_dir) + "/compact";
		for (const std::string &d : {d1, d2}) {
			std::string f = d + "/data.mdb";
			::unlink(f.c_str());
			::mkdir(d.c_str(), 0755);
		}
		out_->copy_rc = note(mdb_env_copy2(env_, d1.c_str(), 0), "copy");
		out_->compact_rc = note(mdb_env_copy2(env_, d2.c_str(), MDB_CP_COMPACT), "copy compact");
	}
};

}  // namespace

void exercise(const std::string &dir, const Plan &plan, Outcome *out) {
	Runner r(plan, out);
	r.run(dir);
}

}  // namespace hostile
