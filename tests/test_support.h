// Small helpers shared by the unit tests.
#pragma once
#include <cstdlib>
#include <cstring>
#include <string>

#include "lmdb.h"
#include <unistd.h>

// The profile runtime of the coverage build (scripts/coverage.sh: clang
// -fprofile-instr-generate); a null address in any other build.
extern "C" int __llvm_profile_write_file(void) __attribute__((weak));

namespace test_support {

// _exit() for a forked child that ran library code: in the coverage build
// the child's counts are written first (_exit skips the exit handler that
// would write them), so that what the children exercise (the hostile-file
// runs, lock-table children) counts as covered.
[[noreturn]] inline void child_exit(int code) {
	if (&__llvm_profile_write_file != nullptr) __llvm_profile_write_file();
	_exit(code);
}

// MDB_val views.  The const char* overload exists so that a string literal
// does not bind to a temporary std::string that dies before the call.
inline MDB_val val(const std::string &s) { return MDB_val{s.size(), const_cast<char *>(s.data())}; }
inline MDB_val val(const char *s) { return MDB_val{std::strlen(s), const_cast<char *>(s)}; }
inline std::string str(const MDB_val &v) { return std::string(static_cast<const char *>(v.mv_data), v.mv_size); }

// A fresh directory under `base` (default /tmp), removed with its contents
// at scope exit.
class TempDir {
public:
	explicit TempDir(const std::string &base = "/tmp") {
		std::string tmpl = base + "/lmdbcpp-test-XXXXXX";
		char *p = mkdtemp(tmpl.data());
		path_ = p ? p : "";
	}
	~TempDir() {
		if (!path_.empty()) {
			std::string cmd = "rm -rf '" + path_ + "'";
			if (std::system(cmd.c_str()) != 0) {
			}
		}
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	const std::string &path() const { return path_; }
	std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
	std::string path_;
};

// The same on tmpfs: syncs cost nothing there.
class ShmDir : public TempDir {
public:
	ShmDir() : TempDir("/dev/shm") {}
};

}  // namespace test_support
