/* page_compare A B: compare two LMDB data files page by page, ignoring the
 * bytes no reader ever looks at (the gap between a page's pointer array and
 * its nodes, the tail of a LEAF2 page, the rest of a meta page).  Upstream's
 * compacting copy leaves uninitialised heap bytes in those gaps, so its
 * output is only comparable this way.  Exit 0 when equal, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len) {
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static uint16_t u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const unsigned char *p) { return (uint32_t)u16(p) | (uint32_t)u16(p + 2) << 16; }

static int differ(const unsigned char *a, const unsigned char *b, size_t from, size_t to, size_t pg) {
	if (to > from && memcmp(a + from, b + from, to - from)) {
		printf("page %zu differs in bytes %zu..%zu\n", pg, from, to);
		return 1;
	}
	return 0;
}

static int compare(const unsigned char *a, size_t la, const unsigned char *b, size_t lb);

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: page_compare A B\n");
		return 2;
	}
	size_t la, lb;
	unsigned char *a = slurp(argv[1], &la), *b = slurp(argv[2], &lb);
	if (!a || !b) {
		fprintf(stderr, "page_compare: cannot read input\n");
		free(a);
		free(b);
		return 2;
	}
	int rc = compare(a, la, b, lb);
	free(a);
	free(b);
	return rc;
}

static int compare(const unsigned char *a, size_t la, const unsigned char *b, size_t lb) {
	if (la != lb) {
		printf("sizes differ: %zu and %zu\n", la, lb);
		return 1;
	}
	if (la < 2 * 152) return la ? memcmp(a, b, la) != 0 : 0;
	size_t psize = u32(a + 16 + 24); /* meta: free db record's pad = page size */
	if (psize < 512 || psize > 65536 || la % psize) {
		printf("bad page size %zu\n", psize);
		return 1;
	}
	size_t npages = la / psize;
	for (size_t pg = 0; pg < npages; pg++) {
		const unsigned char *pa = a + pg * psize, *pb = b + pg * psize;
		uint16_t flags = u16(pa + 10);
		if (differ(pa, pb, 0, 16, pg)) return 1;
		if (flags & 0x08) { /* meta */
			if (differ(pa, pb, 16, 16 + 136, pg)) return 1;
		} else if (flags & 0x04) { /* overflow run: compare it whole */
			size_t n = u32(pa + 12);
			if (n < 1 || pg + n > npages) n = 1;
			if (differ(pa, pb, 0, n * psize, pg)) return 1;
			pg += n - 1;
		} else if (flags & 0x20) { /* LEAF2: packed keys after the header */
			size_t nk = (u16(pa + 12) - 16u) / 2, ks = u16(pa + 8);
			size_t end = 16 + nk * ks;
			if (differ(pa, pb, 16, end < psize ? end : psize, pg)) return 1;
		} else {
			size_t lower = u16(pa + 12), upper = u16(pa + 14);
			if (lower > upper || upper > psize) lower = upper = psize;
			if (differ(pa, pb, 16, lower, pg) || differ(pa, pb, upper, psize, pg)) return 1;
		}
	}
	return 0;
}
