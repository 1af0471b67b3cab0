#!/usr/bin/env bash
# One-time (and idempotent) setup on Debian/Ubuntu: system packages for the sandbox, browser tests and the
# Postgres test cluster; npm dependencies; the build. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^\s*#' scripts/system-packages.txt | xargs)
missing=()
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = none ]; then
    echo "setup: cannot install system packages without root or sudo: ${missing[*]}" >&2
    echo "setup: the server still runs; code_interpreter needs them (see docs/sandbox.md)" >&2
  else
    echo "setup: installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# `npm ci` refuses a lock file without every platform's optional build of rollup (used by the web build), and
# registry mirrors often carry only some of them; `npm install` then installs the same locked versions and skips
# the optional packages the mirror lacks.
if [ -f package-lock.json ] && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null; then :
else npm install --no-audit --no-fund; fi
npm run build
