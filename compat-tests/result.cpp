#include "result.h"

#include <algorithm>

#include "keyspace.h"
#include "ops.h"

namespace compat {

std::string format_field(const Field &f) {
  std::string n = f.name;
  if (f.is_bytes) return n + "=" + preview(f.bytes, 40);
  if (n == "rc" || (n.size() > 3 && n.compare(n.size() - 3, 3, ".rc") == 0)) return n + "=" + rc_name(static_cast<int>(f.num));
  return n + "=" + std::to_string(f.num);
}

std::string format_results(const Result &a, const char *name_a, const Result &b, const char *name_b) {
  std::string out;
  size_t n = std::max(a.fields.size(), b.fields.size());
  for (size_t i = 0; i < n; i++) {
    const Field *fa = i < a.fields.size() ? &a.fields[i] : nullptr;
    const Field *fb = i < b.fields.size() ? &b.fields[i] : nullptr;
    bool same = fa && fb && *fa == *fb;
    out += same ? "      " : "  !!  ";
    out += std::string(name_a) + ": " + (fa ? format_field(*fa) : "(missing)");
    if (!same) {
      out += "\n        " + std::string(name_b) + ": " + (fb ? format_field(*fb) : "(missing)");
      if (fa && fb && fa->is_bytes && fb->is_bytes) {
        size_t k = 0;
        while (k < fa->bytes.size() && k < fb->bytes.size() && fa->bytes[k] == fb->bytes[k]) k++;
        out += "\n        (first difference at byte " + std::to_string(k) + ")";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace compat
