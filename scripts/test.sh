#!/usr/bin/env bash
# The whole test suite: Release build, then the ASan+UBSan build, then TSan,
# then the fuzz preset (clang): the hostile-file fuzzer over its seed corpus
# and the differential API fuzzer for a fixed budget (scripts/fuzz_ci.sh).
# Usage: scripts/test.sh [preset ...]   (default: release asan tsan fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release asan tsan fuzz)
for p in "${presets[@]}"; do
  echo "=== preset $p"
  if [ "$p" = fuzz ]; then
    bash scripts/fuzz_ci.sh
    continue
  fi
  cmake --preset "$p" >/dev/null
  cmake --build --preset "$p"
  ctest --preset "$p"
done
