// Lock file implementation.  See lock_table.h for the interface and
// docs/lockfile.md for the on-disk layout and the locking protocol.
#include "util/heap.h"
#include "lock/lock_table.h"

#include "util/fault.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace lmdb::lock {

namespace {

// ---- atomic access to the shared fields ----------------------------------
// The table is shared with other processes (and other threads of this one)
// and read without locks, as upstream does.  The fields are declared
// volatile for layout fidelity; every access here goes through the __atomic
// builtins so that the compiler and the thread sanitizer see well-defined
// concurrent accesses.

template <class T>
T load(const volatile T &v) {
	return __atomic_load_n(&v, __ATOMIC_ACQUIRE);
}
template <class T, class U>
void store(volatile T &v, U x) {
	__atomic_store_n(&v, T(x), __ATOMIC_RELEASE);
}

// ---- process-wide state ------------------------------------------------------

}  // namespace

// getpid() is a system call on current glibc; the reader fast path must not
// make one, so the pid is cached and refreshed in a fork child.
std::atomic<pid_t> detail::g_pid{0};

namespace {

using detail::g_pid;

// Per-process record of an open lock file, shared by every LockTable of
// this process that opened the same file (same device and inode).  POSIX
// record locks belong to the (process, file) pair and closing any
// descriptor of the file drops all of them, so the descriptor, the mapping
// and the liveness lock are kept here and released with the last user.
struct FileEntry {
	FileEntry *next = nullptr;
	dev_t dev = 0;
	ino_t ino = 0;
	pid_t pid = 0;            // process that created the entry
	unsigned refs = 0;        // LockTables using it
	int fd = -1;
	int *extra_fds = nullptr; // descriptors of the same file opened in a race
	unsigned n_extra = 0;
	LockFile *map = nullptr;
	size_t map_size = 0;
	unsigned maxreaders = 0;
	// Bytes [0, reserved) of the file have their blocks (fallocate); slots
	// past it get them when a reader of this process first takes one
	// there.  Guarded by `local`.
	uint64_t reserved = 0;
	// Guards live_reader and owner[]; held while a slot is claimed.
	pthread_mutex_t local = PTHREAD_MUTEX_INITIALIZER;
	bool live_reader = false; // the byte lock at offset pid is held
	// The thread of this process that holds the writer mutex (through
	// any LockTable of this file), 0 if none: it must not wait for it.
	std::atomic<unsigned long> writer_thread{0};
	// For each slot: the LockTable::Impl that claimed it in this process
	// (a process-local note; the slot's pid says whether it is still held).
	// Grown as slots are claimed: [owner_cap], guarded by `local`.
	const void **owner = nullptr;
	unsigned owner_cap = 0;
};

pthread_mutex_t g_registry_mutex = PTHREAD_MUTEX_INITIALIZER;
FileEntry *g_registry = nullptr;

// The first use in a process registers the fork handler (under a mutex,
// not pthread_once: its completion is a futex system call in every
// short-lived process).
pthread_mutex_t g_init_mutex = PTHREAD_MUTEX_INITIALIZER;
bool g_atfork_registered = false;

void after_fork_in_child() {
	g_pid.store(getpid(), std::memory_order_relaxed);
	// The parent may have held them at fork; the child has a single thread.
	g_registry_mutex = PTHREAD_MUTEX_INITIALIZER;
	g_init_mutex = PTHREAD_MUTEX_INITIALIZER;
}

pid_t current_pid() {
	pid_t p = g_pid.load(std::memory_order_relaxed);
	if (p == 0) {
		pthread_mutex_lock(&g_init_mutex);
		if (!g_atfork_registered) {
			pthread_atfork(nullptr, nullptr, after_fork_in_child);
			g_atfork_registered = true;
		}
		if (g_pid.load(std::memory_order_relaxed) == 0) g_pid.store(getpid(), std::memory_order_relaxed);
		pthread_mutex_unlock(&g_init_mutex);
		p = g_pid.load(std::memory_order_relaxed);
	}
	return p;
}

class RegistryGuard {
public:
	RegistryGuard() { pthread_mutex_lock(&g_registry_mutex); }
	~RegistryGuard() { pthread_mutex_unlock(&g_registry_mutex); }
	RegistryGuard(const RegistryGuard &) = delete;
	RegistryGuard &operator=(const RegistryGuard &) = delete;
};

FileEntry *find_entry(dev_t dev, ino_t ino, pid_t pid) {
	for (FileEntry *e = g_registry; e; e = e->next)
		if (e->dev == dev && e->ino == ino && e->pid == pid)
			return e;
	return nullptr;
}

void destroy_entry(FileEntry *e) {
	if (e->map)
		munmap(e->map, e->map_size);
	if (e->fd >= 0)
		::close(e->fd);
	for (unsigned i = 0; i < e->n_extra; i++)
		::close(e->extra_fds[i]);
	std::free(e->extra_fds);
	std::free(e->owner);
	pthread_mutex_destroy(&e->local);
	heap_delete(e);
}

// ---- RAII helpers ----------------------------------------------------------------

class UniqueFd {
public:
	explicit UniqueFd(int fd = -1) : fd_(fd) {}
	~UniqueFd() {
		if (fd_ >= 0)
			::close(fd_);
	}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	int get() const { return fd_; }
	int release() {
		int f = fd_;
		fd_ = -1;
		return f;
	}

private:
	int fd_;
};

class UniqueMap {
public:
	UniqueMap() = default;
	~UniqueMap() {
		if (p_)
			munmap(p_, n_);
	}
	UniqueMap(const UniqueMap &) = delete;
	UniqueMap &operator=(const UniqueMap &) = delete;
	void reset(void *p, size_t n) {
		p_ = p;
		n_ = n;
	}
	void *get() const { return p_; }
	void *release() {
		void *p = p_;
		p_ = nullptr;
		return p;
	}

private:
	void *p_ = nullptr;
	size_t n_ = 0;
};

class LocalGuard {
public:
	explicit LocalGuard(pthread_mutex_t *m) : m_(m) { pthread_mutex_lock(m_); }
	~LocalGuard() { pthread_mutex_unlock(m_); }
	LocalGuard(const LocalGuard &) = delete;
	LocalGuard &operator=(const LocalGuard &) = delete;

private:
	pthread_mutex_t *m_;
};

// ---- record locks on the lock file -------------------------------------------------

// fcntl() on one byte, retried on EINTR.  Returns 0 or errno.
int byte_lock(int fd, int cmd, short type, off_t offset, struct flock *out = nullptr) {
	struct flock fl;
	for (;;) {
		std::memset(&fl, 0, sizeof(fl));
		fl.l_type = type;
		fl.l_whence = SEEK_SET;
		fl.l_start = offset;
		fl.l_len = 1;
		if (fcntl(fd, cmd, &fl) == 0) {
			if (out)
				*out = fl;
			return 0;
		}
		if (errno != EINTR)
			return errno;
	}
}

// Whether process `pid` may be alive: 0 when it certainly is dead (nobody
// holds its liveness byte), nonzero when it holds it or we cannot tell.
int pid_maybe_alive(int fd, pid_t pid) {
	struct flock fl {};
	int rc = byte_lock(fd, F_GETLK, F_WRLCK, pid, &fl);
	if (rc)
		return rc;
	return fl.l_type != F_UNLCK ? -1 : 0;
}

int init_shared_mutex(pthread_mutex_t *m) {
	// Start from zeroed memory, whatever an earlier user left there.
	std::memset(static_cast<void *>(m), 0, sizeof(*m));
	pthread_mutexattr_t attr;
	int rc = pthread_mutexattr_init(&attr);
	if (rc)
		return rc;
	rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!rc)
		rc = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return rc;
}

// The slot handed out in MDB_NOLOCK mode: one per thread, never shared.
thread_local ReaderSlot t_nolock_slot;

// Thread-exit destructor of a LockTable's thread key: give the slot back
// unless it belongs to another process (a fork child inherits the value).
void release_slot_at_thread_exit(void *p) {
	ReaderSlot *r = static_cast<ReaderSlot *>(p);
	if (load(r->pid) == current_pid())
		store(r->pid, 0);
}

// A table's first bytes get their blocks when the file is opened; the rest
// (a table of more than ~16,000 readers) as readers reach it, so that a
// huge table (mdb_env_set_maxreaders(UINT_MAX): a 256 GiB file, sparse as
// upstream makes it) costs neither the disk nor the time up front.
constexpr uint64_t kReserveStep = uint64_t(1) << 20;

// Give the file's bytes up to `end` (and on to the next step) their blocks.
// Called with e->local held.  0 or an errno value (ENOSPC).
int reserve_slots(FileEntry *e, uint64_t end) {
	if (end <= e->reserved)
		return 0;
	uint64_t to = (end + kReserveStep - 1) / kReserveStep * kReserveStep;
	if (to > e->map_size)
		to = e->map_size;
	int rc = os::sys_fallocate(e->fd, off_t(e->reserved), off_t(to - e->reserved));
	if (rc && rc != EOPNOTSUPP)
		return rc;
	e->reserved = to;
	return 0;
}

// Make room in e->owner for slot `i`.  Called with e->local held.
int grow_owner(FileEntry *e, unsigned i) {
	if (i < e->owner_cap)
		return 0;
	uint64_t cap = std::max<uint64_t>({uint64_t(i) + 1, uint64_t(e->owner_cap) * 2, 64});
	if (cap > e->maxreaders)
		cap = e->maxreaders;
	void *p = lmdb::os::sys_realloc(e->owner, size_t(cap) * sizeof(const void *));
	if (!p)
		return ENOMEM;
	e->owner = static_cast<const void **>(p);
	std::memset(e->owner + e->owner_cap, 0, size_t(cap - e->owner_cap) * sizeof(const void *));
	e->owner_cap = unsigned(cap);
	return 0;
}

}  // namespace

// ---- the table ----------------------------------------------------------------------

struct LockTable::Impl {
	unsigned flags = 0;
	unsigned nolock_maxreaders = 0;
	FileEntry *file = nullptr;  // nullptr with MDB_NOLOCK
	bool exclusive = false;     // this table's open took the exclusive lock
	bool have_key = false;
	pthread_key_t key{};
	// Set while a thread of this table holds the writer mutex; finding the
	// mutex owner-dead while this is set means one of our own threads died
	// inside a write transaction (upstream's MDB_PANIC case).
	std::atomic<bool> writer_held{false};

	LockFile *lf() const { return file->map; }
	unsigned nreaders() const {
		unsigned n = load(lf()->header.numreaders);
		return n < file->maxreaders ? n : file->maxreaders;
	}

	int lock_mutex(pthread_mutex_t *m, bool try_only, CurrentTxnidFn fn, void *ctx);
	int mutex_failed(pthread_mutex_t *m, int rc, CurrentTxnidFn fn, void *ctx);
	int check_readers(bool rlocked, int *dead);
};

int LockTable::Impl::lock_mutex(pthread_mutex_t *m, bool try_only, CurrentTxnidFn fn, void *ctx) {
	int rc = try_only ? pthread_mutex_trylock(m) : pthread_mutex_lock(m);
	if (rc)
		rc = mutex_failed(m, rc, fn, ctx);
	return rc;
}

// Called with the result of a failed lock attempt.  When the previous owner
// died we now own the mutex: repair what it may have left behind and mark
// the mutex consistent.  Returns 0 with the mutex held, or an error with it
// released.
int LockTable::Impl::mutex_failed(pthread_mutex_t *m, int rc, CurrentTxnidFn fn, void *ctx) {
	if (rc != EOWNERDEAD)
		return rc;
	rc = 0;
	bool rlocked = m == &lf()->header.reader_mutex;
	if (!rlocked) {
		// The dead writer may have committed after the txnid was
		// published, or not at all: take it from the data file.
		if (fn)
			store(lf()->header.txnid, fn(ctx));
		if (writer_held.exchange(false))
			rc = MDB_PANIC;
		file->writer_thread.store(0, std::memory_order_relaxed);
	}
	int rc2 = check_readers(rlocked, nullptr);
	if (rc2 == 0)
		rc2 = pthread_mutex_consistent(m);
	if (rc == 0)
		rc = rc2;
	if (rc)
		pthread_mutex_unlock(m);
	return rc;
}

// Clear the slots of processes that are gone.  rlocked: the caller holds
// the reader mutex.
int LockTable::Impl::check_readers(bool rlocked, int *dead) {
	LockFile *t = lf();
	ReaderSlot *slots = t->slots();
	unsigned rdrs = nreaders();
	pid_t self = current_pid();
	// Pids already looked at, kept sorted.
	pid_t *seen = static_cast<pid_t *>(lmdb::os::sys_malloc((size_t(rdrs) + 1) * sizeof(pid_t)));
	if (!seen)
		return ENOMEM;
	unsigned nseen = 0;
	int rc = 0, count = 0;
	for (unsigned i = 0; i < rdrs; i++) {
		pid_t pid = load(slots[i].pid);
		if (pid == 0 || pid == self)
			continue;
		unsigned lo = 0, hi = nseen;
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			if (seen[mid] < pid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nseen && seen[lo] == pid)
			continue;
		std::memmove(seen + lo + 1, seen + lo, (nseen - lo) * sizeof(pid_t));
		seen[lo] = pid;
		nseen++;
		if (pid_maybe_alive(file->fd, pid))
			continue;
		// A stale reader.  Clear its slots from i on: earlier ones
		// cannot hold this pid (it was not seen before).
		unsigned j = i;
		if (!rlocked) {
			pthread_mutex_t *rm = &t->header.reader_mutex;
			rc = pthread_mutex_lock(rm);
			if (rc) {
				// Owner-dead: the recovery cleared every stale slot.
				rc = mutex_failed(rm, rc, nullptr, nullptr);
				if (rc)
					break;
				rdrs = 0;
			} else if (pid_maybe_alive(file->fd, pid)) {
				// The pid was reused by a new process meanwhile.
				j = rdrs;
			}
		}
		for (; j < rdrs; j++) {
			if (load(slots[j].pid) == pid) {
				store(slots[j].pid, 0);
				count++;
			}
		}
		if (!rlocked)
			pthread_mutex_unlock(&t->header.reader_mutex);
	}
	std::free(seen);
	if (dead)
		*dead = count;
	return rc;
}

// ---- LockTable --------------------------------------------------------------------

LockTable::~LockTable() { close(); }

bool LockTable::is_open() const { return impl_ != nullptr; }

int LockTable::open(const char *path, mdb_mode_t mode, unsigned env_flags, unsigned maxreaders,
                    bool *exclusive) {
	if (exclusive)
		*exclusive = false;
	if (impl_)
		return EINVAL;
	if (maxreaders == 0)
		return EINVAL;
	current_pid();  // process-wide setup

	Impl *im = heap_new<Impl>();
	if (!im)
		return ENOMEM;
	im->flags = env_flags;
	if (env_flags & MDB_NOLOCK) {
		im->nolock_maxreaders = maxreaders;
		impl_ = im;
		return 0;
	}
	if (!path) {
		heap_delete(im);
		return EINVAL;
	}

	int rc = 0;
	FileEntry *entry = nullptr;
	bool excl = false;
	{
		RegistryGuard guard;
		pid_t self = current_pid();
		struct stat st;
		if (::stat(path, &st) == 0)
			entry = find_entry(st.st_dev, st.st_ino, self);
		if (!entry) {
			// Readers must write their slots, so even an MDB_RDONLY
			// environment opens the lock file for writing.
			UniqueFd fd(::open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode));
			if (fd.get() < 0) {
				rc = errno;
			} else if (fstat(fd.get(), &st) != 0) {
				rc = errno;
			} else if ((entry = find_entry(st.st_dev, st.st_ino, self)) != nullptr) {
				// The path was replaced between stat() and open() by
				// a file this process already uses.  Closing this
				// descriptor would drop our locks on it: keep it.
				int *fds = static_cast<int *>(lmdb::os::sys_realloc(
				    entry->extra_fds, (entry->n_extra + 1) * sizeof(int)));
				if (!fds) {
					rc = ENOMEM;
					// Not closing it either, for the same reason.
					fd.release();
				} else {
					entry->extra_fds = fds;
					fds[entry->n_extra++] = fd.release();
				}
			} else {
				// First user of this file in this process: find out
				// whether any other process uses it.
				rc = byte_lock(fd.get(), F_SETLK, F_WRLCK, 0);
				if (rc == 0) {
					excl = true;
				} else {
					rc = byte_lock(fd.get(), F_SETLKW, F_RDLCK, 0);
				}
				off_t size = 0;
				size_t rsize = lock_file_size(maxreaders);
				unsigned nslots = maxreaders;
				if (!rc) {
					size = lseek(fd.get(), 0, SEEK_END);
					if (size < 0)
						rc = errno;
				}
				if (!rc) {
					if (excl && size_t(size) < rsize) {
						if (os::sys_ftruncate(fd.get(), off_t(rsize)) != 0)
							rc = errno;
					} else if (size_t(size) < lock_file_size(1)) {
						// Emptied or cut short while another process
						// holds it.  Upstream maps the empty file
						// (EINVAL) and runs on a shorter one with a
						// table of a nonsense size (0.9.24 crashes).
						rc = size == 0 ? EINVAL : MDB_INVALID;
					} else {
						// The file decides the table size.
						rsize = size_t(size);
						nslots = slots_in_file(uint64_t(size));
					}
				}
				// Give the table's pages their blocks now: on a full
				// file system a store into a hole of the mapping is
				// SIGBUS, where this is ENOSPC.  (The table may have
				// holes also when another program made it.)  A file
				// whose blocks already cover the table has none.
				// (st is from before any ftruncate above: a file that
				// was grown here never passes.)  Beyond kReserveStep,
				// slots get theirs when taken (reserve_slots).
				const bool no_holes = st.st_size >= off_t(rsize) && uint64_t(st.st_blocks) * 512 >= uint64_t(rsize);
				const uint64_t reserved = no_holes ? uint64_t(rsize) : std::min<uint64_t>(rsize, kReserveStep);
				if (!rc && !no_holes) {
					int e = os::sys_fallocate(fd.get(), 0, off_t(reserved));
					if (e && e != EOPNOTSUPP)
						rc = e;
				}
				UniqueMap map;
				if (!rc) {
					void *p = os::sys_mmap(nullptr, rsize, PROT_READ | PROT_WRITE, MAP_SHARED,
					               fd.get(), 0);
					if (p == MAP_FAILED)
						rc = errno;
					else
						map.reset(p, rsize);
				}
				LockFile *t = static_cast<LockFile *>(map.get());
				if (!rc && excl) {
					rc = init_shared_mutex(&t->header.reader_mutex);
					if (!rc)
						rc = init_shared_mutex(&t->writer.writer_mutex);
					if (!rc) {
						t->header.magic = kLockMagic;
						t->header.format = kLockFormat;
						store(t->header.txnid, 0);
						store(t->header.numreaders, 0);
					}
				} else if (!rc) {
					if (t->header.magic != kLockMagic)
						rc = MDB_INVALID;
					else if (t->header.format != kLockFormat)
						rc = MDB_VERSION_MISMATCH;
				}
				if (!rc) {
					entry = heap_new<FileEntry>();
					if (!entry)
						rc = ENOMEM;
				}
				if (rc) {
					entry = nullptr;
				} else {
					entry->dev = st.st_dev;
					entry->ino = st.st_ino;
					entry->pid = self;
					entry->fd = fd.release();
					entry->map = static_cast<LockFile *>(map.release());
					entry->map_size = rsize;
					entry->maxreaders = nslots;
					entry->reserved = reserved;
					entry->next = g_registry;
					g_registry = entry;
				}
			}
		}
		if (entry)
			entry->refs++;
	}
	if (!rc && !(env_flags & MDB_NOTLS)) {
		rc = pthread_key_create(&im->key, release_slot_at_thread_exit);
		if (!rc)
			im->have_key = true;
	}
	if (rc) {
		if (entry) {
			RegistryGuard guard;
			if (--entry->refs == 0) {
				FileEntry **pp = &g_registry;
				while (*pp != entry)
					pp = &(*pp)->next;
				*pp = entry->next;
				destroy_entry(entry);
			}
		}
		heap_delete(im);
		return rc;
	}
	im->file = entry;
	im->exclusive = excl;
	impl_ = im;
	shared_ = &entry->map->header.txnid;
	slots_ = entry->map->slots();
	key_ = im->key;
	key_valid_ = im->have_key;
	if (exclusive)
		*exclusive = excl;
	return 0;
}

int LockTable::share() {
	if (!impl_ || !impl_->file || !impl_->exclusive)
		return 0;
	FileEntry *e = impl_->file;
	// Replacing the exclusive byte lock by a shared one lets other
	// processes in; upstream treats a failure as having lost the lock.
	int rc = byte_lock(e->fd, F_SETLK, F_RDLCK, 0);
	impl_->exclusive = false;
	return rc;
}

void LockTable::close() {
	Impl *im = impl_;
	if (!im)
		return;
	impl_ = nullptr;
	shared_ = nullptr;
	slots_ = nullptr;
	key_valid_ = false;
	// No more thread-exit callbacks for this table's key, then give back
	// every slot this table handed out that still belongs to this process.
	if (im->have_key)
		pthread_key_delete(im->key);
	FileEntry *e = im->file;
	if (e) {
		pid_t self = current_pid();
		{
			LocalGuard lg(&e->local);
			ReaderSlot *slots = e->map->slots();
			for (unsigned i = 0; i < e->owner_cap; i++) {
				if (e->owner[i] != im)
					continue;
				if (load(slots[i].pid) == self)
					store(slots[i].pid, 0);
				e->owner[i] = nullptr;
			}
		}
		RegistryGuard guard;
		if (--e->refs == 0) {
			FileEntry **pp = &g_registry;
			while (*pp != e)
				pp = &(*pp)->next;
			*pp = e->next;
			destroy_entry(e);
		}
	}
	heap_delete(im);
}

int LockTable::lock_writer(bool try_only, CurrentTxnidFn current_txnid, void *ctx) {
	if (!impl_)
		return EINVAL;
	if (!impl_->file)
		return 0;
	// The writer mutex is not recursive: a thread that holds it (a write
	// txn, through this or another handle of the same file) would wait
	// for itself forever.
	// (Only a try then: the note may be stale, left by a thread that
	// died holding the mutex, whose id a new thread got.)
	const unsigned long self = (unsigned long)pthread_self();
	if (impl_->file->writer_thread.load(std::memory_order_relaxed) == self)
		try_only = true;
	int rc = impl_->lock_mutex(&impl_->lf()->writer.writer_mutex, try_only, current_txnid, ctx);
	if (rc == EBUSY && impl_->file->writer_thread.load(std::memory_order_relaxed) == self)
		return EDEADLK;
	if (rc == 0) {
		// (Relaxed: only a thread that takes the mutex next reads it.)
		impl_->writer_held.store(true, std::memory_order_relaxed);
		impl_->file->writer_thread.store(self, std::memory_order_relaxed);
	}
	return rc;
}

void LockTable::unlock_writer() {
	if (!impl_ || !impl_->file)
		return;
	impl_->writer_held.store(false, std::memory_order_relaxed);
	impl_->file->writer_thread.store(0, std::memory_order_relaxed);
	pthread_mutex_unlock(&impl_->lf()->writer.writer_mutex);
}

int LockTable::acquire_reader_slow(ReaderSlot **slot) {
	*slot = nullptr;
	Impl *im = impl_;
	if (!im)
		return EINVAL;
	pid_t self = current_pid();
	if (!im->file) {
		ReaderSlot *r = &t_nolock_slot;
		store(r->txnid, kNoSnapshot);
		store(r->tid, pthread_self());
		store(r->pid, self);
		*slot = r;
		return 0;
	}
	if (im->have_key) {
		// Fast path: this thread's slot from an earlier transaction.
		ReaderSlot *r = static_cast<ReaderSlot *>(pthread_getspecific(im->key));
		if (r) {
			if (load(r->pid) != self || load(r->txnid) != kNoSnapshot)
				return MDB_BAD_RSLOT;
			*slot = r;
			return 0;
		}
	}

	FileEntry *e = im->file;
	LockFile *t = im->lf();
	ReaderSlot *slots = t->slots();
	ReaderSlot *r = nullptr;
	{
		LocalGuard lg(&e->local);
		if (!e->live_reader) {
			// Announce this process as alive to reader_check().
			int rc = byte_lock(e->fd, F_SETLK, F_WRLCK, self);
			if (rc)
				return rc;
			e->live_reader = true;
		}
		pthread_mutex_t *rm = &t->header.reader_mutex;
		int rc = im->lock_mutex(rm, false, nullptr, nullptr);
		if (rc)
			return rc;
		unsigned nr = im->nreaders();
		unsigned i = 0;
		while (i < nr && load(slots[i].pid) != 0)
			i++;
		if (i == e->maxreaders) {
			pthread_mutex_unlock(rm);
			return MDB_READERS_FULL;
		}
		rc = grow_owner(e, i);
		if (!rc)
			rc = reserve_slots(e, lock_file_size(i) + sizeof(ReaderSlot));
		if (rc) {
			pthread_mutex_unlock(rm);
			return rc;
		}
		r = &slots[i];
		// Readers scan the table without the mutex: make the slot
		// consistent while it is still free, publish the count, and
		// only then mark it taken.
		store(r->pid, 0);
		store(r->txnid, kNoSnapshot);
		store(r->tid, pthread_self());
		if (i == nr)
			store(t->header.numreaders, nr + 1);
		e->owner[i] = im;
		store(r->pid, self);
		pthread_mutex_unlock(rm);
	}
	if (im->have_key) {
		int rc = pthread_setspecific(im->key, r);
		if (rc) {
			store(r->pid, 0);
			return rc;
		}
	}
	*slot = r;
	return 0;
}

void LockTable::release_reader(ReaderSlot *slot) {
	Impl *im = impl_;
	if (!im || !slot)
		return;
	if (im->have_key && pthread_getspecific(im->key) == slot)
		pthread_setspecific(im->key, nullptr);
	if (load(slot->pid) == current_pid())
		store(slot->pid, 0);
}

txnid_t LockTable::oldest_reader(txnid_t last) const {
	if (!impl_ || !impl_->file)
		return last;
	const ReaderSlot *slots = impl_->lf()->slots();
	txnid_t oldest = last;
	for (unsigned i = impl_->nreaders(); i-- > 0;) {
		if (load(slots[i].pid)) {
			txnid_t t = load(slots[i].txnid);
			if (t < oldest)
				oldest = t;
		}
	}
	return oldest;
}

unsigned LockTable::max_readers() const {
	if (!impl_)
		return 0;
	return impl_->file ? impl_->file->maxreaders : impl_->nolock_maxreaders;
}

unsigned LockTable::num_readers() const {
	if (!impl_ || !impl_->file)
		return 0;
	return impl_->nreaders();
}

int LockTable::reader_list(MDB_msg_func *func, void *ctx) const {
	if (!func)
		return -1;
	if (!impl_ || !impl_->file)
		return func("(no reader locks)\n", ctx);
	const ReaderSlot *slots = impl_->lf()->slots();
	unsigned n = impl_->nreaders();
	int rc = 0;
	bool first = true;
	char buf[64];
	for (unsigned i = 0; i < n; i++) {
		pid_t pid = load(slots[i].pid);
		if (!pid)
			continue;
		txnid_t txnid = load(slots[i].txnid);
		size_t tid = size_t(load(slots[i].tid));
		if (txnid == kNoSnapshot)
			std::snprintf(buf, sizeof(buf), "%10d %zx -\n", int(pid), tid);
		else
			std::snprintf(buf, sizeof(buf), "%10d %zx %zu\n", int(pid), tid, size_t(txnid));
		if (first) {
			first = false;
			rc = func("    pid     thread     txnid\n", ctx);
			if (rc < 0)
				break;
		}
		rc = func(buf, ctx);
		if (rc < 0)
			break;
	}
	if (first)
		rc = func("(no active readers)\n", ctx);
	return rc;
}

int LockTable::reader_check(int *dead) {
	if (dead)
		*dead = 0;
	// No reader table (the environment is not open yet, or MDB_NOLOCK):
	// nothing to clear, as upstream answers.
	if (!impl_ || !impl_->file)
		return 0;
	return impl_->check_readers(false, dead);
}

}  // namespace lmdb::lock
