// libFuzzer entry point: the input is a data.mdb behind kOpBytes bytes that
// choose what to do with it (open mode, which scans, copies).  Every answer
// must be an LMDB error code; crashes, hangs, leaks and sanitizer reports
// are findings.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hostile/exercise.h"
#include "lmdb.h"

namespace {

constexpr size_t kOpBytes = 4;
std::string g_dir, g_copy;

void put_file(const std::string &path, const uint8_t *data, size_t n) {
	::unlink(path.c_str());
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) abort();
	while (n) {
		ssize_t w = ::write(fd, data, n);
		if (w <= 0) abort();
		data += w;
		n -= size_t(w);
	}
	::close(fd);
}

std::string make_dir(const char *base) {
	std::string t = std::string(base) + "/lmdb-fuzz-XXXXXX";
	if (!mkdtemp(t.data())) abort();
	return t;
}

// Long runs start many processes (-fork): each removes its directories.
void remove_dirs() {
	for (const char *f : {"/data.mdb", "/lock.mdb"}) ::unlink((g_dir + f).c_str());
	::rmdir(g_dir.c_str());
	for (const char *d : {"/plain", "/compact"}) {
		std::string sub = g_copy + d;
		for (const char *f : {"/data.mdb", "/lock.mdb"}) ::unlink((sub + f).c_str());
		::rmdir(sub.c_str());
	}
	::rmdir(g_copy.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
	g_dir = make_dir(base);
	g_copy = make_dir(base);
	std::atexit(remove_dirs);
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size < kOpBytes) return 0;
	const uint8_t op = data[0], op2 = data[1];
	put_file(g_dir + "/data.mdb", data + kOpBytes, size - kOpBytes);
	::unlink((g_dir + "/lock.mdb").c_str());

	hostile::Plan plan;
	switch (op & 3) {
	case 0: plan.env_flags = 0; break;
	case 1: plan.env_flags = MDB_RDONLY; break;
	case 2: plan.env_flags = MDB_WRITEMAP; break;
	default: plan.env_flags = MDB_NOMEMINIT; break;
	}
	plan.backwards = op & 4;
	plan.rescan = op & 8;
	plan.copies = (op & 16) && !(plan.env_flags & MDB_WRITEMAP);
	plan.writes = !(op & 32);
	plan.scan_cap = 500 + 100u * (op2 & 15);
	plan.copy_dir = g_copy.c_str();

	hostile::Outcome out;
	hostile::exercise(g_dir, plan, &out);
	if (out.unexpected_rc || !out.done) {
		std::fprintf(stderr, "unexpected answer %d (%s) from %s\n", out.unexpected_rc,
		             mdb_strerror(out.unexpected_rc), out.unexpected_op);
		abort();
	}
	return 0;
}
