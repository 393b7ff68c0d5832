// Waiting on a condition, always with a deadline.

// The deadlines are generous: the tests run on loaded 2-core machines. A factor
// from PRIMESYNC_PUSH_TIME_FACTOR stretches every one of them.
const factor = Number(process.env.PRIMESYNC_PUSH_TIME_FACTOR ?? '1') || 1;
export const DEFAULT_DEADLINE_MS = 20_000 * factor;
export function deadline(ms) { return ms * factor; }

// Calls `condition` (sync or async) until it returns a truthy value, which is
// returned; throws with `what` and the last value/error after `timeoutMs`.
export async function waitUntil(condition, { timeoutMs = DEFAULT_DEADLINE_MS, intervalMs = 25, what = 'condition', describe } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const value = await condition();
    if (value) return value;
    last = value;
    if (Date.now() >= until) {
      const detail = describe ? `; ${await describe()}` : (last === undefined ? '' : `; last: ${JSON.stringify(last)}`);
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Resolves when `emitter` emits `event` (first arguments array), rejects after the deadline.
export function once(emitter, event, { timeoutMs = DEFAULT_DEADLINE_MS, what } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? `event ${event}`}`));
    }, timeoutMs);
    function onEvent(...args) {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, onEvent);
  });
}
