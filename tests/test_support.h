// Small helpers shared by the unit tests.
#pragma once
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace test_support {

// A fresh directory under /tmp, removed with its contents at scope exit.
class TempDir {
public:
	TempDir() {
		char tmpl[] = "/tmp/lmdbcpp-test-XXXXXX";
		char *p = mkdtemp(tmpl);
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

}  // namespace test_support
