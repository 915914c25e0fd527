#!/usr/bin/env bash
# Real Apache Kafka (KRaft, single node) and a MongoDB wire-protocol server
# (mongo-java-server, in memory) on loopback, for Herald's tests. No docker.
#
#   scripts/services.sh up       fetch/build what is missing, start both, wait
#   scripts/services.sh down     stop both, remove their run data
#   scripts/services.sh status   exit 0 if both run, 3 otherwise
#
# After `up`, `source "$HERALD_SERVICES_CACHE/run/env"` (default cache:
# <repo>/.cache/services) sets KAFKA_BROKERS and MONGODB_URI.
#
# Needs: Java 17+ (a JDK: javac compiles the small MongoDB launcher), Maven,
# (Node, for a real MongoDB ping; else TCP only).
# Network: only Maven Central (mvn), on the first `up` of an empty cache. The
# services themselves listen on 127.0.0.1 only.
#
# Kafka: org.apache.kafka:kafka_2.13 3.9.x (scripts/pom.xml). MongoDB wire
# protocol: de.bwaldvogel:mongo-java-server 1.47.0 with its memory backend
# (scripts/mongo-pom.xml), started by scripts/mongo-launcher/HeraldMongoServer.java,
# which also corrects the `n` that its `insert` reports when some documents
# fail. Its data lives in the JVM's heap only: `down` (or a crash) loses it.
#
# Environment:
#   HERALD_SERVICES_CACHE         cache folder        (<repo>/.cache/services)
#   HERALD_KAFKA_PORT             Kafka PLAINTEXT     (19092)
#   HERALD_KAFKA_CONTROLLER_PORT  KRaft controller    (19093)
#   HERALD_MONGO_PORT             mongo-java-server   (27018)
#   HERALD_MONGO_HEAP             its JVM's -Xmx      (2g)
#   HERALD_MONGO_LOG_LEVEL        its log level       (WARNING; INFO, FINE: more)
#   HERALD_SERVICES_TIMEOUT       seconds to wait for readiness (90)
#   HERALD_SERVICES_M2            Maven local repo    ($CACHE/m2)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)

CACHE=${HERALD_SERVICES_CACHE:-$REPO/.cache/services}
[[ $CACHE == /* ]] || CACHE=$PWD/$CACHE
RUN=$CACHE/run

KAFKA_PORT=${HERALD_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${HERALD_KAFKA_CONTROLLER_PORT:-19093}
MONGO_PORT=${HERALD_MONGO_PORT:-27018}
MONGO_HEAP=${HERALD_MONGO_HEAP:-2g}
TIMEOUT=${HERALD_SERVICES_TIMEOUT:-90}
M2=${HERALD_SERVICES_M2:-$CACHE/m2}

KAFKA_VERSION=3.9.1
KAFKA_FALLBACK_VERSION=3.9.0
MONGO_VERSION=1.47.0

KAFKA_LIBS=$CACHE/kafka/libs
KAFKA_MARKER=$KAFKA_LIBS/.complete
MONGO_POM=$SCRIPT_DIR/mongo-pom.xml
MONGO_LAUNCHER_SRC=$SCRIPT_DIR/mongo-launcher/HeraldMongoServer.java
MONGO_MAIN=HeraldMongoServer
MONGO_LIBS=$CACHE/mongo/libs
MONGO_MARKER=$MONGO_LIBS/.complete
MONGO_CLASSES=$CACHE/mongo/classes
MONGO_CLASSES_MARKER=$MONGO_CLASSES/.complete

KAFKA_PID=$RUN/kafka.pid
KAFKA_LOG=$RUN/kafka.log
KAFKA_DATA=$RUN/kafka-data
KAFKA_PROPS=$RUN/kafka-server.properties
KAFKA_LOG4J=$RUN/kafka-log4j.properties
TOOLS_LOG4J=$RUN/tools-log4j.properties
TOOLS_CONFIG=$RUN/kafka-tools.properties
MONGO_PID=$RUN/mongo.pid
MONGO_LOG=$RUN/mongo.log
ENV_FILE=$RUN/env

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAVAC=${JAVA_HOME:+$JAVA_HOME/bin/}javac

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed ($2)"
}

# --- process helpers ---------------------------------------------------------

# pid_of PIDFILE PATTERN: prints the pid if the process is alive and its
# command line contains PATTERN (guards against a recycled pid).
pid_of() {
  local pidfile=$1 pattern=$2 pid cmd
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    [[ $cmd == *"$pattern"* ]] || return 1
  fi
  printf '%s\n' "$pid"
}
kafka_pid() { pid_of "$KAFKA_PID" kafka.Kafka; }
mongo_pid() { pid_of "$MONGO_PID" "$MONGO_MAIN"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid NAME PID: SIGTERM, wait up to 20 s, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 i
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name did not stop within 20 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# start_bg PIDFILE PATTERN LOGFILE CMD...: start CMD detached, stdout+stderr
# to LOGFILE; returns once the child has exec'd (its command line shows
# PATTERN, which pid_of checks) or died.
start_bg() {
  local pidfile=$1 pattern=$2 logfile=$3 i
  shift 3
  # 9>&-: the service must not inherit (and so hold forever) the lock of lock()
  if command -v setsid >/dev/null 2>&1; then
    nohup setsid "$@" >"$logfile" 2>&1 </dev/null 9>&- &
  else
    nohup "$@" >"$logfile" 2>&1 </dev/null 9>&- &
  fi
  printf '%s\n' "$!" >"$pidfile"
  for ((i = 0; i < 50; i++)); do
    pid_of "$pidfile" "$pattern" >/dev/null && return 0
    kill -0 "$(<"$pidfile")" 2>/dev/null || return 0
    sleep 0.1
  done
}

# --- Kafka -------------------------------------------------------------------

pom_hash() { sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1; }

kafka_libs_ready() {
  [[ -f $KAFKA_MARKER ]] && grep -qx "pom=$(pom_hash)" "$KAFKA_MARKER"
}

kafka_libs_version() {
  sed -n 's/^kafka=//p' "$KAFKA_MARKER" 2>/dev/null || true
}

# Resolves the broker's jars from Maven Central into $KAFKA_LIBS (once).
ensure_kafka_libs() {
  kafka_libs_ready && return 0
  need mvn "needed once, to fetch Apache Kafka from Maven Central"
  local tmp=$CACHE/kafka/libs.tmp version ok=
  for version in "$KAFKA_VERSION" "$KAFKA_FALLBACK_VERSION"; do
    log "resolving Apache Kafka $version from Maven Central (first time only)"
    rm -rf "$tmp"
    if mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" \
      -Dmaven.repo.local="$M2" \
      -Dkafka.version="$version" \
      dependency:copy-dependencies \
      -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; then
      ok=$version
      break
    fi
    log "could not resolve Kafka $version"
  done
  [[ -n $ok ]] || die "could not resolve Apache Kafka from Maven Central (see the mvn output above)"
  compgen -G "$tmp/kafka_2.13-$ok.jar" >/dev/null || die "mvn finished but $tmp has no kafka_2.13-$ok.jar"
  printf 'kafka=%s\npom=%s\n' "$ok" "$(pom_hash)" >"$tmp/.complete"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "Kafka $ok: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

# kafka_tool MAIN_CLASS ARGS...: runs a Kafka command-line tool, quietly.
kafka_tool() {
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" "$@"
}

write_kafka_config() {
  local tpl content
  tpl=$(<"$SCRIPT_DIR/kafka-server.properties")
  content=${tpl//@KAFKA_PORT@/$KAFKA_PORT}
  content=${content//@CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT}
  content=${content//@DATA_DIR@/$KAFKA_DATA}
  printf '%s\n' "$content" >"$KAFKA_PROPS"

  cat >"$KAFKA_LOG4J" <<'EOF'
# broker: everything to stdout, which services.sh sends to run/kafka.log
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
  cat >"$TOOLS_LOG4J" <<'EOF'
# command-line tools: warnings only, on stderr
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients.NetworkClient=ERROR
EOF
  cat >"$TOOLS_CONFIG" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=8000
EOF
}

start_kafka() {
  rm -rf "$KAFKA_DATA"
  mkdir -p "$KAFKA_DATA"
  write_kafka_config

  local cluster_id
  cluster_id=$(kafka_tool kafka.tools.StorageTool random-uuid) || die "kafka StorageTool random-uuid failed"
  kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" >"$RUN/kafka-format.log" 2>&1 ||
    { cat "$RUN/kafka-format.log" >&2; die "kafka StorageTool format failed"; }

  log "starting Kafka $(kafka_libs_version) (KRaft, cluster $cluster_id)"
  start_bg "$KAFKA_PID" kafka.Kafka "$KAFKA_LOG" \
    "$JAVA" -Xmx512m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_LOG4J" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS"
}

kafka_ready() {
  port_open "$KAFKA_PORT" || return 1
  timeout 30 "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$TOOLS_CONFIG" --list >/dev/null 2>&1
}

# --- mongo-java-server -------------------------------------------------------

mongo_pom_hash() { sha256sum "$MONGO_POM" | cut -d' ' -f1; }
mongo_src_hash() { sha256sum "$MONGO_LAUNCHER_SRC" | cut -d' ' -f1; }

mongo_libs_ready() {
  [[ -f $MONGO_MARKER ]] && grep -qx "pom=$(mongo_pom_hash)" "$MONGO_MARKER"
}

# Resolves mongo-java-server's jars from Maven Central into $MONGO_LIBS (once).
ensure_mongo_libs() {
  mongo_libs_ready && return 0
  need mvn "needed once, to fetch mongo-java-server from Maven Central"
  local tmp=$CACHE/mongo/libs.tmp
  log "resolving mongo-java-server $MONGO_VERSION from Maven Central (first time only)"
  rm -rf "$tmp"
  mvn -q -B -Dstyle.color=never -f "$MONGO_POM" \
    -Dmaven.repo.local="$M2" \
    dependency:copy-dependencies \
    -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' ||
    die "could not resolve mongo-java-server $MONGO_VERSION from Maven Central (see the mvn output above)"
  local jar
  for jar in mongo-java-server-core mongo-java-server-memory-backend; do
    [[ -f $tmp/$jar-$MONGO_VERSION.jar ]] || die "mvn finished but $tmp has no $jar-$MONGO_VERSION.jar"
  done
  printf 'mongo-java-server=%s\npom=%s\n' "$MONGO_VERSION" "$(mongo_pom_hash)" >"$tmp/.complete"
  rm -rf "$MONGO_LIBS" "$MONGO_CLASSES"
  mv "$tmp" "$MONGO_LIBS"
  log "mongo-java-server $MONGO_VERSION: $(find "$MONGO_LIBS" -name '*.jar' | wc -l) jars in $MONGO_LIBS"
}

mongo_launcher_ready() {
  [[ -f $MONGO_CLASSES_MARKER && -f $MONGO_CLASSES/$MONGO_MAIN.class ]] &&
    grep -qx "src=$(mongo_src_hash)" "$MONGO_CLASSES_MARKER" &&
    grep -qx "pom=$(mongo_pom_hash)" "$MONGO_CLASSES_MARKER"
}

# Compiles scripts/mongo-launcher/HeraldMongoServer.java into $MONGO_CLASSES
# (again whenever the source or the jars change).
ensure_mongo_launcher() {
  mongo_launcher_ready && return 0
  need "$JAVAC" "a JDK (17+) compiles $MONGO_LAUNCHER_SRC"
  local tmp=$CACHE/mongo/classes.tmp
  log "compiling $(basename "$MONGO_LAUNCHER_SRC")"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  "$JAVAC" -nowarn --release 17 -encoding UTF-8 -cp "$MONGO_LIBS/*" -d "$tmp" "$MONGO_LAUNCHER_SRC" ||
    die "javac $MONGO_LAUNCHER_SRC failed"
  printf 'src=%s\npom=%s\n' "$(mongo_src_hash)" "$(mongo_pom_hash)" >"$tmp/.complete"
  rm -rf "$MONGO_CLASSES"
  mv "$tmp" "$MONGO_CLASSES"
}

ensure_mongo() {
  ensure_mongo_libs
  ensure_mongo_launcher
}

start_mongo() {
  log "starting mongo-java-server $MONGO_VERSION (memory backend, -Xmx$MONGO_HEAP)"
  start_bg "$MONGO_PID" "$MONGO_MAIN" "$MONGO_LOG" \
    "$JAVA" -Xms256m -Xmx"$MONGO_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=50 \
    -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -cp "$MONGO_CLASSES:$MONGO_LIBS/*" "$MONGO_MAIN" 127.0.0.1 "$MONGO_PORT"
}

# A real MongoDB `ping` (OP_MSG) with Node's standard library; TCP if no Node.
mongo_ping() {
  port_open "$MONGO_PORT" || return 1
  command -v node >/dev/null 2>&1 || return 0
  # shellcheck disable=SC2016 # JavaScript, not shell
  timeout 10 node -e '
const net = require("net");
const i32 = (n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; };
const cstr = (s) => Buffer.from(s + "\0", "utf8");
const body = Buffer.concat([
  Buffer.from([0x10]), cstr("ping"), i32(1),
  Buffer.from([0x02]), cstr("$db"), i32(6), cstr("admin"), Buffer.from([0]),
]);
const doc = Buffer.concat([i32(body.length + 4), body]);
const payload = Buffer.concat([i32(0), Buffer.from([0]), doc]);
const msg = Buffer.concat([i32(16 + payload.length), i32(1), i32(0), i32(2013), payload]);
let buf = Buffer.alloc(0);
const sock = net.connect(+process.argv[1], "127.0.0.1", () => sock.write(msg));
sock.on("error", () => process.exit(1));
sock.on("close", () => process.exit(1));
setTimeout(() => process.exit(1), 5000);
sock.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
  sock.destroy();
  if (buf.readInt32LE(12) !== 2013 || buf[20] !== 0) process.exit(1);
  const end = 21 + buf.readInt32LE(21) - 1;
  const fixed = { 1: 8, 7: 12, 8: 1, 9: 8, 10: 0, 16: 4, 17: 8, 18: 8, 19: 16 };
  for (let p = 25; p < end; ) {
    const type = buf[p];
    const z = buf.indexOf(0, p + 1);
    const name = buf.toString("utf8", p + 1, z);
    p = z + 1;
    if (name === "ok") {
      const v = type === 1 ? buf.readDoubleLE(p) : type === 16 ? buf.readInt32LE(p) : NaN;
      process.exit(v === 1 ? 0 : 1);
    }
    if (type in fixed) p += fixed[type];
    else if (type === 2) p += 4 + buf.readInt32LE(p);
    else if (type === 3 || type === 4) p += buf.readInt32LE(p);
    else if (type === 5) p += 5 + buf.readInt32LE(p);
    else process.exit(1);
  }
  process.exit(1);
});
' "$MONGO_PORT" >/dev/null 2>&1
}

# --- readiness ---------------------------------------------------------------

# wait_ready NAME PIDFN READYFN LOGFILE DEADLINE
wait_ready() {
  local name=$1 pidfn=$2 readyfn=$3 logfile=$4 deadline=$5 pid
  while :; do
    if ! pid=$($pidfn); then
      log "$name exited during start-up; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    $readyfn && return 0
    if ((SECONDS >= deadline)); then
      log "$name did not become ready within ${TIMEOUT}s; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      stop_pid "$name" "$pid"
      return 1
    fi
    sleep 1
  done
}

# --- commands ----------------------------------------------------------------

write_env() {
  cat >"$ENV_FILE" <<EOF
export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export MONGODB_URI=mongodb://127.0.0.1:$MONGO_PORT/
EOF
}

print_info() {
  log "Kafka $(kafka_libs_version) (KRaft) on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT), pid $(kafka_pid), log $KAFKA_LOG"
  log "mongo-java-server $MONGO_VERSION (memory backend) on 127.0.0.1:$MONGO_PORT, pid $(mongo_pid), log $MONGO_LOG"
  log "env: source $ENV_FILE"
  cat "$ENV_FILE"
}

lock() {
  mkdir -p "$CACHE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock -w 300 9 || die "timed out waiting for $CACHE/.lock (another services.sh up/down?)"
  fi
}

cmd_up() {
  lock
  mkdir -p "$RUN"
  local need_kafka='' need_mongo=''
  kafka_pid >/dev/null || need_kafka=1
  mongo_pid >/dev/null || need_mongo=1

  if [[ -z $need_kafka && -z $need_mongo ]]; then
    log "already running"
    write_env
    print_info
    return 0
  fi

  need "$JAVA" "Java 17+ runs Kafka and mongo-java-server"
  # Fetch what is missing, both at once: Kafka's jars and mongo-java-server's
  # (mvn, only on an empty cache), then compile the MongoDB launcher (javac).
  local kafka_job='' kafka_log=$CACHE/kafka-resolve.log
  local mongo_job='' mongo_log=$CACHE/mongo-resolve.log failed=''
  if [[ -n $need_kafka ]] && ! kafka_libs_ready; then
    ensure_kafka_libs >"$kafka_log" 2>&1 &
    kafka_job=$!
  fi
  if [[ -n $need_mongo ]] && ! { mongo_libs_ready && mongo_launcher_ready; }; then
    ensure_mongo >"$mongo_log" 2>&1 &
    mongo_job=$!
  fi
  if [[ -n $kafka_job ]]; then
    wait "$kafka_job" || failed+=' Kafka'
    cat "$kafka_log" >&2
  fi
  if [[ -n $mongo_job ]]; then
    wait "$mongo_job" || failed+=' mongo-java-server'
    cat "$mongo_log" >&2
  fi
  [[ -z $failed ]] || die "resolving/building failed:$failed"

  # check every port before starting anything
  local busy=()
  if [[ -n $need_kafka ]]; then
    port_open "$KAFKA_PORT" && busy+=("127.0.0.1:$KAFKA_PORT (HERALD_KAFKA_PORT)")
    port_open "$KAFKA_CONTROLLER_PORT" && busy+=("127.0.0.1:$KAFKA_CONTROLLER_PORT (HERALD_KAFKA_CONTROLLER_PORT)")
  fi
  if [[ -n $need_mongo ]]; then
    port_open "$MONGO_PORT" && busy+=("127.0.0.1:$MONGO_PORT (HERALD_MONGO_PORT)")
  fi
  ((${#busy[@]} == 0)) || die "already in use by another process: ${busy[*]}"

  [[ -z $need_kafka ]] || start_kafka
  [[ -z $need_mongo ]] || start_mongo

  local deadline=$((SECONDS + TIMEOUT))
  if [[ -n $need_mongo ]]; then
    wait_ready mongo-java-server mongo_pid mongo_ping "$MONGO_LOG" "$deadline" || failed=1
  fi
  if [[ -n $need_kafka ]]; then
    wait_ready Kafka kafka_pid kafka_ready "$KAFKA_LOG" "$deadline" || failed=1
  fi
  [[ -z $failed ]] || die "services did not start (scripts/services.sh down cleans up)"

  write_env
  log "up"
  print_info
}

cmd_down() {
  lock
  local pid
  if pid=$(kafka_pid); then stop_pid Kafka "$pid"; else log "Kafka is not running"; fi
  if pid=$(mongo_pid); then stop_pid mongo-java-server "$pid"; else log "mongo-java-server is not running"; fi
  # keep the two logs for post-mortems; `up` truncates them. (mongo-java-server
  # keeps its data in memory: stopping it is what removes it.)
  rm -rf "$KAFKA_DATA" "$KAFKA_PID" "$MONGO_PID" "$ENV_FILE" \
    "$KAFKA_PROPS" "$KAFKA_LOG4J" "$TOOLS_LOG4J" "$TOOLS_CONFIG" "$RUN/kafka-format.log"
  log "down"
}

cmd_status() {
  local pid rc=0
  if pid=$(kafka_pid) && port_open "$KAFKA_PORT"; then
    echo "kafka: running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
  elif [[ -n ${pid:-} ]]; then
    echo "kafka: starting (pid $pid), 127.0.0.1:$KAFKA_PORT not open yet"
    rc=3
  else
    echo "kafka: not running"
    rc=3
  fi
  pid=
  if pid=$(mongo_pid) && port_open "$MONGO_PORT"; then
    echo "mongo: running (pid $pid) on 127.0.0.1:$MONGO_PORT"
  elif [[ -n ${pid:-} ]]; then
    echo "mongo: starting (pid $pid), 127.0.0.1:$MONGO_PORT not open yet"
    rc=3
  else
    echo "mongo: not running"
    rc=3
  fi
  [[ $rc -ne 0 || ! -f $ENV_FILE ]] || echo "env: $ENV_FILE"
  return "$rc"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*)
  echo "usage: $0 up|down|status" >&2
  exit 2
  ;;
esac
