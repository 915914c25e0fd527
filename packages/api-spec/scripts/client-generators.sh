#!/usr/bin/env bash
# Generates clients of Herald's API from openapi.yaml with generators the project did not write,
# and checks that what they generate works:
#
#   client-generators.sh fetch             fetch the openapi-generator-cli jar (Maven Central, once)
#   client-generators.sh python OUT        Python client (openapi-generator `python`) in OUT
#   client-generators.sh go OUT            Go client (openapi-generator `go`) in OUT, then
#                                          `go build ./...` and a program that decodes every form
#                                          of a webhook's `auth` with it
#   client-generators.sh typescript OUT    TypeScript client (@hey-api/openapi-ts) in OUT, then tsc
#                                          over it and a file that uses it (generators/typescript-check.ts)
#   client-generators.sh python-env OUT    prints a Python interpreter that has what the Python
#                                          client in OUT needs (a venv in the cache, pip from PyPI
#                                          for what the machine's Python lacks)
#   client-generators.sh all OUT           python, go and typescript, in OUT/python, OUT/go and
#                                          OUT/typescript
#
# Each step fails (exit 1) on a generator error, an ERROR line in a generator's log, a Go
# compile error or a type error. generators.int.test.ts runs `all`, then a scenario with the
# Python client against herald dev (generators/python_scenario.py).
#
# Versions, pinned: openapi-generator-cli 7.25.0 (org.openapitools:openapi-generator-cli, run with
# the machine's Java 17+); @hey-api/openapi-ts from the pnpm catalog (pnpm-workspace.yaml).
# Needs: Java 17+, Maven (once, for the jar), Go (1.23+; the Go module proxy, once, for the
# client's one dependency), Python 3.10+ (with pip and venv), Node and the workspace's
# node_modules (pnpm install).
#
# Environment:
#   HERALD_GENERATORS_CACHE   cache folder: the jar, Maven's and Go's caches, the venv
#                             (<repo>/.cache/client-generators)
#   HERALD_GENERATORS_M2      Maven local repo ($CACHE/m2)
#   PYTHON                    the Python to start from (python3)
#   HERALD_OPENAPI_SPEC       the spec to generate from (packages/api-spec/openapi.yaml)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG=$(cd "$SCRIPT_DIR/.." && pwd)
REPO=$(cd "$PKG/../.." && pwd)
SPEC=${HERALD_OPENAPI_SPEC:-$PKG/openapi.yaml}
CHECKS=$PKG/generators

CACHE=${HERALD_GENERATORS_CACHE:-$REPO/.cache/client-generators}
[[ $CACHE == /* ]] || CACHE=$PWD/$CACHE
M2=${HERALD_GENERATORS_M2:-$CACHE/m2}
PYTHON=${PYTHON:-python3}

OPENAPI_GENERATOR_VERSION=7.25.0
JAR=$CACHE/openapi-generator-cli-$OPENAPI_GENERATOR_VERSION.jar
# the one maven-dependency-plugin version the project uses (scripts/mongo-pom.xml)
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
OPENAPI_TS=$PKG/node_modules/.bin/openapi-ts
TSC=$PKG/node_modules/.bin/tsc

log() { printf '[client-generators] %s\n' "$*" >&2; }
die() { printf '[client-generators] error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed ($2)"; }

# Takes the cache's lock for the rest of this run (once: a step that a step of this run calls, e.g.
# the venv inside `python` after the jar's fetch, already holds it through fd 9, which command
# substitutions inherit; locking again there would wait on our own lock).
lock() {
  [[ ${HERALD_GENERATORS_LOCKED:-} == "$$" ]] && return 0
  mkdir -p "$CACHE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock -w 300 9 || die "timed out waiting for $CACHE/.lock (another client-generators.sh?)"
  fi
  export HERALD_GENERATORS_LOCKED=$$
}

# Resolves the openapi-generator-cli jar from Maven Central into the cache (once).
cmd_fetch() {
  [[ -f $JAR ]] && return 0
  lock
  [[ -f $JAR ]] && return 0
  need mvn "needed once, to fetch openapi-generator-cli from Maven Central"
  local tmp=$CACHE/jar.tmp
  log "resolving openapi-generator-cli $OPENAPI_GENERATOR_VERSION from Maven Central (first time only)"
  rm -rf "$tmp"
  mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$M2" \
    "$DEPENDENCY_PLUGIN:copy" \
    -Dartifact="org.openapitools:openapi-generator-cli:$OPENAPI_GENERATOR_VERSION" \
    -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' ||
    die "could not resolve openapi-generator-cli $OPENAPI_GENERATOR_VERSION from Maven Central (see the mvn output above)"
  [[ -f $tmp/openapi-generator-cli-$OPENAPI_GENERATOR_VERSION.jar ]] || die "mvn finished but $tmp has no openapi-generator-cli-$OPENAPI_GENERATOR_VERSION.jar"
  mv "$tmp/openapi-generator-cli-$OPENAPI_GENERATOR_VERSION.jar" "$JAR"
  rm -rf "$tmp"
}

# openapi_generator GENERATOR OUT ARGS...: generates, fails on an error or an ERROR log line, and
# prints the generator's warnings.
openapi_generator() {
  local generator=$1 out=$2
  shift 2
  need "$JAVA" "Java 17+ runs openapi-generator-cli"
  cmd_fetch
  rm -rf "$out"
  mkdir -p "$out"
  local genlog=$out/.openapi-generator.log
  log "openapi-generator-cli $OPENAPI_GENERATOR_VERSION: $generator client in $out"
  # no generated tests and docs: what is checked is the client itself
  if ! "$JAVA" -Xmx1g -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -jar "$JAR" generate \
    -g "$generator" -i "$SPEC" -o "$out" \
    --global-property apiTests=false,modelTests=false,apiDocs=false,modelDocs=false \
    "$@" >"$genlog" 2>&1; then
    tail -n 40 "$genlog" >&2
    die "openapi-generator-cli failed to generate the $generator client (log: $genlog)"
  fi
  if grep -E '\] ERROR |Exception' "$genlog" >&2; then
    die "openapi-generator-cli reported errors generating the $generator client (log: $genlog)"
  fi
  grep -E '\] WARN ' "$genlog" | sed 's/^/  /' >&2 || true
}

cmd_python() {
  local out=${1:?usage: $0 python OUT}
  openapi_generator python "$out" --package-name herald_client \
    --additional-properties=projectName=herald-client,packageVersion=0.0.0
  # it must at least import, with everything it declares
  local py
  py=$(cmd_python_env "$out")
  (cd "$out" && PYTHONDONTWRITEBYTECODE=1 "$py" -c 'import herald_client, herald_client.models, herald_client.api') ||
    die "the generated Python client does not import"
}

cmd_go() {
  local out=${1:?usage: $0 go OUT}
  need go "Go compiles the generated Go client"
  openapi_generator go "$out" --package-name herald --git-user-id herald --git-repo-id herald-go
  # a program of the module's own, built with it: it decodes answers through the client's models
  mkdir -p "$out/cmd/herald-decode-check"
  cp "$CHECKS/go-decode-check.go" "$out/cmd/herald-decode-check/main.go"
  mkdir -p "$CACHE/go/mod" "$CACHE/go/build"
  log "go build ./... in $out"
  (
    cd "$out"
    export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS=-mod=mod GOTOOLCHAIN=local
    go build ./... && go run ./cmd/herald-decode-check
  ) || die "the generated Go client does not compile, or does not decode Herald's answers"
}

cmd_typescript() {
  local out=${1:?usage: $0 typescript OUT}
  [[ -x $OPENAPI_TS ]] || die "$OPENAPI_TS is missing: run pnpm install"
  rm -rf "$out"
  mkdir -p "$out"
  log "@hey-api/openapi-ts $("$OPENAPI_TS" --version): TypeScript client in $out"
  (cd "$out" && "$OPENAPI_TS" --input "$SPEC" --output "$out/client" --no-log-file --silent) ||
    die "@hey-api/openapi-ts failed to generate the TypeScript client"
  cp "$CHECKS/typescript-check.ts" "$out/check.ts"
  cat >"$out/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023", "DOM", "DOM.Iterable"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": []
  },
  "include": ["client/**/*.ts", "check.ts"]
}
EOF
  log "tsc over the TypeScript client"
  "$TSC" -p "$out/tsconfig.json" || die "the generated TypeScript client does not type-check"
}

# Prints a Python that has the generated client's requirements: a venv in the cache that sees the
# machine's packages, with pip installing (from PyPI) only what they lack.
cmd_python_env() {
  local out=${1:?usage: $0 python-env OUT}
  need "$PYTHON" "Python 3.10+ runs the generated Python client"
  local venv=$CACHE/python-venv
  if [[ ! -x $venv/bin/python ]]; then
    lock
    [[ -x $venv/bin/python ]] || "$PYTHON" -m venv --system-site-packages "$venv" >&2 || die "could not make a venv in $venv"
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$out/requirements.txt" >&2 ||
    die "pip could not install the Python client's requirements ($out/requirements.txt)"
  printf '%s\n' "$venv/bin/python"
}

cmd_all() {
  local out=${1:?usage: $0 all OUT}
  cmd_python "$out/python"
  cmd_go "$out/go"
  cmd_typescript "$out/typescript"
  log "all three clients generated and checked in $out"
}

case ${1:-} in
fetch) cmd_fetch ;;
python) cmd_python "${2:-}" ;;
go) cmd_go "${2:-}" ;;
typescript) cmd_typescript "${2:-}" ;;
python-env) cmd_python_env "${2:-}" ;;
all) cmd_all "${2:-}" ;;
*)
  echo "usage: $0 fetch | python OUT | go OUT | typescript OUT | python-env OUT | all OUT" >&2
  exit 2
  ;;
esac
