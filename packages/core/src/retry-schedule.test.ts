import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  exponentialSchedule,
  nextRetryDelayMs,
  validateRetrySchedule,
} from './retry-schedule.ts';
import { isHeraldError } from './errors.ts';

describe('retry schedule', () => {
  it('retries 13 times with growing delays, then gives up', () => {
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toHaveLength(13);
    for (let i = 1; i < 13; i++) expect(DEFAULT_RETRY_SCHEDULE_SECONDS[i]!).toBeGreaterThan(DEFAULT_RETRY_SCHEDULE_SECONDS[i - 1]!);
    for (let made = 1; made <= 13; made++) expect(nextRetryDelayMs(made)).not.toBeNull();
    expect(nextRetryDelayMs(14)).toBeNull();
    expect(nextRetryDelayMs(0)).toBeNull();
  });

  it('applies jitter within ±20 % by default', () => {
    expect(nextRetryDelayMs(1, DEFAULT_RETRY_POLICY, () => 0)).toBe(4000);
    expect(nextRetryDelayMs(1, DEFAULT_RETRY_POLICY, () => 0.5)).toBe(5000);
    expect(nextRetryDelayMs(1, DEFAULT_RETRY_POLICY, () => 0.9999999)).toBe(6000);
    const seen = new Set(Array.from({ length: 50 }, () => nextRetryDelayMs(3)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) {
      expect(d!).toBeGreaterThanOrEqual(96_000);
      expect(d!).toBeLessThanOrEqual(144_000);
    }
  });

  it('follows a per-webhook schedule, its length being the number of retries', () => {
    const policy = { schedule: [1, 2], jitter: 0 };
    expect([1, 2, 3].map((n) => nextRetryDelayMs(n, policy))).toEqual([1000, 2000, null]);
  });

  it('builds an exponential schedule with a cap', () => {
    const s = exponentialSchedule(13, 5, 2, 3600);
    expect(s).toHaveLength(13);
    expect(s.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(Math.max(...s)).toBe(3600);
  });

  it('refuses a bad schedule, naming the entry', () => {
    expect(validateRetrySchedule([1, 5])).toEqual([1, 5]);
    for (const [bad, field] of [
      [[], '/retry/schedule'],
      ['5', '/retry/schedule'],
      [[1, -2], '/retry/schedule/1'],
      [[1, 'x'], '/retry/schedule/1'],
    ] as const) {
      try {
        validateRetrySchedule(bad);
        expect.unreachable();
      } catch (err) {
        expect(isHeraldError(err, 'HERALD_VALIDATION')).toBe(true);
        expect((err as { errors: { field: string }[] }).errors[0]!.field).toBe(field);
      }
    }
  });
});
