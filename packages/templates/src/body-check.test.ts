import { describe, expect, it } from 'vitest';
import { bodyFormatOf, checkBodyWellFormed } from './body-check.ts';

describe('which bodies are checked', () => {
  it.each([
    ['application/json', 'JSON'],
    ['application/json; charset=utf-8', 'JSON'],
    ['Application/JSON', 'JSON'],
    ['application/vnd.api+json', 'JSON'],
    ['application/cloudevents+json; charset=UTF-8', 'JSON'],
    ['application/xml', 'XML'],
    ['text/xml', 'XML'],
    ['text/xml;charset=iso-8859-1', 'XML'],
    ['application/atom+xml', 'XML'],
    ['application/soap+xml', 'XML'],
    ['text/plain', null],
    ['text/html', null],
    ['application/x-www-form-urlencoded', null],
    ['application/jsonl', null],
    ['+json', null],
    ['', null],
  ])('%j is %s', (contentType, format) => {
    expect(bodyFormatOf(contentType)).toBe(format);
  });
});

describe('well-formedness of a body for its content type', () => {
  it('accepts well-formed JSON and XML, and any text/plain', () => {
    expect(checkBodyWellFormed('application/json', '{ "n": 1 }')).toEqual({ ok: true });
    expect(checkBodyWellFormed('application/xml', '<ticket>T-9</ticket>')).toEqual({ ok: true });
    expect(checkBodyWellFormed('text/plain', '{ "n":  }')).toEqual({ ok: true });
    expect(checkBodyWellFormed('text/plain', '<bad tag>')).toEqual({ ok: true });
  });

  it('refuses the XML of issue 13 (`<{{ ticket.tag }}>` with tag "bad tag"), with the reason and its position', () => {
    expect(checkBodyWellFormed('application/xml', '<bad tag>T-9</bad tag>')).toEqual({
      ok: false, format: 'XML', offset: 5, line: 1, column: 6,
      reason: 'the attribute "tag" of <bad> has no value ("=" and a quoted value expected, found ">")',
    });
  });

  it('refuses the JSON of issue 13 (`{ "n": {{ ticket.n }} }` with no n), with the reason and its position', () => {
    expect(checkBodyWellFormed('application/json', '{ "n":  }')).toEqual({ ok: false, format: 'JSON', offset: 8, line: 1, column: 9, reason: 'unexpected "}", expected a value' });
  });

  it('checks +json and +xml types and types with parameters, and counts lines and columns', () => {
    expect(checkBodyWellFormed('application/vnd.api+json; charset=utf-8', '{\n  "a": 1,\n}')).toMatchObject({ ok: false, format: 'JSON', line: 3, column: 1 });
    expect(checkBodyWellFormed('text/xml', '<a>\n  <b>é😀</a>')).toMatchObject({ ok: false, format: 'XML', line: 2, column: 8, reason: 'the end tag </a> does not match the open element <b>' });
    expect(checkBodyWellFormed('application/atom+xml', '<feed/><feed/>')).toMatchObject({ ok: false, format: 'XML', line: 1, column: 8 });
  });
});
