import type { EventEnvelope } from '@herald/core';
import fc from 'fast-check';
import { LiquidError } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import type { SchemaContentType } from './content-types.ts';
import { createEngine, renderParsed } from './liquid-engine.ts';
import { buildTemplateContext } from './template-context.ts';

// The fast renderer must give exactly what liquidjs' own renderer gives: same output, same error
// (message and position). Each template is rendered by both engines and the results compared.

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: {
    ref: 'T-1042',
    title: 'Printer says "PC LOAD LETTER" </x> & \\ \n',
    priority: 'high',
    level: 3,
    ratio: 0.5,
    escalated: false,
    customer: { name: 'Åse', email: 'ase@example.no', address: { city: 'Oslo' } },
    tags: ['printer', 'office', 'urgent'],
    items: [
      { name: 'toner', qty: 2, price: 10.5 },
      { name: 'paper', qty: 0, price: 3 },
    ],
    assignee: null,
    empty_list: [],
    empty_text: '',
    size: 'large',
  },
  previous: { priority: 'low' },
};
const scope = buildTemplateContext(event, { webhook: { id: 'wh_1', name: 'W' } });

const SNIPPETS = [
  'plain text',
  '{{ ticket.ref }}',
  '{{ticket.ref}}{{ ticket.level }}{{ ticket.ratio }}{{ ticket.escalated }}{{ ticket.assignee }}',
  '{{ ticket.customer.address.city }}{{ ticket["customer"]["name"] }}{{ ticket.customer["email"] }}',
  '{{ ticket.tags[0] }}{{ ticket.tags[-1] }}{{ ticket.tags.first }}{{ ticket.tags.last }}{{ ticket.tags.size }}{{ ticket.size }}',
  '{{ ticket.customer }}{{ ticket.tags }}{{ ticket.items }}',
  '{{ ticket.nope }}{{ nope }}{{ nope.deeper }}{{ ticket.ref.nope }}{{ ticket.tags[99].name }}',
  '{{ "quoted" }}{{ 42 }}{{ 1.5 }}{{ true }}{{ false }}{{ nil }}{{ empty }}{{ blank }}',
  '{{ (1..3) }}{{ (1..ticket.level) | join: "," }}',
  '{{ ticket.title | upcase | truncate: 12 }}{{ ticket.tags | join: ", " }}{{ ticket.level | plus: 2 | times: 3 }}',
  '{{ ticket.nope | default: "d" }}{{ ticket.escalated | default: "f", allow_false: true }}{{ ticket.assignee | default: ticket.ref }}',
  '{{ ticket.items | map: "name" | join: "+" }}{{ ticket.items | where: "qty", 0 | map: "name" | first }}{{ ticket.tags | sort | last }}',
  '{{ ticket.items | sum: "qty" }}{{ ticket.tags | reverse | first }}{{ ticket.tags | uniq | size }}{{ ticket.title | json }}',
  '{{ 1 | divided_by: 0 }}{{ ticket.level | divided_by: 2.0 }}{{ "abc" | slice: 1 }}{{ ticket.nope | size }}',
  '{{ event.occurredAt | date: "%Y-%m-%dT%H:%M:%S %a %b %j" }}{{ "now" | date: "%Y" | size }}',
  '{{ ticket.title | escape }}{{ ticket.title | raw }}{{ ticket.title | url_encode }}',
  '{% if ticket.level > 2 and ticket.priority == "high" or false %}A{% elsif ticket.level %}B{% else %}C{% endif %}',
  '{% if ticket.tags contains "office" %}c{% endif %}{% if ticket.title contains "PC" %}s{% endif %}{% if ticket.nope %}n{% endif %}',
  '{% if ticket.empty_list == empty %}e{% endif %}{% if ticket.empty_text == blank %}b{% endif %}{% if ticket.assignee == nil %}n{% endif %}',
  '{% if ticket.level >= 3 %}ge{% endif %}{% if ticket.level <= 2 %}le{% endif %}{% if ticket.level != 3 %}ne{% endif %}{% if ticket.ratio < 1 %}lt{% endif %}',
  '{% unless ticket.escalated %}u{% elsif true %}x{% else %}y{% endunless %}{% unless true %}1{% else %}2{% endunless %}',
  '{% case ticket.priority %}{% when "low" %}L{% when "high", "x" %}H{% else %}?{% endcase %}',
  '{% for t in ticket.tags %}{{ forloop.index }}{{ forloop.index0 }}{{ forloop.rindex }}{{ forloop.rindex0 }}{{ forloop.first }}{{ forloop.last }}{{ forloop.length }}{{ t }};{% endfor %}',
  '{% for t in ticket.tags %}{{ forloop.name }}{{ forloop }}{% endfor %}',
  '{% for t in ticket.tags limit: 2 %}{{ t }}{% endfor %}|{% for t in ticket.tags offset: continue %}{{ t }}{% endfor %}|{% for t in ticket.tags reversed offset: 1 %}{{ t }}{% endfor %}',
  '{% for t in ticket.tags limit: ticket.level offset: ticket.nope %}{{ t }}{% endfor %}',
  '{% for p in ticket.customer %}{{ p[0] }}={{ p[1] }};{% endfor %}{% for c in ticket.ref %}[{{ c }}]{% endfor %}',
  '{% for x in ticket.nope %}{{ x }}{% else %}none{% endfor %}{% for x in ticket.empty_list %}{{ x }}{% else %}empty{% endfor %}',
  '{% for i in (1..5) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}',
  '{% for a in (1..2) %}{% for b in ticket.tags %}{{ a }}{{ b | slice: 0 }}{% if b == "office" %}{% break %}{% endif %}{% endfor %}{% endfor %}',
  '{% for item in ticket.items %}{{ item.name }}x{{ item.qty }}={{ item.price | times: item.qty }}{% unless forloop.last %},{% endunless %}{% endfor %}',
  '{% assign n = ticket.tags | size %}{% capture c %}{{ n }}-{{ ticket.ref }}{% endcapture %}{{ c }}{{ n }}',
  '{% assign ticket = "shadowed" %}{{ ticket }}{{ ticket.ref }}',
  '{% increment k %}{% increment k %}{% decrement k %}{{ k }}{% cycle "a", "b" %}{% cycle "a", "b" %}',
  '{% tablerow t in ticket.tags cols: 2 %}{{ t }}{% endtablerow %}',
  '{% liquid\n  for t in ticket.tags\n    echo t | upcase\n  endfor\n%}',
  '{% raw %}{{ x }}{% endraw %}{% comment %}c{% endcomment %}{% # note %}',
  '  {%- if true -%}  trimmed  {%- endif -%}  ',
  '{% echo ticket.title %}{% echo ticket.customer %}{% echo ticket.level | plus: 1 %}',
  '{{ forloop.index }}{{ ticket.ref.size }}{{ ticket.ref.first }}{{ event.entity.type }}{{ account.id }}{{ webhook.name }}',
  '{% if not_a_var.x %}x{% endif %}{% if ticket.nope.deeper %}y{% endif %}',
];

function renderWith(fast: boolean, contentType: SchemaContentType, body: string, strict: boolean): { out: string } | { error: string } {
  const engine = createEngine(contentType, 1e6, { fast });
  try {
    const templates = engine.parse(body);
    return { out: renderParsed(engine, templates, scope, { strict, renderTimeMs: 10_000, memoryUnits: 1e8, maxOutputBytes: 1e7 }) };
  } catch (err) {
    const pos = LiquidError.is(err) ? err.token?.getPosition?.() : undefined;
    return { error: `${(err as Error).name}: ${(err as Error).message} @${pos?.join(':') ?? '-'}` };
  }
}

const CONTENT_TYPES: SchemaContentType[] = ['text/plain', 'application/json', 'application/xml'];

describe('fast renderer = liquidjs renderer', () => {
  const cases = SNIPPETS.flatMap((body) => CONTENT_TYPES.flatMap((ct) => [false, true].map((strict) => [body, ct, strict] as const)));

  it.each(cases)('%j as %s, strict %s', (body, contentType, strict) => {
    const generic = renderWith(false, contentType, body, strict);
    expect(renderWith(true, contentType, body, strict)).toEqual(generic);
  });

  it('the corpus exercises both outputs and errors', () => {
    const results = cases.map(([body, ct, strict]) => renderWith(true, ct, body, strict));
    expect(results.filter((r) => 'error' in r).length).toBeGreaterThan(5);
    expect(results.filter((r) => 'out' in r).length).toBeGreaterThan(SNIPPETS.length * 3);
  });

  it('agrees on random sequences of snippets', () => {
    const contentType = fc.constantFrom(...CONTENT_TYPES);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SNIPPETS), { minLength: 1, maxLength: 6 }), contentType, fc.boolean(), (parts, ct, strict) => {
        const body = parts.join('\n');
        expect(renderWith(true, ct, body, strict)).toEqual(renderWith(false, ct, body, strict));
      }),
      { numRuns: 300 },
    );
  });
});
