import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RATE_TOLERANCE_MS, WebhookGates, type WebhookTurn } from './webhook-gates.ts';

/** Resolves what is settled by now (promise callbacks), without moving the fake clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('WebhookGates', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets at most maxConcurrency attempts of a webhook run, in arrival order, and other webhooks meanwhile', async () => {
    const gates = new WebhookGates();
    const limits = { maxConcurrency: 2 };
    const got: string[] = [];
    const turns = new Map<string, WebhookTurn>();
    for (const name of ['a1', 'a2', 'a3', 'a4']) {
      void gates.enter('A', limits, 60_000).then((t) => {
        got.push(name);
        turns.set(name, t!);
      });
    }
    const b = await gates.enter('B', limits, 60_000);
    await flush();
    expect(b).not.toBeNull();
    expect(got).toEqual(['a1', 'a2']);
    expect([gates.running('A'), gates.waiting('A')]).toEqual([2, 2]);
    turns.get('a2')!.release();
    turns.get('a2')!.release(); // a second release changes nothing
    await flush();
    expect(got).toEqual(['a1', 'a2', 'a3']);
    expect([gates.running('A'), gates.waiting('A')]).toEqual([2, 1]);
    turns.get('a1')!.release();
    await flush();
    expect(got).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('gives up after maxWaitMs, and refuses at once when too many wait or no wait is allowed', async () => {
    // Turns of 5 s: a queue of 3 would take 15 s, so the third in line is refused.
    const gates = new WebhookGates({ maxWaitingPerWebhook: 2, assumedTurnMs: 5_000 });
    const limits = { maxConcurrency: 1 };
    const first = await gates.enter('A', limits, 1_000);
    expect(first).not.toBeNull();
    expect(await gates.enter('A', limits, 0)).toBeNull();
    const second = gates.enter('A', limits, 1_000);
    const third = gates.enter('A', limits, 5_000);
    expect(await gates.enter('A', limits, 5_000)).toBeNull(); // two wait already
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await second).toBeNull();
    expect(gates.waiting('A')).toBe(1);
    first!.release();
    expect(await third).not.toBeNull();
  });

  it('spaces the starts of a rate-limited webhook 1000 / rate ms apart', async () => {
    const gates = new WebhookGates();
    const limits = { maxConcurrency: 100, rateLimitPerSecond: 10 };
    const startedAt: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) void gates.enter('A', limits, 10_000).then((t) => {
      startedAt.push(Date.now() - t0);
      t!.release();
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(startedAt).toHaveLength(5);
    startedAt.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(i * 100 - RATE_TOLERANCE_MS);
      expect(ms).toBeLessThanOrEqual(i * 100 + 5);
    });
    // Another webhook is not held up by A's rate.
    expect(await gates.enter('B', limits, 0)).not.toBeNull();
  });

  it('lets a quick webhook\'s queue grow past the waiting limit, since it drains at once', async () => {
    const gates = new WebhookGates({ maxWaitingPerWebhook: 2, assumedTurnMs: 5 });
    const limits = { maxConcurrency: 1 };
    const first = await gates.enter('A', limits, 10_000);
    const queued = Array.from({ length: 10 }, () => gates.enter('A', limits, 10_000));
    await flush();
    expect(gates.waiting('A')).toBe(10);
    first!.release();
    for (const q of queued) (await q)!.release();
  });

  it('counts a turn still running by its age: an endpoint that stops answering is seen as slow at once, and its queue is limited', async () => {
    // Quick so far (5 ms turns): its queue may grow. Then a turn runs for 20 s without an answer.
    const gates = new WebhookGates({ maxWaitingPerWebhook: 2, assumedTurnMs: 5 });
    const limits = { maxConcurrency: 1 };
    const hanging = await gates.enter('A', limits, 60_000);
    expect(gates.turnMs('A')).toBe(5);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(gates.turnMs('A')).toBe(20_000);
    const waiting = [gates.enter('A', limits, 60_000), gates.enter('A', limits, 60_000)];
    await flush();
    expect(gates.waiting('A')).toBe(2);
    // Two wait behind a 20 s turn: a third is refused at once instead of waiting a minute.
    expect(await gates.enter('A', limits, 60_000)).toBeNull();
    // Its answer comes (busy 20 s): the running turn no longer counts; the first measured turn sets the average.
    hanging!.release(20_000);
    const next = await waiting[0]!;
    expect(gates.turnMs('A')).toBe(20_000);
    expect(gates.isSlow('A')).toBe(true);
    next!.release(5);
    (await waiting[1]!)!.release(5);
    expect(gates.turnMs('B')).toBe(0);
    // A slow webhook's gate is remembered while idle (its next attempt is known to be slow), then forgotten.
    expect(gates.size).toBe(1);
    await vi.advanceTimersByTimeAsync(61_000);
    await gates.enter('B', limits, 0).then((t) => t!.release(1));
    expect(gates.turnMs('A')).toBe(0);
  });

  it('refuses at once what its rate could not start within the wait allowed', async () => {
    const gates = new WebhookGates();
    const limits = { maxConcurrency: 100, rateLimitPerSecond: 2 };
    expect(await gates.enter('A', limits, 1_000)).not.toBeNull(); // now
    const second = gates.enter('A', limits, 1_000); // at +500 ms
    expect(await gates.enter('A', limits, 900)).toBeNull(); // would start at +1000 ms: beyond the wait
    await vi.advanceTimersByTimeAsync(500);
    expect(await second).not.toBeNull();
  });

  it('applies a webhook\'s new limits to those waiting', async () => {
    const gates = new WebhookGates();
    const one = await gates.enter('A', { maxConcurrency: 1 }, 10_000);
    expect(one).not.toBeNull();
    let second: WebhookTurn | null = null;
    void gates.enter('A', { maxConcurrency: 1 }, 10_000).then((t) => (second = t));
    await flush();
    expect(second).toBeNull();
    await gates.enter('A', { maxConcurrency: 3 }, 10_000);
    await flush();
    expect(second).not.toBeNull();
    expect(gates.running('A')).toBe(3);
  });

  it('spreads refused deliveries over the time the webhook needs for them', () => {
    const gates = new WebhookGates();
    const limits = { maxConcurrency: 5, rateLimitPerSecond: 4 };
    const now = Date.now();
    const due = Array.from({ length: 6 }, () => gates.deferUntil('A', limits) - now);
    expect(due[0]).toBeGreaterThanOrEqual(250);
    for (let i = 1; i < due.length; i++) expect(due[i]! - due[i - 1]!).toBeGreaterThanOrEqual(250);
  });

  it('forgets quiet webhooks, and close() refuses whoever waits', async () => {
    const gates = new WebhookGates();
    const t = await gates.enter('A', { maxConcurrency: 1 }, 10_000);
    const waiting = gates.enter('A', { maxConcurrency: 1 }, 10_000);
    gates.close();
    expect(await waiting).toBeNull();
    t!.release();
    expect(gates.size).toBe(0);
  });
});
