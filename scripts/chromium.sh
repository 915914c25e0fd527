#!/usr/bin/env bash
# Prints the path of a Chromium executable, for the real-browser tests (apps/console/e2e) and
# `pnpm bench:console`. Looks for `chromium` or `chromium-browser` on PATH, then /usr/bin/chromium;
# when none is there, installs Debian's `chromium` package with apt-get (needs root) and prints
# its path. Quiet when Chromium is already installed: stdout holds only the path.
# Exit status: non-zero, with the reason on stderr, if no Chromium can be found or installed.
set -uo pipefail

find_chromium() {
  local name path
  for name in chromium chromium-browser; do
    if path="$(command -v "$name" 2>/dev/null)" && [ -n "$path" ] && [ -x "$path" ]; then
      echo "$path"
      return 0
    fi
  done
  if [ -x /usr/bin/chromium ]; then
    echo /usr/bin/chromium
    return 0
  fi
  return 1
}

if find_chromium; then
  exit 0
fi

fail() {
  echo "scripts/chromium.sh: $*" >&2
  echo "scripts/chromium.sh: install Chromium yourself (e.g. apt-get install chromium) or set HERALD_CHROMIUM to its executable" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "no Chromium found (chromium, chromium-browser, /usr/bin/chromium) and no apt-get to install it with"
[ "$(id -u)" = "0" ] || fail "no Chromium found, and installing Debian's chromium package needs root (running as uid $(id -u))"

echo "scripts/chromium.sh: no Chromium found; installing Debian's chromium package (apt-get)" >&2
# apt's progress goes to stderr so that stdout carries only the path.
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2; then
  fail "apt-get could not install the chromium package"
fi

find_chromium || fail "apt-get installed the chromium package, but no chromium executable was found afterwards"
