#!/usr/bin/env bash
# Builds better-sqlite3's native binding (the embedded mode's SQLite store) after `pnpm install`.
#
# pnpm (allowBuilds: better-sqlite3: false in pnpm-workspace.yaml) does not run its install
# script, because that script (prebuild-install, then node-gyp) fails on a machine without
# github.com and nodejs.org: node-gyp downloads Node's headers. This script, run by the root
# `postinstall`, does the same with the headers of the Node.js that runs it when they are
# installed (Debian's nodejs puts them in /usr/include/node), so the build is offline.
# It does nothing when the binding already loads.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
store=packages/store
loads() { (cd "$store" && node -e "new (require('better-sqlite3'))(':memory:').close()") >/dev/null 2>&1; }
if loads; then exit 0; fi
dir=$(cd "$store" && node -p "require('path').dirname(require.resolve('better-sqlite3/package.json'))")
prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node.h" ]; then export npm_config_nodedir="$prefix"; fi
echo "[native-build] building better-sqlite3 in $dir (Node headers: ${npm_config_nodedir:-downloaded by node-gyp})"
gyp=$(command -v node-gyp || true)
(
  cd "$dir"
  if [ -x node_modules/.bin/prebuild-install ] && node_modules/.bin/prebuild-install >/dev/null 2>&1; then exit 0; fi
  if [ -n "$gyp" ]; then "$gyp" rebuild --release; else npx -y node-gyp@12 rebuild --release; fi
) > .cache/native-build.log 2>&1 || { echo "[native-build] better-sqlite3 did not build; see .cache/native-build.log" >&2; tail -20 .cache/native-build.log >&2; exit 1; }
loads || { echo "[native-build] better-sqlite3 built but does not load; see .cache/native-build.log" >&2; exit 1; }
echo "[native-build] better-sqlite3 ready"
