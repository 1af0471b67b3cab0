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

# npm packages, skipped when node_modules was installed from this very lock file by this Node on this machine.
# `npm ci` refuses a lock file without every platform's optional build of rollup (used by the web build), and
# registry mirrors often carry only some of them; `npm install` then installs the same locked versions and skips
# the optional packages the mirror lacks. The committed lock file is put back either way: setup leaves
# `git status` clean.
lock_hash=$( (cat package-lock.json package.json; node -p 'process.version + process.arch + process.platform') | sha256sum | cut -d' ' -f1)
stamp=node_modules/.assistd-lock-hash
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  cp package-lock.json .setup-lock.json
  trap 'mv -f .setup-lock.json package-lock.json 2>/dev/null || true' EXIT
  if npm ci --no-audit --no-fund --loglevel=error 2>/dev/null; then :
  else npm install --no-save --no-audit --no-fund; fi
  mv -f .setup-lock.json package-lock.json
  trap - EXIT
  echo "$lock_hash" > "$stamp"
else
  echo "setup: npm packages are up to date with package-lock.json"
fi

# The build, skipped when dist/ is newer than every source it is built from.
build_stamp=dist/.assistd-build-stamp
if [ -f "$build_stamp" ] && [ -z "$(find src web scripts/build.mjs tsconfig.json tsconfig.build.json package-lock.json \
    -path web/dist -prune -o -newer "$build_stamp" -print -quit)" ]; then
  echo "setup: dist/ is up to date"
else
  started=$(mktemp)
  npm run build
  touch -r "$started" "$build_stamp" && rm -f "$started"
fi

# `assistd` as a command: a link in npm's global bin directory (on PATH) to this checkout's dist/cli.js.
bin_dir="$(npm prefix -g)/bin"
target="$PWD/dist/cli.js"
if [ "$(readlink "$bin_dir/assistd" 2>/dev/null)" = "$target" ]; then :
elif mkdir -p "$bin_dir" 2>/dev/null && ln -sfn "$target" "$bin_dir/assistd" 2>/dev/null; then
  echo "setup: linked $bin_dir/assistd -> $target"
else
  echo "setup: cannot write $bin_dir; run assistd as: node $target (or add a link to it on your PATH)" >&2
fi
