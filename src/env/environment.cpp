// Environment set-up: file names, the lock table, reading and validating
// the meta pages (or writing them for a new file), the memory map.
#include "util/heap.h"
#include "env/environment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <new>

#include "btree/cursor.h"
#include "env/env_ops.h"
#include "txn/txn_ops.h"
#include "util/fault.h"

namespace lmdb {

using namespace format;

inline constexpr size_t kDefaultMapSize = 1048576;

int env_create(MDB_env **out) {
	MDB_env *e = heap_new<MDB_env>();
	if (!e) return ENOMEM;
	e->pid = getpid();
	long ps = sysconf(_SC_PAGESIZE);
	e->os_psize = ps > 0 ? unsigned(ps) : 4096;
	*out = e;
	return MDB_SUCCESS;
}

// Read both meta pages; keep the newer one in *meta.  ENOENT for an empty
// file, MDB_INVALID / MDB_VERSION_MISMATCH for foreign or broken files.
static int read_header(MDB_env *env, Meta *meta) {
	unsigned off = 0;
	for (unsigned i = 0; i < kNumMetas; i++) {
		struct {
			PageHeader h;
			Meta m;
		} buf;
		ssize_t n = os::pread_full(env->fd.get(), &buf, sizeof buf, off);
		if (n < 0) return int(-n);
		if (size_t(n) != sizeof buf) {
			if (n == 0 && off == 0) return ENOENT;
			return MDB_INVALID;
		}
		if (!(buf.h.flags & P_META)) return MDB_INVALID;
		if (buf.m.magic != kMagic) return MDB_INVALID;
		if (buf.m.version != kDataVersion) return MDB_VERSION_MISMATCH;
		// Both metas must carry the same valid page size (the second one
		// was found by the first one's).
		unsigned ps = buf.m.dbs[kFreeDbi].pad;
		if (ps < kMinPageSize || ps > kMaxPageSize || (ps & (ps - 1))) return MDB_INVALID;
		if (i && ps != meta->dbs[kFreeDbi].pad) return MDB_INVALID;
		if (off == 0 || buf.m.txnid > meta->txnid) *meta = buf.m;
		off += meta->dbs[kFreeDbi].pad;
	}
	return MDB_SUCCESS;
}

static int write_initial_metas(MDB_env *env, const Meta &meta) {
	// Read-only, the data file's descriptor is not open for writing:
	// upstream's write fails with EBADF, which is its answer for an empty
	// data file opened read-only (PHP's dba shows it); nothing is written.
	if (env->flags & MDB_RDONLY) return EBADF;
	unsigned psize = env->psize;
	char *buf = static_cast<char *>(lmdb::os::sys_calloc(kNumMetas, psize));
	if (!buf) return ENOMEM;
	for (unsigned i = 0; i < kNumMetas; i++) {
		Page *p = reinterpret_cast<Page *>(buf + size_t(i) * psize);
		p->pgno = i;
		p->flags = P_META;
		std::memcpy(page_data(p), &meta, sizeof meta);
	}
	int rc = os::pwrite_full(env->fd.get(), buf, size_t(psize) * kNumMetas, 0);
	std::free(buf);
	return rc;
}

// Map the data file.  addr: the fixed address recorded by MDB_FIXEDMAP, as a
// hint; EBUSY when the kernel cannot honour it.
// `file_size`: the data file's size if the caller has just read it, else
// -1 (the map then asks the file).
static int env_map(MDB_env *env, void *addr, int64_t file_size = -1) {
	int prot = PROT_READ;
	int mflags = MAP_SHARED;
	if (env->flags & MDB_WRITEMAP) {
		prot |= PROT_WRITE;
		if (os::sys_ftruncate(env->fd.get(), off_t(env->mapsize)) < 0) return errno;
		file_size = -1;  // changed just now
	}
	void *p = os::sys_mmap(addr, env->mapsize, prot, mflags, env->fd.get(), 0);
	if (p == MAP_FAILED) return errno;
	if (addr && p != addr) {
		munmap(p, env->mapsize);
		return EBUSY;
	}
	if (env->flags & MDB_NORDAHEAD) madvise(p, env->mapsize, MADV_RANDOM);
	env->map = static_cast<char *>(p);
	if (file_size < 0) {
		struct stat st;
		if (fstat(env->fd.get(), &st) < 0) return errno;
		file_size = st.st_size;
	}
	// (A lower bound: file_holds_slow looks again when a page lies past it.)
	env->file_pages.store(uint64_t(file_size) / env->psize, std::memory_order_relaxed);
	env->metas[0] = reinterpret_cast<Meta *>(env->map + kPageHdr);
	env->metas[1] = reinterpret_cast<Meta *>(env->map + env->psize + kPageHdr);
	return MDB_SUCCESS;
}

// Everything after the files are open: meta pages, map size, map.
static int env_open2(MDB_env *env) {
	Meta meta;
	bool newenv = false;
	int rc = read_header(env, &meta);
	if (rc) {
		// An empty file is a new environment, read-only too: its meta
		// pages cannot be written then (write_initial_metas), as upstream.
		if (rc != ENOENT) return rc;
		newenv = true;
		env->psize = env->os_psize;
		if (env->psize > kMaxPageSize) env->psize = kMaxPageSize;
		std::memset(&meta, 0, sizeof meta);
		meta.magic = kMagic;
		meta.version = kDataVersion;
		meta.dbs[kFreeDbi].pad = env->psize;
		meta.dbs[kFreeDbi].flags = uint16_t((env->flags & 0xffff) | MDB_INTEGERKEY);
		meta.dbs[kFreeDbi].root = kInvalidPgno;
		meta.dbs[kMainDbi].root = kInvalidPgno;
		meta.last_pgno = kNumMetas - 1;
		meta.mapsize = kDefaultMapSize;
	} else {
		env->psize = meta.dbs[kFreeDbi].pad;
		// The two core records carry only flags those dbs can have: a
		// DUPSORT free db or a DUPFIXED main db without DUPSORT is not an
		// LMDB file (upstream then crashes on the first read).
		if (!free_db_flags_sane(meta.dbs[kFreeDbi].flags) || !db_flags_sane(meta.dbs[kMainDbi].flags))
			return MDB_INVALID;
	}
	if (!env->mapsize) env->mapsize = meta.mapsize ? meta.mapsize : kDefaultMapSize;
	size_t minsize = size_t(meta.last_pgno + 1) * meta.dbs[kFreeDbi].pad;
	if (env->mapsize < minsize) env->mapsize = minsize;
	// Kept as given (not rounded to OS pages), in the env and in the meta
	// page, as upstream keeps it: mmap rounds the mapping itself.
	meta.mapsize = env->mapsize;

	bool fixed = env->flags & MDB_FIXEDMAP;
	int64_t file_size = -1;
	if (newenv && !fixed) {
		if ((rc = write_initial_metas(env, meta))) return rc;
	} else if (!newenv) {
		// A file shorter than its own meta claims is truncated.
		struct stat st;
		if (fstat(env->fd.get(), &st) == 0) {
			if (uint64_t(st.st_size) < uint64_t(kNumMetas) * env->psize) return MDB_INVALID;
			file_size = st.st_size;
		}
	}
	if ((rc = env_map(env, fixed && !newenv ? reinterpret_cast<void *>(meta.address) : nullptr, file_size)))
		return rc;
	if (newenv && fixed) {
		// The address is only known now; record it before anything else.
		meta.address = reinterpret_cast<uint64_t>(env->map);
		if ((rc = write_initial_metas(env, meta))) return rc;
	}

	env->maxfree_1pg = (env->psize - kPageHdr) / sizeof(pgno_t) - 1;
	env->nodemax = (((env->psize - kPageHdr) / kMinKeysPerPage) & ~1u) - sizeof(indx_t);
	env->maxpg = env->mapsize / env->psize;

	// Validate the current meta against the file.
	Meta *m = pick_meta(env);
	if (m->last_pgno < kNumMetas - 1 || m->last_pgno >= env->maxpg) return MDB_CORRUPTED;
	return MDB_SUCCESS;
}

static char *join_path(const char *a, const char *b) {
	size_t la = std::strlen(a), lb = std::strlen(b);
	char *p = static_cast<char *>(lmdb::os::sys_malloc(la + lb + 1));
	if (!p) return nullptr;
	std::memcpy(p, a, la);
	std::memcpy(p + la, b, lb + 1);
	return p;
}

static void env_close0(MDB_env *env) {
	if (!(env->flags & kEnvActive)) return;
	if (env->dbxs) {
		for (unsigned i = env->maxdbs; i-- > kCoreDbs;) std::free(env->dbxs[i].name.mv_data);
		heap_delete_array(env->dbxs, env->maxdbs);
		env->dbxs = nullptr;
	}
	std::free(env->pbuf);
	env->pbuf = nullptr;
	std::free(env->dbiseqs);
	env->dbiseqs = nullptr;
	std::free(env->dbflags);
	env->dbflags = nullptr;
	std::free(env->path);
	env->path = nullptr;
	dead_cursors_free(env);
	dead_txns_free(env);
	if (env->txn0) {
		txn_free(env->txn0);
		env->txn0 = nullptr;
	}
	if (env->map) {
		munmap(env->map, env->mapsize);
		env->map = nullptr;
	}
	env->meta_fd.reset();
	env->fd.reset();
	env->locks.close();
	env->flags &= ~kEnvActive;
}

int env_open(MDB_env *env, const char *path, unsigned flags, mdb_mode_t mode) {
	if (env->fd.valid() || env->open_spent || (env->flags & kEnvActive) || (flags & ~kEnvOpenFlags)) return EINVAL;
	flags |= env->flags;
	if (flags & MDB_RDONLY) flags &= ~MDB_WRITEMAP;
	env->flags = flags | kEnvActive;
	int rc = MDB_SUCCESS;
	char *dpath = nullptr, *lpath = nullptr;
	bool excl = false;

	if (flags & MDB_NOSUBDIR) {
		dpath = join_path(path, "");
		lpath = join_path(path, "-lock");
	} else {
		dpath = join_path(path, "/data.mdb");
		lpath = join_path(path, "/lock.mdb");
	}
	env->path = join_path(path, "");
	env->dbxs = heap_new_array<DbAux>(env->maxdbs);
	env->dbflags = static_cast<uint16_t *>(lmdb::os::sys_calloc(env->maxdbs, sizeof(uint16_t)));
	env->dbiseqs = static_cast<unsigned *>(lmdb::os::sys_calloc(env->maxdbs, sizeof(unsigned)));
	if (!dpath || !lpath || !env->path || !env->dbxs || !env->dbflags || !env->dbiseqs) {
		rc = ENOMEM;
		goto leave;
	}
	env->dbxs[kFreeDbi].cmp = cmp_long;

	if (!(flags & (MDB_RDONLY | MDB_NOLOCK))) {
		rc = env->locks.open(lpath, mode, flags, env->maxreaders, &excl);
		if (rc) goto leave;
	}
	{
		int oflags = (flags & MDB_RDONLY) ? O_RDONLY : (O_RDWR | O_CREAT);
		int fd = ::open(dpath, oflags | O_CLOEXEC, mode);
		if (fd < 0) {
			rc = errno;
			goto leave;
		}
		env->fd.reset(fd);
	}
	if ((flags & (MDB_RDONLY | MDB_NOLOCK)) == MDB_RDONLY) {
		rc = env->locks.open(lpath, mode, flags, env->maxreaders, &excl);
		// A read-only environment on a read-only file system runs
		// without a lock file, as upstream does (nobody can write there,
		// so there is nothing to lock against).
		if (rc == EROFS) rc = env->locks.open(lpath, mode, flags | MDB_NOLOCK, env->maxreaders, &excl);
		if (rc) goto leave;
	} else if (flags & MDB_NOLOCK) {
		rc = env->locks.open(lpath, mode, flags, env->maxreaders, &excl);
		if (rc) goto leave;
	}
	// An existing lock file's table keeps its size, whatever was asked:
	// the env reports the readers it really has (upstream does the same).
	if (env->locks.is_open()) env->maxreaders = env->locks.max_readers();
	if ((rc = env_open2(env))) goto leave;
	if (!(flags & MDB_RDONLY)) {
		// The data file again, for synced meta writes.  Upstream opens it
		// here, after the meta pages of a new file are written, and the
		// open fails when it cannot (a new file made with a mode that
		// does not let a non-root owner write it: EACCES); with
		// MDB_WRITEMAP it has none, so there a failure only means the
		// meta pages are written through `fd`.
		int mfd = ::open(dpath, O_WRONLY | O_DSYNC | O_CLOEXEC);
		if (mfd >= 0) {
			env->meta_fd.reset(mfd);
		} else if (!(flags & MDB_WRITEMAP)) {
			rc = errno;
			goto leave;
		}
	}
	{
		// Callers may use dbi 1 without mdb_dbi_open (upstream would crash).
		default_cmp_for(pick_meta(env)->dbs[kMainDbi].flags, env->dbxs[kMainDbi]);
	}
	env->pid = getpid();
	if ((rc = dead_txns_init(env))) goto leave;
	if (excl) {
		if (volatile txnid_t *shared = env->locks.shared_txnid())
			__atomic_store_n(shared, pick_meta(env)->txnid, __ATOMIC_RELEASE);
		if ((rc = env->locks.share())) goto leave;
	}
	if (!(flags & MDB_RDONLY)) {
		env->pbuf = static_cast<Page *>(lmdb::os::sys_calloc(1, env->psize));
		env->txn0 = txn0_create(env);
		if (!env->pbuf || !env->txn0) rc = ENOMEM;
	}

leave:
	std::free(dpath);
	std::free(lpath);
	if (rc) {
		// Upstream keeps the (closed) data file's descriptor number after a
		// failed open and so refuses another mdb_env_open of this handle
		// once the data file had been opened; lmdb.h asks for
		// mdb_env_close after a failure anyway.  (Ours keeps no stale
		// descriptor: mdb_env_get_fd answers -1.)
		if (env->fd.valid()) env->open_spent = true;
		env_close0(env);
	}
	return rc;
}

void env_close(MDB_env *env) {
	if (!env) return;
	env_close0(env);
	heap_delete(env);
}

int env_sync(MDB_env *env, bool force) {
	if (env->flags & MDB_RDONLY) return EACCES;
	if (force || !(env->flags & MDB_NOSYNC)) {
		if (env->flags & MDB_WRITEMAP) {
			int f = ((env->flags & MDB_MAPASYNC) && !force) ? MS_ASYNC : MS_SYNC;
			if (os::sys_msync(env->map, env->mapsize, f)) return errno;
		} else {
			return os::data_sync(env->fd.get());
		}
	}
	return MDB_SUCCESS;
}

int env_set_mapsize(MDB_env *env, size_t size) {
	if (env->map) {
		if (env->txn) return EINVAL;
		Meta *meta = pick_meta(env);
		if (!size) size = meta->mapsize;
		size_t minsize = size_t(meta->last_pgno + 1) * env->psize;
		if (size < minsize) size = minsize;
		munmap(env->map, env->mapsize);
		void *old = (env->flags & MDB_FIXEDMAP) ? env->map : nullptr;
		const size_t old_size = env->mapsize;
		env->map = nullptr;
		env->mapsize = size;
		int rc = env_map(env, old);
		if (rc) {
			// Upstream returns the error with no map left, and its next
			// call reads the unmapped meta pages (a crash); the old map
			// goes back instead, so the env stays usable at its old size.
			env->mapsize = old_size;
			if (env_map(env, old)) env->map = nullptr;
			return rc;
		}
	}
	env->mapsize = size;
	if (env->psize) env->maxpg = env->mapsize / env->psize;
	return MDB_SUCCESS;
}

int env_reserve_slow(MDB_env *env, pgno_t end) {
	// Ahead by an eighth (at least 64 pages) so that growth costs few
	// calls; if that much does not fit, exactly what is needed.
	const pgno_t from = env->reserved_pages;
	pgno_t want = end + std::max<pgno_t>(end / 8, 64);
	if (want > env->maxpg) want = env->maxpg;
	if (want < end) want = end;
	const off_t ps = off_t(env->psize);
	int rc = os::sys_fallocate(env->fd.get(), off_t(from) * ps, off_t(want - from) * ps);
	if (rc && want > end) {
		want = end;
		rc = os::sys_fallocate(env->fd.get(), off_t(from) * ps, off_t(want - from) * ps);
	}
	if (rc == EOPNOTSUPP) rc = 0;  // nothing better to do there
	if (rc) return rc;
	env->reserved_pages = want;
	return MDB_SUCCESS;
}

bool file_holds_slow(MDB_env *env, pgno_t end) {
	// Another process may have grown the file since we last looked.
	struct stat st;
	if (fstat(env->fd.get(), &st) < 0) return false;
	uint64_t n = uint64_t(st.st_size) / env->psize;
	uint64_t cur = env->file_pages.load(std::memory_order_relaxed);
	while (cur < n && !env->file_pages.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
	}
	return end <= n;
}

void stat_from_record(const MDB_env *env, const DbRecord *db, MDB_stat *st) {
	st->ms_psize = env->psize;
	st->ms_depth = db->depth;
	st->ms_branch_pages = db->branch_pages;
	st->ms_leaf_pages = db->leaf_pages;
	st->ms_overflow_pages = db->overflow_pages;
	st->ms_entries = db->entries;
}

}  // namespace lmdb
