/**
 * The matcher end to end against the real broker (issue 5): events already waiting on
 * `herald.events` are consumed and their jobs produced to `herald.deliveries` by `herald matcher`
 * processes in one consumer group — one instance, then three. Each run starts its instances, waits
 * until the group is stable with all of them, then produces the events; its rate is the events whose
 * offsets the group committed per second, from the first commit to the last. A third run kills one
 * of three instances (SIGKILL) a third of the way through, so the group rebalances mid-stream. The
 * jobs of every run are read back and checked against the jobs the match plan must produce: a
 * run that lost one reports it as `missing`.
 *
 * The account is lighter than the in-process one (100 webhooks over 50 event types, 20 rules;
 * about 2.5 jobs per event), so that Kafka, not the job volume, is what the instances share.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import {
  createMatchPlan,
  deliveryJobsFor,
  entityKey,
  topicNames,
  type EventEnvelope,
  type Rule,
  type RuleGroup,
  type Webhook,
} from '../../packages/core/src/index.ts';
import { createKafkaBus, encodeJson } from '../../packages/bus/src/index.ts';
import { createMongoStore } from '../../packages/store/src/index.ts';
import { internalMongoConnection } from '../../packages/store/src/mongo/mongo-store.ts';
import { startApp, type AppProcess } from '../../test/app-process.ts';
import { cpuLimit, cpuWindow, type CpuLimit, type CpuWindow } from './cpu.ts';
import type { Services } from './services.ts';

const ACCOUNT = 'acc_scale';
const TYPES = Array.from({ length: 50 }, (_, i) => `thing${i % 10}.changed${Math.floor(i / 10)}`);
const PARTITIONS = 6;

function config(now: Date): { webhooks: Webhook[]; groups: RuleGroup[] } {
  const webhooks: Webhook[] = Array.from({ length: 100 }, (_, i) => ({
    id: `wh_scale_${i}`, account: ACCOUNT, name: `w${i}`, url: 'https://receiver.invalid/hook', method: 'POST', active: true,
    eventTypes: [TYPES[i % TYPES.length]!], auth: { type: 'none' }, headers: {}, secret: 'whsec_c2NhbGUtYmVuY2g=',
    dedupWindowSeconds: 0, createdAt: now, updatedAt: now,
  }));
  const rules: Rule[] = Array.from({ length: 20 }, (_, r) => ({
    id: `r${r}`, match: 'all', stopRules: false, stopGroups: false,
    conditions: [{ field: 'data.priority', op: 'equals', value: r % 2 ? 'high' : 'low' }, { field: 'type', op: 'equals', value: TYPES[r]! }],
    actions: [{ webhook: `wh_scale_${(r * 7) % 100}`, schema: null }],
  }));
  return { webhooks, groups: [{ id: 'rg_scale', account: ACCOUNT, name: 'g', active: true, rules, createdAt: now, updatedAt: now }] };
}

function events(n: number): EventEnvelope[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `evt_scale_${i}`, type: TYPES[i % TYPES.length]!, account: ACCOUNT, entity: { type: 'thing', id: String(i) }, action: 'update',
    occurredAt: '2026-11-25T00:00:00Z', data: { priority: i % 3 ? 'high' : 'low', n: i },
  }));
}

export interface ScaleOut {
  oneInstancePerS: number;
  threeInstancesPerS: number;
  ratio: number;
  /** Jobs the plan must produce that a run did not (summed over the three runs). */
  missing: number;
  /** The machine's busy share of all its cores (0..1) during the run of one instance, and of three. */
  machineBusy1: number;
  machineBusy3: number;
  /** Cores the matcher instance(s) used on average during those runs. */
  matcherCores1: number;
  matcherCores3: number;
  /** The CPU limit each instance ran under (cores), 0 when none (BENCH_MATCHER_CPU=0, or no cgroup could be written). */
  cpuPerInstance: number;
}

export async function measureScaleOut(services: Services, eventCount: number, log: (line: string) => void): Promise<ScaleOut> {
  const name = `bench-scale-${Date.now().toString(36)}`;
  const dbName = name.replace(/-/g, '_');
  const key = randomBytes(32);
  const store = createMongoStore({ uri: services.mongoUri, dbName, encryptionKey: key });
  const bus = createKafkaBus({ brokers: services.kafkaBrokers.split(','), clientId: name });
  const kafka = new Kafka({ clientId: `${name}-admin`, brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const apps: AppProcess[] = [];
  const limits: CpuLimit[] = [];
  try {
    await store.init();
    await admin.connect();
    const now = new Date();
    const { webhooks, groups } = config(now);
    await store.accounts.create({ id: ACCOUNT, name: 'Scale', webhooksEnabled: true, createdAt: now, updatedAt: now });
    for (const t of TYPES) await store.eventTypes.create({ name: t, description: t, archived: false, createdAt: now, updatedAt: now });
    for (const w of webhooks) await store.webhooks.upsert(w);
    for (const g of groups) await store.ruleGroups.upsert(g);
    const all = events(eventCount);
    const plan = createMatchPlan(webhooks, groups);
    const expected = new Set(all.flatMap((e) => deliveryJobsFor(e, plan.match(e)).map((j) => j.deliveryId)));
    log(`scale-out: ${eventCount} events, ${expected.size} jobs expected (${(expected.size / eventCount).toFixed(2)} per event)`);

    const cpuPerInstance = Number(process.env['BENCH_MATCHER_CPU'] ?? 0.25);
    if (!Number.isFinite(cpuPerInstance) || cpuPerInstance < 0) {
      throw new Error(`BENCH_MATCHER_CPU must be a number of cores, 0 or more (e.g. 0.25), not ${JSON.stringify(process.env['BENCH_MATCHER_CPU'])}`);
    }
    let limited = cpuPerInstance > 0;
    log(
      cpuPerInstance > 0
        ? `scale-out: each matcher instance limited to ${cpuPerInstance} CPU core (BENCH_MATCHER_CPU; 0 = no limit)`
        : 'scale-out: matcher instances not limited (BENCH_MATCHER_CPU=0)',
    );
    const runOnce = async (
      instances: number,
      killOneMidway: boolean,
    ): Promise<{ perS: number; missing: number; machineBusy: number; matcherCores: number }> => {
      const prefix = `${name}-${instances}${killOneMidway ? 'k' : ''}.`;
      const topics = topicNames(prefix);
      await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: PARTITIONS })));
      const groupId = `${prefix}matcher`;
      const env: Record<string, string> = {
        KAFKA_BROKERS: services.kafkaBrokers,
        MONGODB_URI: `${services.mongoUri.replace(/\/+$/, '')}/${dbName}`,
        HERALD_ENCRYPTION_KEY: key.toString('hex'),
        HERALD_TOPIC_PREFIX: prefix,
        HERALD_TOPIC_PARTITIONS: String(PARTITIONS),
        HERALD_MATCHER_GROUP: groupId,
        LOG_LEVEL: 'warn',
      };
      const committed = async (): Promise<number> => {
        const offsets = await admin.fetchOffsets({ groupId, topics: [topics.events] });
        return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      };
      // The instances first, until the group is stable with all of them: the rate is then the
      // group's steady rate, not its start-up.
      apps.push(...(await Promise.all(Array.from({ length: instances }, () => startApp('matcher', env)))));
      // Each instance gets the same CPU limit, as a pod or a container would: on a machine with
      // fewer cores than the instances and the broker need, three unlimited instances only share
      // the same cores, and the figure would be the machine's, not the matcher's.
      if (cpuPerInstance > 0) {
        apps.forEach((app, i) => {
          const limit = cpuLimit(`${prefix.replace(/\W/g, '-')}${i}`, cpuPerInstance);
          if (limit && app.child.pid !== undefined) {
            limit.add(app.child.pid);
            limits.push(limit);
          } else {
            limited = false;
          }
        });
      }
      const stableBy = Date.now() + 120_000;
      for (;;) {
        const [g] = (await admin.describeGroups([groupId])).groups;
        if (g && g.state === 'Stable' && g.members.length === instances) break;
        if (Date.now() > stableBy) throw new Error(`the group of ${instances} matcher(s) did not become stable within 2 minutes`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const producing = (async () => {
        for (let i = 0; i < all.length; i += 2000) {
          await bus.publish(topics.events, all.slice(i, i + 2000).map((e) => ({ key: entityKey(e), value: encodeJson(e) })));
        }
      })();
      let first = 0;
      let last = 0;
      let killed = false;
      const pids = apps.map((a) => a.child.pid).filter((pid): pid is number => pid !== undefined);
      let window: CpuWindow | undefined;
      let cpu: ReturnType<CpuWindow['end']> | undefined;
      const deadline = Date.now() + 300_000;
      for (;;) {
        const n = await committed();
        const t = Date.now();
        if (n > 0 && first === 0) {
          first = t;
          window = cpuWindow(pids);
        }
        if (killOneMidway && !killed && n >= eventCount / 3) {
          // A member dies mid-stream: the group rebalances and its partitions move on.
          killed = true;
          await apps.pop()!.kill('SIGKILL');
        }
        if (n >= eventCount) {
          last = t;
          cpu = window?.end();
          break;
        }
        if (t > deadline) throw new Error(`${instances} instance(s): only ${n} of ${eventCount} events committed within 5 minutes`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await producing;
      const perS = eventCount / Math.max(0.001, (last - first) / 1000);
      // Read the jobs back: each expected delivery id must be there.
      const seen = new Set<string>();
      const consumer = kafka.consumer({ groupId: `${prefix}check` });
      await consumer.connect();
      await consumer.subscribe({ topic: topics.deliveries, fromBeginning: true });
      const highWater = (await admin.fetchTopicOffsets(topics.deliveries)).reduce((n, p) => n + Number(p.high), 0);
      let read = 0;
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            read++;
            seen.add((JSON.parse(m.value!.toString()) as { deliveryId: string }).deliveryId);
          }
        },
      });
      const readDeadline = Date.now() + 120_000;
      while (read < highWater && Date.now() < readDeadline) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
      let missing = 0;
      for (const id of expected) if (!seen.has(id)) missing++;
      const what = killOneMidway ? `${instances} instance(s), one killed midway` : `${instances} instance(s)`;
      const busy = cpu ? `; machine ${Math.round(cpu.machineBusy * 100)}% busy (of ${cpu.cores} cores), matchers ${cpu.processCores.toFixed(2)} cores` : '';
      log(`scale-out: ${what}: ${Math.round(perS)} events/s; ${highWater} jobs produced (${highWater - expected.size} replayed), ${missing} missing${busy}`);
      for (const app of apps.splice(0)) await app.kill('SIGTERM');
      for (const limit of limits.splice(0)) limit.release();
      return { perS, missing, machineBusy: cpu?.machineBusy ?? NaN, matcherCores: cpu?.processCores ?? NaN };
    };

    const one = await runOnce(1, false);
    const three = await runOnce(3, false);
    const rebalance = await runOnce(3, true);
    return {
      oneInstancePerS: Math.round(one.perS),
      threeInstancesPerS: Math.round(three.perS),
      ratio: Number((three.perS / one.perS).toFixed(2)),
      missing: one.missing + three.missing + rebalance.missing,
      machineBusy1: Number(one.machineBusy.toFixed(2)),
      machineBusy3: Number(three.machineBusy.toFixed(2)),
      matcherCores1: Number(one.matcherCores.toFixed(2)),
      matcherCores3: Number(three.matcherCores.toFixed(2)),
      cpuPerInstance: limited ? cpuPerInstance : 0,
    };
  } finally {
    for (const app of apps) await app.kill('SIGTERM');
    for (const limit of limits) limit.release();
    await admin.disconnect().catch(() => {});
    await bus.close();
    try {
      await internalMongoConnection(store).db?.dropDatabase();
    } catch {
      // left behind; nothing depends on it
    }
    await store.close();
  }
}
