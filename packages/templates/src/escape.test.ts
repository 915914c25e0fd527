import { saxesAccepts } from './xml-oracle.testing.ts';
import { describe, expect, it } from 'vitest';
import { JsonText, escapeJsonString, escapeXml, jsonOutput, textOutput, xmlOutput } from './escape.ts';

describe('output escaping', () => {
  it.each([
    ['plain', 'plain'],
    ['He said "hi"', 'He said \\"hi\\"'],
    ['C:\\temp', 'C:\\\\temp'],
    ['a\nb\r\tc', 'a\\nb\\r\\tc'],
    ['\u0000\u001f', '\\u0000\\u001f'],
    ['ünïcødé 😀 ✓', 'ünïcødé 😀 ✓'],
    ['lone \ud800 surrogate', 'lone \\ud800 surrogate'],
    ['</script>', '</script>'],
  ])('JSON string content: %j', (input, escaped) => {
    expect(escapeJsonString(input)).toBe(escaped);
    expect(JSON.parse(`"${escapeJsonString(input)}"`)).toBe(input);
  });

  it.each([
    ['plain', 'plain'],
    ['a & b < c > d "e" \'f\'', 'a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;'],
    ['</x><y>', '&lt;/x&gt;&lt;y&gt;'],
    ['&amp;', '&amp;amp;'],
    ['crlf\r\n', 'crlf&#13;\n'],
    ['bell\u0007 nul\u0000', 'bell\ufffd nul\ufffd'],
    ['lone \udc00', 'lone \ufffd'],
    ['pair 😀', 'pair 😀'],
    ['\ufffe', '\ufffd'],
  ])('XML: %j', (input, escaped) => {
    expect(escapeXml(input)).toBe(escaped);
    expect(saxesAccepts(`<a b="${escapeXml(input)}">${escapeXml(input)}</a>`)).toBe(true);
  });

  it.each([
    ['a string', 'He said "hi"', 'He said "hi"', 'He said \\"hi\\"', 'He said &quot;hi&quot;'],
    ['an integer', 42, '42', '42', '42'],
    ['a decimal', -1.5, '-1.5', '-1.5', '-1.5'],
    ['infinity', Number.POSITIVE_INFINITY, 'Infinity', 'null', 'Infinity'],
    ['true', true, 'true', 'true', 'true'],
    ['null', null, '', '', ''],
    ['undefined', undefined, '', '', ''],
    ['an object', { name: 'A "B"', n: 1 }, '{"name":"A \\"B\\"","n":1}', '{"name":"A \\"B\\"","n":1}', '{&quot;name&quot;:&quot;A \\&quot;B\\&quot;&quot;,&quot;n&quot;:1}'],
    ['an array', ['a', 1], '["a",1]', '["a",1]', '[&quot;a&quot;,1]'],
    ['a date', new Date('2026-11-24T10:55:27Z'), '2026-11-24T10:55:27.000Z', '2026-11-24T10:55:27.000Z', '2026-11-24T10:55:27.000Z'],
    ['JSON text', new JsonText('{"a":"<"}'), '{"a":"<"}', '{"a":"<"}', '{&quot;a&quot;:&quot;&lt;&quot;}'],
  ])('%s: text %j, JSON %j, XML %j', (_name, value, text, json, xml) => {
    expect(textOutput(value)).toBe(text);
    expect(jsonOutput(value)).toBe(json);
    expect(xmlOutput(value)).toBe(xml);
  });
});
