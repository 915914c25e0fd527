import { abortableDelay } from './abortable-delay.ts';

/**
 * Settles like `work`, or rejects with `onTimeout()` if `work` takes longer than `ms`. The
 * timer is cleared either way, and a late rejection of `work` is swallowed rather than left
 * unhandled.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const timedOut = Symbol('timed out');
  const stopTimer = new AbortController();
  work.catch(() => {});
  try {
    const outcome = await Promise.race([work, abortableDelay(ms, stopTimer.signal).then(() => timedOut)]);
    if (outcome === timedOut) throw onTimeout();
    return outcome as T;
  } finally {
    stopTimer.abort();
  }
}
