import { HeraldError, type EventEnvelope } from '@herald/core';
import { describe, expect, it } from 'vitest';
import type { SchemaContentType } from './content-types.ts';
import { checkSchema } from './schema-check.ts';

const sample: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', title: 'He said "hi" </x> & \\', priority: 3, tags: ['a', 'b'] },
};

function check(body: string, contentType: SchemaContentType, strict = false) {
  return checkSchema({ body, contentType, strict }, sample);
}

function problem(body: string, contentType: SchemaContentType, strict = false): string {
  try {
    check(body, contentType, strict);
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    const e = err as HeraldError;
    expect(e.code).toBe('HERALD_VALIDATION');
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]?.field).toBe('/body');
    return e.errors[0]?.message ?? '';
  }
  throw new Error('expected the check to fail');
}

describe('schema check on save', () => {
  it('passes a well-formed JSON schema and returns the sample render', () => {
    const body = '{\n  "ref": "{{ticket:ref}}",\n  "title": "{{ ticket.title }}",\n  "prio": {{ ticket.priority }},\n  "tags": {{ ticket.tags }}\n}';
    const r = check(body, 'application/json');
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.rendered)).toEqual({ ref: 'T-1042', title: 'He said "hi" </x> & \\', prio: 3, tags: ['a', 'b'] });
  });

  it('passes a well-formed XML schema', () => {
    const r = check('<?xml version="1.0"?>\n<ticket ref="{{ ticket.ref }}"><title>{{ ticket.title }}</title></ticket>', 'application/xml');
    expect(r.rendered).toContain('<title>He said &quot;hi&quot; &lt;/x&gt; &amp; \\</title>');
  });

  it('passes any text, such as the seed example', () => {
    expect(check('{\n  Hello\n}', 'text/plain').rendered).toBe('{\n  Hello\n}');
  });

  it.each([
    ['{"title": {{ ticket.title }}}', 'the rendered output is not well-formed JSON: unexpected "H", expected a value at line 1, column 11 of the rendered output'],
    ['{\n  "a": 1,\n  "b": {{ ticket.nope }}\n}', 'the rendered output is not well-formed JSON: unexpected "}", expected a value at line 4, column 1 of the rendered output'],
    ['{\n  "a": 1,\n}', 'the rendered output is not well-formed JSON: unexpected "}", expected a property name in double quotes at line 3, column 1 of the rendered output'],
    ['{% if false %}{}{% endif %}', 'the rendered output is not well-formed JSON: the document is empty at line 1, column 1 of the rendered output'],
    ['{"a": "{{ ticket.title | raw }}"}', 'the rendered output is not well-formed JSON: unexpected "h", expected "," or "}" at line 1, column 17 of the rendered output'],
  ])('refuses JSON that is not well-formed: %j', (body, message) => {
    expect(problem(body, 'application/json')).toBe(message);
  });

  it.each([
    ['<a>\n  <b>{{ ticket.ref }}</a>', 'the rendered output is not well-formed XML: the end tag </a> does not match the open element <b> at line 2, column 12 of the rendered output'],
    ['{{ ticket.ref }}', 'the rendered output is not well-formed XML: text before the root element: only the XML declaration, a DOCTYPE, comments, processing instructions and whitespace may precede it (found "T") at line 1, column 1 of the rendered output'],
    ['<a>{{ ticket.title | raw }}</a>', 'the rendered output is not well-formed XML: the end tag </x> does not match the open element <a> at line 1, column 17 of the rendered output'],
    // What the lax check used before (fast-xml-parser's XMLValidator) let through.
    ['<a>{{ ticket.ref }}</a><b/>', 'the rendered output is not well-formed XML: a second root element <b>: a document has exactly one root element at line 1, column 14 of the rendered output'],
    ['<a/>{{ ticket.ref }}', 'the rendered output is not well-formed XML: text after the root element: only comments, processing instructions and whitespace may follow it (found "T") at line 1, column 5 of the rendered output'],
    ['<!-- a -- b --><a>{{ ticket.ref }}</a>', 'the rendered output is not well-formed XML: "--" is not allowed inside a comment at line 1, column 8 of the rendered output'],
    ['<a>{{ ticket.ref }}&nbsp;</a>', 'the rendered output is not well-formed XML: undeclared entity "&nbsp;": only &lt; &gt; &amp; &apos; &quot; and character references (&#…;) are allowed at line 1, column 10 of the rendered output'],
    ['<a>\u0001{{ ticket.ref }}</a>', 'the rendered output is not well-formed XML: character U+0001 is not allowed in XML at line 1, column 4 of the rendered output'],
    ['<{{ ticket.tags | join: " " }}>x</{{ ticket.tags | join: " " }}>', 'the rendered output is not well-formed XML: the attribute "b" of <a> has no value ("=" and a quoted value expected, found ">") at line 1, column 4 of the rendered output'],
  ])('refuses XML that is not well-formed: %j', (body, message) => {
    expect(problem(body, 'application/xml')).toBe(message);
  });

  it('reports template errors with the position in the template', () => {
    expect(problem('{\n  "a": "{% if ticket.ref %}"\n}', 'application/json')).toBe('tag {% if ticket.ref %} not closed at line 2, column 9');
  });

  it('in strict mode, refuses an attribute the sample does not have', () => {
    expect(problem('{"a": "{{ ticket.nope }}"}', 'application/json', true)).toBe('undefined variable: ticket.nope at line 1, column 11');
    expect(check('{"a": "{{ ticket.nope }}"}', 'application/json').rendered).toBe('{"a": ""}');
  });

  it('passes the Test button and summaries through to the context', () => {
    const r = checkSchema({ body: '{{ action_type }} {{ account.name }} {{ webhook.name }}', contentType: 'text/plain' }, sample, {
      test: true,
      account: { id: 'acc_1', name: 'Acme' },
      webhook: { id: 'wh_1', name: 'Test Webhook' },
    });
    expect(r.rendered).toBe('test Acme Test Webhook');
  });
});
