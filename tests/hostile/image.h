// A data.mdb held in memory, and an independent map of its pages (which
// page belongs to which tree at which level, where the sub-pages, overflow
// runs and db records are), so tests can corrupt exactly the byte they mean.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "format/layout.h"

namespace hostile {

namespace fmt = lmdb::format;

struct Image {
	std::vector<uint8_t> bytes;
	unsigned psize = 0;

	uint8_t *page(uint64_t pg) { return bytes.data() + pg * psize; }
	fmt::PageHeader *hdr(uint64_t pg) { return reinterpret_cast<fmt::PageHeader *>(page(pg)); }
	fmt::Meta *meta(unsigned i) { return reinterpret_cast<fmt::Meta *>(page(i) + fmt::kPageHeaderSize); }
	unsigned cur_meta() { return meta(1)->txnid > meta(0)->txnid ? 1 : 0; }
	uint64_t npages() const { return bytes.size() / psize; }

	uint16_t ptr(uint64_t pg, unsigned i) {
		uint16_t v;
		std::memcpy(&v, page(pg) + fmt::kPageHeaderSize + 2 * i, 2);
		return v;
	}
	void set_ptr(uint64_t pg, unsigned i, uint16_t v) {
		std::memcpy(page(pg) + fmt::kPageHeaderSize + 2 * i, &v, 2);
	}
	unsigned nkeys(uint64_t pg) { return (hdr(pg)->lower - fmt::kPageHeaderSize) / 2; }
	// Node i of page pg (a pointer into the image).
	fmt::Node *node(uint64_t pg, unsigned i) { return reinterpret_cast<fmt::Node *>(page(pg) + ptr(pg, i)); }
	static uint64_t child(const fmt::Node *n) {
		return uint64_t(n->lo) | uint64_t(n->hi) << 16 | uint64_t(n->flags) << 32;
	}
	static void set_child(fmt::Node *n, uint64_t pg) {
		n->lo = uint16_t(pg);
		n->hi = uint16_t(pg >> 16);
		n->flags = uint16_t(pg >> 32);
	}
	static uint32_t dsize(const fmt::Node *n) { return uint32_t(n->lo) | uint32_t(n->hi) << 16; }
	static void set_dsize(fmt::Node *n, uint32_t s) {
		n->lo = uint16_t(s);
		n->hi = uint16_t(s >> 16);
	}
	static uint8_t *ndata(fmt::Node *n) { return reinterpret_cast<uint8_t *>(n) + 8 + n->ksize; }
};

// Where something sits: page and (optionally) node index.
struct Loc {
	uint64_t pg = 0;
	unsigned idx = 0;
};

struct TreePages {
	std::vector<uint64_t> root;                 // root page
	std::vector<std::vector<uint64_t>> level;   // pages by level (0 = root)
	unsigned depth = 0;
};

struct PageMap {
	std::map<std::string, TreePages> trees;  // "main", "free", "tree", "dups/D0", ...
	std::map<std::string, Loc> records;      // named db record nodes in the main db
	std::vector<Loc> bignodes;               // F_BIGDATA nodes (big db)
	std::vector<Loc> subpage_nodes;          // F_DUPDATA nodes holding a sub-page
	std::vector<Loc> subdb_nodes;            // F_DUPDATA|F_SUBDATA nodes
	std::vector<Loc> fixed_subpage_nodes;    // sub-pages of the DUPFIXED db
	std::vector<Loc> fixed_subdb_nodes;
	std::vector<Loc> free_records;           // leaf nodes of the free db
};

inline void walk_tree(Image &im, PageMap &pm, const std::string &name, uint64_t root,
                      unsigned dbflags) {
	TreePages &t = pm.trees[name];
	if (root == fmt::kInvalidPgno) return;
	t.root.push_back(root);
	std::vector<uint64_t> cur{root};
	while (!cur.empty()) {
		t.level.push_back(cur);
		std::vector<uint64_t> next;
		for (uint64_t pg : cur) {
			fmt::PageHeader *h = im.hdr(pg);
			if (h->flags & fmt::P_BRANCH) {
				for (unsigned i = 0; i < im.nkeys(pg); i++) next.push_back(Image::child(im.node(pg, i)));
				continue;
			}
			if (h->flags & fmt::P_LEAF2) continue;
			for (unsigned i = 0; i < im.nkeys(pg); i++) {
				fmt::Node *n = im.node(pg, i);
				std::string key(reinterpret_cast<char *>(n) + 8, n->ksize);
				if (name == "main" && (n->flags & fmt::F_SUBDATA)) {
					pm.records[key] = Loc{pg, i};
					fmt::DbRecord rec;
					std::memcpy(&rec, Image::ndata(n), sizeof rec);
					walk_tree(im, pm, key, rec.root, rec.flags);
				} else if (name == "free") {
					pm.free_records.push_back(Loc{pg, i});
				} else if ((n->flags & fmt::F_DUPDATA) && (n->flags & fmt::F_SUBDATA)) {
					((dbflags & 0x10) ? pm.fixed_subdb_nodes : pm.subdb_nodes).push_back(Loc{pg, i});
					fmt::DbRecord rec;
					std::memcpy(&rec, Image::ndata(n), sizeof rec);
					walk_tree(im, pm, name + "/" + key, rec.root, 0);
				} else if (n->flags & fmt::F_DUPDATA) {
					((dbflags & 0x10) ? pm.fixed_subpage_nodes : pm.subpage_nodes).push_back(Loc{pg, i});
				} else if (n->flags & fmt::F_BIGDATA) {
					pm.bignodes.push_back(Loc{pg, i});
				}
			}
		}
		cur.swap(next);
	}
	t.depth = unsigned(t.level.size());
}

inline PageMap map_pages(Image &im) {
	PageMap pm;
	fmt::Meta *m = im.meta(im.cur_meta());
	walk_tree(im, pm, "free", m->dbs[fmt::kFreeDbi].root, 0);
	walk_tree(im, pm, "main", m->dbs[fmt::kMainDbi].root, 0);
	return pm;
}

}  // namespace hostile
