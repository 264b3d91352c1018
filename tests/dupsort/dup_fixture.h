// A small environment for the DUPSORT cursor tests: one write transaction,
// one named database with the flags under test, and helpers that turn
// strings and integers into MDB_vals.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

namespace dup_test {

// (s must outlive the MDB_val.)
inline MDB_val val(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }
MDB_val val(std::string &&) = delete;
inline std::string str(const MDB_val &v) { return std::string(static_cast<const char *>(v.mv_data), v.mv_size); }

// Fixed-size items for MDB_DUPFIXED databases: a big-endian counter padded
// to `size` bytes, so memcmp order is numeric order.
inline std::string item(unsigned n, size_t size = 8) {
	std::string s(size, '.');
	for (size_t i = 0; i < 4 && i < size; i++) s[3 - i] = char((n >> (8 * i)) & 0xff);
	return s;
}

class DupEnv {
public:
	explicit DupEnv(unsigned db_flags, size_t mapsize = size_t(64) << 20) {
		REQUIRE(mdb_env_create(&env_) == 0);
		REQUIRE(mdb_env_set_maxdbs(env_, 4) == 0);
		REQUIRE(mdb_env_set_mapsize(env_, mapsize) == 0);
		REQUIRE(mdb_env_open(env_, dir_.path().c_str(), MDB_NOSYNC, 0644) == 0);
		REQUIRE(mdb_txn_begin(env_, nullptr, 0, &txn_) == 0);
		REQUIRE(mdb_dbi_open(txn_, "dups", db_flags | MDB_CREATE, &dbi_) == 0);
	}
	~DupEnv() {
		for (MDB_cursor *c : cursors_) mdb_cursor_close(c);
		if (txn_) mdb_txn_abort(txn_);
		mdb_env_close(env_);
	}
	DupEnv(const DupEnv &) = delete;
	DupEnv &operator=(const DupEnv &) = delete;

	MDB_env *env() const { return env_; }
	MDB_txn *txn() const { return txn_; }
	MDB_dbi dbi() const { return dbi_; }

	MDB_cursor *cursor() {
		MDB_cursor *c = nullptr;
		REQUIRE(mdb_cursor_open(txn_, dbi_, &c) == 0);
		cursors_.push_back(c);
		return c;
	}
	int put(const std::string &k, const std::string &v, unsigned flags = 0) {
		MDB_val kv = val(k), dv = val(v);
		return mdb_put(txn_, dbi_, &kv, &dv, flags);
	}
	int del(const std::string &k, const std::string *v = nullptr) {
		MDB_val kv = val(k), dv;
		if (v) dv = val(*v);
		return mdb_del(txn_, dbi_, &kv, v ? &dv : nullptr);
	}
	size_t entries() {
		MDB_stat st;
		REQUIRE(mdb_stat(txn_, dbi_, &st) == 0);
		return st.ms_entries;
	}
	void commit() {
		REQUIRE(mdb_txn_commit(txn_) == 0);
		txn_ = nullptr;
		cursors_.clear();  // freed with the write txn
	}
	void begin(unsigned flags = 0) { REQUIRE(mdb_txn_begin(env_, nullptr, flags, &txn_) == 0); }

	// Every (key, data) pair in order, through a fresh cursor.
	std::vector<std::pair<std::string, std::string>> all() {
		std::vector<std::pair<std::string, std::string>> out;
		MDB_cursor *c = nullptr;
		REQUIRE(mdb_cursor_open(txn_, dbi_, &c) == 0);
		MDB_val k, d;
		int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
		while (rc == 0) {
			out.emplace_back(str(k), str(d));
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
		}
		REQUIRE(rc == MDB_NOTFOUND);
		mdb_cursor_close(c);
		return out;
	}

private:
	test_support::TempDir dir_;
	MDB_env *env_ = nullptr;
	MDB_txn *txn_ = nullptr;
	MDB_dbi dbi_ = 0;
	std::vector<MDB_cursor *> cursors_;
};

// mdb_cursor_get returning (rc, key, data) as strings.
struct Got {
	int rc;
	std::string key, data;
};
inline Got get(MDB_cursor *c, MDB_cursor_op op, const std::string &k = {}, const std::string &d = {}) {
	MDB_val kv = val(k), dv = val(d);
	int rc = mdb_cursor_get(c, &kv, &dv, op);
	if (rc) return Got{rc, {}, {}};
	return Got{rc, str(kv), str(dv)};
}

}  // namespace dup_test
