#!/usr/bin/env bash
# Install whatever this project needs on a Debian 12 machine and is missing.
# clang, libclang-rt-14-dev and llvm: the fuzz preset (libFuzzer, sanitizers)
# and scripts/coverage.sh (llvm-cov, llvm-profdata).
set -euo pipefail
# pkg-config: tests/install; python3-lmdb, python3-pytest, postfix-lmdb: the
# real programs of tests/programs; dpkg-dev: scripts/package.sh.
pkgs=(build-essential cmake catch2 liblmdb0 liblmdb-dev lmdb-utils pkgconf dpkg-dev
      python3-lmdb python3-pytest postfix postfix-lmdb clang libclang-rt-14-dev llvm python3)
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # postfix: no configuration, no mail daemon (postmap/postalias are all the
  # tests use).
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
