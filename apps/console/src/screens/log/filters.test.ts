import { describe, expect, it } from 'vitest';
import { filtersFromParams, filtersToParams, localInputToUtc, prettyBody, sameFilters, utcToLocalInput } from './filters.ts';

describe('log filters', () => {
  it('reads the hash, leaving out empty values and unknown statuses', () => {
    const f = filtersFromParams(new URLSearchParams('webhookId=wh_1&status=bogus&eventType=&entityType=ticket&entityId=7&last=10'));
    expect(f).toEqual({ webhookId: 'wh_1', entityType: 'ticket', entityId: '7' });
    expect(filtersFromParams(new URLSearchParams('status=failed')).status).toBe('failed');
  });

  it('writes them back in a fixed order, and compares them', () => {
    expect(filtersToParams({ status: 'failed', webhookId: 'wh_1' })).toEqual({ webhookId: 'wh_1', status: 'failed' });
    expect(Object.keys(filtersToParams({ until: 'b', since: 'a' }))).toEqual(['since', 'until']);
    expect(sameFilters({ status: 'failed' }, { status: 'failed' })).toBe(true);
    expect(sameFilters({ status: 'failed' }, {})).toBe(false);
  });

  it('converts datetime-local (local time) to RFC 3339 UTC and back', () => {
    const utc = localInputToUtc('2026-11-24T10:30')!;
    expect(utc).toBe(new Date(2026, 10, 24, 10, 30).toISOString());
    expect(utc.endsWith('Z')).toBe(true);
    expect(utcToLocalInput(utc)).toBe('2026-11-24T10:30');
    expect(utcToLocalInput(new Date(2026, 10, 24, 10, 30, 15).toISOString())).toBe('2026-11-24T10:30:15');
    expect(localInputToUtc('')).toBeUndefined();
    expect(localInputToUtc('nonsense')).toBeUndefined();
    expect(utcToLocalInput(undefined)).toBe('');
  });

  it('pretty-prints a JSON body and leaves any other text as it is', () => {
    expect(prettyBody('{"a":1,"b":[2]}')).toEqual({ text: '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}', json: true });
    expect(prettyBody('<script>x</script>')).toEqual({ text: '<script>x</script>', json: false });
    expect(prettyBody('{not json')).toEqual({ text: '{not json', json: false });
  });
});
