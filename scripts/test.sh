#!/usr/bin/env bash
# The whole test suite: Release build, then the ASan+UBSan build, then TSan.
# Usage: scripts/test.sh [preset ...]   (default: release asan tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release asan tsan)
for p in "${presets[@]}"; do
  echo "=== preset $p"
  cmake --preset "$p" >/dev/null
  cmake --build --preset "$p"
  ctest --preset "$p"
done
