/**
 * Polls `condition` until it holds, failing with `what` (and its current state, when `what`
 * is a function) once `timeoutMs` passed. Tests wait on outcomes this way instead of sleeping.
 */
export async function waitUntil(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
