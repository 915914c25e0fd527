import { describe, expect, it } from 'vitest';
import { rewritePlaceholders, rewritePlaceholderTag } from './placeholders.ts';

describe('seed placeholders → Liquid', () => {
  it.each([
    ['{{ticket:ref}}', '{{ticket.ref}}'],
    ['{{ticket: ref}}', '{{ticket.ref }}'],
    ['{{ ticket:ref }}', '{{ticket.ref  }}'],
    ['{{ $ticket:$ref }}', '{{ticket.ref    }}'],
    ['{{ $ MODEL: $ ATTRIBUTE }}', '{{model.ATTRIBUTE       }}'],
    ['{{ $TICKET:$ref }}', '{{ticket.ref    }}'],
    ['{{Ticket:ref}}', '{{ticket.ref}}'],
    ['{{ticket:customer.name}}', '{{ticket.customer.name}}'],
    ['{{ticket:items.0.name}}', '{{ticket.items.0.name}}'],
    ['{{support-ticket:due-date}}', '{{support-ticket.due-date}}'],
    ['{{_x:_y}}', '{{_x._y}}'],
    ['{{event:type}}', '{{event.type}}'],
    ['{{- ticket:ref -}}', '{{-ticket.ref  -}}'],
    ['{{ticket:ref-}}', '{{ticket.ref-}}'],
    ['{{ ticket\n  : ref }}', '{{ticket.ref     \n}}'],
  ])('%j → %j', (input, output) => {
    expect(rewritePlaceholderTag(input)).toBe(output);
    expect(output).toHaveLength(input.length);
  });

  it.each([
    '{{ a | date: "%Y" }}',
    '{{ "a:b" }}',
    "{{ 'ticket:ref' }}",
    '{{ ticket.ref }}',
    '{{ ticket:ref | upcase }}',
    '{{ ticket:ref:x }}',
    '{{ ticket: }}',
    '{{ :ref }}',
    '{{ 1ticket:ref }}',
    '{{ ticket:ref. }}',
    '{{ ticket:.ref }}',
    '{{ ticket:ref..x }}',
    '{{ ticket:-ref }}',
    '{{ ticket::ref }}',
    '{{ $$ticket:ref }}',
    '{{ a ? b:c }}',
  ])('leaves %j alone', (tag) => {
    expect(rewritePlaceholderTag(tag)).toBe(tag);
    expect(rewritePlaceholders(tag)).toBe(tag);
  });

  it('rewrites every placeholder in a body and nothing else', () => {
    const body = 'Ref {{ticket:ref}} at {{ event.occurredAt | date: "%H:%M" }} by {{ $ticket:$customer.name }}.';
    expect(rewritePlaceholders(body)).toBe(
      'Ref {{ticket.ref}} at {{ event.occurredAt | date: "%H:%M" }} by {{ticket.customer.name    }}.',
    );
  });

  it('leaves tags, raw blocks and strings inside outputs alone', () => {
    const body = [
      '{% assign x = "{{ticket:ref}}" %}',
      '{% raw %}{{ticket:ref}}{% endraw %}',
      '{%- raw -%} {{ a:b }} {%- endraw -%}',
      '{{ "}}" }}{{ticket:ref}}',
      "{{ '{{a:b}}' }}",
      '{% comment %}x{% endcomment %}{{ticket:id}}',
    ].join('\n');
    expect(rewritePlaceholders(body)).toBe(
      [
        '{% assign x = "{{ticket:ref}}" %}',
        '{% raw %}{{ticket:ref}}{% endraw %}',
        '{%- raw -%} {{ a:b }} {%- endraw -%}',
        '{{ "}}" }}{{ticket.ref}}',
        "{{ '{{a:b}}' }}",
        '{% comment %}x{% endcomment %}{{ticket.id}}',
      ].join('\n'),
    );
  });

  it('keeps the length and the line breaks of the whole body', () => {
    const body = 'a\n{{ $ticket :\n $ref }}\n{% if x %}\n{{ x:y }}';
    const out = rewritePlaceholders(body);
    expect(out).toHaveLength(body.length);
    expect(out.split('\n')).toHaveLength(body.split('\n').length);
  });

  it('stops at an unclosed output or tag without touching the rest', () => {
    expect(rewritePlaceholders('{{a:b}} {{ c:d')).toBe('{{a.b}} {{ c:d');
    expect(rewritePlaceholders('{{a:b}} {% if {{c:d}}')).toBe('{{a.b}} {% if {{c:d}}');
    expect(rewritePlaceholders('{% raw %}{{a:b}}')).toBe('{% raw %}{{a:b}}');
  });

  it('returns text without placeholders unchanged', () => {
    const body = '{\n  Hello\n}';
    expect(rewritePlaceholders(body)).toBe(body);
  });
});
