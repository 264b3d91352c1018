#!/usr/bin/env bash
# One command for a fresh machine: install what is missing, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
echo "--- demo (examples/demo.c against build/release/liblmdb.so.0) ---"
./build/release/examples/lmdb_demo
