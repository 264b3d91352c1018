// memlat: the machine's memory latencies, for the cost model in
// docs/performance.md.  A pointer chase through a random cycle of cache
// lines in a buffer of each size gives the latency of one dependent load
// (L1, L2, L3, memory; at large sizes every step is also a TLB miss, as a
// random leaf page of a big map is).  Chasing K independent cycles at once
// shows how many misses the core overlaps: the reason a prefetch of a
// whole page costs about one latency, not one per line.
//
//   memlat [--quick]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr size_t kLine = 64;

// A random cycle through every line of buf (Sattolo's algorithm): each
// line's first word holds the address of the next line to visit.
void make_cycle(char *buf, size_t bytes, std::mt19937_64 &rng) {
	size_t n = bytes / kLine;
	std::vector<size_t> order(n);
	for (size_t i = 0; i < n; i++) order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rng() % i;
		std::swap(order[i], order[j]);
	}
	for (size_t i = 0; i < n; i++) {
		char *from = buf + order[i] * kLine;
		char *to = buf + order[(i + 1) % n] * kLine;
		std::memcpy(from, &to, sizeof to);
	}
}

// ns per step of `chains` chases of `steps` each, started at evenly spaced
// points of the cycle and advanced together.
double chase(char *buf, size_t bytes, unsigned chains, size_t steps) {
	constexpr unsigned kMax = 16;
	char *p[kMax];
	size_t n = bytes / kLine;
	// Starting points: walk the cycle from line 0.
	char *q = buf;
	for (unsigned c = 0; c < chains; c++) {
		p[c] = q;
		for (size_t s = 0; s < n / chains; s++) std::memcpy(&q, q, sizeof q);
	}
	auto t0 = std::chrono::steady_clock::now();
	for (size_t s = 0; s < steps; s++)
		for (unsigned c = 0; c < chains; c++) std::memcpy(&p[c], p[c], sizeof p[c]);
	auto t1 = std::chrono::steady_clock::now();
	uintptr_t sink = 0;
	for (unsigned c = 0; c < chains; c++) sink ^= reinterpret_cast<uintptr_t>(p[c]);
	if (sink == 1) std::puts("");
	return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(steps * chains);
}

}  // namespace

int main(int argc, char **argv) {
	bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
	std::mt19937_64 rng(7);
	const size_t sizes[] = {size_t(16) << 10, size_t(256) << 10, size_t(1) << 20, size_t(8) << 20,
	                        size_t(24) << 20, size_t(128) << 20, size_t(512) << 20, size_t(2) << 30};
	std::printf("# dependent-load latency (ns) by buffer size; K chains: ns per load with K chases interleaved\n");
	std::printf("%12s %8s %8s %8s %8s %8s\n", "bytes", "K=1", "K=2", "K=4", "K=8", "K=16");
	for (size_t bytes : sizes) {
		if (quick && bytes > (size_t(64) << 20)) break;
		char *buf = static_cast<char *>(std::aligned_alloc(4096, bytes));
		if (!buf) {
			std::printf("%12zu  (no memory)\n", bytes);
			continue;
		}
		make_cycle(buf, bytes, rng);
		size_t steps = quick ? 200000 : 2000000;
		std::printf("%12zu", bytes);
		for (unsigned k : {1u, 2u, 4u, 8u, 16u}) std::printf(" %8.1f", chase(buf, bytes, k, steps / k));
		std::printf("\n");
		std::free(buf);
	}
	return 0;
}
