// Upstream liblmdb (Debian's liblmdb.so.0), loaded into its own link-map
// namespace with dlmopen() so that its mdb_* symbols cannot be confused
// with ours.  Test oracle only.
#pragma once

#include <dlfcn.h>

#include "lmdb.h"

namespace lock_test {

inline constexpr const char *kUpstreamLibrary = "/usr/lib/x86_64-linux-gnu/liblmdb.so.0";

struct Upstream {
	bool ok = false;
	decltype(&::mdb_env_create) env_create = nullptr;
	decltype(&::mdb_env_open) env_open = nullptr;
	decltype(&::mdb_env_close) env_close = nullptr;
	decltype(&::mdb_txn_begin) txn_begin = nullptr;
	decltype(&::mdb_txn_commit) txn_commit = nullptr;
	decltype(&::mdb_txn_abort) txn_abort = nullptr;
	decltype(&::mdb_txn_id) txn_id = nullptr;
	decltype(&::mdb_dbi_open) dbi_open = nullptr;
	decltype(&::mdb_put) put = nullptr;
	decltype(&::mdb_reader_list) reader_list = nullptr;
	decltype(&::mdb_reader_check) reader_check = nullptr;

	// Loaded once per process (a fork child inherits it).
	static const Upstream &get() {
		static const Upstream up = load();
		return up;
	}

private:
	template <class F>
	static bool sym(void *h, const char *name, F &out) {
		out = reinterpret_cast<F>(dlsym(h, name));
		return out != nullptr;
	}
	static Upstream load() {
		Upstream u;
		void *h = dlmopen(LM_ID_NEWLM, kUpstreamLibrary, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return u;
		u.ok = sym(h, "mdb_env_create", u.env_create) && sym(h, "mdb_env_open", u.env_open) &&
		       sym(h, "mdb_env_close", u.env_close) && sym(h, "mdb_txn_begin", u.txn_begin) &&
		       sym(h, "mdb_txn_commit", u.txn_commit) && sym(h, "mdb_txn_abort", u.txn_abort) &&
		       sym(h, "mdb_txn_id", u.txn_id) && sym(h, "mdb_dbi_open", u.dbi_open) &&
		       sym(h, "mdb_put", u.put) && sym(h, "mdb_reader_list", u.reader_list) &&
		       sym(h, "mdb_reader_check", u.reader_check);
		return u;
	}
};

}  // namespace lock_test
