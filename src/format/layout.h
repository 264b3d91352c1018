// On-disk layout of data.mdb, as LMDB 0.9 writes it on x86-64 Linux.
// See docs/format.md for the prose description.  Everything here is plain
// data with fixed offsets; the static_asserts pin the byte layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lmdb::format {

using pgno_t = uint64_t;
using txnid_t = uint64_t;
using indx_t = uint16_t;

inline constexpr uint32_t kMagic = 0xBEEFC0DE;
inline constexpr uint32_t kDataVersion = 1;
inline constexpr pgno_t kInvalidPgno = ~pgno_t(0);
inline constexpr unsigned kMaxKeySize = 511;
inline constexpr unsigned kMinKeysPerPage = 2;
inline constexpr unsigned kNumMetas = 2;
inline constexpr unsigned kFreeDbi = 0;
inline constexpr unsigned kMainDbi = 1;
inline constexpr unsigned kCoreDbs = 2;
inline constexpr unsigned kMaxDepth = 32;  // a cursor stack bound; deeper is corruption
inline constexpr unsigned kMinPageSize = 512;
inline constexpr unsigned kMaxPageSize = 0x8000;  // 32 KiB, as upstream 0.9 caps it

// Page flags (page header mp_flags).
enum PageFlags : uint16_t {
	P_BRANCH = 0x01,
	P_LEAF = 0x02,
	P_OVERFLOW = 0x04,
	P_META = 0x08,
	P_DIRTY = 0x10,
	P_LEAF2 = 0x20,
	P_SUBP = 0x40,
	P_LOOSE = 0x4000,
	P_KEEP = 0x8000,
};

// Node flags (node mn_flags, leaf nodes only).
enum NodeFlags : uint16_t {
	F_BIGDATA = 0x01,  // data lives on overflow pages; node data is the pgno
	F_SUBDATA = 0x02,  // data is a database record (named db or dup sub-db)
	F_DUPDATA = 0x04,  // data holds duplicates (sub-page or sub-db)
};

// Database record flags that are stored on disk.
inline constexpr uint16_t kPersistentDbFlags = 0x7e;  // REVERSEKEY..REVERSEDUP
inline constexpr uint16_t kDupSortFlag = 0x04;          // MDB_DUPSORT
inline constexpr uint16_t kDupFixedFlag = 0x10;         // MDB_DUPFIXED
inline constexpr uint16_t kIntegerKeyFlag = 0x08;       // MDB_INTEGERKEY
// The flags of a database record read from the file: stored flags only,
// and MDB_DUPFIXED only together with MDB_DUPSORT (alone it makes LEAF2
// leaves with no item size and no sub-cursor: CVE-2019-16224).  INTEGERDUP
// and REVERSEDUP without DUPSORT are harmless (upstream ignores them, and
// creates such dbs): accepted.
inline bool db_flags_sane(uint16_t f) {
	return !(f & ~kPersistentDbFlags) && (!(f & kDupFixedFlag) || (f & kDupSortFlag));
}
// The free db's flags field also holds the low 16 bits of the env flags
// (MDB_FIXEDMAP, MDB_NOSUBDIR); of the db flags it has MDB_INTEGERKEY, and
// no other.
inline bool free_db_flags_sane(uint16_t f) {
	return (f & kIntegerKeyFlag) && !(f & kPersistentDbFlags & ~kIntegerKeyFlag);
}
// In-memory only: the record in the txn's table is valid.

// The 16-byte header at the start of every page (except overflow
// continuation pages, which have no header).  Sub-pages of sorted
// duplicates live inside leaf nodes at any byte offset, so page headers,
// nodes and node pointers are declared without alignment requirements;
// x86-64 loads them at full speed anyway.
// A node pointer read or written at any address: a packed one-member
// struct (clang ignores aligned(1) on a scalar typedef, and a sub-page may
// start at an odd address).  Loads and stores compile to plain 16-bit moves.
struct __attribute__((packed)) indx_unaligned {
	uint16_t v;
	operator uint16_t() const { return v; }
	indx_unaligned &operator=(uint16_t x) {
		v = x;
		return *this;
	}
};
static_assert(sizeof(indx_unaligned) == 2 && alignof(indx_unaligned) == 1);

struct __attribute__((packed)) PageHeader {
	pgno_t pgno;      // page number (in memory: freelist link for loose pages)
	uint16_t pad;     // LEAF2 pages: the fixed key size
	uint16_t flags;   // PageFlags
	union __attribute__((packed)) {
		struct __attribute__((packed)) {
			indx_t lower;  // end of the node-pointer array
			indx_t upper;  // start of node storage
		};
		uint32_t overflow_pages;  // P_OVERFLOW: pages in this run
	};
};
static_assert(alignof(PageHeader) == 1);
static_assert(sizeof(PageHeader) == 16);
inline constexpr unsigned kPageHeaderSize = sizeof(PageHeader);

// A node inside a branch or leaf page.  Leaf: lo|hi<<16 is the data size.
// Branch: lo|hi<<16|flags<<32 is the child page number.
struct __attribute__((packed)) Node {
	uint16_t lo;
	uint16_t hi;
	uint16_t flags;
	uint16_t ksize;
	// key bytes, then data bytes (leaf) follow
};
static_assert(sizeof(Node) == 8);
inline constexpr unsigned kNodeHeaderSize = 8;

// A database record: 48 bytes.  Stored in the meta page for the free and
// main databases, as node data (F_SUBDATA) for named dbs and dup sub-dbs.
struct DbRecord {
	uint32_t pad;        // LEAF2 key size of DUPFIXED sub-dbs; page size in FREE_DBI of meta
	uint16_t flags;      // database flags (in FREE_DBI of meta: env flags)
	uint16_t depth;      // tree height
	uint64_t branch_pages;
	uint64_t leaf_pages;
	uint64_t overflow_pages;
	uint64_t entries;
	pgno_t root;         // kInvalidPgno for an empty tree
};
static_assert(sizeof(DbRecord) == 48);

// The meta record, at offset kPageHeaderSize of pages 0 and 1.
struct Meta {
	uint32_t magic;
	uint32_t version;
	uint64_t address;    // fixed map address, or 0
	uint64_t mapsize;
	DbRecord dbs[kCoreDbs];
	pgno_t last_pgno;    // highest page number in use
	txnid_t txnid;       // transaction that wrote this meta
};
static_assert(sizeof(Meta) == 136);
static_assert(offsetof(Meta, dbs) == 24);
static_assert(offsetof(Meta, last_pgno) == 120);

// ---- helpers on raw page memory --------------------------------------------

inline const PageHeader *header(const void *page) { return static_cast<const PageHeader *>(page); }

inline indx_unaligned *node_ptrs(void *page) {
	return reinterpret_cast<indx_unaligned *>(static_cast<char *>(page) + kPageHeaderSize);
}
inline const indx_unaligned *node_ptrs(const void *page) {
	return reinterpret_cast<const indx_unaligned *>(static_cast<const char *>(page) + kPageHeaderSize);
}
inline unsigned num_keys(const void *page) {
	return (header(page)->lower - kPageHeaderSize) >> 1;
}

inline uint64_t overflow_pages_for(uint64_t datasize, unsigned psize) {
	return (kPageHeaderSize - 1 + datasize) / psize + 1;
}
// No value is longer than kMaxDataSize bytes: no overflow run is longer than this.
inline constexpr uint64_t kMaxDataSize = 0xffffffffu;
inline uint64_t max_overflow_pages(unsigned psize) { return overflow_pages_for(kMaxDataSize, psize); }

}  // namespace lmdb::format
