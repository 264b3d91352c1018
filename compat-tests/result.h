// The observable outcome of one operation on one implementation: a list of
// named fields (return codes, returned bytes, statistics, ids).  Two results
// are compared field by field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace compat {

struct Field {
  const char *name;
  bool is_bytes;
  int64_t num;
  std::string bytes;
  bool operator==(const Field &o) const {
    return is_bytes == o.is_bytes && num == o.num && bytes == o.bytes && std::string(name) == o.name;
  }
};

struct Result {
  std::vector<Field> fields;
  int rc = 0;  // the main return code (also present as a field)

  void clear() {
    fields.clear();
    rc = 0;
  }
  void num(const char *name, int64_t v) { fields.push_back(Field{name, false, v, {}}); }
  void bytes(const char *name, const void *p, size_t n) {
    fields.push_back(Field{name, true, static_cast<int64_t>(n), std::string(static_cast<const char *>(p), n)});
  }
  void set_rc(const char *name, int v) {
    num(name, v);
    rc = v;
  }
  bool operator==(const Result &o) const { return fields == o.fields; }
};

// Multi-line rendering of two results, marking the fields that differ.
std::string format_results(const Result &a, const char *name_a, const Result &b, const char *name_b);
std::string format_field(const Field &f);

}  // namespace compat
