#!/usr/bin/env bash
# Assembles what the production image runs, and nothing else, into a folder:
#
#   bash scripts/ship.sh <out-dir>      (after `pnpm build`)
#
#   apps/<app>/dist/         the bundles (scripts/bundle-app.ts): config-api, matcher, delivery, herald
#   apps/herald/bin/herald.js  the CLI, which runs apps/herald/dist/bin.js
#   node_modules/@herald/api-spec/   openapi.yaml (served and used to validate requests) and package.json
#   node_modules/@herald/console/    the console's build (dist/) and package.json
#   fixtures/                the dev seed (herald dev, HERALD_SEED_FILE)
#
# No TypeScript source, no dev tool, no node_modules besides those two data packages: the
# bundles hold their dependencies. The Dockerfile's build stage runs this; a test starts the apps
# from such a folder.
set -euo pipefail
out=${1:?usage: scripts/ship.sh <out-dir>}
root=$(cd "$(dirname "$0")/.." && pwd)
for app in config-api matcher delivery herald; do
  [ -f "$root/apps/$app/dist/bin.js" ] || { echo "ship: apps/$app/dist/bin.js is missing: run pnpm build first" >&2; exit 1; }
done
[ -f "$root/apps/console/dist/index.html" ] || { echo "ship: apps/console/dist is missing: run pnpm build first" >&2; exit 1; }
mkdir -p "$out"
for app in config-api matcher delivery herald; do
  mkdir -p "$out/apps/$app"
  cp -R "$root/apps/$app/dist" "$out/apps/$app/"
  rm -f "$out/apps/$app/dist/meta.json"
done
mkdir -p "$out/apps/herald/bin" "$out/node_modules/@herald/api-spec" "$out/node_modules/@herald/console" "$out/fixtures"
cp "$root/apps/herald/bin/herald.js" "$out/apps/herald/bin/"
cp "$root/packages/api-spec/package.json" "$root/packages/api-spec/openapi.yaml" "$out/node_modules/@herald/api-spec/"
cp "$root/apps/console/package.json" "$out/node_modules/@herald/console/"
cp -R "$root/apps/console/dist" "$out/node_modules/@herald/console/"
cp "$root/fixtures/"*.json "$out/fixtures/"
printf '{ "type": "module", "private": true }\n' > "$out/package.json"
echo "ship: $(du -sh "$out" | cut -f1) in $out"
