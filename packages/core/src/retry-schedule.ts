import { HeraldError } from './errors.ts';

/**
 * Delays in seconds before each retry, after the first attempt fails: 13 retries, growing
 * from 5 s to a day (about 1.8 days in all before a delivery is `failed`). Jitter is applied
 * on top of these values by `nextRetryDelayMs`.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [
  5, 30, 120, 300, 900, 1800, 3600, 7200, 14400, 21600, 43200, 64800, 86400,
];

export interface RetryPolicy {
  /** Delay in seconds before retry n (index n-1). Its length is the number of retries. */
  schedule: readonly number[];
  /** Fraction of each delay that is randomised, 0..1 (0.2 = ±20 %). */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { schedule: DEFAULT_RETRY_SCHEDULE_SECONDS, jitter: 0.2 };

/** An exponential schedule: base·factor^i, capped, `retries` entries. */
export function exponentialSchedule(retries = 13, baseSeconds = 5, factor = 2.2, capSeconds = 86400): number[] {
  return Array.from({ length: retries }, (_, i) => Math.min(capSeconds, Math.round(baseSeconds * factor ** i)));
}

export function validateRetrySchedule(schedule: unknown): number[] {
  if (!Array.isArray(schedule) || schedule.length === 0 || schedule.length > 50) {
    throw HeraldError.validation('Invalid retry schedule', [
      { field: '/retry/schedule', message: 'must be a list of 1 to 50 delays in seconds' },
    ]);
  }
  schedule.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 7 * 86400) {
      throw HeraldError.validation('Invalid retry schedule', [
        { field: `/retry/schedule/${i}`, message: 'must be a number of seconds between 0 and 604800' },
      ]);
    }
  });
  return schedule as number[];
}

/**
 * Milliseconds to wait before the next try, given how many attempts were already made
 * (1 after the first failure), or `null` when the retries are used up and the delivery fails.
 */
export function nextRetryDelayMs(
  attemptsMade: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number | null {
  const base = policy.schedule[attemptsMade - 1];
  if (base === undefined || attemptsMade < 1) return null;
  const spread = base * Math.max(0, Math.min(1, policy.jitter));
  return Math.max(0, Math.round((base + (random() * 2 - 1) * spread) * 1000));
}
