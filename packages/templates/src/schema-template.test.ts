import { HeraldError, type EventEnvelope } from '@herald/core';
import { saxesAccepts } from './xml-oracle.testing.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { SchemaContentType } from './content-types.ts';
import type { TemplateLimits } from './limits.ts';
import { compileTemplate, configureTemplateCache, render, templateCacheStats } from './schema-template.ts';
import { exceededRenderTime } from './template-error.ts';
import { buildTemplateContext } from './template-context.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  project: 'prj_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: {
    ref: 'T-1042',
    title: 'Printer says "PC LOAD LETTER"',
    priority: 'high',
    level: 3,
    escalated: false,
    customer: { name: 'Åse Nordmann', email: 'ase@example.no' },
    tags: ['printer', 'office', 'urgent'],
    assignee: null,
  },
  previous: { priority: 'low' },
};
const context = buildTemplateContext(event, { webhook: { id: 'wh_1', name: 'Test Webhook' } });

function run(body: string, contentType: SchemaContentType = 'text/plain', strict = false, limits?: Partial<TemplateLimits>): string {
  return render(compileTemplate({ body, contentType, strict }, { limits }), context, { limits });
}

function failure(fn: () => unknown): HeraldError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    return err as HeraldError;
  }
  throw new Error('expected an error');
}

/** The one field error of a failed render or compile. */
function problem(fn: () => unknown): string {
  const err = failure(fn);
  expect(err.code).toBe('HERALD_VALIDATION');
  expect(err.status).toBe(400);
  expect(err.errors).toHaveLength(1);
  expect(err.errors[0]?.field).toBe('/body');
  return err.errors[0]?.message ?? '';
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

afterEach(() => configureTemplateCache());

describe('Liquid features', () => {
  it.each([
    ['text', 'Hello', 'Hello'],
    ['variable', '{{ ticket.ref }}', 'T-1042'],
    ['event fields', '{{ event.type }} {{ event.entity.id }} {{ event.previous.priority }}', 'ticket.priority_changed 1042 low'],
    ['account, webhook, action_type', '{{ account.id }} {{ webhook.name }} {{ action_type }}', 'acc_1 Test Webhook update'],
    ['filters', '{{ ticket.priority | upcase }} {{ ticket.customer.email | split: "@" | last }} {{ ticket.level | plus: 2 }}', 'HIGH example.no 5'],
    ['filter chain with arguments', '{{ ticket.title | truncate: 10 }}|{{ ticket.tags | join: ", " }}|{{ ticket.tags | size }}', 'Printer...|printer, office, urgent|3'],
    ['date filter in UTC', '{{ event.occurredAt | date: "%Y-%m-%d %H:%M" }}', '2026-11-24 10:55'],
    ['default', '{{ ticket.missing | default: "none" }} {{ ticket.assignee | default: "nobody" }}', 'none nobody'],
    ['for with forloop', '{% for t in ticket.tags %}{{ forloop.index }}.{{ t }}{% unless forloop.last %},{% endunless %}{% endfor %}', '1.printer,2.office,3.urgent'],
    ['for modifiers', '{% for t in ticket.tags limit: 2 offset: 1 %}{{ t }}{% endfor %}|{% for t in ticket.tags reversed %}{{ t }}{% endfor %}', 'officeurgent|urgentofficeprinter'],
    ['for over a range, break, continue', '{% for i in (1..10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}', '134'],
    ['for else', '{% for x in ticket.none %}{{ x }}{% else %}empty{% endfor %}', 'empty'],
    ['if / elsif / else', '{% if ticket.level > 5 %}a{% elsif ticket.priority == "high" and ticket.escalated == false %}b{% else %}c{% endif %}', 'b'],
    ['contains, or, not-equal', '{% if ticket.tags contains "office" or false %}y{% endif %}{% if ticket.ref != "x" %}z{% endif %}', 'yz'],
    ['unless', '{% unless ticket.escalated %}calm{% endunless %}', 'calm'],
    ['case / when', '{% case ticket.priority %}{% when "low" %}L{% when "high", "urgent" %}H{% else %}?{% endcase %}', 'H'],
    ['assign and capture', '{% assign p = ticket.priority | capitalize %}{% capture s %}[{{ p }}]{% endcapture %}{{ s }}{{ s }}', '[High][High]'],
    ['comments and raw', '{% comment %}hidden{% endcomment %}{% # inline %}{% raw %}{{ not liquid }}{% endraw %}', '{{ not liquid }}'],
    ['whitespace control', 'a\n  {%- if true -%}\n  b\n  {%- endif -%}\n  c', 'abc'],
    ['liquid tag and echo', '{% liquid\n  assign n = ticket.tags | size\n  echo n | times: 10\n%}', '30'],
    ['cycle, increment', '{% for i in (1..3) %}{% cycle "a", "b" %}{% endfor %}{% increment k %}{% increment k %}', 'aba01'],
    ['nil renders empty', '[{{ ticket.assignee }}][{{ nil }}]', '[][]'],
    ['objects render as JSON in text', '{{ ticket.customer }} {{ ticket.tags }}', '{"name":"Åse Nordmann","email":"ase@example.no"} ["printer","office","urgent"]'],
  ])('%s', (_name, body, expected) => {
    expect(run(body)).toBe(expected);
  });

  it('does not change the context it is given', () => {
    const ctx = buildTemplateContext(event);
    const before = JSON.stringify(ctx);
    const c = compileTemplate({ body: '{% increment k %}{% decrement j %}{% assign ticket = "x" %}{{ k }}{{ j }}{{ ticket }}', contentType: 'text/plain' });
    expect(c.render(ctx)).toBe('0-11-1x');
    expect(c.render(ctx)).toBe('0-11-1x');
    expect(JSON.stringify(ctx)).toBe(before);
  });

  it('hides prototype properties', () => {
    expect(run('[{{ ticket.constructor }}][{{ ticket.__proto__ }}][{{ ticket.toString }}][{{ ticket.ref.constructor }}]')).toBe('[][][][]');
  });
});

describe('seed placeholders', () => {
  it.each([
    ['{{ticket:ref}}', 'T-1042'],
    ['{{ticket: ref}}', 'T-1042'],
    ['{{ ticket : ref }}', 'T-1042'],
    ['{{ $ticket:$ref }}', 'T-1042'],
    ['{{ $ ticket: $ ref }}', 'T-1042'],
    ['{{TICKET:ref}}', 'T-1042'],
    ['{{ticket:id}}', '1042'],
    ['{{ticket:customer.name}}', 'Åse Nordmann'],
    ['{{ticket:tags.1}}', 'office'],
    ['{{event:type}}', 'ticket.priority_changed'],
    ['{{ account:id }}', 'acc_1'],
    ['{{ $ MODEL: $ ATTRIBUTE }}', ''],
    ['{{ event.occurredAt | date: "%Y" }}', '2026'],
  ])('%s → %j', (body, expected) => {
    expect(run(body)).toBe(expected);
  });

  it('mixes with Liquid, and errors after a placeholder keep their column', () => {
    expect(run('{% assign s = "{{ticket:ref}}" %}{{ s }}')).toBe('{{ticket:ref}}'); // nothing inside a tag is a placeholder
    expect(run('{% if ticket.priority == "high" %}{{ $ticket:$ref }}{% endif %}')).toBe('T-1042');
    expect(problem(() => run('{{ $ ticket: $ ref }} {% if x %}'))).toBe('tag {% if x %} not closed at line 1, column 23');
  });
});

describe('escaping where values are inserted', () => {
  const tricky = 'a "quote", a \\ backslash,\na newline, a tab\t, ünïcødé 😀, </x> & \'apos\'';
  const ctx = buildTemplateContext({ ...event, data: { title: tricky, n: 7, f: 1.5, ok: true, obj: { k: tricky }, list: [1, 'two'] } });
  const renderJson = (body: string): string => compileTemplate({ body, contentType: 'application/json' }).render(ctx);
  const renderXml = (body: string): string => compileTemplate({ body, contentType: 'application/xml' }).render(ctx);

  it('JSON: a string inside quotes stays one valid string, whatever it holds', () => {
    const out = renderJson('{"title": "{{ ticket.title }}", "upper": "{{ ticket.title | upcase }}", "echo": "{% echo ticket.title %}"}');
    expect(JSON.parse(out)).toEqual({ title: tricky, upper: tricky.toUpperCase(), echo: tricky });
  });

  it('JSON: numbers and booleans stay numbers and booleans', () => {
    const out = renderJson('{"n": {{ ticket.n }}, "f": {{ ticket.f }}, "ok": {{ ticket.ok }}, "sum": {{ ticket.n | plus: 1 }}, "quoted": "{{ ticket.n }}"}');
    expect(JSON.parse(out)).toEqual({ n: 7, f: 1.5, ok: true, sum: 8, quoted: '7' });
  });

  it('JSON: objects and arrays are inserted as JSON values, and so is `| json`', () => {
    const out = renderJson('{"obj": {{ ticket.obj }}, "list": {{ ticket.list }}, "t": {{ ticket.title | json }}, "none": {{ ticket.nope | json }}}');
    expect(JSON.parse(out)).toEqual({ obj: { k: tricky }, list: [1, 'two'], t: tricky, none: null });
  });

  it('JSON: `| raw` opts out of escaping', () => {
    expect(renderJson('{{ ticket.title | raw }}')).toBe(tricky);
  });

  it('XML: text and attributes are escaped', () => {
    const out = renderXml('<t a="{{ ticket.title }}">{{ ticket.title }}</t>');
    expect(saxesAccepts(out)).toBe(true);
    expect(out).toBe(
      '<t a="a &quot;quote&quot;, a \\ backslash,\na newline, a tab\t, ünïcødé 😀, &lt;/x&gt; &amp; &apos;apos&apos;">' +
        'a &quot;quote&quot;, a \\ backslash,\na newline, a tab\t, ünïcødé 😀, &lt;/x&gt; &amp; &apos;apos&apos;</t>',
    );
  });

  it('XML: `</x>` in a value cannot close an element', () => {
    const c = buildTemplateContext({ ...event, data: { v: '</x><evil/>' } });
    const out = compileTemplate({ body: '<x>{{ ticket.v }}</x>', contentType: 'application/xml' }).render(c);
    expect(out).toBe('<x>&lt;/x&gt;&lt;evil/&gt;</x>');
    expect(saxesAccepts(out)).toBe(true);
  });

  it('text: nothing is escaped', () => {
    expect(compileTemplate({ body: '{{ ticket.title }}', contentType: 'text/plain' }).render(ctx)).toBe(tricky);
  });
});

describe('missing attributes', () => {
  it.each([
    ['{{ ticket.nope }}', ''],
    ['{{ nope.deeper.still }}', ''],
    ['{{ ticket.ref.nope }}', ''],
    ['{{ticket:nope}}', ''],
    ['[{{ webhook.url }}]', '[]'],
  ])('render as empty, never "undefined": %s', (body, expected) => {
    for (const contentType of ['text/plain', 'application/json', 'application/xml'] as const) {
      expect(run(body, contentType)).toBe(expected);
    }
  });

  it.each([
    ['{{ ticket.nope }}', 'undefined variable: ticket.nope at line 1, column 4'],
    ['a\n  {{ nope.deeper }}', 'undefined variable: nope at line 2, column 6'],
    ['{{ticket:nope}}', 'undefined variable: ticket.nope at line 1, column 3'],
    ['{{ ticket.ref.nope | upcase }}', 'undefined variable: ticket.ref.nope at line 1, column 4'],
    ['{% for t in ticket.tags %}{{ t.name }}{% endfor %}', 'undefined variable: t.name at line 1, column 30'],
  ])('strict mode reports them: %s', (body, message) => {
    expect(problem(() => run(body, 'text/plain', true))).toBe(message);
  });

  it('strict mode still lets if, unless and default test for them', () => {
    expect(run('{% if ticket.nope %}x{% else %}y{% endif %}{% unless ticket.nope %}u{% endunless %}{{ ticket.nope | default: "d" }}', 'text/plain', true)).toBe('yud');
    expect(run('{{ ticket.assignee }}', 'text/plain', true)).toBe('');
  });
});

describe('bad templates', () => {
  it.each([
    ['Hello {% if ticket.ref %}', 'tag {% if ticket.ref %} not closed at line 1, column 7'],
    ['line one\nline two {{ ticket.ref', 'output "{{ ticket.ref" not closed at line 2, column 10'],
    ['{% for t in ticket.tags %}\n{{ t }}\n', 'tag {% for t in ticket.tags %} not closed at line 1, column 1'],
    ['{% endif %}', 'tag "endif" not found at line 1, column 1'],
    ['a\nb\n  {% frobnicate %}', 'tag "frobnicate" not found at line 3, column 3'],
    ['{{ ticket.ref | frobnicate }}', 'undefined filter: frobnicate at line 1, column 1'],
    ['{% raw %}unclosed', 'raw "{% raw %}unclosed" not closed at line 1, column 10'],
  ])('%j is refused with its position', (body, message) => {
    expect(problem(() => compileTemplate({ body, contentType: 'text/plain' }))).toBe(message);
  });

  it('refuses an unknown content type', () => {
    const err = failure(() => compileTemplate({ body: 'x', contentType: 'text/html' as SchemaContentType }));
    expect(err.errors).toEqual([{ field: '/contentType', message: 'must be one of text/plain, application/json, application/xml' }]);
  });
});

describe('sandbox', () => {
  it.each([
    ["{% include '/etc/passwd' %}", 'include'],
    ['{% include "/etc/passwd" %}', 'include'],
    ["x\n{% render 'partial' %}", 'render'],
    ["{% layout 'default' %}", 'layout'],
    ['{% liquid\ninclude "/etc/passwd"\n%}', 'include'],
  ])('%j is refused when the template is compiled', (body, tag) => {
    const message = problem(() => compileTemplate({ body, contentType: 'text/plain' }));
    expect(message).toContain(`the "${tag}" tag is not allowed: schemas cannot include other templates or files`);
    expect(message).toMatch(/ at line \d+, column \d+$/);
  });
});

describe('limits', () => {
  it('stops a render that runs too long', () => {
    const body = '{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}';
    const { value: message, ms } = timed(() => problem(() => run(body, 'text/plain', false, { renderTimeMs: 50, memoryUnits: 1e12 })));
    expect(message).toMatch(/^rendering took longer than 50 ms; it was stopped at line 1, column \d+$/);
    expect(ms).toBeLessThan(1000);
  });

  it('says which render failures are the time limit (wall-clock: the same render may pass later) and which are not', () => {
    const slow = '{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}';
    expect(exceededRenderTime(failure(() => run(slow, 'text/plain', false, { renderTimeMs: 20, memoryUnits: 1e12 })))).toBe(true);
    expect(exceededRenderTime(failure(() => run('{{ ticket.nope }}', 'text/plain', true)))).toBe(false);
    expect(exceededRenderTime(failure(() => run('{% for i in (1..1048577) %}{% endfor %}')))).toBe(false);
    expect(exceededRenderTime(failure(() => run('{% if %}')))).toBe(false);
    expect(exceededRenderTime(new Error('template render limit exceeded'))).toBe(false);
  });

  it('stops nested loops over (1..100000) quickly with the defaults', () => {
    const body = '{% for a in (1..100000) %}{% for b in (1..100000) %}{% assign x = b %}{% endfor %}{% endfor %}done';
    const { value: message, ms } = timed(() => problem(() => run(body)));
    expect(message).toMatch(/^(rendering took longer than 100 ms; it was stopped|the template allocates more than its memory limit \(10000000 units\); rendering was stopped) at line 1, column \d+$/);
    expect(ms).toBeLessThan(2000);
  });

  const output = 'the rendered output is larger than 1048576 bytes; rendering was stopped';
  const single = 'the template builds a value larger than 1048576 characters or elements; rendering was stopped';
  it.each([
    ['a loop', '{% for i in (1..10000) %}{% for j in (1..1000) %}0123456789{% endfor %}{% endfor %}', output],
    ['a loop of outputs', '{% for i in (1..10000) %}{% for j in (1..1000) %}{{ ticket.title }}{% endfor %}{% endfor %}', output],
    ['doubling a capture', '{% assign s = "0123456789" %}{% for i in (1..24) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s }}', single],
    ['doubling with append', '{% assign s = "0123456789" %}{% for i in (1..24) %}{% assign s = s | append: s %}{% endfor %}{{ s }}', single],
    ['a huge range', '{% for i in (1..100000000) %}0{% endfor %}', single],
  ])('stops an attempt to render 100 MB: %s', (_name, body, expected) => {
    const { value: message, ms } = timed(() => problem(() => run(body, 'application/json')));
    expect(message).toMatch(new RegExp(`^${expected.replace(/[()]/g, '\\$&')} at line 1, column \\d+$`));
    expect(ms).toBeLessThan(500);
  });

  it('bounds any single value by the output bound', () => {
    expect(problem(() => run('{% for i in (1..1048577) %}{% endfor %}'))).toBe(
      'the template builds a value larger than 1048576 characters or elements; rendering was stopped at line 1, column 1',
    );
    expect(problem(() => run('{% assign s = "xxxxxxxxxx" | append: "y" %}', 'text/plain', false, { maxOutputBytes: 10 }))).toBe(
      'the template builds a value larger than 10 characters or elements; rendering was stopped at line 1, column 1',
    );
  });

  it('bounds the output in UTF-8 bytes, and the bound is configurable', () => {
    expect(run('{% for i in (1..10) %}0123456789{% endfor %}', 'text/plain', false, { maxOutputBytes: 100 })).toHaveLength(100);
    expect(problem(() => run('{% for i in (1..11) %}0123456789{% endfor %}', 'text/plain', false, { maxOutputBytes: 100 }))).toMatch(
      /^the rendered output is larger than 100 bytes; rendering was stopped at line 1, column \d+$/,
    );
    expect(run('{% for i in (1..50) %}ø{% endfor %}', 'text/plain', false, { maxOutputBytes: 100 })).toHaveLength(50);
    expect(problem(() => run('{% for i in (1..51) %}ø{% endfor %}', 'text/plain', false, { maxOutputBytes: 100 }))).toBe(
      'the rendered output is larger than 100 bytes; rendering was stopped',
    );
  });

  it('refuses a template longer than the limit', () => {
    expect(problem(() => compileTemplate({ body: 'x'.repeat(101), contentType: 'text/plain' }, { limits: { maxTemplateChars: 100 } }))).toBe(
      'the template is longer than 100 characters',
    );
    expect(compileTemplate({ body: 'x'.repeat(100), contentType: 'text/plain' }, { limits: { maxTemplateChars: 100 } }).body).toHaveLength(100);
  });

  it('refuses a limit that is not a positive number', () => {
    const err = failure(() => run('x', 'text/plain', false, { renderTimeMs: 0 }));
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.errors).toEqual([{ field: '/renderTimeMs', message: 'must be a positive number' }]);
  });

  it('an error in one render leaves the next render unaffected', () => {
    expect(() => run('{% for i in (1..1000000) %}0123456789{% endfor %}')).toThrow(HeraldError);
    expect(run('{{ ticket.ref }}')).toBe('T-1042');
  });
});

describe('the Norwegian seed', () => {
  it('renders the text schema "Message 1" byte for byte', () => {
    const body = '{\n  Hello\n}';
    const out = compileTemplate({ body, contentType: 'text/plain' }).render(context);
    expect(Buffer.from(out, 'utf8')).toEqual(Buffer.from('{\n  Hello\n}', 'utf8'));
    expect(Buffer.byteLength(out)).toBe(11); // "content-length 11" in the seed's captured request
  });

  it('replaces {{ticket:ref}} with the ticket reference', () => {
    expect(run('Ticket {{ticket:ref}} changed priority to {{ticket: priority}}')).toBe('Ticket T-1042 changed priority to high');
  });
});

describe('compiled template cache', () => {
  it('returns the same compiled template for the same body, content type and strictness', () => {
    configureTemplateCache(10, 1000);
    const a = compileTemplate({ body: '{{ ticket.ref }}', contentType: 'application/json' });
    expect(compileTemplate({ body: '{{ ticket.ref }}', contentType: 'application/json', strict: false })).toBe(a);
    const strict = compileTemplate({ body: '{{ ticket.ref }}', contentType: 'application/json', strict: true });
    const xml = compileTemplate({ body: '{{ ticket.ref }}', contentType: 'application/xml' });
    expect(new Set([a, strict, xml]).size).toBe(3);
    expect([strict.strict, xml.contentType]).toEqual([true, 'application/xml']);
    expect(templateCacheStats()).toEqual({ entries: 1, chars: 16 });
  });

  it('is bounded', () => {
    configureTemplateCache(3, 1000);
    const first = compileTemplate({ body: 'a0', contentType: 'text/plain' });
    for (let i = 1; i < 10; i++) compileTemplate({ body: `a${i}`, contentType: 'text/plain' });
    expect(templateCacheStats().entries).toBe(3);
    expect(compileTemplate({ body: 'a0', contentType: 'text/plain' })).not.toBe(first);
  });

  it('does not cache a template that fails to compile', () => {
    expect(() => compileTemplate({ body: '{% if %}', contentType: 'text/plain' })).toThrow(HeraldError);
    expect(templateCacheStats().entries).toBe(0);
  });
});
