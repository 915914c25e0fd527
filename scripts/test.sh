#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the dependencies, starts real Kafka and
# mongo-java-server on loopback (scripts/services.sh; skipped when KAFKA_BROKERS and MONGODB_URI
# are both set), makes sure Chromium is there (scripts/chromium.sh) and builds the console and the apps,
# type-checks, runs every vitest project (unit, contract, integration), stops the services, and
# ends with one line: "N passed, N failed".
# Exit status: non-zero if anything failed, or if no test ran.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PNPM_VERSION="12.4.2"
# Nothing phones home from a test run.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  PNPM=(pnpm)
else
  PNPM=(npx -y "pnpm@$PNPM_VERSION")
fi
RESULTS="$REPO/.cache/test-results.json"
mkdir -p "$REPO/.cache"
rm -f "$RESULTS"

echo "==> installing dependencies"
if [ "${CI:-}" = "true" ]; then
  "${PNPM[@]}" install --frozen-lockfile || { echo "0 passed, 1 failed"; exit 1; }
else
  "${PNPM[@]}" install || { echo "0 passed, 1 failed"; exit 1; }
fi

# The console's real-browser tests (apps/console/e2e) drive headless Chromium; scripts/chromium.sh
# prints its path, installing Debian's package first if there is none. A HERALD_CHROMIUM already
# set is used as it is.
echo "==> ensuring Chromium (scripts/chromium.sh)"
if [ -z "${HERALD_CHROMIUM:-}" ]; then
  HERALD_CHROMIUM="$(bash scripts/chromium.sh)" || { echo "no Chromium"; echo "0 passed, 1 failed"; exit 1; }
fi
export HERALD_CHROMIUM
echo "==> Chromium: $HERALD_CHROMIUM"

# herald dev serves the console's built files (apps/console/dist) in the tests.
echo "==> building the console"
"${PNPM[@]}" --filter @herald/console build || { echo "0 passed, 1 failed"; exit 1; }

# The apps' production bundles (scripts/bundle-app.ts): the tests start them with plain node.
echo "==> building the apps"
"${PNPM[@]}" --filter herald --filter @herald/config-api --filter @herald/matcher --filter @herald/delivery build || { echo "0 passed, 1 failed"; exit 1; }

STARTED=0
stop_services() {
  if [ "$STARTED" = "1" ]; then
    echo "==> stopping services"
    bash scripts/services.sh down >/dev/null 2>&1 || true
    STARTED=0
  fi
}
trap stop_services EXIT

if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${MONGODB_URI:-}" ]; then
  echo "==> starting Kafka and mongo-java-server (scripts/services.sh up)"
  if ! bash scripts/services.sh up; then
    echo "services did not start"
    echo "0 passed, 1 failed"
    exit 1
  fi
  STARTED=1
  # shellcheck disable=SC1091
  source "${HERALD_SERVICES_CACHE:-$REPO/.cache/services}/run/env"
fi
export KAFKA_BROKERS MONGODB_URI
echo "==> services: KAFKA_BROKERS=$KAFKA_BROKERS MONGODB_URI=$MONGODB_URI"

echo "==> type-checking"
TYPECHECK=0
"${PNPM[@]}" exec turbo run typecheck --output-logs=errors-only || TYPECHECK=1

echo "==> running tests"
"${PNPM[@]}" exec vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS"
VITEST=$?

stop_services
node scripts/test-summary.mjs "$RESULTS" "$TYPECHECK" "$VITEST"
