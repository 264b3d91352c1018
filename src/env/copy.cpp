// Hot backup of a read snapshot, to a path or a descriptor (which may be a
// pipe, so everything is written sequentially).
//
// Plain copy: the two meta pages are taken while holding the writer lock
// (so they match the snapshot), then the used pages straight from the map.
// Compacting copy: the trees are written depth-first, children before their
// parent and overflow pages where they are met, renumbered from page 2; the
// free-page database is left out.  This is the page order upstream's
// mdb_copy -c produces, and its output buffer is laid out as upstream's
// (HalfBuffers), so copies of the same snapshot are the same bytes
// (docs/format.md, "Compacting copies").
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "btree/cursor.h"
#include "env/environment.h"
#include "txn/txn_ops.h"
#include "util/fault.h"
#include "util/visibility.h"

namespace lmdb {

using namespace format;

namespace {

// All of [p, p+n) to fd (short writes continued, EINTR retried).
int write_all(int fd, const void *p, size_t n) {
	const char *c = static_cast<const char *>(p);
	while (n) {
		ssize_t w = os::sys_write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR) continue;
			return errno;
		}
		if (w == 0) return EIO;
		c += w;
		n -= size_t(w);
	}
	return 0;
}

// The compacting copy's output buffer, laid out as upstream's: two halves of
// 1 MiB filled in turn, each written whole when the next page does not fit
// (or after the first page of a multi-page overflow item, whose other pages
// are written straight from the map).  A page goes into the next page slot
// of the current half over what the slot held, and only its used parts are
// copied: its free space keeps the bytes of the page that used the slot
// before (zeros at first), exactly as in upstream's copies, so both make the
// same file from the same snapshot.
class HalfBuffers {
public:
	HalfBuffers(int fd, unsigned psize) : fd_(fd), psize_(psize) {}
	~HalfBuffers() { std::free(buf_); }
	HalfBuffers(const HalfBuffers &) = delete;
	HalfBuffers &operator=(const HalfBuffers &) = delete;
	int init() {
		buf_ = static_cast<char *>(lmdb::os::sys_calloc(2, kHalf));
		return buf_ ? 0 : ENOMEM;
	}
	// The slot of the next page: psize bytes holding what they held.
	int next_slot(char **out) {
		if (len_ >= kHalf) {
			if (int rc = hand_off(nullptr, 0)) return rc;
		}
		*out = buf_ + half_ * kHalf + len_;
		len_ += psize_;
		return 0;
	}
	// Write the current half, then `tail`; go on in the other half.
	int hand_off(const void *tail, size_t tail_len) {
		int rc = write_all(fd_, buf_ + half_ * kHalf, len_);
		if (!rc && tail_len) rc = write_all(fd_, tail, tail_len);
		half_ ^= 1;
		len_ = 0;
		return rc;
	}

private:
	static constexpr size_t kHalf = size_t(1) << 20;  // a multiple of every page size
	int fd_;
	unsigned psize_;
	char *buf_ = nullptr;
	unsigned half_ = 0;
	size_t len_ = 0;
};

// Copy a page's used parts (header and pointers, then the node area, each
// widened to whole words) into dst, leaving the rest of dst as it was, the
// way upstream copies pages.
void copy_page_used(char *dst, const Page *src, unsigned psize) {
	constexpr unsigned kAlign = sizeof(pgno_t);
	unsigned upper = src->upper, lower = src->lower, unused = (upper - lower) & ~(kAlign - 1);
	if (unused && !is_leaf2(src) && !is_overflow(src)) {
		upper &= ~(kAlign - 1);
		std::memcpy(dst, src, (lower + kAlign - 1) & ~(kAlign - 1));
		std::memcpy(dst + upper, reinterpret_cast<const char *>(src) + upper, psize - upper);
	} else if (is_overflow(src)) {
		std::memcpy(dst, src, psize);
	} else {
		std::memcpy(dst, src, psize - unused);
	}
}

struct Compactor {
	MDB_txn *txn;
	HalfBuffers *out;
	unsigned psize;
	pgno_t next_pgno = kNumMetas;

	// Write the tree rooted at *root; *root becomes its new number.
	int walk(pgno_t *root, bool dupdata, unsigned depth) {
		if (*root == kInvalidPgno) return 0;
		if (depth > 2 * kCursorStack) return MDB_CORRUPTED;
		Page *mp;
		int rc = page_get(txn, *root, &mp);
		if (rc) return rc;
		return walk_page(mp, root, dupdata, depth, 0);
	}

	int walk_page(Page *mp, pgno_t *newpg, bool dupdata, unsigned depth, unsigned level) {
		int rc;
		// LEAF2 pages exist only in the sub-dbs of DUPFIXED dbs.  A copy
		// never has more pages than its source: more means shared pages.
		if (level > kCursorStack || (is_leaf2(mp) && !dupdata) || next_pgno >= txn->next_pgno)
			return MDB_CORRUPTED;
		// Writable copy of the page; child numbers are patched in it.
		char *work = static_cast<char *>(lmdb::os::sys_malloc(psize));
		if (!work) return ENOMEM;
		std::memcpy(work, mp, psize);
		Page *wp = reinterpret_cast<Page *>(work);
		unsigned n = numkeys(wp);
		if (is_branch(wp)) {
			for (unsigned i = 0; i < n; i++) {
				if (!node_in_bounds(txn->env, wp, i)) {
					rc = MDB_CORRUPTED;
					goto out;
				}
				Node *ni = node_at(wp, i);
				Page *child;
				if ((rc = page_get(txn, node_pgno(ni), &child))) goto out;
				pgno_t np;
				if ((rc = walk_page(child, &np, dupdata, depth, level + 1))) goto out;
				set_node_pgno(ni, np);
			}
		} else if (is_leaf(wp) && !is_leaf2(wp) && !dupdata) {
			for (unsigned i = 0; i < n; i++) {
				if (!node_in_bounds(txn->env, wp, i)) {
					rc = MDB_CORRUPTED;
					goto out;
				}
				Node *ni = node_at(wp, i);
				if (ni->flags & F_BIGDATA) {
					pgno_t pg;
					std::memcpy(&pg, node_data(ni), sizeof pg);
					std::memcpy(node_data(ni), &next_pgno, sizeof(pgno_t));
					Page *omp;
					if ((rc = page_get(txn, pg, &omp))) goto out;
					if (!is_overflow(omp) || pg + omp->overflow_pages > txn->next_pgno ||
					    next_pgno + omp->overflow_pages > txn->next_pgno) {
						rc = MDB_CORRUPTED;
						goto out;
					}
					char *mo;
					if ((rc = out->next_slot(&mo))) goto out;
					std::memcpy(mo, omp, psize);
					reinterpret_cast<Page *>(mo)->pgno = next_pgno;
					next_pgno += omp->overflow_pages;
					if (omp->overflow_pages > 1) {
						rc = out->hand_off(reinterpret_cast<char *>(omp) + psize,
						                   size_t(psize) * (omp->overflow_pages - 1));
						if (rc) goto out;
					}
				} else if (ni->flags & F_SUBDATA) {
					if (node_dsize(ni) != sizeof(DbRecord)) {
						rc = MDB_CORRUPTED;
						goto out;
					}
					DbRecord db;
					std::memcpy(&db, node_data(ni), sizeof db);
					if ((rc = walk(&db.root, ni->flags & F_DUPDATA, depth + 1))) goto out;
					std::memcpy(node_data(ni), &db, sizeof db);
				}
			}
		}
		{
			char *mo;
			if ((rc = out->next_slot(&mo))) goto out;
			copy_page_used(mo, wp, psize);
			reinterpret_cast<Page *>(mo)->pgno = next_pgno;
			*newpg = next_pgno++;
		}
	out:
		std::free(work);
		return rc;
	}
};

int copy_compact(MDB_env *env, int fd) {
	MDB_txn *txn = nullptr;
	int rc = txn_begin(env, nullptr, MDB_RDONLY, &txn);
	if (rc) return rc;
	unsigned psize = env->psize;
	HalfBuffers out(fd, psize);
	if ((rc = out.init())) {
		txn_abort(txn);
		return rc;
	}
	// The meta pages: the first slots of the first half (no write yet,
	// nothing to fail).
	char *metas[kNumMetas];
	for (char *&m : metas) out.next_slot(&m);
	Meta mm;
	std::memset(&mm, 0, sizeof mm);
	mm.magic = kMagic;
	mm.version = kDataVersion;
	mm.mapsize = env->mapsize;
	mm.dbs[kFreeDbi].pad = psize;
	mm.dbs[kFreeDbi].flags = uint16_t((env->flags & 0xffff) | MDB_INTEGERKEY);
	mm.dbs[kFreeDbi].root = kInvalidPgno;
	mm.dbs[kMainDbi].root = kInvalidPgno;
	mm.last_pgno = kNumMetas - 1;
	mm.address = env->metas[0]->address;
	Meta m1 = mm;

	pgno_t root = txn->dbs[kMainDbi].root, new_root = root;
	if (root != kInvalidPgno) {
		// Pages not in any tree: free-list entries and the free db itself.
		uint64_t freecount = 0;
		MDB_cursor mc;
		cursor_init(&mc, txn, kFreeDbi);
		MDB_val key, data;
		while ((rc = cursor_next(&mc, &key, &data, MDB_NEXT)) == 0) {
			if (data.mv_size < sizeof(pgno_t)) {
				rc = MDB_CORRUPTED;
				break;
			}
			pgno_t c;
			std::memcpy(&c, data.mv_data, sizeof c);
			freecount += c;
		}
		if (rc != MDB_NOTFOUND) {
			txn_abort(txn);
			return rc;
		}
		rc = 0;
		freecount += txn->dbs[kFreeDbi].branch_pages + txn->dbs[kFreeDbi].leaf_pages +
		             txn->dbs[kFreeDbi].overflow_pages;
		new_root = txn->next_pgno - 1 - freecount;
		m1.last_pgno = new_root;
		m1.dbs[kMainDbi] = txn->dbs[kMainDbi];
		m1.dbs[kMainDbi].root = new_root;
	} else {
		m1.dbs[kMainDbi].flags = txn->dbs[kMainDbi].flags;
	}
	if (root != kInvalidPgno || m1.dbs[kMainDbi].flags) m1.txnid = 1;
	for (unsigned i = 0; i < kNumMetas; i++) {
		Page *p = reinterpret_cast<Page *>(metas[i]);
		p->pgno = i;
		p->flags = P_META;
		std::memcpy(page_data(p), i ? &m1 : &mm, sizeof(Meta));
	}
	Compactor c{txn, &out, psize};
	rc = c.walk(&root, false, 0);
	if (rc == 0 && root != new_root) rc = MDB_INCOMPATIBLE;  // leaked pages or corruption
	if (rc == 0) rc = out.hand_off(nullptr, 0);
	txn_abort(txn);
	return rc;
}

int copy_plain(MDB_env *env, int fd) {
	MDB_txn *txn = nullptr;
	int rc = txn_begin(env, nullptr, MDB_RDONLY, &txn);
	if (rc) return rc;
	bool locked = false;
	if (env->locks.shared_txnid()) {
		// Take the snapshot while writers are held off, so that the raw
		// meta pages copied below describe exactly this snapshot.
		txn_end(txn, kEndResetTmp);
		if ((rc = env->locks.lock_writer(false, nullptr, nullptr))) {
			txn_abort(txn);
			return rc;
		}
		locked = true;
		if ((rc = txn_renew(txn))) {
			env->locks.unlock_writer();
			txn_abort(txn);
			return rc;
		}
	}
	// A byte copy does not walk the trees, but it must not pass off a
	// snapshot whose roots are missing as a good copy.
	for (unsigned dbi : {kFreeDbi, kMainDbi}) {
		Page *rp;
		if (txn->dbs[dbi].root != kInvalidPgno && (rc = page_get(txn, txn->dbs[dbi].root, &rp))) {
			if (locked) env->locks.unlock_writer();
			txn_abort(txn);
			return rc;
		}
	}
	size_t metasz = size_t(env->psize) * kNumMetas;
	rc = write_all(fd, env->map, metasz);
	if (locked) env->locks.unlock_writer();
	if (!rc) {
		size_t end = size_t(txn->next_pgno) * env->psize;
		struct stat st;
		if (fstat(env->fd.get(), &st) == 0 && size_t(st.st_size) < end) end = size_t(st.st_size);
		if (end > metasz) rc = write_all(fd, env->map + metasz, end - metasz);
	}
	txn_abort(txn);
	return rc;
}

}  // namespace
}  // namespace lmdb

using namespace lmdb;

LMDB_API int mdb_env_copyfd2(MDB_env *env, mdb_filehandle_t fd, unsigned int flags) {
	if (!env || !env->map || env_in_fork_child(env)) return EINVAL;
	// Flags other than MDB_CP_COMPACT are ignored, as upstream ignores them.
	// A closed pipe must surface as EPIPE, not kill the process.
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int rc = (flags & MDB_CP_COMPACT) ? copy_compact(env, fd) : copy_plain(env, fd);
	if (rc == EPIPE) {
		struct timespec zero = {0, 0};
		sigtimedwait(&set, nullptr, &zero);  // drop the pending SIGPIPE
	}
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	return rc;
}

LMDB_API int mdb_env_copyfd(MDB_env *env, mdb_filehandle_t fd) { return mdb_env_copyfd2(env, fd, 0); }

LMDB_API int mdb_env_copy2(MDB_env *env, const char *path, unsigned int flags) {
	if (!env || !path) return EINVAL;
	size_t len = std::strlen(path);
	char *name = static_cast<char *>(lmdb::os::sys_malloc(len + sizeof "/data.mdb"));
	if (!name) return ENOMEM;
	std::memcpy(name, path, len + 1);
	if (!(env->flags & MDB_NOSUBDIR)) std::memcpy(name + len, "/data.mdb", sizeof "/data.mdb");
	int fd = ::open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	std::free(name);
	if (fd < 0) return errno;
	int rc = mdb_env_copyfd2(env, fd, flags);
	// A copy that returned 0 is on disk, not only in the page cache
	// (upstream writes it with O_DIRECT where it can, and no sync).
	if (!rc && os::sys_fsync(fd) != 0) rc = errno;
	if (::close(fd) < 0 && !rc) rc = errno;
	return rc;
}

LMDB_API int mdb_env_copy(MDB_env *env, const char *path) { return mdb_env_copy2(env, path, 0); }
