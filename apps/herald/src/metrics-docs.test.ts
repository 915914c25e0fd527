/**
 * The Grafana dashboard (docs/grafana/herald.json), the Prometheus alert rules
 * (docs/prometheus/alerts.yml) and the metrics table of docs/operations.md cannot drift from the
 * code: every metric they use — and every label they select or group by — exists in the
 * registries the three apps create, and every metric of those registries is documented.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '@herald/bus';
import { createMemoryStore } from '@herald/store';
import type { Registry } from '@herald/runtime';
import { createConfigApiMetrics } from '@herald/config-api';
import { createMatcherAppMetrics } from '@herald/matcher';
import { createDeliveryAppMetrics } from '@herald/delivery';

const docs = (path: string) => readFileSync(fileURLToPath(new URL(`../../../docs/${path}`, import.meta.url)), 'utf8');
// The YAML parser the API spec is read with (a dependency of @herald/api-spec).
const { parse: parseYaml } = createRequire(fileURLToPath(new URL('../../../packages/api-spec/package.json', import.meta.url)))('yaml') as { parse(text: string): unknown };

/** Labels every series has (the registries' default `app`, Prometheus' target labels) or that PromQL adds (`le` of a histogram's buckets). */
const ALWAYS = new Set(['app', 'job', 'instance']);
/** Series Prometheus itself makes for each target. */
const PROMETHEUS_OWN = new Set(['up']);

function appRegistries(accountLabel: boolean): Registry[] {
  const bus = createMemoryBus();
  return [
    createConfigApiMetrics({ accountLabel }).app.registry,
    createMatcherAppMetrics({ bus, groupId: 'g', eventsTopic: 'herald.events', accountLabel }).app.registry,
    createDeliveryAppMetrics({ bus, store: createMemoryStore(), groupId: 'g', deliveriesTopic: 'herald.deliveries', accountLabel }).app.registry,
  ];
}

/** Every metric family of the apps, with its type and label names. */
function families(accountLabel = true): Map<string, { type: string; labels: Set<string> }> {
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const registry of appRegistries(accountLabel)) {
    for (const metric of registry.getMetricsAsArray()) {
      const m = metric as unknown as { name: string; type: string; labelNames?: readonly string[] };
      const known = out.get(m.name);
      const labels = new Set([...(known?.labels ?? []), ...(m.labelNames ?? [])]);
      out.set(m.name, { type: m.type, labels });
    }
  }
  return out;
}

interface Use {
  where: string;
  metric: string;
  labels: string[];
}

/** The metrics a PromQL expression reads, with the labels it matches on or groups by. */
function usesOf(expr: string, where: string, known: Map<string, { type: string }>): Use[] {
  const uses: Use[] = [];
  const grouping = [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  const keywords = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'irate', 'increase', 'deriv', 'delta', 'histogram_quantile', 'clamp_min', 'by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'absent', 'humanizePercentage']);
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?/g)) {
    const name = m[1]!;
    if (keywords.has(name) || !(name.startsWith('herald_') || PROMETHEUS_OWN.has(name))) continue;
    const selected = m[3] ? [...m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((x) => x[1]!) : [];
    const bucket = /^(.*)_(bucket|sum|count)$/.exec(name);
    const metric = bucket && !known.has(name) && known.has(bucket[1]!) ? bucket[1]! : name;
    uses.push({ where, metric, labels: [...selected, ...grouping.filter((l) => l !== 'le' || bucket?.[2] === 'bucket')] });
  }
  return uses;
}

function dashboardExprs(): { where: string; expr: string }[] {
  const dashboard = JSON.parse(docs('grafana/herald.json')) as { panels: { title: string; type: string; targets?: { expr: string; refId: string }[] }[] };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `dashboard panel "${p.title}" ${t.refId}`, expr: t.expr })));
}

function alertExprs(): { where: string; expr: string; rule: Record<string, unknown> }[] {
  const doc = parseYaml(docs('prometheus/alerts.yml')) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${String(r.alert)}`, expr: String(r.expr), rule: r })));
}

describe('the dashboard and alert rules use only metrics the apps have', () => {
  const known = families();

  it('the dashboard: every panel has a query, and each metric and label it uses exists', () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      const uses = usesOf(expr, where, known);
      if (uses.length === 0) problems.push(`${where}: uses no Herald metric: ${expr}`);
      for (const u of uses) {
        if (PROMETHEUS_OWN.has(u.metric)) continue;
        const f = known.get(u.metric);
        if (!f) problems.push(`${where}: ${u.metric} is no metric of the apps`);
        else for (const l of u.labels) if (!f.labels.has(l) && !ALWAYS.has(l) && l !== 'le') problems.push(`${where}: ${u.metric} has no label ${l}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the dashboard shows what docs/operations.md promises', () => {
    const all = dashboardExprs().map((e) => e.expr).join('\n');
    for (const needed of [
      /herald_deliveries_total\[/, // rate of deliveries by outcome
      /outcome="failed"/, // failure ratio
      /histogram_quantile\(0\.5, sum by \(le\) \(rate\(herald_delivery_attempt_duration_seconds_bucket/,
      /histogram_quantile\(0\.95, sum by \(le\) \(rate\(herald_delivery_attempt_duration_seconds_bucket/,
      /histogram_quantile\(0\.99, sum by \(le\) \(rate\(herald_delivery_attempt_duration_seconds_bucket/,
      /histogram_quantile\(0\.95, sum by \(le\) \(rate\(herald_delivery_e2e_latency_seconds_bucket/,
      /herald_delivery_retry_backlog/,
      /herald_consumer_lag_messages/,
      /herald_api_requests_total\[/,
      /herald_api_requests_total\{status=~"5\.\."\}/,
    ]) {
      expect(all).toMatch(needed);
    }
  });

  it('the alert rules: the four alerts, each complete, using only metrics and labels the apps have', () => {
    const rules = alertExprs();
    expect(rules.map((r) => r.rule.alert)).toEqual(expect.arrayContaining(['HeraldRetryBacklogGrowing', 'HeraldDeliveryFailureRateHigh', 'HeraldConsumerLagHigh', 'HeraldAppDown']));
    const problems: string[] = [];
    for (const { where, expr, rule } of rules) {
      if (typeof rule.for !== 'string' || !/^\d+[smh]$/.test(rule.for)) problems.push(`${where}: no valid "for"`);
      if (!(rule.labels as Record<string, string> | undefined)?.severity) problems.push(`${where}: no severity label`);
      if (!(rule.annotations as Record<string, string> | undefined)?.summary) problems.push(`${where}: no summary`);
      const uses = usesOf(expr, where, known);
      if (uses.length === 0) problems.push(`${where}: uses no metric: ${expr}`);
      for (const u of uses) {
        if (PROMETHEUS_OWN.has(u.metric)) continue;
        const f = known.get(u.metric);
        if (!f) problems.push(`${where}: ${u.metric} is no metric of the apps`);
        else for (const l of u.labels) if (!f.labels.has(l) && !ALWAYS.has(l) && l !== 'le') problems.push(`${where}: ${u.metric} has no label ${l}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('a metric or label that does not exist is caught (the check can fail)', () => {
    expect(usesOf('sum by (outcome) (rate(herald_deliveries_totl[5m]))', 'x', known).map((u) => known.has(u.metric))).toEqual([false]);
    const [u] = usesOf('max by (stat) (herald_delivery_retry_backlog)', 'x', known);
    expect(known.get(u!.metric)!.labels.has(u!.labels[0]!)).toBe(false);
  });
});

describe('docs/operations.md lists every metric of the apps', () => {
  it('each Herald metric (but prom-client\'s process defaults) has a row with its type and labels', () => {
    const text = docs('operations.md');
    const rows = new Map([...text.matchAll(/^\| `(herald_[a-z0-9_]+)` \| (\w+) \| ([^|]*) \|/gm)].map((m) => [m[1]!, { type: m[2]!, labels: m[3]! }]));
    const problems: string[] = [];
    for (const [name, f] of families()) {
      if (/^herald_(process|nodejs)_/.test(name)) continue;
      const row = rows.get(name);
      if (!row) {
        problems.push(`${name} is not in the metrics table`);
        continue;
      }
      if (row.type !== f.type) problems.push(`${name}: documented as ${row.type}, is a ${f.type}`);
      for (const l of f.labels) if (!row.labels.includes(`\`${l}\``)) problems.push(`${name}: label ${l} not documented`);
    }
    for (const name of rows.keys()) if (!families().has(name)) problems.push(`${name} is documented but no app has it`);
    expect(problems).toEqual([]);
  });

  it('the account label exists only when HERALD_METRICS_ACCOUNT_LABEL opts in', () => {
    const withAccount = [...families(true)].filter(([, f]) => f.labels.has('account')).map(([n]) => n).sort();
    expect(withAccount).toEqual(['herald_api_requests_total', 'herald_deliveries_total', 'herald_delivery_attempts_total', 'herald_matcher_events_total']);
    expect([...families(false)].filter(([, f]) => f.labels.has('account'))).toEqual([]);
  });
});
