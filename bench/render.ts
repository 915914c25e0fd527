/**
 * Schema rendering throughput (F3): a typical JSON schema — 13 fields, a few filters, a loop over
 * a small array — rendered on one core with the compiled template taken from the cache each time,
 * as the delivery worker does. Runs a warm-up, then renders for a fixed time (BENCH_SECONDS,
 * default 5, at most 10; it stops by itself) and prints `renders_per_s=N` as its last line.
 *
 *   npx tsx bench/render.ts
 */
// Relative imports: the root package does not depend on the workspace packages.
import type { EventEnvelope } from '../packages/core/src/index.ts';
import { buildTemplateContext, compileTemplate, type SchemaTemplate } from '../packages/templates/src/index.ts';

const schema: SchemaTemplate = {
  contentType: 'application/json',
  body: `{
  "id": "{{ event.id }}",
  "type": "{{ event.type }}",
  "action": "{{ action_type }}",
  "at": "{{ event.occurredAt | date: "%Y-%m-%d %H:%M" }}",
  "ticket": "{{ticket:ref}}",
  "title": "{{ ticket.title | strip }}",
  "priority": "{{ ticket.priority | upcase }}",
  "was": "{{ event.previous.priority | default: "none" }}",
  "customer": "{{ ticket.customer.name }}",
  "email": "{{ ticket.customer.email | downcase }}",
  "count": {{ ticket.tags | size }},
  "escalated": {{ ticket.escalated }},
  "tags": [{% for tag in ticket.tags %}"{{ tag }}"{% unless forloop.last %}, {% endunless %}{% endfor %}],
  "account": "{{ account.id }}"
}`,
};

const event: EventEnvelope = {
  id: 'evt_01JD7Q9X8Z3K4M5N6P7Q8R9S0T',
  type: 'ticket.priority_changed',
  account: 'acc_42',
  project: 'prj_7',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: {
    ref: 'T-1042',
    title: '  Printer says "PC LOAD LETTER"  ',
    priority: 'high',
    escalated: true,
    customer: { name: 'Åse Nordmann', email: 'Ase@Example.NO' },
    tags: ['printer', 'office', 'urgent'],
  },
  previous: { priority: 'low' },
};

// At most 10 s, so the whole run (with start-up and warm-up) ends within ~15 s.
const seconds = Math.min(Math.max(Number(process.env['BENCH_SECONDS']) || 5, 0.1), 10);
const context = buildTemplateContext(event, { webhook: { id: 'wh_1', name: 'Test Webhook' } });

const first = compileTemplate(schema).render(context);
JSON.parse(first); // the bench renders a valid document, or it fails here
console.log(first);

function run(ms: number): { renders: number; elapsed: number; cpu: number } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let renders = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) {
      compileTemplate(schema).render(context);
    }
    renders += 1000;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { renders, elapsed: now - start, cpu: (cpu.user + cpu.system) / 1000 };
}

run(1000); // warm-up: JIT
const { renders, elapsed, cpu } = run(seconds * 1000);
// CPU time says how much of the wall time this process had the core (the machine may be shared).
console.log(`renders=${renders} elapsed_ms=${elapsed.toFixed(0)} cpu_ms=${cpu.toFixed(0)} node=${process.version}`);
console.log(`renders_per_cpu_s=${Math.round((renders * 1000) / cpu)}`);
console.log(`renders_per_s=${Math.round((renders * 1000) / elapsed)}`);
