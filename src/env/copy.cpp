// Hot backup: a consistent copy of a read snapshot.  The copy's two meta
// pages both describe the snapshot; data pages are copied from the map.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "btree/page_access.h"
#include "env/environment.h"
#include "txn/txn_ops.h"
#include "util/visibility.h"

namespace lmdb {

using namespace format;

static int copy_plain(MDB_env *env, int fd) {
	MDB_txn *txn = nullptr;
	int rc = txn_begin(env, nullptr, MDB_RDONLY, &txn);
	if (rc) return rc;
	unsigned psize = env->psize;
	char *buf = static_cast<char *>(std::calloc(kNumMetas, psize));
	if (!buf) {
		txn_abort(txn);
		return ENOMEM;
	}
	Meta m = *env->metas[txn->txnid & 1];
	if (m.txnid != txn->txnid) m = *pick_meta(env);
	m.mapsize = env->mapsize;
	for (unsigned i = 0; i < kNumMetas; i++) {
		Page *p = reinterpret_cast<Page *>(buf + size_t(i) * psize);
		p->pgno = i;
		p->flags = P_META;
		std::memcpy(page_data(p), &m, sizeof m);
	}
	rc = os::pwrite_full(fd, buf, size_t(psize) * kNumMetas, 0);
	std::free(buf);
	if (!rc) {
		size_t start = size_t(psize) * kNumMetas;
		size_t end = size_t(txn->next_pgno) * psize;
		if (end > start) rc = os::pwrite_full(fd, env->map + start, end - start, off_t(start));
	}
	txn_abort(txn);
	return rc;
}

}  // namespace lmdb

using namespace lmdb;

LMDB_API int mdb_env_copyfd2(MDB_env *env, mdb_filehandle_t fd, unsigned int flags) {
	if (!env || !env->map) return EINVAL;
	if (flags & MDB_CP_COMPACT) return ENOTSUP;  // compacting copy: issue 5
	if (flags) return EINVAL;
	return copy_plain(env, fd);
}

LMDB_API int mdb_env_copyfd(MDB_env *env, mdb_filehandle_t fd) { return mdb_env_copyfd2(env, fd, 0); }

LMDB_API int mdb_env_copy2(MDB_env *env, const char *path, unsigned int flags) {
	if (!env || !path) return EINVAL;
	size_t len = std::strlen(path);
	char *name = static_cast<char *>(std::malloc(len + sizeof "/data.mdb"));
	if (!name) return ENOMEM;
	std::memcpy(name, path, len + 1);
	if (!(env->flags & MDB_NOSUBDIR)) std::memcpy(name + len, "/data.mdb", sizeof "/data.mdb");
	int fd = ::open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	std::free(name);
	if (fd < 0) return errno;
	int rc = mdb_env_copyfd2(env, fd, flags);
	if (::close(fd) < 0 && !rc) rc = errno;
	return rc;
}

LMDB_API int mdb_env_copy(MDB_env *env, const char *path) { return mdb_env_copy2(env, path, 0); }
