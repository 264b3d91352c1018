// Nested write transactions against a model: a child sees its parent's
// writes, commit merges into the parent, abort discards only the child's
// writes, the parent is blocked while a child is open, and cursors of the
// parent stay valid across a child.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "lmdb.h"
#include "test_support.h"

using test_support::TempDir;
using test_support::val;
using Model = std::map<std::string, std::string>;

namespace {


Model read_all(MDB_txn *txn, MDB_dbi dbi) {
	Model m;
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	MDB_val k, v;
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
		m[std::string(static_cast<char *>(k.mv_data), k.mv_size)] =
		    std::string(static_cast<char *>(v.mv_data), v.mv_size);
	mdb_cursor_close(c);
	return m;
}

}  // namespace

TEST_CASE("nested transactions follow a stack of models") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_set_mapsize(env, 64 << 20) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	std::mt19937 rng(1234);
	MDB_dbi dbi;
	Model committed;
	for (int round = 0; round < 30; round++) {
		std::vector<MDB_txn *> stack;
		std::vector<Model> models;
		MDB_txn *top;
		REQUIRE(mdb_txn_begin(env, nullptr, 0, &top) == 0);
		REQUIRE(mdb_dbi_open(top, nullptr, 0, &dbi) == 0);
		stack.push_back(top);
		models.push_back(committed);
		for (int op = 0; op < 400; op++) {
			MDB_txn *cur = stack.back();
			Model &m = models.back();
			unsigned r = rng() % 100;
			std::string key = "k" + std::to_string(rng() % 300);
			if (r < 45) {
				std::string value(rng() % 50 == 0 ? 3000 + rng() % 6000 : rng() % 120, char('a' + rng() % 26));
				MDB_val k = val(key), v = val(value);
				REQUIRE(mdb_put(cur, dbi, &k, &v, 0) == 0);
				m[key] = value;
			} else if (r < 70) {
				MDB_val k = val(key);
				int rc = mdb_del(cur, dbi, &k, nullptr);
				CHECK(rc == (m.erase(key) ? 0 : MDB_NOTFOUND));
			} else if (r < 80 && stack.size() < 5) {
				MDB_txn *child;
				REQUIRE(mdb_txn_begin(env, cur, 0, &child) == 0);
				CHECK(mdb_txn_id(child) == mdb_txn_id(cur));
				// The parent is blocked while the child is open.
				MDB_val k = val(key), v = val("x");
				CHECK(mdb_put(cur, dbi, &k, &v, 0) == MDB_BAD_TXN);
				stack.push_back(child);
				models.push_back(m);
			} else if (r < 90 && stack.size() > 1) {
				REQUIRE(mdb_txn_commit(cur) == 0);
				stack.pop_back();
				Model child = models.back();
				models.pop_back();
				models.back() = child;
			} else if (r < 97 && stack.size() > 1) {
				mdb_txn_abort(cur);
				stack.pop_back();
				models.pop_back();
			} else {
				REQUIRE(read_all(cur, dbi) == m);
			}
		}
		REQUIRE(read_all(stack.back(), dbi) == models.back());
		if (round % 3 == 2) {
			mdb_txn_abort(stack.front());  // aborts the open children too
		} else {
			// Committing the top-level txn commits open children first.
			REQUIRE(mdb_txn_commit(stack.front()) == 0);
			committed = models.back();
		}
		MDB_txn *rd;
		REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &rd) == 0);
		REQUIRE(read_all(rd, dbi) == committed);
		mdb_txn_abort(rd);
	}
	mdb_env_close(env);
}

TEST_CASE("a parent's cursor keeps its position across a child") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
	MDB_dbi dbi;
	REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
	for (int i = 0; i < 500; i++) {
		std::string k = "key" + std::to_string(1000 + i);
		std::string value(40, 'v');
		MDB_val kk = val(k), vv = val(value);
		REQUIRE(mdb_put(txn, dbi, &kk, &vv, 0) == 0);
	}
	MDB_cursor *c;
	REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
	std::string target = "key1250";
	MDB_val k = val(target), v;
	REQUIRE(mdb_cursor_get(c, &k, &v, MDB_SET) == 0);
	for (bool commit : {false, true}) {
		MDB_txn *child;
		REQUIRE(mdb_txn_begin(env, txn, 0, &child) == 0);
		for (int i = 0; i < 300; i++) {  // enough to split and merge pages
			std::string key = "key" + std::to_string(1000 + (i * 7) % 500);
			MDB_val kk = val(key);
			if (key != target) mdb_del(child, dbi, &kk, nullptr);
		}
		if (commit)
			REQUIRE(mdb_txn_commit(child) == 0);
		else
			mdb_txn_abort(child);
		MDB_val gk, gv;
		REQUIRE(mdb_cursor_get(c, &gk, &gv, MDB_GET_CURRENT) == 0);
		CHECK(std::string(static_cast<char *>(gk.mv_data), gk.mv_size) == target);
	}
	mdb_cursor_close(c);
	REQUIRE(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

TEST_CASE("nested transactions are refused where upstream refuses them") {
	TempDir d;
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	REQUIRE(mdb_env_open(env, d.path().c_str(), 0, 0644) == 0);
	MDB_txn *rd, *child;
	REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &rd) == 0);
	CHECK(mdb_txn_begin(env, rd, 0, &child) == EINVAL);
	mdb_txn_abort(rd);
	mdb_env_close(env);
}
