/**
 * Matching throughput (issue 5, F1/F4): how many events per second one core turns into their
 * (webhook, schema) targets for an account with 1,000 webhooks over 50 event types (some scoped to
 * projects, some inactive, some receiving only what rules send them) and 200 rules in 20 groups
 * with every operator, through `createMatchPlan` (webhooks indexed by type, rules compiled).
 *
 * It pre-generates 20,000 varied events, checks the matcher's answers against a plain reading of
 * subscriptions + rules on a sample, warms up, then matches for a fixed time (BENCH_SECONDS,
 * default 5, at most 10; it stops by itself). Then the matcher end to end against the real broker,
 * one `herald matcher` process against three in one consumer group (bench/lib/matcher-scale.ts;
 * Kafka and mongo-java-server are started if KAFKA_BROKERS and MONGODB_URI are not set). Its last line holds
 * the figures as `key=value` pairs:
 *
 *   match_events_per_s=N scale_out_ratio=N e2e_events_per_s_1=N e2e_events_per_s_3=N missing=N
 *   machine_busy_1=N machine_busy_3=N matcher_cores_1=N matcher_cores_3=N
 *   events_per_matcher_core_s_1=N events_per_matcher_core_s_3=N cpu_per_instance=N
 *
 * machine_busy_* is the share of all the machine's cores that were busy during the run of one
 * instance and of three (0..1), matcher_cores_* the cores the matcher instance(s) used: a ratio
 * near 1 with the machine already busy at one instance is the machine's limit, not the matcher's.
 * events_per_matcher_core_s_* is the work done per core the matchers used: equal for one
 * instance and three, the group adds throughput with every core it is given.
 *
 * Each instance runs under the same CPU limit (BENCH_MATCHER_CPU cores, 0.25 by default, through
 * a Linux cgroup, as a pod's limit): on this 2-core machine one unlimited instance already takes a
 * whole core and Kafka most of the other, so three unlimited ones could only share them.
 * cpu_per_instance is the limit applied (0 = none: BENCH_MATCHER_CPU=0, or not root).
 *
 *   npx tsx bench/match.ts   (or pnpm bench:match)
 */
import { pathToFileURL } from 'node:url';
import { acquireServices } from './lib/services.ts';
import { measureScaleOut } from './lib/matcher-scale.ts';
// Relative imports: the root package does not depend on the workspace packages.
import {
  compileRules,
  createMatchPlan,
  deliveryJobsFor,
  evaluateRules,
  inProjectScope,
  subscribedWebhooks,
  type Condition,
  type EventEnvelope,
  type MatchWebhook,
  type Rule,
  type RuleGroup,
} from '../packages/core/src/index.ts';

const ACCOUNT = 'acc_bench';
const WEBHOOKS = 1000;
const GROUPS = 20;
const RULES_PER_GROUP = 10;
const EVENTS = 20_000;

/** A small seeded PRNG (mulberry32), so every run matches the same configuration and events. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Workload {
  webhooks: MatchWebhook[];
  groups: RuleGroup[];
  events: EventEnvelope[];
}

const ENTITIES = ['ticket', 'user', 'project', 'invoice', 'comment', 'task', 'asset', 'contract', 'site', 'form'];
const VERBS = ['created', 'updated', 'deleted', 'priority_changed', 'status_changed'];
const TYPES = ENTITIES.flatMap((e) => VERBS.map((v) => `${e}.${v}`));
const PROJECTS = Array.from({ length: 20 }, (_, i) => `prj_${i}`);
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const STATUSES = ['new', 'open', 'pending', 'solved', 'closed'];
const TIERS = ['free', 'pro', 'enterprise'];
const TAGS = ['printer', 'office', 'urgent', 'vip', 'billing', 'network', 'mobile'];

function generate(seed = 42): Workload {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const some = <T>(list: readonly T[], min: number, max: number): T[] => {
    const n = min + Math.floor(random() * (max - min + 1));
    return [...new Set(Array.from({ length: n }, () => pick(list)))];
  };
  const schemas = Array.from({ length: 30 }, (_, i) => `sch_${i}`);
  const t0 = new Date('2026-01-01T00:00:00Z');

  const webhooks: MatchWebhook[] = Array.from({ length: WEBHOOKS }, (_, i) => {
    const w: MatchWebhook = {
      id: `wh_${i}`,
      account: ACCOUNT,
      active: random() > 0.05,
      // One in ten receives only what rules send it.
      eventTypes: random() < 0.1 ? [] : some(TYPES, 1, 3),
    };
    if (random() < 0.2) w.projects = some(PROJECTS, 1, 3);
    if (random() < 0.5) w.schema = pick(schemas);
    return w;
  });

  const condition = (): Condition => {
    switch (Math.floor(random() * 12)) {
      case 0:
        return { field: 'data.priority', op: 'equals', value: pick(PRIORITIES) };
      case 1:
        return { field: 'data.priority', op: 'in', value: some(PRIORITIES, 1, 2) };
      case 2:
        return { field: 'data.status', op: 'changed' };
      case 3:
        return { field: 'data.status', op: 'changed_to', value: pick(STATUSES) };
      case 4:
        return { field: 'data.amount', op: 'greater_than', value: Math.floor(random() * 1000) };
      case 5:
        return { field: 'data.dueAt', op: 'less_than', value: `2026-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-15` };
      case 6:
        return { field: 'data.tags', op: 'contains', value: pick(TAGS) };
      case 7:
        return { field: 'project', op: 'in', value: some(PROJECTS, 2, 6) };
      case 8:
        return { field: 'project', op: 'not_in', value: some(PROJECTS, 1, 3) };
      case 9:
        return { field: 'data.customer.tier', op: random() < 0.5 ? 'exists' : 'not_equals', value: random() < 0.5 ? undefined : pick(TIERS) } as Condition;
      case 10:
        return { field: 'entity.type', op: 'equals', value: pick(ENTITIES) };
      default:
        return { field: 'data.title', op: 'contains', value: pick(['printer', 'login', 'invoice']) };
    }
  };

  const groups: RuleGroup[] = Array.from({ length: GROUPS }, (_, g) => ({
    id: `rg_${String(g).padStart(2, '0')}`,
    account: ACCOUNT,
    name: `Group ${g}`,
    position: GROUPS - g, // stored out of order: compiling sorts them
    active: g % 10 !== 9, // two inactive groups
    createdAt: t0,
    updatedAt: t0,
    rules: Array.from({ length: RULES_PER_GROUP }, (_, r): Rule => {
      const kind = random();
      const conditions = Array.from({ length: 1 + Math.floor(random() * 3) }, condition);
      const rule: Rule = {
        id: `r_${g}_${r}`,
        match: random() < 0.8 ? 'all' : 'any',
        conditions,
        stopRules: random() < 0.1,
        stopGroups: random() < 0.03,
        actions: Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
          webhook: `wh_${Math.floor(random() * WEBHOOKS)}`,
          schema: random() < 0.3 ? null : pick(schemas),
        })),
      };
      // Half filter on event types, a fifth name the type in a condition (the seed's way), the
      // rest look at every event.
      if (kind < 0.5) rule.eventTypes = some(TYPES, 1, 3);
      else if (kind < 0.7) conditions.unshift({ field: 'type', op: 'equals', value: pick(TYPES) });
      return rule;
    }),
  }));

  const events: EventEnvelope[] = Array.from({ length: EVENTS }, (_, i) => {
    const type = pick(TYPES);
    const entity = type.slice(0, type.indexOf('.'));
    const data: Record<string, unknown> = {
      ref: `${entity.toUpperCase()}-${i}`,
      title: pick(['Printer says PC LOAD LETTER', 'Cannot login', 'Invoice missing', 'Broken chair']),
      priority: pick(PRIORITIES),
      status: pick(STATUSES),
      amount: Math.floor(random() * 2000),
      dueAt: `2026-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T12:00:00Z`,
      tags: some(TAGS, 0, 3),
    };
    if (random() < 0.7) data['customer'] = { name: 'Åse Nordmann', tier: pick(TIERS) };
    const e: EventEnvelope = {
      id: `evt_${i}`,
      type,
      account: ACCOUNT,
      entity: { type: entity, id: String(i) },
      action: type.endsWith('created') ? 'new' : type.endsWith('deleted') ? 'delete' : 'update',
      occurredAt: '2026-11-24T10:55:27Z',
      data,
    };
    if (random() < 0.8) e.project = pick(PROJECTS);
    if (e.action === 'update') {
      e.previous = random() < 0.5 ? { status: pick(STATUSES) } : { priority: pick(PRIORITIES) };
    }
    return e;
  });

  return { webhooks, groups, events };
}

/** Subscriptions + rules read plainly (a scan of every webhook): the answers the matcher must give. */
function plainMatch(w: Workload, event: EventEnvelope): string[] {
  const out: string[] = [];
  const add = (id: string, schema: string | null): void => {
    const key = `${id} ${schema}`;
    if (!out.includes(key)) out.push(key);
  };
  for (const h of subscribedWebhooks(event, w.webhooks)) add(h.id, h.schema ?? null);
  for (const a of evaluateRules(compileRules(w.groups), event)) {
    const h = w.webhooks.find((x) => x.id === a.webhook);
    if (h !== undefined && h.active && inProjectScope(h, event)) add(a.webhook, a.schema);
  }
  return out;
}

/** Matches in rounds of 1,000 events until `ms` have passed. */
function run(match: (e: EventEnvelope) => unknown[], events: readonly EventEnvelope[], ms: number): { matched: number; targets: number; elapsed: number; cpu: number } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let matched = 0;
  let targets = 0;
  let next = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) {
      targets += match(events[next]!).length;
      next = next + 1 === events.length ? 0 : next + 1;
    }
    matched += 1000;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { matched, targets, elapsed: now - start, cpu: (cpu.user + cpu.system) / 1000 };
}

/** The in-process measurement: events matched per second on one core. */
export async function measureInProcess(seconds = benchSeconds()): Promise<{ eventsPerSecond: number }> {
  const workload = generate();
  const t = performance.now();
  const matcher = createMatchPlan(workload.webhooks, workload.groups);
  console.log(
    `in-process: ${workload.webhooks.length} webhooks, ${workload.groups.length} groups / ${workload.groups.reduce((n, g) => n + g.rules.length, 0)} rules, ` +
      `${TYPES.length} event types, ${workload.events.length} events; matcher built in ${(performance.now() - t).toFixed(1)} ms`,
  );

  // The figures mean nothing if the answers are wrong: compare with the plain reading on a sample.
  let fromRules = 0;
  for (const e of workload.events.slice(0, 1000)) {
    const got = matcher.match(e).map((x) => `${x.webhookId} ${x.schemaId}`);
    const want = plainMatch(workload, e);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`the matcher disagrees with the plain reading on ${e.id}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
    }
    fromRules += want.length - subscribedWebhooks(e, workload.webhooks).length;
  }
  console.log(`in-process: answers checked on 1000 events (${fromRules} targets of them came from rules only)`);

  const match = (e: EventEnvelope): unknown[] => matcher.match(e);
  run(match, workload.events, 1000); // warm-up: JIT
  const r = run(match, workload.events, seconds * 1000);
  // CPU time says how much of the wall time this process had the core (the machine may be shared).
  console.log(
    `in-process: matched=${r.matched} targets_per_event=${(r.targets / r.matched).toFixed(2)} elapsed_ms=${r.elapsed.toFixed(0)} cpu_ms=${r.cpu.toFixed(0)} ` +
      `events_per_cpu_s=${Math.round((r.matched * 1000) / r.cpu)} node=${process.version}`,
  );

  // For information: matching plus the delivery jobs (a SHA-256 delivery id per target).
  const withJobs = run((e) => deliveryJobsFor(e, matcher.match(e)), workload.events, Math.min(1000, seconds * 1000));
  console.log(`in-process: with delivery jobs: events_per_s=${Math.round((withJobs.matched * 1000) / withJobs.elapsed)}`);

  return { eventsPerSecond: Math.round((r.matched * 1000) / r.elapsed) };
}

/** At most 10 s per timed part, so the run ends by itself in well under half a minute. */
function benchSeconds(): number {
  return Math.min(Math.max(Number(process.env['BENCH_SECONDS']) || 5, 0.1), 10);
}

/** The last line of every bench: the figures as `key=value` pairs separated by spaces. */
function printFigures(figures: Record<string, number>): void {
  console.log(
    Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
}

async function main(): Promise<void> {
  const inProcess = await measureInProcess();
  const log = (line: string) => console.log(line);
  const services = acquireServices(log);
  let scale;
  try {
    scale = await measureScaleOut(services, Math.max(1000, Number(process.env['BENCH_SCALE_EVENTS']) || 30_000), log);
  } finally {
    services.release();
  }
  printFigures({
    match_events_per_s: inProcess.eventsPerSecond,
    scale_out_ratio: scale.ratio,
    e2e_events_per_s_1: scale.oneInstancePerS,
    e2e_events_per_s_3: scale.threeInstancesPerS,
    missing: scale.missing,
    machine_busy_1: scale.machineBusy1,
    machine_busy_3: scale.machineBusy3,
    matcher_cores_1: scale.matcherCores1,
    matcher_cores_3: scale.matcherCores3,
    events_per_matcher_core_s_1: Math.round(scale.oneInstancePerS / scale.matcherCores1),
    events_per_matcher_core_s_3: Math.round(scale.threeInstancesPerS / scale.matcherCores3),
    cpu_per_instance: scale.cpuPerInstance,
  });
  // kafkajs and mongoose leave timers behind; the bench stops by itself.
  process.exit(scale.missing === 0 ? 0 : 1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
