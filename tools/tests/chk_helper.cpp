// Test helper for mdb_chk (see chk_test.sh).
//
// Building environments (public API):
//   chk_helper gen churn DIR       many transactions of puts and deletes over
//                                  plain, named, DUPSORT, DUPFIXED and integer
//                                  databases; big values; a dropped database,
//                                  so that the free db holds many records
//   chk_helper gen deep DIR        long keys: trees four levels deep
//   chk_helper gen writemap DIR    an MDB_WRITEMAP environment
//   chk_helper churn DIR           keep committing random updates until stdin
//                                  closes; prints "ready" after the first commit
//
// Reading and patching a data file (healthy input assumed, no API):
//   chk_helper list FILE           one line per page, record and free list:
//     meta SLOT LAST_PGNO TXNID
//     page PGNO branch|leaf|leaf2 DB LEVEL NKEYS
//     overflow PGNO COUNT DB
//     record NAME PGNO INDEX           (a named database's record)
//     subdb DB PGNO INDEX ROOT         (a duplicates sub-database record)
//     subpage DB PGNO INDEX NITEMS FIXED  (duplicates in a sub-page; FIXED 1 = LEAF2)
//     free PGNO INDEX TXNID COUNT P1 P2 ...
//   chk_helper set FILE PGNO[,PGNO...] OFFSET WIDTH VALUE
//                                                 write an integer into pages
//   chk_helper swap FILE PGNO I J                 swap node pointers I and J
//   chk_helper child FILE PGNO I CHILD            point branch node I at CHILD
//   chk_helper meta FILE FIELD VALUE [SLOT]       change the current (or given) meta
//   chk_helper rec FILE PGNO I FIELD VALUE        change the db record in leaf node I
//   chk_helper idl FILE PGNO I POS VALUE          free list record in leaf node I:
//                                                 POS 0 is the count, 1.. the pages
//   chk_helper grow FILE [noextend]               last_pgno + 1, file extended unless noextend
//   chk_helper node FILE PGNO I FIELD VALUE       node header field: lo hi flags ksize
//   chk_helper key FILE PGNO I POS BYTE           byte POS of the key of node I
//   chk_helper children FILE PGNO                 the child pages of a branch page
//   chk_helper sub FILE PGNO I OFFSET WIDTH VALUE write into the data of node I
// FIELD: magic version psize last_pgno mapsize txnid, or for records (and
// main./free. in the meta) depth branch leaf overflow entries root flags pad.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format/layout.h"
#include "lmdb.h"

using namespace lmdb::format;

namespace {

[[noreturn]] void die(const char *msg) {
	std::fprintf(stderr, "chk_helper: %s\n", msg);
	std::exit(2);
}

void check(int rc, const char *what) {
	if (rc) {
		std::fprintf(stderr, "chk_helper: %s: %s\n", what, mdb_strerror(rc));
		std::exit(2);
	}
}

uint64_t rng = 88172645463325252ull;
uint64_t rnd() {
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

// ---- generators ----------------------------------------------------------------

MDB_env *open_env(const char *dir, unsigned flags, size_t mapsize) {
	MDB_env *env;
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_mapsize(env, mapsize), "mdb_env_set_mapsize");
	check(mdb_env_set_maxdbs(env, 16), "mdb_env_set_maxdbs");
	check(mdb_env_open(env, dir, flags, 0664), "mdb_env_open");
	return env;
}

void put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *d, size_t dl, unsigned flags = 0) {
	MDB_val key{kl, const_cast<void *>(k)}, data{dl, const_cast<void *>(d)};
	int rc = mdb_put(txn, dbi, &key, &data, flags);
	if (rc != MDB_KEYEXIST) check(rc, "mdb_put");
}

void del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *d = nullptr, size_t dl = 0) {
	MDB_val key{kl, const_cast<void *>(k)}, data{dl, const_cast<void *>(d)};
	int rc = mdb_del(txn, dbi, &key, d ? &data : nullptr);
	if (rc != MDB_NOTFOUND) check(rc, "mdb_del");
}

struct Dbs {
	MDB_dbi main, plain, dups, fixed, intkey, intdup;
};

Dbs open_dbs(MDB_txn *txn) {
	Dbs d;
	check(mdb_dbi_open(txn, nullptr, 0, &d.main), "open main");
	check(mdb_dbi_open(txn, "plain", MDB_CREATE, &d.plain), "open plain");
	check(mdb_dbi_open(txn, "dups", MDB_CREATE | MDB_DUPSORT, &d.dups), "open dups");
	check(mdb_dbi_open(txn, "fixed", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &d.fixed), "open fixed");
	check(mdb_dbi_open(txn, "intkey", MDB_CREATE | MDB_INTEGERKEY, &d.intkey), "open intkey");
	check(mdb_dbi_open(txn, "intdup", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP | MDB_REVERSEKEY,
	                   &d.intdup),
	      "open intdup");
	return d;
}

// One transaction's worth of random updates.
void random_updates(MDB_txn *txn, const Dbs &d, unsigned ops) {
	static char val[20000];
	for (unsigned i = 0; i < ops; i++) {
		uint64_t r = rnd();
		char key[32];
		int kl = std::snprintf(key, sizeof key, "k%05u", unsigned(r % 3000));
		bool remove = (r >> 20) % 3 == 0;
		switch ((r >> 12) % 6) {
		case 0:
		case 1: {
			MDB_dbi dbi = (r >> 12) % 6 ? d.plain : d.main;
			size_t vl = (r >> 24) % 16 == 0 ? 2000 + (r >> 30) % 15000 : (r >> 30) % 200;
			std::memset(val, int('a' + r % 26), vl);
			if (remove)
				del(txn, dbi, key, size_t(kl));
			else
				put(txn, dbi, key, size_t(kl), val, vl);
			break;
		}
		case 2: {
			int kl2 = std::snprintf(key, sizeof key, "d%03u", unsigned(r % 10));
			char v[64];
			int vl = std::snprintf(v, sizeof v, "dup-%06u", unsigned((r >> 32) % 100000));
			if (remove)
				del(txn, d.dups, key, size_t(kl2), v, size_t(vl));
			else
				put(txn, d.dups, key, size_t(kl2), v, size_t(vl));
			break;
		}
		case 3: {
			int kl2 = std::snprintf(key, sizeof key, "f%02u", unsigned(r % 4));
			uint64_t v = (r >> 24) % 50000;
			if (remove)
				del(txn, d.fixed, key, size_t(kl2), &v, sizeof v);
			else
				put(txn, d.fixed, key, size_t(kl2), &v, sizeof v);
			break;
		}
		case 4: {
			size_t k = (r >> 8) % 100000;
			if (remove)
				del(txn, d.intkey, &k, sizeof k);
			else
				put(txn, d.intkey, &k, sizeof k, key, size_t(kl));
			break;
		}
		default: {
			unsigned v = unsigned((r >> 24) % 5000);
			int kl2 = std::snprintf(key, sizeof key, "%u.i", unsigned(r % 7));
			if (remove)
				del(txn, d.intdup, key, size_t(kl2), &v, sizeof v);
			else
				put(txn, d.intdup, key, size_t(kl2), &v, sizeof v);
			break;
		}
		}
	}
}

void gen_churn(const char *dir) {
	MDB_env *env = open_env(dir, 0, size_t(64) << 20);
	MDB_txn *txn;
	check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
	Dbs d = open_dbs(txn);
	// A database to drop later: its pages make one large free list record.
	MDB_dbi doomed;
	check(mdb_dbi_open(txn, "doomed", MDB_CREATE, &doomed), "open doomed");
	for (unsigned i = 0; i < 6000; i++) {
		char key[32], v[300];
		int kl = std::snprintf(key, sizeof key, "doomed%06u", i);
		std::memset(v, 'x', sizeof v);
		put(txn, doomed, key, size_t(kl), v, sizeof v);
	}
	random_updates(txn, d, 4000);
	check(mdb_txn_commit(txn), "commit");
	for (int round = 0; round < 60; round++) {
		check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
		random_updates(txn, d, 300);
		if (round == 20) check(mdb_drop(txn, doomed, 1), "drop");
		check(mdb_txn_commit(txn), "commit");
	}
	mdb_env_close(env);
}

void gen_deep(const char *dir) {
	MDB_env *env = open_env(dir, 0, size_t(64) << 20);
	MDB_txn *txn;
	MDB_dbi dbi;
	check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
	check(mdb_dbi_open(txn, "deep", MDB_CREATE, &dbi), "open");
	static char key[500];
	for (unsigned i = 0; i < 3000; i++) {
		std::memset(key, 'k', sizeof key);
		int n = std::snprintf(key, sizeof key, "%08u", (i * 7919u) % 3000);
		key[n] = '-';
		put(txn, dbi, key, 400, "v", 1);
	}
	check(mdb_txn_commit(txn), "commit");
	check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
	for (unsigned i = 0; i < 3000; i += 3) {
		std::memset(key, 'k', sizeof key);
		int n = std::snprintf(key, sizeof key, "%08u", i);
		key[n] = '-';
		del(txn, dbi, key, 400);
	}
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
}

void gen_writemap(const char *dir) {
	MDB_env *env = open_env(dir, MDB_WRITEMAP, size_t(8) << 20);
	MDB_txn *txn;
	for (int round = 0; round < 10; round++) {
		check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
		Dbs d = open_dbs(txn);
		random_updates(txn, d, 400);
		check(mdb_txn_commit(txn), "commit");
	}
	mdb_env_close(env);
}

volatile sig_atomic_t stop_flag;
void on_term(int) { stop_flag = 1; }

void churn(const char *dir) {
	struct sigaction sa;
	std::memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, nullptr);
	MDB_env *env = open_env(dir, 0, size_t(256) << 20);
	MDB_txn *txn;
	check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
	Dbs d = open_dbs(txn);
	random_updates(txn, d, 2000);
	check(mdb_txn_commit(txn), "commit");
	std::printf("ready\n");
	std::fflush(stdout);
	// Commit until stdin closes (the test closes it to stop us).
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
	unsigned long commits = 0;
	while (!stop_flag) {
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n == 0 || (n < 0 && errno != EAGAIN)) break;
		check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
		random_updates(txn, d, 1 + unsigned(rnd() % 100));
		check(mdb_txn_commit(txn), "commit");
		commits++;
	}
	std::fprintf(stderr, "churn: %lu commits\n", commits);
	mdb_env_close(env);
}

// ---- the data file ---------------------------------------------------------------

struct File {
	int fd = -1;
	uint8_t *map = nullptr;
	size_t size = 0;
	unsigned psize = 0;

	explicit File(const char *path) {
		fd = open(path, O_RDWR);
		if (fd < 0) die("cannot open the data file");
		remap();
		Meta m;
		std::memcpy(&m, map + kPageHeaderSize, sizeof m);
		psize = m.dbs[kFreeDbi].pad;
		if (psize < kMinPageSize || psize > kMaxPageSize) die("bad page size in meta 0");
	}
	void remap() {
		if (map) munmap(map, size);
		struct stat st;
		fstat(fd, &st);
		size = size_t(st.st_size);
		void *m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) die("mmap");
		map = static_cast<uint8_t *>(m);
	}
	~File() {
		msync(map, size, MS_SYNC);
		munmap(map, size);
		close(fd);
	}
	uint8_t *page(pgno_t pg) {
		if ((pg + 1) * psize > size) die("page beyond the end of the file");
		return map + pg * psize;
	}
	Meta *meta(unsigned slot) { return reinterpret_cast<Meta *>(page(slot) + kPageHeaderSize); }
	unsigned current() {
		Meta a, b;
		std::memcpy(&a, meta(0), sizeof a);
		std::memcpy(&b, meta(1), sizeof b);
		return b.txnid > a.txnid ? 1 : 0;
	}
};

const Node *node(const uint8_t *p, unsigned i) {
	return reinterpret_cast<const Node *>(p + node_ptrs(p)[i]);
}
const uint8_t *node_key(const Node *n) { return reinterpret_cast<const uint8_t *>(n) + kNodeHeaderSize; }
const uint8_t *node_data(const Node *n) { return node_key(n) + n->ksize; }
pgno_t node_child(const Node *n) { return pgno_t(n->lo) | pgno_t(n->hi) << 16 | pgno_t(n->flags) << 32; }
uint64_t rd64(const uint8_t *p) {
	uint64_t v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

void list_tree(File &f, pgno_t root, const std::string &db, bool is_free, unsigned level = 1) {
	if (root == kInvalidPgno) return;
	const uint8_t *p = f.page(root);
	const PageHeader *h = header(p);
	unsigned n = num_keys(p);
	const char *type = (h->flags & P_BRANCH) ? "branch" : (h->flags & P_LEAF2) ? "leaf2" : "leaf";
	std::printf("page %" PRIu64 " %s %s %u %u\n", uint64_t(root), type, db.c_str(), level, n);
	if (h->flags & P_LEAF2) return;
	for (unsigned i = 0; i < n; i++) {
		const Node *nd = node(p, i);
		if (h->flags & P_BRANCH) {
			list_tree(f, node_child(nd), db, is_free, level + 1);
			continue;
		}
		const uint8_t *data = node_data(nd);
		if (nd->flags & F_BIGDATA) {
			pgno_t ov = rd64(data);
			std::printf("overflow %" PRIu64 " %u %s\n", uint64_t(ov), header(f.page(ov))->overflow_pages, db.c_str());
			data = f.page(ov) + kPageHeaderSize;
		}
		if (is_free) {
			uint64_t count = rd64(data);
			std::printf("free %" PRIu64 " %u %" PRIu64 " %" PRIu64, uint64_t(root), i, rd64(node_key(nd)), count);
			for (uint64_t j = 1; j <= count; j++) std::printf(" %" PRIu64, rd64(data + 8 * j));
			std::printf("\n");
		} else if (nd->flags == F_SUBDATA) {
			std::string name(reinterpret_cast<const char *>(node_key(nd)), nd->ksize);
			DbRecord rec;
			std::memcpy(&rec, data, sizeof rec);
			std::printf("record %s %" PRIu64 " %u\n", name.c_str(), uint64_t(root), i);
			list_tree(f, rec.root, name, false);
		} else if (nd->flags == (F_SUBDATA | F_DUPDATA)) {
			DbRecord rec;
			std::memcpy(&rec, data, sizeof rec);
			std::printf("subdb %s %" PRIu64 " %u %" PRIu64 "\n", db.c_str(), uint64_t(root), i, uint64_t(rec.root));
			list_tree(f, rec.root, db + "/dups", false);
		} else if (nd->flags == F_DUPDATA) {
			const PageHeader *sh = header(data);
			std::printf("subpage %s %" PRIu64 " %u %u %d\n", db.c_str(), uint64_t(root), i, num_keys(data),
			            (sh->flags & P_LEAF2) ? 1 : 0);
		}
	}
}

void list(File &f) {
	unsigned cur = f.current();
	Meta m;
	std::memcpy(&m, f.meta(cur), sizeof m);
	std::printf("meta %u %" PRIu64 " %" PRIu64 "\n", cur, uint64_t(m.last_pgno), uint64_t(m.txnid));
	list_tree(f, m.dbs[kMainDbi].root, "main", false);
	list_tree(f, m.dbs[kFreeDbi].root, "free", true);
}

void set_field(DbRecord *r, const std::string &field, uint64_t v) {
	if (field == "depth") r->depth = uint16_t(v);
	else if (field == "branch") r->branch_pages = v;
	else if (field == "leaf") r->leaf_pages = v;
	else if (field == "overflow") r->overflow_pages = v;
	else if (field == "entries") r->entries = v;
	else if (field == "root") r->root = v;
	else if (field == "flags") r->flags = uint16_t(v);
	else if (field == "pad") r->pad = uint32_t(v);
	else die("unknown record field");
}

uint64_t num(const char *s) { return std::strtoull(s, nullptr, 0); }

}  // namespace

int main(int argc, char **argv) {
	if (argc < 3) die("usage: chk_helper COMMAND ARGS (see the source)");
	std::string cmd = argv[1];
	if (cmd == "gen" && argc == 4) {
		std::string kind = argv[2];
		if (kind == "churn") gen_churn(argv[3]);
		else if (kind == "deep") gen_deep(argv[3]);
		else if (kind == "writemap") gen_writemap(argv[3]);
		else die("unknown kind");
		return 0;
	}
	if (cmd == "churn") {
		churn(argv[2]);
		return 0;
	}
	File f(argv[2]);
	if (cmd == "list") {
		list(f);
	} else if ((cmd == "set" || cmd == "sub") && argc == (cmd == "set" ? 7 : 8)) {
		int a = cmd == "set" ? 4 : 5;
		uint64_t off = num(argv[a]), v = num(argv[a + 2]);
		unsigned w = unsigned(num(argv[a + 1]));
		if (w != 1 && w != 2 && w != 4 && w != 8) die("width must be 1, 2, 4 or 8");
		if (off + w > f.psize) die("offset beyond the page");
		for (const char *s = argv[3]; *s;) {
			char *end;
			uint8_t *p = f.page(std::strtoull(s, &end, 0));
			if (cmd == "sub") p = const_cast<uint8_t *>(node_data(node(p, unsigned(num(argv[4])))));
			std::memcpy(p + off, &v, w);  // little-endian: the low bytes
			s = *end == ',' ? end + 1 : end;
			if (end == s && *s) die("bad page list");
		}
	} else if (cmd == "swap" && argc == 6) {
		uint8_t *p = f.page(num(argv[3]));
		indx_unaligned *ptrs = node_ptrs(p);
		unsigned i = unsigned(num(argv[4])), j = unsigned(num(argv[5]));
		indx_t t = ptrs[i];
		ptrs[i] = ptrs[j];
		ptrs[j] = t;
	} else if (cmd == "child" && argc == 6) {
		uint8_t *p = f.page(num(argv[3]));
		Node *n = reinterpret_cast<Node *>(p + node_ptrs(p)[num(argv[4])]);
		pgno_t c = num(argv[5]);
		n->lo = uint16_t(c);
		n->hi = uint16_t(c >> 16);
		n->flags = uint16_t(c >> 32);
	} else if (cmd == "meta" && (argc == 5 || argc == 6)) {
		unsigned slot = argc == 6 ? unsigned(num(argv[5])) : f.current();
		Meta m;
		std::memcpy(&m, f.meta(slot), sizeof m);
		std::string field = argv[3];
		uint64_t v = num(argv[4]);
		if (field == "magic") m.magic = uint32_t(v);
		else if (field == "version") m.version = uint32_t(v);
		else if (field == "psize") m.dbs[kFreeDbi].pad = uint32_t(v);
		else if (field == "last_pgno") m.last_pgno = v;
		else if (field == "mapsize") m.mapsize = v;
		else if (field == "txnid") m.txnid = v;
		else if (field.rfind("main.", 0) == 0) set_field(&m.dbs[kMainDbi], field.substr(5), v);
		else if (field.rfind("free.", 0) == 0) set_field(&m.dbs[kFreeDbi], field.substr(5), v);
		else die("unknown meta field");
		std::memcpy(f.meta(slot), &m, sizeof m);
	} else if (cmd == "rec" && argc == 7) {
		uint8_t *p = f.page(num(argv[3]));
		const Node *n = node(p, unsigned(num(argv[4])));
		uint8_t *data = const_cast<uint8_t *>(node_data(n));
		DbRecord r;
		std::memcpy(&r, data, sizeof r);
		set_field(&r, argv[5], num(argv[6]));
		std::memcpy(data, &r, sizeof r);
	} else if (cmd == "idl" && argc == 7) {
		uint8_t *p = f.page(num(argv[3]));
		const Node *n = node(p, unsigned(num(argv[4])));
		uint8_t *data = const_cast<uint8_t *>(node_data(n));
		if (n->flags & F_BIGDATA) data = f.page(rd64(data)) + kPageHeaderSize;
		uint64_t v = num(argv[6]);
		std::memcpy(data + 8 * num(argv[5]), &v, sizeof v);
	} else if (cmd == "node" && argc == 7) {
		uint8_t *p = f.page(num(argv[3]));
		Node *n = reinterpret_cast<Node *>(p + node_ptrs(p)[num(argv[4])]);
		std::string field = argv[5];
		uint16_t v = uint16_t(num(argv[6]));
		if (field == "lo") n->lo = v;
		else if (field == "hi") n->hi = v;
		else if (field == "flags") n->flags = v;
		else if (field == "ksize") n->ksize = v;
		else die("unknown node field");
	} else if (cmd == "key" && argc == 7) {
		uint8_t *p = f.page(num(argv[3]));
		uint8_t *k = p + node_ptrs(p)[num(argv[4])] + kNodeHeaderSize;
		k[num(argv[5])] = uint8_t(num(argv[6]));
	} else if (cmd == "children" && argc == 4) {
		const uint8_t *p = f.page(num(argv[3]));
		for (unsigned i = 0; i < num_keys(p); i++) std::printf("%" PRIu64 "\n", uint64_t(node_child(node(p, i))));
	} else if (cmd == "grow") {
		unsigned cur = f.current();
		Meta m;
		std::memcpy(&m, f.meta(cur), sizeof m);
		m.last_pgno++;
		std::memcpy(f.meta(cur), &m, sizeof m);
		if ((m.last_pgno + 1) * f.psize > f.size && !(argc > 3 && std::string(argv[3]) == "noextend")) {
			if (ftruncate(f.fd, off_t((m.last_pgno + 1) * f.psize))) die("ftruncate");
			f.remap();
		}
		std::printf("%" PRIu64 "\n", uint64_t(m.last_pgno));
	} else {
		die("unknown command or wrong arguments");
	}
	return 0;
}
