/**
 * The real services a benchmark needs: Kafka and a MongoDB wire-protocol server. When
 * KAFKA_BROKERS and MONGODB_URI are set, those are used as they are; otherwise
 * `scripts/services.sh up` starts Kafka and mongo-java-server on 127.0.0.1 (fetched on first use)
 * and `release()` stops them again, so a benchmark leaves the machine as it found it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Services {
  kafkaBrokers: string;
  mongoUri: string;
  release(): void;
}

/**
 * The pids of the Kafka broker and the MongoDB server when they run from `scripts/services.sh`
 * (its pid files), for CPU accounting; an empty list for services it did not start.
 */
export function servicePids(): { name: string; pid: number }[] {
  const cache = process.env.HERALD_SERVICES_CACHE ?? `${ROOT}.cache/services`;
  const out: { name: string; pid: number }[] = [];
  for (const name of ['kafka', 'mongo']) {
    try {
      const pid = Number(readFileSync(`${cache}/run/${name}.pid`, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0) {
        process.kill(pid, 0);
        out.push({ name, pid });
      }
    } catch {
      // not started by services.sh, or gone
    }
  }
  return out;
}

export function acquireServices(log: (line: string) => void): Services {
  if (process.env.KAFKA_BROKERS && process.env.MONGODB_URI) {
    return { kafkaBrokers: process.env.KAFKA_BROKERS, mongoUri: process.env.MONGODB_URI, release() {} };
  }
  log('starting Kafka and mongo-java-server (scripts/services.sh up)…');
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const cache = process.env.HERALD_SERVICES_CACHE ?? `${ROOT}.cache/services`;
  const vars = Object.fromEntries(
    readFileSync(`${cache}/run/env`, 'utf8')
      .split('\n')
      .map((l) => /^export (\w+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  process.env.KAFKA_BROKERS = vars.KAFKA_BROKERS;
  process.env.MONGODB_URI = vars.MONGODB_URI;
  return {
    kafkaBrokers: vars.KAFKA_BROKERS!,
    mongoUri: vars.MONGODB_URI!,
    release() {
      log('stopping Kafka and mongo-java-server (scripts/services.sh down)…');
      execFileSync('bash', ['scripts/services.sh', 'down'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    },
  };
}
